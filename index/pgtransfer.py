"""Move an index between the embedded backend (SQLite + generation files) and PostgreSQL, both ways, without re-embedding.

``import_store(DIR, URL)``: the live generation of an embedded index (its passages in generation order, with the
same pids, its vectors, the documents, paths, glossary, decision records, failures, fields set by hand, saved searches
and the whole embeddings cache) into an empty
PostgreSQL store, in ONE transaction (all or nothing), with the BM25 statistics and postings computed from the same tokens.

``export_store(URL, DIR)``: a PostgreSQL store into a new embedded index directory: the SQLite store (same pids,
the passages' vectors and the embeddings cache) and then a generation built from it by index.build.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from boardpapers.ingest.dates import date_int

from .build import window_keys
from .generation import STORE_FILE
from .pgdocs import bm25_terms_of
from .pgschema import postings_sql
from .pgstore import PgStore, PgStoreError, as_array
from .store import DOC_FIELDS, PASSAGE_FIELDS, Store
from .storedb import BOOL_PASSAGE_FIELDS, KEPT_TABLES, sqlite_decisions

BATCH = 2000
_PG_TYPES = {
    "pid": "int8",
    "seq": "int4",
    "page": "int4",
    "page_end": "int4",
    "is_decision": "bool",
    "ocr": "bool",
    "char_start": "int4",
    "char_end": "int4",
    "date_int": "int4",
    "terms": "text[]",
    "tfs": "int4[]",
    "dl": "int4",
    "embedding": "vector",
    "window_keys": "text[]",
}
Progress = Callable[[str], None]


def import_store(index_dir: Path, url: str, progress: Progress | None = None, store: PgStore | None = None) -> dict:
    """Copy the embedded index at ``index_dir`` into the (empty) PostgreSQL store at ``url``."""
    from .embedded import Index

    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    idx = Index(Path(index_dir))
    pg = store or PgStore(url)
    try:
        with pg.conn() as con:
            n = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        if n:
            raise PgStoreError(f"the store at {pg.where} already holds {n} documents; import-store fills an empty database")
        dim = int(idx.manifest["dim"])
        pg.bind_model(idx.model_id, dim)
        sq = idx.store.con
        docs = {d["doc_id"]: d for d in idx.store.documents()}
        with pg.conn() as con, con.transaction():
            con.execute("SET LOCAL statement_timeout = 0")
            con.execute(
                "SELECT set_config('maintenance_work_mem', '256MB', true) "  # at least 256MB; a server's larger value stays
                "WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('256MB')"
            )
            con.execute("DROP INDEX IF EXISTS passages_embedding_hnsw")  # built once at the end: much faster than row by row
            cur = con.cursor()
            _copy_documents(cur, sq, docs)
            df, sum_dl, n_pass = _copy_passages(cur, idx, docs, say)
            say("writing the BM25 postings…")
            con.execute(postings_sql())
            _copy_the_rest(cur, sq, docs)
            with cur.copy("COPY bm25_terms(term, df) FROM STDIN") as cp:
                for t in sorted(df):
                    cp.write_row((t, df[t]))
            con.execute("UPDATE bm25_stats SET n_docs=%s, sum_dl=%s, version=version+1, updated_at=now() WHERE id=1", (n_pass, sum_dl))
            con.execute("SELECT setval(pg_get_serial_sequence('passages', 'pid'), greatest((SELECT max(pid) FROM passages), 1))")
            say("building the HNSW index…")
            con.execute("CREATE INDEX passages_embedding_hnsw ON passages USING hnsw (embedding vector_ip_ops)")
        with pg.conn() as con:
            con.execute("ANALYZE")
    finally:
        idx.store.close()
        if store is None:
            pg.close()
    return {"documents": len(docs), "passages": n_pass, "terms": len(df), "seconds": round(time.perf_counter() - t0, 2)}


def _copy_documents(cur, sq, docs: dict[str, dict]) -> None:
    """The documents, and the paths that point at them."""
    with cur.copy(f"COPY documents({', '.join(DOC_FIELDS)}) FROM STDIN") as cp:
        for d in docs.values():
            cp.write_row([json.dumps(d[f]) if f == "warnings" else d[f] for f in DOC_FIELDS])
    with cur.copy("COPY doc_paths(path, doc_id, size, mtime, context) FROM STDIN") as cp:
        for r in sq.execute("SELECT path, doc_id, size, mtime, context FROM doc_paths"):
            if r[1] in docs:
                cp.write_row(tuple(r))


def _copy_passages(cur, idx, docs: dict[str, dict], say: Progress) -> tuple[Counter, int, int]:
    """The live generation's passages in generation order, with their pids, BM25 terms and vectors; returns (document
    frequency of each term, total length, passages)."""
    df: Counter = Counter()
    sum_dl = 0
    n_pass = 0
    cols = [*PASSAGE_FIELDS, "council", "body", "date_int", "terms", "tfs", "dl", "embedding", "window_keys"]
    with cur.copy(f"COPY passages({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as cp:
        cp.set_types([_PG_TYPES.get(c, "text") for c in cols])  # binary: vectors travel as float32, not as text
        for start in range(0, len(idx), BATCH):
            rows = list(range(start, min(len(idx), start + BATCH)))
            pids = idx.pid_of(rows)
            got = idx.store.passages_by_pid(pids)
            vecs = idx.vectors_at(rows)
            for pid, v in zip(pids, vecs):
                r = got.get(pid)
                if r is None or r["doc_id"] not in docs:
                    continue
                terms, tfs, dl = bm25_terms_of(r)
                df.update(terms)
                sum_dl += dl
                n_pass += 1
                cp.write_row(
                    [
                        *(bool(r.get(f)) if f in BOOL_PASSAGE_FIELDS else r[f] for f in PASSAGE_FIELDS),
                        r["council"],
                        r["body"],
                        date_int(r["meeting_date"]),
                        terms,
                        tfs,
                        dl,
                        v,
                        window_keys(r),
                    ]
                )
            say(f"passages: {n_pass}/{len(idx)}")
    return df, sum_dl, n_pass


def _copy_the_rest(cur, sq, docs: dict[str, dict]) -> None:
    """The whole embeddings cache, the glossary and decision records of the documents, and the failures."""
    with cur.copy("COPY embeddings(model, key, vec) FROM STDIN (FORMAT BINARY)") as cp:
        cp.set_types(["text", "text", "vector"])
        for model, key, blob in sq.execute("SELECT model, key, vec FROM embeddings"):
            cp.write_row((model, key, np.frombuffer(blob, dtype=np.float32)))
    with cur.copy("COPY glossary(acronym, expansion, doc_id) FROM STDIN") as cp:
        for r in sq.execute("SELECT acronym, expansion, doc_id FROM glossary"):
            if r[2] in docs:
                cp.write_row(tuple(r))
    with cur.copy("COPY decisions(doc_id, seq, record) FROM STDIN") as cp:
        for r in sqlite_decisions(sq):  # none from a store made before decisions were recorded
            if r["doc_id"] in docs:
                cp.write_row((r["doc_id"], r["seq"], json.dumps(r["record"])))
    with cur.copy("COPY failures(path, sha256, reason, at) FROM STDIN") as cp:
        for r in sq.execute("SELECT path, sha256, reason, at FROM failures"):
            cp.write_row(tuple(r))
    _copy_library(cur, sq, docs)


def _copy_library(cur, sq, docs: dict[str, dict]) -> None:
    """Fields set by hand, arrivals (with their numbers: what each saved search has seen) and saved searches
    (index/storedb.py LIBRARY_SCHEMA); none from a store made before them, opened read-only."""
    try:
        tables = {t: sq.execute(f"SELECT * FROM {t}").fetchall() for t in KEPT_TABLES}
    except sqlite3.OperationalError:
        return
    cur.execute("DELETE FROM doc_arrivals")  # the trigger's, numbered afresh as the documents were copied
    for t, rows in tables.items():
        keep = [tuple(r) for r in rows if t == "saved_searches" or (r[1] if t == "doc_arrivals" else r[0]) in docs]
        if keep:
            cur.executemany(f"INSERT INTO {t} VALUES({', '.join(['%s'] * len(keep[0]))})", keep)
    cur.execute("SELECT setval(pg_get_serial_sequence('doc_arrivals', 'seq'), greatest((SELECT max(seq) FROM doc_arrivals), 1))")


def export_store(url: str, index_dir: Path, progress: Progress | None = None, store: PgStore | None = None) -> dict:
    """Write the PostgreSQL store at ``url`` as a new embedded index at ``index_dir`` (which must not hold one)."""
    from .build import build_generation

    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    if (index_dir / STORE_FILE).exists():
        raise PgStoreError(f"{index_dir} already holds an index; export-store writes a new one (choose an empty folder)")
    pg = store or PgStore(url)
    try:
        model, dim = pg.model()
        if not model or dim is None:
            raise PgStoreError(f"the store at {pg.where} is empty: nothing to export")
        st = Store(index_dir)
        sq = st.con
        with pg.conn() as con, con.transaction(), sq:  # one snapshot of PostgreSQL, one SQLite transaction
            con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            con.execute("SET LOCAL statement_timeout = 0")
            cur = con.cursor()
            docs = cur.execute(f"SELECT {', '.join(DOC_FIELDS)} FROM documents").fetchall()
            sq.executemany(f"INSERT INTO documents({', '.join(DOC_FIELDS)}) VALUES({', '.join('?' * len(DOC_FIELDS))})", docs)
            sq.executemany(
                "INSERT INTO doc_paths(path, doc_id, size, mtime, context) VALUES(?,?,?,?,?)",
                cur.execute("SELECT path, doc_id, size, mtime, context FROM doc_paths").fetchall(),
            )
            n_pass = _export_passages(con, sq, model, say)
            with con.cursor(name="bp_export_emb") as ec:
                ec.itersize = BATCH
                ec.execute("SELECT model, key, vec FROM embeddings")
                sq.executemany(
                    "INSERT OR IGNORE INTO embeddings(model, key, vec) VALUES(?,?,?)", ((m, k, as_array(v).tobytes()) for m, k, v in ec)
                )
            sq.executemany(
                "INSERT INTO glossary(acronym, expansion, doc_id) VALUES(?,?,?)",
                cur.execute("SELECT acronym, expansion, doc_id FROM glossary").fetchall(),
            )
            sq.executemany(
                "INSERT INTO decisions(doc_id, seq, record) VALUES(?,?,?)",
                cur.execute("SELECT doc_id, seq, record::text FROM decisions").fetchall(),
            )
            sq.executemany(
                "INSERT INTO failures(path, sha256, reason, at) VALUES(?,?,?,?)",
                cur.execute("SELECT path, sha256, reason, at FROM failures").fetchall(),
            )
            sq.execute("DELETE FROM doc_arrivals")  # the trigger's: the store's own numbers follow
            for t in KEPT_TABLES:
                rows = cur.execute(f"SELECT * FROM {t}").fetchall()
                if rows:
                    sq.executemany(f"INSERT INTO {t} VALUES({', '.join('?' * len(rows[0]))})", rows)
            st.set_meta("model", model)
            st.bump_version()
        say("building the index generation…")
        gen = build_generation(st, model, int(dim))
        st.close()
    finally:
        if store is None:
            pg.close()
    return {"documents": len(docs), "passages": n_pass, "generation": gen.name, "seconds": round(time.perf_counter() - t0, 2)}


def _export_passages(con, sq, model: str, say: Progress) -> int:
    """Copy every passage (with its vector) in batches through a server-side cursor, so any size fits."""
    n_pass = 0
    sel = ", ".join(f"{f}::int" if f in BOOL_PASSAGE_FIELDS else f for f in PASSAGE_FIELDS)
    with con.cursor(name="bp_export") as pc:
        pc.itersize = BATCH
        pc.execute(f"SELECT {sel}, embedding FROM passages ORDER BY pid")
        batch = []
        for r in pc:
            batch.append(r)
            if len(batch) >= BATCH:
                n_pass += _export_batch(sq, batch, model)
                batch = []
                say(f"passages: {n_pass}")
        n_pass += _export_batch(sq, batch, model)
    return n_pass


def _export_batch(sq, batch: list, model: str) -> int:
    n = len(PASSAGE_FIELDS)
    sq.executemany(f"INSERT INTO passages({', '.join(PASSAGE_FIELDS)}) VALUES({', '.join('?' * n)})", [r[:n] for r in batch])
    sq.executemany(
        "INSERT OR IGNORE INTO embeddings(model, key, vec) VALUES(?,?,?)",
        [(model, r[PASSAGE_FIELDS.index("embed_key")], as_array(r[n]).tobytes()) for r in batch if r[n] is not None],
    )
    return len(batch)
