"""The source viewer, opened inline under the hit (or decision) whose *Open source* was clicked: a PDF's cited page
as an image with the passage marked on it (ui.pageview: works in every browser, unlike a PDF in an iframe), pages to
turn, the text of the cited pages, and a link that opens the original PDF at the page in a tab of its own (served by
the app, ui.papers); a text document is shown whole with the cited passage highlighted.

The view scrolls itself to the marked passage when it opens, so a source opened far down the results is never drawn
out of sight. ``st.session_state.source`` holds the opened hit plus ``opened_in`` (the card that opened it) and
``page_shown`` (a page turned to); ui.links keeps its passage id and page in the URL.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import streamlit as st

from boardpapers.index.hits import citation, public_hit
from boardpapers.ui.pageview import PageError, PageImage, render_page
from boardpapers.ui.papers import paper_url, served
from boardpapers.ui.text import esc, highlight, html_block

INLINE_PDF_LIMIT_MB = 50  # the download offered where the app does not serve PDFs (plain `streamlit run app.py`)


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


def open_source(hit: dict, terms: list[str], opened_in: str, **extra) -> None:
    """Open ``hit``'s source under the card ``opened_in`` (a new open scrolls to it once)."""
    st.session_state.source = {**public_hit(hit), **extra, "opened_in": opened_in}
    st.session_state.source_terms = terms
    st.session_state.source_opened = int(st.session_state.get("source_opened") or 0) + 1


def source_here(hit: dict, terms: list[str], key: str) -> bool:
    """Whether the opened source belongs under this card: the one that opened it, or (a source named by a link,
    ui.links, opened in no card yet) the first card showing its passage, which then takes it."""
    src = st.session_state.get("source") or {}
    if not src or src.get("passage_id") != hit.get("passage_id"):
        return False
    if src.get("opened_in") == key:
        return True
    if src.get("opened_in") is None:
        open_source(hit, terms, key, page_shown=src.get("page_shown"))
        return True
    return False


def render_source(index) -> None:
    """The source of the hit in st.session_state.source, if one was opened."""
    hit = st.session_state.get("source")
    if not hit:
        return
    terms = st.session_state.get("source_terms") or []
    with st.container(border=True, key="bp-source"):
        top = st.columns([6, 1])
        with top[0]:
            st.subheader("Source")
            html_block(esc(citation(hit)), "bp-cite")
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
        elif path.suffix.lower() == ".pdf":
            render_pdf(path, hit, terms)
        else:
            render_document(index, path, hit, terms)
    scroll_to_source()


@st.cache_data(show_spinner=False, max_entries=24)
def page_image(path: str, mtime: float, page: int, passage: str) -> PageImage | str:
    """The rendered page (cached by file, its mtime, page and passage), or why it cannot be rendered."""
    try:
        return render_page(Path(path), page, passage)
    except PageError as exc:
        return str(exc)


def render_pdf(path: Path, hit: dict, terms: list[str]) -> None:
    """A PDF source: the page image with the passage marked, page turning, the link to the PDF, the pages' text."""
    cited = int(hit.get("page") or 1)
    cited_end = max(cited, int(hit.get("page_end") or cited))
    shown = int(hit.get("page_shown") or cited)
    passage = (hit.get("text") or "") if cited <= shown <= cited_end else ""
    img = page_image(str(path), path.stat().st_mtime, shown, passage)
    pages = img.pages if isinstance(img, PageImage) else shown
    render_page_nav(path, hit, shown, pages)
    marked = isinstance(img, PageImage) and bool(img.boxes)
    text_label = f"Page {shown} text" if shown != cited or cited_end == cited else f"Pages {cited}–{min(cited_end, cited + 2)} text"
    image_label = f"Page {shown} of {pages}"
    ocr = bool(hit.get("ocr"))
    default = text_label if passage and not marked else image_label  # e.g. OCR'd text: not on the page's text layer
    tab_image, tab_text = st.tabs([image_label, text_label], default=default)
    with tab_image:
        if isinstance(img, str):
            st.warning(f"The page cannot be shown as an image: {esc(img)}", icon="⚠️")
        else:
            html_block(page_html(img, shown, path.name), "bp-pagebox")
            if passage and not marked:
                st.caption("The passage's words were not found on this page's text layer" + (" (its text came from OCR)." if ocr else "."))
            elif marked:
                st.caption("The cited passage is marked in yellow.")
    with tab_text:
        last = shown if shown != cited else min(cited_end, cited + 2)
        text = _pdf_pages_text(path, shown, last)
        st.caption(f"Text extracted from {text_label.lower().removesuffix(' text')} of {path.name}; the cited passage is highlighted.")
        if text is None or (ocr and not text.strip()):
            text = hit.get("text") or ""
        html_block(_mark_passage(text, passage, terms), "bp-doc")


def render_page_nav(path: Path, hit: dict, shown: int, pages: int) -> None:
    """Previous / next page, where we are, and the original PDF at this page (a link the app serves, else a download)."""
    c = st.columns([1.2, 1.2, 1.6, 3])
    if c[0].button("◀ Previous page", key="src-prev", disabled=shown <= 1):
        st.session_state.source = {**hit, "page_shown": shown - 1}
        st.rerun()
    if c[1].button("Next page ▶", key="src-next", disabled=shown >= pages):
        st.session_state.source = {**hit, "page_shown": shown + 1}
        st.rerun()
    c[2].markdown(f"Page **{shown}** of {pages}")
    with c[3]:
        if served() and hit.get("doc_id"):
            st.link_button(f"Open the PDF at page {shown} ↗", paper_url(hit["doc_id"], shown), help="The original PDF in a new tab")
        elif path.stat().st_size <= INLINE_PDF_LIMIT_MB * 1024 * 1024:
            st.download_button(
                f"Download {path.name}", data=path.read_bytes(), file_name=path.name, mime="application/pdf", key="dl-source-pdf"
            )


def page_html(img: PageImage, page: int, name: str) -> str:
    """The page image with the passage's lines laid over it (percentages: it scales with the column)."""
    w, h = img.size
    src = "data:image/png;base64," + base64.b64encode(img.png).decode("ascii")
    marks = "".join(
        f'<div class="bp-hl" style="left:{x * 100:.3f}%;top:{y * 100:.3f}%;width:{bw * 100:.3f}%;height:{bh * 100:.3f}%"></div>'
        for x, y, bw, bh in img.boxes
    )
    alt = esc(f"Page {page} of {name}")
    return f'<div class="bp-page" style="aspect-ratio:{w}/{h}"><img src="{src}" alt="{alt}">{marks}</div>'


def scroll_to_source() -> None:
    """Once per opening: bring the marked passage (else the cited text, else the viewer's top) into view."""
    n = int(st.session_state.get("source_opened") or 0)
    if st.session_state.get("source_scrolled") == n:
        return
    st.session_state.source_scrolled = n
    st.html(
        f"""<script>/* open {n} */
(function () {{
  const t0 = Date.now();
  const go = () => {{
    const el = document.querySelector('.st-key-bp-source .bp-hl, .st-key-bp-source #bp-cited, .st-key-bp-source');
    if (el && el.getBoundingClientRect().height > 0 && el.closest('.st-key-bp-source')) {{
      el.scrollIntoView({{block: 'center'}});
    }}
    if (Date.now() - t0 < 1500) setTimeout(go, 150);
  }};
  setTimeout(go, 50);
}})();
</script>""",
        unsafe_allow_javascript=True,
    )


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
