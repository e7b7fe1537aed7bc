"""Cited answers: pick the sentences in the top hits that answer a question, or abstain when the evidence is weak.

Extractive by default: every sentence in an answer is quoted verbatim from a retrieved passage (``quote`` is an
exact substring of the cited passage's ``text``) and followed by its ``[n]`` citation. An optional generative mode
(index/generate.py) asks an OpenAI-compatible chat endpoint to write the answer from the numbered passages only, keeps
only the sentences that carry a valid ``[n]``, and falls back to the extractive answer on any endpoint failure.

Abstention follows the relevance judge (index/judge.py): no strong match, no answer (docs/ANSWERS.md).
"""

from __future__ import annotations

import numpy as np

from .asking import asked_figure
from .attendance import attendance_answer
from .facts import (
    UNSTATED,
    fact_kind,
    is_table_row,
    owner,
    said_naming,
    stated_elsewhere,
    states,
    states_asked,
    states_figure,
    tabular,
    unit_states,
)
from .generate import generate
from .hits import numbered_hit, public_hit
from .neighbours import continuations, describe_rows, introduced_by, row_heads
from .query import Filters, QueryError
from .rank import CANDIDATES, embedder_for
from .recordanswer import DECISION_Q, led_by_record, record_answer, record_only
from .replies import ABSTAIN_TEXT, NO_MATCH_TEXT, UNCITED_NAME_TEXT, UNNAMED_TEXT, UNSTATED_OF_TEXT, UNSTATED_TEXT, and_list, no_match_text
from .search import search
from .sentences import candidate_sentences, display, quotable, split_sentences
from .sentscore import (
    DECISION_SENT,
    RECOMMENDED_ACTION,
    REPORTED_DECISION,
    inherit_item_relevance,
    overlap,
    question_features,
    score_sentence,
)
from .sentvec import one_encoder_thread, sentence_vectors
from .tokenize import tokenize_query
from .undecided import is_proposal, no_decision_found, preamble, proposals
from .unnamed import figure_of_asked, name_phrases, unnamed

# --- selection (see docs/ANSWERS.md) ---------------------------------------------------------------------
READ = 16  # strong matches read: the sentence stating the fact asked is often in a passage ranked below the 8th
# a decision passage this close to the best passage's similarity leads the answer (council dev: 0.15 let an unrelated
# RESOLVED block lead q078; 0.03-0.1 same elsewhere), as does a decision sentence scoring best of all (``select_sentences``)
DECISION_DENSE_GAP = 0.1
MAX_PER_HIT = 2  # sentences quoted from any one passage
DROP = 0.2  # a passage's second sentence, and the lead: within this of the best score
BREADTH_DROP = 0.4  # each further strong passage's best sentence: within this of the best score
MAX_SENTENCES = 4
DUP_COSINE = 0.92


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


