"""`ask` answered from the decision register (index/decisions.py) when the question is about a decision or a vote.

- A vote ("how did the vote go on ...", "who voted against ...", "did Ms Constantine abstain", "was the amendment
  passed", "Passmore amendment - result", "did the council back Mr Lehmann's call to ...": how a motion fared, asked by
  its mover's name): the answer is the recorded vote's record -- counts, outcome, the list asked about, a named member's
  position -- because no single sentence holds a vote's facts; it cites the vote's passage and the motion's.
- A decision ("what did the board decide / agree about ...", "did Cabinet approve ..."): the answer leads with the
  decision recorded for the minute the best matches belong to (its RESOLVED / AGREED text, naming the body and the
  date), even when the decision block ranks below the discussion; the sentences of the usual answer follow.

A record is reached through the strong matches of the question: one of its passages (motion, vote, resolution) is
among them, or a match sits in the same minute, or in a report that minute considered. Among those, the one whose
title, motion and resolution share most words with the question answers (closer matches first on a tie); an amendment
answers only a question that names one or its mover -- otherwise the item's own motion does.
"""

from __future__ import annotations

import re

from boardpapers.ingest.dates import date_words
from boardpapers.ingest.votes import TITLES

from .hits import hit_from_row, numbered_hit
from .judge import judge
from .members import member_matches
from .query import names_body
from .tokenize import tokenize

VOTE_Q = re.compile(r"\b(?:vot(?:e|ed|es|ing)|abstain\w*|abstention\w*|recorded\s+vote|who\s+(?:supported|opposed|backed))\b", re.I)
_BODY = r"(?:cabinet|council|board|committee|commission|panel|members?|executive)"
# a question about a decision: the verbs of deciding; what a body did, was asked to do, or what happened at its meeting
# ('did cabinet ask government to ...', 'how did Cabinet respond to ...', 'what was Cabinet asked to do with ...'); who has
# the authority to act ('who signs off / can make changes to ...': a delegation is a decision)
DECISION_Q = re.compile(
    r"\b(decid\w*|decision\w*|agree\w*|agreed|resolv\w*|resolution|approv\w*|endorse\w*|welcom\w*|"
    r"recommend\w*|ratif\w*|sign(?:s|ed|ing)? off|hand(?:ed)? responsibility|made responsible)\b"
    rf"|\b(?:did|does|do|will|would)\s+(?:the\s+)?(?:\w+\s+){{0,2}}?{_BODY}\s+"
    r"(?:ask|request|respond|react|do|say|conclude|call\s+for|support|oppose|reject|accept|adopt|propose)\b"
    rf"|\b{_BODY}\s+(?:(?:is|are|was|were|being)\s+)?asked\s+to\b|\bwhat\s+happened\b|^\s*who\s+(?:can|may)\b",
    re.I,
)
OUTCOME_Q = re.compile(
    r"\b(?:passed|carried|rejected|defeated|backed|outcome)\b"
    r"|\b(?:did|was|were)\b[^?]{0,60}?\b(?:back|support|accept|reject|adopt|pass)(?:ed)?\b",
    re.I,
)
RESULT_Q = re.compile(r"\bresults?\b|\bwhat\s+became\s+of\b|\bhow\s+did\b[^?]{0,60}\b(?:fare|go)\b", re.I)  # of a motion named
_ASKED = {
    "against": re.compile(r"\bagainst\b|\bopposed\b", re.I),
    "for": re.compile(r"\bvot\w*\s+for\b|\bin\s+favou?r\b|\bsupported\b|\bbacked\b", re.I),
    "abstain": re.compile(r"\babstain\w*|\babstention", re.I),
}
_LABEL = {"for": "For", "against": "Against", "abstain": "Abstain"}
_STOP = set("who how what which when did does do the a an of to on in for vote voted votes voting against was were go".split())
# A resolution is quoted whole up to RESOLUTION_CHARS (the longest of the two corpora's 45 recorded decisions runs to
# 1,302: a County Council motion of five numbered clauses); a longer one is cut at the start of a clause, never within
# one: a delegation or a condition in its last clause is often what the question is about ("who can sign the contracts").
RESOLUTION_CHARS = 1500
# where a clause of a resolution begins: "(a) ", "(iv) ", "(3) ", "b) ", "B. ", "2. " after a space
_CLAUSE = re.compile(r"\s(?=\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)\s|(?:[a-zA-Z]|\d{1,2})[.)]\s)")
# the label a resolution opens with, however printed ('RESOLVED:', 'Resolved –', 'It was agreed'): the sentence says who
_OPENING = re.compile(
    r"^(?:RESOLVED|AGREED|DECIDED|Decision(?: taken| made)?|Resolved|Agreed|Decided|It was (?:unanimously )?(?:resolved|agreed|RESOLVED|AGREED))\s*[:\-–—]*\s*(?:-\s*)?"
)
REACH = 5  # a record is reached from the first REACH strong matches (further down, the question is about something else)


