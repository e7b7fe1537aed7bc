"""The Search view: one box for a search (ranked, cited passages, a page at a time, with exports) or a question
(ui.ask), and the source of a hit when one is opened."""

from __future__ import annotations

import streamlit as st

from boardpapers.index.errors import IndexError_
from boardpapers.index.query import QueryError
from boardpapers.ui.ask import view_ask
from boardpapers.ui.exports import render_exports
from boardpapers.ui.render import render_hit, render_related
from boardpapers.ui.source import render_source
from boardpapers.ui.state import EXPORT_LIMIT, PAGE_SIZE, SORTS, run_search
from boardpapers.ui.text import esc, query_terms


def view_search(index, index_key: str, ft: tuple) -> None:
    st.radio("Mode", ["Search", "Ask"], key="mode", horizontal=True, label_visibility="collapsed", captions=None)
    mode = st.session_state.mode
    label = "Search the papers" if mode == "Search" else "Ask a question"
    ph = (
        'e.g. delayed transfers of care, "better care fund"'
        if mode == "Search"
        else "e.g. What did the board decide about the Better Care Fund?"
    )
    st.text_input(label, key="query", placeholder=ph)
    query = (st.session_state.query or "").strip()
    render_source(index)
    if not query:
        st.caption(
            f"{len(index):,} passages from {index.manifest.get('documents', '?')} documents are indexed. "
            'Use "quotes" for exact phrases; filters are in the sidebar.'
        )
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
    render_results(index, res, query, ft, sort)


def render_results(index, res: dict, query: str, ft: tuple, sort: str) -> None:
    """The matches a page at a time (count, exports, cards, "Show more"), then the related passages."""
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
        st.info(
            "No passage matches this search"
            + (" with these filters" if any(ft) else "")
            + ". Try other words, a synonym, or clear some filters."
        )
        render_related(index, related, terms, "The closest related passages — not matches:")
        return
    shown = min(st.session_state.shown, len(hits))
    st.markdown(count_line(res, hits, shown))
    render_exports(hits, query)
    for h in hits[:shown]:
        render_hit(index, h, terms, key=f"s-{h['passage_id']}", label=str(h["rank"]))
    if shown < len(hits):
        if st.button(f"Show {min(PAGE_SIZE, len(hits) - shown)} more", key="more"):
            st.session_state.shown = shown + PAGE_SIZE
            st.rerun()
    elif related:
        render_related(index, related, terms, "Related passages — ranked next, not judged matches:")


def count_line(res: dict, hits: list[dict], shown: int) -> str:
    """The honest count: how many passages match, and which of them this page shows."""
    n = res["matches"]
    more = "+" if res.get("capped") else ""
    if len(hits) >= EXPORT_LIMIT:
        listed = f" of the first {len(hits):,}"
    elif len(hits) < n:  # the same passage printed in two packs is listed once ("also in")
        listed = f" of {len(hits):,} ({n - len(hits):,} repeated in other papers, shown as 'also in')"
    else:
        listed = ""
    return f"**{n:,}{more} passage{'s' * (n != 1)} match{'es' * (n == 1)}** · showing 1–{shown}{listed}"
