"""Decisions as records: every RESOLVED / AGREED block and every motion put to the vote in a document's minutes, and
the decision of a "Record of Decision" paper, with the minute, the motion, who proposed and seconded it, the outcome
and the recorded vote (ingest/votes.py).

A record is plain JSON (the fields are listed in docs/DATA_MODEL.md); ``find_decisions`` reads them from the text and
the structure ``ingest.structure.analyse`` found, ``link_passages`` then names the passages each one spans.
"""

from __future__ import annotations

import bisect
import re

from .lines import Line, split_lines
from .minutes import DECISION_RE, ITEM_REF_RE, MINUTES_END_RE
from .model import LoadedDocument, Passage
from .records import RECORD_HEAD, Entry, clean, new_record, record_of_decision
from .structure import Structure
from .votes import OUTCOME_RE, VOTE_EVENT_RE, VoteBlock, outcome_word, parse_vote_block, vote_outcome

COUNTS_AFTER = 200  # characters between an outcome line and the vote counts printed under it (one vote, not two)
# counts written in the outcome's sentence: '(For: 5, Against: 2, Abstentions: 1)', 'for 5, against 2'
_INLINE_COUNTS = re.compile(
    r"\bfor\s*[:\-–]?\s*(\d{1,3})\s*[,;]?\s*against\s*[:\-–]?\s*(\d{1,3})(?:\s*[,;]?\s*(?:and\s+)?(?:abstentions?|abstain(?:ed)?)\s*[:\-–]?\s*(\d{1,3}))?",
    re.I,
)
PARA_RE = re.compile(r"^\s*(\d{1,2})[).]\s+\S")  # "25) The Chairman put ...", "3. RESOLVED that"
_NAME = r"(?:[A-Z][\w'’.\-]*\s+){0,3}[A-Z][\w'’\-]+"
MOTION_RE = re.compile(
    rf"(?P<p>{_NAME})\s*,?\s+(?:proposed|moved)\s*,?\s*(?:and|,)\s+(?P<s>{_NAME})\s*,?\s+seconded\b(?P<rest>.*)"
    rf"|moved\s+by\s+(?P<p2>{_NAME})\s*,?\s+(?:and\s+)?seconded\s+by\s+(?P<s2>{_NAME})(?P<rest2>.*)"
    rf"|proposed\s+by\s+(?P<p3>{_NAME})\s*,?\s+(?:and\s+)?seconded\s+by\s+(?P<s3>{_NAME})(?P<rest3>.*)",
    re.S,
)
_INLINE_OUTCOME = re.compile(
    r"\bto\s+the\s+vote\b.{0,40}?\b(?:it|the\s+\w+(?:\s+\w+)?)\s+was\s+(?P<how>agreed|carried|lost|approved|defeated|rejected)\b",
    re.I | re.S,
)
INLINE_ITEM_RE = re.compile(r"\(\s*(?:agenda\s+)?item\s+(\d{1,2}[a-z]?)\s*\)\s*$", re.I)
_LIST_START = re.compile(r"(?:[-•–(]|\d{1,2}[).]|[a-z]{1,3}[).]|[ivx]{1,4}[).]|that\b|to\b)", re.I)
MARKED_ITEM_RE = re.compile(r"marked\s+[‘'\"]?\s*Agenda\s+Item\s+(\d{1,2}[a-z]?)\b", re.I)
_UNANIMOUS = re.compile(r"\bunanimous(?:ly)?\b|\bnem(?:ine)?\.?\s*con", re.I)
_NOTING = re.compile(r"\b(?:be\s+noted|notes?\s+(?:the|that)|noted)\b", re.I)
_ACTING = re.compile(
    r"\b(?:approve|agree|endorse|adopt|support|request|ask|delegat|recommend|refer|confirm|authori|elect|appoint|submit|urge|"
    r"revisit|welcome|thank)",
    re.I,
)