def asks_vote(question: str) -> bool:
    return bool(VOTE_Q.search(question))


def asks_decision(question: str) -> bool:
    return bool(DECISION_Q.search(question) or OUTCOME_Q.search(question))


def asks_outcome(question: str) -> bool:
    """Does the question ask how a motion fared ('was it passed', 'did they back', 'amendment ... - result')?"""
    return bool(OUTCOME_Q.search(question) or RESULT_Q.search(question))


def record_answer(index, question: str, hits: list[dict], qtext: str, qvec) -> dict | None:
    """For a vote or decision question: {"lead": the answer's first sentences, "citations": [hit, ...] they cite (in
    order), "record": the decision, "only": True when the record is the whole answer (a vote)}; None when the question
    is neither or its strong matches reach no record (the usual answer then stands)."""
    vote = asks_vote(question) or (asks_outcome(question) and re.search(r"\bamendment|\bmotion", question, re.I))
    needs = None if vote else asked_kind(question)
    if not vote and not asks_decision(question) and not needs:
        return None
    asked = {p for p in {(h.get("body"), h.get("council")) for h in hits} if names_body(question, *p)}
    named = [h for h in hits if (h.get("body"), h.get("council")) in asked]
    reach = (named or hits)[:REACH]  # 'did cabinet ask ...': the first matches of the body it names
    record = best_record(index, question, reach, votes_only=bool(vote), needs=needs)
    if not vote and asks_outcome(question):  # 'did the council back Mr Lehmann's call ...': the vote on his motion
        moved = best_record(index, question, reach, votes_only=True)
        if moved is not None and _names_mover(question, moved):
            record, vote = moved, True
    if record is None or (not vote and not asks_decision(question) and not asked_field(question, record)):
        return None  # 'why ...?' is the record's question only when a record paper it reaches says why
    rows = _record_rows(index, record)
    if vote and record.get("votes"):
        cited = [r for r in rows if "Recorded vote" in (r.get("context") or "")][:1]
        motion = [r for r in rows if r not in cited and record.get("proposer") and record["proposer"] in r["text"]][:1]
        lead = compose_vote(record, question) + " [1]" + (f" The {record.get('motion_type') or 'motion'} as moved [2]." if motion else "")
        return _cited(index, lead, cited + motion, record, (hits, qtext, qvec), only=True)
    if not record.get("resolution") and record.get("kind") != "record":
        return None
    field = asked_field(question, record)
    if field:
        name, text = field
        cited = _field_rows(index, record, text)
        lead = f"{compose_decision(record).split(': ', 1)[0]}; {name}: {whole_clauses(text)} [1]"
        return _cited(index, lead, cited, record, (hits, qtext, qvec), only=False) if cited else None
    cited = _resolution_rows(record, rows)
    return _cited(index, compose_decision(record) + " [1]", cited, record, (hits, qtext, qvec), only=False) if cited else None


# A question about why a decision was taken, or what else was weighed: a record paper says so in its own fields
# (ingest/records.py: 'Reason(s) for decision', 'Any alternatives considered and rejected'), which answer it better than
# the decision's text
REASONS_Q = re.compile(r"\bwhy\b|\breasons?\b|\brationale\b", re.I)
ALTERNATIVES_Q = re.compile(
    r"\balternatives?\b|\boptions?\b[^?]{0,80}\b(?:considered|rejected|looked\s+at|weighed)\b|\bother\s+than\b[^?]{0,80}\b(?:considered|rejected|looked\s+at)\b",
    re.I,
)


def asked_kind(question: str) -> str | None:
    """ "alternatives" or "reasons" when the question asks what else was weighed or why; else None."""
    return "alternatives" if ALTERNATIVES_Q.search(question) else "reasons" if REASONS_Q.search(question) else None


