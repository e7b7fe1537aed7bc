"""Cited answers: pick the sentences in the top hits that answer a question, or abstain when the evidence is weak.

Extractive by default: every sentence in an answer is quoted verbatim from a retrieved passage (``quote`` is an
exact substring of the cited passage's ``text``) and followed by its ``[n]`` citation. An optional generative mode
(index/generate.py) asks an OpenAI-compatible chat endpoint to write the answer from the numbered passages only, keeps
only the sentences that carry a valid ``[n]``, and falls back to the extractive answer on any endpoint failure.

Abstention follows the relevance judge (index/judge.py): no strong match, no answer (docs/ANSWERS.md).
"""

from __future__ import annotations

import re

import numpy as np

from .generate import generate
from .hits import hit_from_row, numbered_hit, public_hit
from .judge import judge
from .query import Filters, QueryError
from .rank import embedder_for
from .recordanswer import DECISION_Q, led_by_record, record_answer, record_only
from .search import search
from .tokenize import tokenize_query

ABSTAIN_TEXT = "The indexed papers don't seem to answer this question."

# --- scoring weights (see docs/ANSWERS.md) -------------------------------------------------------------
W_OVERLAP = 0.35  # share of the question's terms that the sentence holds
W_DECISION = 0.08  # sentence from a decision passage, when the question asks what was decided
W_RECENCY = 0.02  # newest meeting among the hits gets the full bonus (a tie-breaker between near-equals)
W_RANK = 0.06  # retrieval rank prior: hit 1 gets the full bonus, decaying as 1/rank
W_PASSAGE = 0.3  # cosine(question, whole passage): context for short sentences ("That the report be noted.")
W_DECISION_SENT = 0.2  # a RESOLVED/AGREED/"That ..." sentence in a decision passage, for a decision question
W_DATE = 0.08  # the question names the meeting's year (and month)
JUNK_PENALTY = 0.3
DECISION_DENSE_GAP = 0.1  # a decision passage this close to the best passage's similarity leads the answer (council dev: 0.15 let an unrelated RESOLVED block lead q078; 0.03-0.1 same elsewhere)
MAX_PER_HIT = 2  # sentences quoted from any one passage
DROP = 0.2  # stop adding sentences once the score is this far below the best
MAX_SENTENCES = 4
MIN_WORDS = 4
MAX_SENTENCE_CHARS = 600
DUP_COSINE = 0.92


# sentence boundary: end punctuation + space before a capital / digit / bracket / quote, a blank line, or a
# new line that opens a list item or heading
# (not ingest/chunk.py's _SENT_END, on purpose: chunk units also end at ';' / ':' before a capital, which would cut
# quotes into fragments; a quote here is a whole sentence. Merging the two would change both outputs.)
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"')\]”’]*\s+(?=[A-Z0-9(\"“‘'•\-–])"
    r"|\n\s*\n"
    r"|\n(?=\s*(?:[•●▪\-–*]|\(?[a-z0-9ivx]{1,4}[).]\s|\d+(?:\.\d+)*\.?\s+[A-Z]))"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in ``text``; ``text[start:end]`` is stripped of outer whitespace."""
    spans: list[tuple[int, int]] = []
    pos = 0
    cuts = [m for m in _BOUNDARY.finditer(text)]
    bounds = []
    for m in cuts:
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(text)))
    for s, e in bounds:
        for s2, e2 in _split_long(text, s, e):
            while s2 < e2 and text[s2].isspace():
                s2 += 1
            while e2 > s2 and text[e2 - 1].isspace():
                e2 -= 1
            if e2 > s2:
                spans.append((s2, e2))
    return spans


def _split_long(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Very long 'sentences' (tables, run-on lists) are cut at '; ' or newlines so quotes stay readable."""
    if e - s <= MAX_SENTENCE_CHARS:
        return [(s, e)]
    out = []
    start = s
    for m in re.finditer(r";\s+|\n", text[s:e]):
        cut = s + m.end()
        if cut - start >= 80:
            out.append((start, s + m.start() + (1 if text[s + m.start()] == ";" else 0)))
            start = cut
    out.append((start, e))
    return out


