"""The page's styles and one cited passage ("hit") as a card: badge, citation, highlighted text, duplicates,
surrounding passages, a copyable citation and link, and a button that opens the source (ui.source) inside the card."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from boardpapers.index.hits import citation
from boardpapers.ui.links import share_link
from boardpapers.ui.source import open_source, render_source, source_here
from boardpapers.ui.text import esc, highlight, html_block

CSS = """
<style>
.block-container {padding-top: 2.2rem;}
.bp-text {line-height: 1.55; font-size: 0.97rem; overflow-wrap: anywhere;}
.bp-text mark {background: #fde68a; padding: 0 2px; border-radius: 2px;}
.bp-cite {color: #475569; font-size: 0.86rem; overflow-wrap: anywhere;}
.bp-badge {display: inline-block; background: #166534; color: #fff; font-size: 0.72rem; font-weight: 700;
  letter-spacing: .05em; padding: 1px 7px; border-radius: 4px; margin-right: 6px; vertical-align: 1px;}
.bp-badge.bp-related {background: #64748b;}
.bp-n {display: inline-block; background: #1e3a8a; color: #fff; font-size: 0.75rem; font-weight: 700;
  padding: 0 6px; border-radius: 4px; margin-right: 6px;}
.bp-also {color: #64748b; font-size: 0.84rem; overflow-wrap: anywhere;}
.bp-doc {max-height: 420px; overflow-y: auto; border: 1px solid #e2e8f0; border-radius: 6px; padding: 10px 12px;
  line-height: 1.5; font-size: 0.92rem; overflow-wrap: anywhere; background: #fafafa;}
.bp-doc mark {background: #fde68a;}
.bp-answer {font-size: 1.05rem; line-height: 1.65; overflow-wrap: anywhere;}
.bp-answer sup {color: #1e3a8a; font-weight: 700;}
.bp-page {position: relative; width: 100%; max-width: 880px; margin: 0 auto; border: 1px solid #cbd5e1;
  box-shadow: 0 1px 4px rgba(15, 23, 42, .12); background: #fff;}
.bp-page img {position: absolute; inset: 0; width: 100%; height: 100%; display: block;}
.bp-hl {position: absolute; background: rgba(250, 204, 21, .42); mix-blend-mode: multiply; border-radius: 2px;
  outline: 1px solid rgba(202, 138, 4, .55);}
</style>
"""


def cite(hit: dict) -> str:
    return citation(hit)


def render_hit(index, hit: dict, terms: list[str], key: str, label: str | None = None) -> None:
    """One cited passage: badge, citation, highlighted text, duplicates, context, source, copyable citation."""
    with st.container(border=True, key=f"hit-{key}"):
        head = f'<span class="bp-n">{esc(label)}</span>' if label else ""
        if hit.get("is_decision"):
            head += '<span class="bp-badge">DECISION</span>'
        if hit.get("match") == "related":
            head += '<span class="bp-badge bp-related">RELATED · NOT A MATCH</span>'
        html_block(head + f'<span class="bp-cite">{esc(cite(hit))}</span>', "bp-cite")
        if hit.get("provenance"):
            html_block(esc(provenance_line(hit["provenance"])), "bp-also")
        if hit.get("aspect"):  # a trace match found by one aspect of the topic (index/aspects.py)
            html_block("Matches the aspect: " + esc(hit["aspect"]), "bp-also")
        html_block(highlight(hit.get("text") or "", terms))
        if hit.get("also_in"):
            also = "; ".join(
                f"{x.get('title') or Path(x.get('path') or '').name} ({x.get('meeting_date') or 'undated'}"
                + (f", p. {x['page']}" if x.get("page") is not None else "")
                + ")"
                for x in hit["also_in"]
            )
            html_block("also in: " + esc(also), "bp-also")
        c1, c2, c3 = st.columns([2, 1, 1])
        with c1:
            with st.expander("Surrounding passages"):
                render_context(index, hit, terms)
        with c2:
            with st.expander("Copy citation"):
                st.code(cite(hit), language=None, wrap_lines=True)
        with c3:
            with st.expander("Copy link"):
                st.code(share_link(hit.get("passage_id")), language=None, wrap_lines=True)
                st.caption("This search, with this passage's source open.")
        if st.button("Open source", key=f"open-{key}", help="Show the source document at this page, here"):
            open_source(hit, terms, key)
            st.rerun()
        if source_here(hit, terms, key):
            render_source(index)


_SOURCE_WORDS = {
    "content": "stated in the document",
    "frontsheet": "from the meeting's agenda frontsheet",
    "folder": "from the folder's name",
    "file name": "from the file's name",
    "manifest": "from the manifest",
    "fetched": "from the council's website (fetched)",
}


def provenance_line(prov: dict) -> str:
    """'meeting date from the meeting's agenda frontsheet · council stated in the document': where a hit's meeting
    fields came from (ingest/context.py); plain text, escaped by the caller."""
    parts = [f"{f.replace('_', ' ')} {_SOURCE_WORDS.get(src, src)}" for f, src in prov.items() if f in ("meeting_date", "council", "body")]
    return " · ".join(parts)


def render_context(index, hit: dict, terms: list[str]) -> None:
    seq = hit.get("seq")
    if seq is None:
        st.caption("No surrounding passages recorded.")
        return
    try:
        rows = index.store.context_window(hit["doc_id"], int(seq), before=1, after=1)
    except Exception as exc:  # noqa: BLE001 - a read error only loses the context, not the page
        st.caption(f"Context unavailable ({type(exc).__name__}).")
        return
    parts = []
    for r in rows:
        pg = f"p. {r['page']}" if r.get("page") is not None else ""
        body = highlight(r["text"], terms) if r["passage_id"] == hit["passage_id"] else esc(r["text"])
        style = "" if r["passage_id"] == hit["passage_id"] else ' style="color:#64748b"'
        parts.append(f'<div{style}><span class="bp-cite">{esc(pg)}</span> {body}</div>')
    html_block("<hr style='margin:6px 0'>".join(parts), "bp-text")


def render_related(index, related: list[dict], terms: list[str], heading: str, key: str = "rel") -> None:
    """Passages shown beside (never among) the matches, under a heading that says they are not matches."""
    if not related:
        return
    st.markdown(f"**{esc(heading)}**", unsafe_allow_html=True)
    for h in related:
        render_hit(index, h, terms, key=f"{key}-{h['passage_id']}")
