"""Find a document's meeting metadata and its structure (agenda items, minutes, decisions) from its text.

Everything here works on the text itself; file names are never consulted. The PDF's own
title/subject and its running header (removed from passage text by the loader) are used as
hints, because they are part of the document.

``analyse`` walks the document's lines once. What stays fixed for the document (its metadata, agenda items and
report cover sheets) lives in a ``_Walk``; what changes from line to line (the item whose papers run, the minutes and
minute being read, a decision, the nearest heading) lives in a ``Cursor``. Each line takes its segment attributes from
the cursor, and runs of lines with the same attributes become ``Segment``s. The recognisers live apart: ``docmeta``
(council, body, date, type), ``agenda`` (the item list and divider pages), ``minutes`` (minutes, entries, decisions),
``reports`` (report cover sheets), ``headings`` (headings and title case), ``lines`` (the text as lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .agenda import AGENDA_ITEM_MARK_RE, APPENDIX_MARK_RE, AgendaItem, heading_names, parse_agenda, title_tokens
from .dates import first_date
from .docmeta import DocMeta, document_meta
from .headings import is_heading, smart_title
from .lines import Line, split_lines
from .minutes import DECISION_RE, MINUTES_END_RE, MINUTES_LINE_RE, MINUTES_START_RE, NARRATED_DECISION_RE, minute_entry
from .model import LoadedDocument
from .reports import report_starts

PARSER_VERSION = "structure-16"  # 16: a record paper's reasons and alternatives considered (ingest/records.py record_field); 15: decision notices as other councils title them ("EXECUTIVE DECISION NOTICE", "Decision taken:", "Decision maker:", ingest/records.py); 14: vote counts in the outcome's sentence ("carried (For: 5, Against: 2)") and counts printed under an outcome line are one vote (ingest/decisions.py); 13: dates written "2023-03-14", "14.03.2023" and "the 14th day of March 2023" (ingest/dates.py); 12: an agenda item's "(Pages 5 - 16)" on its own line read as its pages, not its title (ingest/agenda.py); 11: a cover sheet's "Title:" / "Report title:" and "Report to:" / "Decision maker:" (ingest/titles.py, docmeta.py); 10: minute references as printed ("PC/23/12", "12/23"), a minutes document headed "Minutes" alone, a title-case body line and a "<Place> Council" heading (ingest/docmeta.py); 9: minutes that name their body first ("Minutes of the Cabinet held on ...", ingest/minutes.py MINUTES_START_RE, ingest/docmeta.py); 8: decision labels in title case and "It was resolved that" (ingest/minutes.py DECISION_LABEL); 7: a council named only past the first pages is not the paper's (ingest/docmeta.py _council); 6: a decision narrated in minutes ("The Board confirmed that ...") is one (ingest/minutes.py NARRATED_DECISION_RE); 5: a paragraph's short last sentence stays in its passage (ingest/chunk.py ORPHAN_TOKENS); 4: decision records and recorded votes (ingest/decisions.py), a vote one passage; 3: passage document types (appendices in packs), meeting dates never guessed for reports


# ---------------------------------------------------------------------------
# Segments: runs of lines that share item / minute / meeting / decision


@dataclass
class Segment:
    start: int  # char offsets into the document text
    end: int
    kind: str  # agenda | minutes | report | appendix | other
    item: str | None
    minute_number: str | None
    meeting_date: str | None
    is_decision: bool
    heading: str | None = None  # nearest heading inside the item (context)


@dataclass
class Structure:
    meta: DocMeta
    items: list[AgendaItem]
    segments: list[Segment]
    minutes_dates: list[str] = field(default_factory=list)


_APPENDIX_HEAD_RE = re.compile(r"^\s*(?:appendix|annex|annexe)\s+(?:[A-Z]{1,2}|\d{1,2})\b", re.I)

# a line's segment attributes: (kind, item label, minute number, meeting date, is decision, heading)
_Attrs = tuple[str, str | None, str | None, str | None, bool, str | None]


def analyse(doc: LoadedDocument, text: str, page_starts: list[int]) -> Structure:
    """Metadata plus segments covering ``text`` (the pages joined, page i starting at page_starts[i])."""
    meta = document_meta(doc, text)
    lines = split_lines(text, page_starts)
    items, body_start = _agenda(meta, lines, _papers_start(lines, meta.doc_type == "minutes"))
    walk = _Walk(meta, lines, items, body_start)
    seg_attrs = [walk.line(k, ln) for k, ln in enumerate(lines)]
    return Structure(meta=meta, items=items, segments=_segments(lines, seg_attrs), minutes_dates=walk.minutes_dates)


def _papers_start(lines: list[Line], minutes_doc: bool = False) -> int:
    """Where the body (papers after the agenda) begins: minutes, or an appendix / agenda item divider page. A minutes
    document headed only 'Minutes' (its body and date on the lines above) begins there, or else at its first line."""
    for k, ln in enumerate(lines):
        s = ln.text
        if MINUTES_START_RE.match(s) or ((APPENDIX_MARK_RE.match(s) or AGENDA_ITEM_MARK_RE.match(s)) and ln.page_lines <= 3):
            return k
        if minutes_doc and MINUTES_LINE_RE.fullmatch(s.strip()):
            return k
    return 0 if minutes_doc else len(lines)


def _agenda(meta: DocMeta, lines: list[Line], body_start: int) -> tuple[list[AgendaItem], int]:
    """The agenda items listed before ``body_start``, and where the papers begin."""
    agenda_lines = [ln.text for ln in lines[:body_start]]
    has_agenda = meta.doc_type in ("agenda", "supplement") or any(re.fullmatch(r"\s*agenda\s*", t, re.I) for t in agenda_lines[:400])
    items: list[AgendaItem] = []
    if has_agenda:
        items, agenda_end = parse_agenda(agenda_lines, [ln.page_idx for ln in lines[:body_start]])
        if items and agenda_end < body_start:
            body_start = agenda_end  # no divider page: the papers begin after the last agenda item
    return items, body_start


def _segments(lines: list[Line], seg_attrs: list[_Attrs]) -> list[Segment]:
    """Runs of lines with the same attributes, as segments."""
    segments: list[Segment] = []
    for ln, attrs in zip(lines, seg_attrs):
        last = segments[-1] if segments else None
        if last and (last.kind, last.item, last.minute_number, last.meeting_date, last.is_decision, last.heading) == attrs:
            last.end = ln.end
        elif (
            last
            and (last.kind, last.item, last.minute_number, last.meeting_date, last.is_decision) == attrs[:5]
            and last.end - last.start < 160
        ):
            # a run of headings with almost no text under them joins the section they introduce
            last.end, last.heading = ln.end, attrs[5]
        else:
            segments.append(Segment(ln.start, ln.end, attrs[0], attrs[1], attrs[2], attrs[3], attrs[4], attrs[5]))
    return segments


# ---------------------------------------------------------------------------
# The walk over the lines


@dataclass
class Cursor:
    """Where the walk stands: the agenda item whose papers run, the minutes and minute being read, whether a decision
    is being recorded, the nearest heading."""

    doc_is_minutes: bool  # the whole document is minutes (not a pack that holds some)
    kind: str  # agenda | minutes | report | appendix
    in_minutes: bool
    minutes_date: str | None  # the date of the meeting whose minutes are being read
    item: AgendaItem | None = None
    item_label: str | None = None  # the item's label, or a divider's or report's name when no listed item matches
    heading: str | None = None
    minute_no: str | None = None
    minute_title: str | None = None
    last_minute: int = 0  # number of the last minute entry in these minutes
    in_decision: bool = False
    minutes_closed: bool = False  # a minutes document's own minutes have ended (papers may follow)
    last_minutes_item: int = -1  # index of the agenda item that carried the last minutes

    def open_item(self, item: AgendaItem | None, label: str | None) -> None:
        self.item, self.item_label = item, label

    def leave_minutes(self) -> None:
        self.in_minutes, self.in_decision, self.minute_no, self.minute_title = False, False, None, None

    def start_report(self) -> None:
        """A report's papers begin; minutes inside a pack end there (a minutes document's never do)."""
        if not self.doc_is_minutes:
            self.leave_minutes()
        self.kind = "report"

    def start_minutes(self, date: str | None) -> None:
        self.in_minutes, self.in_decision, self.minute_no, self.minute_title, self.last_minute = True, False, None, None, 0
        self.minutes_closed = False
        self.minutes_date = date
        self.kind = "minutes"

    def start_minute(self, number: int, title: str, ref: str) -> None:
        self.last_minute = number
        self.minute_no = ref  # as printed: '45', 'PC/23/12'
        self.minute_title = smart_title(title.rstrip(". "))
        self.in_decision = False

    def end_minutes(self) -> None:
        """The meeting closed: a minutes document's minutes are closed; minutes inside a pack give way to its papers."""
        if self.doc_is_minutes:
            self.in_decision, self.minutes_closed = False, True
            self.minute_no, self.minute_title = None, None
        else:
            self.leave_minutes()
            self.kind = "report"

    def attrs(self, kind: str, meeting_date: str | None) -> _Attrs:
        """The segment attributes of the current line (``kind`` and ``meeting_date`` outside minutes)."""
        if self.in_minutes:
            label = f"Minute {self.minute_no}: {self.minute_title}" if self.minute_no else (self.item_label or "Minutes")
            if self.item_label and self.minute_no and not self.doc_is_minutes:
                label = f"{self.item_label} — {label}"
            return ("minutes", label, self.minute_no, self.minutes_date, self.in_decision, None)
        return (kind, self.item_label, None, meeting_date, False, self.heading)


