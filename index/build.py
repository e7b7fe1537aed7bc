"""Build an index generation from the store and switch to it atomically (layout: index/generation.py)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import struct
import time
import uuid
from pathlib import Path

import numpy as np

from boardpapers.ingest.chunk import CHUNKER_VERSION, WINDOW_WORDS, window_texts
from boardpapers.ingest.dates import date_int, date_words
from boardpapers.ingest.structure import PARSER_VERSION

from . import ann
from .bm25 import BM25
from .embed import embed_key
from .generation import CURRENT_FILE, GENS_DIR, INDEX_FORMAT, MANIFEST_FILE, current_generation_name
from .store import SCHEMA_VERSION, Store, StoreError
from .tokenize import tokenize


def bm25_text(row) -> str:
    """What BM25 sees for a passage: its item title, its meeting date in words, and its verbatim text.

    The date lets "... in March 2015" match the passages of that meeting (measured on the council gold
    set: BM25 MRR@10 0.548 -> 0.572; hybrid trace coverage 0.408 -> 0.442); the item title gives field
    weight to what the item is about. A passage outside any agenda item takes its document's title instead
    (``row["title"]`` when the row has it): a council that publishes each report and appendix as a file of its own
    (Kent: 87 % of its passages have no item) names the item in the file's title ("Appendix J - Details of Core
    Grants within the 2025-26 Provisional Local Government Finance Settlement"), and a passage cut from the middle of
    it names nothing (docs/BENCHMARKS.md, "A standalone paper's title").
    """
    title = row["title"] if "title" in row.keys() else None
    head = " ".join(x for x in (row["item"] or title or "", date_words(row["meeting_date"])) if x)
    return f"{head}\n{row['text']}" if head else row["text"]


def window_keys(row) -> list[str]:
    """Embedding-cache keys of a passage's sentence windows (ingest.chunk.dense_windows); ``row`` has context and text."""
    return [embed_key(t) for t in window_texts(row["context"], row["text"])]


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_json(path: Path, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())


