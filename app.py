"""boardpapers web app: search, cited answers, traces and exports over council board papers.

Run with `boardpapers app` or `streamlit run app.py`. The index directory comes from
$BOARDPAPERS_INDEX (default ./.boardpapers), the corpus folder for new papers from
$BOARDPAPERS_CORPUS (default ./corpus).

Document text is untrusted: every piece of it shown here goes through `esc()` (HTML-escaped,
markdown specials turned into entities) or a widget that renders plain text.
"""
from __future__ import annotations

import base64
import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

import streamlit as st

INDEX_DIR = Path(os.environ.get("BOARDPAPERS_INDEX") or "./.boardpapers")
STORE_URL = os.environ.get("BOARDPAPERS_STORE") or None  # a shared PostgreSQL store (docs/DEPLOY.md) instead of INDEX_DIR
CORPUS_DIR = Path(os.environ.get("BOARDPAPERS_CORPUS") or "./corpus")
PAGE_SIZE = 10
EXPORT_LIMIT = 500  # hits fetched per query: what the page shows and what the exports hold
UPLOAD_LIMIT_MB = 50  # keep in step with server.maxUploadSize in .streamlit/config.toml
INLINE_PDF_LIMIT_MB = 20  # larger PDFs are offered as a download only
UPLOAD_TYPES = ("pdf", "txt", "md")
NAME_MAX = 120
VIEWS = ("Search", "Trace", "Documents", "Add papers")
SORTS = {"Relevance": "relevance", "Newest first": "newest", "Oldest first": "oldest"}

# ------------------------------------------------------------------ safe rendering

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


