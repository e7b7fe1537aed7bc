"""The source viewer: the document a hit came from, opened at the cited page (a PDF in the browser's viewer plus
the text of the cited pages), or the whole indexed document with the cited passage highlighted."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import streamlit as st

from boardpapers.ui.render import cite
from boardpapers.ui.text import esc, highlight, html_block

INLINE_PDF_LIMIT_MB = 20  # larger PDFs are offered as a download only


def _pdf_pages_text(path: Path, first: int, last: int) -> str | None:
    """Extracted text of pages first..last (1-based) of a PDF, or None when it cannot be read."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        pages = range(max(1, first), min(len(reader.pages), last) + 1)
        if not pages:
            return None
        return "\n".join((reader.pages[p - 1].extract_text() or "") for p in pages)
    except Exception:  # noqa: BLE001 - the viewer falls back to the passage text
        return None


def _mark_passage(page_text: str, passage: str, terms: list[str]) -> str:
    """Page text, escaped, with the passage (when found verbatim, spacing aside) in a highlight."""
    words = re.findall(r"\S+", passage)
    if len(words) >= 3:
        head = r"\s+".join(re.escape(w) for w in words[:6])
        m = re.search(head, page_text)
        if m:
            start = m.start()
            tail = r"\s+".join(re.escape(w) for w in words[-4:])
            m2 = next(re.finditer(tail, page_text[start:]), None)
            end = start + m2.end() if m2 else min(len(page_text), start + len(passage))
            return (
                highlight(page_text[:start], terms)
                + '<span style="background:#fef9c3">'
                + highlight(page_text[start:end], terms)
                + "</span>"
                + highlight(page_text[end:], terms)
            )
    return highlight(page_text, terms)


def render_source(index) -> None:
    """The source of the hit in st.session_state.source, if one was opened."""
    hit = st.session_state.get("source")
    if not hit:
        return
    terms = st.session_state.get("source_terms") or []
    with st.container(border=True):
        top = st.columns([6, 1])
        with top[0]:
            st.subheader("Source")
            html_block(esc(cite(hit)), "bp-cite")
        with top[1]:
            if st.button("Close", key="close-source"):
                st.session_state.source = None
                st.rerun()
        path = Path(hit.get("path") or "")
        if hit.get("source_url"):
            st.caption("Published at: " + esc(hit["source_url"]), unsafe_allow_html=True)
        if not path.is_file():
            st.warning(f"The source file is no longer at {esc(str(path))}; showing the indexed passage.", icon="⚠️")
            html_block(highlight(hit.get("text") or "", terms), "bp-doc")
            return
        if path.suffix.lower() == ".pdf":
            render_pdf(path, hit, terms)
        else:
            render_document(index, path, hit, terms)


def render_pdf(path: Path, hit: dict, terms: list[str]) -> None:
    """A PDF source: a download, the browser's viewer at the cited page, and the cited pages' text."""
    page = int(hit.get("page") or 1)
    last = max(page, min(int(hit.get("page_end") or page), page + 2))
    pages = f"Page {page}" if last == page else f"Pages {page}–{last}"
    data = path.read_bytes()
    st.download_button(f"Download {path.name}", data=data, file_name=path.name, mime="application/pdf", key="dl-source-pdf")
    tab_view, tab_text = st.tabs([f"Page {page} (PDF viewer)", f"{pages} text"])
    with tab_text:
        text = _pdf_pages_text(path, page, last)
        st.caption(f"Text extracted from {pages.lower()} of {path.name}; the cited passage is highlighted.")
        if text is None:
            text = hit.get("text") or ""
        html_block(_mark_passage(text, hit.get("text") or "", terms), "bp-doc")
    with tab_view:
        if len(data) > INLINE_PDF_LIMIT_MB * 1024 * 1024:
            st.info(f"This PDF is over {INLINE_PDF_LIMIT_MB} MB: download it and go to page {page}.")
        else:
            # A data: URL has an opaque origin: the PDF (untrusted) cannot reach the app.
            b64 = base64.b64encode(data).decode("ascii")
            st.iframe(f"data:application/pdf;base64,{b64}#page={page}", height=780)
            st.caption(f"Opened at page {page}. If your browser shows no PDF viewer, use the download button above.")


def render_document(index, path: Path, hit: dict, terms: list[str]) -> None:
    """A text source: the whole document as indexed, the cited passage highlighted."""
    rows = index.store.context_window(hit["doc_id"], int(hit.get("seq") or 0), before=10**6, after=10**6) if hit.get("doc_id") else []
    st.caption(f"{path.name}: the whole document as indexed, with the cited passage highlighted.")
    parts = []
    for r in rows:
        if r["passage_id"] == hit["passage_id"]:
            parts.append(f'<div id="bp-cited" style="background:#fef9c3">{highlight(r["text"], terms)}</div>')
        else:
            parts.append(f"<div>{esc(r['text'])}</div>")
    html_block("<br>".join(parts) or esc(hit.get("text")), "bp-doc")
