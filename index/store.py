"""The passage store: SQLite holding documents, passages, embeddings, failures, the glossary and decision records.

One transaction per document. Documents are keyed by content hash; a path that changes content
points at the new document and the old one is marked superseded (kept until the next index
generation is live, so a reader of the previous generation never loses its passages).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np

from boardpapers.ingest.model import Passage

from .generation import STORE_FILE  # the layout lives in one place
from .storedb import (
    DOC_FIELDS,
    PASSAGE_FIELDS,
    REBUILD_HINT,
    SCHEMA,
    StoreError,
    add_missing_columns,
    connect,
    decision_rows,
    document_columns,
    group_path_contexts,
    sqlite_decisions,
    sqlite_meeting_papers,
    sqlite_message,
    with_path_contexts,
)

__all__ = [
    "BINDING_SAMPLE",
    "DOC_FIELDS",
    "PASSAGE_FIELDS",
    "REBUILD_HINT",
    "SCHEMA_VERSION",
    "STORE_FILE",
    "Store",
    "StoreError",
    "connect",
    "sqlite_message",
]

SCHEMA_VERSION = 1
BINDING_SAMPLE = 64  # generation rows whose passages are checked against the store on every open


def _int(v: str) -> int:
    """A schema version from the meta table; an unreadable one counts as newer (never guess at a format)."""
    try:
        return int(v)
    except ValueError:
        return SCHEMA_VERSION + 1


def _passage_row(doc_id: str, seq: int, p: Passage, key: str) -> tuple:
    """The ``passages`` row of one passage, in the column order ``add_document`` inserts."""
    d = asdict(p)
    return (
        f"{doc_id[:16]}-{seq:05d}", doc_id, seq, d["text"], d["context"], d["page"], d["page_end"], d["printed_page"],
        d["item"], d["minute_number"], d["meeting_date"], int(d["is_decision"]), d["char_start"], d["char_end"],
        d["section_kind"], key, int(d.get("ocr", False)), d.get("doc_type"),
    )  # fmt: skip


class Store:
    """Read/write access to the passage store of one index directory."""

    def __init__(self, index_dir: Path, readonly: bool = False):
        self.dir = Path(index_dir)
        self.path = self.dir / STORE_FILE
        self.readonly = readonly
        if not readonly:
            self.dir.mkdir(parents=True, exist_ok=True)
        self.con = connect(self.path, readonly)
        if not readonly:
            try:
                self.con.executescript(SCHEMA)
                add_missing_columns(self.con)
                v = self.get_meta("schema_version")
                if v is None:
                    self.set_meta("schema_version", str(SCHEMA_VERSION))
                if self.get_meta("store_id") is None:  # created with the store (or given once to an older one)
                    self.set_meta("store_id", uuid.uuid4().hex)
                self.con.commit()
            except sqlite3.Error as exc:
                self.con.close()
                raise StoreError(sqlite_message(self.path, exc)) from None
        try:
            self.doc_cols = document_columns(self.con)  # what a passage row is read with
        except sqlite3.Error as exc:
            self.con.close()
            raise StoreError(sqlite_message(self.path, exc, readonly)) from None
        v = self.get_meta("schema_version")
        if v is not None and _int(v) > SCHEMA_VERSION:
            self.con.close()
            raise StoreError(
                f"the passage store {self.path} has schema version {v}, newer than this boardpapers understands ({SCHEMA_VERSION}); "
                "upgrade boardpapers or rebuild with `boardpapers ingest --rebuild PATH...`"
            )

    def close(self) -> None:
        self.con.close()

    # --- meta
    def get_meta(self, key: str) -> str | None:
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(sqlite_message(self.path, exc, self.readonly)) from None
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def version(self) -> int:
        """Bumped by every change that a built index must reflect."""
        return int(self.get_meta("store_version") or 0)

    def bump_version(self) -> None:
        self.set_meta("store_version", str(self.version() + 1))

    # --- the identity a generation is bound to
    def store_id(self) -> str | None:
        """A random id created with the store: a store deleted and made again, or copied from another index, has
        another one (the change counter alone cannot tell a new store from the old one)."""
        return self.get_meta("store_id")

    def passage_fingerprints(self, pids: list[int]) -> dict[int, str]:
        """pid -> a short hash of the passage's id and text: what a generation row must still find in the store."""
        out: dict[int, str] = {}
        try:
            for i in range(0, len(pids), 500):
                chunk = [int(x) for x in pids[i : i + 500]]
                q = f"SELECT pid, passage_id, text FROM passages WHERE pid IN ({','.join('?' * len(chunk))})"
                for pid, passage_id, text in self.con.execute(q, chunk):
                    out[int(pid)] = hashlib.blake2b(f"{passage_id}\0{text}".encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        except sqlite3.Error as exc:
            raise StoreError(sqlite_message(self.path, exc, self.readonly)) from None
        return out

    def binding(self, pids) -> dict:
        """What a generation built now from this store records of it: the store's id and version, and the
        fingerprints of up to BINDING_SAMPLE of its rows (evenly spaced, first and last included)."""
        n = len(pids)
        rows = sorted({round(i * (n - 1) / (BINDING_SAMPLE - 1)) for i in range(BINDING_SAMPLE)}) if n > 1 else list(range(n))
        sample = [int(pids[r]) for r in rows]
        fps = self.passage_fingerprints(sample)
        return {"id": self.store_id(), "version": self.version(), "sample": [[p, fps.get(p, "")] for p in sample]}

    def binding_problem(self, binding) -> str | None:
        """Why a generation with ``binding`` (its manifest's "store") cannot be served from this store, or None.

        A generation's rows name passages by number; served from another store, the numbers would cite other
        passages. So the store must be the one the generation was built from (same id) and still hold the sampled
        rows' passages unchanged."""
        if not isinstance(binding, dict) or not isinstance(binding.get("sample"), list):
            return "the index records no identity of its passage store"
        if binding.get("id") != self.store_id():
            return "the passage store was replaced or recreated after the index was built"
        try:
            sample = {int(p): str(fp) for p, fp in binding["sample"]}
        except (TypeError, ValueError):
            return "the index's record of its passage store is unreadable"
        have = self.passage_fingerprints(list(sample))
        if any(have.get(p) != fp for p, fp in sample.items()):
            return "passages the index refers to are missing or changed in the passage store"
        return None

    def check(self, full: bool = False) -> list[str]:
        """SQLite's own check of the store file: ``PRAGMA quick_check`` (or ``integrity_check`` when ``full``);
        the problems it reports (empty when the file is sound)."""
        pragma = "integrity_check" if full else "quick_check"
        try:
            rows = [r[0] for r in self.con.execute(f"PRAGMA {pragma}(20)")]
        except sqlite3.DatabaseError as exc:
            return [" ".join(str(exc).split())]
        return [] if rows == ["ok"] else [str(r) for r in rows]

    # --- documents
    def path_state(self, path: str) -> sqlite3.Row | None:
        return self.con.execute(
            "SELECT p.path, p.doc_id, p.size, p.mtime, d.sha256 FROM doc_paths p JOIN documents d USING(doc_id) WHERE p.path=?",
            (path,),
        ).fetchone()

    def has_doc(self, doc_id: str, parser: str | None = None) -> bool:
        """Whether the document is stored (and, given ``parser``, was read by that parser version)."""
        row = self.con.execute("SELECT parser FROM documents WHERE doc_id=? AND status='active'", (doc_id,)).fetchone()
        return row is not None and (parser is None or row[0] == parser)

    def add_path(self, path: str, doc_id: str, size: int, mtime: float) -> None:
        """Point ``path`` at an already stored document (a renamed copy, or a touched file)."""
        with self.con:
            self._point_path(path, doc_id, size, mtime)

    def _point_path(self, path: str, doc_id: str, size: int, mtime: float, context: str | None = None) -> None:
        old = self.con.execute("SELECT doc_id FROM doc_paths WHERE path=?", (path,)).fetchone()
        self.con.execute(
            "INSERT INTO doc_paths(path, doc_id, size, mtime, context) VALUES(?,?,?,?,?) "
            "ON CONFLICT(path) DO UPDATE SET doc_id=excluded.doc_id, size=excluded.size, mtime=excluded.mtime, "
            "context=coalesce(excluded.context, doc_paths.context)",
            (path, doc_id, size, mtime, context),
        )
        self.con.execute("DELETE FROM failures WHERE path=?", (path,))
        if old and old[0] != doc_id:
            left = self.con.execute("SELECT count(*) FROM doc_paths WHERE doc_id=?", (old[0],)).fetchone()[0]
            if not left:
                self.con.execute("UPDATE documents SET status='superseded' WHERE doc_id=?", (old[0],))
                self.bump_version()

    def add_document(
        self,
        doc: dict,
        passages: list[Passage],
        embed_keys: list[str],
        vectors: dict[str, np.ndarray],
        model_id: str,
        glossary: Iterable[tuple[str, str]] = (),
        size: int = 0,
        mtime: float = 0.0,
        decisions: Iterable[dict] = (),
        embedded: bool = True,
    ) -> None:
        """Store one document, its passages, new embeddings, glossary entries and decision records (replacing the ones
        stored under its id) in one transaction; ``embedded=False``: some of its texts have no vector yet."""
        doc = dict(doc)
        doc.setdefault("ingested_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        doc["warnings"] = json.dumps(doc.get("warnings") or [])
        doc["status"] = "active"
        cols = [f for f in DOC_FIELDS if f in doc]
        with self.con:
            self.con.execute("DELETE FROM passages WHERE doc_id=?", (doc["doc_id"],))
            self.con.execute(
                f"INSERT OR REPLACE INTO documents({','.join(cols)}) VALUES({','.join('?' * len(cols))})",
                [doc[c] for c in cols],
            )
            rows = [_passage_row(doc["doc_id"], seq, p, key) for seq, (p, key) in enumerate(zip(passages, embed_keys))]
            self.con.executemany(
                "INSERT INTO passages(passage_id, doc_id, seq, text, context, page, page_end, printed_page, item, minute_number, "
                "meeting_date, is_decision, char_start, char_end, section_kind, embed_key, ocr, doc_type) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            self.con.executemany(
                "INSERT OR IGNORE INTO embeddings(model, key, vec) VALUES(?,?,?)",
                [(model_id, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()],
            )
            self.con.executemany(
                "INSERT OR IGNORE INTO glossary(acronym, expansion, doc_id) VALUES(?,?,?)",
                [(a, e, doc["doc_id"]) for a, e in glossary],
            )
            self.con.execute("DELETE FROM decisions WHERE doc_id=?", (doc["doc_id"],))
            self.con.executemany("INSERT INTO decisions(doc_id, seq, record) VALUES(?,?,?)", decision_rows(doc["doc_id"], decisions))
            self.con.execute("UPDATE documents SET embedded=? WHERE doc_id=?", (int(embedded), doc["doc_id"]))
            self._point_path(doc["path"], doc["doc_id"], size, mtime, doc.get("path_context"))
            self.bump_version()

    def record_failure(self, path: str, sha256: str | None, reason: str) -> None:
        with self.con:
            self.con.execute(
                "INSERT OR REPLACE INTO failures(path, sha256, reason, at) VALUES(?,?,?,?)",
                (path, sha256, reason, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            )

    def known_embeddings(self, model_id: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT key FROM embeddings WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in self.con.execute(q, [model_id, *chunk]))
        return found

    def collect_garbage(self) -> None:
        """Drop superseded documents (after a new index generation no longer needs them)."""
        with self.con:
            self.con.execute("DELETE FROM passages WHERE doc_id IN (SELECT doc_id FROM documents WHERE status='superseded')")
            self.con.execute("DELETE FROM glossary WHERE doc_id IN (SELECT doc_id FROM documents WHERE status='superseded')")
            self.con.execute("DELETE FROM decisions WHERE doc_id IN (SELECT doc_id FROM documents WHERE status='superseded')")
            self.con.execute("DELETE FROM documents WHERE status='superseded'")

    # --- reading
    def documents(self, include_superseded: bool = False) -> list[dict]:
        q = "SELECT * FROM documents" + ("" if include_superseded else " WHERE status='active'") + " ORDER BY meeting_date, path"
        out = []
        for r in self.con.execute(q):
            d = dict(r)
            d["warnings"] = json.loads(d["warnings"] or "[]")
            d["paths"] = [x[0] for x in self.con.execute("SELECT path FROM doc_paths WHERE doc_id=? ORDER BY path", (d["doc_id"],))]
            out.append(d)
        return with_path_contexts(out, self.path_contexts([d["doc_id"] for d in out], every=True))

    def path_contexts(self, doc_ids: list[str], every: bool = False) -> dict[str, list[tuple[str, dict]]]:
        """doc_id -> [(path, that path's meeting context)] for documents at more than one path (``every``: all)."""
        rows: list = []
        try:
            for i in range(0, len(doc_ids), 500):
                chunk = list(doc_ids[i : i + 500])
                q = f"SELECT doc_id, path, context FROM doc_paths WHERE doc_id IN ({','.join('?' * len(chunk))}) ORDER BY path"
                rows.extend(self.con.execute(q, chunk))
        except sqlite3.OperationalError:  # a store made before paths had contexts, opened read-only
            return {}
        return group_path_contexts(rows, every)

    def failures(self) -> list[dict]:
        return [dict(r) for r in self.con.execute("SELECT * FROM failures ORDER BY path")]

    def iter_active_passages(self) -> Iterator[sqlite3.Row]:
        yield from self.con.execute(
            f"SELECT p.*, {self.doc_cols} FROM passages p JOIN documents d USING(doc_id) WHERE d.status='active' ORDER BY p.pid"
        )

    def passages_by_pid(self, pids: list[int]) -> dict[int, dict]:
        out: dict[int, dict] = {}
        for i in range(0, len(pids), 500):
            chunk = [int(x) for x in pids[i : i + 500]]
            q = f"SELECT p.*, {self.doc_cols} FROM passages p JOIN documents d USING(doc_id) WHERE p.pid IN ({','.join('?' * len(chunk))})"
            for r in self.con.execute(q, chunk):
                out[r["pid"]] = dict(r)
        return out

    def item_keys(self, pids: list[int]) -> dict[int, tuple[str, str | None]]:
        """(doc_id, agenda item) of each passage: the unit a report or minute is about."""
        out: dict[int, tuple[str, str | None]] = {}
        for i in range(0, len(pids), 500):
            chunk = [int(x) for x in pids[i : i + 500]]
            q = f"SELECT pid, doc_id, item FROM passages WHERE pid IN ({','.join('?' * len(chunk))})"
            out.update((int(r[0]), (r[1], r[2])) for r in self.con.execute(q, chunk))
        return out

    def pids_for_passage_ids(self, passage_ids: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in range(0, len(passage_ids), 500):
            chunk = list(passage_ids[i : i + 500])
            q = f"SELECT passage_id, pid FROM passages WHERE passage_id IN ({','.join('?' * len(chunk))})"
            out.update((r[0], int(r[1])) for r in self.con.execute(q, chunk))
        return out

    def passage_at(self, doc_id: str, seq: int) -> dict | None:
        """The passage at position ``seq`` of a document, with the same fields as passages_by_pid."""
        r = self.con.execute(
            f"SELECT p.*, {self.doc_cols} FROM passages p JOIN documents d USING(doc_id) WHERE p.doc_id=? AND p.seq=?",
            (doc_id, seq),
        ).fetchone()
        return dict(r) if r else None

    def vectors_for(self, model_id: str, keys: list[str], dim: int) -> np.ndarray:
        out = np.zeros((len(keys), dim), dtype=np.float32)
        pos: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            pos.setdefault(k, []).append(i)
        uniq = list(pos)
        for i in range(0, len(uniq), 500):
            chunk = uniq[i : i + 500]
            q = f"SELECT key, vec FROM embeddings WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            for k, blob in self.con.execute(q, [model_id, *chunk]):
                v = np.frombuffer(blob, dtype=np.float32)
                for j in pos[k]:
                    out[j] = v
        return out

    def glossary(self) -> dict[str, list[str]]:
        g: dict[str, set[str]] = {}
        for a, e in self.con.execute(
            "SELECT g.acronym, g.expansion FROM glossary g JOIN documents d USING(doc_id) WHERE d.status='active'"
        ):
            g.setdefault(a, set()).add(e)
        return {a: sorted(es) for a, es in g.items()}

    def context_window(self, doc_id: str, seq: int, before: int = 1, after: int = 1) -> list[dict]:
        return [
            dict(r)
            for r in self.con.execute(
                "SELECT passage_id, seq, text, page, page_end FROM passages WHERE doc_id=? AND seq BETWEEN ? AND ? ORDER BY seq",
                (doc_id, seq - before, seq + after),
            )
        ]

    def decisions(self) -> list[dict]:
        """The decision records of the active documents, with their documents' fields (storedb.DECISION_ROW_FIELDS)."""
        return sqlite_decisions(self.con)

    def meeting_papers(self, dates: list[str]) -> list[dict]:
        """(document, agenda item) of the active documents' passages about meetings on ``dates`` (storedb.PAPER_FIELDS)."""
        return sqlite_meeting_papers(self.con, dates)
