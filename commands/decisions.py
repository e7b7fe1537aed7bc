"""decisions: the decision and vote register (index/decisions.py) as text, JSON, JSON Lines or CSV."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from boardpapers.index.decisionfiles import minute_label
from boardpapers.index.decisions import DECISION_COLUMNS, VOTE_COLUMNS, Register, decisions_csv, decisions_jsonl, register
from boardpapers.index.export import CSV_FILE_ENCODING
from boardpapers.index.query import QueryError
from boardpapers.ingest.display import shown_path

from .common import EXIT_OK, CliError, filters, open_index

SHOWN_TEXT = 200  # characters of a resolution or motion in text output


def cmd_decisions(a) -> int:
    idx = open_index(a)
    try:
        reg = register(idx, query=a.query, filters=filters(a), outcome=a.outcome, member=a.member, limit=a.limit, mode=a.mode)
    except QueryError as exc:
        raise CliError(str(exc)) from None
    buf = io.StringIO()
    write_register(reg, a.format, buf)
    if not a.output:
        sys.stdout.write(buf.getvalue())
        return EXIT_OK
    try:
        Path(a.output).write_text(buf.getvalue(), encoding=CSV_FILE_ENCODING if a.format == "csv" else "utf-8", newline="")
    except OSError as exc:
        raise CliError(f"cannot write {a.output}: {exc.strerror}") from None
    rows = reg.votes if reg.member is not None else reg.decisions
    what = "votes" if reg.member is not None else "decisions"
    print(f"wrote {len(rows)} {what} to {shown_path(a.output)}", file=sys.stderr)
    return EXIT_OK


def write_register(reg: Register, fmt: str, out) -> None:
    """The register in ``fmt`` (text | json | jsonl | csv): decisions, or a member's votes when one was asked for."""
    votes = reg.member is not None
    rows = reg.votes if votes else reg.decisions
    if fmt == "json":
        obj = {"query": reg.query, "member": reg.member, "matches": reg.matches, "votes" if votes else "decisions": rows}
        out.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")
    elif fmt == "jsonl":
        decisions_jsonl(rows, out)
    elif fmt == "csv":
        decisions_csv(rows, out, VOTE_COLUMNS if votes else DECISION_COLUMNS)
    elif votes:
        print_votes_text(reg, out)
    else:
        print_decisions_text(reg, out)


def _say(line: str, out) -> None:
    """One line of text output, with names from outside (titles, paths) shown safely on a terminal."""
    out.write(shown_path(line) + "\n")


def _counts(d: dict) -> str:
    if d.get("unanimous"):
        return "unanimous"
    parts = [f"{p.capitalize()} {d[f'{p}_count']}" for p in ("for", "against", "abstain") if d.get(f"{p}_count") is not None]
    return ", ".join(parts)


def _heading(d: dict) -> str:
    """Where the decision is and what about: "Minute 285, paragraph 25: English Devolution White Paper"."""
    if not d.get("minute_number") and not d.get("decision_no"):
        return minute_label(d) or d.get("title") or ""
    return ": ".join(x for x in (minute_label({**d, "item": None, "title": None}), d.get("title")) if x)


def print_decisions_text(reg: Register, out) -> None:
    if not reg.decisions:
        _say("no decisions match" + (f" {reg.query!r}" if reg.query else ""), out)
        return
    if reg.notes:
        _say("(query expanded: " + "; ".join(reg.notes) + ")", out)
    n = reg.matches
    head = f"{n:,} decision{'s' if n != 1 else ''}" + (f" match{'es' if n == 1 else ''} {reg.query!r}" if reg.query else "")
    _say(head + (f"; showing {len(reg.decisions)}" if len(reg.decisions) < n else ""), out)
    for d in reg.decisions:
        out.write("\n")
        _say(f"{d.get('meeting_date') or '????-??-??'}  {d.get('body') or '?'} · {_heading(d)}", out)
        what = d.get("motion_type") or d.get("kind") or "decision"
        counts = _counts(d)
        _say(f"   {what}: {d.get('outcome') or '?'}" + (f"  ({counts})" if counts else ""), out)
        text = " ".join(str(d.get("resolution") or d.get("motion") or "").split())
        if text:
            _say("   " + text[:SHOWN_TEXT] + ("…" if len(text) > SHOWN_TEXT else ""), out)
        for label, key in (("reasons", "reasons"), ("alternatives rejected", "alternatives")):  # a record paper's own
            said = " ".join(str(d.get(key) or "").split())
            if said:
                _say(f"   {label}: " + said[:SHOWN_TEXT] + ("…" if len(said) > SHOWN_TEXT else ""), out)
        _say(f"   {d['citation']}", out)
        for x in d.get("also_in") or []:
            where = [str(x.get("path") or "").replace("\\", "/").rsplit("/", 1)[-1]] + (
                [f"p. {x['page']}"] if x.get("page") is not None else []
            )
            _say(f"   also in: {x.get('doc_title') or '?'} ({', '.join(w for w in where if w)})", out)
        if d.get("reports"):
            _say("   reports: " + "; ".join(str(r.get("doc_title")) for r in d["reports"]), out)


def print_votes_text(reg: Register, out) -> None:
    n = reg.matches
    if not n:
        _say(f"{reg.member} — no recorded votes match", out)
        return
    _say(
        f"{reg.member} — {n:,} recorded vote{'s' if n != 1 else ''}" + (f"; showing {len(reg.votes)}" if len(reg.votes) < n else ""),
        out,
    )
    for v in reg.votes:
        place = minute_label({**v, "item": None, "title": None}) or ""
        what = f"{v.get('motion_type') or v.get('kind') or 'decision'}: {v.get('title') or '?'}"
        _say(
            f"{v.get('meeting_date') or '????-??-??'}  {v.get('body') or '?'}  {place}  {what} — {v['position']} "
            f"({v['member']}; {v.get('outcome') or '?'})",
            out,
        )
