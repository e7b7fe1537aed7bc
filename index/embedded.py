"""The embedded backend's read side: a loaded index generation (index/genfiles.py) plus a read-only handle on the
SQLite passage store, serving the SearchIndex seams (index/backend.py) that ranking, hits, answers and trace use."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from boardpapers.ingest.dates import date_int

from . import ann, genfiles
from .errors import IndexError_
from .generation import current_generation_name, generation_dir, has_store, valid_generation_name
from .query import Filters, facet_codes, normalise_text
from .store import REBUILD_HINT, Store, StoreError
from .tokenize import tokenize_query


class Index:
    """A loaded index generation plus a read-only handle on the passage store.

    The backend seams that rank(), materialise(), answer, trace and the app use -- mask, phrase_mask, bm25_rank,
    dense_rank, pid_of, decisions_of, meeting_keys, rows_for_passage_ids, vectors_at, store, glossary, facets,
    manifest, dates, model_id -- are implemented for PostgreSQL by index.pgindex.PgIndex (see index/backend.py).
    """

    backend = "embedded"

    def __init__(self, index_dir: Path):
        self.dir = Path(index_dir)
        self._lock = threading.Lock()
        self._open(retry=True)

    def _open(self, retry: bool) -> None:
        name = current_generation_name(self.dir)
        if not has_store(self.dir) or name is None:
            raise IndexError_(f"no index at {self.dir}: build one with `boardpapers ingest PATH... --index {self.dir}`")
        if not valid_generation_name(name):
            raise IndexError_(f"the index at {self.dir} is damaged (CURRENT names no generation: {name[:40]!r}); {REBUILD_HINT}")
        gen = generation_dir(self.dir, name)
        self.gen_name = name
        self.manifest, n, dim = genfiles.read_manifest(self.dir, gen)
        files = genfiles.load_files(self.dir, gen)
        self.bm25, self.vectors, self.items = files.bm25, files.vectors, files.items
        self.window_offsets, self.window_vectors = files.window_offsets, files.window_vectors
        self.facets, self.glossary = files.facets, files.glossary
        self.has_vector = files.has_vector  # None: every row has its vector (index/semantic.py)
        genfiles.check_files(self, files.arrays, n, dim)
        self._keep_arrays(files.arrays)
        self.model_id = self.manifest["model"]
        self._faiss: Any = None  # faiss.IndexFlatIP, built on first use
        self._open_dense(gen)
        problem = self._open_store()
        if problem:
            self.store.close()
            if current_generation_name(self.dir) != name and retry:  # an ingest switched generations meanwhile
                self._open(retry=False)
                return
            raise IndexError_(f"the index at {self.dir} does not match its passage store ({problem}); {REBUILD_HINT}")

    def _keep_arrays(self, arr: dict) -> None:
        """The checked per-row arrays (genfiles.ARRAY_TYPES) as attributes."""
        self.pids = arr["pids"]
        self.dates = arr["dates"]
        self.council = arr["council"]
        self.body = arr["body"]
        self.doc_type = arr["doc_type"]
        self.decision = arr["decision"]

    def _open_dense(self, gen: Path) -> None:
        """Which dense index the generation has (exact, or the approximate one of index/ann.py, read on first use)."""
        manifest = self.manifest
        dense: dict = manifest["dense"] if isinstance(manifest.get("dense"), dict) else {}
        self.dense_type = dense.get("type", "flat-ip")
        self._ann_path = gen / ann.ANN_FILE
        if self.dense_type == ann.ANN_TYPE:
            try:
                size = self._ann_path.stat().st_size
            except OSError:
                size = None
            if size != dense.get("bytes") or not isinstance(dense.get("nprobe"), int):
                raise IndexError_(
                    f"the index at {self.dir} is damaged ({ann.ANN_FILE} is missing or not as its manifest describes); {REBUILD_HINT}"
                )
        elif self.dense_type != "flat-ip":
            raise IndexError_(f"the index at {self.dir} has a dense index of unknown type {str(self.dense_type)[:40]!r}; {REBUILD_HINT}")

    def _open_store(self) -> str | None:
        """Open the passage store read-only; what keeps it from being this generation's store, or None."""
        try:
            self.store = Store(self.dir, readonly=True)
            # a generation written before stores had an id is not checked; the next ingest rebuilds it bound
            return self.store.binding_problem(self.manifest["store"]) if "store" in self.manifest else None
        except StoreError as exc:
            raise IndexError_(str(exc)) from None

    def deep_check(self) -> list[str]:
        """Everything `boardpapers info --check` verifies beyond the checks made on every open (genfiles.deep_check).
        The problems found (empty when the index is sound)."""
        return genfiles.deep_check(self)

    # ----------------------------------------------------------- helpers
    def __len__(self) -> int:
        return len(self.pids)

    def pid_of(self, rows) -> list[int]:
        return [int(self.pids[i]) for i in rows]

    def decisions_of(self, rows) -> np.ndarray:
        return self.decision[np.asarray(rows, dtype=np.int64)] if len(rows) else np.zeros(0, dtype=bool)

    def meeting_keys(self, rows) -> list[tuple]:
        return [(int(self.council[i]), int(self.body[i]), int(self.dates[i])) for i in rows]

    def rows_for_passage_ids(self, passage_ids: list[str]) -> list[int | None]:
        """Rows in this generation of the passages (None when a passage is not in it)."""
        pid_of = self.store.pids_for_passage_ids(passage_ids)
        out: list[int | None] = []
        for p in passage_ids:
            pid = pid_of.get(p)
            r = int(np.searchsorted(self.pids, pid)) if pid is not None else len(self.pids)
            out.append(r if r < len(self.pids) and int(self.pids[r]) == pid else None)
        return out

    def vectors_at(self, rows) -> np.ndarray:
        return np.asarray(self.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def windows_at(self, rows) -> list[np.ndarray | None]:
        """The stored sentence-window vectors of each row, in window order (an empty array for a passage short enough
        to be its own window; None when the generation has no window files)."""
        if self.window_offsets is None or self.window_vectors is None:
            return [None] * len(rows)
        out: list[np.ndarray | None] = []
        for r in rows:
            a, b = int(self.window_offsets[int(r)]), int(self.window_offsets[int(r) + 1])
            out.append(np.asarray(self.window_vectors[a:b], dtype=np.float32))
        return out

    def faiss_index(self):
        """The dense index: the generation's approximate one (read on first use), else exact, built in memory."""
        with self._lock:
            if self._faiss is None and self.dense_type == ann.ANN_TYPE:
                try:
                    self._faiss = ann.load(self._ann_path, self.manifest["dense"], len(self), int(self.manifest["dim"]))
                except Exception as exc:  # noqa: BLE001 - any damaged file gets the same advice
                    raise IndexError_(
                        f"the index at {self.dir} is damaged ({ann.ANN_FILE}: {type(exc).__name__}: "
                        f"{str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ''}); {REBUILD_HINT}"
                    ) from None
            elif self._faiss is None:
                import faiss

                idx = faiss.IndexFlatIP(int(self.manifest["dim"]))
                if len(self):
                    idx.add(np.ascontiguousarray(self.vectors, dtype=np.float32))
                self._faiss = idx
            return self._faiss

    def check_model(self, model: str | None) -> None:
        from .embed import resolve_model

        if model is None:
            return
        wanted, _ = resolve_model(model)
        if wanted != self.model_id:
            raise IndexError_(
                f"the index at {self.dir} was built with model {self.model_id!r}, not {wanted!r}; "
                f"search without --model, or rebuild with `boardpapers ingest --rebuild --model {model} PATH...`"
            )

    def mask(self, f: Filters) -> np.ndarray | None:
        if not f.active():
            return None
        m = np.ones(len(self), dtype=bool)
        for name, value, arr in (
            ("council", f.council, self.council),
            ("body", f.body, self.body),
            ("doc_type", f.doc_type, self.doc_type),
        ):
            if value:
                ok = facet_codes(self.facets[name], value)
                m &= np.isin(arr, np.asarray(ok, dtype=np.int32))
        if f.since:
            m &= self.dates >= date_int(f.since)
        if f.until:
            m &= (self.dates <= date_int(f.until)) & (self.dates > 0)
        if f.since:
            m &= self.dates > 0
        if f.decisions:
            m &= self.decision
        return m

    def phrase_mask(self, phrases: list[str], base: np.ndarray | None) -> np.ndarray:
        """Rows whose text contains every phrase verbatim (case and spacing aside)."""
        m = np.ones(len(self), dtype=bool) if base is None else base.copy()
        for ph in phrases:
            toks = tokenize_query(ph)
            for t in toks:
                r = self.bm25.vocab.get(t)
                if r is None:
                    return np.zeros(len(self), dtype=bool)
                rows = np.zeros(len(self), dtype=bool)
                rows[self.bm25.indices[int(self.bm25.indptr[r]) : int(self.bm25.indptr[r + 1])]] = True
                m &= rows
        cand = np.flatnonzero(m)
        if cand.size == 0:
            return m
        texts = self.store.passages_by_pid([int(self.pids[i]) for i in cand])
        wanted = [normalise_text(p) for p in phrases]
        keep = np.zeros(len(self), dtype=bool)
        for i in cand:
            row = texts.get(int(self.pids[i]))
            if row is not None:
                t = normalise_text(row["text"])
                if all(w in t for w in wanted):
                    keep[i] = True
        return keep

    # ----------------------------------------------------------- retrieval
    def bm25_rank(self, tokens: list[str], n: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        try:
            return self.bm25.top_k(tokens, n, mask=mask)
        except IndexError as exc:  # postings naming rows the index does not have (checked in full by `info --check`)
            raise IndexError_(f"the index at {self.dir} is damaged (BM25 postings: {exc}); {REBUILD_HINT}") from None

    def item_groups(self, rows) -> np.ndarray:
        """A group number per row: rows of one document's agenda item share it, a row without an item has its own."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.items is None:  # a generation from before the judge: ask the store
            return item_groups_from_store(self, rows)
        g = self.items[rows].astype(np.int64)
        return np.where(g >= 0, g, -1 - rows)

    def term_rows(self, terms: list[str]) -> dict[str, np.ndarray]:
        """The rows holding each term (its BM25 postings); a term the index has never seen is left out."""
        out = {}
        for t in terms:
            r = self.bm25.vocab.get(t)
            if r is not None:
                out[t] = np.asarray(self.bm25.indices[int(self.bm25.indptr[r]) : int(self.bm25.indptr[r + 1])], dtype=np.int64)
        return out

    def dense_scores(self, rows, qvec: np.ndarray) -> np.ndarray:
        """Dense score of each row: cosine(query, passage) or, when higher, with one of its sentence windows."""
        rows = np.asarray(rows, dtype=np.int64)
        q = np.asarray(qvec, dtype=np.float32).reshape(-1)
        scores = self.vectors_at(rows) @ q if len(rows) else np.zeros(0, dtype=np.float32)
        if self.window_offsets is None or self.window_vectors is None or not len(rows):
            return scores
        starts, ends = self.window_offsets[rows], self.window_offsets[rows + 1]
        counts = ends - starts
        total = int(counts.sum())
        if total:
            owner = np.repeat(np.arange(len(rows)), counts)
            flat = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)
            np.maximum.at(scores, owner, np.asarray(self.window_vectors[flat], dtype=np.float32) @ q)
        return scores

    def dense_rank(self, qvec: np.ndarray, n: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if len(self) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self.has_vector is not None:  # rows still without a vector are not near anything
            mask = self.has_vector if mask is None else mask & self.has_vector
        q = np.asarray(qvec, dtype=np.float32).reshape(1, -1)
        if self.dense_type == ann.ANN_TYPE:
            # approximate unless a filter leaves few enough rows to score them all (index/ann.py)
            if mask is None or int(np.count_nonzero(mask)) > ann.EXACT_MASK_MAX:
                return ann.search(self.faiss_index(), self.vectors, q[0], n, int(self.manifest["dense"]["nprobe"]), mask)
        elif mask is None:
            scores, idx = self.faiss_index().search(q, min(n, len(self)))
            keep = idx[0] >= 0
            return idx[0][keep].astype(np.int64), scores[0][keep]
        return ann.exact_search(self.vectors, q[0], n, np.flatnonzero(mask))


def item_groups_from_store(index, rows: np.ndarray) -> np.ndarray:
    """``item_groups`` from the passage store: (document, item) of each row, numbered; a row without an item alone."""
    pids = index.pid_of(rows)
    keys = index.store.item_keys(pids)
    ids: dict[tuple, int] = {}
    out = np.empty(len(rows), dtype=np.int64)
    for j, (r, pid) in enumerate(zip(rows, pids)):
        k = keys.get(pid)
        out[j] = ids.setdefault(k, len(ids)) if k is not None and k[1] else -1 - int(r)
    return out