def minute_entries(st: Structure) -> list[Entry]:
    """The minutes' entries: runs of minutes segments with the same item, minute number and meeting."""
    out: list[Entry] = []
    for seg in st.segments:
        if seg.kind != "minutes":
            continue
        key = (seg.item, seg.minute_number, seg.meeting_date)
        last = out[-1] if out else None
        if last and (last.item, last.minute_number, last.meeting_date) == key and seg.start <= last.end + 2:
            last.end = seg.end
        else:
            out.append(Entry(seg.start, seg.end, *key))
    return out


def find_decisions(doc: LoadedDocument, text: str, page_starts: list[int], st: Structure) -> list[dict]:
    """Every decision record of the document, in document order (``seq`` numbers them)."""
    lines = split_lines(text, page_starts)
    starts = [ln.start for ln in lines]
    records: list[dict] = []
    head = text[:1500]
    if RECORD_HEAD.search(head):
        rec = record_of_decision(lines, st)
        if rec:
            records.append(rec)
    for e in minute_entries(st):
        lo, hi = bisect.bisect_left(starts, e.start), bisect.bisect_left(starts, e.end)
        records.extend(_Minute(e, lines[lo:hi]).records())
    records.sort(key=lambda r: r["char_start"])
    for i, r in enumerate(records):
        r["seq"] = i
        _place(r, doc, page_starts)
    return records


def _place(r: dict, doc: LoadedDocument, page_starts: list[int]) -> None:
    p0 = max(0, bisect.bisect_right(page_starts, r["char_start"]) - 1)
    p1 = max(0, bisect.bisect_right(page_starts, max(r["char_start"], r["char_end"] - 1)) - 1)
    r["page"], r["page_end"] = doc.pages[p0].number, doc.pages[p1].number
    r["printed_page"] = doc.pages[p0].printed_page


def link_passages(records: list[dict], passages: list[Passage]) -> None:
    """Each record's ``passages``: the seq numbers of the passages its text overlaps, and those of the motion it puts
    (proposed in an earlier paragraph: "the amendment set out in paragraph 17"), so a search that finds the motion's
    words finds the vote on it."""
    for r in records:
        spans = [(r["char_start"], r["char_end"]), tuple(r.pop("motion_span", None) or (0, 0))]
        r["passages"] = [i for i, p in enumerate(passages) if any(p.char_start < b and p.char_end > a for a, b in spans)]
        r.pop("vote_start", None)
        r.pop("vote_end", None)


def vote_spans(records: list[dict]) -> list[tuple[int, int, str]]:
    """(start, end, context label) of each recorded vote: chunked as one passage with the paragraph that puts it."""
    out = []
    for r in records:
        if r["kind"] == "vote" and r.get("votes"):
            what = r.get("motion_type") or "motion"
            out.append((r["vote_start"], r["vote_end"], f"Recorded vote on the {what}: {r['outcome'] or 'outcome not stated'}"))
    return out