def asked_field(question: str, record: dict) -> tuple[str, str] | None:
    """(what the field is, its text) when the question asks why (the record's reasons) or what else was considered
    (its alternatives) and the record paper states it; else None."""
    if ALTERNATIVES_Q.search(question) and record.get("alternatives"):
        return "the alternatives considered and rejected", record["alternatives"]
    if REASONS_Q.search(question) and record.get("reasons"):
        return "the reasons given", record["reasons"]
    return None


def _field_rows(index, record: dict, text: str) -> list[dict]:
    """The stored passage of the record's paper where ``text`` (one of its fields) begins."""
    head = " ".join(text.split()[:8])
    for seq in range(2000):
        row = index.store.passage_at(record["doc_id"], seq)
        if row is None:
            return []
        if head in " ".join(row["text"].split()):
            return [row]
    return []


def record_only(rec: dict, mode: str = "vote record", key: str = "decision") -> dict:
    """The answer fields of a record that is the whole answer (a recorded vote; a meeting's attendance, index/attendance.py)."""
    text = rec["lead"]
    return {
        "answer": text,
        "citations": rec["citations"],
        "sentences": [{"n": 1, "quote": text, "display": text, "start": 0, "end": 0, "score": 1.0}],
        "mode": mode,
        key: rec["record"],
    }


def led_by_record(rec: dict, answer: str, citations: list[dict], sentences: list[dict]) -> tuple[str, list[dict], list[dict]]:
    """The decision's record first (its citations numbered 1..m), then the sentences of the usual answer renumbered
    after them; a sentence quoting a passage the record already cites is left out (the record quotes it)."""
    lead_ids = {c["passage_id"]: c["n"] for c in rec["citations"]}
    renum: dict[int, int] = {}
    cites = list(rec["citations"])
    for c in citations:
        if c["passage_id"] in lead_ids:
            renum[c["n"]] = 0  # dropped
        else:
            renum[c["n"]] = len(cites) + 1
            cites.append({**c, "n": renum[c["n"]]})
    kept = [dict(s, n=renum[s["n"]]) for s in sentences if renum.get(s["n"])]
    used = {s["n"] for s in kept} | set(lead_ids.values())
    cites = [c for c in cites if c["n"] in used]
    tail = " ".join(f"{s['display']} [{s['n']}]" for s in kept)
    lead = {"n": 1, "quote": rec["lead"], "display": rec["lead"], "start": 0, "end": 0, "score": 1.0}
    return (rec["lead"] + (" " + tail if tail else "")), cites, [lead, *kept]


def judged_among(index, passages: list[dict], ctx: tuple) -> tuple[list[float | None], float]:
    """(relevance of each of ``passages``, None where it is not in the index; the judge's threshold): each judged among
    the question's matches (``ctx``: hits, query text, query vector), as any hit is."""
    hits_in, qtext, qvec = ctx
    where = index.rows_for_passage_ids([h["passage_id"] for h in hits_in] + [p["passage_id"] for p in passages])
    known = [(k, w) for k, w in enumerate(where) if w is not None]
    if not known:
        return [None] * len(passages), 1.0
    verdict = judge(index, [w for _, w in known], qtext, qvec)
    out: list[float | None] = [None] * len(passages)
    for (k, _), p in zip(known, verdict.relevance):
        if k >= len(hits_in):
            out[k - len(hits_in)] = float(p)
    return out, float(verdict.threshold)


def _cited(index, lead: str, rows: list[dict], record: dict, ctx: tuple, only: bool) -> dict | None:
    """The record's answer when the passage its lead cites is a strong match, judged among the question's matches
    (``ctx``: hits, query text, query vector), as any hit is; a further citation (the motion) only when it is one too:
    an answer never cites a passage not judged a match."""
    if not rows:
        return None
    hits = [hit_from_row(r, 0.0) for r in rows]
    relevance, threshold = judged_among(index, hits, ctx)
    for h, p in zip(hits, relevance):
        if p is not None:
            h["match"] = "strong" if p >= threshold else "related"
            h["relevance"] = round(p, 4)
    if hits[0].get("match") != "strong":
        return None
    if len(hits) > 1 and hits[1].get("match") != "strong":
        hits, lead = hits[:1], re.sub(r" The [\w ]+ as moved \[2\]\.$", "", lead)
    return {"lead": lead, "citations": [numbered_hit(h, i + 1) for i, h in enumerate(hits)], "record": record, "only": only}