def score_sentences(index, question: str, hits: list[dict], embedder, qvec: np.ndarray | None = None) -> tuple[list[dict], dict]:
    """Every candidate sentence of the hits with its scores; plus the evidence summary used for abstention.
    ``qvec``: the question's vector from the search (encoded here only when not given)."""
    if qvec is None:
        qvec = embedder.encode_query(question)
    q = question_features(question, hits, getattr(index, "glossary", None))
    cands = candidate_sentences(hits)
    dense = dense_similarities(index, hits, qvec, embedder)
    if q["decision"]:
        dense = inherit_item_relevance(hits, dense)
    for j, i in introduced_by(hits).items():  # the motion after 'agreed the following motion:' (index/neighbours.py)
        dense[j] = max(dense[j], dense[i])
    if not cands:
        return [], {"best_sentence_cos": 0.0, "top_dense": max(dense, default=0.0), "dense": dense, "qvec": qvec}
    vecs, own = sentence_vectors(index, hits, cands, qvec, embedder)
    before: dict[str, str] = {}  # the passages read above a table (index/neighbours.py)
    for c, v, cs, mine in zip(cands, vecs, vecs @ qvec, own):
        h = hits[c["hit"]]
        c["terms"] = set(tokenize_query(c["quote"]))
        c["overlap"] = overlap(q, c["terms"])
        c["vec"], c["own"], c["cos"], c["dense"] = v, mine, float(cs), dense[c["hit"]]
        c["table"] = is_table_row(c["quote"]) or tabular(c["quote"])
        c["fact"] = states_asked(q["fact"], question, c["quote"])
        if q["fact"] and c["table"]:  # a row states the fact asked when its column's unit says so ('£000')
            c["heads"], c["unit"] = row_heads(index, c, hits, before)
            c["fact"] = c["fact"] or unit_states(q["fact"], c["unit"])
        c["score"] = score_sentence(c, h, q, dense[c["hit"]])
        c["proposal"] = bool(q["decision"] and is_proposal(c["quote"]))
        c["decision_sent"] = bool(
            q["decision"]
            and (
                DECISION_SENT.search(c["quote"])
                and (h.get("is_decision") or REPORTED_DECISION.search(c["quote"]))
                or RECOMMENDED_ACTION.search(c["quote"])
            )
        )
    cands.sort(key=lambda c: (-c["score"], c["hit"], c["start"]))
    evidence = {"best_sentence_cos": max(c["cos"] for c in cands), "top_dense": max(dense, default=0.0), "dense": dense, "qvec": qvec}
    return cands, evidence


# a fact question: the strong matches down to this rank are searched for a sentence stating the fact asked; no further,
# so the search ranks the same candidates as for the READ it quotes from (index/rank.py: k * 3 of them, at least CANDIDATES)
WIDE = CANDIDATES // 3
DECISIONS_POOL = 200  # a decision question looks this deep among the strong matches for decision passages ...
DECISIONS_MORE = 2  # ... and reads this many of them besides the READ best (decisions_below)


def decisions_below(hits: list[dict]) -> list[dict]:
    """For a decision question, the DECISIONS_MORE strong decision passages of ``hits`` (the strong matches ranked
    below those read) that the judge finds most relevant. A decision the minutes narrate in one sentence ("The Board
    confirmed that it was content for the Chief Executive to ... approve the BCF Plan for submission") ranks low: it
    shares few words with the question and its vector is a sentence's, yet it is what was decided."""
    decisions = [h for h in hits if h.get("is_decision")]
    return sorted(decisions, key=lambda h: -(h.get("relevance") or 0.0))[:DECISIONS_MORE]


def stating(hits: list[dict], kind: str | None, terms: set[str]) -> list[dict]:
    """The hits (strong matches ranked below those read) with a sentence that states the kind of fact asked and holds
    one of the question's terms: the passage holding the answer to a fact question is often about something else
    (a panel's membership and meetings, a table of plans), so it ranks low."""
    out = []
    for h in hits if kind else []:
        for s, e in quotable(h["text"]):
            if states(kind, h["text"][s:e]) and terms & set(tokenize_query(h["text"][s:e])):
                out.append(h)
                break
    return out


