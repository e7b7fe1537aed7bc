"""`ask` answered from a meeting's minutes when the question asks who chaired it, who was present or who sent apologies.

Minutes open with who was there, each council in its own layout:
  - "PRESENT: Mr R W Gough (Chairman), Mr N Baker, Mrs C Bell, ..." then "IN ATTENDANCE: ..." (Kent);
  - a table of "Councillor Rory Palmer (Chair) – Deputy City Mayor, ..." under "Present:" (Leicester City);
  - "Mr. E. F. White CC (in the Chair)" in two columns under "PRESENT" (Leicestershire);
  - "RESOLVED that Mr Cooke be elected to Chair the meeting." when the usual chair is not in it;
  - "Apologies for absence were received from: ...", "Apologies were received from Mrs C Bell.", "No apologies were
    received."
No sentence there says "X chaired the meeting" and the question's words are rarely the minutes' ("chaired" against
"(Chairman)", "attended" against "PRESENT"), so the sentence scorer of index/answer.py does not find them: the answer is
read from the minutes' opening instead, naming the meeting and citing the page.

The meeting is the one the question names (its day, month or year, its body, its council) among the meetings of its
strong matches and those with minutes on the date it names; a month named gives each of its meetings. Its minutes are
found wherever they are printed (their own paper, or a later pack's "minutes of the previous meeting"). The passage
cited must be judged a strong match of the meeting the question names, as every passage an answer cites must be a
match (``_cited``): otherwise the usual answer stands. A question naming a day or month with no minutes of a meeting
on it that say what it asks is told so (an abstention), not answered from another meeting's.
"""

from __future__ import annotations

import re

from boardpapers.ingest.dates import MONTHS, date_words, find_dates

from .hits import hit_from_row, numbered_hit
from .query import Filters, names_body
from .recordanswer import judged_among