def best_record(index, question: str, hits: list[dict], votes_only: bool = False, needs: str | None = None) -> dict | None:
    """The decision record the question's first strong matches reach (see the module doc). ``needs`` ("reasons",
    "alternatives"): one that states that field is preferred, and for a minute's resolution the record paper of the
    decision number it names (Kent's minute '91. 24/00115 - ...' and the paper 'RECORD OF DECISION 24/00115')."""
    from .decisions import decisions_and_passages  # the register imports search, which imports answers: not at import time

    decisions, passages = decisions_and_passages(index)
    rank_of = {h["passage_id"]: i for i, h in enumerate(hits)}
    minutes = {(h.get("doc_id"), h.get("minute_number")): i for i, h in reversed(list(enumerate(hits))) if h.get("minute_number")}
    papers = {h.get("doc_id"): i for i, h in reversed(list(enumerate(hits)))}
    reached: list[tuple[float, dict]] = []
    for d in decisions:
        if votes_only and not d.get("votes"):
            continue
        ranks = [float(rank_of[p]) for p in passages.get(d["decision_id"], []) if p in rank_of]
        same_minute = minutes.get((d.get("doc_id"), d.get("minute_number")))
        if same_minute is not None:
            ranks.append(same_minute + 0.5)
        ranks += [papers[r["doc_id"]] + 0.75 for r in d.get("reports") or [] if r.get("doc_id") in papers and d.get("kind") != "record"]
        if ranks:
            reached.append((min(ranks), d))
    asked = {b for b, c in {(d.get("body"), d.get("council")) for d in decisions} if names_body(question, b, c)}
    if asked:  # 'the 9 January Cabinet motion': not the County Council's vote of that morning on the same paper
        reached = [(r, d) for r, d in reached if d.get("body") in asked]
    if not reached:
        return None
    substantive = [(r, d) for r, d in reached if d.get("motion_type") == "substantive motion"]
    named = [(r, d) for r, d in reached if _names_mover(question, d, owner=True)] or [
        (r, d) for r, d in reached if _names_mover(question, d)
    ]
    if substantive and re.search(r"\bsubstantive\b", question, re.I):  # the motion as amended, whoever moved it
        reached = substantive
    elif named:
        reached = named
    elif not re.search(r"\bamendment", question, re.I) and any(d.get("motion_type") != "amendment" for _, d in reached):
        reached = [(r, d) for r, d in reached if d.get("motion_type") != "amendment"]
    q = {t for t in tokenize(question) if t not in _STOP}

    def score(item: tuple[float, dict]) -> float:
        rank, d = item
        words = set(tokenize(" ".join(x or "" for x in (d.get("title"), d.get("motion"), d.get("resolution")))))
        return len(q & words) / max(1, len(q)) - 0.02 * rank

    if needs:
        reached = [(r, _paper_of(d, decisions, needs)) for r, d in reached]
        reached = [(r, d) for r, d in reached if d.get(needs)] or reached
    return max(reached, key=score)[1]


def _paper_of(d: dict, decisions: list[dict], field: str) -> dict:
    """The record paper stating ``field`` for the decision number a minute's title names, else ``d`` itself."""
    if d.get(field) or d.get("kind") == "record":
        return d
    named = " ".join(x or "" for x in (d.get("title"), d.get("item")))
    return next(
        (p for p in decisions if p.get("kind") == "record" and p.get(field) and p.get("decision_no") and p["decision_no"] in named), d
    )


def _names_mover(question: str, d: dict, owner: bool = False) -> bool:
    """Does the question name the member who proposed the motion ('Hood amendment', 'Mr Lehmann's amendment')?
    ``owner``: as its owner ("Mr Brady's amendment", where "how did Mr Hood vote on" names a voter too)."""
    surname = (d.get("proposer") or "").split()[-1:]
    own = r"['’](?:s\b)?" if owner else r"\b"
    return bool(surname and re.search(rf"\b{re.escape(surname[0])}{own}", question, re.I))


