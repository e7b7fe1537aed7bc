"""The library's writes on each backend (index/library.py says what they mean): correct a document's metadata by
hand, remove a document. The embedded backend works under the index lock (one writer, as an ingest) and switches to
a new generation built from the stored vectors; PostgreSQL does each in one transaction, as an ingest worker does."""

from __future__ import annotations

from pathlib import Path

from .library import LibraryError, Removed, corrected, delete_files, forget
from .meetings import refresh_pg, refresh_sqlite


def _doc(store_docs: list[dict], doc_id: str) -> dict:
    for d in store_docs:
        if d["doc_id"] == doc_id:
            return d
    raise LibraryError(f"document {doc_id} is no longer in the index")


# ------------------------------------------------------------------ embedded


def _switch(store) -> None:
    """A new generation from the store (no encoding: every vector is in the embedding cache), then the old rows go."""
    from .build import build_generation
    from .writer import stored_dim

    model_id = store.get_meta("model")
    dim = stored_dim(store, model_id) if model_id else None
    if model_id and dim:
        build_generation(store, model_id, dim)
    store.collect_garbage()


def edit_embedded(index_dir: Path, doc_id: str, changes: dict) -> dict:
    """Set fields by hand on a document of the index at ``index_dir``; returns the document as now stored."""
    from .lock import IndexLock
    from .store import Store

    with IndexLock(index_dir):
        store = Store(index_dir)
        try:
            with store.con:
                paths = corrected(store.con, doc_id, changes)
            refresh_sqlite(store, paths, bump=True)
            _switch(store)
            return _doc(store.documents(), doc_id)
        finally:
            store.close()


def remove_embedded(index_dir: Path, doc_id: str, corpus_dir: Path | None = None) -> Removed:
    """Remove a document from the index at ``index_dir`` (and, given ``corpus_dir``, its files inside that folder)."""
    from .lock import IndexLock
    from .store import Store

    with IndexLock(index_dir):
        store = Store(index_dir)
        try:
            doc = _doc(store.documents(), doc_id)
            paths = list(doc.get("paths") or [doc["path"]])
            with store.con:
                store.con.execute("UPDATE documents SET status='superseded' WHERE doc_id=?", (doc_id,))
                store.con.execute("DELETE FROM doc_paths WHERE doc_id=?", (doc_id,))
                forget(store.con, doc_id, paths)
                store.bump_version()
            refresh_sqlite(store, paths, bump=False)  # its meeting folder's other papers lose what it told them
            _switch(store)
        finally:
            store.close()
    deleted = delete_files(paths, corpus_dir) if corpus_dir is not None else []
    return Removed(doc_id, doc.get("title"), paths, deleted)


# ------------------------------------------------------------------ PostgreSQL


def edit_pg(pg, doc_id: str, changes: dict) -> dict:
    """Set fields by hand on a document of the PostgreSQL store ``pg`` (a PgStore); returns the document as now stored."""
    with pg.conn() as con, con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (doc_id,))  # not while a worker writes it
        paths = corrected(con, doc_id, changes, ph="%s")
    refresh_pg(pg, paths)
    return _doc(pg.documents(), doc_id)


def remove_pg(pg, doc_id: str, corpus_dir: Path | None = None) -> Removed:
    """Remove a document from the PostgreSQL store: passages, postings, BM25 statistics, glossary, decisions, paths, and
    its ingest jobs (so that ingesting its file again stores it again), in one transaction."""
    from .pgdocs import apply_stats, remove_replaced

    with pg.conn() as con, con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (doc_id,))
        row = con.execute("SELECT path, title FROM documents WHERE doc_id=%s", (doc_id,)).fetchone()
        if row is None:
            raise LibraryError(f"document {doc_id} is no longer in the index")
        paths = [p for (p,) in con.execute("SELECT path FROM doc_paths WHERE doc_id=%s ORDER BY path", (doc_id,))] or [row[0]]
        delta, n, dl = remove_replaced(con, {"doc_id": doc_id, "path": paths[0]})
        con.execute("DELETE FROM documents WHERE doc_id=%s", (doc_id,))  # its paths go with it (ON DELETE CASCADE)
        con.execute("DELETE FROM ingest_jobs WHERE sha256=%s OR path = ANY(%s)", (doc_id, paths))
        forget(con, doc_id, paths, ph="%s")
        apply_stats(con, delta, n, dl)  # bumps the store's version: readers see the change
    refresh_pg(pg, paths)
    deleted = delete_files(paths, corpus_dir) if corpus_dir is not None else []
    return Removed(doc_id, row[1], paths, deleted)
