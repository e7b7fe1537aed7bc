"""`ask` on a vote ("how did the vote go on ...", "who voted against ...", "did Ms Constantine abstain"): answered from
the decision register's record of the recorded vote (ingest/votes.py), not from sentences, because a vote's facts are
its counts and its name lists, which no single sentence holds.

The record is reached through the strong matches of the question: a record whose passages (the motion, the vote, the
RESOLVED text) are among them, or a recorded vote in the same minute as one of them. Among those, the one whose
motion and title share most words with the question answers; on a tie the substantive motion, the council's decision,
goes before the amendments.
"""

from __future__ import annotations

import re

from boardpapers.ingest.dates import date_words
from boardpapers.ingest.votes import TITLES

from .hits import hit_from_row, numbered_hit
from .judge import judge
from .members import member_matches
from .tokenize import tokenize

VOTE_Q = re.compile(r"\b(?:vot(?:e|ed|es|ing)|abstain\w*|abstention\w*|recorded\s+vote|who\s+(?:supported|opposed|backed))\b", re.I)
_ASKED = {
    "against": re.compile(r"\bagainst\b|\bopposed\b", re.I),
    "for": re.compile(r"\bvot\w*\s+for\b|\bin\s+favou?r\b|\bsupported\b|\bbacked\b", re.I),
    "abstain": re.compile(r"\babstain\w*|\babstention", re.I),
}
_LABEL = {"for": "For", "against": "Against", "abstain": "Abstain"}
_STOP = set("who how what which when did does do the a an of to on in for vote voted votes voting against was were go".split())


def asks_vote(question: str) -> bool:
    return bool(VOTE_Q.search(question))


def vote_answer(index, question: str, hits: list[dict], qtext: str, qvec) -> dict | None:
    """The answer fields ({answer, citations, sentences, mode, decision}) for a vote question, from the recorded vote
    its strong matches reach; None when they reach none (the usual answer then stands)."""
    record = _best_record(index, question, hits)
    if record is None:
        return None
    hit = _vote_passage(index, record)
    if hit is None:
        return None
    rows = index.rows_for_passage_ids([hit["passage_id"]])
    if rows and rows[0] is not None:
        verdict = judge(index, [rows[0]], qtext, qvec)
        p = float(verdict.relevance[0])
        hit["match"], hit["relevance"] = ("strong" if p >= verdict.threshold else "related"), round(p, 4)
    text = compose(record, question)
    sentence = {"n": 1, "quote": text, "display": text, "start": 0, "end": 0, "score": 1.0}
    return {
        "answer": f"{text} [1]",
        "citations": [numbered_hit(hit, 1)],
        "sentences": [sentence],
        "mode": "vote record",
        "decision": record,
    }


def _best_record(index, question: str, hits: list[dict]) -> dict | None:
    from .decisions import decisions_and_passages  # the register imports search, which imports answers: not at import time

    decisions, passages = decisions_and_passages(index)
    rank_of = {h["passage_id"]: i for i, h in enumerate(hits)}
    minutes = {(h.get("doc_id"), h.get("minute_number")): i for i, h in reversed(list(enumerate(hits))) if h.get("minute_number")}
    reached: list[tuple[float, dict]] = []
    for d in decisions:
        if not d.get("votes"):
            continue
        ranks = [rank_of[p] for p in passages.get(d["decision_id"], []) if p in rank_of]
        same_minute = minutes.get((d.get("doc_id"), d.get("minute_number")))
        if ranks or same_minute is not None:
            reached.append((min(ranks) if ranks else float(same_minute or 0) + 0.5, d))
    if not reached:
        return None
    # an amendment answers only a question that names one ("the Hood amendment"); otherwise the item's own motion does
    named = [(r, d) for r, d in reached if _names_mover(question, d)]
    if named:
        reached = named
    elif not re.search(r"\bamendment", question, re.I) and any(d.get("motion_type") != "amendment" for _, d in reached):
        reached = [(r, d) for r, d in reached if d.get("motion_type") != "amendment"]
    q = {t for t in tokenize(question) if t not in _STOP}

    def score(item: tuple[float, dict]) -> float:
        rank, d = item
        words = set(tokenize(" ".join(x or "" for x in (d.get("title"), d.get("motion"), d.get("resolution")))))
        return len(q & words) / max(1, len(q)) - 0.01 * rank

    return max(reached, key=score)[1]


def _names_mover(question: str, d: dict) -> bool:
    """Does the question name the member who proposed the motion ('Hood amendment', 'Mr Lehmann's amendment')?"""
    surname = (d.get("proposer") or "").split()[-1:]
    if surname and re.search(rf"\b{re.escape(surname[0])}\b", question, re.I):
        return True
    return False


def _vote_passage(index, record: dict) -> dict | None:
    """The passage holding the record's vote lists (its context says 'Recorded vote'), as a hit."""
    rows = []
    for pid in record.get("passage_ids") or []:
        try:
            seq = int(pid.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            continue
        row = index.store.passage_at(record["doc_id"], seq)
        if row is not None:
            rows.append(row)
    if not rows:
        return None
    row = next((r for r in rows if "Recorded vote" in (r.get("context") or "")), rows[0])
    return hit_from_row(row, 0.0)


def compose(d: dict, question: str) -> str:
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
