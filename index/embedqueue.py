"""Parsed documents wait here for their vectors: texts are encoded in large length-sorted batches, each distinct
text once, and a document is written (one transaction with its vectors) as soon as all its texts have vectors.
Also how parse workers are started (fork while the process has no native threads, spawn after)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from boardpapers.ingest.chunk import window_texts
from boardpapers.ingest.context import (
    HAND,
    TRACKED,
    Paper,
    apply_context,
    fixed_fields,
    hand_fields,
    path_context_json,
    provenance_record,
    resolve,
)
from boardpapers.ingest.model import Passage
from boardpapers.ingest.parse import embed_text
from boardpapers.ingest.structure import PARSER_VERSION

from .embed import embed_key
from .report import IngestReport

# modules that start native thread pools: a process that has imported one must not fork (a lock held by one of
# those threads stays locked forever in the child, which then hangs)
_THREADED_MODULES = ("torch", "onnxruntime", "openvino", "tokenizers", "faiss")


def worker_context():
    """How parse workers start: ``fork`` (instant) while this process has no native threads -- the CLI parses
    before it loads the model -- and ``spawn`` once it has (the app, or any caller that encoded before)."""
    if multiprocessing.get_start_method(allow_none=True) not in (None, "fork") or sys.platform != "linux":
        return None  # the caller's choice, or the platform default
    if any(m in sys.modules for m in _THREADED_MODULES):
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork")


@dataclass
class ParsedDocument:
    """A parsed document waiting in the embed queue until every new text of it has a vector."""

    path: Path
    digest: str
    size: int
    mtime: float
    res: dict
    meta: dict
    passages: list[Passage]
    texts: list[str]  # embedded text of each passage
    keys: list[str]  # and its cache key (passage-aligned)
    win_texts: list[str] = field(default_factory=list)  # the passages' sentence windows (ingest.chunk.dense_windows)
    win_keys: list[str] = field(default_factory=list)
    need: set[str] = field(default_factory=set)  # keys without a stored vector when it arrived
    owned: set[str] = field(default_factory=set)  # of those, the ones this document put in the queue first
    deferred: bool = False  # stored before its vectors (keyword first: index/backfill.py)

    def document_row(self) -> dict:
        """The document's row for either store (SQLite or PostgreSQL)."""
        meta, res = self.meta, self.res
        return {
            "doc_id": self.digest,
            "path": str(self.path),
            "title": meta.get("title"),
            "council": meta.get("council"),
            "body": meta.get("body"),
            "meeting_date": meta.get("meeting_date"),
            "doc_type": meta.get("doc_type"),
            "pages": res["pages"],
            "sha256": self.digest,
            "source_url": meta.get("source_url"),
            "warnings": res["warnings"],
            "encoding": res["encoding"],
            "size": self.size,
            "parser": PARSER_VERSION,
            "provenance": meta.get("provenance"),
            "path_context": meta.get("path_context"),
        }


def parsed_document(
    f: Path, digest: str, size: int, mtime: float, res: dict, overrides: dict | None, hand: dict | None = None
) -> ParsedDocument:
    """A worker's result as passages and embed texts, with sidecar-manifest fields and the fields set by hand (the
    store's doc_overrides of this content, index/library.py) applied; a field set by hand wins."""
    meta = res["meta"]
    passages = [Passage(**p) for p in res["passages"]]
    # the meeting context this file alone gives (its folder's and its name's date, a manifest row); the frontsheet of
    # its meeting folder is applied once the whole folder is stored (index/meetings.py)
    parsed = {k: meta.get(k) for k in TRACKED}
    fixed = fixed_fields(overrides) | hand_fields(hand)
    overrides = {k: v for k, v in (overrides or {}).items() if k not in fixed or fixed[k][1] != HAND}
    ctx = resolve([Paper(str(f), parsed, fixed)])[str(f)]
    apply_context(meta, passages, ctx)
    meta["provenance"] = json.dumps(provenance_record(parsed, fixed, ctx), sort_keys=True)
    meta["path_context"] = path_context_json(ctx)
    if overrides:
        detected_date = meta.get("meeting_date")
        for k, v in overrides.items():
            meta[k] = v
        if "meeting_date" in overrides:
            for p in passages:
                if p.meeting_date == detected_date:
                    p.meeting_date = overrides["meeting_date"]
    texts = [embed_text(asdict(p)) for p in passages]
    win_texts = [t for p in passages for t in window_texts(p.context, p.text)]
    return ParsedDocument(
        f, digest, size, mtime, res, meta, passages, texts, [embed_key(t) for t in texts], win_texts, [embed_key(t) for t in win_texts]
    )


def store_document(store, d: ParsedDocument, model_id: str, embedded: bool = True) -> None:
    """Write a parsed document (its vectors are in the embedding cache already, or follow: ``embedded=False``)."""
    row, decisions = d.document_row(), d.res.get("decisions", [])  # the document's decision records (ingest/decisions.py)
    store.add_document(row, d.passages, d.keys, {}, model_id, d.res["glossary"], d.size, d.mtime, decisions=decisions, embedded=embedded)


def save_vectors(con, model_id: str, keys: list[str], vecs) -> None:
    """Put encoded vectors in the store's embedding cache (one transaction)."""
    with con:
        con.executemany(
            "INSERT OR IGNORE INTO embeddings(model, key, vec) VALUES(?,?,?)",
            [(model_id, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vecs)],
        )


