"""Search: the query API. ``search()`` runs a query (index/rank.py ranks and judges its candidates, index/hits.py turns
them into hits: duplicates folded, a crowded first page spread) and gives a ``SearchResult``; ``Filters`` and
``QueryError`` (index/query.py) are what it takes and raises. Both backends (index/embedded.py, index/pgindex.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .hits import materialise
from .judge import RELATED, STRONG
from .query import Filters, QueryError
from .rank import CANDIDATES, CROWD_DEPTH, CROWD_KEEP, DEFAULT_FUSION, JUDGED_WEIGHT, POOL, crowded, judged_order, judged_ranking
from .semantic import mark_modes


@dataclass
class SearchResult:
    hits: list[dict]
    query: str
    notes: list[str] = field(default_factory=list)
    total_candidates: int = 0
    matches: int = 0  # strong matches under the filters, among the judged pool
    pool_full: bool = False  # the pool was full: there may be more matches than counted
    judge: str = "full"  # which judge model ("full"; "lexical" without vectors; "mixed" while some are still missing)
    query_text: str = ""  # the query as ranked (quote marks removed)
    qvec: np.ndarray | None = None  # its vector, when one was computed
    keyword_only: str | None = None  # while passages have no vector yet: how many, and how they were searched

    @property
    def strong(self) -> list[dict]:
        return [h for h in self.hits if h.get("match") == "strong"]

    @property
    def related(self) -> list[dict]:
        return [h for h in self.hits if h.get("match") != "strong"]


def search(
    index,
    query: str,
    k: int = 10,
    filters: Filters | None = None,
    mode: str = "hybrid",
    sort: str = "relevance",
    embedder=None,
    fusion: str = DEFAULT_FUSION,
    candidates: int = CANDIDATES,
    fold: bool = True,
    crowd: bool = True,
    related: bool = True,
    pool: int = POOL,
    max_related: int | None = None,
    judged: bool = True,
) -> SearchResult:
    """Strong matches (up to ``k``; by date, or by ranking and judgement: ``judged_order``, ``judged`` False: ranking
    only), then -- only when fewer than ``k`` are strong and ``related`` -- the best related passages (at most
    ``max_related``) as ranked, each hit with ``match`` and ``relevance``; ``matches``: strong ones of the judged pool."""
    if sort not in ("relevance", "newest", "oldest"):
        raise QueryError(f"unknown sort {sort!r}; choose relevance, newest or oldest")
    k = max(1, int(k))
    ranking, verdict = judged_ranking(index, query, max(candidates, k * 3), filters, mode, embedder, fusion, pool)
    fused = ranking.fused
    rel = verdict.of()
    strong, weak = judged_order(fused, rel, verdict.threshold, weight=JUDGED_WEIGHT if judged else 0.0)
    if sort != "relevance" and strong:
        strong = _by_date(index, strong, newest=(sort == "newest"))
    crowd = crowd and sort == "relevance" and k > CROWD_KEEP
    strong_pids = set(index.pid_of([i for i, _ in strong]))
    found = materialise(index, strong + (weak if related else []), max(k, CROWD_DEPTH) + k if crowd else k, fold)
    first_weak: list[dict] = []

    def strong_hits() -> Iterator[dict]:  # the strong ones of ``found``; the first related one is kept aside
        for h in found:
            if h["pid"] not in strong_pids:
                first_weak.append(h)
                return
            yield h

    hits = crowded(strong_hits(), k) if crowd else list(itertools.islice(strong_hits(), k))
    if len(hits) < k:
        room = k - len(hits) if max_related is None else min(k - len(hits), max_related)
        hits += list(itertools.islice(itertools.chain(first_weak, found), room))
    pid_rel = dict(zip(index.pid_of([i for i, _ in fused]), (rel[i] for i, _ in fused)))
    for r, h in enumerate(hits, 1):
        h.update(rank=r, relevance=round(pid_rel.get(h["pid"], 0.0), 4), match=STRONG if h["pid"] in strong_pids else RELATED)
    return SearchResult(
        hits=hits,
        query=query,
        notes=ranking.notes,
        total_candidates=len(fused),
        matches=len(strong),
        pool_full=len(strong) >= pool,
        judge=verdict.model,
        query_text=ranking.text,
        qvec=ranking.qvec,
        keyword_only=mark_modes(index, hits, [i for i, _ in fused], mode),
    )


def _by_date(index, rows: list[tuple[int, float]], newest: bool) -> list[tuple[int, float]]:
    """The rows in meeting-date order (relevance order among equal dates), undated ones last."""
    keys = index.meeting_keys([i for i, _ in rows])
    order = sorted(range(len(rows)), key=lambda j: (keys[j][2] or 0, -j), reverse=newest)
    return [rows[j] for j in order if keys[j][2]] + [rows[j] for j in order if not keys[j][2]]