def select_sentences(cands: list[dict], undecided: bool = False) -> list[dict]:
    """Greedy: best first, skip near-duplicates, stop when the score drops well below the best. ``undecided``: a
    decision question whose matches record no decision, led by what was put to the meeting (index/undecided.py)."""
    chosen: list[dict] = []
    if not cands:
        return chosen
    best = cands[0]["score"]
    # decision questions: lead with the decision itself when a relevant passage records one, or when the best sentence
    # of all is a decision (one the minutes narrate, in a passage less like the question than a plan's paragraphs)
    top_dense = max(c["dense"] for c in cands)
    dec = [
        c
        for c in cands
        if c.get("decision_sent") and (c["dense"] >= top_dense - DECISION_DENSE_GAP or c["score"] >= best) and not c.get("below")
    ]
    if dec:
        chosen.append(dict(dec[0], lead=True))
        chosen.extend([c for c in dec[1:] if c["hit"] == dec[0]["hit"]][:1])
    elif undecided and (put := proposals(cands, top_dense, DECISION_DENSE_GAP)):
        chosen.extend(put)
    else:
        # fact questions: lead with the best sentence stating the kind of fact asked, running text before a table row
        fact = [c for c in cands if c.get("fact") and c["score"] >= best - DROP and not c.get("below")]
        running = [c for c in fact if not c["table"]]
        if fact:
            chosen.append(dict((running or fact)[0], lead=True))
    for per_hit, drop in ((1, BREADTH_DROP), (MAX_PER_HIT, DROP)):  # each passage's best sentence first, then second ones
        for c in cands:
            if len(chosen) >= MAX_SENTENCES or c["score"] < best - drop:
                break
            if any(c["hit"] == x["hit"] and c["start"] == x["start"] for x in chosen):
                continue
            if sum(1 for x in chosen if x["hit"] == c["hit"]) >= per_hit:
                continue
            if any(near_duplicate(c, x) for x in chosen):
                continue
            chosen.append(c)
    return chosen


DUP_WORDS = 0.8  # share of words two sentences have in common to count as the same point (when a vector is shared)


def near_duplicate(a: dict, b: dict) -> bool:
    """The same point twice: the same words, or (own sentence vectors) cosine >= DUP_COSINE, or (a vector shared with
    a window's other sentences, index/sentvec.py) most words in common."""
    if display(a["quote"]).casefold() == display(b["quote"]).casefold():
        return True
    if a.get("own") and b.get("own"):
        return float(a["vec"] @ b["vec"]) >= DUP_COSINE
    ta, tb = a.get("terms") or set(), b.get("terms") or set()
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) >= DUP_WORDS


def _compose(chosen: list[dict], hits: list[dict]) -> tuple[str, list[dict], list[dict]]:
    """Answer text 'sentence [n] sentence [m]', citations numbered by first use, and the sentence records.

    The lead sentence (a decision's, or the fact asked for) comes first; the other passages follow in the search's
    order of the strong matches (the order ``hits`` has), each passage's sentences in reading order, each passage
    cited once; a passage not judged a strong match is never quoted."""
    chosen = [c for c in chosen if hits[c["hit"]].get("match") == "strong"]
    first = [c["hit"] for c in chosen if c.get("lead")]
    order = {hi: i for i, hi in enumerate(dict.fromkeys(first + sorted(c["hit"] for c in chosen)))}
    chosen = sorted(chosen, key=lambda c: (order[c["hit"]], not c.get("lead"), c["start"]))
    numbers: dict[int, int] = {}
    citations: list[dict] = []
    parts: list[str] = []
    sentences: list[dict] = []
    for c in chosen:
        if c["hit"] not in numbers:
            numbers[c["hit"]] = len(numbers) + 1
            citations.append(numbered_hit(hits[c["hit"]], numbers[c["hit"]]))
        n = numbers[c["hit"]]
        shown = c.get("shown") or display(c["quote"])
        said = owner(hits[c["hit"]]) if c.get("lead") and c.get("fact") else None
        parts.append((f"{said}: " if said else "") + f"{shown} [{n}]")
        rec = {"n": n, "quote": c["quote"], "display": shown, "start": c["start"], "end": c["end"], "score": round(c["score"], 4)}
        rec.update({k: c[k] for k in ("heads", "unit") if c.get(k)})
        sentences.append({**rec, "owner": said} if said else rec)
    return " ".join(parts), citations, sentences