# what the question asks for: the first kind that matches
ATTENDANCE_Q: list[tuple[str, re.Pattern]] = [
    (
        "chair",
        re.compile(
            r"\bwho\s+(?:chaired|presided|was\s+(?:in\s+)?(?:the\s+)?chair(?:man|woman|person)?\b(?!\s+of\s+(?!the\s+meeting))"
            r"|was\s+elected\s+(?:to\s+(?:the\s+)?)?chair)",
            re.I,
        ),
    ),
    ("apologies", re.compile(r"\bapologies\b|\bsent\s+(?:an?\s+)?apology\b|\bwho\s+(?:was|were)\s+absent\b", re.I)),
    (
        "present",
        re.compile(
            r"\bwho\s+(?:attended|(?:was|were)\s+(?:present|there|in\s+attendance))\b"
            r"|\b(?:which|what)\s+(?:members|councillors|people|officers|cabinet\s+members)\s+"
            r"(?:attended|were\s+(?:present|there|in\s+attendance))\b",
            re.I,
        ),
    ),
]
Meeting = tuple[str | None, str, str]  # (council, body, date): what a question about attendance is about
REACH = 16  # strong matches whose meetings are candidates
MAX_MEETINGS = 4  # meetings answered for when the question names a month ("in January 2025")
# the words that find a meeting's attendance among its minutes' passages (BM25 within the meeting)
_LOOKUP = "present chairman chair apologies absence attendance elected"
_TITLE = r"(?:Councillor|Cllr\.?|County\s+Councillor|Mr\.?|Mrs\.?|Ms\.?|Miss|Mx\.?|Dr\.?|Professor|Prof\.?|Sir|Dame|Lord|Lady|Baroness|Rev(?:d|erend)?\.?)"
_WORD = r"[A-Z][\w.'’-]*"
# a name as minutes print it: a title or not, initials and names in capitals, an honour after ("CC", "OBE")
# (on one line: "Leicestershire County Council" above "Mr. E. F. White CC" is a heading, not his name)
_NAME = rf"(?:{_TITLE}[ \t]+)?{_WORD}(?:[ \t]+(?:{_WORD}|de|van|von|le|la)){{0,5}}(?:,?[ \t]+(?:CC|MBE|OBE|CBE|JP|DL|MP))?"
# names are case-sensitive (a capital starts each word); the words around them are not
_CHAIR = r"(?i:chair(?:man|woman|person)?)"
CHAIR_PATTERNS = [
    re.compile(rf"(?P<name>{_NAME})\s*\(\s*(?i:in\s+the\s+)?{_CHAIR}\s*\)"),  # Mr R W Gough (Chairman)
    re.compile(rf"(?P<name>{_NAME})\s+(?i:in\s+the\s+chair)\b"),  # Councillor Smith in the Chair
    # RESOLVED that Mr Cooke be elected to Chair the meeting
    re.compile(rf"(?P<name>{_NAME})\s+(?i:(?:be|was|were|is)\s+(?:duly\s+)?(?:elected|appointed)\s+(?:to\s+|as\s+)?(?:the\s+)?){_CHAIR}\b"),
    re.compile(rf"^[ \t]*{_CHAIR}[ \t]*:[ \t]*(?P<name>{_NAME})[ \t]*$", re.M),  # Chairman: Councillor Smith
]
# the list's heading, at the start of a line: 'PRESENT:', 'P R E S E N T :', 'Present:', 'Members present:' (not 'present'
# in a sentence)
_PRESENT = re.compile(
    r"^[ \t]*(?:(?:Members|MEMBERS)[ \t]+)?(?:P[ \t]?R[ \t]?E[ \t]?S[ \t]?E[ \t]?N[ \t]?T|[Pp]resent)\b[ \t]*(?::|$)", re.M
)
# where the list of those present ends
_PRESENT_END = re.compile(
    r"\b(?:IN\s+ATTENDANCE|Also\s+(?:in\s+attendance|present)|Officers?\s+(?:present|in\s+attendance)|Apologies)\b"
    r"|\n\s*\d{1,3}\.\s+[A-Z]",
    re.I,
)
_APOLOGIES = re.compile(
    r"(?:(?:Apologies|An\s+apology)(?:\s+for\s+absence)?\s+(?:were|was|had\s+been)\s+(?:received|submitted|given|made|tendered)"
    r"(?:\s+(?:from|by|on\s+behalf\s+of))?\s*:?-?"
    r"|\b(?:reported|received|noted|tendered)\s+(?:an\s+)?apolog(?:y|ies)(?:\s+for\s+absence)?\s+from"
    r"|\bNo\s+apologies(?:\s+for\s+absence)?\s+were\s+(?:received|submitted)|\bThere\s+were\s+no\s+apologies(?:\s+for\s+absence)?)",
    re.I,
)
_SENTENCE_START = re.compile(r"(?:[.:)]|\n)[ \t]*\n?[ \t]*(?=[A-Z])")
_APOLOGIES_END = re.compile(r"\n\s*\d{1,3}\.?\s+[A-Z]{3}|\n\s*(?:DECLARATIONS?|MINUTES|URGENT)\b", re.I)
MAX_LIST = 700  # characters of a list of names quoted (the rest is on the cited page)


def attendance_kind(question: str) -> str | None:
    """'chair', 'apologies' or 'present' when the question asks that of a meeting; else None."""
    return next((kind for kind, rx in ATTENDANCE_Q if rx.search(question)), None)


_MONTH_YEAR = re.compile(rf"\b({'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?\s+((?:19|20)\d\d)\b", re.I)


def _month_of(question: str) -> str | None:
    """'YYYY-MM' when the question names a month and year ('in October 2016'), else None."""
    m = _MONTH_YEAR.search(question)
    return f"{m.group(2)}-{MONTHS[m.group(1).casefold()]:02d}" if m else None


def _date_score(question: str, date: str) -> int:
    """How well the question names a meeting's ``date``: 3 its day, 2 its month (a question naming no day), 1 its year
    (naming no day or month), else 0."""
    days = {iso for _, iso in find_dates(question)}
    if days:
        return 3 if date in days else 0
    month = _month_of(question)
    if month:
        return 2 if date.startswith(month) else 0
    return 1 if date[:4] in set(re.findall(r"\b(?:19|20)\d\d\b", question)) else 0


def _meeting_score(question: str, meeting: Meeting) -> int:
    """How well the question names ``meeting`` (council, body, date): its date (``_date_score``), 1 more when it names
    its body (index/query.py ``names_body``: "Cabinet", "full council"), 1 more when a word of its council's
    ('county', 'Leicester') is in it."""
    council, body, date = meeting
    asked = set(re.findall(r"[a-z]+", question.casefold()))
    council_words = set(re.findall(r"[a-z]+", (council or "").casefold())) - {"council", "of", "the", "and"}
    return _date_score(question, date) + names_body(question, body, council) + (1 if council_words & asked else 0)


