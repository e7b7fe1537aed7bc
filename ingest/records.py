"""The shell of a decision record (every field, empty), and the record a "(Proposed) Record of Decision" paper makes.

The records of minutes are read by ingest/decisions.py; docs/DATA_MODEL.md lists the fields."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lines import Line
from .structure import Structure

# the heading of a paper that records one decision: Kent's '(PROPOSED) RECORD OF DECISION', and as other councils
# title it: 'EXECUTIVE DECISION NOTICE', 'RECORD OF CABINET MEMBER DECISION', 'OFFICER DECISION RECORD', 'NOTICE OF KEY
# DECISION TAKEN'
RECORD_HEAD = re.compile(
    r"\b(?:(?:PROPOSED\s+)?RECORD\s+OF\s+(?:(?:EXECUTIVE|CABINET(?:\s+MEMBER)?|KEY|OFFICER|DELEGATED)\s+)?DECISION"
    r"|(?:(?:EXECUTIVE|KEY|CABINET(?:\s+MEMBER)?|OFFICER|DELEGATED|INDIVIDUAL)\s+)?DECISION\s+(?:NOTICE|RECORD)"
    r"|NOTICE\s+OF\s+(?:(?:EXECUTIVE|KEY)\s+)?DECISION)\b",
    re.I,
)


@dataclass
class Entry:
    """One minute: its char range, label and number, the meeting it records."""

    start: int
    end: int
    item: str | None
    minute_number: str | None
    meeting_date: str | None


def clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def new_record(kind: str, e: Entry | None, start: int, end: int) -> dict:
    title = None
    if e and e.item:
        m = re.search(r"Minute\s+\S+:\s*(.+)$", e.item)
        title = (m.group(1) if m else e.item).strip().rstrip(".")
    return {
        "seq": 0, "kind": kind, "motion_type": None, "title": title,
        "minute_number": e.minute_number if e else None, "item": e.item if e else None, "agenda_item": None,
        "meeting_date": e.meeting_date if e else None, "paragraph": None, "motion": None, "resolution": None,
        "outcome": None, "proposer": None, "seconder": None, "votes": None, "unanimous": False, "decision_no": None,
        "body": None, "page": None, "page_end": None, "printed_page": None, "char_start": start, "char_end": end,
        "passages": [], "warnings": [],
    }  # fmt: skip


def record_of_decision(lines: list[Line], st: Structure) -> dict | None:
    """The decision a "(Proposed) Record of Decision" paper records: number, title, deciding body and decision text
    (the fields are read from the lines after the paper's heading, which may sit a few pages into a pack)."""
    texts = [ln.text.strip() for ln in lines]
    h = next((i for i, t in enumerate(texts) if RECORD_HEAD.search(t)), None)
    if h is None:
        return None

    def field(label: str, colon: str = ":") -> tuple[int, str] | None:
        for i in range(h, min(len(texts), h + 150)):
            m = re.match(rf"(?:[\w ]{{1,30}}/\s*)?{label}\s*{colon}\s*(.*)$", texts[i], re.I)
            if m:
                val = m.group(1).strip() or next((x for x in texts[i + 1 : i + 4] if x), "")
                return i, val
        return None

    dec = field(r"decision(?:\s+(?:taken|made))?")
    if dec is None:
        return None
    i0 = dec[0]
    stop = re.compile(r"reason(?:s|\(s\))?\s+for\s+(?:the\s+)?decision|background\b|alternative\s+options?\b", re.I)
    i1 = next((i for i in range(i0 + 1, min(len(texts), i0 + 60)) if stop.match(texts[i])), min(len(texts), i0 + 30))
    r = new_record("record", None, lines[h].start, lines[i1 - 1].end)
    r["motion"] = clean(" ".join(texts[i0:i1]))
    r["motion_type"] = "recommendation"
    r["outcome"] = "proposed" if re.search(r"PROPOSED\s+RECORD", texts[h], re.I) else "carried"
    num, title, body = (
        field(r"decision\s+(?:no|number|reference|ref)\.?"),
        field(r"title\s+of\s+decision", ":?") or field(r"(?:title|subject)"),
        field(r"(?:decision\s+(?:to\s+be\s+)?taken\s+by|decision[\s-]+maker)"),
    )
    r["decision_no"] = num[1] if num else None
    r["title"] = clean(" ".join([title[1], *_continued(texts, title[0])])) if title else None
    r["body"] = body[1] if body else None
    r["meeting_date"] = st.meta.meeting_date
    r["reasons"] = record_field(texts, i1, REASONS_LABEL)
    r["alternatives"] = record_field(texts, i1, ALTERNATIVES_LABEL)
    return r


# What a record paper says of why, and of what else was weighed: Kent's 'Reason(s) for decision:' and 'Any
# alternatives considered and rejected:', other councils' 'Reasons for the decision:', 'Alternative options considered
# and rejected:', 'Options (other than that recommended) considered and rejected:'. A field runs to the next label: a
# short line ending in a colon, or one of the headings such papers use ('Background', 'Financial Implications').
REASONS_LABEL = re.compile(r"reasons?(?:\s*\(s\))?\s+for\s+(?:the\s+)?decision\b[^:]{0,20}:?\s*(.*)$", re.I)
ALTERNATIVES_LABEL = re.compile(
    r"(?:any\s+)?(?:alternatives?|(?:alternative\s+)?options?)(?:\s*\((?:other\s+than|excluding)[^)]{0,40}\))?"
    r"\s+(?:considered|rejected)\b[^:]{0,40}:\s*(.*)$",
    re.I,
)
_FIELD_END = re.compile(
    r"(?:\d{1,2}\.?\s+)?(?:background\b|financial\s+implications|legal\s+implications|equalit(?:y|ies)\s+implications|"
    r"data\s+protection|cabinet\s+committee\s+recommendations|any\s+interest\s+declared|(?:any\s+)?alternatives?\s+(?:options\s+)?considered|"
    r"options?\s+(?:\(|considered)|reasons?(?:\s*\(s\))?\s+for\b|consultation\b|signed\b|date\b)",
    re.I,
)
FIELD_CHARS = 1200


def record_field(texts: list[str], start: int, label: re.Pattern) -> str | None:
    """The text of the field ``label`` opens (from line ``start`` on), to the next label, at most FIELD_CHARS."""
    i = next((i for i in range(start, min(len(texts), start + 400)) if label.match(texts[i])), None)
    if i is None:
        return None
    out = [label.match(texts[i]).group(1).strip()]  # type: ignore[union-attr]
    for t in texts[i + 1 : i + 40]:
        if _FIELD_END.match(t) or (t.endswith(":") and len(t) <= 90):
            break
        out.append(t)
    text = clean(" ".join(x for x in out if x))
    return text[:FIELD_CHARS] or None


def _continued(texts: list[str], i: int) -> list[str]:
    """The lines a field's value runs on to ('Revenue and Capital Budget Monitoring Report –' / 'September 2024-2025')."""
    out = []
    for t in texts[i + 1 : i + 3]:
        if not t or re.match(r"[\w /]{1,40}:", t):
            break
        out.append(t)
        if not t.endswith(("–", "-", ",", "and", "of", "the")):
            break
    return out if texts[i].rstrip().endswith(("–", "-", ",", "and", "of", "the")) else []