def ask(
    index,
    question: str,
    k: int = READ,
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
    with one_encoder_thread():  # index/sentvec.py: a question's few short encodes, immune to busy cores
        out = _answer(index, question, k, filters, embedder, pool)
    return phrase(out, llm, llm_model, llm_key, timeout) if llm and not out.get("abstained") else out


def _answer(index, question: str, k: int, filters: Filters | None, embedder, pool: int) -> dict:
    """The extractive answer (or abstention) of ``ask``."""
    kind = fact_kind(question)
    decision_q = bool(DECISION_Q.search(question))
    depth = max(k, WIDE if kind else k, DECISIONS_POOL if decision_q else k, pool)
    # the ranking's own order: the sentence scorer's W_RANK was fitted on it, and the judge's relevance enters through
    # the passages read (judged order: ask cites gold Leicester 0.946 -> 0.919, Kent 0.938 -> 0.923, docs/BENCHMARKS.md)
    res = search(index, question, k=depth, filters=filters, embedder=embedder, crowd=False, judged=False)
    notes = list(f"query expanded: {n}" for n in res.notes)
    out = {"question": question, "answer": ABSTAIN_TEXT, "abstained": True, "citations": [], "related": [], "notes": notes}
    hits = res.strong[: max(k, pool)]
    if not hits:
        missing = unnamed(question, res.hits[:k], index)  # the judge found none: say why when a name is what is missing
        return _abstain(out, no_match_text(question, missing, bool(res.hits)), res, missing)
    if decision_q:
        hits = hits + decisions_below(res.strong[len(hits) :])
    wide = stating(res.strong[len(hits) :], kind, set(tokenize_query(question)))
    below = range(len(hits), len(hits) + len(wide))  # read for a sentence stating the fact asked: they add, never lead
    hits = hits + wide
    hits = hits + continuations(index, hits, res, fact=kind is not None)
    missing = unnamed(question, hits, index)
    if missing:  # the papers that match never mention the place or body asked about (index/unnamed.py)
        return _abstain(out, UNNAMED_TEXT.format(names=and_list(missing)), res, missing)
    whole, rec = _from_records(index, question, hits, res, embedder)
    if whole is not None and whole.get("abstained"):  # it asks who attended a meeting whose minutes are not indexed
        return _abstain(out, whole["answer"], res, [])
    if whole is not None:
        out.update(whole, abstained=False, evidence={"matches": res.matches})
        return out
    cands, ev = score_sentences(index, question, hits, embedder, res.qvec)
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
    for c in cands:
        c["below"] = c["hit"] in below
    undecided = rec is None and no_decision_found(question, hits, cands, DECISION_DENSE_GAP)
    chosen = select_sentences(cands, undecided)
    if rec is None and (half := half_answered(index, question, chosen, cands, hits, res, out)) is not None:
        return half
    describe_rows(index, chosen, hits)
    answer, citations, sentences = _compose(chosen, hits) if cands else ("", [], [])
    mode = "extractive"
    if undecided and answer:
        put = next((c for c in chosen if c.get("lead") and c.get("proposal")), None)
        answer = preamble(hits[put["hit"]] if put else None) + " " + answer
        out["decision_recorded"] = False
    if rec is not None:
        answer, citations, sentences = led_by_record(rec, answer, citations, sentences)
        mode = "decision record"
    out.update({"answer": answer, "abstained": False, "citations": citations, "sentences": sentences, "mode": mode})
    return out


def half_answered(index, question: str, chosen: list[dict], cands: list[dict], hits: list[dict], res, out: dict) -> dict | None:
    """An abstention when the sentences chosen would not answer, else None (a candidate that does may lead them): none
    of their passages names the place the question does (index/unnamed.py), or none of them states the figure it asks
    for, or only of another thing than it names (index/unnamed.py, ``figure_of_asked``)."""
    missing = unnamed(question, [hits[c["hit"]] for c in chosen], index)
    figure = asked_figure(question)
    if chosen and missing and figure:  # the figure, in a sentence or row of the strong matches naming what they leave out
        terms = {t for w in missing for t in tokenize_query(w)}
        if (lead := said_naming(cands, figure, question, lambda c: terms <= set(tokenize_query(c["quote"])))) is not None:
            _lead_with(chosen, lead)
            missing = []
    if chosen and missing:  # a strong match names the place, but the sentences that would answer come from others
        return _abstain(out, UNCITED_NAME_TEXT.format(names=and_list(missing)), res, missing)
    if not (chosen and figure):
        return None
    stating = [c for c in chosen if states_figure(figure, question, c["quote"], c["table"])]
    memo: dict = {}  # what figure_of_asked reads once for the question
    named = next((c for c in stating if figure_of_asked(question, hits[c["hit"]], c, index, memo)), None)
    if named is not None:  # the figure said of the thing the question names leads
        if named is not stating[0]:
            _lead_with(chosen, named)
        return None
    if stating:  # stated of other things: the figure, in a sentence or row of the strong matches that names the thing
        lead = said_naming(cands, figure, question, lambda c: figure_of_asked(question, hits[c["hit"]], c, index, memo, own=True))
    else:
        lead = stated_elsewhere(question, figure, cands)  # the count, in a row naming the thing
    if lead is not None:
        _lead_with(chosen, lead)
        return None
    out["unstated"] = figure  # about the subject, but none states the figure asked, or only of other things (docs/ANSWERS.md)
    what = UNSTATED[figure]
    of = name_phrases(question, [(hits[c["hit"]], c) for c in stating], index)
    text = UNSTATED_OF_TEXT.format(what=what, names=and_list(of)) if stating else UNSTATED_TEXT.format(what=what)
    return _abstain(out, text, res, [], shown=res.strong[:5])


def _lead_with(chosen: list[dict], lead: dict) -> None:
    """``lead`` leads the answer, the other sentences chosen after it (up to MAX_SENTENCES in all), none of them a lead."""
    chosen[:] = [dict(lead, lead=True)] + [dict(c, lead=False) for c in chosen if c is not lead][: MAX_SENTENCES - 1]


def _from_records(index, question: str, hits: list[dict], res, embedder) -> tuple[dict | None, dict | None]:
    """(the whole answer's fields, or None; else the decision record that leads the usual answer, or None): who
    chaired, attended or sent apologies, read from the meeting's minutes (index/attendance.py); a vote, or a decision,
    from the register's record (index/recordanswer.py)."""
    att = attendance_answer(index, question, hits, embedder)
    if att is not None:
        return (att if att.get("abstained") else record_only(att, "minutes attendance", "attendance")), None
    rec = record_answer(index, question, hits, res.query_text, res.qvec)
    if rec is not None and rec["only"]:
        return record_only(rec), None
    return None, rec


def _abstain(out: dict, text: str, res, missing: list[str], shown: list[dict] | None = None) -> dict:
    """``out`` as an abstention saying ``text``, with the closest related passages, or the passages ``shown`` (and the
    names no match holds)."""
    out.update(answer=text, related=[public_hit(h) for h in (res.hits[:5] if shown is None else shown)])
    if missing:
        out["unnamed"] = missing
    return out


def phrase(out: dict, llm: str, llm_model: str | None = None, llm_key: str | None = None, timeout: float = 60.0) -> dict:
    """The answer ``out`` of ``ask`` phrased by the chat endpoint at ``llm`` from its cited passages only
    (index/generate.py); on any failure, ``out`` unchanged but for a note. Abstentions and recorded votes are kept as
    they are (a vote's record and a meeting's attendance are exact; there is nothing to phrase in an abstention)."""
    if out.get("abstained") or not out.get("citations") or out.get("mode") in ("vote record", "minutes attendance"):
        return out
    gen = generate(out["question"], out["citations"], llm, llm_model, llm_key, timeout)
    notes = list(out.get("notes") or [])
    if gen.get("error"):
        return {**out, "notes": [*notes, f"generative answer unavailable ({gen['error']}); showing the extractive answer"]}
    phrased = {k: v for k, v in out.items() if k != "sentences"}
    return {**phrased, **gen["result"], "mode": "generative", "notes": [*notes, *gen.get("notes", [])]}


__all__ = ["ask", "phrase", "split_sentences", "display", "ABSTAIN_TEXT", "NO_MATCH_TEXT", "QueryError"]
