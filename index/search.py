"""Hybrid search over an index generation: BM25 + dense, fusion, filters, phrases, duplicate folding."""
from __future__ import annotations

import itertools
import json
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from . import ann
from .bm25 import BM25
from .generation import INDEX_FORMAT, current_generation_name, generation_dir, has_store, valid_generation_name
from .glossary import expand_query
from .store import REBUILD_HINT, SCHEMA_VERSION, Store, StoreError
from .tokenize import MAX_TOKEN_LEN, tokenize_query
from boardpapers.errors import BoardpapersError


# np.load parses each .npy header with ast.literal_eval; with several threads loading at once CPython 3.11.7
# once raised "SystemError: AST constructor recursion depth mismatch" here (test_search's reader threads,
# under heavy load). Loading is milliseconds, so generations are loaded one at a time.
_NPY_LOCK = threading.Lock()


class IndexError_(BoardpapersError):
    """The index cannot be used; the message says what is wrong and how to fix it."""


MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("rrf", "linear")
DEFAULT_FUSION = "rrf"
RRF_K = 60
RRF_WEIGHTS = (1.0, 1.0)  # (bm25, dense) weights; k 10-60 and weights 1.5:1 / 1:1.5 measured, none clearly better
LINEAR_ALPHA = 0.5  # weight of the dense score in linear fusion
CANDIDATES = 100
# A query that asks what was decided gets decision passages (RESOLVED / AGREED blocks) lifted: their
# score is multiplied by this factor (all modes). The intent test is a fixed list of decision verbs.
# Council gold set, hybrid rrf MRR@10: 0.581 -> 0.729 at 1.25 (1.15 same, 1.5: 0.70); recall unchanged.
DECISION_BOOST = 1.25
DECISION_INTENT = re.compile(r"\b(?:decid\w*|decision\w*|agree\w*|resolv\w*|resolution\w*|approv\w*|endors\w*)\b", re.I)
# Crowding (relevance order only): past the first CROWD_KEEP hits, one agenda item of one document shows at most
# CROWD_CAP passages among the first CROWD_PAGE; its other passages move down, and the next best passages of other
# items (from the top CROWD_DEPTH) move up. A long report no longer fills the first page with ten paragraphs, so
# an issue followed across papers shows its other papers. Council dev set (hybrid): trace coverage 0.433 -> 0.575,
# recall@5 and MRR@10 unchanged (the first five are untouched); cap 1: 0.517; keep 3: recall@5 -0.056; per document
# instead of per item: 0.458; depth 200: 0.508 (passages too far down come up).
CROWD_KEEP, CROWD_CAP, CROWD_PAGE, CROWD_DEPTH = 5, 2, 10, 50
FOLD_OVERLAP = 0.6  # share of the shorter passage's 4-word shingles two passages must share to be folded (0.4-0.8: same scores)


@dataclass
class Filters:
    council: str | None = None
    body: str | None = None
    since: str | None = None
    until: str | None = None
    doc_type: str | None = None
    decisions: bool = False

    def active(self) -> bool:
        return any([self.council, self.body, self.since, self.until, self.doc_type, self.decisions])


@dataclass
class ParsedQuery:
    text: str  # the query without quote marks
    phrases: list[str] = field(default_factory=list)


def parse_query(query: str) -> ParsedQuery:
    """Split out "quoted phrases"; an unmatched quote is treated as plain text."""
    q = query.replace("“", '"').replace("”", '"')
    phrases = [p.strip() for p in re.findall(r'"([^"]+)"', q) if p.strip()]
    text = re.sub(r'\s+', " ", q.replace('"', " ")).strip()
    return ParsedQuery(text=text, phrases=phrases)


def normalise_text(s: str) -> str:
    """Whitespace runs collapsed and case folded: how phrases, duplicates and repeated passages are compared."""
    return re.sub(r"\s+", " ", s).strip().casefold()