def display(quote: str) -> str:
    """The display form of a quote: internal whitespace (PDF line breaks) collapsed."""
    return " ".join(quote.split())


_DECISION_SENT = re.compile(
    r"^\W*(?:\(?[a-z0-9ivx]{1,4}[).]\s*)?(?:RESOLVED|AGREED|That\b|It was (?:agreed|resolved|noted))"
    r"|\b(?:RESOLVED|AGREED|was agreed|were agreed|be approved|was approved|be endorsed|be welcomed|be noted)\b"
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


def _passage_rows(index, hits: list[dict]) -> list[int | None]:
    """Row numbers in the index of the hits (None when a passage is not in this generation)."""
    return index.rows_for_passage_ids([h["passage_id"] for h in hits])


def dense_similarities(index, hits: list[dict], qvec: np.ndarray, embedder=None) -> list[float]:
    """cosine(question, passage) for each hit, from the index's stored vectors (re-encoded when missing)."""
    rows = _passage_rows(index, hits)
    sims = [0.0] * len(hits)
    present = [i for i, r in enumerate(rows) if r is not None]
    missing = [i for i, r in enumerate(rows) if r is None]
    if present:
        vecs = index.vectors_at([rows[i] for i in present])
        for i, v in zip(present, vecs):
            sims[i] = float(v @ qvec)
    if missing and embedder is not None:
        v = embedder.encode([hits[i]["text"] for i in missing])
        for i, vec in zip(missing, v):
            sims[i] = float(vec @ qvec)
    return sims


W_META = 0.1  # "The purpose of this report is ..." says what a paper is about, rarely the fact asked for
_META_SENT = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:the\s+purpose\s+of\s+this\s+(?:report|paper)|this\s+(?:report|paper)\s+(?:sets\s+out|provides|presents|seeks|outlines|summarises|informs))",
    re.I,
)
W_FIGURE = 0.2  # a sentence stating a figure, when the question asks for a quantity
QUANTITY_Q = re.compile(
    r"\b(how (many|much)|number of|cost|costs|total|percentage|proportion|rate|amount|figure|budget|savings?|target)\b|%", re.I
)
FIGURE = re.compile(
    r"£\s?\d|\d\s?%|\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)?\s?(?:m|bn|k|million|billion)\b|(?<=\w )(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?\s+[a-z]"
)
REPORTED_DECISION = re.compile(r"\b(?:RESOLVED|AGREED|[Ii]t was (?:agreed|resolved|decided)|(?:agreed|decided|resolved) to)\b")


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


def _candidate_sentences(hits: list[dict]) -> list[dict]:
    """The sentences of the hits long enough to quote: {"hit", "start", "end", "quote"}."""
    return [
        {"hit": hi, "start": s, "end": e, "quote": h["text"][s:e]}
        for hi, h in enumerate(hits)
        for s, e in split_sentences(h["text"])
        if len(re.findall(r"\w+", h["text"][s:e])) >= MIN_WORDS
    ]