def _record_rows(index, record: dict) -> list[dict]:
    """The stored passages of a record (its motion, vote and resolution), in document order."""
    rows = []
    for pid in record.get("passage_ids") or []:
        try:
            seq = int(pid.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            continue
        row = index.store.passage_at(record["doc_id"], seq)
        if row is not None:
            rows.append(row)
    return rows


def _resolution_rows(record: dict, rows: list[dict]) -> list[dict]:
    """The passage where the record's decision text begins (a record paper's decision, a minute's RESOLVED block)."""
    text = record.get("resolution") or record.get("motion") or ""
    head = " ".join(text.split()[:8])
    for r in rows:
        if head and head in " ".join(r["text"].split()):
            return [r]
    return rows[-1:] if record.get("resolution") else rows[:1]


def compose_decision(d: dict) -> str:
    """'On 20 July 2017 the Health and Wellbeing Board resolved (minute 25, Unified Prevention Board Update): (a) That
    the proposal ... be supported.' A record paper: 'Record of Decision 24/00115 (Cabinet), proposed: ...'"""
    when = date_words(d.get("meeting_date")) or d.get("meeting_date")
    who = d.get("body") or "the meeting"
    text = d.get("resolution") or d.get("motion") or ""
    text = re.sub(r"^\s*(?:\d{1,2}[).]\s*)?", "", text)
    text = _OPENING.sub("", text).strip()
    text = whole_clauses(text)
    if d.get("kind") == "record":
        num = f" {d['decision_no']}" if d.get("decision_no") else ""
        state = "proposed" if d.get("outcome") == "proposed" else "recorded"
        return f"Record of Decision{num} ({who}{', ' + when if when else ''}), {state}: {text}"
    where = ", ".join(x for x in (f"minute {d['minute_number']}" if d.get("minute_number") else None, d.get("title")) if x)
    verb = {"noted": "noted", "deferred": "deferred", "withdrawn": "recorded as withdrawn"}.get(d.get("outcome") or "", "resolved")
    return f"On {when or 'an undated meeting'} the {who} {verb}" + (f" ({where})" if where else "") + f": {text}"


def whole_clauses(text: str, limit: int = RESOLUTION_CHARS) -> str:
    """``text`` (a resolution or motion) whole when it fits in ``limit`` characters; else its clauses up to the last
    one that fits, then " …" (a clause longer than half the limit: cut at a word instead)."""
    if len(text) <= limit:
        return text
    starts = [m.start() for m in _CLAUSE.finditer(text, 0, limit + 1)]
    at = starts[-1] if starts and starts[-1] >= limit // 2 else len(text[:limit].rsplit(" ", 1)[0])
    return text[:at].rstrip(" ;,") + " …"


def compose_vote(d: dict, question: str) -> str:
    """'On 9 January 2025 the County Council put the substantive motion on English Devolution White Paper (minute 285,
    proposed by Mr Streatfeild, seconded by Mr Sole) to a recorded vote: For 39, Against 19, Abstain 1. The motion was
    carried. Against (19): Mr Baldock, ...'"""
    when = date_words(d.get("meeting_date")) or d.get("meeting_date") or "an undated meeting"
    who = d.get("body") or "the meeting"
    what = d.get("motion_type") or "motion"
    where = ", ".join(
        x
        for x in (
            f"minute {d['minute_number']}" if d.get("minute_number") else None,
            f"paragraph {d['paragraph']}" if d.get("paragraph") else None,
            f"proposed by {d['proposer']}" if d.get("proposer") else None,
            f"seconded by {d['seconder']}" if d.get("seconder") else None,
        )
        if x
    )
    votes = d.get("votes") or {}
    counts = ", ".join(f"{_LABEL[p]} {_count(votes[p])}" for p in ("for", "against", "abstain") if p in votes)
    title = f" on {d['title']}" if d.get("title") else ""
    parts = [f"On {when} the {who} put the {what}{title}" + (f" ({where})" if where else "") + f" to a recorded vote: {counts}."]
    if d.get("outcome"):
        parts.append(f"The {what} was {d['outcome']}.")
    for p, rx in _ASKED.items():
        if p in votes and rx.search(question):
            names = votes[p].get("names") or []
            parts.append(f"{_LABEL[p]} ({_count(votes[p])}): " + (", ".join(names) if names else "no names recorded") + ".")
    for name in re.findall(rf"\b{TITLES}\.?(?:\s+[A-Z]\.?)*\s+[A-Z][\w'’\-]+", question):
        if re.search(r"['’]s?$", name):  # "Mr Lehmann's amendment": his motion is asked about, not how he voted
            continue
        said = [
            p for p in ("for", "against", "abstain") if p in votes and any(member_matches(name, n) for n in votes[p].get("names") or [])
        ]
        verb = {"for": "voted for", "against": "voted against", "abstain": "abstained"}
        parts.append(f"{name} {verb[said[0]]}." if said else f"{name} is not named in the vote lists.")
    for w in d.get("warnings") or []:
        parts.append(f"(Note: {w}.)")
    return " ".join(parts)


def _count(v: dict) -> str:
    n = v.get("count")
    return str(n) if n is not None else str(len(v.get("names") or []))
