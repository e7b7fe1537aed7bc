"""Vectors for an answer's candidate sentences, taken from what the index already stores wherever it can.

Encoding the ~40 candidate sentences of a question's top passages was most of a warm ``ask`` (docs/ANSWERS.md,
"Speed"). The index already holds a vector for every sentence window of a passage (ingest.chunk.dense_windows: whole
sentences packed into windows of 50 words, each embedded with the passage's context line) and, for a passage short
enough to be its own window, the passage vector. A sentence held whole by a window is scored by the best such window;
only the sentences no window holds (one that straddles two windows, a generation without window files) are encoded,
in one batch, and kept in a per-process cache so a question asked again encodes nothing.

A sentence scored by a window shares that vector with the window's other sentences, so ``own`` says which vectors are
the sentence's own: near-duplicates are found by cosine between own vectors only, by shared words otherwise.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from boardpapers.ingest.chunk import dense_windows

from .sentences import display as words  # whitespace collapsed: how a window holds a sentence

CACHE_SIZE = 20_000  # encoded sentences kept per process (~30 MB at 384 dimensions)
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_lock = threading.Lock()


def _held_by(sentence: str, windows: list[str], vecs: np.ndarray, qvec: np.ndarray) -> np.ndarray | None:
    """The vector of the window holding ``sentence`` that is closest to the question, or None when none holds it."""
    best, best_cos = None, -2.0
    for text, vec in zip(windows, vecs):
        if sentence in text:
            cos = float(vec @ qvec)
            if cos > best_cos:
                best, best_cos = vec, cos
    return best


def stored_windows(index, hits: list[dict]) -> list[tuple[list[str], np.ndarray] | None]:
    """(window texts, their stored vectors) per hit; a short passage is its own window (its passage vector). None
    when the index holds no usable windows for the hit (not in this generation, or its windows differ from the text's)."""
    rows = index.rows_for_passage_ids([h["passage_id"] for h in hits])
    present = [i for i, r in enumerate(rows) if r is not None]
    out: list[tuple[list[str], np.ndarray] | None] = [None] * len(hits)
    if not present:
        return out
    stored = index.windows_at([rows[i] for i in present])
    passage_vecs = index.vectors_at([rows[i] for i in present])
    for i, wins, pvec in zip(present, stored, passage_vecs):
        if wins is None:
            continue
        texts = dense_windows(hits[i]["text"])
        if not texts:
            out[i] = ([words(hits[i]["text"])], np.asarray(pvec, dtype=np.float32).reshape(1, -1))
        elif len(texts) == len(wins):
            out[i] = (texts, wins)
    return out


_threads = {"depth": 0, "saved": 0}


@contextmanager
def one_encoder_thread() -> Iterator[None]:
    """PyTorch at one thread while a question is answered (the encodes of a question are one to a few short texts).

    Measured on the 2-core box with other processes busy (load average 9-11): a warm ``ask`` took p50 1.72 s with
    PyTorch's two threads -- each layer's parallel region waits on a thread the OS has descheduled -- and 0.28 s with
    one (docs/ANSWERS.md, "Speed"); an idle machine gains nothing from the second thread on texts this short. Nested
    and concurrent uses share one count, so the thread setting is restored when the last one leaves. Nothing happens
    when PyTorch is not loaded (ONNX / OpenVINO encoders)."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    with _lock:
        if _threads["depth"] == 0:
            _threads["saved"] = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _threads["depth"] -= 1
            if _threads["depth"] == 0:
                torch.set_num_threads(_threads["saved"])


def clear_cache() -> None:
    """Forget the encoded sentences (a benchmark times questions cold)."""
    with _lock:
        _cache.clear()


def encode_cached(embedder, texts: list[str]) -> np.ndarray:
    """``embedder.encode(texts)``, encoding only the texts this process has not encoded before (one batch)."""
    model = str(getattr(embedder, "model_id", ""))
    with _lock:
        known = {t: _cache[(model, t)] for t in texts if (model, t) in _cache}
        for t in known:
            _cache.move_to_end((model, t))
    todo = list(dict.fromkeys(t for t in texts if t not in known))
    if todo:
        fresh = embedder.encode(todo)
        with _lock:
            for t, v in zip(todo, fresh):
                known[t] = v
                _cache[(model, t)] = v
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    dim = int(getattr(embedder, "dim", 0) or (len(next(iter(known.values()))) if known else 0))
    return np.asarray([known[t] for t in texts], dtype=np.float32).reshape(len(texts), dim)


def sentence_vectors(index, hits: list[dict], cands: list[dict], qvec: np.ndarray, embedder) -> tuple[np.ndarray, list[bool]]:
    """A vector per candidate sentence ({"hit", "quote"}) and whether it is the sentence's own (see the module doc)."""
    windows = stored_windows(index, hits)
    vecs: list[np.ndarray | None] = []
    for c in cands:
        held = windows[c["hit"]]
        vecs.append(_held_by(words(c["quote"]), held[0], held[1], qvec) if held is not None else None)
    missing = [i for i, v in enumerate(vecs) if v is None]
    if missing:
        for i, v in zip(missing, encode_cached(embedder, [words(cands[i]["quote"]) for i in missing])):
            vecs[i] = v
    encoded = set(missing)
    own = [i in encoded for i in range(len(cands))]
    dim = len(qvec)
    return np.asarray(vecs, dtype=np.float32).reshape(len(cands), dim), own
