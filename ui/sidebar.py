"""The sidebar: which view, the filters every view applies, and what the index holds."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from boardpapers.ui.state import SORTS, VIEWS


def sidebar(index, new: int = 0) -> tuple:
    """Draw the sidebar (``new``: the saved searches' new matches, a badge on their view); returns the filter tuple
    (council, body, since, until, doc_type, decisions only)."""
    st.sidebar.radio("View", VIEWS, key="view", format_func=lambda v: f"{v} · {new} new" if v == "Saved searches" and new else v)
    ft = sidebar_filters(index)
    st.sidebar.caption(f"Index: {index.manifest.get('documents', '?')} documents · {len(index):,} passages · {index.model_id}")
    return ft


def sidebar_filters(index) -> tuple:
    f = index.facets
    sb = st.sidebar
    sb.header("Filters")
    councils = [c for c in f.get("council", []) if c]
    bodies = [b for b in f.get("body", []) if b]
    types = [t for t in f.get("doc_type", []) if t]
    register = st.session_state.get("view") == "Decisions"  # decisions are filtered by council, body and date only
    off = "Does not apply to the decision register" if register else None
    council = sb.selectbox("Council", ["All councils", *councils], key="f_council")
    body = sb.selectbox("Committee / board", ["All bodies", *bodies], key="f_body")
    doc_type = sb.selectbox("Document type", ["All types", *types], key="f_type", disabled=register, help=off)
    dates = [int(d) for d in index.dates if int(d) > 0] if len(index) else []
    lo = _int_date(min(dates)) if dates else dt.date(2000, 1, 1)
    hi = _int_date(max(dates)) if dates else dt.date.today()
    since = sb.date_input(
        "Meetings from",
        value=None,
        min_value=dt.date(1990, 1, 1),
        max_value=dt.date(2100, 1, 1),
        key="f_since",
        help=f"Indexed meetings run from {lo} to {hi}",
    )
    until = sb.date_input("Meetings until", value=None, min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1), key="f_until")
    decisions = sb.checkbox("Decisions only (RESOLVED / AGREED)", key="f_decisions", disabled=register, help=off)
    sb.selectbox("Sort", list(SORTS), key="f_sort", disabled=register, help=off)
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
