"""Links: what the screen shows lives in the URL, so a search, a trace or an opened passage can be shared,
bookmarked, and walked through with the browser's Back and Forward.

The URL holds the view, the search mode, the query of the view's box, the sidebar's filters and sort, and the
opened source (its passage id and a page turned to), e.g. ``?q=better+care+fund&council=Leicester+City+Council&
since=2016-01-01&src=<passage id>``. ``sync_url`` runs at the top of every script run, before any widget is drawn:

- the URL changed since the app last wrote it (a link opened, Back or Forward, a bookmark): the URL wins and the
  session state (the widgets' values) is set from it;
- else the state wins: when what the screen shows differs from the URL, the URL is rewritten, which the Streamlit
  front end pushes as a new history entry (each new search is one entry; Back returns to the one before).

Values from the URL are untrusted input: each is checked against what the widget allows (a council of the index,
a valid date, a known sort) and anything else is dropped, so a hand-edited link shows the app's defaults there.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import streamlit as st

from boardpapers.ui.state import PAGE_SIZE, SORTS, VIEWS

SLUGS = {"Search": "search", "Trace": "trace", "Decisions": "decisions", "Documents": "documents", "Add papers": "add"}
QUERY_KEYS = {"Search": "query", "Trace": "trace_topic", "Decisions": "dec_query"}  # each view's own query box
_SORT_SLUGS = {v: k for k, v in SORTS.items()}  # "newest" -> "Newest first"
_ANY = {"f_council": "All councils", "f_body": "All bodies", "f_type": "All types"}
_FILTER_PARAMS = {"f_council": "council", "f_body": "body", "f_type": "type"}


def params_of(state) -> dict[str, str]:
    """The URL parameters for what ``state`` (st.session_state, or a dict) shows; defaults are left out."""
    view = state.get("view") or "Search"
    p: dict[str, str] = {}
    if view != "Search":
        p["view"] = SLUGS.get(view, "search")
    elif state.get("mode") == "Ask":
        p["mode"] = "ask"
    q = (state.get(QUERY_KEYS[view]) or "").strip() if view in QUERY_KEYS else ""
    if q:
        p["q"] = q
    for key, name in _FILTER_PARAMS.items():
        v = state.get(key)
        if v and v != _ANY[key]:
            p[name] = str(v)
    for key, name in (("f_since", "since"), ("f_until", "until")):
        if isinstance(state.get(key), dt.date):
            p[name] = state[key].isoformat()
    if state.get("f_decisions"):
        p["decisions"] = "1"
    if SORTS.get(state.get("f_sort") or "Relevance", "relevance") != "relevance":
        p["sort"] = SORTS[state["f_sort"]]
    src = state.get("source") or {}
    if src.get("passage_id") and view in ("Search", "Trace") and not src.get("decision_id"):
        p["src"] = str(src["passage_id"])
        if src.get("page_shown"):
            p["pg"] = str(int(src["page_shown"]))
    return p


def state_of(params: dict[str, str], facets: dict) -> dict:
    """The session state a URL asks for, each value checked (module docstring); every URL-held key is set, so a
    parameter missing from the URL resets its widget to the default."""
    by_slug = {v: k for k, v in SLUGS.items()}
    view = by_slug.get(params.get("view", "search"), "Search")
    state: dict = {"view": view if view in VIEWS else "Search", "mode": "Ask" if params.get("mode") == "ask" else "Search"}
    if view in QUERY_KEYS:
        state[QUERY_KEYS[view]] = params.get("q", "")[:1000]
    allowed = {"f_council": facets.get("council", []), "f_body": facets.get("body", []), "f_type": facets.get("doc_type", [])}
    for key, name in _FILTER_PARAMS.items():
        v = params.get(name)
        state[key] = v if v in allowed[key] else _ANY[key]
    for key, name in (("f_since", "since"), ("f_until", "until")):
        state[key] = _date(params.get(name))
    state["f_decisions"] = params.get("decisions") == "1"
    state["f_sort"] = _SORT_SLUGS.get(params.get("sort", "relevance"), "Relevance")
    src = params.get("src")
    state["source"] = {"passage_id": src, "opened_in": None, "page_shown": _int(params.get("pg"))} if src else None
    return state


def _date(v: str | None) -> dt.date | None:
    try:
        d = dt.date.fromisoformat(v or "")
    except ValueError:
        return None
    return d if dt.date(1990, 1, 1) <= d <= dt.date(2100, 1, 1) else None


def _int(v: str | None) -> int | None:
    return int(v) if v and v.isdigit() and 0 < int(v) < 100_000 else None


def sync_url(index) -> None:
    """Bring the URL and the session state together (module docstring); call before any widget is drawn."""
    ss = st.session_state
    url = st.query_params.to_dict()
    if url != ss.get("url_written"):
        wanted = state_of(url, index.facets)
        src, old = wanted.pop("source"), ss.get("source") or {}
        for k, v in wanted.items():
            ss[k] = v
        if src is None:
            ss.source = None
        elif src["passage_id"] != old.get("passage_id") or src["page_shown"] != old.get("page_shown"):
            ss.source = {**old, **src} if src["passage_id"] == old.get("passage_id") else src
            ss.source_opened = int(ss.get("source_opened") or 0) + 1  # scroll to it once
        ss.shown = PAGE_SIZE
        ss.url_written = url
        return
    want = params_of(ss)
    if want != url:
        st.query_params.from_dict(want)
        ss.url_written = want


def share_link(passage_id: str | None = None) -> str:
    """This screen's link; with ``passage_id``, the same search with that passage's source opened."""
    p = params_of(st.session_state)
    p.pop("pg", None)
    if passage_id:
        p["src"] = passage_id
    base = st.context.url or ""
    return base + ("?" + urlencode(p) if p else "")
