"""A document's meeting metadata from its text: the council, the body that met, the meeting date, the document type
and a title.

The PDF's own title/subject and its running header (removed from passage text by the loader) are used as hints,
because they are part of the document; file names are never consulted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .dates import first_date
from .headings import smart_title
from .minutes import MINUTES_LINE_RE
from .model import LoadedDocument
from .titles import UNTITLED, document_title

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
    "the",
    "this",
    "each",
    "every",
    "a",
    "an",
    "local",
    "our",
    "full",
    "whole",
    "and",
    "of",
    "members",
    "to",
    "by",
    "from",
    # heading words that end up before 'County Council' when a line break is flattened
    "budget",
    "recommendations",
    "recommendation",
    "paper",
    "report",
    "cabinet",
    "agenda",
    "meeting",
    "minutes",
    "committee",
    "board",
    "plan",
    "strategy",
    "draft",
    "final",
    "annual",
    "appendix",
    "item",
    "decision",
    "key",
    "proposed",
    "revenue",
    "capital",
    "summary",
    "future",
    "pathway",
    "past",
    "for",
    "at",
    "with",
    "that",
    "note",
    "new",
    "all",
    "dear",
    "member",
}


BODY_MENTIONS = 3  # times a council named only past the first pages must be named to be the paper's own


def _council(text_first: str, header: str, meta_title: str, text_all: str) -> list[str]:
    """Council names found, most likely first (header and first pages weigh more)."""
    counts: Counter[str] = Counter()
    display: dict[str, str] = {}

    def scan(t: str, weight: int) -> None:
        t = re.sub(r"\s+", " ", t)
        for m in COUNCIL_KIND_RE.finditer(t):
            if not m.group(1)[0].isupper():
                continue
            before = t[max(0, m.start() - 80) : m.start()].split()
            words: list[str] = []
            while before and len(words) < 4:
                w = before.pop().strip(",.;:()")
                lw = w.lower()
                if lw == "&":
                    w = lw = "and"
                if lw in ("upon", "on", "under", "and") and words and (lw != "and" or (before and before[-1][:1].isupper())):
                    words.insert(0, lw)
                    continue
                if (
                    not w
                    or not w[0].isupper()
                    or lw in _NOT_PLACES
                    or lw in _KIND_WORDS
                    or not w.replace("-", "").replace("'", "").isalpha()
                ):
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
    for name in heading_councils(text_first):
        counts[name.lower()] += 2
        display.setdefault(name.lower(), name)
    early = Counter(counts)
    scan(text_all[:400_000], 1)
    # a council the header, title and first pages never name, and the rest names once or twice, is one the paper
    # mentions (a district's project in a county's capital programme: "Folkestone and Hythe District Council" twice
    # in Kent's 51-page Appendix B), not the one whose paper it is -- unknown beats wrong. A pack's own council is
    # named throughout (Leicester City Council 23 times in a pack whose first pages name none).
    return [display[k] for k, n in counts.most_common() if early[k] or n >= BODY_MENTIONS]


def _strip_place(body: str, council: str | None) -> str:
    """'Leicester City Health and Wellbeing Board' -> 'Health and Wellbeing Board'."""
    b = body
    if council:
        full = council
        place = re.sub(r"\s+(City|County|Borough|District|Metropolitan Borough|Town|Parish|Combined)\s+Council$", "", council)
        kind = council[len(place) :].replace("Council", "").strip()
        for prefix in (full, f"{place} {kind}".strip(), place):
            if prefix and b.lower().startswith(prefix.lower() + " "):
                rest = b[len(prefix) :].strip(" -–—:,")
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
    re.compile(r"^\s*(?:Report\s+to|Decision[\s-]+maker|Meeting):\s*(.{3,80}?)\s*(?:[-–—,]\s*\d|$)", re.I | re.M),
    re.compile(r"decision to be taken by:\s*\n\s*(.{3,80})$", re.I | re.M),
    re.compile(r"minutes of (?:the|a)\s+(?:meeting|proceedings)\s+of\s+(?:the\s+)?(.{3,120}?)\s+(?:held|which took place)\b", re.I | re.S),
    # the body named first: 'Minutes of the Cabinet held on ...', 'Minutes of the Planning Committee meeting held at ...'
    re.compile(
        r"minutes of\s+(?!(?:(?:the|a|an)\s+)?(?:meeting|proceedings)\b)(?:the\s+)?(.{3,100}?)\s+(?:meeting\s+)?held\s+(?:on|at|in)\b", re.I
    ),
    re.compile(
        r"\bmeeting of the\s+(.{3,100}?)(?:\n\s*\n|\s+(?:held|will be held|to be held|on)\b|\n(?:date|time|place|venue)\b)", re.I | re.S
    ),
    re.compile(r"^\s*[-•]?\s*Meeting:\s*(.{3,100}?)\s*\n\s*[-•]?\s*(?:Date|Time|Venue|Location)", re.I | re.S | re.M),
    re.compile(r"^\s*Committee:\s*(.{3,100})$", re.I | re.M),
]


def _body(text_first: str, header: str, meta_title: str, council: str | None) -> str | None:
    for hint in (header, meta_title):
        if hint:
            hint = re.sub(r"^\(public pack\)\s*", "", hint.strip(), flags=re.I)
            hint = re.sub(
                r"^(?:agenda|minutes|public reports pack|printed minutes)(?:\s+(?:document|supplement))?\s+for\s+", "", hint, flags=re.I
            )
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
    # a heading line on the first page naming a body: in capitals anywhere on it ('LEICESTER CITY HEALTH AND WELLBEING
    # BOARD'), or in title case among its first lines ('Cabinet', 'Health and Wellbeing Board'); a line that names the
    # council ('NORTHSHIRE COUNCIL' above 'PLANNING COMMITTEE') only when no other does
    first_lines = set(heading_lines(text_first))
    named = []
    for line in text_first[:3000].splitlines():
        s = line.strip()
        if (
            6 <= len(s) <= 90
            and BODY_RE.search(s)
            and not re.search(r"\d", s)
            and (s.upper() == s or (s in first_lines and _TITLE_LINE.fullmatch(s)))
        ):
            b = _clean_body(s, council)
            if b:
                named.append(b)
    return next((b for b in named if not b.endswith("Council")), named[0]) if named else None


_TITLE_LINE = re.compile(r"(?:[A-Z][\w'’&-]*|and|of|for|the|&|on|in)(?:\s+(?:[A-Z][\w'’&-]*|and|of|for|the|&|on|in))*")
_COUNCIL_LINE = re.compile(r"((?:[A-Z][\w'’-]*)(?:\s+(?:and|upon|on|under|[A-Z][\w'’-]*)){0,2})\s+Council", re.I)


def heading_councils(text_first: str) -> list[str]:
    """A unitary council's own heading among the first lines: 'NORTHSHIRE COUNCIL', 'Cornwall Council' (a county, city
    or district council is found by its kind, ``_council``)."""
    out = []
    for line in heading_lines(text_first):
        m = _COUNCIL_LINE.fullmatch(line)
        if m and not COUNCIL_KIND_RE.search(line) and line[0].isupper():
            words = m.group(1).split()
            if not any(w.lower() in _NOT_PLACES or w.lower() in _KIND_WORDS or BODY_RE.fullmatch(w) for w in words):
                out.append(smart_title(m.group(1)) + " Council")
    return out


def heading_lines(text_first: str, n: int = 8) -> list[str]:
    """The first ``n`` non-empty lines of the first page, stripped: where a paper names its council, body and type."""
    return [s for s in (line.strip() for line in text_first[:3000].splitlines()) if s][:n]


_DATE_LABEL_RE = re.compile(r"^\s*[-•]?\s*(?:(?:date(?:/time)?|held|meeting date)\s*:?|to\s*:)\s*(.{0,80})$", re.I | re.M)


# a report's cover sheet names the meeting it goes to: 'To: Cabinet – 30 January 2025', 'To Cabinet, 4th March 2025'
_TO_MEETING_RE = re.compile(rf"^\s*To:?\s+(?:the\s+)?[^\n]{{0,60}}?\b(?:{BODY_WORDS})\b[^\n]{{0,12}}?[-–—,]\s*(.{{6,40}})$", re.I | re.M)


def _meeting_date(text_first: str, header: str, meta: dict, guess: bool = True) -> str | None:
    """The date of the meeting the document states it is for (its header, a 'Date:' line, 'To: Cabinet – date',
    'minutes of ... held on date'); with ``guess`` (agendas and minutes, whose first page names their meeting) the
    first date of the first pages is taken when none of those is found. A report or appendix is never given a date
    merely mentioned in its text ('report dated ...', 'by 31 March ...')."""
    for hint in (header, meta.get("title", ""), meta.get("subject", "")):
        d = first_date(hint or "")
        if d:
            return d
    for m in _DATE_LABEL_RE.finditer(text_first[:5000]):
        d = first_date(m.group(1) + " " + text_first[m.end() : m.end() + 40])
        if d:
            return d
    for m in _TO_MEETING_RE.finditer(text_first[:5000]):
        d = first_date(m.group(1))
        if d:
            return d
    # 'held at ... on Thursday, 20 July 2017'
    held = re.search(r"^\W*(?:\S+\s+){0,6}minutes\s+of\b.{0,300}?\bheld\b.{0,200}?\bon\b", text_first[:800], re.I | re.S)
    if held:
        d = first_date(text_first[held.end() : held.end() + 60])
        if d:
            return d
    return first_date(re.sub(r"\s+", " ", text_first[:3000])) if guess else None


def _doc_type(text_first: str, meta: dict, header: str = "") -> str:
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
    # 'Health and Wellbeing Board' / 'Thursday 12 October 2023' / 'Minutes': a line of its own says what it is
    if any(MINUTES_LINE_RE.fullmatch(line) for line in heading_lines(text_first, 6)):
        return "minutes"
    if re.match(r"^(appendix|annex|annexe)\b", head) or re.match(r"^\s*(appendix|annex|annexe)\s+\w{1,3}\b", header, re.I):
        return "appendix"
    if "supplement" in head[:200]:
        return "supplement"
    if re.search(r"\bagenda\b", page) and re.search(r"summon|invited to attend|items of business|agenda for", page):
        return "agenda"
    if re.search(r"\b(record of decision|decision (notice|record)|report (of|to|by)|subject:|by:|recommendation)", page):
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
    dtype = _doc_type(first, doc.meta, header)
    date = _meeting_date(first, header, doc.meta, guess=dtype in ("agenda", "minutes", "supplement"))
    title = document_title(first, header, meta_title, dtype, body, date)
    return DocMeta(title=title or UNTITLED, council=council, body=body, meeting_date=date, doc_type=dtype)
