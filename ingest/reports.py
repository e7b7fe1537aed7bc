"""Where officers' reports begin inside a pack (their cover sheet or 'REPORT OF' title block) and their titles."""

from __future__ import annotations

import re

from .headings import is_caps_line, smart_title
from .lines import Line
from .minutes import MINUTES_START_RE

_REPORT_OF_RE = re.compile(r"^\s*REPORT\s+(?:OF|BY|FROM)\b")
_PURPOSE_RE = re.compile(r"^\s*(?:\d+\.\s*)?purpose\s+of\s+(?:the\s+)?report\b|^\s*(?:executive\s+)?summary\s*$", re.I)
_AUTHOR_WORDS = re.compile(r"\b(DIRECTOR|CHIEF|OFFICER|EXECUTIVE|HEAD OF|CCG|CCGS|MANAGER|LEAD|CHAIR)\b")
_HAS_DATE = re.compile(
    r"\b(19|20)\d\d\b.*\b(JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER)\b|"
    r"\b(JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER)\b.*\b(19|20)\d\d\b",
    re.I,
)
_MEETING_NAME_RE = re.compile(r"\b(?:BOARD|COMMITTEE|COMMISSION|CABINET|COUNCIL|PANEL|EXECUTIVE|FORUM)\b")
_SUBJECT_RE = re.compile(r"^\s*(?:subject|report title)\s*:\s*(.*)$", re.I)
_COVER_FIELD_RE = re.compile(
    r"^\s*(?:presented|author|report\s+(?:of|by|author)|lead\s+(?:director|member|officer)|wards?\b|date\b|contact|"
    r"executive\s+summary|purpose|summary|recommendation|decision)",
    re.I,
)


def _meeting_line(t: str) -> bool:
    """A cover sheet's meeting line: the body's name in capitals ('LEICESTER CITY HEALTH AND WELLBEING BOARD'),
    often with the date after it."""
    m = _MEETING_NAME_RE.search(t)
    if not m:
        return False
    name = t[: m.end()]
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.9 and len(t.strip()) <= 120


def _cover_starts(lines: list[Line]) -> dict[int, str]:
    """Report cover sheets that do not say 'REPORT OF': the meeting's name (and date) in capitals, then either
    'Subject: <title>' (Leicester City's cover sheets) or the report's title in capitals."""
    out: dict[int, str] = {}
    nonempty = [k for k, ln in enumerate(lines) if ln.text.strip()]
    for n, k in enumerate(nonempty):
        t = lines[k].text
        if not _meeting_line(t) or MINUTES_START_RE.match(t) or _REPORT_OF_RE.match(t):
            continue
        after = [lines[j].text.strip() for j in nonempty[n + 1 : n + 6]]
        title_lines: list[str] = []
        # 'Subject:' within the next two lines (a 'DATE ...' line may sit between)
        subj = next((i for i, a in enumerate(after[:3]) if _SUBJECT_RE.match(a)), None)
        subject = _SUBJECT_RE.match(after[subj]) if subj is not None else None
        if subj is not None and subject and all(_HAS_DATE.search(a) or re.match(r"^date\b", a, re.I) for a in after[:subj]):
            first = subject.group(1).strip()
            rest = after[subj + 1 :] if not first else []
            title_lines = [first] if first else []
            for a in rest[:2]:
                if not a or _COVER_FIELD_RE.match(a) or a.endswith(":"):
                    break
                title_lines.append(a)
        elif _HAS_DATE.search(t):
            for a in after[:2]:
                if (
                    not is_caps_line(a)
                    or _REPORT_OF_RE.match(a)
                    or _HAS_DATE.search(a)
                    or _AUTHOR_WORDS.search(a)
                    or MINUTES_START_RE.match(a)
                    or a.upper().startswith(("MINUTES", "AGENDA", "APPENDIX"))
                ):
                    break
                title_lines.append(a)
        title = " ".join(title_lines).strip()
        if len(re.findall(r"[A-Za-z]{3,}", title)) >= 2:
            out[k] = smart_title(title) if title.isupper() else title
    return out


def report_starts(lines: list[Line]) -> dict[int, str]:
    """Where officers' reports begin (their title block) and their titles.

    A report opens with a block of capitalised lines holding 'REPORT OF <author>', usually the meeting
    name and date, and the title; 'Purpose of the report' follows within a few lines. Cover sheets without
    'REPORT OF' (the meeting's name, then 'Subject: <title>' or the title in capitals) count too.
    """
    out: dict[int, str] = _cover_starts(lines)
    for k, ln in enumerate(lines):
        if not _REPORT_OF_RE.match(ln.text):
            continue
        ahead = [x.text for x in lines[k + 1 : k + 9]]
        if not any(_PURPOSE_RE.match(t) for t in ahead):
            continue
        before = lines[k - 1].text.strip() if k else ""
        title = None
        if before and is_caps_line(before) and not _HAS_DATE.search(before) and not before.endswith(":"):
            title = before
        else:
            after = []
            for t in ahead:
                if _PURPOSE_RE.match(t) or not t.strip():
                    break
                after.append(t.strip())
            cands = [
                t
                for t in after
                if is_caps_line(t) and not re.match(r"^PART\s+[A-Z]\b", t) and not _AUTHOR_WORDS.search(t) and not t.startswith("(")
            ]
            if cands:
                title = cands[-1]
        if not title:
            continue
        start = k
        while start > 0 and k - start < 3 and is_caps_line(lines[start - 1].text):
            start -= 1
        out[start] = smart_title(title)
    return out
