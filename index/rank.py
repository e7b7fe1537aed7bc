"""Ranking: BM25 + dense candidates for a query, fused (RRF or linear), decision passages lifted, each candidate
judged (index/judge.py), and the crowding of a first page. One pipeline for both backends (the SearchIndex seams)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import IndexError_
from .glossary import expand_query, query_glossary
from .judge import judge
from .query import DECISION_INTENT, Filters, QueryError, parse_query
from .semantic import vector_flags, with_keyword_stand_ins, without_vectors
from .tokenize import MAX_TOKEN_LEN, tokenize_query
from .wording import held_by, query_variants, section_words, word_notes

MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("rrf", "linear")
DEFAULT_FUSION = "rrf"
RRF_K = 60
RRF_WEIGHTS = (1.0, 1.0)  # (bm25, dense) weights; k 10-60 and weights 1.5:1 / 1:1.5 measured, none clearly better
LINEAR_ALPHA = 0.5  # weight of the dense score in linear fusion
CANDIDATES = 100
# A query that asks what was decided gets decision passages (RESOLVED / AGREED blocks) lifted: their
# score is multiplied by this factor (all modes). The intent test is a fixed list of decision verbs (DECISION_INTENT).
# Council gold set, hybrid rrf MRR@10: 0.581 -> 0.729 at 1.25 (1.15 same, 1.5: 0.70); recall unchanged.
DECISION_BOOST = 1.25
# Crowding (relevance order only): past the first CROWD_KEEP hits, one agenda item of one document shows at most
# CROWD_CAP passages among the first CROWD_PAGE; its other passages move down, and the next best passages of other
# items (from the top CROWD_DEPTH) move up. A long report no longer fills the first page with ten paragraphs, so
# an issue followed across papers shows its other papers. Council dev set (hybrid): trace coverage 0.433 -> 0.575,
# recall@5 and MRR@10 unchanged (the first five are untouched); cap 1: 0.517; keep 3: recall@5 -0.056; per document
# instead of per item: 0.458; depth 200: 0.508 (passages too far down come up).
CROWD_KEEP, CROWD_CAP, CROWD_PAGE, CROWD_DEPTH = 5, 2, 10, 50
# Strong matches are shown in the order of a fusion of their place in the ranking and the judge's relevance
# (``judged_order``): 1 / (RRF_K + place) + JUDGED_WEIGHT * relevance / RRF_K. The judge reads what ranking cannot
# (the share of the query's concepts a passage holds, how far it is below the best candidate, its agenda item's
# best), so a passage it is sure of comes up. Held out (5 folds by query; and fitted on one council, ranked on the
# other), recall@5 / MRR@10 dev, Leicester, Kent: 1.000 / 0.810, 0.784 / 0.614, 0.723 / 0.584 (ranking alone) ->
# 1.000 / 0.886, 0.838 / 0.686, 0.826 / 0.650 at 2; 1 and 4 alike; relevance alone: MRR up, recall@5 down on Kent
# (docs/BENCHMARKS.md, "Ranking by the judgement").
JUDGED_WEIGHT = 2.0
POOL = 1000  # BM25's top this many are judged beside the ranking's own candidates: the count of matches ("1,000+" past it)


def fuse(ranked: list[tuple[np.ndarray, np.ndarray]], method: str = DEFAULT_FUSION, alpha: float | None = None) -> list[tuple[int, float]]:
    """Combine rankings [(bm25 idx, scores), (dense idx, scores)] into one list of (row, score)."""
    alpha = LINEAR_ALPHA if alpha is None else alpha
    total: dict[int, float] = {}
    if method == "rrf":
        weights: Sequence[float] = RRF_WEIGHTS if len(ranked) == len(RRF_WEIGHTS) else (1.0,) * len(ranked)
        for (idx, _), w in zip(ranked, weights):
            for r, i in enumerate(idx):
                total[int(i)] = total.get(int(i), 0.0) + w / (RRF_K + r + 1)
    elif method == "linear":
        weights = [1.0 - alpha, alpha] if len(ranked) == 2 else [1.0] * len(ranked)
        for (idx, sc), w in zip(ranked, weights):
            if len(idx) == 0:
                continue
            sc = np.asarray(sc, dtype=np.float64)
            lo, hi = float(sc.min()), float(sc.max())
            norm = (sc - lo) / (hi - lo) if hi > lo else np.ones_like(sc)
            for i, v in zip(idx, norm):
                total[int(i)] = total.get(int(i), 0.0) + w * float(v)
    else:
        raise ValueError(f"unknown fusion {method!r}; choose one of {', '.join(FUSIONS)}")
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))


def bm25_query_tokens(text: str, extra: list[str]) -> list[str]:
    """The query's BM25 terms plus those of its acronym expansions (``extra``).

    An acronym and its long form are one concept: an expansion adds only the words the query lacks, once each, so
    "CAMHS child and adolescent mental health" does not count "mental" and "health" three times (the query's own
    words plus two spellings of the expansion) and bury the passages that only say "CAMHS"."""
    tokens = tokenize_query(text)
    have = set(tokens)
    for e in extra:
        for t in tokenize_query(e):
            if t not in have:
                have.add(t)
                tokens.append(t)
    return tokens


def dense_ranking(index, qvec: np.ndarray, depth: int, mask, also=None) -> tuple[np.ndarray, np.ndarray]:
    """The top ``depth`` of the nearest passages (and of the ``also`` rows: BM25's candidates), re-scored with
    their sentence windows: a passage whose one relevant sentence is diluted in its vector still ranks by that
    sentence (council dev set: dense recall@5 0.722 -> 0.778, hybrid MRR@10 0.763 -> 0.802; docs/BENCHMARKS.md)."""
    rows, _ = index.dense_rank(qvec, depth, mask)
    if also is not None and len(also):
        rows = np.concatenate([rows, np.setdiff1d(np.asarray(also, dtype=np.int64), rows, assume_unique=False)])
    if not len(rows):
        return rows, np.zeros(0, dtype=np.float32)
    scores = index.dense_scores(rows, qvec)
    order = np.lexsort((rows, -scores))[:depth]
    return rows[order], scores[order]


@dataclass
class Ranking:
    """One query's candidates: ``fused`` (row, score) best first -- the top ``depth`` of each ranker fused, then the
    rest of the judged pool (BM25's top ``pool``) -- and what the judge needs (query text, vector, notes)."""

    fused: list[tuple[int, float]]
    notes: list[str]
    text: str
    qvec: np.ndarray | None
    ranked_top: int  # how many of ``fused`` come from the top-``depth`` fusion (the ranking proper)


def _query_terms(query: str, mode: str, glossary) -> tuple:
    """The parsed query, its BM25 terms and its glossary notes; QueryError when it cannot be run as given."""
    if mode not in MODES:
        raise QueryError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    pq = parse_query(query or "")
    if not pq.text.strip():
        raise QueryError("the query is empty: type some words to search for")
    extra, notes = expand_query(pq.text, glossary)
    # "program" finds "programme" too, "S151" "Section 151" (index/wording.py)
    tokens = bm25_query_tokens(pq.text, extra + query_variants(pq.text) + section_words(pq.text))
    shown = repr(query[:200])
    shown = shown if len(shown) <= 80 and len(query) <= 200 else shown[:70] + f"… ({len(query):,} characters)"
    if not tokens and not re.search(r"\w", pq.text):
        raise QueryError(f"the query {shown} has no words to search for")
    if not tokens:  # every mode: the nearest passages to "the of and" are noise, not an answer
        long_words = any(len(w) > MAX_TOKEN_LEN for w in re.findall(r"\w+", pq.text))
        why = f"words over {MAX_TOKEN_LEN} characters" if long_words else "very common words (stopwords)"
        raise QueryError(f"the query {shown} has only {why}; add a more specific word")
    return pq, tokens, notes


def rank(
    index,
    query: str,
    depth: int,
    filters: Filters | None = None,
    mode: str = "hybrid",
    embedder=None,
    fusion: str = DEFAULT_FUSION,
    pool: int = 0,
    qvec: np.ndarray | None = None,
) -> Ranking:
    """Fused candidates for ``query`` (filters and phrases applied first), best first, plus notes.

    The ranking proper fuses each ranker's top ``depth``; when ``pool`` is larger, BM25's top ``pool`` follows, so the
    judge can count every match without changing the order of the ranking.
    ``qvec``: the query's vector when already computed (it is then not encoded again)."""
    pq, tokens, notes = _query_terms(query, mode, query_glossary(index, query))
    if mode != "bm25" and without_vectors(index) == len(index):  # no vector yet: keyword only, and no model to load
        mode = "bm25"
    mask = index.mask(filters or Filters())
    if pq.phrases:
        mask = index.phrase_mask(pq.phrases, mask)
    deep = max(depth, pool)
    ranked, deep_lists = [], []
    if mode in ("hybrid", "bm25") and tokens:
        idx, sc = index.bm25_rank(tokens, deep, mask)
        ranked.append((idx[:depth], sc[:depth]))
        deep_lists.append((idx, sc))
    if qvec is None and mode in ("hybrid", "dense"):  # --mode bm25 needs no model: it is judged by the lexical model
        embedder = embedder_for(index, embedder)
        dense_q = pq.text + (" (" + "; ".join(notes) + ")" if notes else "")
        qvec = embedder.encode_query(dense_q)
    if mode in ("hybrid", "dense"):
        assert qvec is not None
        also = ranked[0][0][vector_flags(index, ranked[0][0])] if ranked else None  # BM25's candidates that have a vector
        ranked.append(dense_ranking(index, qvec, depth, mask, also))
        if len(ranked) == 2:
            ranked[1] = with_keyword_stand_ins(index, ranked[0], ranked[1])
        # no deeper dense list: a passage holding none of the query's words is never judged a match (measured on
        # the labelled sets: 0 of 5,165 strong matches), and the nearest 1,000 cost ~10 ms at 100k passages
    fused = _fuse_or_keep(ranked, fusion)
    if DECISION_BOOST != 1.0 and DECISION_INTENT.search(pq.text):
        dec = index.decisions_of([i for i, _ in fused])
        fused = sorted(((i, x * DECISION_BOOST if d and x > 0 else x) for (i, x), d in zip(fused, dec)), key=lambda kv: (-kv[1], kv[0]))
    top = len(fused)
    if deep > depth and deep_lists:
        have = {i for i, _ in fused}
        fused += [(i, x) for i, x in _fuse_or_keep(deep_lists, fusion) if i not in have]
    # after the dense query: the other words are BM25's and the judge's, and the user is told of those the papers use
    notes = notes + word_notes(pq.text, held_by(index))
    return Ranking(fused=fused, notes=notes, text=pq.text, qvec=qvec, ranked_top=top)


def _fuse_or_keep(ranked: list[tuple[np.ndarray, np.ndarray]], fusion: str) -> list[tuple[int, float]]:
    if len(ranked) == 1:
        idx, sc = ranked[0]
        return [(int(i), float(x)) for i, x in zip(idx, sc)]
    return fuse(ranked, fusion)


def embedder_for(index, embedder=None):
    """``embedder``, or the index's own model (loaded once per process), checked against the index's model."""
    if embedder is None:
        from .embed import DEFAULT_MODEL, get_embedder

        embedder = get_embedder(None if index.model_id == DEFAULT_MODEL else index.model_id)
    if getattr(embedder, "model_id", index.model_id) != index.model_id:
        raise IndexError_(
            f"the index at {index.dir} was built with model {index.model_id!r}, not {embedder.model_id!r}; "
            "rebuild with `boardpapers ingest --rebuild --model NAME PATH...`"
        )
    return embedder


def judged_order(
    fused: Sequence[tuple[int, float]], rel: dict[int, float], threshold: float, weight: float = JUDGED_WEIGHT
) -> tuple[list, list]:
    """(strong, related): the ``fused`` ranking's (row, score) pairs split by the judge's ``rel`` at ``threshold``; the
    strong ones of its first CANDIDATES places in the order of 1 / (RRF_K + place) + ``weight`` * relevance / RRF_K,
    then the strong ones below, and the related ones, as ranked. Only the first CANDIDATES are reordered, however deep
    the caller ranks (``-k 100`` ranks 300): the first page is the same whatever the page size."""
    strong = [(n, rs) for n, rs in enumerate(fused, 1) if rel[rs[0]] >= threshold]

    def key(nrs):
        n, (row, _) = nrs
        return (1, n) if n > CANDIDATES else (0, -(1.0 / (RRF_K + n) + weight * rel[row] / RRF_K))

    strong.sort(key=key)
    return [rs for _, rs in strong], [rs for rs in fused if rel[rs[0]] < threshold]


def judged_ranking(
    index,
    query: str,
    depth: int,
    filters: Filters | None = None,
    mode: str = "hybrid",
    embedder=None,
    fusion: str = DEFAULT_FUSION,
    pool: int = POOL,
):
    """``rank()`` with each candidate judged (index/judge.py). A passage is judged against the query's unfiltered
    candidates: a filter narrows what is shown, never what a passage is about (a minute's RESOLVED block keeps the
    relevance of the discussion it closes when "decisions only" leaves that discussion out)."""
    ranking = rank(index, query, depth, filters, mode, embedder, fusion, pool=pool)
    rows = [i for i, _ in ranking.fused]
    if filters is not None and filters.active():
        seen = set(rows)
        wider = rank(index, query, depth, None, mode, embedder, fusion, pool=pool, qvec=ranking.qvec)
        rows = rows + [i for i, _ in wider.fused if i not in seen]
    verdict = judge(index, rows, ranking.text, ranking.qvec)
    ranking.notes.extend(n for n in verdict.spelled if n not in ranking.notes)  # what the judge read an acronym as
    return ranking, verdict


def crowded(hits: Iterable[dict], k: int) -> list[dict]:
    """The first ``k`` of ``hits`` (best first) with the first CROWD_PAGE places past CROWD_KEEP given to agenda items
    that have fewer than CROWD_CAP passages there yet, drawn from the first CROWD_DEPTH hits; the rest keep their
    order. ``hits`` is read lazily: a first page that already keeps the cap costs no more than plain ranking."""

    def key(h: dict) -> tuple:
        return h["doc_id"], h.get("item")

    it = iter(hits)
    page = list(itertools.islice(it, min(k, CROWD_KEEP)))
    shown: dict[tuple, int] = {}
    for first in page:
        shown[key(first)] = shown.get(key(first), 0) + 1
    passed: list[dict] = []  # read but over the cap, in rank order
    read = len(page)
    while len(page) < min(k, CROWD_PAGE):
        h: dict | None = next(it, None) if read < CROWD_DEPTH else None
        if h is None:  # nothing under the cap within reach: the best of the passed ones
            if not passed:
                break
            h = passed.pop(0)
        else:
            read += 1
            if shown.get(key(h), 0) >= CROWD_CAP:
                passed.append(h)
                continue
        page.append(h)
        shown[key(h)] = shown.get(key(h), 0) + 1
    out = page + passed[: max(0, k - len(page))]
    out.extend(itertools.islice(it, max(0, k - len(out))))
    return out
