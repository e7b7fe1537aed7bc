"""The Trace view: every meeting that touched a topic, in date order: counts, a timeline chart, and each
meeting's passages (a matching decision first, then the best that differ) with the rest behind a toggle; on a short
timeline, the passages of its meetings the judge found related, marked as not matches."""

from __future__ import annotations

import streamlit as st

from boardpapers.index.query import QueryError
from boardpapers.ui.render import render_hit, render_related
from boardpapers.ui.state import available, run_trace
from boardpapers.ui.text import esc, html_block, query_terms


def view_trace(index, index_key: str, ft: tuple) -> None:
    st.subheader("Trace a topic across meetings")
    if "trace_topic" not in st.session_state or (not st.session_state.trace_topic and st.session_state.query):
        st.session_state.trace_topic = st.session_state.query
    st.text_input("Topic", key="trace_topic", placeholder="e.g. delayed transfers of care")
    topic = (st.session_state.trace_topic or "").strip()
    if not topic:
        st.caption("Every meeting that touched the topic, in date order, with its best passages.")
        return
    if not available("boardpapers.index.trace"):
        st.info("Trace is not available in this build yet (index/trace.py is missing).")
        return
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
    terms = query_terms(topic, res.get("notes") or ())
    for mi, m in enumerate(meetings):
        render_meeting(index, m, mi, terms, expanded=mi == len(meetings) - 1)


def render_meeting(index, m: dict, mi: int, terms: list[str], expanded: bool) -> None:
    """One meeting of the trace: an expander titled with its date, body and counts, holding its passages."""
    hits = m.get("hits") or []
    further = m.get("further") or []
    n = int(m.get("passages") or len(hits))
    decisions = m.get("decisions")
    dec = int(decisions) if decisions is not None else sum(1 for h in hits if h.get("is_decision"))
    title = (
        f"{m.get('meeting_date') or 'undated papers'} · {m.get('council') or '?'} · {m.get('body') or '?'} — "
        f"{n} matching passage{'s' * (n != 1)}" + (f", {dec} decision{'s' * (dec != 1)}" if dec else "")
    )
    with st.expander(title, expanded=expanded):
        if m.get("items"):
            html_block("Agenda items: " + esc("; ".join(m["items"][:6])) + (" …" if len(m["items"]) > 6 else ""), "bp-also")
        st.caption(
            "Passages from this meeting (what search lists first of it, then the best that add something new; decisions shown first):"
            if len(hits) > 1
            else "Best passage from this meeting:"
        )
        for hi, h in enumerate(hits):
            render_hit(index, h, terms, key=f"t-{mi}-{hi}-{h['passage_id']}")
        if further:
            if st.toggle(f"Show the {len(further)} other matching passage{'s' * (len(further) != 1)}", key=f"more-{mi}"):
                for hi, h in enumerate(further):
                    render_hit(index, h, terms, key=f"tf-{mi}-{hi}-{h['passage_id']}")
        # a short timeline's room: passages of this meeting the judge found related, marked as not matches
        render_related(index, m.get("related") or [], terms, "Related passages at this meeting — not judged matches:", key=f"tr-{mi}")


def _mention(v, meetings: list[dict], pos: int) -> str:
    if isinstance(v, dict):
        return str(v.get("meeting_date") or "—")
    if v:
        return str(v)
    dated = [m for m in meetings if m.get("meeting_date")]
    return str(dated[pos]["meeting_date"]) if dated else "—"


# Tableau's 10 colours, then their light partners: distinct to the eye, and still told apart in the legend's order
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
)  # fmt: skip


def who(m: dict) -> str:
    """A meeting's body with its council: two councils' "Health and Wellbeing Board" are two bodies."""
    council, body = m.get("council") or "", m.get("body") or "unknown body"
    return f"{body} · {council}" if council else body


def timeline_chart(meetings: list[dict]):
    """The chart of matching passages per dated meeting, one colour per council and body (None: no dated meeting)."""
    import altair as alt
    import pandas as pd

    rows = [
        {"meeting": m["meeting_date"], "who": who(m), "council": m.get("council") or "", "body": m.get("body") or "unknown",
         "hits": int(m.get("passages") or len(m.get("hits") or []))}
        for m in meetings
        if m.get("meeting_date")
    ]  # fmt: skip
    if not rows:
        return None
    df = pd.DataFrame(rows)
    df["meeting"] = pd.to_datetime(df["meeting"], errors="coerce")
    df = df.dropna(subset=["meeting"])
    groups = sorted(set(df["who"]))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(groups))]  # distinct up to 20 bodies
    base = alt.Chart(df).encode(
        x=alt.X("meeting:T", title="Meeting date", axis=date_axis(df["meeting"]), scale=alt.Scale(padding=24)),
        y=alt.Y("sum(hits):Q", title="Passages"),
    )
    bars = base.mark_bar(size=16).encode(
        color=alt.Color(
            "who:N",
            title="Body · council",
            scale=alt.Scale(domain=groups, range=colours),
            legend=alt.Legend(orient="bottom", columns=1, labelLimit=500),
        ),
        tooltip=[
            alt.Tooltip("meeting:T", title="Meeting", format="%d %b %Y"),
            "council:N",
            "body:N",
            alt.Tooltip("hits:Q", title="Passages"),
        ],
    )
    labels = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("sum(hits):Q"))
    return (bars + labels).properties(height=260)


SHORT_SPAN_DAYS = 120  # a trace spanning fewer days gets weekly ticks labelled by day (``date_axis``)


def date_axis(dates):
    """The time axis of the chart: ticks a month apart labelled "Jan 2025" over a long span; over a few months, ticks
    a week apart labelled with the day (months would label every tick of a three-week span "Jan 2025")."""
    import altair as alt

    if (dates.max() - dates.min()).days > SHORT_SPAN_DAYS:
        return alt.Axis(format="%b %Y", labelAngle=0, tickCount={"interval": "month", "step": 1}, labelOverlap=True)
    return alt.Axis(format="%d %b %Y", labelAngle=0, tickCount={"interval": "week", "step": 1}, labelOverlap=True)


def render_timeline(meetings: list[dict]) -> None:
    chart = timeline_chart(meetings)
    if chart is None:
        st.caption("No dated meetings to chart.")
        return
    st.altair_chart(chart, width="stretch")
    undated = sum(1 for m in meetings if not m.get("meeting_date"))
    if undated:
        st.caption(f"{undated} undated meeting{'s' * (undated != 1)} not on the chart.")
