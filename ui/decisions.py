"""The Decisions view: the register of decisions taken in the minutes (index.decisions), newest first or ranked by a
search, with outcomes and recorded vote counts; one decision in full (motion, resolution, proposer and seconder, who
voted which way, the reports it considered) with a button that opens the minute at its page (ui.source); and one
member's voting record. The table and the record download as CSV and JSON Lines.

Every piece of document text goes through ``esc()`` or a widget that renders plain text (tables, code blocks).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import streamlit as st

from boardpapers.index.errors import IndexError_
from boardpapers.index.export import CSV_FILE_ENCODING
from boardpapers.index.query import QueryError
from boardpapers.ui.source import render_source
from boardpapers.ui.state import available, run_register
from boardpapers.ui.text import esc, highlight, html_block, query_terms

OUTCOMES = ("carried", "lost", "noted", "deferred", "withdrawn", "proposed")
POSITIONS = (("for", "For"), ("against", "Against"), ("abstain", "Abstain"))
TABLE_KEY = "dec-table"
VOTES_KEY = "votes-table"

CSS = """
<style>
.bp-out {display: inline-block; color: #fff; font-size: 0.72rem; font-weight: 700; letter-spacing: .05em;
  padding: 1px 7px; border-radius: 4px; margin-right: 6px; vertical-align: 1px; background: #475569;}
.bp-out-carried {background: #166534;} .bp-out-lost {background: #991b1b;} .bp-out-deferred {background: #92400e;}
.bp-out-proposed {background: #1e3a8a;} .bp-out-withdrawn {background: #64748b;}
.bp-kind {color: #475569; font-size: 0.8rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em;}
.bp-dtitle {font-size: 1.1rem; font-weight: 600; overflow-wrap: anywhere;}
.bp-names {font-size: 0.88rem; line-height: 1.5; overflow-wrap: anywhere;}
</style>
"""


def view_decisions(index, index_key: str, ft: tuple) -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    st.subheader("Decision register")
    if not available("boardpapers.index.decisions"):
        st.info("The decision register is not available in this build yet (index/decisions.py is missing).")
        return
    c1, c2 = st.columns([3, 1])
    c1.text_input("Search decisions", key="dec_query", placeholder="e.g. devolution, library opening hours")
    c2.selectbox("Outcome", ["All outcomes", *OUTCOMES], key="dec_outcome")
    query = (st.session_state.get("dec_query") or "").strip()
    outcome = None if st.session_state.get("dec_outcome") in (None, "All outcomes") else st.session_state.dec_outcome
    rft = register_filters(ft)
    try:
        with st.spinner("Reading the register…"):
            reg = run_register(index, index_key, query, rft, outcome, None)
    except QueryError as exc:
        st.warning(str(exc))
        return
    except IndexError_ as exc:
        st.error(str(exc))
        return
    tab_dec, tab_member = st.tabs(["Decisions", "Member voting record"])
    with tab_dec:
        render_register(index, reg["decisions"], reg["matches"], reg["notes"], query, (query, rft, outcome))
    with tab_member:
        render_member(index, index_key, reg["decisions"], query, rft, outcome)


def register_filters(ft: tuple) -> tuple:
    """The sidebar's filters that apply to decisions: council, body and meeting dates (not document type, not
    "decisions only", which every row of the register is)."""
    council, body, since, until = ft[:4]
    return (council, body, since, until, None, False)


# ------------------------------------------------------------------ the register


def render_register(index, decisions: list[dict], matches: int, notes: list, query: str, sig: tuple) -> None:
    """Count line, downloads, the table (one row selectable) and the selected decision in full."""
    if not decisions:
        st.info(
            "No decision matches this search or these filters. Try other words or clear some filters."
            if query or any(sig[1]) or sig[2]
            else "The index holds no decisions yet: they are read from minutes (RESOLVED / AGREED blocks, recorded "
            "votes) and Record of Decision papers when papers are ingested."
        )
        return
    order = f"ranked by relevance to “{esc(query)}”" if query else "newest meeting first"
    n = max(matches or 0, len(decisions))
    st.markdown(f"**{n:,} decision{'s' * (n != 1)}** · {order}", unsafe_allow_html=True)
    if notes:
        st.caption("Query expanded: " + esc("; ".join(map(str, notes))), unsafe_allow_html=True)
    render_downloads(decisions, slug(query or "register"), "dec", "decisions")
    if st.session_state.get("dec_sig") != sig:  # a new search: the old selection points at another list
        st.session_state.dec_sig = sig
        st.session_state.pop(TABLE_KEY, None)
    rows = selectable_table(decisions_frame(decisions), TABLE_KEY, table_columns())
    pick = rows[0] if rows and 0 <= rows[0] < len(decisions) else 0
    if not rows:
        st.caption("Select a row to see that decision in full; the first is shown.")
    render_decision(index, decisions[pick], query_terms(query), "dec")


def meeting_columns(rows: list[dict]) -> dict[str, list]:
    """The columns both tables open with: the meeting's date and body, the minute (or decision number), the title."""
    return {
        "date": [r.get("meeting_date") for r in rows],
        "body": [r.get("body") for r in rows],
        "minute": [r.get("minute_number") or r.get("decision_no") for r in rows],
        "title": [r.get("title") for r in rows],
    }


def decisions_frame(decisions: list[dict]):
    import pandas as pd

    return pd.DataFrame(
        {
            **meeting_columns(decisions),
            "kind": [kind_label(d) for d in decisions],
            "outcome": [f"{d.get('outcome')} · unanimous" if d.get("unanimous") else d.get("outcome") for d in decisions],
            "for": pd.array([d.get("for_count") for d in decisions], dtype="Int64"),
            "against": pd.array([d.get("against_count") for d in decisions], dtype="Int64"),
            "abstain": pd.array([d.get("abstain_count") for d in decisions], dtype="Int64"),
        }
    )


def table_columns() -> dict:
    col = st.column_config
    return {
        "date": col.TextColumn("Date", width="small"),
        "body": col.TextColumn("Body"),
        "minute": col.TextColumn("Minute", width="small"),
        "title": col.TextColumn("Title", width="medium"),
        "kind": col.TextColumn("Kind"),
        "outcome": col.TextColumn("Outcome", width="small"),
        "for": col.NumberColumn("For", width="small"),
        "against": col.NumberColumn("Against", width="small"),
        "abstain": col.NumberColumn("Abstain", width="small"),
    }


def kind_label(d: dict) -> str:
    """'amendment', 'substantive motion', 'resolution', 'record of decision': what was decided or put to the vote."""
    if d.get("kind") == "record":
        return "record of decision"
    return str(d.get("motion_type") or d.get("kind") or "")


# ------------------------------------------------------------------ one decision


def render_decision(index, d: dict, terms: list[str], where: str) -> None:
    """One decision in full: outcome, title, citation, mover, votes, motion, resolution, notes, links, and its source
    when opened here (``where``: the register's tab 'dec' or the member's 'vote', which may show the same decision)."""
    with st.container(border=True, key=f"{where}-{d.get('decision_id')}"):
        out = str(d.get("outcome") or "").lower()
        head = f'<span class="bp-out bp-out-{re.sub(r"[^a-z]", "", out)}">{esc(out.upper() or "NO OUTCOME")}</span>'
        head += f'<span class="bp-kind">{esc(kind_label(d))}</span>'
        if d.get("unanimous"):
            head += ' <span class="bp-kind">· unanimous</span>'
        html_block(head, "bp-cite")
        html_block(esc(d.get("title") or "(untitled)"), "bp-dtitle")
        html_block(esc(d.get("citation") or ""), "bp-cite")
        movers = [f"{w} by {d[f]}" for w, f in (("Proposed", "proposer"), ("seconded", "seconder")) if d.get(f)]
        if movers:
            html_block(esc(", ".join(movers)), "bp-cite")
        render_votes(d)  # how the vote went first, then what it was on
        render_texts(d)
        render_notes(d)
        render_actions(index, d, terms, where)
    opened = st.session_state.get("source") or {}
    if opened.get("decision_id") == d.get("decision_id") and opened.get("opened_in") == where:
        render_source(index)


def render_texts(d: dict) -> None:
    """The motion (or amendment, or recommendation) and the resolution, side by side when there are both."""
    texts = [(label, d[f]) for label, f in (("Motion", "motion"), ("Resolution", "resolution")) if d.get(f)]
    for col, (label, text) in zip(st.columns(len(texts)) if len(texts) > 1 else [st.container()] * len(texts), texts):
        with col:
            st.markdown(f"**{label}**")
            html_block(esc(text), "bp-text")
    for label, f in (("Reasons for the decision", "reasons"), ("Alternatives considered and rejected", "alternatives")):
        if d.get(f):  # a record paper's own fields (ingest/records.py)
            st.markdown(f"**{label}**")
            html_block(esc(d[f]), "bp-text")


def render_votes(d: dict) -> None:
    votes = d.get("votes")
    if not votes:
        return
    st.markdown("**Recorded vote**")
    cols = st.columns(3)
    for col, (pos, label) in zip(cols, POSITIONS):
        v = votes.get(pos)
        with col:
            if not isinstance(v, dict):  # the minutes give no such list: nothing is invented
                st.markdown(f"**{label}** · not recorded")
                continue
            names = list(v.get("names") or [])
            count = v.get("count")
            st.markdown(f"**{label} ({count})**" if count is not None else f"**{label}** · {len(names)} named, no count printed")
            marked = [d["member"]] if d.get("member") else []  # a member's vote: their name marked
            html_block(highlight(", ".join(names), marked) if names else "<i>no names listed</i>", "bp-names")


def render_notes(d: dict) -> None:
    """Parser warnings (a count that differs from the names listed), other copies, the reports considered."""
    for w in d.get("warnings") or []:
        html_block("⚠ " + esc(w), "bp-also")
    if d.get("also_in"):
        also = "; ".join(
            f"{x.get('doc_title') or Path(x.get('path') or '').name}" + (f" (p. {x['page']})" if x.get("page") is not None else "")
            for x in d["also_in"]
        )
        html_block("also in: " + esc(also), "bp-also")
    if d.get("reports"):
        reports = "; ".join(str(r.get("doc_title") or Path(r.get("path") or "").name) for r in d["reports"])
        html_block("reports considered: " + esc(reports), "bp-also")


def render_actions(index, d: dict, terms: list[str], where: str) -> None:
    c1, c2 = st.columns([1, 3])
    with c1:
        if st.button("Open source", key=f"open-{where}-{d.get('decision_id')}", help="Show the minute at its page"):
            st.session_state.source = {**source_hit(index, d), "opened_in": where}
            st.session_state.source_terms = terms
            st.rerun()
    with c2:
        with st.expander("Copy citation"):
            st.code(d.get("citation") or "", language=None, wrap_lines=True)


def passage_seq(passage_id: str | None) -> int | None:
    """The position in its document of a passage id (f"{doc_id[:16]}-{seq:05d}")."""
    m = re.search(r"-(\d+)$", passage_id or "")
    return int(m.group(1)) if m else None


def source_hit(index, d: dict) -> dict:
    """The decision as the source viewer opens a hit: its first passage, the decision's pages, the record's text
    (resolution, else motion) to mark on the page."""
    seq = passage_seq(d.get("passage_id"))
    passage = index.store.passage_at(d["doc_id"], seq) if seq is not None and d.get("doc_id") else None
    text = d.get("resolution") or d.get("motion") or (passage or {}).get("text") or ""
    keep = ("council", "body", "meeting_date", "item", "page", "page_end", "printed_page", "path", "doc_id", "source_url")
    hit = {k: d.get(k) for k in keep}
    hit.update(title=d.get("doc_title"), passage_id=d.get("passage_id"), seq=seq, text=text, decision_id=d.get("decision_id"))
    if hit["page"] is None and passage:
        hit.update(page=passage.get("page"), page_end=passage.get("page_end"))
    return hit


# ------------------------------------------------------------------ a member's votes


def member_names(decisions: list[dict]) -> list[str]:
    """Every name in the vote lists, as the minutes write it, sorted by surname."""
    names = {n for d in decisions for v in (d.get("votes") or {}).values() for n in (v or {}).get("names") or []}
    return sorted(names, key=lambda n: (n.split()[-1].casefold(), n.casefold()))


def render_member(index, index_key: str, decisions: list[dict], query: str, rft: tuple, outcome: str | None) -> None:
    names = member_names(decisions)
    st.selectbox(
        "Member",
        names,
        index=None,
        key="dec_member",
        placeholder="Type or choose a name, e.g. " + (names[0] if names else "Ms Constantine"),
        accept_new_options=True,
        help="Names as the minutes write them. 'Constantine' matches any title; 'Mr R Lehmann' and 'Mr Lehmann' match.",
    )
    member = (st.session_state.get("dec_member") or "").strip()
    if not member:
        st.caption(f"{len(names):,} members are named in the recorded votes listed. Choose one to see how they voted.")
        return
    try:
        votes = run_register(index, index_key, query, rft, outcome, member)["votes"] or []
    except QueryError as exc:  # e.g. a title without a surname
        st.warning(str(exc))
        return
    scope = " on the decisions listed" if query or any(rft) or outcome else ""
    if not votes:
        st.info(f"No recorded vote names {member}{scope}.")
        return
    tally = " · ".join(f"{label} {sum(1 for v in votes if v.get('position') == pos)}" for pos, label in POSITIONS)
    st.markdown(f"**{esc(member)}: {len(votes)} recorded vote{'s' * (len(votes) != 1)}**{esc(scope)} · {tally}", unsafe_allow_html=True)
    render_downloads(votes, slug(member), "votes", "votes")
    if st.session_state.get("votes_sig") != (member, query, rft, outcome):
        st.session_state.votes_sig = (member, query, rft, outcome)
        st.session_state.pop(VOTES_KEY, None)
    rows = selectable_table(votes_frame(votes), VOTES_KEY, votes_columns())
    if rows and 0 <= rows[0] < len(votes):
        render_decision(index, votes[rows[0]], query_terms(query), "vote")
    else:
        st.caption("Select a row to see that decision in full and open the minute.")


def votes_frame(votes: list[dict]):
    import pandas as pd

    return pd.DataFrame(
        {
            **meeting_columns(votes),
            "motion": [kind_label(v) for v in votes],
            "as written": [v.get("member") for v in votes],
            "position": [v.get("position") for v in votes],
            "outcome": [v.get("outcome") for v in votes],
            "motion text": [short(v.get("motion") or v.get("resolution")) for v in votes],
        }
    )


def votes_columns() -> dict:
    col = st.column_config
    named = {"as written": "As written", "motion text": "Motion text"}
    cols = {c: col.TextColumn(named.get(c, c.capitalize()), width="small") for c in ("date", "minute", "position", "outcome")}
    return cols | {c: col.TextColumn(named.get(c, c.capitalize())) for c in ("body", "title", "motion", "as written", "motion text")}


def short(text, n: int = 160) -> str:
    s = re.sub(r"\s+", " ", str(text or "")).strip()
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


# ------------------------------------------------------------------ downloads


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "register"


def rows_csv(rows: list[dict], what: str) -> str:
    """Decisions (``what`` 'decisions') or vote rows ('votes') as the CLI writes them: formula-safe CSV."""
    from boardpapers.index.decisions import DECISION_COLUMNS, VOTE_COLUMNS, decisions_csv

    buf = io.StringIO()
    decisions_csv(rows, buf, VOTE_COLUMNS if what == "votes" else DECISION_COLUMNS)
    return buf.getvalue()


def csv_file(rows: list[dict], what: str) -> bytes:
    """The CSV download: ``rows_csv`` with a UTF-8 byte-order mark, so Excel opens it as UTF-8 (index.export)."""
    return rows_csv(rows, what).encode(CSV_FILE_ENCODING)


def rows_jsonl(rows: list[dict]) -> str:
    from boardpapers.index.decisions import decisions_jsonl

    buf = io.StringIO()
    decisions_jsonl(rows, buf)
    return buf.getvalue()


def render_downloads(rows: list[dict], name: str, key: str, what: str) -> None:
    """CSV (with a byte-order mark, so Excel reads UTF-8) and JSON Lines of every row, not just those on screen."""
    c1, c2, c3 = st.columns([1, 1, 3])
    c1.download_button(
        "⬇ CSV",
        data=csv_file(rows, what),
        file_name=f"boardpapers-{what}-{name}.csv",
        mime="text/csv",
        key=f"dl-{key}-csv",
    )
    c2.download_button(
        "⬇ JSON Lines",
        data=rows_jsonl(rows),
        file_name=f"boardpapers-{what}-{name}.jsonl",
        mime="application/jsonl",
        key=f"dl-{key}-jsonl",
    )
    c3.caption(f"Downloads hold all {len(rows):,} {what} listed, each with its citation.")


def selectable_table(frame, key: str, columns: dict) -> list[int]:
    """A table whose rows can be selected one at a time; the selected row positions (none yet: [])."""
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        placeholder="–",
        column_config=columns,
    )
    return list(getattr(getattr(event, "selection", None), "rows", None) or [])