def meetings_asked(index, question: str, hits: list[dict]) -> tuple[list[Meeting], bool]:
    """(meetings, every one): the (council, body, date) of the meetings the question may be about, best named first
    (date, body, council; then the order of its strong matches, then of the minutes on the date it names), and whether
    it asks about each of them (it names a month, not a day: 'in January 2025') or only the first whose minutes say.
    A question naming a day or a month is about meetings on it only: none when no such meeting is on it."""
    meetings = list(dict.fromkeys(m for m in map(meeting_of, hits[:REACH]) if m is not None))
    meetings += [m for m in _dated_meetings(index, question) if m not in meetings]
    if not any(names_body(question, m[1], m[0]) for m in meetings):
        meetings += [m for m in _body_meetings(index, question) if m not in meetings]
    if _names_date(question):
        meetings = [m for m in meetings if _date_score(question, m[2]) >= 2]
    if not meetings:
        return [], False
    best = max(_meeting_score(question, m) for m in meetings)
    tied = [m for m in meetings if _meeting_score(question, m) == best]
    if _month_of(question) and not find_dates(question):
        return sorted(tied, key=lambda m: m[2])[:MAX_MEETINGS], True
    return tied, False


def _body_meetings(index, question: str) -> list[Meeting]:
    """The meetings with minutes of a body the question names ("the extraordinary full council meeting") when none of
    its strong matches is theirs: a Cabinet's minutes on the same paper may be all of them."""
    if not any(names_body(question, b) for b in (index.facets or {}).get("body") or ()):
        return []  # it names no body the index holds: nothing to look up
    found = _minutes_lookup(index, 60, Filters())
    return [m for m in dict.fromkeys(map(meeting_of, found)) if m is not None and names_body(question, m[1], m[0])]


def _dated_meetings(index, question: str) -> list[Meeting]:
    """The meetings with minutes on the day or in the month the question names (none when it names neither)."""
    days = sorted({iso for _, iso in find_dates(question)})
    month = _month_of(question)
    since, until = (days[0], days[-1]) if days else (f"{month}-01", f"{month}-31") if month else (None, None)
    if since is None:
        return []
    found = _minutes_lookup(index, 60, Filters(since=since, until=until))
    return list(dict.fromkeys(m for p in found if (m := meeting_of(p)) is not None))


def _minutes_lookup(index, depth: int, filters: Filters) -> list[dict]:
    """The minutes' passages among the ``depth`` best BM25 matches of the attendance words (``_LOOKUP``) under
    ``filters``."""
    from .rank import rank  # rank imports answers' helpers: not at import time

    rows = [r for r, _ in rank(index, _LOOKUP, depth, filters, mode="bm25").fused]
    return [p for p in index.store.passages_by_pid(index.pid_of(rows)).values() if _in_minutes(p)]


def meeting_of(p: dict) -> Meeting | None:
    """The meeting a hit or passage is about; None when it names no body or date."""
    body, date = p.get("body"), p.get("meeting_date")
    return (p.get("council"), str(body), str(date)) if body and date else None


def _same_meeting(p: dict, meeting: Meeting) -> bool:
    council, body, date = meeting
    return p.get("body") == body and p.get("meeting_date") == date and p.get("council") in (None, council)


def _in_minutes(p: dict) -> bool:
    return "minutes" in (p.get("section_kind"), p.get("doc_type"))


def _names_date(question: str) -> bool:
    return bool(find_dates(question) or _month_of(question))


def minutes_opening(index, meeting: Meeting) -> list[dict]:
    """The minutes' passages of ``meeting`` that may say who attended, in document order (each copy of the minutes
    in turn, the first printed first)."""
    council, body, date = meeting
    found = _minutes_lookup(index, 40, Filters(council=council, body=body, since=date, until=date))
    return sorted((p for p in found if p.get("meeting_date") == date), key=lambda p: (p["doc_id"], p["seq"]))


HEADING_REACH = 40  # passages walked back from an attendance line to the minutes' heading


def minutes_heading(index, p: dict) -> dict:
    """The first passage of the minutes ``p`` is in (same document, same meeting, minutes): their heading, which names
    the body and the date."""
    first = p
    for seq in range(p["seq"] - 1, max(-1, p["seq"] - HEADING_REACH - 1), -1):
        prev = index.store.passage_at(p["doc_id"], seq)
        if prev is None or prev.get("meeting_date") != p.get("meeting_date") or not _in_minutes(prev):
            break
        first = prev
    return first


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,;:-–")


