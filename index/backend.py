"""One backend object per index location; the command line and the app never ask which kind it is.

``open_backend(location)`` gives:

- ``EmbeddedBackend`` for an index directory: SQLite passage store + generation files (BM25 matrices, vectors,
  filter arrays); one machine.
- ``PgBackend`` for ``postgresql://...``: PostgreSQL + pgvector; many app instances and ingest workers share one
  transactional store (docs/DEPLOY.md).

Both have the same write side (``ingest``, ``import_index`` / ``export_index``), ``version()`` (a key that
changes when new papers become visible), ``describe()`` and ``close()``, and the same read side: ``open()``
returns a ``SearchIndex`` (``index.embedded.Index`` or ``index.pgindex.PgIndex``), which is what ranking, answers,
trace, export and eval use. A "row" is opaque to callers: a generation position in the embedded backend, a pid in
PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from boardpapers.errors import BoardpapersError

from .pgstore import is_pg_url

if TYPE_CHECKING:
    from boardpapers.index.library import Removed
    from boardpapers.index.pgstore import PgStore
    from boardpapers.index.saved import SavedSearches
    from boardpapers.index.writer import IngestReport, Limits

Progress = Callable[[str], None]


class PassageStore(Protocol):
    """The passage store behind a SearchIndex (SQLite ``Store`` or ``PgStore``)."""

    def documents(self) -> list[dict]: ...
    def failures(self) -> list[dict]: ...
    def passages_by_pid(self, pids: list[int]) -> dict[int, dict]: ...
    def passage_at(self, doc_id: str, seq: int) -> dict | None: ...
    def context_window(self, doc_id: str, seq: int, before: int, after: int) -> list[dict]: ...


class SearchIndex(Protocol):
    """The read side every backend serves (what rank(), answers, trace, export, eval, the CLI and the app use)."""

    store: Any  # a PassageStore
    glossary: dict[str, list[str]]  # {acronym: [expansions]}
    facets: dict[str, list[str]]  # {"council"|"body"|"doc_type": [values]}
    manifest: dict  # model, dim, passages, documents, glossary_terms, built_at, schema_version
    model_id: str

    @property
    def dir(self) -> Path | str: ...  # read-only: the embedded index's folder, or the store's URL

    gen_name: str
    dates: np.ndarray  # meeting dates as yyyymmdd ints, for the date range

    def __len__(self) -> int: ...
    def mask(self, f: Any) -> Any: ...
    def phrase_mask(self, phrases: list[str], base: Any) -> Any: ...
    def bm25_rank(self, tokens: list[str], n: int, mask: Any) -> tuple[np.ndarray, np.ndarray]: ...
    def dense_rank(self, qvec: np.ndarray, n: int, mask: Any) -> tuple[np.ndarray, np.ndarray]: ...
    def dense_scores(self, rows: Any, qvec: np.ndarray) -> np.ndarray: ...
    def pid_of(self, rows: Any) -> list[int]: ...
    def decisions_of(self, rows: Any) -> np.ndarray: ...
    def meeting_keys(self, rows: Any) -> list[tuple]: ...
    def rows_for_passage_ids(self, passage_ids: list[str]) -> list[Any]: ...
    def vectors_at(self, rows: Any) -> np.ndarray: ...
    def windows_at(self, rows: Any) -> list[np.ndarray | None]: ...
    def term_rows(self, terms: list[str]) -> dict[str, Any]: ...
    def item_groups(self, rows: Any) -> np.ndarray: ...
    def check_model(self, model: str | None) -> None: ...


class Backend(Protocol):
    kind: str  # "embedded" | "postgresql": for messages and `info`, never for branching by callers
    location: str

    def open(self) -> SearchIndex: ...
    def version(self) -> str | None: ...
    def check(self, index: SearchIndex) -> list[str]: ...
    def ingest(
        self,
        paths: Iterable[str | os.PathLike],
        *,
        model: str | None = None,
        workers: int | None = None,
        limits: Limits | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
        embedder: Any = None,
        backend: str | None = None,
        keyword_first: bool = False,
    ) -> IngestReport: ...
    def import_index(self, index_dir: Path, progress: Progress | None = None) -> dict: ...
    def edit_document(self, doc_id: str, changes: dict) -> dict: ...
    def remove_document(self, doc_id: str, corpus_dir: Path | None = None) -> Removed: ...
    def saved_searches(self) -> SavedSearches: ...
    def export_index(self, index_dir: Path, progress: Progress | None = None) -> dict: ...
    def environment(self) -> dict[str, str]: ...
    def describe(self) -> dict: ...
    def close(self) -> None: ...


class EmbeddedBackend:
    kind = "embedded"

    def __init__(self, index_dir: str | os.PathLike):
        self.dir = Path(index_dir)
        self.location = str(self.dir)

    def open(self) -> SearchIndex:
        from .embedded import Index

        return Index(self.dir)

    def version(self) -> str | None:
        from .generation import current_generation_name, has_store

        return current_generation_name(self.dir) if has_store(self.dir) else None

    def ingest(
        self,
        paths,
        *,
        model=None,
        workers=None,
        limits=None,
        rebuild=False,
        progress=None,
        embedder=None,
        backend=None,
        keyword_first=False,
    ):
        from .writer import ingest

        return ingest(
            paths,
            self.dir,
            model=model,
            workers=workers,
            limits=limits,
            rebuild=rebuild,
            progress=progress,
            embedder=embedder,
            backend=backend,
            keyword_first=keyword_first,
        )

    def edit_document(self, doc_id: str, changes: dict) -> dict:
        """Set a document's fields by hand (index/library.py); the document as now stored."""
        from .libwrite import edit_embedded

        return edit_embedded(self.dir, doc_id, changes)

    def remove_document(self, doc_id: str, corpus_dir: Path | None = None) -> Removed:
        from .libwrite import remove_embedded

        return remove_embedded(self.dir, doc_id, corpus_dir)

    def saved_searches(self) -> SavedSearches:
        from .saved import SavedSearches

        return SavedSearches(self._connection)

    @contextmanager
    def _connection(self, write: bool):
        """The passage store's connection for the library's tables: read-only for reading, unless the store predates
        them (a writable open makes them); committed when the block ends cleanly."""
        import sqlite3

        from .store import STORE_FILE, Store, connect

        if not write:
            con = connect(self.dir / STORE_FILE, readonly=True)
            try:
                con.execute("SELECT 1 FROM saved_searches, doc_arrivals LIMIT 0")
            except sqlite3.OperationalError:
                write = True
            if not write:
                try:
                    yield con
                finally:
                    con.close()
                return
            con.close()
        store = Store(self.dir)
        try:
            with store.con:
                yield store.con
        finally:
            store.close()

    def check(self, index: SearchIndex) -> list[str]:
        """The full check (`info --check`): SQLite's integrity_check and every value of the generation's files."""
        return index.deep_check()  # type: ignore[attr-defined]

    def import_index(self, index_dir: Path, progress: Progress | None = None) -> dict:
        raise BoardpapersError(
            "import-store copies an index directory into a PostgreSQL store: give --store postgresql://... (or $BOARDPAPERS_STORE)"
        )

    def export_index(self, index_dir: Path, progress: Progress | None = None) -> dict:
        raise BoardpapersError(
            "export-store copies a PostgreSQL store into an index directory: give --store postgresql://... (or $BOARDPAPERS_STORE)"
        )

    def environment(self) -> dict[str, str]:
        return {"BOARDPAPERS_INDEX": str(self.dir.resolve()), "BOARDPAPERS_STORE": ""}

    def describe(self) -> dict:
        return {"backend": self.kind, "index": str(self.dir.resolve())}

    def close(self) -> None:
        pass