class EmbedQueue:
    """Texts of parsed documents wait here to be encoded in large batches; each distinct text is encoded once.

    A text whose vector is in the store's embedding cache is never encoded; a text that occurs in
    several documents of the run (or twice in one) is encoded once. A document is written, in its own
    transaction with the vectors it needs, as soon as all its texts have vectors.
    """

    BATCH = 256  # texts per encode call once every file is parsed
    # While parse workers run, the encoder gets the cores they leave free, fixed for the length of a call; short
    # calls then let it take a freed core back soon after a worker finishes (a 256-text call on one thread runs
    # ~20 s here, long after the last file is parsed, with the other core idle).
    BATCH_WHILE_PARSING = 32
    # A call's texts come from the WINDOW oldest waiting texts, longest first: the model pads each of its batches
    # to its longest text, so texts of like length go together. Taken in arrival order instead, the padded work on
    # corpus/ is 1.07x the minimum for 256-text calls and 1.45x for 32-text calls (a 2,048 window: 1.02x); the
    # window keeps documents completing (and being written) soon after they are parsed.
    WINDOW = 2048
    BATCH_CUDA = 2048  # texts per encode call on a GPU (index.embed: 256 per forward pass): no cores to share there

    def __init__(
        self, store, model_id: str, report: IngestReport, embedder=None, load: Callable | None = None, t_start: float | None = None
    ):
        self.store, self.model_id, self.report = store, model_id, report
        self.t_start = time.perf_counter() if t_start is None else t_start  # report.timeline counts from here
        self.embedder = embedder
        self._load = load  # loads the embedder, the first time something needs encoding
        self.texts: dict[str, str] = {}  # key -> text, waiting to be encoded
        self.vectors: dict[str, object] = {}  # key -> vector, encoded but not yet stored
        self.docs: list[ParsedDocument] = []  # waiting for vectors, in arrival order
        self._threads: int | None = None

    def _get_embedder(self):
        if self.embedder is None:
            assert self._load is not None, "an EmbedQueue without an embedder needs load="
            t0 = time.perf_counter()
            self.embedder = self._load()
            self.report.load_seconds += time.perf_counter() - t0
        return self.embedder

    def add(self, doc: ParsedDocument) -> None:
        keys, texts = doc.keys + doc.win_keys, doc.texts + doc.win_texts
        unseen = [k for k in dict.fromkeys(keys) if k not in self.texts and k not in self.vectors]
        stored = self.store.known_embeddings(self.model_id, unseen)
        doc.need = {k for k in keys if k not in stored}
        for k, t in zip(keys, texts):
            if k in doc.need and k not in self.texts and k not in self.vectors:
                self.texts[k] = t
                doc.owned.add(k)
        self.docs.append(doc)

    def encode_some(self, busy_workers: int = 0) -> list[str]:
        """Encode the next batch of waiting texts (``busy_workers`` parse workers are running meanwhile); their keys."""
        if not self.texts:
            return []
        window = list(itertools.islice(self.texts.items(), self.WINDOW))
        window.sort(key=lambda kv: len(kv[1]), reverse=True)
        emb = self._get_embedder()
        on_gpu = str(getattr(emb, "device", "cpu")).startswith("cuda")
        batch = dict(window[: self.BATCH_CUDA if on_gpu else self.BATCH_WHILE_PARSING if busy_workers else self.BATCH])
        self.threads_for_encoding(busy_workers)
        t0 = time.perf_counter()
        self.report.timeline.setdefault("first_encode", round(t0 - self.t_start, 2))
        vecs = emb.encode(list(batch.values()))
        t1 = time.perf_counter()
        self.report.embed_seconds += t1 - t0
        self.report.timeline["last_encode_end"] = round(t1 - self.t_start, 2)
        self.report.embedded += len(batch)
        save_vectors(self.store.con, self.model_id, list(batch), vecs)
        for k, v in zip(batch, vecs):
            del self.texts[k]
            self.vectors[k] = v
        # (stored as they land, so a killed ingest's next run never encodes them again; kept here until the
        # documents that need them are written)
        return list(batch)

    def write_ready(self) -> list[ParsedDocument]:
        """Store every waiting document whose texts all have vectors; returns them."""
        ready = [d for d in self.docs if all(k in self.vectors for k in d.need)]
        for d in ready:
            self._store(d)
            self.docs.remove(d)
            self.report.reused_embeddings += len(d.keys) + len(d.win_keys) - len(d.owned)
        if ready:
            still = {k for d in self.docs for k in d.need}
            self.vectors = {k: v for k, v in self.vectors.items() if k in still}
        return ready

    def _store(self, d: ParsedDocument) -> None:
        store_document(self.store, d, self.model_id)

    def threads_for_encoding(self, busy_workers: int) -> None:
        """PyTorch threads = the cores the parse workers leave free (at least one), so encoding and parsing
        do not oversubscribe the CPU (measured in bench/ingest_bench.py)."""
        if getattr(self.embedder, "backend", None) != "torch":
            return
        import torch

        if self._threads is None:
            self._threads = torch.get_num_threads()
        want = max(1, min(self._threads, (os.cpu_count() or 1) - busy_workers))
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)

    def restore_threads(self) -> None:
        if self._threads is not None:
            import torch

            torch.set_num_threads(self._threads)
