"""How a candidate sentence of an answer is scored against the question (index/answer.py picks and composes them).

A sentence scores by its similarity to the question, the share of the question's terms it holds (an acronym counting
for its long form), its passage's similarity, rank and judged relevance, and by what it is: a decision, when the question asks what was
decided; a statement of the kind of fact asked (an amount, a percentage, a count, a date, a name: index/facts.py); not a
table's label run, a paper's statement of purpose or a number run. The weights and why: docs/ANSWERS.md.
"""

from __future__ import annotations

import re

from boardpapers.ingest.minutes import NARRATED_DECISION

from .facts import fact_kind
from .glossary import spelled_by_initials
from .judge import concepts
from .recordanswer import DECISION_Q
from .tokenize import tokenize_query

# --- scoring weights (see docs/ANSWERS.md) -------------------------------------------------------------
W_OVERLAP = 0.35  # share of the question's terms that the sentence holds
W_DECISION = 0.08  # sentence from a decision passage, when the question asks what was decided
W_RECENCY = 0.02  # newest meeting among the hits gets the full bonus (a tie-breaker between near-equals)
W_RANK = 0.06  # retrieval rank prior: hit 1 gets the full bonus, decaying as 1/rank
W_PASSAGE = 0.3  # cosine(question, whole passage): context for short sentences ("That the report be noted.")
# the judge's relevance of the sentence's passage (index/judge.py): the passage that answers is often the one the judge
# finds most about the question, while the ranking put a passage on the topic's general words first (docs/ANSWERS.md)
W_RELEVANCE = 0.3
W_DECISION_SENT = 0.2  # a RESOLVED/AGREED/"That ..." sentence in a decision passage, for a decision question
W_DATE = 0.08  # the question names the meeting's year (and month)
JUNK_PENALTY = 0.3

DECISION_SENT = re.compile(
    r"^\W*(?:\(?[a-z0-9ivx]{1,4}[).]\s*)?(?:RESOLVED|AGREED|That\b|It was (?:agreed|resolved|noted)|(?:Resolved|Agreed|Decided)\s*[:–—-])"
    r"|\b(?:RESOLVED|AGREED|was agreed|were agreed|be approved|was approved|be endorsed|be welcomed|be noted)\b|" + NARRATED_DECISION
)
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_YEAR = re.compile(r"(?<![\d/\-])(19|20)\d\d(?![\d/\-])")


def _question_dates(question: str) -> tuple[set[str], set[str]]:
    """Years and year-months ('2015', '2015-03') the question names (not financial years like 2016/17)."""
    years = {m.group(0) for m in _YEAR.finditer(question)}
    months = set()
    low = question.casefold()
    for i, name in enumerate(_MONTHS, 1):
        for m in re.finditer(rf"\b{name}\s+((?:19|20)\d\d)\b", low):
            months.add(f"{m.group(1)}-{i:02d}")
    return years, months


def _junk(quote: str) -> bool:
    toks = quote.split()
    words = [t for t in toks if re.fullmatch(r"[A-Za-z][a-z'’-]{2,}[,.;:]?", t)]
    return len(toks) >= 6 and len(words) / len(toks) < 0.5


def _asks_decision(question: str) -> bool:
    return bool(DECISION_Q.search(question))