def score_sentences(index, question: str, hits: list[dict], embedder) -> tuple[list[dict], dict]:
    """Every candidate sentence of the hits with its scores; plus the evidence summary used for abstention."""
    qvec = embedder.encode_query(question)
    qterms = set(tokenize_query(question))
    decision_q = _asks_decision(question)
    quantity_q = bool(QUANTITY_Q.search(question))
    meta_q = bool(re.search(r"\b(purpose|about|aim|summary|overview)\b", question, re.I))
    dates = sorted({h["meeting_date"] for h in hits if h.get("meeting_date")})
    recency = {d: (i / (len(dates) - 1) if len(dates) > 1 else 1.0) for i, d in enumerate(dates)}
    cands = _candidate_sentences(hits)
    dense = dense_similarities(index, hits, qvec, embedder)
    if decision_q:
        dense = inherit_item_relevance(hits, dense)
    years, months = _question_dates(question)
    if not cands:
        return [], {"best_sentence_cos": 0.0, "top_dense": max(dense, default=0.0), "dense": dense, "qvec": qvec}
    vecs = embedder.encode([display(c["quote"]) for c in cands])
    cos = vecs @ qvec
    for c, v, cs in zip(cands, vecs, cos):
        h = hits[c["hit"]]
        sterms = set(tokenize_query(c["quote"]))
        overlap = len(qterms & sterms) / len(qterms) if qterms else 0.0
        c["vec"] = v
        c["cos"] = float(cs)
        c["overlap"] = overlap
        score = float(cs) + W_OVERLAP * overlap + W_RANK / (c["hit"] + 1) + W_PASSAGE * dense[c["hit"]]
        if decision_q and h.get("is_decision"):
            score += W_DECISION
            if _DECISION_SENT.search(c["quote"]):
                score += W_DECISION_SENT
        elif decision_q and REPORTED_DECISION.search(c["quote"]):
            # a decision reported in an officer's report ('It was agreed to approve ...') is also an answer
            score += W_DECISION_SENT / 2
        if not meta_q and _META_SENT.search(c["quote"]):
            score -= W_META
        if quantity_q and FIGURE.search(c["quote"]):
            score += W_FIGURE
        md = h.get("meeting_date") or ""
        if md[:7] in months:
            score += W_DATE
        elif md[:4] in years and not months:
            score += W_DATE / 2
        if _junk(c["quote"]):
            score -= JUNK_PENALTY
        score += W_RECENCY * recency.get(h.get("meeting_date"), 0.0)
        c["score"] = score
        c["decision_sent"] = bool(
            decision_q and _DECISION_SENT.search(c["quote"]) and (h.get("is_decision") or REPORTED_DECISION.search(c["quote"]))
        )
        c["dense"] = dense[c["hit"]]
    cands.sort(key=lambda c: (-c["score"], c["hit"], c["start"]))
    evidence = {"best_sentence_cos": max(c["cos"] for c in cands), "top_dense": max(dense, default=0.0), "dense": dense, "qvec": qvec}
    return cands, evidence


def select_sentences(cands: list[dict]) -> list[dict]:
    """Greedy: best first, skip near-duplicates, stop when the score drops well below the best."""
    chosen: list[dict] = []
    if not cands:
        return chosen
    best = cands[0]["score"]
    # decision questions: lead with the decision itself when a relevant passage records one
    top_dense = max(c["dense"] for c in cands)
    dec = [c for c in cands if c.get("decision_sent") and c["dense"] >= top_dense - DECISION_DENSE_GAP]
    if dec:
        lead = dec[0]
        chosen.append(lead)
        chosen.extend([c for c in dec[1:] if c["hit"] == lead["hit"]][:1])
    for c in cands:
        if c in chosen:
            continue
        if len(chosen) >= MAX_SENTENCES or c["score"] < best - DROP:
            break
        if sum(1 for x in chosen if x["hit"] == c["hit"]) >= MAX_PER_HIT:
            continue  # leave room for the other passages' best sentences
        if any(
            float(c["vec"] @ x["vec"]) >= DUP_COSINE or display(c["quote"]).casefold() == display(x["quote"]).casefold() for x in chosen
        ):
            continue
        chosen.append(c)
    return chosen


def _compose(chosen: list[dict], hits: list[dict]) -> tuple[str, list[dict], list[dict]]:
    """Answer text 'sentence [n] sentence [m]', citations numbered by first use, and the sentence records."""
    # keep the reading order of the passage for sentences from the same hit, ranked order across hits
    order: dict[int, int] = {}
    for c in chosen:
        order.setdefault(c["hit"], len(order))
    chosen = sorted(chosen, key=lambda c: (order[c["hit"]], c["start"]))
    numbers: dict[int, int] = {}
    citations: list[dict] = []
    parts: list[str] = []
    sentences: list[dict] = []
    for c in chosen:
        if c["hit"] not in numbers:
            numbers[c["hit"]] = len(numbers) + 1
            citations.append(numbered_hit(hits[c["hit"]], numbers[c["hit"]]))
        n = numbers[c["hit"]]
        parts.append(f"{display(c['quote'])} [{n}]")
        sentences.append(
            {
                "n": n,
                "quote": c["quote"],
                "display": display(c["quote"]),
                "start": c["start"],
                "end": c["end"],
                "score": round(c["score"], 4),
            }
        )
    return " ".join(parts), citations, sentences