class PgBackend:
    """A PostgreSQL store; one connection pool shared by its readers and its ingest."""

    kind = "postgresql"

    def __init__(self, url: str):
        self.location = url
        self._store: PgStore | None = None

    @property
    def store(self):
        if self._store is None:
            from .pgstore import PgStore

            self._store = PgStore(self.location)
        return self._store

    def open(self) -> SearchIndex:
        from .pgindex import PgIndex

        return PgIndex(self.location, store=self.store)

    def version(self) -> str | None:
        return f"store-version-{self.store.version()}"  # what ingest workers have committed so far

    def ingest(
        self,
        paths,
        *,
        model=None,
        workers=None,
        limits=None,
        rebuild=False,
        progress=None,
        embedder=None,
        backend=None,
        keyword_first=False,
    ):
        # keyword_first changes nothing here: each document is committed with its vectors and is searchable at once
        from .pgwriter import ingest_pg

        if rebuild:
            raise BoardpapersError("--rebuild is for an index directory; for a PostgreSQL store, use a new database")
        return ingest_pg(
            paths, self.location, model=model, limits=limits, progress=progress, embedder=embedder, store=self.store, backend=backend
        )

    def edit_document(self, doc_id: str, changes: dict) -> dict:
        from .libwrite import edit_pg

        return edit_pg(self.store, doc_id, changes)

    def remove_document(self, doc_id: str, corpus_dir: Path | None = None) -> Removed:
        from .libwrite import remove_pg

        return remove_pg(self.store, doc_id, corpus_dir)

    def saved_searches(self) -> SavedSearches:
        from .saved import SavedSearches

        return SavedSearches(self._connection, ph="%s")

    @contextmanager
    def _connection(self, write: bool):
        with self.store.conn() as con, con.transaction():
            yield con

    def check(self, index: SearchIndex) -> list[str]:
        raise BoardpapersError("--check verifies an index folder; a PostgreSQL store checks its own pages")

    def import_index(self, index_dir: Path, progress: Progress | None = None) -> dict:
        from .pgtransfer import import_store

        return import_store(Path(index_dir), self.location, progress=progress)

    def export_index(self, index_dir: Path, progress: Progress | None = None) -> dict:
        from .pgtransfer import export_store

        return export_store(self.location, Path(index_dir), progress=progress)

    def environment(self) -> dict[str, str]:
        return {"BOARDPAPERS_STORE": self.location}

    def describe(self) -> dict:
        return {"backend": self.kind, "index": self.location}

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def open_backend(location: str | os.PathLike) -> EmbeddedBackend | PgBackend:
    """The backend at ``location``: a PostgreSQL store for a postgresql:// URL, else an index directory."""
    if is_pg_url(str(location)):
        return PgBackend(str(location))
    return EmbeddedBackend(location)


def open_index(location: str | os.PathLike) -> SearchIndex:
    """The read side at ``location`` (scripts, benchmarks and tests that only search)."""
    return open_backend(location).open()