def _cut(text: str) -> str:
    text = _clean(text)
    return text if len(text) <= MAX_LIST else text[:MAX_LIST].rsplit(" ", 1)[0] + " …"


def read_chair(text: str) -> str | None:
    """The name the minutes give as the meeting's chair, or None."""
    for rx in CHAIR_PATTERNS:
        m = rx.search(text)
        if m:
            name = re.sub(r"^(?:PRESENT|Present|RESOLVED|Resolved|AGREED|That|that)\b\s*:?\s*(?:that\s+)?", "", _clean(m.group("name")))
            if re.search(r"[A-Z]", name) and len(name.split()) <= 8:
                return name
    return None


def read_present(text: str) -> str | None:
    """The list of those present as printed (up to 'IN ATTENDANCE', 'Apologies' or the first minute), or None."""
    m = _PRESENT.search(text)
    if not m:
        return None
    rest = text[m.end() :]
    rest = re.sub(r"^\s*Present\s*:?", "", rest)  # 'P R E S E N T :' then 'Present:' (Leicester)
    end = _PRESENT_END.search(rest)
    listed = _cut(re.sub(r"[|]+", " ", rest[: end.start()] if end else rest))
    return listed if len(listed) >= 5 else None


def read_apologies(text: str) -> str | None:
    """The sentence or list of the apologies received ('No apologies were received.' too), or None."""
    m = _APOLOGIES.search(text)
    if not m:
        return None
    start = m.start()
    if m.group(0)[:1].islower():  # '... Manager reported apologies from': from the start of the sentence it is in
        start = max((b.end() for b in _SENTENCE_START.finditer(text, 0, m.start())), default=0)
    rest = text[start:]
    end = _APOLOGIES_END.search(rest, m.end() - start)
    return _cut(rest[: end.start()] if end else rest)


READERS = {"chair": read_chair, "present": read_present, "apologies": read_apologies}


def attendance_answer(index, question: str, hits: list[dict], embedder=None) -> dict | None:
    """For a question about who chaired, attended or sent apologies to a meeting: {"lead", "citations", "record",
    "only": True} (the record: {"kind": "attendance", "asked", "meetings": [{"council", "body", "date", "value"}]}).
    When the question names a day or month and no minutes of a meeting on it say so: {"abstained": True, "answer"}.
    None when the question is not one, or, naming no date, the minutes of the meetings its matches reach say nothing
    of it, or no passage that says it is a strong match of the meeting it names (``meeting_words``; the usual answer
    then stands)."""
    kind = attendance_kind(question)
    if kind is None:
        return None
    meetings, every = meetings_asked(index, question, hits)
    ctx = None
    found, read_any = [], False
    for meeting in meetings:
        read = _read(index, kind, meeting)
        if read is None:
            continue
        read_any = True
        ctx = ctx or _named_matches(index, meeting_words(question), embedder)
        hit = _cited(index, read[0], minutes_heading(index, read[0]), ctx, meeting)
        if hit is not None:  # named as the minutes' own page names it
            found.append(((read[0]["council"] or meeting[0], read[0]["body"] or meeting[1], meeting[2]), read[1], hit))
            if not every:
                break
    if not found:  # minutes that say it, but not judged the meeting asked about: the usual answer
        return None if read_any else _no_minutes(question, kind)
    lead = " ".join(f"{compose(kind, m, value)} [{n}]" for n, (m, value, _) in enumerate(found, 1))
    record = {
        "kind": "attendance",
        "asked": kind,
        "meetings": [dict(zip(("council", "body", "date"), m), value=value) for m, value, _ in found],
    }
    return {"lead": lead, "citations": [numbered_hit(h, n) for n, (_, _, h) in enumerate(found, 1)], "record": record, "only": True}


_ASKED_WORDS = {"chair": "who chaired it", "present": "who was present", "apologies": "who sent apologies"}