class _Minute:
    """The walk over one minute's lines: numbered paragraphs, motions, votes and decision blocks."""

    def __init__(self, entry: Entry, lines: list[Line]):
        self.e, self.lines = entry, lines
        self.tuples = [(ln.start, ln.end, ln.text) for ln in lines]
        self.para_of = self._paragraphs()
        self.agenda_item = next((m.group(1) for ln in lines[:6] if (m := ITEM_REF_RE.match(ln.text))), None)
        if self.agenda_item is None and lines and (m := INLINE_ITEM_RE.search(lines[0].text)):
            self.agenda_item = m.group(1)  # "12. LIBRARY STRATEGY (Item 3)"
        if self.agenda_item is None:  # "A copy of the report, marked 'Agenda Item 12', is filed with these minutes."
            m = MARKED_ITEM_RE.search(" ".join(ln.text for ln in lines[:40]))
            self.agenda_item = m.group(1) if m else None
        self.title = self._title()
        self.motions: dict[str | None, dict] = {}
        self.last_motion: dict | None = None
        self.out: list[dict] = []

    def _paragraphs(self) -> list[int | None]:
        """For each line, the index of the line starting its numbered paragraph (None before the first)."""
        cur: int | None = None
        out = []
        for k, ln in enumerate(self.lines):
            if k > 0 and PARA_RE.match(ln.text) and not ITEM_REF_RE.match(ln.text):
                cur = k
            out.append(cur)
        return out

    def para_no(self, k: int) -> str | None:
        p = self.para_of[k]
        m = PARA_RE.match(self.lines[p].text) if p is not None else None
        return m.group(1) if m else None

    def para_text(self, k: int, upto: int) -> tuple[int, str]:
        """(first line index, text) of the paragraph holding line ``k``, up to line ``upto`` (exclusive)."""
        p = self.para_of[k]
        first = p if p is not None else max(0, k - 3)
        return first, "\n".join(ln.text for ln in self.lines[first:upto])

    def records(self) -> list[dict]:
        k = 0
        while k < len(self.lines):
            t = self.lines[k].text
            if DECISION_RE.search(t) and not self._quoted(k):
                k = self._resolution(k)
                continue
            if (blk := self._vote_at(k)) is not None:
                k = self._vote(k, *blk)
                continue
            if (m := MOTION_RE.search(self._para_head(k))) and self.para_of[k] in (k, None) and self._motion_line(k, m):
                self._motion(k, m)
            elif VOTE_EVENT_RE.search(t) and (im := _INLINE_OUTCOME.search(self.para_text(k, min(k + 3, len(self.lines)))[1])):
                self._inline_vote(k, im.group("how"))
            k += 1
        for r in self.out:
            r["agenda_item"] = self.agenda_item
            r["title"] = self.title or r["title"]
            if r["title"]:
                r["title"] = INLINE_ITEM_RE.sub("", r["title"]).strip() or r["title"]
            if self.e.minute_number is None:
                r["title"] = self._heading_before(r["char_start"]) or r["title"]
        return self.out

    def _title(self) -> str | None:
        """The minute's title as printed when it runs over lines up to its '(Item 5)' line ('88. 24/00108 - Revenue
        ... Report –' / 'November 2024-25' / '(Item 5)'); else None (the item label's title serves)."""
        if not self.e.minute_number:
            return None
        texts = [ln.text.strip() for ln in self.lines[:5]]
        if not texts or not re.match(rf"{re.escape(self.e.minute_number)}\.?\s", texts[0]):
            return None
        parts = [texts[0][len(self.e.minute_number) :].lstrip(". ").strip()]
        for t in texts[1:4]:
            if ITEM_REF_RE.match(t):
                return clean(" ".join(parts)).rstrip(".") or None
            if not t or DECISION_RE.search(t) or PARA_RE.match(t) or len(t) > 90:
                break
            parts.append(t)
        return None

    def _heading_before(self, pos: int) -> str | None:
        """The nearest heading above ``pos`` in an unnumbered part of the minutes ('Election of Chair')."""
        for ln in reversed([x for x in self.lines if x.end <= pos]):
            s = ln.text.strip()
            if 3 < len(s) < 70 and s[0].isupper() and not s.endswith((".", ",", ";", ":")) and not PARA_RE.match(s):
                if len(s.split()) <= 8 and not re.search(r"\d{4}", s):
                    return s
        return None

    def _quoted(self, k: int) -> bool:
        """Is line ``k`` inside a quoted motion (“ ... ”) rather than the minute's own words?"""
        before = "\n".join(ln.text for ln in self.lines[max(0, k - 40) : k])
        return before.count("“") > before.count("”")

    def _para_head(self, k: int) -> str:
        return " ".join(ln.text for ln in self.lines[k : k + 4])

    def _motion_line(self, k: int, m: re.Match) -> bool:
        return m.start() < len(self.lines[k].text) + 5

    def _motion(self, k: int, m: re.Match) -> None:
        proposer = m.group("p") or m.group("p2") or m.group("p3")
        seconder = m.group("s") or m.group("s2") or m.group("s3")
        rest = m.group("rest") or m.group("rest2") or m.group("rest3") or ""
        kind = "amendment" if re.search(r"\bamendment\b", rest, re.I) else "motion"
        text, end = self._motion_text(k)
        motion: dict = {"proposer": clean(proposer), "seconder": clean(seconder), "type": kind, "text": text, "used": False}
        motion["span"] = (self.lines[k].start, end)
        self.motions[self.para_no(k)] = motion
        self.last_motion = motion

    def _motion_text(self, k: int) -> tuple[str | None, int]:
        """The quoted text of the motion proposed at line ``k`` (“...”), else the rest of its sentence after 'that';
        and where it ends (a char offset)."""
        base = self.lines[k].start
        tail = "\n".join(ln.text for ln in self.lines[k : k + 80])
        q = re.search(r"[“\"](.+?)(?:[”\"]|$)", tail, re.S)
        if q and q.start() < 400:
            return clean(q.group(1))[:4000], base + q.end()
        # "... seconded the following amendment:" and the text below it, to the next paragraph or vote
        m = re.search(r"seconded\b[^:\n]*:[ \t]*\n(.+?)(?=\n\s*\d{1,2}[).]\s|\n[^\n]*\bto\s+the\s+vote\b|\Z)", tail, re.S | re.I)
        if m is None:
            m = re.search(r"seconded\b[^.]*?\bthat\b(.+?)(?:\.\s|\n\s*\n|$)", tail, re.S | re.I)
        return (clean(m.group(1))[:4000], base + m.end()) if m else (None, self.lines[k].end)

    def _vote_at(self, k: int) -> tuple[VoteBlock, int] | None:
        parsed = parse_vote_block(self.tuples, k)
        if parsed is None:
            return None
        _, event = self.para_text(k, k)
        before = "\n".join(ln.text for ln in self.lines[max(0, k - 6) : k])
        if not (VOTE_EVENT_RE.search(event) or VOTE_EVENT_RE.search(before) or len(parsed[0].counts) >= 2):
            return None
        return parsed

    def _event_motion(self, event: str) -> tuple[str, dict | None]:
        """(motion type, the motion proposed) for a paragraph that puts something to the vote."""
        kind = (
            "substantive motion"
            if re.search(r"\bsubstantive\s+motion\b", event, re.I)
            else "amendment"
            if re.search(r"\bamendment\b", event, re.I)
            else "recommendation"
            if re.search(r"\brecommendations?\b", event, re.I)
            else "motion"
        )
        ref = re.search(r"\bparagraph\s+(\d{1,2})\b", event, re.I)
        motion = self.motions.get(ref.group(1)) if ref else None
        if motion is None and self.last_motion is not None and not self.last_motion["used"]:
            motion = self.last_motion
        return kind, motion

    def _vote(self, k: int, block: VoteBlock, after: int) -> int:
        prev = self.out[-1] if self.out else None
        if prev and prev["kind"] == "vote" and not prev["votes"] and prev["char_start"] < block.start < prev["char_end"] + COUNTS_AFTER:
            # 'Upon being put to the vote, the amendment was LOST.' and the counts under it: one vote
            prev["votes"], prev["char_end"] = block.as_record(), block.end
            prev["vote_start"], prev["vote_end"] = prev["char_start"], block.end
            return after
        first, event = self.para_text(k, k)
        start = self.lines[first].start if self.para_of[k] is not None else block.start
        r = new_record("vote", self.e, start, block.end)
        r["vote_start"], r["vote_end"] = start, block.end
        kind, motion = self._event_motion(event)
        self._fill_motion(r, kind, motion)
        r["paragraph"] = self.para_no(k)
        r["votes"] = block.as_record()
        outcome, inferred = vote_outcome(block)
        r["outcome"] = outcome
        r["warnings"] = list(block.warnings) + (["outcome not stated; read from the counts"] if inferred else [])
        self.out.append(r)
        return after

    def _fill_motion(self, r: dict, kind: str, motion: dict | None) -> None:
        r["motion_type"] = kind
        if motion is not None:
            motion["used"] = True
            r["proposer"], r["seconder"], r["motion"] = motion["proposer"], motion["seconder"], motion["text"]
            r["motion_span"] = motion["span"]  # its passages are the record's too (link_passages)

    def _inline_vote(self, k: int, how: str) -> None:
        first, event = self.para_text(k, min(k + 3, len(self.lines)))
        if any(r["char_start"] == self.lines[first].start for r in self.out):
            return
        r = new_record("vote", self.e, self.lines[first].start, self.lines[min(k + 2, len(self.lines) - 1)].end)
        kind, motion = self._event_motion(event)
        self._fill_motion(r, kind, motion)
        r["paragraph"], r["outcome"] = self.para_no(k), outcome_word(how)
        r["unanimous"] = bool(_UNANIMOUS.search(event))
        counts = _INLINE_COUNTS.search(event)  # '... was carried (For: 5, Against: 2, Abstentions: 1)'
        if counts:
            r["votes"] = {
                p: {"count": int(n), "names": []} for p, n in zip(("for", "against", "abstain"), counts.groups()) if n is not None
            }
            r["vote_start"], r["vote_end"] = r["char_start"], r["char_end"]
        self.out.append(r)

    def _resolution(self, k: int) -> int:
        """A RESOLVED / AGREED block from line ``k``: it runs to the next numbered paragraph or decision label, or to
        the first later paragraph that is not part of a resolution list."""
        end = self._resolution_end(k)
        text = clean("\n".join(ln.text for ln in self.lines[k:end]))
        start, stop = self.lines[k].start, self.lines[end - 1].end
        prev = self.out[-1] if self.out else None
        if (
            prev
            and prev["kind"] == "vote"
            and prev["outcome"] == "carried"
            and prev["motion_type"] != "amendment"
            and not prev["resolution"]
        ):
            prev["resolution"], prev["char_end"] = text, stop  # the carried motion's resolution: one record
            return end
        r = new_record("resolution", self.e, start, stop)
        r["resolution"], r["paragraph"], r["outcome"] = text, self.para_no(k), resolution_outcome(text)
        m = self.last_motion
        if m is not None and not m["used"]:
            self._fill_motion(r, m["type"], m)
        before = "\n".join(ln.text for ln in self.lines[max(0, k - 3) : k])
        r["unanimous"] = bool(_UNANIMOUS.search(before) or _UNANIMOUS.search(text))
        self.out.append(r)
        return end

    def _resolution_end(self, k: int) -> int:
        end, blank, n = k + 1, False, len(self.lines)
        own = int(self.para_no(k) or 0)  # a numbered paragraph after this one ends it; a list '1. That ...' does not
        while end < n:
            t = self.lines[end].text
            s = t.strip()
            pm = PARA_RE.match(t)
            if (pm and own and int(pm.group(1)) > own) or (DECISION_RE.search(t) and end > k + 1) or OUTCOME_RE.match(t):
                break
            if MINUTES_END_RE.search(t) or re.fullmatch(r"(?:the\s+)?chair(?:man|person)?", s, re.I):
                break
            prev = self.lines[end - 1].text.strip()
            if s and prev.endswith(".") and end > k + 1 and not _LIST_START.match(s) and _has_body(self.lines[k:end]):
                break  # a paragraph of discussion after the decision's last sentence (PDF text has no blank line)
            if not s:
                blank = True
            elif blank and not _LIST_START.match(s) and _has_body(self.lines[k:end]):
                break
            else:
                blank = False
            end += 1
        while end > k + 1 and not self.lines[end - 1].text.strip():
            end -= 1
        return end


def _has_body(lines: list[Line]) -> bool:
    """Has the decision block, from its label, any words beyond the label itself?"""
    words = re.findall(r"[A-Za-z]{2,}", " ".join(ln.text for ln in lines))
    return len(words) > 2


def resolution_outcome(text: str) -> str:
    """The outcome a resolution's words record: withdrawn, deferred, noted (every part only notes), else carried."""
    body = DECISION_RE.sub("", text, count=1)
    if re.search(r"\bwithdrawn\b", body, re.I):
        return "withdrawn"
    if re.search(r"\b(?:be\s+)?deferred\b|\bdefer\b", body, re.I):
        return "deferred"
    parts = [p for p in re.split(r"\(\w{1,4}\)|\b\w{1,3}\)\s|;\s*", body) if re.search(r"[A-Za-z]{3}", p)]
    if parts and all(_NOTING.search(p) for p in parts) and not any(_ACTING.search(p) for p in parts):
        return "noted"
    return "carried"