CONTINUATIONS = 3  # the passage after each of the top hits is read too: a report's point often runs on


def continuations(index, hits: list[dict], res) -> list[dict]:
    """The next passage of the same document and item for the top hits (not already among them), when the judge
    finds it a strong match too: an answer quotes matches only."""
    have = {h["passage_id"] for h in hits}
    extra = []
    for h in hits[:CONTINUATIONS]:
        if h.get("seq") is None:
            continue
        row = index.store.passage_at(h["doc_id"], int(h["seq"]) + 1)
        if row is not None and row["passage_id"] not in have and row.get("item") == h.get("item"):
            have.add(row["passage_id"])
            extra.append(hit_from_row(row, 0.0))
    if not extra:
        return []
    rows = index.rows_for_passage_ids([h["passage_id"] for h in hits + extra])
    known = [(h, r) for h, r in zip(hits + extra, rows) if r is not None]
    verdict = judge(index, [r for _, r in known], res.query_text, res.qvec)
    strong = {h["passage_id"]: float(p) for (h, _), p in zip(known, verdict.relevance) if p >= verdict.threshold}
    out = []
    for h in extra:
        if h["passage_id"] in strong:
            h["match"], h["relevance"] = "strong", round(strong[h["passage_id"]], 4)
            out.append(h)
    return out


NO_MATCH_TEXT = (
    "No passage in the indexed papers is about this question, so there is no answer to quote. "
    "The closest passages are listed below; they are related, not matches."
)


def ask(
    index,
    question: str,
    k: int = 8,
    filters: Filters | None = None,
    embedder=None,
    llm: str | None = None,
    llm_model: str | None = None,
    llm_key: str | None = None,
    timeout: float = 60.0,
    pool: int = 0,
) -> dict:
    """A cited answer to ``question`` quoted from the strong matches among the top ``k`` hits (see module doc); when
    none is a strong match (index/judge.py), an abstention with the closest related passages, marked as such."""
    embedder = embedder_for(index, embedder)
    res = search(index, question, k=max(k, pool), filters=filters, embedder=embedder, crowd=False)  # plain relevance order
    notes = list(f"query expanded: {n}" for n in res.notes)
    out = {"question": question, "answer": ABSTAIN_TEXT, "abstained": True, "citations": [], "related": [], "notes": notes}
    hits = res.strong
    if not hits:
        out["answer"] = NO_MATCH_TEXT if res.hits else ABSTAIN_TEXT
        out["related"] = [public_hit(h) for h in res.hits[:5]]
        return out
    hits = hits + continuations(index, hits, res)
    # a vote or a decision: answered from (or led by) the register's record (index/recordanswer.py)
    rec = record_answer(index, question, hits, res.query_text, res.qvec)
    if rec is not None and rec["only"]:
        out.update(record_only(rec), abstained=False, evidence={"matches": res.matches})
        return out
    cands, ev = score_sentences(index, question, hits, embedder)
    out["evidence"] = {
        "matches": res.matches,
        "best_sentence_cos": round(ev["best_sentence_cos"], 4),
        "top_dense": round(ev["top_dense"], 4),
    }
    if not cands and rec is None:
        out["answer"] = NO_MATCH_TEXT
        notes.append("the matching passages hold no quotable sentence")
        out["related"] = [public_hit(h) for h in res.hits[:5]]
        return out
    answer, citations, sentences = _compose(select_sentences(cands), hits) if cands else ("", [], [])
    mode = "extractive"
    if rec is not None:
        answer, citations, sentences = led_by_record(rec, answer, citations, sentences)
        mode = "decision record"
    out.update({"answer": answer, "abstained": False, "citations": citations, "sentences": sentences, "mode": mode})
    if llm:
        gen = generate(question, hits, llm, llm_model, llm_key, timeout)
        if gen.get("error"):
            notes.append(f"generative answer unavailable ({gen['error']}); showing the extractive answer")
        else:
            out.update(gen["result"])
            out["mode"] = "generative"
            out.pop("sentences", None)
            notes.extend(gen.get("notes", []))
    return out


__all__ = ["ask", "split_sentences", "display", "ABSTAIN_TEXT", "NO_MATCH_TEXT", "QueryError"]
