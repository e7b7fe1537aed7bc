"""A document's human title from its content: a report's subject, 'Minutes of the Cabinet, 30 January 2025', an
appendix's label and heading ('Appendix L - Treasury Management Strategy'), a pack's own title.

Only the document's text, its PDF title and its running header are read here; a title from the file name is the
meeting-context step's last resort (ingest/context.py), recorded as such."""

from __future__ import annotations

import re

from .dates import date_words
from .headings import smart_title

UNTITLED = "Untitled document"
# PDF titles that name a template or a kind of paper, not the paper
GENERIC_TITLES = {
    "agenda template",
    "untitled",
    "the report",
    "powerpoint presentation",
    "document",
    "report",
    "microsoft word",
    "minutes",
    "agenda",
    "executive decision",
    "record of decision",
    "key decision",
}
_LABEL = r"(appendix|annex|annexe)\s+([A-Z]{1,2}|\d{1,2})\b"  # 'Appendix L', 'Annex 2'
_APPENDIX_RE = re.compile(r"^\s*" + _LABEL + r"\s*[:.–—-]?\s*(.*)$", re.I)
_NAMED_APPENDIX_RE = re.compile(r"\b" + _LABEL, re.I)
# a report's cover sheet: 'Subject: ...', 'Title: ...', 'Report title: ...', 'Title of report: ...'
_SUBJECT_RE = re.compile(r"^\s*(?:Subject|Title|Report [Tt]itle|Title of [Rr]eport):\s*(\S.{3,150})$(?:\n([^:\n]{3,100})$)?", re.M)
_DECISION_TITLE_RE = re.compile(r"^\s*(?:Subject Matter\s*/\s*)?Title of Decision:?[ \t]*(.{0,150})$(?:\n([^:\n]{3,120})$)?", re.M | re.I)
_PACK_RE = re.compile(r"^\(public pack\)\s*", re.I)
_NUM_DATE_RE = re.compile(r",?\s*(\d{2})/(\d{2})/((?:19|20)\d\d)(?:\s+\d{1,2}:\d{2})?\s*$")
_COUNCIL_LINE_RE = re.compile(r"^[A-Za-z' ]+ (City|County|Borough|District|Town|Parish) Council$", re.I)


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip(" -–—:•*#,")


def _heading_line(line: str) -> bool:
    """A line that can be a title: words, not a table row of figures or a council's name alone."""
    s = _clean(line)
    letters = sum(c.isalpha() for c in s)
    return 4 <= len(s) <= 150 and letters >= 0.6 * len(s.replace(" ", "")) and not _COUNCIL_LINE_RE.match(s)


def _appendix_title(first: str, header: str) -> str | None:
    """'Appendix L - Treasury Management Strategy' from an 'Appendix L' running header or first line and the heading
    that follows it."""
    lines = [ln for ln in first.splitlines() if ln.strip()][:12]
    label = None
    rest = ""
    m = _APPENDIX_RE.match(header or "")
    if m:
        label, rest = f"Appendix {m.group(2).upper()}", _clean(m.group(3))
    for k, ln in enumerate(lines[:3]):
        m = _APPENDIX_RE.match(ln)
        if m and label is None:
            label, rest = f"Appendix {m.group(2).upper()}", _clean(m.group(3))
            lines = lines[k + 1 :]
            break
    if label is None:
        return None
    if not rest or not _heading_line(rest):
        rest = next((_clean(ln) for ln in lines if _heading_line(ln) and not _APPENDIX_RE.match(ln)), "")
        # a heading broken over two short lines ('CAPITAL' / 'STRATEGY')
        idx = next((i for i, ln in enumerate(lines) if _clean(ln) == rest), None)
        if rest and idx is not None and " " not in rest and idx + 1 < len(lines) and _heading_line(lines[idx + 1]):
            nxt = _clean(lines[idx + 1])
            if len(nxt) < 40 and nxt.split()[0][:1].isupper():
                rest = f"{rest} {nxt}"
    return f"{label} - {smart_title(rest)[:110]}" if rest else label


def _pack_title(meta_title: str, body: str | None, date: str | None) -> str:
    """A pack's own title without the '(Public Pack)' prefix and with its date in words; else 'Agenda for the Cabinet,
    30 January 2025'."""
    t = _PACK_RE.sub("", meta_title.strip())
    if t and t.lower() not in GENERIC_TITLES:
        t = _NUM_DATE_RE.sub(lambda m: f", {date_words(f'{m.group(3)}-{m.group(2)}-{m.group(1)}')}", t)
        if not re.match(r"^agenda (document|supplement) for\b", t, re.I):
            return t[:200]
    return _meeting_title("Agenda for", body, date)


def _meeting_title(what: str, body: str | None, date: str | None) -> str:
    words = date_words(date)
    name = f"{what} the {body}" if body else what.replace(" for", "").replace(" of", "")
    return f"{name}, {words}" if words else name


def names_appendix(named: str, title: str) -> bool:
    """Whether a file's name calls it an appendix ('Appendix F List of Budget Templates') while the title its content
    gave does not (the first heading-like line of a table: 'Headline Description Brief Description 2025-26'). The
    agenda refers to the paper by that label, so a citation should too."""
    return bool(_NAMED_APPENDIX_RE.search(named)) and not _APPENDIX_RE.match(title)


def document_title(first: str, header: str, meta_title: str, doc_type: str, body: str | None, date: str | None) -> str:
    """The title a person would give the document, from its first pages (``first``), running header and PDF title;
    '' when nothing in it reads as a title."""
    if doc_type == "minutes":
        return _meeting_title("Minutes of", body, date)
    if doc_type in ("agenda", "supplement"):
        return _pack_title(meta_title, body, date)
    subject = _SUBJECT_RE.search(first[:4000])
    if subject:
        return _clean(" ".join(x.strip() for x in subject.groups() if x))[:200]
    decision = _DECISION_TITLE_RE.search(first[:8000])
    if decision:
        what = _clean(" ".join(x.strip() for x in decision.groups() if x))
        if what:
            return f"Record of Decision: {what}"[:200]
    appendix = _appendix_title(first, header)
    if appendix:
        return appendix
    mt = meta_title.strip()
    if mt and mt.lower() not in GENERIC_TITLES and _heading_line(mt):
        shouted = sum(c.isupper() for c in mt) > 0.5 * sum(c.isalpha() for c in mt)
        return (smart_title(_clean(mt).upper()) if shouted else _clean(mt))[:200]
    for line in first.splitlines():
        if _heading_line(line) and re.search(r"[A-Za-z]{3}", line):
            return smart_title(_clean(line))[:120]
    return ""
