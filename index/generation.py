"""The layout of an index directory, for readers and the builder alike (readers never import the builder).

    store.sqlite          documents, passages, embeddings cache, failures, glossary
    CURRENT               name of the live generation (replaced atomically)
    gens/gen-.../         one generation: manifest.json, BM25 files, vectors.npy, per-passage arrays,
                          window_vectors.npy + window_offsets.npy (the passages' sentence windows, row-grouped),
                          has_vector.npy while some passages have no vector yet (keyword first: index/semantic.py)
    .lock                 held by a running ingest

A generation is written under a temporary name, flushed to disk, renamed, and only then named in
CURRENT; a reader therefore sees the old generation or the new one, never a half-built one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

INDEX_FORMAT = "boardpapers-index"
STORE_FILE = "store.sqlite"
CURRENT_FILE = "CURRENT"
GENS_DIR = "gens"
MANIFEST_FILE = "manifest.json"
ARRAYS = ("pids", "dates", "council", "body", "doc_type", "decision")
OPTIONAL_ARRAYS = ("items",)  # written since the relevance judge; an older generation works without them


def current_generation_name(index_dir: Path) -> str | None:
    """The name in CURRENT (unchecked: a damaged file gives a name that `valid_generation_name` rejects)."""
    try:
        return (Path(index_dir) / CURRENT_FILE).read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def valid_generation_name(name: str) -> bool:
    """A name build_generation writes: never a path, so CURRENT cannot send a reader outside gens/."""
    return bool(re.fullmatch(r"gen-[0-9A-Za-z-]{1,64}", name or ""))


def generation_dir(index_dir: Path, name: str) -> Path:
    return Path(index_dir) / GENS_DIR / name


def has_store(index_dir: Path) -> bool:
    return (Path(index_dir) / STORE_FILE).exists()


def read_manifest(index_dir: Path, name: str) -> dict:
    """The generation's manifest.json (raises OSError / ValueError when it is missing or not JSON)."""
    return json.loads((generation_dir(index_dir, name) / MANIFEST_FILE).read_text(encoding="utf-8"))
