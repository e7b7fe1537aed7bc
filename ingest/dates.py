"""Find and normalise the date forms council papers use ("THURSDAY, 15 DECEMBER 2016", "21st SEPTEMBER 2017")."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAYNAME = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"

# "15 December 2016", "15th December, 2016", "Thursday, 15 DECEMBER 2016", "15-Dec-2016", "the 15th day of December 2016"
DATE_RE = re.compile(
    rf"\b(?:{_DAYNAME},?\s+)?(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+day\s+of)?[\s\-]+({_MONTH_RE})\.?[\s\-,]+((?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# "December 15, 2016" (rare in UK papers, but seen in appendices)
DATE_US_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,\s+((?:19|20)\d\d)\b", re.IGNORECASE)
# "15/12/2016", "15.12.2016" (a four-digit year: "3.1.16" is a paragraph number)
DATE_NUM_RE = re.compile(r"\b(\d{1,2})([/.])(\d{1,2})\2((?:19|20)\d\d)\b")
# "2016-12-15"
DATE_ISO_RE = re.compile(r"\b((?:19|20)\d\d)-(\d{2})-(\d{2})\b")
# "09th-Jan-2025" as in Kent's file names and titles
DATE_DASH_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?-({_MONTH_RE})-((?:19|20)\d\d)\b", re.IGNORECASE)


def _mk(d: str, m: str | int, y: str) -> str | None:
    try:
        month = m if isinstance(m, int) else MONTHS[m.lower().rstrip(".")]
        return date(int(y), month, int(d)).isoformat()
    except (ValueError, KeyError):
        return None


def find_dates(text: str) -> list[tuple[int, str]]:
    """All dates in ``text`` as (offset, ISO date), in order of appearance."""
    out: list[tuple[int, str]] = []
    for m in DATE_RE.finditer(text):
        iso = _mk(m.group(1), m.group(2), m.group(3))
        if iso:
            out.append((m.start(), iso))
    for m in DATE_DASH_RE.finditer(text):
        iso = _mk(m.group(1), m.group(2), m.group(3))
        if iso:
            out.append((m.start(), iso))
    for m in DATE_US_RE.finditer(text):
        iso = _mk(m.group(2), m.group(1), m.group(3))
        if iso:
            out.append((m.start(), iso))
    for m in DATE_NUM_RE.finditer(text):
        iso = _mk(m.group(1), int(m.group(3)), m.group(4))
        if iso:
            out.append((m.start(), iso))
    for m in DATE_ISO_RE.finditer(text):
        iso = _mk(m.group(3), int(m.group(2)), m.group(1))
        if iso:
            out.append((m.start(), iso))
    out.sort()
    return out


def first_date(text: str) -> str | None:
    found = find_dates(text)
    return found[0][1] if found else None


def parse_user_date(value: str) -> str:
    """Validate a YYYY-MM-DD filter value; raises ValueError with a helpful message."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValueError(f"date {value!r} is not in YYYY-MM-DD form (e.g. 2017-01-31)") from None


# --- conversions shared by the index and the front ends: ISO text <-> the yyyymmdd integers the index stores


def date_int(iso: str | None) -> int:
    """'2015-03-03' -> 20150303, the form the index stores and filters on; 0 for a missing or malformed date."""
    if not iso:
        return 0
    try:
        y, m, d = iso.split("-")
        return int(y) * 10000 + int(m) * 100 + int(d)
    except ValueError:
        return 0


def int_date(v: int) -> date | None:
    """20150303 -> date(2015, 3, 3); None for 0 or any number that is not a date."""
    try:
        return date(v // 10000, v // 100 % 100, v % 100)
    except ValueError:
        return None


def date_words(iso: str | None) -> str:
    """'2015-03-03' -> '3 March 2015'; '' for a missing or malformed date.

    People type meeting dates in words and the embedding model matches a query's "March 2015" far better than an
    ISO date, so BM25's text and the passage context line both carry the date in words. (The context line keeps a
    malformed value as it is: ``date_words(v) or v``.)"""
    try:
        d = date.fromisoformat(iso or "")
    except ValueError:
        return ""
    return f"{d.day} {d:%B} {d.year}"