def _save_npy(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, arr, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


WINDOW_CHUNK = 100_000  # window vectors read from the cache and written per step (bounded memory at millions)


def _npy_header(rows: int, dim: int, length: int | None = None) -> bytes:
    """The .npy (version 1.0) header of a C-ordered float32 (rows, dim) array, padded to ``length`` bytes (by
    default to NumPy's 64-byte alignment), so that a header written before the row count is known can be
    overwritten in place once it is."""
    d = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}"
    size = length if length is not None else -(-(10 + len(d) + 1) // 64) * 64
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", size - 10) + d.encode("latin1").ljust(size - 11) + b"\n"


def _save_windows(tmp: Path, store, model_id: str, dim: int, win_keys: list[str], win_counts: list[int]) -> dict:
    """Write the window vectors grouped by passage row (row r owns window_vectors[offsets[r]:offsets[r+1]]).

    Streamed in WINDOW_CHUNK steps into the .npy file with plain writes -- never through a memory map, whose
    writes on a full disk kill the process with SIGBUS instead of failing with ENOSPC -- so a million passages
    (~3-5M windows) never hold all their window vectors in memory. A window whose vector is not in the embedding
    cache (an index ingested before windows existed) is left out and counted: its passage is scored by its own
    vector alone until the next ``ingest --rebuild``."""
    n = len(win_keys)
    path = tmp / "window_vectors.npy"
    have = np.zeros(n, dtype=bool)
    header = _npy_header(n, dim)
    with open(path, "wb") as f:
        f.write(header)
        for s in range(0, n, WINDOW_CHUNK):
            v = store.vectors_for(model_id, win_keys[s : s + WINDOW_CHUNK], dim)
            present = np.abs(v).sum(axis=1) > 0
            have[s : s + len(v)] = present
            f.write(np.ascontiguousarray(v[present], dtype="<f4").tobytes())
        kept = int(have.sum())
        f.seek(0)
        f.write(_npy_header(kept, dim, len(header)))  # never longer: kept <= n
        f.flush()
        os.fsync(f.fileno())
    owner = np.repeat(np.arange(len(win_counts), dtype=np.int64), np.asarray(win_counts, dtype=np.int64))
    counts = np.bincount(owner[have], minlength=len(win_counts)) if len(win_counts) else np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(win_counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    _save_npy(tmp / "window_offsets.npy", offsets)
    return {"words": WINDOW_WORDS, "count": kept, "missing": n - kept}


def generation_bytes(n: int, dim: int, windows: int, bm25: BM25, approximate: bool) -> int:
    """About how many bytes a generation of ``n`` passages takes on disk (an upper bound: every window counted)."""
    per_row = 8 + 4 + 1 + 4 + 3 * 4 + 8  # pids, dates, decision, items, council/body/doc_type, window offsets
    total = n * (dim * 4 + per_row) + windows * dim * 4 + bm25.nnz * 8 + (bm25.n_terms + 1) * 8 + bm25.n_terms * 16
    if approximate:
        total += n * (dim + 16)  # 8-bit codes and ids of the approximate index
    return int(total * 1.02) + (1 << 20)  # + JSON files and file-system slack


def check_space(where: Path, need: int) -> None:
    """Refuse before writing a generation the disk cannot hold (the size is known once BM25 is built)."""
    st = os.statvfs(where)
    free = st.f_bavail * st.f_frsize
    if free < need:
        raise StoreError(
            f"not enough disk space to write the index generation in {where}: it needs about {need / 1e6:.1f} MB and "
            f"{free / 1e6:.1f} MB are free; free some space and run the ingest again; the previous index is unchanged"
        )


def build_generation(store: Store, model_id: str, dim: int, progress=None, ann_threshold: int | None = None) -> Path:
    """Write a new generation from the store's active passages and make it current.

    From ``ann_threshold`` passages (default `index.ann.ann_threshold()`) the generation also gets an
    approximate dense index (index/ann.py), written like every other file before the rename."""
    t0 = time.time()
    gens = store.dir / GENS_DIR
    gens.mkdir(exist_ok=True)
    name = time.strftime("gen-%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]
    tmp = gens / f".tmp-{name}"
    tmp.mkdir()
    try:
        _write_generation(tmp, store, model_id, dim, ann_threshold, t0)
        previous = _make_current(store.dir, gens, tmp, name)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StoreError(
                f"the disk holding {store.dir} filled up while the index generation was written ({exc.strerror}); "
                "free some space and run the ingest again; the previous index is unchanged"
            ) from None
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for stale in store.dir.glob(".CURRENT.*"):  # left by an ingest that was killed mid-switch
        stale.unlink(missing_ok=True)
    # keep the live generation and the one before it (a reader may still be opening it)
    for old in gens.iterdir():
        if old.name not in (name, previous):
            shutil.rmtree(old, ignore_errors=True)
    return gens / name


class _Rows:
    """What a generation keeps of each passage row besides BM25, gathered while BM25 reads the rows' tokens."""

    def __init__(self) -> None:
        self.pids: list[int] = []
        self.dates: list[int] = []
        self.decision: list[bool] = []
        self.keys: list[str] = []
        self.items: list[int] = []
        self.item_codes: dict[tuple[str, str], int] = {}
        self.win_keys: list[str] = []
        self.win_counts: list[int] = []
        self.codes: dict[str, dict[str, int]] = {"council": {}, "body": {}, "doc_type": {}}
        self.col: dict[str, list[int]] = {"council": [], "body": [], "doc_type": []}
        self.docs_seen: set[str] = set()

    def tokens(self, passages):
        """The BM25 tokens of each passage, noting its row on the way."""
        for row in passages:
            self.pids.append(row["pid"])
            self.dates.append(date_int(row["meeting_date"]))
            self.decision.append(bool(row["is_decision"]))
            self.items.append(self.item_codes.setdefault((row["doc_id"], row["item"]), len(self.item_codes)) if row["item"] else -1)
            self.keys.append(row["embed_key"])
            wk = window_keys(row)
            self.win_keys.extend(wk)
            self.win_counts.append(len(wk))
            self.docs_seen.add(row["doc_id"])
            for f, values in self.col.items():
                v = row[f] or ""
                values.append(self.codes[f].setdefault(v, len(self.codes[f])))
            yield tokenize(bm25_text(row))

    def save(self, tmp: Path) -> None:
        """The per-row arrays and the facet names their codes stand for."""
        _save_npy(tmp / "pids.npy", np.asarray(self.pids, dtype=np.int64))
        _save_npy(tmp / "dates.npy", np.asarray(self.dates, dtype=np.int32))
        _save_npy(tmp / "decision.npy", np.asarray(self.decision, dtype=np.bool_))
        _save_npy(tmp / "items.npy", np.asarray(self.items, dtype=np.int32))  # agenda item of each row (-1: none), for the judge
        for f, values in self.col.items():
            _save_npy(tmp / f"{f}.npy", np.asarray(values, dtype=np.int32))
        facets = {f: sorted(c, key=c.__getitem__) for f, c in self.codes.items()}
        _write_json(tmp / "facets.json", facets)


def _write_generation(tmp: Path, store: Store, model_id: str, dim: int, ann_threshold: int | None, t0: float) -> None:
    """Every file of the generation, into the folder ``tmp``, manifest last, flushed to disk."""
    rows = _Rows()
    bm25 = BM25.build(rows.tokens(store.iter_active_passages()))
    n = len(rows.pids)
    threshold = ann.ann_threshold() if ann_threshold is None else int(ann_threshold)
    check_space(tmp, generation_bytes(n, dim, len(rows.win_keys), bm25, n >= max(2, threshold)))
    bm25.save(tmp)
    vectors = store.vectors_for(model_id, rows.keys, dim) if n else np.zeros((0, dim), dtype=np.float32)
    has_vector = np.abs(vectors).sum(axis=1) > 0 if n else np.zeros(0, dtype=bool)
    missing = int(n - np.count_nonzero(has_vector))
    _save_npy(tmp / "vectors.npy", vectors)
    if missing:  # a keyword-first ingest still embedding: these rows are searched by keyword only (index/semantic.py)
        _save_npy(tmp / "has_vector.npy", has_vector)
    windows = _save_windows(tmp, store, model_id, dim, rows.win_keys, rows.win_counts)
    rows.save(tmp)
    glossary = store.glossary()
    _write_json(tmp / "glossary.json", glossary)
    dense = {"type": "flat-ip", "metric": "cosine", "ann_threshold": threshold}
    if n >= max(2, threshold):  # large: an approximate index beside the vectors (index/ann.py)
        dense = ann.build(vectors, tmp / ann.ANN_FILE, threshold)
    manifest = {
        "format": INDEX_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "model": model_id,
        "dim": dim,
        "passages": n,
        "documents": len(rows.docs_seen),
        "glossary_terms": len(glossary),
        "missing_vectors": missing,
        "windows": windows,
        "store_version": store.version(),
        "store": store.binding(rows.pids),  # checked on every open (Store.binding_problem): never served from another store
        "chunker": CHUNKER_VERSION,
        "parser": PARSER_VERSION,
        "bm25": {"k1": bm25.k1, "b": bm25.b, "epsilon": bm25.epsilon, "terms": bm25.n_terms},
        "dense": dense,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.time() - t0, 3),
    }
    _write_json(tmp / MANIFEST_FILE, manifest)
    _fsync_dir(tmp)


def _make_current(index_dir: Path, gens: Path, tmp: Path, name: str) -> str | None:
    """Rename the written generation to ``name`` and name it in CURRENT (replaced atomically); the name it replaces."""
    final = gens / name
    os.rename(tmp, final)
    _fsync_dir(gens)
    cur_tmp = index_dir / f".CURRENT.{uuid.uuid4().hex[:6]}"
    with open(cur_tmp, "w") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    previous = current_generation_name(index_dir)
    os.replace(cur_tmp, index_dir / CURRENT_FILE)
    _fsync_dir(index_dir)
    return previous
