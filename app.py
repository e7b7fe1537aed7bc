"""boardpapers web app: search, cited answers, traces, the decision register, saved searches and exports over council board papers.

Run with `boardpapers app` or `streamlit run app.py`. The index comes from the settings (boardpapers.settings):
$BOARDPAPERS_STORE (a shared PostgreSQL store) or else $BOARDPAPERS_INDEX (default ./.boardpapers); the corpus
folder for new papers from $BOARDPAPERS_CORPUS (default ./corpus).

This file sets the page up and wires the views, which live in boardpapers.ui (one module per view, plus the
rendering and the cached state they share). The app never asks which kind of backend it has.

Document text is untrusted: every piece of it shown goes through `esc()` (ui.text: HTML-escaped, markdown
specials turned into entities) or a widget that renders plain text.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import streamlit as st

from boardpapers.errors import BoardpapersError
from boardpapers.index.semantic import progress, progress_line
from boardpapers.index.store import STORE_FILE, sqlite_message
from boardpapers.settings import location, settings
from boardpapers.ui.add import view_add
from boardpapers.ui.decisions import view_decisions
from boardpapers.ui.documents import view_documents
from boardpapers.ui.empty import no_index
from boardpapers.ui.links import sync_url
from boardpapers.ui.render import CSS
from boardpapers.ui.saved import new_count, view_saved
from boardpapers.ui.search import view_search
from boardpapers.ui.sidebar import sidebar
from boardpapers.ui.state import init_state, load_backend, load_index
from boardpapers.ui.trace import view_trace


def open_index():
    """(backend, index, cache key, corpus folder) for the location in the settings. A bad setting, an unreachable
    store or a damaged index is shown as a message and stops the page; no index yet offers to build one."""
    try:
        corpus = Path(settings().corpus)
        where = location()
        backend = load_backend(where)
        version = backend.version()  # changes when new papers become visible; None: no index here yet
    except BoardpapersError as exc:
        st.error(str(exc))
        st.stop()
    if version is None:
        no_index(backend, corpus)  # stops the page
    try:
        index = load_index(where, version)
    except BoardpapersError as exc:
        st.error(str(exc))
        st.stop()
    return backend, index, f"{where}::{version}", corpus


@st.fragment(run_every=5)
def semantic_indexing(backend, index_key: str) -> None:
    """While a keyword-first ingest embeds (index/semantic.py): how far it has got, redrawn every few seconds, and the
    whole page redrawn on the index version that has more vectors (searches then run on it)."""
    where, version = index_key.rsplit("::", 1)
    try:
        if backend.version() != version:
            st.rerun(scope="app")
        p = progress(load_index(where, version))
    except BoardpapersError:
        return
    if p is not None:
        st.info(
            f"{progress_line(p)}. Keyword matches are shown meanwhile, marked in their citations; "
            "the page switches to the newer index by itself.",
            icon="⏳",
        )


def show_view(backend, index, index_key: str, ft: tuple, corpus: Path) -> None:
    view = st.session_state.view
    if view == "Search":
        view_search(index, index_key, ft)
    elif view == "Trace":
        view_trace(index, index_key, ft)
    elif view == "Decisions":
        view_decisions(index, index_key, ft)
    elif view == "Documents":
        view_documents(index, backend, corpus)
    elif view == "Saved searches":
        view_saved(index, backend, index_key, ft)
    else:
        view_add(index, backend, corpus)


def main() -> None:
    st.set_page_config(page_title="boardpapers", page_icon="📑", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    init_state()
    st.title("boardpapers")
    st.caption("Search and cited answers over council board papers")
    backend, index, index_key, corpus = open_index()
    sync_url(index)  # a link, Back or Forward sets the widgets; else what they show is written to the URL
    if progress(index) is not None:  # vectors still landing: a status line that follows them
        semantic_indexing(backend, index_key)
    ft = sidebar(index, new_count(backend, index, index_key))
    try:
        show_view(backend, index, index_key, ft, corpus)
    except BoardpapersError as exc:  # e.g. the model failed to load, the store broke: a message, not a traceback
        st.error(str(exc))
    except sqlite3.Error as exc:  # the passage store broke while the page was being drawn
        st.error(sqlite_message(Path(backend.location) / STORE_FILE, exc, readonly=True))


if __name__ == "__main__":  # streamlit runs this file as __main__; importing boardpapers.app draws nothing
    main()
