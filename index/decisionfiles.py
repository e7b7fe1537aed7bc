"""The decision register (index/decisions.py) as files and one-line citations: CSV (formula-safe, as hit exports are) and
JSON Lines, one decision -- or one member's vote -- a row."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from .export import safe_cell
from .hits import citation

DECISION_COLUMNS = (
    "decision_id",
    "meeting_date",
    "council",
    "body",
    "minute_number",
    "item",
    "agenda_item",
    "paragraph",
    "title",
    "kind",
    "motion_type",
    "outcome",
    "for_count",
    "against_count",
    "abstain_count",
    "unanimous",
    "proposer",
    "seconder",
    "decision_no",
    "motion",
    "resolution",
    "for_names",
    "against_names",
    "abstain_names",
    "page",
    "page_end",
    "printed_page",
    "doc_title",
    "doc_type",
    "path",
    "source_url",
    "passage_id",
    "also_in",
    "reports",
    "warnings",
    "citation",
)
VOTE_COLUMNS = (
    "member",
    "position",
    "meeting_date",
    "council",
    "body",
    "minute_number",
    "paragraph",
    "motion_type",
    "title",
    "outcome",
    "for_count",
    "against_count",
    "abstain_count",
    "motion",
    "resolution",
    "page",
    "doc_title",
    "path",
    "passage_id",
    "decision_id",
    "citation",
)


def minute_label(d: dict) -> str | None:
    """Where in the minutes: "Minute 285: English Devolution White Paper, paragraph 25" (or the decision's number)."""
    label = d.get("item") or (f"Minute {d['minute_number']}" if d.get("minute_number") else None)
    if not label and d.get("decision_no"):
        label = f"Decision {d['decision_no']}"
    label = label or d.get("title")
    if d.get("paragraph"):
        label = f"{label}, paragraph {d['paragraph']}" if label else f"paragraph {d['paragraph']}"
    return label


def decision_citation(d: dict) -> str:
    """One line a user can check: council · body · meeting date · minute (and paragraph) · page · document."""
    return citation({**d, "item": minute_label(d), "title": d.get("doc_title")})


def _cell(d: dict, column: str):
    """The value of one CSV column: lists joined, names of each position's list, references as titles and pages."""
    if column.endswith("_names"):
        held = (d.get("votes") or {}).get(column.removesuffix("_names")) or {}
        return "; ".join(held.get("names") or [])
    if column == "also_in":
        pages = [f" (p. {x['page']})" if x.get("page") is not None else "" for x in d.get("also_in") or []]
        return "; ".join(f"{x.get('doc_title') or x.get('path')}{p}" for x, p in zip(d.get("also_in") or [], pages))
    if column == "reports":
        return "; ".join(str(x.get("doc_title") or x.get("path")) for x in d.get("reports") or [])
    if column == "warnings":
        return "; ".join(d.get("warnings") or [])
    return d.get(column)


def decisions_csv(rows: list[dict], f: TextIO, columns: tuple[str, ...] = DECISION_COLUMNS) -> None:
    """Decisions (or a member's votes, with VOTE_COLUMNS) as CSV with a header row, formula-safe."""
    w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
    w.writerow(columns)
    for d in rows:
        w.writerow([safe_cell(_cell(d, c)) for c in columns])


def decisions_jsonl(rows: list[dict], f: TextIO) -> None:
    """One JSON object a line: each decision (or vote) with every field."""
    for d in rows:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