def _shingles(text: str, n: int = 4) -> set[int]:
    w = re.findall(r"\w+", text.casefold())
    if len(w) < n:
        return {hash(tuple(w))} if w else set()
    return {hash(tuple(w[i: i + n])) for i in range(len(w) - n + 1)}


def facet_codes(values: list[str], wanted: str) -> list[int]:
    """Positions of the facet values a filter matches: equal to it or containing it, case aside."""
    want = wanted.casefold().strip()
    return [i for i, v in enumerate(values) if v and (v.casefold() == want or want in v.casefold())]


# the type of every array file of a generation (index/build.py writes exactly these); a file of the right length but
# another type -- strings, objects, floats where numbers of rows are kept -- is damage, not data
ARRAY_TYPES = {"pids": "i", "dates": "i", "council": "i", "body": "i", "doc_type": "i", "decision": "b"}


def _wrong_arrays(ix: "Index", arr: dict) -> str | None:
    """What is wrong with the type or the values of a loaded generation's arrays, or None (cheap: per-row arrays
    are read in full anyway; the large ones are checked by type and shape only)."""
    for name, kind in ARRAY_TYPES.items():
        if arr[name].dtype.kind != kind or arr[name].ndim != 1:
            return f"{name}.npy holds {arr[name].dtype} values, not the {'integers' if kind == 'i' else 'flags'} it should"
    for name in ("council", "body", "doc_type"):
        a = arr[name]
        if len(a) and (int(a.min()) < 0 or int(a.max()) >= len(ix.facets[name])):
            return f"{name}.npy names values its facets.json does not have"
    d = arr["dates"]
    if len(d) and (int(d.min()) < 0 or int(d.max()) > 99991231):
        return "dates.npy holds values that are not dates"
    if ix.vectors.dtype != np.float32 or ix.vectors.ndim != 2:
        return f"vectors.npy holds {ix.vectors.dtype} values, not 32-bit floats"
    if ix.items is not None and len(ix.items) and int(ix.items.min()) < -1:
        return "items.npy holds values that are not agenda items"
    if ix.window_offsets is not None and (
            ix.window_offsets.dtype.kind != "i" or ix.window_vectors.dtype != np.float32
            or (len(ix.window_offsets) > 1 and bool(np.any(np.diff(ix.window_offsets) < 0)))):
        return "the window files hold values of the wrong type or order"
    b = ix.bm25
    if b.data.dtype != np.float32 or b.indices.dtype.kind != "i" or b.indptr.dtype.kind != "i":
        return "a BM25 file holds values of the wrong type"
    return None


