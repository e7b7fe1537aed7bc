"""A generation's files opened for reading (index/build.py writes them): the manifest read and checked, the arrays
loaded, the checks every open makes, and the full check of `boardpapers info --check`. Used by index/embedded.py."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .bm25 import BM25
from .errors import IndexError_
from .generation import INDEX_FORMAT
from .store import REBUILD_HINT, SCHEMA_VERSION

# np.load parses each .npy header with ast.literal_eval; with several threads loading at once CPython 3.11.7
# once raised "SystemError: AST constructor recursion depth mismatch" here (test_search's reader threads,
# under heavy load). Loading is milliseconds, so generations are loaded one at a time.
_NPY_LOCK = threading.Lock()

# the type of every array file of a generation (index/build.py writes exactly these); a file of the right length but
# another type -- strings, objects, floats where numbers of rows are kept -- is damage, not data
ARRAY_TYPES = {"pids": "i", "dates": "i", "council": "i", "body": "i", "doc_type": "i", "decision": "b"}


def read_manifest(index_dir: Path, gen: Path) -> tuple[dict, int, int]:
    """The generation's manifest, its number of passages and its vector size; IndexError_ when it cannot be used."""
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexError_(f"the index at {index_dir} is missing its manifest ({gen / 'manifest.json'}); {REBUILD_HINT}") from None
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
            f"the index at {index_dir} has schema version {manifest['schema_version']}, newer than this boardpapers "
            f"({SCHEMA_VERSION}); upgrade boardpapers or {REBUILD_HINT}"
        )
    return manifest, n, dim


@dataclass
class GenerationFiles:
    """A generation's files as loaded, not yet checked (``check_files`` checks them once they are on the Index)."""

    bm25: BM25
    vectors: np.ndarray  # memory-mapped
    arrays: dict[str, np.ndarray]  # the per-row arrays of ARRAY_TYPES
    items: np.ndarray | None
    window_offsets: np.ndarray | None
    window_vectors: np.ndarray | None  # memory-mapped
    facets: Any  # JSON: a dict of lists when sound
    glossary: Any  # JSON: a dict when sound
    has_vector: np.ndarray | None = None  # flags of the rows with a vector; None: every row has one