def _no_minutes(question: str, kind: str) -> dict | None:
    """When the question names a day or a month and no minutes of a meeting on it say what it asks: an abstention
    that says so ({"abstained": True, "answer": ...}); else None (the usual answer stands)."""
    days = sorted({iso for _, iso in find_dates(question)})
    month = _month_of(question)
    if days:
        when = f"on {date_words(days[0])}"
    elif month:
        when = "in " + date_words(month + "-01").split(" ", 1)[1]  # '1 March 2025' -> 'in March 2025'
    else:
        return None
    return {"abstained": True, "answer": f"The indexed papers hold no minutes of a meeting {when} that say {_ASKED_WORDS[kind]}."}


def _read(index, kind: str, meeting: Meeting) -> tuple[dict, str] | None:
    """(passage, what it says) of the first passage of the meeting's minutes that says who chaired / was present /
    sent apologies; None when none does."""
    for p in minutes_opening(index, meeting):
        value = READERS[kind](p["text"])
        if value:
            return p, value
    return None


def _cited(index, passage: dict, heading: dict, ctx: tuple, meeting: Meeting) -> dict | None:
    """``passage`` as a hit, when it, the heading of the minutes it is in, or a paper of the same ``meeting`` is a
    strong match of the meeting the question names, judged among that meeting's matches (``ctx``: hits, query text,
    vector); else None. The lines of a meeting's attendance are as much about the meeting as its minutes' heading, as a
    RESOLVED block is as relevant as the discussion it closes (index/judge.py): 'Apologies were received from Mrs C
    Bell.' names no meeting itself. A meeting is named by what its papers say, too: "the extraordinary full council
    meeting on devolution" is the one whose agenda is the "Summons to an Extraordinary Meeting", though its minutes
    never say "extraordinary"."""
    (own, head), threshold = judged_among(index, [passage, heading], ctx)
    if own is None or head is None:
        return None
    papers = [h["relevance"] for h in ctx[0] if h.get("match") == "strong" and _same_meeting(h, meeting)]
    relevance = max(own, head, *papers)
    if relevance < threshold:
        return None
    hit = hit_from_row(passage, 0.0)
    hit.update(match="strong", relevance=round(relevance, 4))
    return hit


def _named_matches(index, named: str, embedder) -> tuple:
    """(hits, query text, query vector) of a search for the meeting the question names: what the cited passage is
    judged among (``_cited``)."""
    from .query import QueryError
    from .search import search

    try:
        res = search(index, named, k=REACH, embedder=embedder, crowd=False, related=False)
    except QueryError:  # nothing left but stopwords: no meeting named
        return [], named, None
    return res.hits, res.query_text, res.qvec


# what asks who (not which meeting) is left out of the text the cited passage is judged against; so is the "full" of
# "full council", which minutes never print ("MINUTES of a meeting of the County Council")
_ASKING = re.compile(
    r"\b(?:who|which|what|whom|did|does|do|was|were|is|are|sent|send|gave|give|an?|members?|councillors?|people|officers?|"
    r"attend(?:ed|ing|ance|ees)?|present|there|absent|apolog(?:y|ies)|chair(?:ed|man|woman|person)?|presided|elected|"
    r"in\s+the\s+chair|in\s+attendance|to|full(?=\s+council))\b",
    re.I,
)


def meeting_words(question: str) -> str:
    """The question without its asking who ('Who chaired the Cabinet meeting on 30 January 2025?' -> 'the Cabinet
    meeting on 30 January 2025'): the meeting it names, which the cited passage must match as any answer's passage must
    match its question. Minutes say 'PRESENT' and '(Chairman)', not 'attended' or 'chaired'."""
    return re.sub(r"\s+", " ", _ASKING.sub(" ", question)).strip(" ?.,")


def compose(kind: str, meeting: Meeting, value: str) -> str:
    """The answer's sentence: who, at which meeting, as the minutes print it."""
    council, body, date = meeting
    where = f"the meeting of {meeting_name(council, body)} on {date_words(date)}"
    if kind == "chair":
        return f"{value} chaired {where}."
    if kind == "present":
        return f"Present at {where}: {value.rstrip('.')}."
    return f"At {where}: {value.rstrip('.')}."


def meeting_name(council: str | None, body: str) -> str:
    """'Leicestershire County Council's Health and Wellbeing Board' (two councils' boards share a name); the council
    alone when the body is its full council ('Kent County Council', not 'Kent County Council's County Council')."""
    if not council:
        return f"the {body}"
    if set(body.casefold().split()) <= set(council.casefold().split()):
        return council
    return f"{council}’s {body}"