class _Walk:
    """One pass over a document's lines: what is fixed for the document, and the ``Cursor`` that moves."""

    def __init__(self, meta: DocMeta, lines: list[Line], items: list[AgendaItem], body_start: int) -> None:
        self.meta, self.lines, self.items, self.body_start = meta, lines, items, body_start
        self.paper_items = [it for it in items if it.has_papers]
        self.by_number = {it.number: it for it in items}
        self.by_appendix = {it.appendix: it for it in items if it.appendix}
        self.report_starts = report_starts(lines)
        self.first_papers = next((it for it in items if it.appendix or it.pages), None)
        self.minutes_dates: list[str] = []
        doc_is_minutes = meta.doc_type == "minutes"
        self.cur = Cursor(
            doc_is_minutes=doc_is_minutes,
            kind="agenda" if items else ("minutes" if doc_is_minutes else "report"),
            in_minutes=doc_is_minutes,
            minutes_date=meta.meeting_date if doc_is_minutes else None,
        )

    def item_index(self, it: AgendaItem | None) -> int:
        return self.items.index(it) if it in self.items else -1

    def line(self, k: int, ln: Line) -> _Attrs:
        """Line ``k``'s segment attributes, after the sections it opens; then the minutes it closes."""
        cur, s = self.cur, ln.text
        if k == self.body_start and cur.item is None and self.first_papers is not None and not MINUTES_START_RE.match(s):
            cur.open_item(self.first_papers, self.first_papers.label())
            cur.kind = "report"
        if k >= self.body_start and s.strip():
            self.new_section(k, ln)
        kind = cur.kind if k >= self.body_start else ("agenda" if self.items else cur.kind)
        attrs = cur.attrs(kind, self.meta.meeting_date)
        if cur.in_minutes and MINUTES_END_RE.search(s):
            cur.end_minutes()
        return attrs

    def new_section(self, k: int, ln: Line) -> None:
        """Move the cursor for a non-empty line of the papers: a divider page, a report's cover sheet, minutes, a
        minute entry, a heading that names a later item, a decision, a heading."""
        cur, s = self.cur, ln.text
        stripped = s.strip()
        newitem = self.marked_item(ln)
        if k in self.report_starts and (not cur.in_minutes or cur.minutes_closed or not cur.doc_is_minutes):
            newitem = self.report_item(k, newitem)
        if newitem is not None and self.item_index(newitem) > self.item_index(cur.item):
            # a report's own title (its cover sheet's) heads its first section
            cur.open_item(newitem, newitem.label())
            cur.heading = self.report_starts.get(k)
            cur.start_report()
        elif MINUTES_START_RE.match(s):
            self.minutes_start(k)
        elif cur.in_minutes and not cur.minutes_closed:
            entry = minute_entry(s, [x.text for x in self.lines[k + 1 : k + 4]], cur.last_minute)
            if entry:
                cur.start_minute(*entry)
        elif not cur.in_minutes and self.paper_items and self.may_head(k, stripped):
            self.item_heading(k, stripped)
        if cur.in_minutes and (DECISION_RE.search(s) or NARRATED_DECISION_RE.match(s)):
            cur.in_decision = True
        if self.items and cur.kind == "report" and not cur.in_minutes and ln.pos_in_page <= 1 and _APPENDIX_HEAD_RE.match(s):
            cur.kind = "appendix"  # an appendix's first page inside a pack: its papers run until the next report or item
        if cur.kind in ("report", "appendix") and not cur.in_minutes and is_heading(stripped) and k not in self.report_starts:
            cur.heading = smart_title(stripped)

    def marked_item(self, ln: Line) -> AgendaItem | None:
        """The listed item an 'Appendix B' / 'Agenda Item 7' divider page opens; an unlisted item's divider starts its
        papers here and gives None."""
        am = APPENDIX_MARK_RE.match(ln.text)
        im = AGENDA_ITEM_MARK_RE.match(ln.text)
        if am and ln.page_lines <= 3 and am.group(1).upper() in self.by_appendix:
            return self.by_appendix[am.group(1).upper()]
        if im and ln.pos_in_page <= 1 and int(im.group(1)) in self.by_number:
            return self.by_number[int(im.group(1))]
        if im and ln.pos_in_page <= 1:
            self.cur.open_item(None, f"Agenda Item {im.group(1)}")
            self.cur.leave_minutes()
            self.cur.kind = "report"
        return None

    def report_item(self, k: int, newitem: AgendaItem | None) -> AgendaItem | None:
        """The item whose papers a report's cover sheet at line ``k`` opens (else ``newitem``); with no item to
        match, the report's title names its papers or heads the current item's."""
        cur = self.cur
        title = self.report_starts[k]
        toks = title_tokens(title)
        later = [it for it in self.paper_items if self.item_index(it) > self.item_index(cur.item)]
        named = [it for it in later if len(title_tokens(it.title) & toks) >= max(1, 0.6 * len(title_tokens(it.title)))]
        if named:
            return named[0]
        if (
            later
            and cur.item is not None
            and (
                title_tokens(later[0].title) & toks
                or not (title_tokens(cur.item.title) & toks or any(title_tokens(it.title) & toks for it in later[1:]))
            )
        ):
            # a new report's cover sheet while an item's papers run: the papers of the next item, when its
            # title shares a word with the report's ('LSCB Annual Report' for 'Local Children's
            # Safeguarding Annual Report') or no item's title does
            return later[0]
        if not self.paper_items:
            cur.open_item(None, title)
            cur.heading = None
            cur.start_report()
        else:
            cur.heading = title
        return newitem

    def minutes_start(self, k: int) -> None:
        """'Minutes of the meeting of ...' at line ``k``: the minutes of the meeting dated just after it."""
        cur = self.cur
        look = " ".join(x.text for x in self.lines[k : k + 6])
        d = first_date(look)
        cur.start_minutes(d or self.meta.meeting_date)
        if d:
            self.minutes_dates.append(d)
        # the agenda item that carries these minutes
        for it in self.items:
            if "minute" in it.title.lower() and self.item_index(it) > cur.last_minutes_item:
                cur.open_item(it, it.label())
                cur.last_minutes_item = self.item_index(it)
                break

    def may_head(self, k: int, stripped: str) -> bool:
        """Line ``k`` could be a report's heading: short, capitalised or numbered, after a break, a full stop, a colon,
        a page break or a capitalised line."""
        lines = self.lines
        return (
            len(stripped) < 140
            and (stripped[0].isupper() or stripped[0].isdigit())
            and (
                k == 0
                or not lines[k - 1].text.strip()
                or lines[k - 1].text.rstrip().endswith((".", ":", ")"))
                or lines[k - 1].page_idx != lines[k].page_idx
                or lines[k - 1].text.strip().isupper()
            )
        )

    def item_heading(self, k: int, stripped: str) -> None:
        """A report's heading that names a later agenda item starts that item's papers."""
        ci = self.item_index(self.cur.item)
        for it in self.paper_items:
            if self.item_index(it) <= ci:
                continue
            if heading_names(it, " ".join(x.text for x in self.lines[k : k + 3]), stripped):
                self.cur.open_item(it, it.label())
                self.cur.heading = None
                self.cur.kind = "report"
                break
