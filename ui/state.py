"""The app's cached resources and session state: one backend per location, one index per (location, version),
one embedding model, and the cached search / answer / trace results the views draw.

The app never asks which kind of backend it has: ``backend.version()`` says whether there is an index yet and
keys the caches (it changes when new papers become visible), ``backend.open()`` gives the index.
"""

from __future__ import annotations

import importlib.util

import streamlit as st

from boardpapers.index.backend import open_backend

PAGE_SIZE = 10
EXPORT_LIMIT = 500  # hits fetched per query: what the page shows and what the exports hold
VIEWS = ("Search", "Trace", "Decisions", "Documents", "Saved searches", "Add papers")
SORTS = {"Relevance": "relevance", "Newest first": "newest", "Oldest first": "oldest"}


def init_state() -> None:
    defaults = {
        "view": "Search",
        "mode": "Search",
        "query": "",
        "f_sort": "Relevance",
        "f_decisions": False,
        "source": None,
        "source_terms": [],
        "source_opened": 0,
        "shown": PAGE_SIZE,
    }
    for k, v in defaults.items():
        if k not in st.session_state:
            st.session_state[k] = v


def available(module: str) -> bool:
    """Whether ``module`` is in this build (answers and trace landed after search)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


# ------------------------------------------------------------------ cached resources


@st.cache_resource(show_spinner=False)
def load_backend(location: str):
    """One backend per location per app process (for a shared store: one connection pool for readers and ingest)."""
    return open_backend(location)


@st.cache_resource(show_spinner="Loading the index…", max_entries=2)
def load_index(location: str, version: str):
    """One index per (location, version): a new version (new papers visible) loads fresh."""
    return load_backend(location).open()


@st.cache_resource(show_spinner="Loading the embedding model…")
def load_embedder(model_id: str):
    from boardpapers.index.embed import DEFAULT_MODEL, get_embedder

    return get_embedder(None if model_id == DEFAULT_MODEL else model_id)


def model_for(index):
    """The embedding model a search of ``index`` needs; None while no passage has a vector yet (a keyword-first ingest
    has just begun: the search runs by keyword, without the model, which takes seconds to load; index/semantic.py)."""
    from boardpapers.index.semantic import without_vectors

    return None if len(index) and without_vectors(index) == len(index) else load_embedder(index.model_id)


def filters(ft: tuple):
    """The sidebar's filter tuple (hashable, so it can key the caches) as search Filters."""
    from boardpapers.index.query import Filters

    return Filters(*ft)


@st.cache_data(show_spinner=False, max_entries=64)
def run_search(_index, index_key: str, query: str, ft: tuple, sort: str, k: int) -> dict:
    from boardpapers.index.search import search

    res = search(_index, query, k=k, filters=filters(ft), sort=sort, embedder=model_for(_index), max_related=PAGE_SIZE)
    return {"hits": res.hits, "notes": res.notes, "matches": res.matches, "capped": res.pool_full}


@st.cache_data(show_spinner=False, max_entries=4)
def run_examples(_index, index_key: str) -> list[str]:
    """The landing page's example searches (index.examples), once per index version."""
    from boardpapers.index.examples import example_queries

    return example_queries(_index)


@st.cache_data(show_spinner=False, max_entries=64)
def run_ask(_index, index_key: str, question: str, ft: tuple) -> dict:
    from boardpapers.index.answer import ask

    return ask(_index, question, filters=filters(ft), embedder=load_embedder(_index.model_id))


@st.cache_data(show_spinner=False, max_entries=32)
def run_trace(_index, index_key: str, topic: str, ft: tuple) -> dict:
    from boardpapers.index.trace import trace

    return trace(_index, topic, filters=filters(ft), embedder=model_for(_index))


@st.cache_data(show_spinner=False, max_entries=32)
def run_register(_index, index_key: str, query: str, ft: tuple, outcome: str | None, member: str | None) -> dict:
    """The decision register under the view's search, the sidebar's meeting filters and an outcome; with ``member``
    also that member's recorded votes (index.decisions)."""
    from boardpapers.index.decisions import register

    embedder = model_for(_index) if query else None  # ranking a search needs the model; a listing does not
    reg = register(_index, query=query or None, filters=filters(ft), outcome=outcome, member=member, embedder=embedder)
    return {"decisions": reg.decisions, "votes": reg.votes, "matches": reg.matches, "notes": reg.notes}


@st.cache_data(show_spinner=False, max_entries=8)
def run_alerts(_backend, _index, index_key: str, saved_key: tuple) -> list:
    """Each saved search with its new strong matches (index/saved.py), once per index version and saved-search state
    (``saved_key``: what ``saved_key()`` gives)."""
    from boardpapers.index.saved import alerts

    saved = _backend.saved_searches()
    fresh = any(saved.arrivals_after(s.seen_seq) for s in saved.entries())  # no new paper: no search runs, no model loads
    return alerts(saved, _index, embedder=load_embedder(_index.model_id) if fresh else None)


def saved_key(backend) -> tuple:
    """The saved searches' state (names, queries, filters, what each has seen): keys run_alerts."""
    return tuple((s.name, s.query, str(sorted(s.filters.items())), s.seen_seq) for s in backend.saved_searches().entries())


def clear_caches() -> None:
    """After an ingest: the next run loads the new version and searches afresh."""
    load_index.clear()
    run_search.clear()
    run_ask.clear()
    run_trace.clear()
    run_register.clear()
    run_examples.clear()
    run_alerts.clear()
