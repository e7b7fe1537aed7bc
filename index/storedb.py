"""The SQLite file of the passage store (index/store.py): its schema and fields, opening it (read-only too), and what
its errors mean."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from boardpapers.errors import BoardpapersError

# the library (index/library.py) and saved searches (index/saved.py): fields set by hand (JSON {field: value}, keyed
# by content hash so they outlive a re-parse and a --rebuild), the order documents first arrived in (``seq``: what a
# saved search has seen; filled by a trigger on every new document, and from the documents stored before), and the
# saved searches. Kept across `ingest --rebuild` (index/writer.py copies KEPT_TABLES).
LIBRARY_SCHEMA = """
CREATE TABLE IF NOT EXISTS doc_overrides(doc_id TEXT PRIMARY KEY, fields TEXT NOT NULL, set_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc_arrivals(seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT UNIQUE NOT NULL, added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS saved_searches(name TEXT PRIMARY KEY, query TEXT NOT NULL, filters TEXT NOT NULL,
  created_at TEXT NOT NULL, seen_seq INTEGER NOT NULL, seen_at TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS documents_arrival AFTER INSERT ON documents BEGIN
  INSERT OR IGNORE INTO doc_arrivals(doc_id, added_at) VALUES(NEW.doc_id, coalesce(NEW.ingested_at, ''));
END;
INSERT OR IGNORE INTO doc_arrivals(doc_id, added_at)
  SELECT doc_id, coalesce(ingested_at, '') FROM documents WHERE status='active' ORDER BY ingested_at, doc_id;
"""
KEPT_TABLES = ("doc_overrides", "doc_arrivals", "saved_searches")

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS documents(
  doc_id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  title TEXT, council TEXT, body TEXT, meeting_date TEXT, doc_type TEXT,
  pages INTEGER, sha256 TEXT NOT NULL, source_url TEXT, ingested_at TEXT,
  warnings TEXT NOT NULL DEFAULT '[]', encoding TEXT, size INTEGER, parser TEXT,
  status TEXT NOT NULL DEFAULT 'active', provenance TEXT
);
CREATE TABLE IF NOT EXISTS doc_paths(path TEXT PRIMARY KEY, doc_id TEXT NOT NULL, size INTEGER, mtime REAL, context TEXT);
CREATE TABLE IF NOT EXISTS passages(
  pid INTEGER PRIMARY KEY,
  passage_id TEXT UNIQUE NOT NULL,
  doc_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  text TEXT NOT NULL, context TEXT NOT NULL,
  page INTEGER, page_end INTEGER, printed_page TEXT,
  item TEXT, minute_number TEXT, meeting_date TEXT,
  is_decision INTEGER NOT NULL, char_start INTEGER, char_end INTEGER,
  section_kind TEXT, embed_key TEXT NOT NULL, ocr INTEGER NOT NULL DEFAULT 0, doc_type TEXT
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id);
CREATE TABLE IF NOT EXISTS embeddings(model TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL, PRIMARY KEY(model, key));
CREATE TABLE IF NOT EXISTS failures(path TEXT PRIMARY KEY, sha256 TEXT, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS glossary(acronym TEXT NOT NULL, expansion TEXT NOT NULL, doc_id TEXT NOT NULL,
  PRIMARY KEY(acronym, expansion, doc_id));
CREATE TABLE IF NOT EXISTS decisions(doc_id TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY(doc_id, seq));
"""
    + LIBRARY_SCHEMA
)


DOC_FIELDS = (
    "doc_id",
    "path",
    "title",
    "council",
    "body",
    "meeting_date",
    "doc_type",
    "pages",
    "sha256",
    "source_url",
    "ingested_at",
    "warnings",
    "encoding",
    "size",
    "parser",
    "status",
    "provenance",
)
PASSAGE_FIELDS = (
    "pid",
    "passage_id",
    "doc_id",
    "seq",
    "text",
    "context",
    "page",
    "page_end",
    "printed_page",
    "item",
    "minute_number",
    "meeting_date",
    "is_decision",
    "char_start",
    "char_end",
    "section_kind",
    "embed_key",
    "ocr",
    "doc_type",
)
BOOL_PASSAGE_FIELDS = ("is_decision", "ocr")  # 0/1 in SQLite, boolean in PostgreSQL
# columns added after a store was first made: (table, column, declaration); ``add_missing_columns`` adds them
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("passages", "ocr", "INTEGER NOT NULL DEFAULT 0"),  # the passage is on a page read by OCR
    ("documents", "provenance", "TEXT"),  # JSON: where each meeting field came from (ingest/context.py)
    ("doc_paths", "context", "TEXT"),  # JSON: this path's meeting context (one file in two meetings' folders)
    ("passages", "doc_type", "TEXT"),  # the passage's own document type (the section of a pack it sits in)
    # 0 while some of the document's texts have no vector yet (stored for keyword search first: index/semantic.py)
    ("documents", "embedded", "INTEGER NOT NULL DEFAULT 1"),
]
# what a column added to an existing store is filled with (the value it had before it was stored per row)
BACKFILL = {("passages", "doc_type"): "UPDATE passages SET doc_type=(SELECT d.doc_type FROM documents d WHERE d.doc_id=passages.doc_id)"}


# the decision register (index/decisions.py): each stored record (JSON, ingest/decisions.py) of an active document,
# with the document's fields; the same query on both stores (PostgreSQL's record is jsonb, read back as a dict)
DECISIONS_SQL = (
    "SELECT x.doc_id, x.seq, x.record, d.path, d.title, d.council, d.body, d.doc_type, d.source_url, d.meeting_date "
    "FROM decisions x JOIN documents d USING(doc_id) WHERE d.status='active' ORDER BY x.doc_id, x.seq"
)
DECISION_ROW_FIELDS = ("doc_id", "seq", "record", "path", "title", "council", "body", "doc_type", "source_url", "meeting_date")
# the papers of the meetings on some dates: (document, agenda item) of their passages, for a decision's reports; {dates}
# is the placeholder list of the store's parameter style
MEETING_PAPERS_SQL = (
    "SELECT DISTINCT p.doc_id, p.item, p.meeting_date, coalesce(p.doc_type, d.doc_type) AS doc_type, d.council, d.body, d.title, "
    "d.path FROM passages p JOIN documents d USING(doc_id) WHERE d.status='active' AND p.meeting_date IN ({dates})"
)
PAPER_FIELDS = ("doc_id", "item", "meeting_date", "doc_type", "council", "body", "title", "path")


def decision_rows(doc_id: str, decisions) -> list[tuple[str, int, str]]:
    """The ``decisions`` rows of a document's records (seq: the record's position in the document, as JSON)."""
    return [(doc_id, seq, json.dumps(rec)) for seq, rec in enumerate(decisions)]


def read_decision_rows(rows) -> list[dict]:
    """DECISIONS_SQL rows as dicts (DECISION_ROW_FIELDS) with each record read; a record that is not a JSON object is
    left out."""
    out = []
    for r in rows:
        d = dict(zip(DECISION_ROW_FIELDS, r))
        rec = d["record"]
        if isinstance(rec, (str, bytes)):
            try:
                rec = json.loads(rec)
            except ValueError:
                continue
        if isinstance(rec, dict):
            out.append(d | {"record": rec})
    return out


def sqlite_decisions(con: sqlite3.Connection) -> list[dict]:
    """The store's decision records (read_decision_rows); none from a store made before decisions were recorded,
    opened read-only (it has no such table)."""
    try:
        return read_decision_rows(con.execute(DECISIONS_SQL))
    except sqlite3.OperationalError:
        return []


def sqlite_meeting_papers(con: sqlite3.Connection, dates: list[str]) -> list[dict]:
    """MEETING_PAPERS_SQL's rows as dicts (PAPER_FIELDS) for meetings on ``dates``."""
    out: list[dict] = []
    for i in range(0, len(dates), 500):
        chunk = list(dates[i : i + 500])
        try:
            rows = con.execute(MEETING_PAPERS_SQL.format(dates=",".join("?" * len(chunk))), chunk).fetchall()
        except sqlite3.OperationalError:  # a store made before passages had their own type, opened read-only
            return []
        out += [dict(zip(PAPER_FIELDS, r)) for r in rows]
    return out


def add_missing_columns(con: sqlite3.Connection) -> None:
    """Give a store made by an earlier version the columns added since (``ADDED_COLUMNS``; their defaults fill them)."""
    for table, column, decl in ADDED_COLUMNS:
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            if (table, column) in BACKFILL:
                con.execute(BACKFILL[(table, column)])


def document_columns(con: sqlite3.Connection) -> str:
    """The documents' columns a passage row is read with (after ``p.*``): its own doc_type and the document's
    provenance where the store has them (a store made before, opened read-only, takes the document's type)."""
    have_p = {r[1] for r in con.execute("PRAGMA table_info(passages)")}
    have_d = {r[1] for r in con.execute("PRAGMA table_info(documents)")}
    cols = "d.council, d.body, d.path, d.title, d.source_url, d.meeting_date AS doc_meeting_date"
    cols += "" if "doc_type" in have_p else ", d.doc_type"
    return cols + (", d.provenance" if "provenance" in have_d else "")


def group_path_contexts(rows, every: bool = False) -> dict[str, list[tuple[str, dict]]]:
    """(doc_id, path, context JSON) rows as doc_id -> [(path, context)], for documents at more than one path unless
    ``every`` (both stores read doc_paths this way)."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for doc_id, path, ctx in rows:
        try:
            c = json.loads(ctx) if ctx else {}
        except ValueError:
            c = {}
        out.setdefault(doc_id, []).append((path, c if isinstance(c, dict) else {}))
    return out if every else {k: v for k, v in out.items() if len(v) > 1}


def with_path_contexts(docs: list[dict], contexts: dict) -> list[dict]:
    """The documents of a listing, each with ``path_contexts`` ({path: its meeting context}) and ``sources`` (its
    ``provenance`` record read: {field: source})."""
    for d in docs:
        d["path_contexts"] = {p: c for p, c in contexts.get(d["doc_id"], [])}
        try:
            prov = json.loads(d.get("provenance") or "null")
        except ValueError:
            prov = None
        d["sources"] = {k: v for k, v in (prov if isinstance(prov, dict) else {}).items() if isinstance(v, str)}
    return docs


class StoreError(BoardpapersError):
    """The store cannot be used; the message says why and what to do."""


REBUILD_HINT = "rebuild it with `boardpapers ingest --rebuild PATH...`"
# SQLite errors that say the disk or the directory refuses writes, not that the file is damaged
_WRITE_REFUSED = ("disk is full", "readonly", "read-only", "unable to open", "disk i/o error", "locking protocol")


def sqlite_message(path: Path, exc: BaseException, readonly: bool = False) -> str:
    """One line for an SQLite error on the store at ``path``: what is wrong and what to do."""
    msg = " ".join(str(exc).split()) or type(exc).__name__
    if readonly and "unable to open" in msg.lower():
        return f"cannot open the passage store {path} ({msg}): check that it exists and is readable, or {REBUILD_HINT}"
    if any(k in msg.lower() for k in _WRITE_REFUSED):
        return (
            f"cannot write the passage store {path} ({msg}): free some disk space or make the index folder writable, "
            "then run the ingest again; the previous index is unchanged"
        )
    return f"the passage store {path} is damaged ({msg}); {REBUILD_HINT}"


def _open(path: Path, readonly: bool, immutable: bool = False) -> sqlite3.Connection:
    if readonly:
        uri = f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")
        con = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    else:
        con = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
    con.row_factory = sqlite3.Row
    try:
        if not readonly:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA busy_timeout=30000")
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        con.close()
        raise
    return con


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly and not path.exists():
        raise StoreError(f"no passage store at {path}")
    try:
        try:
            return _open(path, readonly)
        except sqlite3.OperationalError as exc:
            # A WAL store on a read-only folder or disk (a shared index): SQLite cannot create the -shm file a
            # reader needs. Nothing can write there either, so reading it as an immutable file is exact.
            wal = path.with_name(path.name + "-wal")
            if readonly and "unable to open" in str(exc) and not os.access(path.parent, os.W_OK) and not wal.exists():
                return _open(path, readonly, immutable=True)
            raise
    except sqlite3.Error as exc:
        raise StoreError(sqlite_message(path, exc, readonly)) from None