W_META = 0.1  # "The purpose of this report is ..." says what a paper is about, rarely the fact asked for
_META_SENT = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:the\s+purpose\s+of\s+this\s+(?:report|paper)|this\s+(?:report|paper)\s+(?:sets\s+out|provides|presents|seeks|outlines|summarises|informs))",
    re.I,
)
W_FIGURE = 0.2  # a sentence stating a figure, when the question asks for a quantity
W_TABLE = 0.1  # a table row, when the question asks for a fact: running text stating it reads better (index/facts.py)
QUANTITY_Q = re.compile(
    r"\b(how (many|much)|number of|cost|costs|total|percentage|proportion|rate|amount|figure|budget|savings?|target)\b|%", re.I
)
FIGURE = re.compile(
    r"£\s?(?!['’]?000s?\b)\d|\d\s?%|\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)?\s?(?:m|bn|k|million|billion)\b|(?<=\w )(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?\s+[a-z]"
)
_STATEMENT = re.compile(r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?[A-Z][a-z]*\b.*\b[a-z]{3,}\b.*[.!?]$", re.S)  # running text, not a cell run
# a decision reported outside a decision block: 'It was agreed to ...', 'the Committee resolved, with a unanimous vote, to
# refer ...', a resolution quoted in a report ('That implementation of Decision 24/00093 be postponed ...')
REPORTED_DECISION = re.compile(
    r"\b(?:RESOLVED|AGREED|[Ii]t was (?:agreed|resolved|decided)|(?:agreed|decided|resolved)(?:,[^,.]{1,60},)? to)\b"
    r"|^\W*(?:\(?[a-z0-9ivx]{1,4}[).]\s*)?That\b[^.;]{0,300}?\bbe\s+[a-z]+ed\b|" + NARRATED_DECISION
)
# a report's recommendation to its decision-maker, Kent style: '(iii) ENDORSE the Cabinet Member's proposal to ...'
_REC_HEAD = r"^\W*(?:\(?[a-z0-9ivx]{1,4}[).]\s*)?(?:To\s+)?"  # a list marker, then the recommended verb
_ACTIONS = "AGREE|APPROVE|ENDORSE|DELEGATE|ADOPT|RECOMMEND"
RECOMMENDATION = re.compile(rf"{_REC_HEAD}(?:NOTE|{_ACTIONS})\b")
# ... and one that asks it to act, not only to note: what a body 'was asked to do' (it can lead an answer, index/answer.py)
RECOMMENDED_ACTION = re.compile(rf"{_REC_HEAD}(?:{_ACTIONS})\b")


def inherit_item_relevance(hits: list[dict], dense: list[float]) -> list[float]:
    """A decision passage is as relevant as the discussion it closes.

    A minute's RESOLVED block ("That the report be noted") rarely repeats what the item was about; the
    discussion before it does. For decision questions a decision passage takes the best question similarity
    of any hit from the same document and agenda item / minute, so the resolution of the minute that
    matches the question can lead the answer.
    """
    best: dict[tuple, float] = {}
    for h, d in zip(hits, dense):
        if h.get("item"):
            key = (h.get("doc_id"), h["item"])
            best[key] = max(best.get(key, d), d)
    return [
        max(d, best.get((h.get("doc_id"), h.get("item")), d)) if h.get("is_decision") and h.get("item") else d for h, d in zip(hits, dense)
    ]


def question_features(question: str, hits: list[dict], glossary: dict | None = None) -> dict:
    """What the scoring needs to know about the question (and its hits' meeting dates)."""
    dates = sorted({h["meeting_date"] for h in hits if h.get("meeting_date")})
    years, months = _question_dates(question)
    glossary = {**(glossary or {}), **spelled_by_initials(question, glossary or {}, [h["text"] for h in hits])}
    return {
        "terms": set(tokenize_query(question)),
        "spellings": {c.term: c.alternatives for c in concepts(question, glossary) if c.alternatives},
        "decision": _asks_decision(question),
        "quantity": bool(QUANTITY_Q.search(question)),
        "fact": fact_kind(question),
        "meta": bool(re.search(r"\b(purpose|about|aim|summary|overview)\b", question, re.I)),
        "recency": {d: (i / (len(dates) - 1) if len(dates) > 1 else 1.0) for i, d in enumerate(dates)},
        "years": years,
        "months": months,
    }


def overlap(q: dict, terms: set[str]) -> float:
    """The share of the question's terms a sentence holds, an acronym counting for the long form it stands for and the
    long form for the acronym (the index's glossary, index/judge.py: 'PNA' holds 'pharmaceutical needs assessment')."""
    if not q["terms"]:
        return 0.0
    alts = q["spellings"]
    return sum(1 for t in q["terms"] if t in terms or any(set(a) <= terms for a in alts.get(t, ()))) / len(q["terms"])


def score_sentence(c: dict, h: dict, q: dict, dense: float) -> float:
    """A candidate sentence's score (the weights above; docs/ANSWERS.md)."""
    quote = c["quote"]
    score = c["cos"] + W_OVERLAP * c["overlap"] + W_RANK / (c["hit"] + 1) + W_PASSAGE * dense + W_RELEVANCE * (h.get("relevance") or 0.0)
    if q["decision"] and h.get("is_decision"):
        score += W_DECISION + (W_DECISION_SENT if DECISION_SENT.search(quote) else 0.0)
    elif q["decision"] and (REPORTED_DECISION.search(quote) or RECOMMENDATION.search(quote)):
        score += W_DECISION_SENT / 2  # a decision reported in an officer's report ('It was agreed to approve ...'), or proposed
    if not q["meta"] and _META_SENT.search(quote):
        score -= W_META
    if c["fact"] or (q["quantity"] and not c["table"] and FIGURE.search(quote)):
        score += W_FIGURE  # the sentence states the kind of fact asked (an amount, a date, a count, a name ...)
    if q["fact"] and c["table"]:
        score -= W_TABLE
    md = h.get("meeting_date") or ""
    if md[:7] in q["months"]:
        score += W_DATE
    elif md[:4] in q["years"] and not q["months"]:
        score += W_DATE / 2
    if _junk(quote) and not (c["fact"] and _STATEMENT.search(quote)):
        score -= JUNK_PENALTY  # a number run; not a sentence stating the fact asked ("totals £52m in 2017/18 and ...")
    return score + W_RECENCY * q["recency"].get(h.get("meeting_date"), 0.0)
