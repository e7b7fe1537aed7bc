"""Find a document's meeting metadata and its structure (agenda items, minutes, decisions) from its text.

Everything here works on the text itself; file names are never consulted. The PDF's own
title/subject and its running header (removed from passage text by the loader) are used as
hints, because they are part of the document.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .dates import first_date
from .model import LoadedDocument

PARSER_VERSION = "structure-2"

_SMALL = {"and", "of", "the", "for", "in", "on", "to", "a", "an", "with", "at", "by", "or", "upon"}

BODY_WORDS = (
    r"Board|Committee|Sub-Committee|Commission|Cabinet|Panel|Forum|Executive|Council|"
    r"Partnership|Group|Assembly|Authority"
)
BODY_RE = re.compile(rf"\b(?:{BODY_WORDS})\b", re.IGNORECASE)
COUNCIL_RE = re.compile(
    r"\b((?:[A-Z][A-Za-z'’]+|[A-Z]+)(?:[ \-](?:[A-Z][A-Za-z'’]+|and|upon|on|under|[A-Z]+)){0,3})\s+"
    r"((?i:City|County|Borough|District|Metropolitan Borough|Town|Parish|Combined))\s+(?i:Council)\b"
)
COUNCIL_KIND_RE = re.compile(r"\b(City|County|Borough|District|Metropolitan Borough|Town|Parish|Combined)\s+Council\b", re.I)
_KIND_WORDS = {"city", "county", "borough", "district", "metropolitan", "town", "parish", "combined", "council", "councils"}
COUNCIL_OF_RE = re.compile(r"\b(London Borough|Royal Borough|City|County Borough) of ([A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+){0,2})\b")
_NOT_PLACES = {
    "the", "this", "each", "every", "a", "an", "local", "our", "full", "whole", "and", "of", "members", "to", "by", "from",
    # heading words that end up before 'County Council' when a line break is flattened
    "budget", "recommendations", "recommendation", "paper", "report", "cabinet", "agenda", "meeting", "minutes", "committee",
    "board", "plan", "strategy", "draft", "final", "annual", "appendix", "item", "decision", "key", "proposed", "revenue",
    "capital", "summary", "future", "pathway", "past", "for", "at", "with", "that", "note", "new", "all", "dear", "member",
}


def smart_title(s: str) -> str:
    """'HEALTH AND WELLBEING BOARD' -> 'Health and Wellbeing Board' (mixed-case input kept)."""
    s = re.sub(r"\s+", " ", s).strip(" .:-–—,")
    if not s:
        return s
    letters = [c for c in s if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) < 0.8:
        return s
    words = s.lower().split(" ")
    out = []
    for i, w in enumerate(words):
        if i and w in _SMALL:
            out.append(w)
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


# ---------------------------------------------------------------------------
# Document-level metadata


def _council(text_first: str, header: str, meta_title: str, text_all: str) -> list[str]:
    """Council names found, most likely first (header and first pages weigh more)."""
    counts: Counter[str] = Counter()
    display: dict[str, str] = {}

    def scan(t: str, weight: int) -> None:
        t = re.sub(r"\s+", " ", t)
        for m in COUNCIL_KIND_RE.finditer(t):
            if not m.group(1)[0].isupper():
                continue
            before = t[max(0, m.start() - 80): m.start()].split()
            words: list[str] = []
            while before and len(words) < 4:
                w = before.pop().strip(",.;:()")
                lw = w.lower()
                if lw == "&":
                    w = lw = "and"
                if lw in ("upon", "on", "under", "and") and words and (lw != "and" or (before and before[-1][:1].isupper())):
                    words.insert(0, lw)
                    continue
                if not w or not w[0].isupper() or lw in _NOT_PLACES or lw in _KIND_WORDS or not w.replace("-", "").replace("'", "").isalpha():
                    break
                words.insert(0, w)
                if len(words) >= 2 and words[0][0].isupper() and not (before and before[-1].lower() == "and"):
                    break
            while words and words[0] in ("upon", "on", "under", "and"):
                words.pop(0)
            if not words:
                continue
            name = smart_title(" ".join(words)) + " " + m.group(1).title() + " Council"
            key = name.lower()
            counts[key] += weight
            display.setdefault(key, name)
        for m in COUNCIL_OF_RE.finditer(t):
            name = f"{m.group(1).title()} of {m.group(2)}"
            counts[name.lower()] += weight
            display.setdefault(name.lower(), name)

    scan(header, 6)
    scan(meta_title, 6)
    scan(text_first, 2)
    scan(text_all[:400_000], 1)
    return [display[k] for k, _ in counts.most_common()]


def _strip_place(body: str, council: str | None) -> str:
    """'Leicester City Health and Wellbeing Board' -> 'Health and Wellbeing Board'."""
    b = body
    if council:
        full = council
        place = re.sub(r"\s+(City|County|Borough|District|Metropolitan Borough|Town|Parish|Combined)\s+Council$", "", council)
        kind = council[len(place):].replace("Council", "").strip()
        for prefix in (full, f"{place} {kind}".strip(), place):
            if prefix and b.lower().startswith(prefix.lower() + " "):
                rest = b[len(prefix):].strip(" -–—:,")
                if BODY_RE.search(rest):
                    b = rest
                break
    return b


def _clean_body(candidate: str, council: str | None) -> str | None:
    c = re.sub(r"\s+", " ", candidate).strip(" .:-–—,*")
    c = re.sub(r"^(the|a)\s+", "", c, flags=re.IGNORECASE)
    # cut at 'held', 'at', dates and times
    c = re.split(r"\s+(?:held|on|at|will|to be held|commencing)\b|,|\s[–—-]\s", c, maxsplit=1, flags=re.IGNORECASE)[0]
    c = smart_title(c)
    # 'Cabinet of Northshire County Council' -> 'Cabinet'
    c = re.sub(r"\s+of\s+(?:the\s+)?(?:[A-Z][\w'’-]*\s+){1,3}(?:City|County|Borough|District|Town|Parish)\s+Council$", "", c)
    c = _strip_place(c, council)
    if not BODY_RE.search(c) or len(c) > 90 or len(c.split()) < 1:
        return None
    words = c.split()
    # the body name ends at its body word ('Cabinet Member for ...' is not a body)
    last = None
    for i, w in enumerate(words):
        if BODY_RE.fullmatch(w.strip(".,:;")):
            last = i
    if last is None:
        return None
    c = " ".join(words[: last + 1])
    if c.lower() in {"council", "the council", "board", "committee"}:
        return None
    if c.lower().endswith("county council") or c.lower().endswith("city council"):
        c = "County Council" if "county" in c.lower() else "City Council"
    return c


_BODY_PATTERNS = [
    re.compile(r"^\s*To:\s*(.{3,80}?)\s*(?:[-–—,]\s*\d|$)", re.I | re.M),
    re.compile(r"decision to be taken by:\s*\n\s*(.{3,80})$", re.I | re.M),
    re.compile(r"minutes of (?:the|a)\s+(?:meeting|proceedings)\s+of\s+(?:the\s+)?(.{3,120}?)\s+(?:held|which took place)\b", re.I | re.S),
    re.compile(r"\bmeeting of the\s+(.{3,100}?)(?:\n\s*\n|\s+(?:held|will be held|to be held|on)\b|\n(?:date|time|place|venue)\b)", re.I | re.S),
    re.compile(r"^\s*[-•]?\s*Meeting:\s*(.{3,100}?)\s*\n\s*[-•]?\s*(?:Date|Time|Venue|Location)", re.I | re.S | re.M),
    re.compile(r"^\s*Committee:\s*(.{3,100})$", re.I | re.M),
]


def _body(text_first: str, header: str, meta_title: str, council: str | None) -> str | None:
    for hint in (header, meta_title):
        if hint:
            hint = re.sub(r"^\(public pack\)\s*", "", hint.strip(), flags=re.I)
            hint = re.sub(r"^(?:agenda|minutes|public reports pack|printed minutes)(?:\s+(?:document|supplement))?\s+for\s+", "", hint, flags=re.I)
            h = re.split(r"\s+[–—-]\s+|\s*\|\s*|,\s*\d", hint)[0]
            b = _clean_body(h, council)
            if b:
                return b
    # the earliest body named by a pattern; one-word names ('Commission') only if nothing fuller is found
    found: list[tuple[int, int, str]] = []
    for pat in _BODY_PATTERNS:
        for m in pat.finditer(text_first[:6000]):
            b = _clean_body(m.group(1), council)
            if b:
                found.append((len(b.split()) < 2, m.start(), b))
    if found:
        return min(found)[2]
    # an all-caps heading line on the first page naming a body ('LEICESTER CITY HEALTH AND WELLBEING BOARD')
    for line in text_first[:3000].splitlines():
        s = line.strip()
        if 6 <= len(s) <= 90 and s.upper() == s and BODY_RE.search(s) and not re.search(r"\d", s):
            b = _clean_body(s, council)
            if b:
                return b
    return None


_DATE_LABEL_RE = re.compile(r"^\s*[-•]?\s*(?:(?:date(?:/time)?|held|meeting date)\s*:?|to\s*:)\s*(.{0,80})$", re.I | re.M)


def _meeting_date(text_first: str, header: str, meta: dict) -> str | None:
    for hint in (header, meta.get("title", ""), meta.get("subject", "")):
        d = first_date(hint or "")
        if d:
            return d
    for m in _DATE_LABEL_RE.finditer(text_first[:5000]):
        d = first_date(m.group(1) + " " + text_first[m.end(): m.end() + 40])
        if d:
            return d
    # 'held at ... on Thursday, 20 July 2017'
    m = re.search(r"^\W*(?:\S+\s+){0,6}minutes\s+of\b.{0,300}?\bheld\b.{0,200}?\bon\b", text_first[:800], re.I | re.S)
    if m:
        d = first_date(text_first[m.end(): m.end() + 60])
        if d:
            return d
    return first_date(re.sub(r"\s+", " ", text_first[:3000]))


def _doc_type(text_first: str, meta: dict) -> str:
    hint = " ".join(str(meta.get(k, "")) for k in ("subject", "title")).lower()
    for word, kind in (
        ("agenda", "agenda"),
        ("reports pack", "agenda"),
        ("minutes", "minutes"),
        ("supplement", "supplement"),
        ("appendix", "appendix"),
        ("record of decision", "report"),
        ("report", "report"),
    ):
        if word in hint:
            return kind
    head = re.sub(r"\s+", " ", text_first[:600]).strip().lower()
    page = re.sub(r"\s+", " ", text_first[:4000]).lower()
    if re.match(r"^(\S+\s+){0,12}minutes of (the|a) ", head) or head.startswith("minutes"):
        return "minutes"
    if re.match(r"^(appendix|annex|annexe)\b", head):
        return "appendix"
    if "supplement" in head[:200]:
        return "supplement"
    if re.search(r"\bagenda\b", page) and re.search(r"summon|invited to attend|items of business|agenda for", page):
        return "agenda"
    if re.search(r"\b(record of decision|report (of|to|by)|subject:|by:|recommendation)", page):
        return "report"
    if re.search(r"\bagenda\b", head):
        return "agenda"
    return "other"


@dataclass
class DocMeta:
    title: str
    council: str | None
    body: str | None
    meeting_date: str | None
    doc_type: str


def document_meta(doc: LoadedDocument, text: str) -> DocMeta:
    pages = doc.pages
    first = "\n".join(p.text for p in pages[:3]) if doc.kind == "pdf" else text[:12000]
    header = doc.meta.get("running_header", "") or ""
    meta_title = doc.meta.get("title", "") or ""
    councils = _council(first, header, meta_title, text)
    council = councils[0] if councils else None
    body = _body(first, header, meta_title, council)
    if body and body.endswith("Council") and council and not council.endswith(body):
        # a meeting of the 'County Council' is held by a county council named in the papers
        # (unknown beats wrong: a district merely mentioned in a county's papers is not its council)
        council = next((c for c in councils if c.endswith(body)), None)
    date = _meeting_date(first, header, doc.meta)
    dtype = _doc_type(first, doc.meta)
    generic = {"agenda template", "untitled", "the report", "powerpoint presentation", "document", "report", "microsoft word"}
    title = meta_title.strip() if meta_title.strip() and meta_title.strip().lower() not in generic else ""
    subject = re.search(r"^\s*Subject:\s*(\S.{3,150})$(?:\n([^:\n]{3,100})$)?", first[:4000], re.M)
    if not title and subject:
        title = " ".join(x.strip() for x in subject.groups() if x)
    if not title:
        for line in first.splitlines():
            s = line.strip(" -•*#")
            if len(s) >= 6 and re.search(r"[A-Za-z]{3}", s):
                title = smart_title(s)[:120]
                break
    return DocMeta(title=title or "Untitled document", council=council, body=body, meeting_date=date, doc_type=dtype)


# ---------------------------------------------------------------------------
# Agenda items


@dataclass
class AgendaItem:
    number: int
    title: str
    appendix: str | None = None
    pages: str | None = None
    has_papers: bool = False

    def label(self) -> str:
        s = f"{self.number}. {self.title}"
        if self.appendix:
            s += f" (Appendix {self.appendix})"
        return s


_ITEM_RE = re.compile(r"^\s*(?:[-•]\s*)?(\d{1,2})\.\s+(\S.{2,200})$")
_ITEM_NUM_ONLY_RE = re.compile(r"^\s*(?:[-•]\s*)?(\d{1,2})\.\s*$")
_APPX_RE = re.compile(r"\bAppendix\s+([A-Z])\b")
_PAGES_RE = re.compile(r"\(Pages?\s+(\d+)\s*(?:-\s*(\d+))?", re.I)
_PAPERLESS = re.compile(
    r"apolog|declaration|questions? (from|by|asked)|dates? of (future|next)|any other|urgent|close of meeting|"
    r"election of|appointment of chair|petitions|question time|exclusion of|webcast",
    re.I,
)


_LAST_ITEM = re.compile(r"^\s*any other (urgent )?(items|business)", re.I)


def parse_agenda(lines: list[str], page_of: list[int] | None = None) -> tuple[list[AgendaItem], int]:
    """Agenda items (number, title, appendix letter, page range) and the line index where the agenda ends."""
    items: list[AgendaItem] = []
    expect = 1
    i = 0
    last_page = None
    end = len(lines)
    while i < len(lines):
        line = lines[i]
        if items and _LAST_ITEM.search(items[-1].title):
            end = i
            break
        if items and page_of and last_page is not None and page_of[i] > last_page + 2:
            end = next(j for j in range(len(lines)) if page_of[j] > last_page)
            break
        line = lines[i]
        m = _ITEM_RE.match(line)
        num, title = None, None
        if m and int(m.group(1)) in (expect, expect + 1):
            num, title = int(m.group(1)), m.group(2)
        else:
            m2 = _ITEM_NUM_ONLY_RE.match(line)
            if m2 and int(m2.group(1)) in (expect, expect + 1) and i + 1 < len(lines):
                num, title = int(m2.group(1)), lines[i + 1]
        if num is None:
            i += 1
            continue
        title = title.strip()
        # an upper-case title may run over two lines
        if title.isupper() and i + 1 < len(lines) and lines[i + 1].strip().isupper() and not _ITEM_RE.match(lines[i + 1]):
            nxt = lines[i + 1].strip()
            if not _APPX_RE.search(nxt) and len(nxt) < 80:
                title = f"{title} {nxt}"
        title = re.split(r"(?<=[a-z])\.\s", title)[0].rstrip(". ")
        items.append(AgendaItem(number=num, title=smart_title(title)[:160]))
        if page_of:
            last_page = page_of[i]
        expect = num + 1
        i += 1
        # look ahead (until the next item) for appendix letter and pages
        j = i
        while j < len(lines) and j < i + 14:
            if _ITEM_RE.match(lines[j]) and int(_ITEM_RE.match(lines[j]).group(1)) == expect:
                break
            if _ITEM_NUM_ONLY_RE.match(lines[j]) and int(_ITEM_NUM_ONLY_RE.match(lines[j]).group(1)) == expect:
                break
            am = _APPX_RE.search(lines[j])
            if am and not items[-1].appendix:
                items[-1].appendix = am.group(1)
            pm = _PAGES_RE.search(lines[j])
            if pm and not items[-1].pages:
                items[-1].pages = pm.group(1) + (f"-{pm.group(2)}" if pm.group(2) else "")
            j += 1
    for it in items:
        it.has_papers = bool(it.appendix or it.pages) or not _PAPERLESS.search(it.title)
    return items, end


# ---------------------------------------------------------------------------
# Segments: runs of lines that share item / minute / meeting / decision


@dataclass
class Segment:
    start: int  # char offsets into the document text
    end: int
    kind: str  # agenda | minutes | report | other
    item: str | None
    minute_number: str | None
    meeting_date: str | None
    is_decision: bool
    heading: str | None = None  # nearest heading inside the item (context)


MINUTES_START_RE = re.compile(r"^\s*(?:draft\s+)?minutes\s+of\s+(?:the|a|an)\s+(?:\w+\s+)?(?:meeting|proceedings)\b", re.I)
MINUTES_END_RE = re.compile(
    r"(?:meeting\s+(?:was\s+)?(?:closed|ended|finished|concluded)\s+at|the\s+meeting\s+closed|"
    r"^\s*\d{1,2}[.:]\d{2}\s*(?:am|pm)?\s*[-–]\s*\d{1,2}[.:]\d{2}\s*(?:am|pm)|"
    r"^\s*(?:meeting\s+)?(?:ended|closed)\s+at\s+\d)",
    re.I,
)
MINUTE_ENTRY_RE = re.compile(r"^\s*(\d{1,4})\.?\s{1,8}(\S.{1,160}?)\s*$")
DECISION_RE = re.compile(
    r"^\s*[-•(a-z0-9).\s]{0,6}(?:it\s+was\s+)?(?:RESOLVED|AGREED|DECIDED|DECISION)\b|taken\s+as\s+read,?\s+confirmed\s+and\s+signed|"
    r"recommendations?\s+(?:were\s+|was\s+)?(?:approved|agreed|endorsed)|^\s*Decision\s*:",
)
AGENDA_ITEM_MARK_RE = re.compile(r"^\s*agenda\s+item\s+(\d{1,2})\s*$", re.I)
APPENDIX_MARK_RE = re.compile(r"^\s*appendix\s+([A-Z])\s*$", re.I)
_ITEM_REF_RE = re.compile(r"^\s*\((?:agenda\s+)?item\s+(\d{1,2}[a-z]?)\)\s*$", re.I)
_WORD_RE = re.compile(r"[a-z0-9]+")
_TITLE_STOP = {"the", "and", "of", "to", "for", "a", "an", "in", "on", "report", "update", "with", "along", "by"}


def _title_tokens(title: str) -> set[str]:
    return {w for w in _WORD_RE.findall(title.lower()) if w not in _TITLE_STOP and len(w) > 1}


@dataclass
class _Line:
    start: int
    end: int
    text: str
    page_idx: int
    pos_in_page: int  # index of the line within its page (0 = first)
    page_lines: int


def _lines(text: str, page_starts: list[int]) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    pi = 0
    for raw in text.splitlines(keepends=True):
        while pi + 1 < len(page_starts) and pos >= page_starts[pi + 1]:
            pi += 1
        out.append(_Line(pos, pos + len(raw), raw.rstrip("\n"), pi, 0, 0))
        pos += len(raw)
    # position within page, counting non-empty lines only
    by_page: dict[int, list[_Line]] = {}
    for ln in out:
        if ln.text.strip():
            by_page.setdefault(ln.page_idx, []).append(ln)
    for lst in by_page.values():
        for k, ln in enumerate(lst):
            ln.pos_in_page = k
            ln.page_lines = len(lst)
    return out


_REPORT_OF_RE = re.compile(r"^\s*REPORT\s+(?:OF|BY|FROM)\b")
_PURPOSE_RE = re.compile(r"^\s*(?:\d+\.\s*)?purpose\s+of\s+(?:the\s+)?report\b|^\s*(?:executive\s+)?summary\s*$", re.I)
_AUTHOR_WORDS = re.compile(r"\b(DIRECTOR|CHIEF|OFFICER|EXECUTIVE|HEAD OF|CCG|CCGS|MANAGER|LEAD|CHAIR)\b")
_HAS_DATE = re.compile(r"\b(19|20)\d\d\b.*\b(JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER)\b|"
                       r"\b(JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER)\b.*\b(19|20)\d\d\b", re.I)


def _is_caps_line(t: str) -> bool:
    t = t.strip()
    letters = [c for c in t if c.isalpha()]
    return 3 <= len(t) <= 120 and len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) > 0.9


_MEETING_NAME_RE = re.compile(r"\b(?:BOARD|COMMITTEE|COMMISSION|CABINET|COUNCIL|PANEL|EXECUTIVE|FORUM)\b")
_SUBJECT_RE = re.compile(r"^\s*(?:subject|report title)\s*:\s*(.*)$", re.I)
_COVER_FIELD_RE = re.compile(
    r"^\s*(?:presented|author|report\s+(?:of|by|author)|lead\s+(?:director|member|officer)|wards?\b|date\b|contact|"
    r"executive\s+summary|purpose|summary|recommendation|decision)", re.I)


def _meeting_line(t: str) -> bool:
    """A cover sheet's meeting line: the body's name in capitals ('LEICESTER CITY HEALTH AND WELLBEING BOARD'),
    often with the date after it."""
    m = _MEETING_NAME_RE.search(t)
    if not m:
        return False
    name = t[: m.end()]
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.9 and len(t.strip()) <= 120


def _cover_starts(lines: list["_Line"]) -> dict[int, str]:
    """Report cover sheets that do not say 'REPORT OF': the meeting's name (and date) in capitals, then either
    'Subject: <title>' (Leicester City's cover sheets) or the report's title in capitals."""
    out: dict[int, str] = {}
    nonempty = [k for k, ln in enumerate(lines) if ln.text.strip()]
    for n, k in enumerate(nonempty):
        t = lines[k].text
        if not _meeting_line(t) or MINUTES_START_RE.match(t) or _REPORT_OF_RE.match(t):
            continue
        after = [lines[j].text.strip() for j in nonempty[n + 1: n + 6]]
        title_lines: list[str] = []
        # 'Subject:' within the next two lines (a 'DATE ...' line may sit between)
        subj = next((i for i, a in enumerate(after[:3]) if _SUBJECT_RE.match(a)), None)
        if subj is not None and all(_HAS_DATE.search(a) or re.match(r"^date\b", a, re.I) for a in after[:subj]):
            first = _SUBJECT_RE.match(after[subj]).group(1).strip()
            rest = after[subj + 1:] if not first else []
            title_lines = [first] if first else []
            for a in rest[:2]:
                if not a or _COVER_FIELD_RE.match(a) or a.endswith(":"):
                    break
                title_lines.append(a)
        elif _HAS_DATE.search(t):
            for a in after[:2]:
                if (not _is_caps_line(a) or _REPORT_OF_RE.match(a) or _HAS_DATE.search(a) or _AUTHOR_WORDS.search(a)
                        or MINUTES_START_RE.match(a) or a.upper().startswith(("MINUTES", "AGENDA", "APPENDIX"))):
                    break
                title_lines.append(a)
        title = " ".join(title_lines).strip()
        if len(re.findall(r"[A-Za-z]{3,}", title)) >= 2:
            out[k] = smart_title(title) if title.isupper() else title
    return out


def _report_starts(lines: list["_Line"]) -> dict[int, str]:
    """Where officers' reports begin (their title block) and their titles.

    A report opens with a block of capitalised lines holding 'REPORT OF <author>', usually the meeting
    name and date, and the title; 'Purpose of the report' follows within a few lines. Cover sheets without
    'REPORT OF' (the meeting's name, then 'Subject: <title>' or the title in capitals) count too.
    """
    out: dict[int, str] = _cover_starts(lines)
    for k, ln in enumerate(lines):
        if not _REPORT_OF_RE.match(ln.text):
            continue
        ahead = [x.text for x in lines[k + 1: k + 9]]
        if not any(_PURPOSE_RE.match(t) for t in ahead):
            continue
        before = lines[k - 1].text.strip() if k else ""
        title = None
        if before and _is_caps_line(before) and not _HAS_DATE.search(before) and not before.endswith(":"):
            title = before
        else:
            after = []
            for t in ahead:
                if _PURPOSE_RE.match(t) or not t.strip():
                    break
                after.append(t.strip())
            cands = [t for t in after if _is_caps_line(t) and not re.match(r"^PART\s+[A-Z]\b", t) and not _AUTHOR_WORDS.search(t)
                     and not t.startswith("(")]
            if cands:
                title = cands[-1]
        if not title:
            continue
        start = k
        while start > 0 and k - start < 3 and _is_caps_line(lines[start - 1].text):
            start -= 1
        out[start] = smart_title(title)
    return out


def _is_heading(line: str) -> bool:
    """A section heading inside a report: a short capitalised line, or a short numbered title."""
    if not 3 < len(line) < 90 or line.endswith((",", ";", ".", ":")):
        return line.isupper() and 3 < len(line) < 90 and line.endswith(":") and len(re.findall(r"[A-Za-z]{3,}", line)) >= 2
    if line.isupper():
        return len(re.findall(r"[A-Za-z]{3,}", line)) >= 2
    m = re.match(r"^\d+(?:\.\d+)*\.?\s+([A-Z].*)$", line)
    return bool(m) and len(m.group(1).split()) <= 8 and not re.search(r"\b(is|are|was|were|will|has|have|be)\b", m.group(1))


@dataclass
class Structure:
    meta: DocMeta
    items: list[AgendaItem]
    segments: list[Segment]
    minutes_dates: list[str] = field(default_factory=list)


def analyse(doc: LoadedDocument, text: str, page_starts: list[int]) -> Structure:
    """Metadata plus segments covering ``text`` (the pages joined, page i starting at page_starts[i])."""
    meta = document_meta(doc, text)
    lines = _lines(text, page_starts)

    # where does the body (papers after the agenda) begin?
    body_start = len(lines)
    for k, ln in enumerate(lines):
        s = ln.text
        if MINUTES_START_RE.match(s) or (
            (APPENDIX_MARK_RE.match(s) or AGENDA_ITEM_MARK_RE.match(s)) and ln.page_lines <= 3
        ):
            body_start = k
            break
    agenda_lines = [ln.text for ln in lines[:body_start]]
    has_agenda = meta.doc_type in ("agenda", "supplement") or any(re.fullmatch(r"\s*agenda\s*", t, re.I) for t in agenda_lines[:400])
    items: list[AgendaItem] = []
    if has_agenda:
        items, agenda_end = parse_agenda(agenda_lines, [ln.page_idx for ln in lines[:body_start]])
        if items and agenda_end < body_start:
            body_start = agenda_end  # no divider page: the papers begin after the last agenda item
    paper_items = [it for it in items if it.has_papers]
    by_number = {it.number: it for it in items}
    by_appendix = {it.appendix: it for it in items if it.appendix}

    doc_is_minutes = meta.doc_type == "minutes"
    in_minutes = doc_is_minutes
    minutes_date = meta.meeting_date if doc_is_minutes else None
    minutes_dates: list[str] = []
    minute_no: str | None = None
    minute_title: str | None = None
    last_minute = 0
    in_decision = False
    cur_item: AgendaItem | None = None
    cur_item_label: str | None = None
    kind = "agenda" if items else ("minutes" if doc_is_minutes else "report")
    heading: str | None = None

    seg_attrs: list[tuple] = []

    def item_index(it: AgendaItem | None) -> int:
        return items.index(it) if it in items else -1

    minutes_closed = False
    last_minutes_item = -1
    report_starts = _report_starts(lines)
    first_papers = next((it for it in items if it.appendix or it.pages), None)
    for k, ln in enumerate(lines):
        s = ln.text
        stripped = s.strip()
        if k == body_start and cur_item is None and first_papers is not None and not MINUTES_START_RE.match(s):
            cur_item, cur_item_label, kind = first_papers, first_papers.label(), "report"
        if k >= body_start and stripped:
            # --- section changes
            newitem = None
            am = APPENDIX_MARK_RE.match(s)
            im = AGENDA_ITEM_MARK_RE.match(s)
            if am and ln.page_lines <= 3 and am.group(1).upper() in by_appendix:
                newitem = by_appendix[am.group(1).upper()]
            elif im and ln.pos_in_page <= 1 and int(im.group(1)) in by_number:
                newitem = by_number[int(im.group(1))]
            elif im and ln.pos_in_page <= 1:
                cur_item, cur_item_label = None, f"Agenda Item {im.group(1)}"
                in_minutes, in_decision, minute_no, minute_title = False, False, None, None
                kind = "report"
            if k in report_starts and (not in_minutes or minutes_closed or not doc_is_minutes):
                title = report_starts[k]
                toks = _title_tokens(title)
                later = [it for it in paper_items if item_index(it) > item_index(cur_item)]
                named = [it for it in later if len(_title_tokens(it.title) & toks) >= max(1, 0.6 * len(_title_tokens(it.title)))]
                if named:
                    newitem = named[0]
                elif later and cur_item is not None and (
                    _title_tokens(later[0].title) & toks
                    or not (_title_tokens(cur_item.title) & toks or any(_title_tokens(it.title) & toks for it in later[1:]))
                ):
                    # a new report's cover sheet while an item's papers run: the papers of the next item, when its
                    # title shares a word with the report's ('LSCB Annual Report' for 'Local Children's
                    # Safeguarding Annual Report') or no item's title does
                    newitem = later[0]
                elif not paper_items:
                    cur_item, cur_item_label, heading = None, title, None
                    if not doc_is_minutes:
                        in_minutes, in_decision, minute_no, minute_title = False, False, None, None
                    kind = "report"
                else:
                    heading = title
            if newitem is not None and item_index(newitem) > item_index(cur_item):
                # a report's own title (its cover sheet's) heads its first section
                cur_item, cur_item_label, heading = newitem, newitem.label(), report_starts.get(k)
                if not doc_is_minutes:
                    in_minutes, in_decision, minute_no, minute_title = False, False, None, None
                kind = "report"
            elif MINUTES_START_RE.match(s):
                look = " ".join(x.text for x in lines[k: k + 6])
                d = first_date(look)
                in_minutes, in_decision, minute_no, minute_title, last_minute = True, False, None, None, 0
                minutes_closed = False
                minutes_date = d or meta.meeting_date
                if d:
                    minutes_dates.append(d)
                kind = "minutes"
                # the agenda item that carries these minutes
                for it in items:
                    if "minute" in it.title.lower() and item_index(it) > last_minutes_item:
                        cur_item, cur_item_label = it, it.label()
                        last_minutes_item = item_index(it)
                        break
            elif in_minutes and not minutes_closed and (mm := MINUTE_ENTRY_RE.match(s)):
                n = int(mm.group(1))
                title = mm.group(2)
                titleish = (
                    not re.match(r"(that|to|the\s+board|it)\b", title, re.I)
                    and (title.isupper() or title.endswith(".") or len(title) < 90)
                    and re.search(r"[A-Za-z]{3}", title)
                )
                nxt = next((x.text for x in lines[k + 1: k + 4] if x.text.strip()), "")
                ok_num = (last_minute == 0 and n >= 1) or (last_minute < n <= last_minute + 6) or (
                    n > last_minute and (title.isupper() or _ITEM_REF_RE.match(nxt))
                )
                if titleish and ok_num and not (last_minute == 0 and n < 10 and DECISION_RE.search(title)):
                    last_minute = n
                    minute_no = str(n)
                    minute_title = smart_title(title.rstrip(". "))
                    in_decision = False
            elif not in_minutes and paper_items and len(stripped) < 140 and (stripped[0].isupper() or stripped[0].isdigit()) and (
                k == 0 or not lines[k - 1].text.strip() or lines[k - 1].text.rstrip().endswith((".", ":", ")")) or lines[k - 1].page_idx != ln.page_idx or lines[k - 1].text.strip().isupper()
            ):
                # a report's heading that names a later agenda item
                ci = item_index(cur_item)
                for it in paper_items:
                    if item_index(it) <= ci:
                        continue
                    toks = _title_tokens(it.title)
                    if len(toks) < 2:
                        continue
                    window = " ".join(x.text for x in lines[k: k + 3]).lower()
                    wtoks = set(_WORD_RE.findall(window))
                    line_toks = _title_tokens(stripped)
                    # the heading names the item and not much else (short titles need an almost exact heading)
                    if (len(toks & wtoks) >= 0.75 * len(toks) and len(line_toks & toks) >= max(2, 0.6 * len(toks))
                            and len(line_toks - toks) <= max(2, len(toks) // 2)):
                        cur_item, cur_item_label, heading = it, it.label(), None
                        kind = "report"
                        break
            if in_minutes and DECISION_RE.search(s):
                in_decision = True
            if kind == "report" and not in_minutes and _is_heading(stripped) and k not in report_starts:
                heading = smart_title(stripped)
        # attributes of this line
        if in_minutes:
            label = f"Minute {minute_no}: {minute_title}" if minute_no else (cur_item_label or "Minutes")
            if cur_item_label and minute_no and not doc_is_minutes:
                label = f"{cur_item_label} — {label}"
            attrs = ("minutes", label, minute_no, minutes_date, in_decision, None)
        else:
            attrs = (kind if k >= body_start else ("agenda" if items else kind), cur_item_label, None, meta.meeting_date, False, heading)
        seg_attrs.append(attrs)
        if in_minutes and MINUTES_END_RE.search(s) and not doc_is_minutes:
            in_minutes, in_decision, minute_no, minute_title = False, False, None, None
            kind = "report"
        elif in_minutes and MINUTES_END_RE.search(s):
            in_decision, minutes_closed = False, True
            minute_no, minute_title = None, None

    segments: list[Segment] = []
    for ln, attrs in zip(lines, seg_attrs):
        last = segments[-1] if segments else None
        if last and (last.kind, last.item, last.minute_number, last.meeting_date, last.is_decision, last.heading) == attrs:
            last.end = ln.end
        elif last and (last.kind, last.item, last.minute_number, last.meeting_date, last.is_decision) == attrs[:5] and last.end - last.start < 160:
            # a run of headings with almost no text under them joins the section they introduce
            last.end, last.heading = ln.end, attrs[5]
        else:
            segments.append(Segment(ln.start, ln.end, attrs[0], attrs[1], attrs[2], attrs[3], attrs[4], attrs[5]))
    return Structure(meta=meta, items=items, segments=segments, minutes_dates=minutes_dates)
