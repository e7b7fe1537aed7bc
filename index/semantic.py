"""Which passages of a generation have their vectors yet, and how far the semantic indexing has got.

A keyword-first ingest (index/backfill.py) publishes generations before every passage has a vector. Such a
generation has ``has_vector.npy`` (a flag per row; absent when every row has one, as in every generation written
before). A passage without a vector is found and judged by keyword only: its hit says ``mode: "bm25"``. Backends
without the flag (PostgreSQL) have every vector of what they serve.
"""

from __future__ import annotations

import json

import numpy as np

from .lock import holder_gone

META_KEY = "semantic"  # the store's record of the semantic indexing in progress (index/backfill.py writes it)
KEYWORD_MODE = "bm25"


def vector_flags(index, rows) -> np.ndarray:
    """For each of ``rows``: whether its passage has its vector in this generation."""
    flags = getattr(index, "has_vector", None)
    rows = np.asarray(rows, dtype=np.int64)
    if flags is None:
        return np.ones(len(rows), dtype=bool)
    return np.asarray(flags[rows], dtype=bool) if len(rows) else np.zeros(0, dtype=bool)


def without_vectors(index) -> int:
    """How many passages of the generation have no vector yet (searched by keyword only)."""
    flags = getattr(index, "has_vector", None)
    return 0 if flags is None else int(len(flags) - np.count_nonzero(flags))


def mark_modes(index, hits: list[dict], rows, mode: str) -> str | None:
    """Give each hit (of one of ``rows``, the ranked rows of its search in ``mode``) ``has_vector`` -- whether its
    passage has its vector in this generation -- and ``mode``, the mode that served it: ``mode``, or "bm25" for a
    passage without its vector yet (its citation says so: index/hits.py). Returns the search's `keyword_note`."""
    rows = list(rows)
    flags = dict(zip(index.pid_of(rows), (bool(f) for f in vector_flags(index, rows))))
    for h in hits:
        has = flags.get(h["pid"], True)
        h["has_vector"] = has
        h["mode"] = mode if has else KEYWORD_MODE
    return keyword_note(index, mode)


def progress(index) -> dict | None:
    """The semantic indexing as `info` and the app show it, or None when the served generation has every vector and
    no ingest is embedding: {"state": running | stopped | done, "texts", "embedded" (of the texts an ingest found
    without vectors), "documents", "documents_embedded", "passages", "passages_without_vector" (in the served
    generation)}."""
    missing = without_vectors(index)
    record: dict = {}
    get_meta = getattr(getattr(index, "store", None), "get_meta", None)
    if get_meta is not None:
        try:
            record = json.loads(get_meta(META_KEY) or "{}")
        except Exception:  # noqa: BLE001 - an unreadable record (or a store without one) is no record
            record = {}
    if not isinstance(record, dict):
        record = {}
    state = record.get("state")
    if state == "running" and holder_gone(record.get("by") or {}):
        state = "stopped"  # the ingest was killed: the next one resumes where it stopped
    if not missing and state != "running":
        return None
    out = {k: record.get(k) for k in ("texts", "embedded", "documents", "documents_embedded")}
    out.update(state=state or ("stopped" if missing else "done"), passages=len(index), passages_without_vector=missing)
    return out


def progress_line(p: dict) -> str:
    """'semantic indexing: 3,120 / 9,980 texts embedded (running; 812 of 2,561 passages searched by keyword only)'."""
    head = "semantic indexing: " + (f"{p['embedded']:,} / {p['texts']:,} texts embedded" if p.get("texts") else "not complete")
    tail = {"running": "running", "stopped": "stopped: run the same `boardpapers ingest` again to finish it", "done": "done"}.get(
        p["state"], p["state"]
    )
    served = (
        f"; {p['passages_without_vector']:,} of {p['passages']:,} passages searched by keyword only until the next index version"
        if p["passages_without_vector"]
        else ""
    )
    return f"{head} ({tail}{served})"


def with_keyword_stand_ins(index, bm25: tuple[np.ndarray, np.ndarray], dense: tuple[np.ndarray, np.ndarray]):
    """The dense ranking with each passage of the BM25 ranking that has no vector yet standing at the place it holds
    in the BM25 ranking: fusion then ranks it as if both rankers agreed on it, neither sunk for lacking a vector nor
    lifted (with no vector anywhere, hybrid ranks as BM25 does; with every vector, nothing changes)."""
    b_idx = np.asarray(bm25[0], dtype=np.int64)
    flags = vector_flags(index, b_idx)
    if flags.all():
        return dense
    d_idx, d_sc = [int(i) for i in dense[0]], [float(x) for x in dense[1]]
    for pos in np.flatnonzero(~flags):  # ascending: each lands at its own place in the end
        p = int(pos)
        score = d_sc[p] if p < len(d_sc) else (d_sc[-1] if d_sc else 0.0)  # a like score, for linear fusion
        d_idx.insert(p, int(b_idx[p]))
        d_sc.insert(p, score)
    return np.asarray(d_idx, dtype=np.int64), np.asarray(d_sc, dtype=np.float32)


def keyword_note(index, mode: str) -> str | None:
    """The note a search gets while passages have no vector yet (None when every passage has one)."""
    missing = without_vectors(index)
    if not missing or mode == KEYWORD_MODE:
        return None
    return f"semantic indexing in progress: {missing:,} of {len(index):,} passages have no vector yet and are " + (
        "left out of meaning-based search" if mode == "dense" else "matched by keyword only"
    )
