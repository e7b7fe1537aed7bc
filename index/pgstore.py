"""The PostgreSQL + pgvector store: the shared, transactional backend for many app instances and ingest workers.

Selected by ``--store postgresql://...`` or ``$BOARDPAPERS_STORE``. It holds what the embedded backend keeps
in ``store.sqlite`` plus what an embedded index generation keeps in files; its tables, and how the schema is
created and migrated, are described in index/pgschema.py. A document is written by index/pgdocs.py, inside the
caller's transaction.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from contextlib import contextmanager

import numpy as np

from boardpapers.settings import settings

from .pgdocs import (
    apply_stats,
    insert_decisions,
    insert_embeddings,
    insert_glossary,
    insert_passages,
    passage_rows,
    remove_replaced,
    stored_document,
    upsert_document,
)
from .pgschema import LOCK_KEY, SCHEMA_VERSION, PgStoreError, check_and_migrate
from .store import DOC_FIELDS
from .storedb import DECISIONS_SQL, MEETING_PAPERS_SQL, PAPER_FIELDS, group_path_contexts, read_decision_rows, with_path_contexts

_ROW_SQL = (
    "SELECT p.pid, p.passage_id, p.doc_id, p.seq, p.text, p.context, p.page, p.page_end, p.printed_page, p.item, "
    "p.minute_number, p.meeting_date, p.is_decision::int AS is_decision, p.char_start, p.char_end, p.section_kind, p.embed_key, p.ocr::int AS ocr, "
    "p.doc_type, d.council, d.body, d.path, d.title, d.source_url, d.meeting_date AS doc_meeting_date, d.provenance "
    "FROM passages p JOIN documents d USING(doc_id)"
)


def is_pg_url(location: str | os.PathLike | None) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        d = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as the scheme only
        return "postgresql://…"
    host = d.get("host") or "localhost"
    user = f"{d['user']}@" if d.get("user") else ""
    return f"postgresql://{user}{host}:{d.get('port') or 5432}/{d.get('dbname') or ''}"


def _import_psycopg():
    try:
        import pgvector.psycopg  # noqa: F401
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        raise PgStoreError("the PostgreSQL backend needs psycopg, psycopg-pool and pgvector: pip install -e '.[pg]'") from None


class PgStore:
    """Pooled connections to one boardpapers database, with its schema checked and migrated."""

    def __init__(self, url: str, pool_size: int | None = None, statement_timeout_ms: int | None = None, migrate: bool = True):
        _import_psycopg()
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url
        self.where = redact(url)
        self.statement_timeout_ms = settings().pg_statement_timeout_ms if statement_timeout_ms is None else statement_timeout_ms
        try:
            with psycopg.connect(url, connect_timeout=10, autocommit=True) as con:
                check_and_migrate(con, self.where, migrate)
                self.schema_version = SCHEMA_VERSION
        except psycopg.OperationalError as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PgStoreError(f"cannot reach the PostgreSQL server at {self.where}: {msg}") from None
        self._vector_ok = True
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size or settings().pg_pool,
            open=True,
            timeout=30,
            kwargs={"connect_timeout": 10, "options": f"-c statement_timeout={int(self.statement_timeout_ms)}"},
            configure=self._configure,
            name="boardpapers",
        )
        self._avg_idf_cache: tuple[int, float] | None = None

    @staticmethod
    def _configure(con) -> None:
        from pgvector.psycopg import register_vector

        register_vector(con)
        con.autocommit = True

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def conn(self):
        """A pooled connection; a timeout or a lost server becomes a PgStoreError that says so."""
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection() as con:
                yield con
        except psycopg.errors.QueryCanceled:
            raise PgStoreError(
                f"a query on {self.where} took longer than the statement timeout ({self.statement_timeout_ms / 1000:g} s); "
                "try a more specific query, or raise BOARDPAPERS_PG_STATEMENT_TIMEOUT_MS"
            ) from None
        except (psycopg.OperationalError, PoolTimeout) as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PgStoreError(f"lost the connection to the PostgreSQL server at {self.where}: {msg}") from None

    # ------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        with self.conn() as con:
            r = con.execute("SELECT value FROM bp_meta WHERE key=%s", (key,)).fetchone()
        return r[0] if r else None

    def bind_model(self, model_id: str, dim: int) -> None:
        """Record the embedding model; the first time, give the vector column its dimension and build its HNSW index."""
        with self.conn() as con, con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            rows = dict(con.execute("SELECT key, value FROM bp_meta WHERE key IN ('model', 'dim')").fetchall())
            if rows.get("model"):
                if rows["model"] != model_id:
                    raise PgStoreError(
                        f"the store at {self.where} holds embeddings from model {rows['model']!r}, not {model_id!r}; "
                        "use a new database for another model"
                    )
                return
            con.execute(f"ALTER TABLE passages ALTER COLUMN embedding TYPE vector({int(dim)})")
            con.execute("CREATE INDEX IF NOT EXISTS passages_embedding_hnsw ON passages USING hnsw (embedding vector_ip_ops)")
            con.execute("INSERT INTO bp_meta VALUES('model', %s), ('dim', %s)", (model_id, str(int(dim))))

    def model(self) -> tuple[str | None, int | None]:
        with self.conn() as con:
            rows = dict(con.execute("SELECT key, value FROM bp_meta WHERE key IN ('model', 'dim')").fetchall())
        return rows.get("model"), int(rows["dim"]) if rows.get("dim") else None

    # ------------------------------------------------------------ reading (same shapes as index/store.py)
    def stats(self, con=None) -> dict:
        def q(c):
            n, s, v, at = c.execute("SELECT n_docs, sum_dl, version, updated_at FROM bm25_stats WHERE id=1").fetchone()
            return {"n_docs": int(n), "sum_dl": int(s), "version": int(v), "updated_at": at}

        if con is not None:
            return q(con)
        with self.conn() as c:
            return q(c)

    def version(self) -> int:
        return self.stats()["version"]

    def documents(self, include_superseded: bool = False) -> list[dict]:
        with self.conn() as con:
            cur = con.cursor(row_factory=_dict_row())
            docs = cur.execute(f"SELECT {', '.join(DOC_FIELDS)} FROM documents ORDER BY meeting_date NULLS FIRST, path").fetchall()
            paths: dict[str, list[str]] = {}
            for p, d in con.execute("SELECT path, doc_id FROM doc_paths ORDER BY path"):
                paths.setdefault(d, []).append(p)
        for d in docs:
            d["warnings"] = json.loads(d["warnings"] or "[]")
            d["paths"] = paths.get(d["doc_id"], [])
        return with_path_contexts(docs, self.path_contexts([d["doc_id"] for d in docs], every=True))

    def path_contexts(self, doc_ids: list[str], every: bool = False) -> dict[str, list[tuple[str, dict]]]:
        """doc_id -> [(path, that path's meeting context)] for documents at more than one path (``every``: all)."""
        with self.conn() as con:
            rows = con.execute("SELECT doc_id, path, context FROM doc_paths WHERE doc_id = ANY(%s) ORDER BY path", (list(doc_ids),))
            return group_path_contexts(rows.fetchall(), every)

    def failures(self) -> list[dict]:
        with self.conn() as con:
            return con.cursor(row_factory=_dict_row()).execute("SELECT path, sha256, reason, at FROM failures ORDER BY path").fetchall()

    def passages_by_pid(self, pids: list[int]) -> dict[int, dict]:
        if not len(pids):
            return {}
        with self.conn() as con:
            rows = con.cursor(row_factory=_dict_row()).execute(_ROW_SQL + " WHERE p.pid = ANY(%s)", ([int(x) for x in pids],)).fetchall()
        return {r["pid"]: r for r in rows}

    def item_keys(self, pids: list[int]) -> dict[int, tuple[str, str | None]]:
        """(doc_id, agenda item) of each passage: the unit a report or minute is about."""
        if not len(pids):
            return {}
        with self.conn() as con:
            rows = con.execute("SELECT pid, doc_id, item FROM passages WHERE pid = ANY(%s)", ([int(x) for x in pids],)).fetchall()
        return {int(r[0]): (r[1], r[2]) for r in rows}

    def passage_at(self, doc_id: str, seq: int) -> dict | None:
        with self.conn() as con:
            return con.cursor(row_factory=_dict_row()).execute(_ROW_SQL + " WHERE p.doc_id=%s AND p.seq=%s", (doc_id, seq)).fetchone()

    def context_window(self, doc_id: str, seq: int, before: int = 1, after: int = 1) -> list[dict]:
        with self.conn() as con:
            return (
                con.cursor(row_factory=_dict_row())
                .execute(
                    "SELECT passage_id, seq, text, page, page_end FROM passages WHERE doc_id=%s AND seq BETWEEN %s AND %s ORDER BY seq",
                    (doc_id, seq - before, seq + after),
                )
                .fetchall()
            )

    def glossary(self) -> dict[str, list[str]]:
        g: dict[str, set[str]] = {}
        with self.conn() as con:
            for a, e in con.execute("SELECT acronym, expansion FROM glossary"):
                g.setdefault(a, set()).add(e)
        return {a: sorted(es) for a, es in g.items()}

    def decisions(self) -> list[dict]:
        """The decision records of the documents, with their documents' fields (storedb.DECISION_ROW_FIELDS)."""
        with self.conn() as con:
            return read_decision_rows(con.execute(DECISIONS_SQL).fetchall())

    def meeting_papers(self, dates: list[str]) -> list[dict]:
        """(document, agenda item) of the documents' passages about meetings on ``dates`` (storedb.PAPER_FIELDS)."""
        with self.conn() as con:
            rows = con.execute(MEETING_PAPERS_SQL.format(dates="SELECT unnest(%s::text[])"), (list(dates),)).fetchall()
        return [dict(zip(PAPER_FIELDS, r)) for r in rows]

    def facets(self) -> dict[str, list[str]]:
        out = {}
        with self.conn() as con:
            for f in ("council", "body", "doc_type"):
                # document types are the passages' own (a pack's minutes, reports and appendices)
                table = "passages" if f == "doc_type" else "documents"
                out[f] = [r[0] or "" for r in con.execute(f"SELECT DISTINCT coalesce({f}, '') FROM {table} ORDER BY 1")]
        return out

    def known_embeddings(self, model_id: str, keys: list[str], con=None) -> set[str]:
        def q(c):
            return {r[0] for r in c.execute("SELECT key FROM embeddings WHERE model=%s AND key = ANY(%s)", (model_id, list(keys)))}

        if con is not None:
            return q(con)
        with self.conn() as c:
            return q(c)

    def vectors_for(self, model_id: str, keys: list[str], dim: int, con=None) -> np.ndarray:
        out = np.zeros((len(keys), dim), dtype=np.float32)
        pos: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            pos.setdefault(k, []).append(i)

        def q(c):
            for k, v in c.execute("SELECT key, vec FROM embeddings WHERE model=%s AND key = ANY(%s)", (model_id, list(pos))):
                for j in pos[k]:
                    out[j] = as_array(v)

        if con is not None:
            q(con)
        else:
            with self.conn() as c:
                q(c)
        return out

    # ------------------------------------------------------------ writing (one transaction per document)
    def write_document(
        self,
        con,
        doc: dict,
        passages: list[dict],
        embed_keys: list[str],
        vectors: np.ndarray,
        new_embeddings: dict[str, np.ndarray],
        model_id: str,
        glossary: Iterable[tuple[str, str]] = (),
        size: int = 0,
        mtime: float = 0.0,
        pids: list[int] | None = None,
        decisions: Iterable[dict] = (),
    ) -> None:
        """Store one document with its passages, vectors, BM25 statistics and postings, glossary and decision records,
        inside the caller's transaction.

        ``passages`` are dicts with the fields of ingest.model.Passage; ``vectors`` is row-aligned with them.
        A document already stored under the same id is replaced (its statistics taken out first); a path that
        pointed at another document moves here, and that document goes when no path points at it any more.
        """
        doc = stored_document(doc)
        delta, n_delta, dl_delta = remove_replaced(con, doc)
        upsert_document(con, doc)
        rows, n_new, dl_new = passage_rows(doc, passages, embed_keys, vectors, delta)
        insert_passages(con, doc["doc_id"], rows, pids)
        insert_embeddings(con, model_id, new_embeddings)
        insert_glossary(con, doc["doc_id"], glossary)
        insert_decisions(con, doc["doc_id"], decisions)
        self.add_path(con, doc["path"], doc["doc_id"], size, mtime, doc.get("path_context"))
        apply_stats(con, delta, n_delta + n_new, dl_delta + dl_new)

    def add_path(self, con, path: str, doc_id: str, size: int, mtime: float, context: str | None = None) -> None:
        con.execute(
            "INSERT INTO doc_paths(path, doc_id, size, mtime, context) VALUES(%s, %s, %s, %s, %s) "
            "ON CONFLICT(path) DO UPDATE SET doc_id=excluded.doc_id, size=excluded.size, mtime=excluded.mtime, "
            "context=coalesce(excluded.context, doc_paths.context)",
            (path, doc_id, size, mtime, context),
        )
        con.execute("DELETE FROM failures WHERE path=%s", (path,))

    def record_failure(self, con, path: str, sha256: str | None, reason: str) -> None:
        con.execute(
            "INSERT INTO failures(path, sha256, reason, at) VALUES(%s, %s, %s, %s) "
            "ON CONFLICT(path) DO UPDATE SET sha256=excluded.sha256, reason=excluded.reason, at=excluded.at",
            (path, sha256, reason, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
        )

    # ------------------------------------------------------------ BM25 statistics
    def average_idf(self, con, n_docs: int, version: int) -> float:
        """rank_bm25's mean raw idf over the vocabulary (only needed when a query term has a negative idf)."""
        if self._avg_idf_cache and self._avg_idf_cache[0] == version:
            return self._avg_idf_cache[1]
        df = np.array([r[0] for r in con.execute("SELECT df FROM bm25_terms WHERE df > 0")], dtype=np.float64)
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        avg = float(idf.sum() / len(idf)) if len(idf) else 0.0
        self._avg_idf_cache = (version, avg)
        return avg


def as_array(v) -> np.ndarray:
    """A pgvector value (pgvector.Vector or list) as a float32 array."""
    return np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v, dtype=np.float32)


def _dict_row():
    from psycopg.rows import dict_row

    return dict_row