def query_terms(query: str) -> list[str]:
    """Words and "phrases" of a query worth highlighting, longest first."""
    phrases = [p.strip() for p in re.findall(r'"([^"]+)"', query.replace("“", '"').replace("”", '"')) if p.strip()]
    words = [w for w in re.findall(r"\w+", query.replace('"', " ")) if len(w) > 1 and w.casefold() not in _STOP]
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
        out.append(esc(text[pos: m.start()]))
        out.append("<mark>" + esc(m.group(0)) + "</mark>")
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def html_block(inner: str, cls: str = "bp-text") -> None:
    """Show HTML built only from esc()/highlight() output and our own tags."""
    st.markdown(f'<div class="{cls}">{inner}</div>', unsafe_allow_html=True)


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
</style>
"""

# ------------------------------------------------------------------ upload names


def safe_filename(name: str, max_len: int = NAME_MAX) -> str:
    """A safe basename for an uploaded file.

    Keeps only the last path component, drops control/format characters (NUL, bidi overrides),
    path separators and leading dots, collapses whitespace, and caps the length at ``max_len``
    while keeping the extension. Raises ValueError for a type we do not ingest.
    """
    s = unicodedata.normalize("NFC", str(name or ""))
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join(c for c in s if unicodedata.category(c)[0] != "C")
    s = re.sub(r"\s+", " ", s).strip().lstrip(".").strip()
    stem, ext = os.path.splitext(s)
    ext = ext.lower()
    if ext.lstrip(".") not in UPLOAD_TYPES:
        raise ValueError(f"{name!r}: only {', '.join('.' + t for t in UPLOAD_TYPES)} files can be added")
    stem = stem.strip().rstrip(".").strip() or "upload"
    return stem[: max(1, max_len - len(ext))] + ext


def unique_target(corpus_dir: Path, name: str, max_len: int = NAME_MAX) -> Path:
    """A path for ``name`` directly inside ``corpus_dir`` that does not exist yet (suffix -1, -2 ...)."""
    root = Path(corpus_dir).resolve()
    stem, ext = os.path.splitext(name)
    cand = root / name
    i = 1
    while cand.exists() or cand.is_symlink():
        sfx = f"-{i}"
        cand = root / (stem[: max(1, max_len - len(ext) - len(sfx))] + sfx + ext)
        i += 1
    if cand.resolve().parent != root or cand.parent != root:
        raise ValueError(f"refusing to write {name!r} outside {root}")
    return cand


def save_upload(corpus_dir: Path, name: str, data: bytes) -> Path:
    """Write one upload into the corpus folder under a sanitised, unique name; never overwrites."""
    Path(corpus_dir).mkdir(parents=True, exist_ok=True)
    target = unique_target(corpus_dir, safe_filename(name))
    with open(target, "xb") as fh:  # exclusive create: no overwrite, no following a planted link
        fh.write(data)
    return target


# ------------------------------------------------------------------ cached resources


@st.cache_resource(show_spinner="Connecting to the store…")
def load_store(url: str):
    """One connection pool per app process for the PostgreSQL store."""
    from boardpapers.index.pgstore import PgStore

    return PgStore(url)


def current_generation() -> str | None:
    from boardpapers.index.generation import current_generation_name

    if STORE_URL:  # what ingest workers have committed so far: a new version reloads counts and facets
        return f"store-version-{load_store(STORE_URL).version()}"
    try:
        return current_generation_name(INDEX_DIR)
    except OSError:
        return None


@st.cache_resource(show_spinner="Loading the index…", max_entries=2)
def load_index(index_dir: str, generation: str):
    """One Index per (directory, generation): a new generation loads fresh."""
    from boardpapers.index.search import Index

    if STORE_URL:
        from boardpapers.index.pgindex import PgIndex

        return PgIndex(STORE_URL, store=load_store(STORE_URL))
    return Index(Path(index_dir))


@st.cache_resource(show_spinner="Loading the embedding model…")
def load_embedder(model_id: str):
    from boardpapers.index.embed import DEFAULT_MODEL, get_embedder

    return get_embedder(None if model_id == DEFAULT_MODEL else model_id)


def _filters(ft: tuple):
    from boardpapers.index.search import Filters

    return Filters(*ft)


@st.cache_data(show_spinner=False, max_entries=64)
def run_search(_index, index_key: str, query: str, ft: tuple, sort: str, k: int) -> dict:
    from boardpapers.index.search import search

    res = search(_index, query, k=k, filters=_filters(ft), sort=sort, embedder=load_embedder(_index.model_id), max_related=PAGE_SIZE)
    return {"hits": res.hits, "notes": res.notes, "matches": res.matches, "capped": res.pool_full}


@st.cache_data(show_spinner=False, max_entries=64)
def run_ask(_index, index_key: str, question: str, ft: tuple) -> dict:
    from boardpapers.index.answer import ask

    return ask(_index, question, k=8, filters=_filters(ft), embedder=load_embedder(_index.model_id))


@st.cache_data(show_spinner=False, max_entries=32)
def run_trace(_index, index_key: str, topic: str, ft: tuple) -> dict:
    from boardpapers.index.trace import trace

    return trace(_index, topic, filters=_filters(ft), embedder=load_embedder(_index.model_id), per_meeting=2)


def clear_caches() -> None:
    load_index.clear()
    run_search.clear()
    run_ask.clear()
    run_trace.clear()


# ------------------------------------------------------------------ hits


def cite(hit: dict) -> str:
    from boardpapers.index.search import citation

    return citation(hit)


def public_hit(hit: dict) -> dict:
    from boardpapers.index.search import public_hit as _public

    return _public(hit)


def hits_jsonl(hits: list[dict]) -> str:
    from boardpapers.index.export import hits_jsonl as _jsonl  # each hit with its citation

    return _jsonl(hits)


def hits_csv(hits: list[dict]) -> str:
    from boardpapers.index.export import hits_csv as _csv  # formula-safe cells

    return _csv([public_hit(h) for h in hits])


def hits_csv_file(hits: list[dict]) -> bytes:
    """The CSV download: ``hits_csv`` with a UTF-8 byte-order mark, so Excel opens it as UTF-8 (index.export)."""
    from boardpapers.index.export import CSV_FILE_ENCODING

    return hits_csv(hits).encode(CSV_FILE_ENCODING)


def render_hit(index, hit: dict, terms: list[str], key: str, label: str | None = None) -> None:
    """One cited passage: badge, citation, highlighted text, duplicates, context, source, copyable citation."""
    with st.container(border=True, key=f"hit-{key}"):
        head = f'<span class="bp-n">{esc(label)}</span>' if label else ""
        if hit.get("is_decision"):
            head += '<span class="bp-badge">DECISION</span>'
        if hit.get("match") == "related":
            head += '<span class="bp-badge bp-related">RELATED · NOT A MATCH</span>'
        html_block(head + f'<span class="bp-cite">{esc(cite(hit))}</span>', "bp-cite")
        html_block(highlight(hit.get("text") or "", terms))
        if hit.get("also_in"):
            also = "; ".join(
                f"{x.get('title') or Path(x.get('path') or '').name} ({x.get('meeting_date') or 'undated'}"
                + (f", p. {x['page']}" if x.get("page") is not None else "") + ")"
                for x in hit["also_in"]
            )
            html_block("also in: " + esc(also), "bp-also")
        c1, c2 = st.columns([1, 1])
        with c1:
            with st.expander("Surrounding passages"):
                render_context(index, hit, terms)
        with c2:
            with st.expander("Copy citation"):
                st.code(cite(hit), language=None, wrap_lines=True)
        if st.button("Open source", key=f"open-{key}", help="Show the source document at this page"):
            st.session_state.source = public_hit(hit)
            st.session_state.source_terms = terms
            st.rerun()


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


# ------------------------------------------------------------------ source viewer


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


def render_source(index) -> None:
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
            page = int(hit.get("page") or 1)
            last = max(page, min(int(hit.get("page_end") or page), page + 2))
            pages = f"Page {page}" if last == page else f"Pages {page}–{last}"
            data = path.read_bytes()
            st.download_button(
                f"Download {path.name}", data=data, file_name=path.name, mime="application/pdf", key="dl-source-pdf"
            )
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
        else:
            rows = index.store.context_window(hit["doc_id"], int(hit.get("seq") or 0), before=10**6, after=10**6) if hit.get("doc_id") else []
            st.caption(f"{path.name}: the whole document as indexed, with the cited passage highlighted.")
            parts = []
            for r in rows:
                if r["passage_id"] == hit["passage_id"]:
                    parts.append(f'<div id="bp-cited" style="background:#fef9c3">{highlight(r["text"], terms)}</div>')
                else:
                    parts.append(f"<div>{esc(r['text'])}</div>")
            html_block("<br>".join(parts) or esc(hit.get("text")), "bp-doc")


def _mark_passage(page_text: str, passage: str, terms: list[str]) -> str:
    """Page text, escaped, with the passage (when found verbatim, spacing aside) in a highlight."""
    words = re.findall(r"\S+", passage)
    if len(words) >= 3:
        head = r"\s+".join(re.escape(w) for w in words[:6])
        m = re.search(head, page_text)
        if m:
            start = m.start()
            tail = r"\s+".join(re.escape(w) for w in words[-4:])
            m2 = None
            for m2 in re.finditer(tail, page_text[start:]):
                break
            end = start + m2.end() if m2 else min(len(page_text), start + len(passage))
            return (
                highlight(page_text[:start], terms)
                + '<span style="background:#fef9c3">' + highlight(page_text[start:end], terms) + "</span>"
                + highlight(page_text[end:], terms)
            )
    return highlight(page_text, terms)


# ------------------------------------------------------------------ sidebar


def sidebar_filters(index) -> tuple:
    f = index.facets
    sb = st.sidebar
    sb.header("Filters")
    councils = [c for c in f.get("council", []) if c]
    bodies = [b for b in f.get("body", []) if b]
    types = [t for t in f.get("doc_type", []) if t]
    council = sb.selectbox("Council", ["All councils", *councils], key="f_council")
    body = sb.selectbox("Committee / board", ["All bodies", *bodies], key="f_body")
    doc_type = sb.selectbox("Document type", ["All types", *types], key="f_type")
    dates = [int(d) for d in index.dates if int(d) > 0] if len(index) else []
    lo = _int_date(min(dates)) if dates else dt.date(2000, 1, 1)
    hi = _int_date(max(dates)) if dates else dt.date.today()
    since = sb.date_input("Meetings from", value=None, min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1), key="f_since", help=f"Indexed meetings run from {lo} to {hi}")
    until = sb.date_input("Meetings until", value=None, min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1), key="f_until")
    decisions = sb.checkbox("Decisions only (RESOLVED / AGREED)", key="f_decisions")
    sb.selectbox("Sort", list(SORTS), key="f_sort")
    return (
        None if council == "All councils" else council,
        None if body == "All bodies" else body,
        since.isoformat() if since else None,
        until.isoformat() if until else None,
        None if doc_type == "All types" else doc_type,
        bool(decisions),
    )


def _int_date(v: int) -> dt.date:
    try:
        return dt.date(v // 10000, v // 100 % 100, v % 100)
    except ValueError:
        return dt.date(2000, 1, 1)


# ------------------------------------------------------------------ views


def view_search(index, index_key: str, ft: tuple) -> None:
    from boardpapers.index.search import IndexError_, QueryError

    st.radio("Mode", ["Search", "Ask"], key="mode", horizontal=True, label_visibility="collapsed",
             captions=None)
    mode = st.session_state.mode
    label = "Search the papers" if mode == "Search" else "Ask a question"
    ph = 'e.g. delayed transfers of care, "better care fund"' if mode == "Search" else "e.g. What did the board decide about the Better Care Fund?"
    st.text_input(label, key="query", placeholder=ph)
    query = (st.session_state.query or "").strip()
    render_source(index)
    if not query:
        st.caption(f"{len(index):,} passages from {index.manifest.get('documents', '?')} documents are indexed. "
                   'Use "quotes" for exact phrases; filters are in the sidebar.')
        return
    sort = SORTS[st.session_state.f_sort]
    try:
        if mode == "Ask":
            view_ask(index, index_key, query, ft)
            return
        with st.spinner("Searching…"):
            res = run_search(index, index_key, query, ft, sort, EXPORT_LIMIT)
    except QueryError as exc:
        st.warning(str(exc))
        return
    except IndexError_ as exc:
        st.error(str(exc))
        return
    hits = [h for h in res["hits"] if h.get("match") == "strong"]
    related = [h for h in res["hits"] if h.get("match") != "strong"]
    sig = (query, ft, sort)
    if st.session_state.get("shown_sig") != sig:
        st.session_state.shown_sig = sig
        st.session_state.shown = PAGE_SIZE
    if res["notes"]:
        st.caption("Query expanded: " + esc("; ".join(res["notes"])), unsafe_allow_html=True)
    terms = query_terms(query)
    if not hits:
        st.info("No passage matches this search" + (" with these filters" if any(ft) else "")
                + ". Try other words, a synonym, or clear some filters.")
        render_related(index, related, terms, "The closest related passages — not matches:")
        return
    shown = min(st.session_state.shown, len(hits))
    n = res["matches"]
    more = "+" if res.get("capped") else ""
    if len(hits) >= EXPORT_LIMIT:
        listed = f" of the first {len(hits):,}"
    elif len(hits) < n:  # the same passage printed in two packs is listed once ("also in")
        listed = f" of {len(hits):,} ({n - len(hits):,} repeated in other papers, shown as 'also in')"
    else:
        listed = ""
    st.markdown(f"**{n:,}{more} passage{'s' * (n != 1)} match{'es' * (n == 1)}** · showing 1–{shown}{listed}")
    render_exports(hits, query)
    for h in hits[:shown]:
        render_hit(index, h, terms, key=f"s-{h['passage_id']}", label=str(h["rank"]))
    if shown < len(hits):
        if st.button(f"Show {min(PAGE_SIZE, len(hits) - shown)} more", key="more"):
            st.session_state.shown = shown + PAGE_SIZE
            st.rerun()
    elif related:
        render_related(index, related, terms, "Related passages — ranked next, not judged matches:")


def render_related(index, related: list[dict], terms: list[str], heading: str) -> None:
    """Passages shown beside (never among) the matches, under a heading that says they are not matches."""
    if not related:
        return
    st.markdown(f"**{esc(heading)}**", unsafe_allow_html=True)
    for h in related:
        render_hit(index, h, terms, key=f"rel-{h['passage_id']}")


def render_exports(hits: list[dict], query: str) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", query.casefold()).strip("-")[:40] or "results"
    c1, c2, c3 = st.columns([1, 1, 3])
    with c1:
        st.download_button("⬇ CSV", data=hits_csv_file(hits), file_name=f"boardpapers-{slug}.csv", mime="text/csv", key="dl-csv",
                           help=f"All {len(hits)} matching passages (up to {EXPORT_LIMIT}) with full citations")
    with c2:
        st.download_button("⬇ JSON Lines", data=hits_jsonl(hits), file_name=f"boardpapers-{slug}.jsonl",
                           mime="application/jsonl", key="dl-jsonl", help=f"All {len(hits)} matching passages (up to {EXPORT_LIMIT})")
    with c3:
        st.caption(f"Exports hold all {len(hits)} matching passages of this search (up to {EXPORT_LIMIT}), not just this page, "
                   "each with its full citation; related passages are left out.")


def _available(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def view_ask(index, index_key: str, question: str, ft: tuple) -> None:
    if not _available("index.answer"):
        st.info("Cited answers are not available in this build yet (index/answer.py is missing). Use Search meanwhile.")
        return
    with st.spinner("Reading the papers…"):
        res = run_ask(index, index_key, question, ft)
    terms = query_terms(question)
    if res.get("abstained"):
        st.warning(esc(res.get("answer") or "The papers do not answer this clearly."), icon="🤔")
        if res.get("notes"):
            st.caption("Why: " + esc("; ".join(map(str, res["notes"]))), unsafe_allow_html=True)
        related = res.get("related") or []
        if related:
            st.markdown("**The closest related passages** — not matches; they do not answer the question:")
            for i, h in enumerate(related):
                render_hit(index, {**h, "match": "related"}, terms, key=f"r-{i}-{h['passage_id']}")
        return
    answer = res.get("answer") or ""
    pieces = re.split(r"(\[\d+\])", answer)
    body = "".join(f"<sup>{esc(p)}</sup>" if re.fullmatch(r"\[\d+\]", p) else esc(p) for p in pieces)
    with st.container(border=True):
        st.caption("Answer — sentences taken from the papers, each with its source")
        html_block(body, "bp-answer")
    cits = res.get("citations") or []
    if cits:
        st.markdown(f"**Sources ({len(cits)})**")
        for h in cits:
            render_hit(index, h, terms, key=f"a-{h.get('n')}-{h['passage_id']}", label=f"[{h.get('n')}]")


def view_trace(index, index_key: str, ft: tuple) -> None:
    st.subheader("Trace a topic across meetings")
    if "trace_topic" not in st.session_state or (not st.session_state.trace_topic and st.session_state.query):
        st.session_state.trace_topic = st.session_state.query
    st.text_input("Topic", key="trace_topic", placeholder="e.g. delayed transfers of care")
    topic = (st.session_state.trace_topic or "").strip()
    if not topic:
        st.caption("Every meeting that touched the topic, in date order, with its best passages.")
        return
    if not _available("index.trace"):
        st.info("Trace is not available in this build yet (index/trace.py is missing).")
        return
    from boardpapers.index.search import QueryError

    try:
        with st.spinner("Tracing…"):
            res = run_trace(index, index_key, topic, ft)
    except QueryError as exc:
        st.warning(str(exc))
        return
    meetings = res.get("meetings") or []
    if not meetings:
        st.info("No meeting has a passage that matches this topic. Try another wording or clear some filters.")
        return
    c = st.columns(3)
    c[0].metric("Meetings", len(meetings))
    c[1].metric("First mention", _mention(res.get("first_mention"), meetings, 0))
    c[2].metric("Latest mention", _mention(res.get("latest_mention"), meetings, -1))
    if res.get("notes"):
        st.caption(esc("; ".join(map(str, res["notes"]))), unsafe_allow_html=True)
    render_timeline(meetings)
    st.markdown("**Meeting by meeting** (oldest first)")
    terms = query_terms(topic)
    for mi, m in enumerate(meetings):
        hits = m.get("hits") or []
        further = m.get("further") or []
        n = int(m.get("passages") or len(hits))
        dec = int(m.get("decisions") if m.get("decisions") is not None else sum(1 for h in hits if h.get("is_decision")))
        title = (f"{m.get('meeting_date') or 'undated papers'} · {m.get('council') or '?'} · {m.get('body') or '?'} — "
                 f"{n} matching passage{'s' * (n != 1)}" + (f", {dec} decision{'s' * (dec != 1)}" if dec else ""))
        with st.expander(title, expanded=mi == len(meetings) - 1):
            if m.get("items"):
                html_block("Agenda items: " + esc("; ".join(m["items"][:6])) + (" …" if len(m["items"]) > 6 else ""), "bp-also")
            st.caption("Best passages from this meeting (a matching decision first):" if len(hits) > 1 else "Best passage from this meeting:")
            for hi, h in enumerate(hits):
                render_hit(index, h, terms, key=f"t-{mi}-{hi}-{h['passage_id']}")
            if further:
                if st.toggle(f"Show the {len(further)} other matching passage{'s' * (len(further) != 1)}", key=f"more-{mi}"):
                    for hi, h in enumerate(further):
                        render_hit(index, h, terms, key=f"tf-{mi}-{hi}-{h['passage_id']}")


def _mention(v, meetings: list[dict], pos: int) -> str:
    if isinstance(v, dict):
        return str(v.get("meeting_date") or "—")
    if v:
        return str(v)
    dated = [m for m in meetings if m.get("meeting_date")]
    return str(dated[pos]["meeting_date"]) if dated else "—"


def render_timeline(meetings: list[dict]) -> None:
    import altair as alt
    import pandas as pd

    rows = [
        {"meeting": m["meeting_date"], "body": m.get("body") or "unknown", "council": m.get("council") or "", "hits": int(m.get("passages") or len(m.get("hits") or []))}
        for m in meetings if m.get("meeting_date")
    ]
    undated = len(meetings) - len(rows)
    if not rows:
        st.caption("No dated meetings to chart.")
        return
    df = pd.DataFrame(rows)
    df["meeting"] = pd.to_datetime(df["meeting"], errors="coerce")
    df = df.dropna(subset=["meeting"])
    base = alt.Chart(df).encode(
        x=alt.X("meeting:T", title="Meeting date", axis=alt.Axis(format="%b %Y", labelAngle=0), scale=alt.Scale(padding=24)),
        y=alt.Y("sum(hits):Q", title="Passages"),
    )
    bars = base.mark_bar(size=16).encode(
        color=alt.Color("body:N", title="Body", legend=alt.Legend(orient="bottom", columns=1, labelLimit=400)),
        tooltip=[alt.Tooltip("meeting:T", title="Meeting", format="%d %b %Y"), "council:N", "body:N", alt.Tooltip("hits:Q", title="Passages")],
    )
    labels = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("sum(hits):Q"))
    chart = (bars + labels).properties(height=260)
    st.altair_chart(chart, width="stretch")
    if undated:
        st.caption(f"{undated} undated meeting{'s' * (undated != 1)} not on the chart.")


def view_documents(index) -> None:
    import pandas as pd

    st.subheader("Indexed documents")
    docs = index.store.documents()
    m = index.manifest
    c = st.columns(4)
    c[0].metric("Documents", len(docs))
    c[1].metric("Passages", f"{len(index):,}")
    c[2].metric("Model", str(m.get("model")))
    c[3].metric("Built", str(m.get("built_at") or "")[:16].replace("T", " "))
    if not docs:
        st.info("The index holds no documents yet. Add papers to get started.")
    else:
        df = pd.DataFrame(
            [
                {
                    "meeting date": d.get("meeting_date"),
                    "council": d.get("council"),
                    "body": d.get("body"),
                    "type": d.get("doc_type"),
                    "title": d.get("title"),
                    "pages": d.get("pages"),
                    "file": Path(d.get("path") or "").name,
                    "warnings": len(d.get("warnings") or []),
                    "ingested": d.get("ingested_at"),
                    "source url": d.get("source_url"),
                }
                for d in docs
            ]
        )
        st.dataframe(df, hide_index=True, width="stretch", key="docs-table")
        st.markdown("**Documents by body and year**")
        df["year"] = df["meeting date"].fillna("").str[:4].replace("", "undated")
        df["body"] = df["body"].fillna("unknown")
        counts = df.pivot_table(index="body", columns="year", values="file", aggfunc="count", fill_value=0)
        st.dataframe(counts, width="stretch", key="docs-counts")
        warn = [{"file": Path(d.get("path") or "").name, "warning": w} for d in docs for w in (d.get("warnings") or [])]
        st.markdown(f"**Ingest warnings ({len(warn)})**")
        if warn:
            st.dataframe(pd.DataFrame(warn), hide_index=True, width="stretch", key="docs-warnings")
        else:
            st.caption("None.")
    fails = index.store.failures()
    st.markdown(f"**Files that could not be indexed ({len(fails)})**")
    if fails:
        st.dataframe(
            pd.DataFrame([{"file": Path(f["path"]).name, "reason": f["reason"], "when": f["at"], "path": f["path"]} for f in fails]),
            hide_index=True, width="stretch", key="docs-failures",
        )
    else:
        st.caption("None — every file given to ingest is indexed.")


def run_ingest(paths: list[str], model: str | None, note: str) -> object | None:
    """Ingest with a progress bar; returns the report, or None after showing the error."""
    from boardpapers.index.embed import ModelError
    from boardpapers.index.store import StoreError
    from boardpapers.index.lock import LockedError
    from boardpapers.index.writer import ingest

    bar = st.progress(0.0, text=note)

    def progress(msg: str) -> None:
        m = re.match(r"\[(\d+)/(\d+)\]", msg)
        if m:
            done, total = int(m.group(1)), int(m.group(2))
            bar.progress(min(0.95, 0.9 * done / max(total, 1)), text=msg[:200])
        elif msg.startswith("building"):
            bar.progress(0.95, text="Building the search index…")

    try:
        if STORE_URL:
            from boardpapers.index.pgwriter import ingest_pg

            report = ingest_pg(paths, STORE_URL, model=model, progress=progress, store=load_store(STORE_URL))
        else:
            report = ingest(paths, INDEX_DIR, model=model, progress=progress)
    except (LockedError, ModelError, StoreError) as exc:
        bar.empty()
        st.error(str(exc))
        return None
    except OSError as exc:
        bar.empty()
        st.error(f"Cannot write the index at {INDEX_DIR}: {exc.strerror or exc}. The previous index is unchanged.")
        return None
    bar.progress(1.0, text="Done")
    clear_caches()
    return report


def view_add(index) -> None:
    from boardpapers.index.report import summary_table

    st.subheader("Add papers")
    st.markdown(
        f"Upload agenda packs, minutes or reports (PDF, or plain text). Up to **{UPLOAD_LIMIT_MB} MB per file**. "
        f"Files are saved in the corpus folder `{esc(str(CORPUS_DIR.resolve()))}` and indexed straight away; "
        "they are searchable as soon as indexing finishes.",
        unsafe_allow_html=True,
    )
    files = st.file_uploader("Papers", type=list(UPLOAD_TYPES), accept_multiple_files=True, key="uploads",
                             help=f"PDF, .txt or .md, at most {UPLOAD_LIMIT_MB} MB each")
    if st.button("Add and index", key="add-go", type="primary", disabled=not files):
        saved, errors = [], []
        for f in files or []:
            try:
                if f.size > UPLOAD_LIMIT_MB * 1024 * 1024:
                    raise ValueError(f"{f.name!r} is over {UPLOAD_LIMIT_MB} MB")
                saved.append(save_upload(CORPUS_DIR, f.name, f.getvalue()))
            except (ValueError, OSError) as exc:
                errors.append(str(exc))
        for e in errors:
            st.error(esc(e))
        if saved:
            report = run_ingest([str(p) for p in saved], index.model_id if index is not None else None,
                                f"Indexing {len(saved)} file{'s' * (len(saved) != 1)}…")
            if report is not None:
                st.session_state.add_report = summary_table(report)
                st.session_state.add_saved = [p.name for p in saved]
                st.rerun()
    if st.session_state.get("add_report"):
        st.success("Saved " + esc(", ".join(st.session_state.get("add_saved") or [])) + " and updated the index.")
        st.code(st.session_state.add_report, language=None)


# ------------------------------------------------------------------ main


def no_index() -> None:
    corpus_ok = CORPUS_DIR.is_dir() and any(p.suffix.lower() in (".pdf", ".txt", ".md") for p in CORPUS_DIR.rglob("*") if p.is_file())
    st.info(
        f"There is no index at `{INDEX_DIR}` yet. An index holds the passages of your board papers, ready to search. "
        f"Build one from the papers in `{CORPUS_DIR}`"
        + ("" if corpus_ok else " (that folder has no PDF or text files yet: put some there first)")
        + ", or from the command line:",
        icon="📂",
    )
    st.code(f"boardpapers ingest {CORPUS_DIR} --index {INDEX_DIR}", language="bash")
    if st.button("Build the index", key="build-index", type="primary", disabled=not corpus_ok):
        from boardpapers.index.report import summary_table

        report = run_ingest([str(CORPUS_DIR)], None, f"Indexing {CORPUS_DIR}…")
        if report is not None:
            st.session_state.add_report = summary_table(report)
            st.rerun()
    st.stop()


def init_state() -> None:
    defaults = {"view": "Search", "mode": "Search", "query": "", "f_sort": "Relevance", "f_decisions": False,
                "source": None, "source_terms": [], "shown": PAGE_SIZE}
    for k, v in defaults.items():
        if k not in st.session_state:
            st.session_state[k] = v


def main() -> None:
    st.set_page_config(page_title="boardpapers", page_icon="📑", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    init_state()
    st.title("boardpapers")
    st.caption("Search and cited answers over council board papers")
    from boardpapers.index.search import IndexError_

    from boardpapers.index.store import StoreError

    try:
        gen = current_generation()
    except StoreError as exc:  # the PostgreSQL store is unreachable, or its schema is newer than this code
        st.error(str(exc))
        st.stop()
    if not STORE_URL and (gen is None or not (INDEX_DIR / "store.sqlite").exists()):
        no_index()
    try:
        index = load_index(STORE_URL or str(INDEX_DIR.resolve()), gen)
    except IndexError_ as exc:
        st.error(str(exc))
        st.stop()
    index_key = f"{STORE_URL or INDEX_DIR.resolve()}::{gen}"
    st.sidebar.radio("View", VIEWS, key="view")
    ft = sidebar_filters(index)
    st.sidebar.caption(f"Index: {index.manifest.get('documents', '?')} documents · {len(index):,} passages · {index.model_id}")
    view = st.session_state.view
    try:
        if view == "Search":
            view_search(index, index_key, ft)
        elif view == "Trace":
            view_trace(index, index_key, ft)
        elif view == "Documents":
            view_documents(index)
        else:
            view_add(index)
    except IndexError_ as exc:
        st.error(str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. the model failed to load: a message, not a traceback
        import sqlite3

        from boardpapers.index.embed import ModelError
        from boardpapers.index.store import STORE_FILE, StoreError, sqlite_message

        if isinstance(exc, (ModelError, StoreError)):
            st.error(str(exc))
        elif isinstance(exc, sqlite3.Error):  # the passage store broke while the page was being drawn
            st.error(sqlite_message(INDEX_DIR / STORE_FILE, exc, readonly=True))
        else:
            raise


if __name__ == "__main__":  # streamlit runs this file as __main__; tests import it for the helpers
    main()
