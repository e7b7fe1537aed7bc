"""The Search view: one box (Enter or the Search button) for a search (ranked, cited passages, a page at a time,
with exports) or a question (ui.ask); a source opens inside the card of its hit (ui.render). With no query yet, a
few example searches drawn from the index (index.examples) start the user off."""

from __future__ import annotations

import streamlit as st

from boardpapers.index.errors import IndexError_
from boardpapers.index.query import QueryError
from boardpapers.index.service import why_no_match
from boardpapers.ui.ask import view_ask
from boardpapers.ui.exports import render_exports
from boardpapers.ui.render import render_hit, render_related
from boardpapers.ui.state import EXPORT_LIMIT, PAGE_SIZE, SORTS, run_examples, run_search
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
    c1, c2 = st.columns([8, 1], vertical_alignment="bottom")
    c1.text_input(label, key="query", placeholder=ph)
    # Enter runs the search; so does the button: a click takes the focus from the box, which sends its text first
    c2.button(mode, key="search-go", type="primary", width="stretch")
    query = (st.session_state.query or "").strip()
    if not query:
        landing(index, index_key)
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
    terms = query_terms(query, res["notes"])
    if not hits:
        why = why_no_match(query)
        st.info(
            "No passage matches this search"
            + (" with these filters" if any(ft) else "")
            + (f". {why}" if why else ". Try other words, a synonym, or clear some filters.")
        )
        render_related(index, related, terms, "The closest related passages — not matches:")
        return
    opened = (st.session_state.get("source") or {}).get("passage_id")
    at = next((i for i, h in enumerate(hits) if h["passage_id"] == opened), -1)
    if at >= st.session_state.shown:  # a link to a passage further down: show the pages down to it
        st.session_state.shown = (at // PAGE_SIZE + 1) * PAGE_SIZE
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


def landing(index, index_key: str) -> None:
    """No query yet: what is indexed, and example searches that have matches in this index."""
    st.caption(
        f"{len(index):,} passages from {index.manifest.get('documents', '?')} documents are indexed. "
        'Use "quotes" for exact phrases; filters are in the sidebar.'
    )
    examples = run_examples(index, index_key)
    if not examples:
        return
    st.markdown("**Try a search** — subjects these papers come back to:")
    cols = st.columns(len(examples))
    for i, (col, text) in enumerate(zip(cols, examples)):
        col.button(text, key=f"example-{i}", on_click=_search_for, args=(text,), width="stretch")


def _search_for(text: str) -> None:
    st.session_state.mode = "Search"
    st.session_state.query = text