def load_files(index_dir: Path, gen: Path) -> GenerationFiles:
    """Load the generation's files; IndexError_ when one cannot be read."""
    try:
        with _NPY_LOCK:
            bm25 = BM25.load(gen, mmap=True)
            vectors = np.load(gen / "vectors.npy", mmap_mode="r", allow_pickle=False)
            arr = {a: np.load(gen / f"{a}.npy", allow_pickle=False) for a in ("pids", "dates", "council", "body", "doc_type", "decision")}
            # agenda item of each row (index.build); a generation written before the judge has none
            items = np.load(gen / "items.npy", allow_pickle=False) if (gen / "items.npy").exists() else None
            # sentence windows (index.build._save_windows); a generation written before them has none
            has_windows = (gen / "window_offsets.npy").exists()
            window_offsets = np.load(gen / "window_offsets.npy", allow_pickle=False) if has_windows else None
            window_vectors = np.load(gen / "window_vectors.npy", mmap_mode="r", allow_pickle=False) if has_windows else None
            # rows with a vector, in a generation published while a keyword-first ingest embeds (index/semantic.py)
            has_vector = np.load(gen / "has_vector.npy", allow_pickle=False) if (gen / "has_vector.npy").exists() else None
        facets = json.loads((gen / "facets.json").read_text(encoding="utf-8"))
        glossary = json.loads((gen / "glossary.json").read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 - any damaged file gets the same advice
        detail = "a file is not a plain array file" if "pickle" in str(exc) else f"{type(exc).__name__}: {str(exc)[:160]}"
        raise IndexError_(f"the index at {index_dir} is damaged ({detail}); {REBUILD_HINT}") from None
    return GenerationFiles(bm25, vectors, arr, items, window_offsets, window_vectors, facets, glossary, has_vector)


def check_files(ix, arr: dict, n: int, dim: int) -> None:
    """IndexError_ unless the loaded files (on ``ix``, and the per-row arrays ``arr``) agree with the manifest's
    ``n`` passages of ``dim`` values and hold values of the right type."""
    if (
        ix.vectors.shape != (n, dim)
        or any(len(v) != n for v in arr.values())
        or ix.bm25.n_docs != n
        or not isinstance(ix.facets, dict)
        or not all(isinstance(ix.facets.get(f), list) for f in ("council", "body", "doc_type"))
        or not isinstance(ix.glossary, dict)
    ):
        raise IndexError_(f"the index at {ix.dir} is damaged (file sizes disagree with the manifest); {REBUILD_HINT}")
    if ix.has_vector is not None and (ix.has_vector.shape != (n,) or ix.has_vector.dtype != np.bool_):
        raise IndexError_(f"the index at {ix.dir} is damaged (has_vector.npy disagrees with the manifest); {REBUILD_HINT}")
    if ix.items is not None and (ix.items.shape != (n,) or ix.items.dtype.kind != "i"):
        raise IndexError_(f"the index at {ix.dir} is damaged (items.npy disagrees with the manifest); {REBUILD_HINT}")
    wrong = _wrong_arrays(ix, arr)
    if wrong:
        raise IndexError_(f"the index at {ix.dir} is damaged ({wrong}); {REBUILD_HINT}")
    if ix.window_offsets is not None and (
        ix.window_offsets.shape != (n + 1,)
        or ix.window_vectors.ndim != 2
        or ix.window_vectors.shape[1] != dim
        or int(ix.window_offsets[-1]) != len(ix.window_vectors)
        or (n and int(ix.window_offsets[0]) != 0)
    ):
        raise IndexError_(f"the index at {ix.dir} is damaged (its window files disagree with the manifest); {REBUILD_HINT}")


def _wrong_arrays(ix, arr: dict) -> str | None:
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
        ix.window_offsets.dtype.kind != "i"
        or ix.window_vectors.dtype != np.float32
        or (len(ix.window_offsets) > 1 and bool(np.any(np.diff(ix.window_offsets) < 0)))
    ):
        return "the window files hold values of the wrong type or order"
    b = ix.bm25
    if b.data.dtype != np.float32 or b.indices.dtype.kind != "i" or b.indptr.dtype.kind != "i":
        return "a BM25 file holds values of the wrong type"
    return None


def deep_check(ix) -> list[str]:
    """Everything `boardpapers info --check` verifies beyond the checks made on every open: SQLite's full
    integrity check of the store, every value of the BM25 and vector files, and that every row's passage is
    in the store. The problems found (empty when the index is sound)."""
    problems = [f"passage store: {p}" for p in ix.store.check(full=True)]
    n, b = len(ix), ix.bm25
    if b.nnz and (int(np.min(b.indices)) < 0 or int(np.max(b.indices)) >= n):
        problems.append("BM25 postings name rows the index does not have")
    if len(b.indptr) > 1 and bool(np.any(np.diff(b.indptr) < 0)):
        problems.append("BM25 term offsets are out of order")
    if b.nnz and not bool(np.isfinite(b.data).all()):
        problems.append("BM25 weights that are not numbers")
    for name, vec in (("vectors.npy", ix.vectors), ("window_vectors.npy", ix.window_vectors)):
        if vec is not None and any(not bool(np.isfinite(vec[s : s + 65536]).all()) for s in range(0, len(vec), 65536)):
            problems.append(f"{name} holds values that are not numbers")
    if not problems:
        try:
            have: set[int] = set()
            for s in range(0, n, 500):
                chunk = [int(x) for x in ix.pids[s : s + 500]]
                have.update(
                    r[0] for r in ix.store.con.execute(f"SELECT pid FROM passages WHERE pid IN ({','.join('?' * len(chunk))})", chunk)
                )
        except sqlite3.Error as exc:
            problems.append(f"passage store: {' '.join(str(exc).split())}")
        else:
            if len(have) != n:
                problems.append(f"{n - len(have)} of the index's {n} passages are missing from the passage store")
    return problems
