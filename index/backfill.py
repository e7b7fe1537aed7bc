"""Keyword first, vectors after: documents stored as soon as they are parsed, their vectors encoded afterwards.

`KeywordSink` takes the parse workers' documents in place of the embed queue and writes each at once (marked
``embedded=0`` while some of its texts have no vector), so a generation built right after parsing serves BM25
search, citations, filters, decision records and trace by keyword. `Backfill` then encodes the texts of every
document still marked so -- those of a killed earlier run too -- in large batches, each batch's vectors stored
as it lands (a re-run never encodes them again), and publishes a new generation every so often, so hybrid search
switches on passage by passage while the index already serves (index/semantic.py is the read side).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from boardpapers.ingest.chunk import window_texts
from boardpapers.ingest.parse import embed_text

from .embed import embed_key, resolve_model, split_space_id
from .embedqueue import EmbedQueue, ParsedDocument, store_document
from .lock import this_process
from .semantic import META_KEY

# A generation is published at most every PUBLISH_SECONDS of embedding, and never more often than every PUBLISH_COST
# times the last build's duration, so the builds stay under ~1/PUBLISH_COST of the run (corpus/: ~1 s a build).
PUBLISH_SECONDS = 30.0
PUBLISH_COST = 10.0


class Pacer:
    """Publishes a generation when something changed and PUBLISH_SECONDS -- or PUBLISH_COST times the last build's
    duration, if longer -- have passed since the last one."""

    def __init__(self, publish: Callable[[], float]):
        self.publish = publish
        self.last, self.build_seconds, self.pending = time.perf_counter(), 0.0, False

    def changed(self) -> bool:
        """Note a change; publish if due. Whether it published."""
        self.pending = True
        if time.perf_counter() - self.last < max(PUBLISH_SECONDS, PUBLISH_COST * self.build_seconds):
            return False
        self.build_seconds = self.publish()
        self.last, self.pending = time.perf_counter(), False
        return True


class KeywordSink:
    """Where parsed documents go in a keyword-first ingest: written at once, vectors or not (the parse loop of
    index/writer.py drives it like the embed queue: ``add``, ``encode_some``, ``write_ready``, ``texts``)."""

    texts: dict[str, str] = {}  # never any text waiting: the parse loop only waits for parse workers

    def __init__(self, store, model_id: str, report, publish: Callable[[], float] | None = None):
        self.store, self.model_id, self.report = store, model_id, report
        self.ready: list[ParsedDocument] = []
        # a long parse publishes what it has stored now and then, at the backfill's pace (``Pacer``)
        self.pacer = Pacer(publish) if publish is not None else None

    def add(self, doc: ParsedDocument) -> None:
        keys = list(dict.fromkeys(doc.keys + doc.win_keys))
        known = self.store.known_embeddings(self.model_id, keys)
        doc.need = {k for k in keys if k not in known}
        doc.deferred = bool(doc.need)  # its texts are encoded by the backfill
        store_document(self.store, doc, self.model_id, embedded=not doc.need)
        self.report.reused_embeddings += len(doc.keys) + len(doc.win_keys) - len(doc.need)
        self.ready.append(doc)

    def encode_some(self, busy_workers: int = 0) -> None:
        pass

    def write_ready(self) -> list[ParsedDocument]:
        out, self.ready = self.ready, []
        if out and self.pacer is not None:
            self.pacer.changed()
        return out

    def restore_threads(self) -> None:
        pass


def pending_texts(store, model_id: str) -> tuple[dict[str, set[str]], dict[str, str], set[str]]:
    """The active documents marked as lacking vectors: doc_id -> the keys of its texts (passages and their sentence
    windows), key -> text for every key, and the keys already in the embedding cache."""
    docs: dict[str, set[str]] = {}
    texts: dict[str, str] = {}
    q = (
        "SELECT p.doc_id, p.embed_key, p.context, p.text FROM passages p JOIN documents d USING(doc_id) "
        "WHERE d.status='active' AND d.embedded=0 ORDER BY p.pid"
    )
    for doc_id, key, context, text in store.con.execute(q):
        keys = docs.setdefault(doc_id, set())
        keys.add(key)
        texts.setdefault(key, embed_text({"context": context, "text": text}))
        for w in window_texts(context, text):
            k = embed_key(w)
            keys.add(k)
            texts.setdefault(k, w)
    return docs, texts, store.known_embeddings(model_id, list(texts))


class Backfill:
    """Encode the texts of the documents stored without their vectors; store each batch's vectors as they land; mark
    a document embedded once all of its texts have vectors; ``publish`` (when given) builds a generation now and then."""

    def __init__(self, store, model_id: str, queue: EmbedQueue, publish: Callable[[], float] | None = None, say=None):
        self.store, self.model_id, self.queue = store, model_id, queue
        self.publish = publish  # builds and switches to a new generation; returns the seconds it took
        self.say = say or (lambda msg: None)
        self.docs, texts, known = pending_texts(store, model_id)
        self.missing = {d: keys - known for d, keys in self.docs.items()}
        self.total, self.done = len(texts), len(known)
        queue.texts.update((k, t) for k, t in texts.items() if k not in known)
        self.owners: dict[str, list[str]] = {}
        for d, keys in self.missing.items():
            for k in keys:
                self.owners.setdefault(k, []).append(d)

    def run(self) -> None:
        if not self.docs:
            return
        try:
            self._run()
        except BaseException:  # an encoder failure, ^C: what landed is stored; the next ingest resumes from there
            with contextlib.suppress(Exception):  # a broken store raises its own error
                self._progress("stopped")
            raise

    def _run(self) -> None:
        self._land(set())  # documents whose texts were all cached already (a killed run's last batch)
        if self.queue.texts:
            self.say(f"semantic indexing: {self.done:,} / {self.total:,} texts embedded; encoding the rest…")
        pacer = Pacer(self._publish) if self.publish is not None else None
        while self.queue.texts:
            landed = set(self.queue.encode_some(busy_workers=0))  # the batch's vectors are stored
            self.queue.vectors.clear()
            self._land(landed)
            if pacer is not None and self.queue.texts:  # the last batch's generation is the caller's final one
                pacer.changed()
        self.queue.restore_threads()
        self._progress("done")
        self.say(f"semantic indexing: {self.done:,} / {self.total:,} texts embedded")

    def _publish(self) -> float:
        self.say(f"semantic indexing: {self.done:,} / {self.total:,} texts embedded; publishing them")
        assert self.publish is not None
        return self.publish()

    def _land(self, keys: set[str]) -> None:
        """Count ``keys`` as stored; mark the documents they complete as embedded (one transaction)."""
        complete = [d for d, m in self.missing.items() if not m]
        for k in keys:
            for d in self.owners.pop(k, []):
                m = self.missing[d]
                m.discard(k)
                if not m:
                    complete.append(d)
        self.done += len(keys)
        with self.store.con:
            self.store.con.executemany("UPDATE documents SET embedded=1 WHERE doc_id=?", [(d,) for d in complete])
            for d in complete:
                self.missing.pop(d, None)
            if keys or complete:
                self.store.bump_version()  # a generation built before no longer holds everything the store has
            self._progress("running")

    def _progress(self, state: str) -> None:
        """What `info` and the app show: texts and documents embedded of those this run found without vectors."""
        value = {
            "state": state,
            "texts": self.total,
            "embedded": self.done,
            "documents": len(self.docs),
            "documents_embedded": len(self.docs) - len(self.missing),
            "by": this_process(),
        }
        if state == "running":  # inside the caller's transaction
            self.store.set_meta(META_KEY, json.dumps(value))
        else:
            with self.store.con:
                self.store.set_meta(META_KEY, json.dumps(value))


def config_dim(model_id: str) -> int | None:
    """The vector size of a local sentence-transformers model, read from its configuration files (the model is not
    loaded: a keyword-first ingest builds its first generation before it needs the model); None when unknown."""
    base, _ = split_space_id(model_id)
    try:
        _, load = resolve_model(base)
    except Exception:  # noqa: BLE001 - the default model's package missing: the caller loads the model and says so
        return None
    root = Path(load)
    try:
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        dense = [m for m in modules if str(m.get("type", "")).endswith("models.Dense")]
        if dense:
            return int(json.loads((root / dense[-1]["path"] / "config.json").read_text(encoding="utf-8"))["out_features"])
        cfg = json.loads((root / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for name in ("hidden_size", "d_model", "dim", "n_embd"):
        if isinstance(cfg.get(name), int):
            return int(cfg[name])
    return None
