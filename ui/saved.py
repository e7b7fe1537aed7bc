"""The Saved searches view: save the search in the box with the sidebar's filters, see each saved search's new strong
matches since it was saved or last seen (index/saved.py), mark them seen, remove a search, download the Atom feed."""

from __future__ import annotations

import streamlit as st

from boardpapers.errors import BoardpapersError
from boardpapers.index.query import Filters
from boardpapers.index.saved import filters_dict, filters_line
from boardpapers.ui.render import render_hit
from boardpapers.ui.state import clear_caches, run_alerts, saved_key
from boardpapers.ui.text import esc, html_block, query_terms

SHOWN = 20  # new matches drawn per saved search (the feed and `boardpapers alerts` list them all)


def new_count(backend, index, index_key: str) -> int:
    """New strong matches over every saved search (the sidebar's badge); 0 when the store cannot say."""
    try:
        return sum(len(a.hits) for a in run_alerts(backend, index, index_key, saved_key(backend)))
    except BoardpapersError:
        return 0


def view_saved(index, backend, index_key: str, ft: tuple) -> None:
    st.subheader("Saved searches")
    if st.session_state.get("saved_flash"):
        st.success(esc(st.session_state.pop("saved_flash")))
    save_form(backend, ft)
    found = run_alerts(backend, index, index_key, saved_key(backend))
    if not found:
        st.info("No saved searches yet. Save one above: after new papers are added, its new matches are listed here.")
        return
    total = sum(len(a.hits) for a in found)
    c1, c2 = st.columns([1, 1])
    if total and c1.button("Mark all seen", key="saved-seen-all"):
        _change(lambda: backend.saved_searches().mark_seen(None), lambda _: "Marked every saved search as seen.")
    from boardpapers.index.alertfeed import atom_feed

    c2.download_button(
        "⬇ Atom feed",
        atom_feed(found, backend.location),
        file_name="boardpapers-alerts.atom",
        mime="application/atom+xml",
        key="saved-feed",
    )
    for i, a in enumerate(found):
        render_alert(index, backend, a, i)


def save_form(backend, ft: tuple) -> None:
    f = Filters(*ft)
    with st.form("save-search", clear_on_submit=True):
        c1, c2 = st.columns([1, 2])
        name = c1.text_input("Name", key="save_name", placeholder="Library hours")
        query = c2.text_input("Query", value=st.session_state.get("query") or "", key="save_query")
        st.caption("Saved with the sidebar's filters: " + (esc(filters_line(filters_dict(f))) or "none"))
        go = st.form_submit_button("Save search", type="primary")
    if go:
        _change(
            lambda: backend.saved_searches().save(name, query, f),
            lambda s: f"Saved {s.name!r}: new matches of {s.query!r} will be listed here.",
        )


def render_alert(index, backend, a, i: int) -> None:
    s = a.search
    with st.container(border=True, key=f"saved-{i}"):
        badge = f'<span class="bp-badge">{len(a.hits)} NEW</span>' if a.hits else ""
        html_block(
            f"{badge}<strong>{esc(s.name)}</strong> · {esc(s.query)}" + (f" · {esc(filters_line(s.filters))}" if s.filters else ""),
            "bp-cite",
        )
        st.markdown(f"**{esc(a.headline())}**", unsafe_allow_html=True)
        c1, c2 = st.columns([1, 1])
        if a.hits and c1.button("Mark seen", key=f"saved-seen-{i}"):
            _change(lambda: backend.saved_searches().mark_seen([s.name]), lambda _: f"Marked {s.name!r} as seen.")
        if c2.button("Remove", key=f"saved-remove-{i}"):
            _change(lambda: backend.saved_searches().remove(s.name), lambda _: f"Removed the saved search {s.name!r}.")
            return
        terms = query_terms(s.query)
        for j, h in enumerate(a.hits[:SHOWN]):
            render_hit(index, h, terms, key=f"alert-{i}-{j}")
        if len(a.hits) > SHOWN:
            st.caption(f"and {len(a.hits) - SHOWN} more in the Atom feed and `boardpapers alerts`")


def _change(action, flash) -> None:
    """One change to the saved searches: ``action()``; on success the caches are cleared and the page reruns with
    ``flash(result)`` shown; a refusal is shown as an error and nothing reruns."""
    try:
        result = action()
    except BoardpapersError as exc:
        st.error(esc(str(exc)))
        return
    clear_caches()
    st.session_state.saved_flash = flash(result)
    st.rerun()