class Index:
    """A loaded index generation plus a read-only handle on the passage store.

    The backend seams that rank(), _materialise(), answer, trace and the app use -- mask, phrase_mask, bm25_rank,
    dense_rank, pid_of, decisions_of, meeting_keys, rows_for_passage_ids, vectors_at, store, glossary, facets,
    manifest, dates, model_id -- are implemented for PostgreSQL by index.pgindex.PgIndex (see index/backend.py).
    """

    backend = "embedded"

    def __init__(self, index_dir: Path, _retry: bool = True):
        self.dir = Path(index_dir)
        self._lock = threading.Lock()
        name = current_generation_name(self.dir)
        if not has_store(self.dir) or name is None:
            raise IndexError_(f"no index at {self.dir}: build one with `boardpapers ingest PATH... --index {self.dir}`")
        if not valid_generation_name(name):
            raise IndexError_(f"the index at {self.dir} is damaged (CURRENT names no generation: {name[:40]!r}); {REBUILD_HINT}")
        gen = generation_dir(self.dir, name)
        self.gen_name = name
        try:
            manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexError_(f"the index at {self.dir} is missing its manifest ({gen / 'manifest.json'}); {REBUILD_HINT}") from None
        except (OSError, ValueError) as exc:
            raise IndexError_(f"the index manifest {gen / 'manifest.json'} is unreadable ({exc}); {REBUILD_HINT}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
            raise IndexError_(f"{gen} is not a boardpapers index; {REBUILD_HINT}")
        try:
            schema = int(manifest.get("schema_version", 0))
            n, dim = int(manifest["passages"]), int(manifest["dim"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexError_(f"the index manifest {gen / 'manifest.json'} is damaged ({type(exc).__name__}: {exc}); {REBUILD_HINT}") from None
        if schema > SCHEMA_VERSION:
            raise IndexError_(
                f"the index at {self.dir} has schema version {manifest['schema_version']}, newer than this boardpapers "
                f"({SCHEMA_VERSION}); upgrade boardpapers or {REBUILD_HINT}"
            )
        self.manifest = manifest
        try:
            with _NPY_LOCK:
                self.bm25 = BM25.load(gen, mmap=True)
                self.vectors = np.load(gen / "vectors.npy", mmap_mode="r", allow_pickle=False)
                arr = {a: np.load(gen / f"{a}.npy", allow_pickle=False) for a in ("pids", "dates", "council", "body", "doc_type", "decision")}
                # agenda item of each row (index.build); a generation written before the judge has none
                self.items = np.load(gen / "items.npy", allow_pickle=False) if (gen / "items.npy").exists() else None
                # sentence windows (index.build._save_windows); a generation written before them has none
                has_windows = (gen / "window_offsets.npy").exists()
                self.window_offsets = np.load(gen / "window_offsets.npy", allow_pickle=False) if has_windows else None
                self.window_vectors = np.load(gen / "window_vectors.npy", mmap_mode="r", allow_pickle=False) if has_windows else None
            self.facets = json.loads((gen / "facets.json").read_text(encoding="utf-8"))
            self.glossary = json.loads((gen / "glossary.json").read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - any damaged file gets the same advice
            detail = "a file is not a plain array file" if "pickle" in str(exc) else f"{type(exc).__name__}: {str(exc)[:160]}"
            raise IndexError_(f"the index at {self.dir} is damaged ({detail}); {REBUILD_HINT}") from None
        if (self.vectors.shape != (n, dim) or any(len(v) != n for v in arr.values()) or self.bm25.n_docs != n
                or not isinstance(self.facets, dict) or not all(isinstance(self.facets.get(f), list) for f in ("council", "body", "doc_type"))
                or not isinstance(self.glossary, dict)):
            raise IndexError_(f"the index at {self.dir} is damaged (file sizes disagree with the manifest); {REBUILD_HINT}")
        if self.items is not None and (self.items.shape != (n,) or self.items.dtype.kind != "i"):
            raise IndexError_(f"the index at {self.dir} is damaged (items.npy disagrees with the manifest); {REBUILD_HINT}")
        wrong = _wrong_arrays(self, arr)
        if wrong:
            raise IndexError_(f"the index at {self.dir} is damaged ({wrong}); {REBUILD_HINT}")
        if self.window_offsets is not None and (
                self.window_offsets.shape != (n + 1,) or self.window_vectors.ndim != 2 or self.window_vectors.shape[1] != dim
                or int(self.window_offsets[-1]) != len(self.window_vectors) or (n and int(self.window_offsets[0]) != 0)):
            raise IndexError_(f"the index at {self.dir} is damaged (its window files disagree with the manifest); {REBUILD_HINT}")
        self.pids = arr["pids"]
        self.dates = arr["dates"]
        self.council = arr["council"]
        self.body = arr["body"]
        self.doc_type = arr["doc_type"]
        self.decision = arr["decision"]
        self.model_id = manifest["model"]
        self._faiss = None
        dense = manifest.get("dense") if isinstance(manifest.get("dense"), dict) else {}
        self.dense_type = dense.get("type", "flat-ip")
        self._ann_path = gen / ann.ANN_FILE
        if self.dense_type == ann.ANN_TYPE:
            try:
                size = self._ann_path.stat().st_size
            except OSError:
                size = None
            if size != dense.get("bytes") or not isinstance(dense.get("nprobe"), int):
                raise IndexError_(f"the index at {self.dir} is damaged ({ann.ANN_FILE} is missing or not as its manifest describes); {REBUILD_HINT}")
        elif self.dense_type != "flat-ip":
            raise IndexError_(f"the index at {self.dir} has a dense index of unknown type {str(self.dense_type)[:40]!r}; {REBUILD_HINT}")
        try:
            self.store = Store(self.dir, readonly=True)
            # a generation written before stores had an id is not checked; the next ingest rebuilds it bound
            problem = self.store.binding_problem(manifest["store"]) if "store" in manifest else None
        except StoreError as exc:
            raise IndexError_(str(exc)) from None
        if problem:
            self.store.close()
            if current_generation_name(self.dir) != name and _retry:  # an ingest switched generations meanwhile
                self.__init__(index_dir, _retry=False)
                return
            raise IndexError_(f"the index at {self.dir} does not match its passage store ({problem}); {REBUILD_HINT}")

    def deep_check(self) -> list[str]:
        """Everything `boardpapers info --check` verifies beyond the checks made on every open: SQLite's full
        integrity check of the store, every value of the BM25 and vector files, and that every row's passage is
        in the store. The problems found (empty when the index is sound)."""
        problems = [f"passage store: {p}" for p in self.store.check(full=True)]
        n, b = len(self), self.bm25
        if b.nnz and (int(np.min(b.indices)) < 0 or int(np.max(b.indices)) >= n):
            problems.append("BM25 postings name rows the index does not have")
        if len(b.indptr) > 1 and bool(np.any(np.diff(b.indptr) < 0)):
            problems.append("BM25 term offsets are out of order")
        if b.nnz and not bool(np.isfinite(b.data).all()):
            problems.append("BM25 weights that are not numbers")
        for name, vec in (("vectors.npy", self.vectors), ("window_vectors.npy", self.window_vectors)):
            if vec is not None and any(not bool(np.isfinite(vec[s: s + 65536]).all()) for s in range(0, len(vec), 65536)):
                problems.append(f"{name} holds values that are not numbers")
        if not problems:
            try:
                have = set()
                for s in range(0, n, 500):
                    chunk = [int(x) for x in self.pids[s: s + 500]]
                    have.update(r[0] for r in self.store.con.execute(
                        f"SELECT pid FROM passages WHERE pid IN ({','.join('?' * len(chunk))})", chunk))
            except sqlite3.Error as exc:
                problems.append(f"passage store: {' '.join(str(exc).split())}")
            else:
                if len(have) != n:
                    problems.append(f"{n - len(have)} of the index's {n} passages are missing from the passage store")
        return problems

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

    def faiss_index(self):
        """The dense index: the generation's approximate one (read on first use), else exact, built in memory."""
        with self._lock:
            if self._faiss is None and self.dense_type == ann.ANN_TYPE:
                try:
                    self._faiss = ann.load(self._ann_path, self.manifest["dense"], len(self), int(self.manifest["dim"]))
                except Exception as exc:  # noqa: BLE001 - any damaged file gets the same advice
                    raise IndexError_(f"the index at {self.dir} is damaged ({ann.ANN_FILE}: {type(exc).__name__}: "
                                      f"{str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ''}); {REBUILD_HINT}") from None
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
        for name, value, arr in (("council", f.council, self.council), ("body", f.body, self.body), ("doc_type", f.doc_type, self.doc_type)):
            if value:
                ok = facet_codes(self.facets[name], value)
                m &= np.isin(arr, np.asarray(ok, dtype=np.int32))
        if f.since:
            m &= self.dates >= int(f.since.replace("-", ""))
        if f.until:
            m &= (self.dates <= int(f.until.replace("-", ""))) & (self.dates > 0)
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
                rows[self.bm25.indices[int(self.bm25.indptr[r]): int(self.bm25.indptr[r + 1])]] = True
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
                out[t] = np.asarray(self.bm25.indices[int(self.bm25.indptr[r]): int(self.bm25.indptr[r + 1])], dtype=np.int64)
        return out

    def dense_scores(self, rows, qvec: np.ndarray) -> np.ndarray:
        """Dense score of each row: cosine(query, passage) or, when higher, with one of its sentence windows."""
        rows = np.asarray(rows, dtype=np.int64)
        q = np.asarray(qvec, dtype=np.float32).reshape(-1)
        scores = self.vectors_at(rows) @ q if len(rows) else np.zeros(0, dtype=np.float32)
        if self.window_offsets is None or not len(rows):
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


def fuse(ranked: list[tuple[np.ndarray, np.ndarray]], method: str = DEFAULT_FUSION, alpha: float | None = None) -> list[tuple[int, float]]:
    """Combine rankings [(bm25 idx, scores), (dense idx, scores)] into one list of (row, score)."""
    alpha = LINEAR_ALPHA if alpha is None else alpha
    total: dict[int, float] = {}
    if method == "rrf":
        weights = RRF_WEIGHTS if len(ranked) == len(RRF_WEIGHTS) else (1.0,) * len(ranked)
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


@dataclass
class SearchResult:
    hits: list[dict]
    query: str
    notes: list[str] = field(default_factory=list)
    total_candidates: int = 0
    matches: int = 0  # strong matches under the filters, among the judged pool
    pool_full: bool = False  # the pool was full: there may be more matches than counted
    judge: str = "full"  # which judge model ("full", or "lexical" without vectors)
    query_text: str = ""  # the query as ranked (quote marks removed)
    qvec: np.ndarray | None = None  # its vector, when one was computed

    @property
    def strong(self) -> list[dict]:
        return [h for h in self.hits if h.get("match") == "strong"]

    @property
    def related(self) -> list[dict]:
        return [h for h in self.hits if h.get("match") != "strong"]


class QueryError(BoardpapersError, ValueError):
    """The query cannot be run as given (empty, all stopwords...)."""


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


def rank(
    index: Index,
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
    if mode not in MODES:
        raise QueryError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    pq = parse_query(query or "")
    if not pq.text.strip():
        raise QueryError("the query is empty: type some words to search for")
    extra, notes = expand_query(pq.text, index.glossary)
    tokens = bm25_query_tokens(pq.text, extra)
    shown = repr(query[:200])
    shown = shown if len(shown) <= 80 and len(query) <= 200 else shown[:70] + f"… ({len(query):,} characters)"
    if not tokens and not re.search(r"\w", pq.text):
        raise QueryError(f"the query {shown} has no words to search for")
    if not tokens:  # every mode: the nearest passages to "the of and" are noise, not an answer
        long_words = any(len(w) > MAX_TOKEN_LEN for w in re.findall(r"\w+", pq.text))
        why = f"words over {MAX_TOKEN_LEN} characters" if long_words else "very common words (stopwords)"
        raise QueryError(f"the query {shown} has only {why}; add a more specific word")
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
        ranked.append(dense_ranking(index, qvec, depth, mask, ranked[0][0] if ranked else None))
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
    return Ranking(fused=fused, notes=notes, text=pq.text, qvec=qvec, ranked_top=top)


def _fuse_or_keep(ranked: list[tuple[np.ndarray, np.ndarray]], fusion: str) -> list[tuple[int, float]]:
    if len(ranked) == 1:
        idx, sc = ranked[0]
        return [(int(i), float(x)) for i, x in zip(idx, sc)]
    return fuse(ranked, fusion)


def embedder_for(index, embedder=None):
    """``embedder``, or the index's own model (loaded once per process), checked against the index's model."""
    if embedder is None:
        from .embed import get_embedder

        embedder = get_embedder(None if index.model_id == "all-MiniLM-L6-v2" else index.model_id)
    if getattr(embedder, "model_id", index.model_id) != index.model_id:
        raise IndexError_(
            f"the index at {index.dir} was built with model {index.model_id!r}, not {embedder.model_id!r}; "
            "rebuild with `boardpapers ingest --rebuild --model NAME PATH...`"
        )
    return embedder


POOL = 1000  # BM25's top this many are judged beside the ranking's own candidates: the count of matches ("1,000+" past it)


def judged_ranking(index, query: str, depth: int, filters: Filters | None = None, mode: str = "hybrid", embedder=None,
                   fusion: str = DEFAULT_FUSION, pool: int = POOL):
    """``rank()`` with each candidate judged (index/judge.py). A passage is judged against the query's unfiltered
    candidates: a filter narrows what is shown, never what a passage is about (a minute's RESOLVED block keeps the
    relevance of the discussion it closes when "decisions only" leaves that discussion out)."""
    from .judge import judge

    ranking = rank(index, query, depth, filters, mode, embedder, fusion, pool=pool)
    rows = [i for i, _ in ranking.fused]
    if filters is not None and filters.active():
        seen = set(rows)
        wider = rank(index, query, depth, None, mode, embedder, fusion, pool=pool, qvec=ranking.qvec)
        rows = rows + [i for i, _ in wider.fused if i not in seen]
    return ranking, judge(index, rows, ranking.text, ranking.qvec)


def search(
    index: Index,
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
) -> SearchResult:
    """Strong matches for ``query`` (up to ``k``, in relevance or date order), then -- only when fewer than ``k`` are
    strong and ``related`` -- the best related passages (at most ``max_related``) in relevance order, each hit marked
    with ``match`` and ``relevance``; ``matches`` counts the strong matches among the judged pool (index/judge.py)."""
    from .judge import RELATED, STRONG

    if sort not in ("relevance", "newest", "oldest"):
        raise QueryError(f"unknown sort {sort!r}; choose relevance, newest or oldest")
    k = max(1, int(k))
    ranking, verdict = judged_ranking(index, query, max(candidates, k * 3), filters, mode, embedder, fusion, pool)
    fused = ranking.fused
    rel = verdict.of()
    strong = [(i, x) for i, x in fused if rel[i] >= verdict.threshold]
    weak = [(i, x) for i, x in fused if rel[i] < verdict.threshold] if related else []
    if sort != "relevance" and strong:
        keys = index.meeting_keys([i for i, _ in strong])
        order = sorted(range(len(strong)), key=lambda j: (keys[j][2] or 0, -j), reverse=(sort == "newest"))
        undated = [strong[j] for j in order if not keys[j][2]]
        strong = [strong[j] for j in order if keys[j][2]] + undated
    crowd = crowd and sort == "relevance" and k > CROWD_KEEP
    strong_pids = set(index.pid_of([i for i, _ in strong]))
    found = _materialise(index, strong + weak, max(k, CROWD_DEPTH) + k if crowd else k, fold)
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
        h["rank"] = r
        p = pid_rel.get(h["pid"], 0.0)
        h["relevance"] = round(p, 4)
        h["match"] = STRONG if h["pid"] in strong_pids else RELATED
    return SearchResult(hits=hits, query=query, notes=ranking.notes, total_candidates=len(fused), matches=len(strong),
                        pool_full=len(strong) >= pool, judge=verdict.model,
                        query_text=ranking.text, qvec=ranking.qvec)


def crowded(hits: Iterable[dict], k: int) -> list[dict]:
    """The first ``k`` of ``hits`` (best first) with the first CROWD_PAGE places past CROWD_KEEP given to agenda items
    that have fewer than CROWD_CAP passages there yet, drawn from the first CROWD_DEPTH hits; the rest keep their
    order. ``hits`` is read lazily: a first page that already keeps the cap costs no more than plain ranking."""
    def key(h: dict) -> tuple:
        return h["doc_id"], h.get("item")

    it = iter(hits)
    page = list(itertools.islice(it, min(k, CROWD_KEEP)))
    shown: dict[tuple, int] = {}
    for h in page:
        shown[key(h)] = shown.get(key(h), 0) + 1
    passed: list[dict] = []  # read but over the cap, in rank order
    read = len(page)
    while len(page) < min(k, CROWD_PAGE):
        h = next(it, None) if read < CROWD_DEPTH else None
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


HIT_FIELDS = (
    "rank", "score", "passage_id", "text", "context", "path", "title", "council", "body", "meeting_date", "doc_type",
    "item", "minute_number", "page", "page_end", "printed_page", "is_decision", "also_in", "doc_id", "source_url",
    "match", "relevance",
)


def _materialise(index: Index, fused: list[tuple[int, float]], k: int, fold: bool) -> Iterator[dict]:
    """Distinct hits for the fused rows, best first, near-duplicates folded into the hit they repeat (``also_in``);
    passages are fetched in batches sized for ``k`` hits, lazily, and at most ``k`` hits are given."""
    hits: list[dict] = []
    sigs: list[tuple[str, set[int]]] = []
    pos = 0
    batch = max(3 * min(k, CROWD_PAGE), 30)  # a first page's worth, then growing batches for long lists
    while len(hits) < k and pos < len(fused):
        chunk = fused[pos: pos + batch]
        pos += batch
        batch = min(2 * batch, max(3 * k, 30))
        pids = index.pid_of([i for i, _ in chunk])
        rows = index.store.passages_by_pid(pids)
        for (i, score), pid in zip(chunk, pids):
            row = rows.get(pid)
            if row is None:  # superseded since this generation was built
                continue
            hit = hit_from_row(row, score)
            if fold:
                norm = normalise_text(row["text"])
                sh = _shingles(row["text"])
                dup_of = None
                for j, (n2, sh2) in enumerate(sigs):
                    if norm == n2:
                        dup_of = j
                        break
                    if sh and sh2:
                        inter = len(sh & sh2)
                        if inter and inter / min(len(sh), len(sh2)) >= FOLD_OVERLAP:
                            dup_of = j
                            break
                if dup_of is not None:
                    kept = hits[dup_of]
                    if all(a["passage_id"] != row["passage_id"] for a in kept["also_in"]):
                        kept["also_in"].append(_also(row))
                    continue
                sigs.append((norm, sh))
            hits.append(hit)
            yield hit
            if len(hits) >= k:
                return


def hit_from_row(row: dict, score: float) -> dict:
    """A hit (with internal fields ``seq`` and ``pid``) for a passage row of the store."""
    return {
        "rank": 0,
        "score": round(float(score), 6),
        "passage_id": row["passage_id"],
        "text": row["text"],
        "context": row["context"],
        "path": row["path"],
        "title": row["title"],
        "council": row["council"],
        "body": row["body"],
        "meeting_date": row["meeting_date"],
        "doc_type": row["doc_type"],
        "item": row["item"],
        "minute_number": row["minute_number"],
        "page": row["page"],
        "page_end": row["page_end"],
        "printed_page": row["printed_page"],
        "is_decision": bool(row["is_decision"]),
        "also_in": [],
        "doc_id": row["doc_id"],
        "source_url": row.get("source_url"),
        "seq": row["seq"],
        "pid": row["pid"],
    }


def public_hit(hit: dict) -> dict:
    """A hit without internal fields (what users, exports and JSON output see)."""
    h = dict(hit)
    h.pop("seq", None)
    h.pop("pid", None)
    return h


def _also(row: dict) -> dict:
    return {
        "passage_id": row["passage_id"],
        "doc_id": row["doc_id"],
        "path": row["path"],
        "title": row["title"],
        "council": row["council"],
        "body": row["body"],
        "meeting_date": row["meeting_date"],
        "page": row["page"],
    }


def citation(hit: dict) -> str:
    """One line a user can check: council · body · meeting date · item · page."""
    parts = [hit.get("council"), hit.get("body"), hit.get("meeting_date")]
    item = hit.get("item")
    if item:
        parts.append(item)
    if hit.get("page") is not None:
        pg = f"p. {hit['page']}" if hit.get("page_end") in (None, hit["page"]) else f"pp. {hit['page']}–{hit['page_end']}"
        if hit.get("printed_page") and str(hit["printed_page"]) != str(hit["page"]):
            pg += f" (printed page {hit['printed_page']})"
        parts.append(pg)
    parts.append(Path(hit.get("path") or "").name or None)
    return " · ".join(str(p) for p in parts if p)
