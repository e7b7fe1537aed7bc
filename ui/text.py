"""Safe rendering of untrusted document text.

Document text is untrusted: every piece of it shown by the app goes through `esc()` (HTML-escaped, markdown
specials turned into entities) or a widget that renders plain text. `highlight()` adds only our own <mark> tags
around escaped pieces, and `html_block()` is the one place such HTML reaches st.markdown.
"""

from __future__ import annotations

import re

import streamlit as st

from boardpapers.index.wording import query_variants

_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~:$=^%@"}
_ENTITIES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def esc(text) -> str:
    """Untrusted text as inert HTML for st.markdown: HTML-escaped and markdown specials as entities.

    Newlines become <br> so the result is one line (no markdown block structure can start).
    """
    s = "" if text is None else str(text)
    s = "".join(_ENTITIES.get(c, c) for c in s)
    s = re.sub(r"\r\n?|\n", "<br>", s)
    return s.replace("\t", " ")


_STOP = set(
    "a an and are as at be by for from has have in is it its of on or that the their this to was were what when which who will with "
    "did do does how we our about any all".split()
)


def query_terms(query: str, notes: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Words and "phrases" of a query worth highlighting, longest first; with the other words search and the judge
    read for them (index/wording.py: "advisor" for "adviser", "savings" for "cuts") and, from the results' ``notes``
    ("query expanded: LDR = Local Digital Roadmap"), each side of an expansion: a passage found by an acronym's long
    form shows it marked."""
    phrases = [p.strip() for p in re.findall(r'"([^"]+)"', query.replace("“", '"').replace("”", '"')) if p.strip()]
    for note in notes:
        left, eq, right = str(note).removeprefix("query expanded: ").partition(" = ")
        phrases += [t.strip() for t in [left, *right.split(" / ")] if eq and len(t.strip()) > 1]
    words = [w for w in re.findall(r"\w+", query.replace('"', " ")) if len(w) > 1 and w.casefold() not in _STOP]
    # the other words of the query as written: its phrases ("delayed transfers of care", "Oct-Dec") keep their small
    # words and dashes
    variants = [v for v in query_variants(query.replace('"', " ")) if len(v) > 1]  # not the "3" of "Quarter 3"
    words += [v[:-1] if v.endswith("s") and len(v) > 4 else v for v in variants]  # "reduction*"
    seen, out = set(), []
    for t in phrases + words:
        if t.casefold() not in seen:
            seen.add(t.casefold())
            out.append(t)
    return sorted(out, key=len, reverse=True)


def highlight(text: str, terms: list[str]) -> str:
    """Escaped text with query terms wrapped in <mark>: matches are found on the raw text, each
    piece is escaped on its own, and only our own <mark> tags are added around escaped pieces."""
    text = text or ""
    if not terms:
        return esc(text)
    pats = []
    for t in terms:
        parts = [re.escape(p) for p in t.split()]
        if not parts:
            continue
        # word start; allow endings (decide -> decided, decisions) for single words
        pats.append(r"\b" + r"\s+".join(parts) + (r"\w*" if len(parts) == 1 else r"\b"))
    if not pats:
        return esc(text)
    rx = re.compile("|".join(pats), re.IGNORECASE)
    out, pos = [], 0
    for m in rx.finditer(text):
        if m.end() == m.start():
            continue
        out.append(esc(text[pos : m.start()]))
        out.append("<mark>" + esc(m.group(0)) + "</mark>")
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def html_block(inner: str, cls: str = "bp-text") -> None:
    """Show HTML built only from esc()/highlight() output and our own tags."""
    st.markdown(f'<div class="{cls}">{inner}</div>', unsafe_allow_html=True)
