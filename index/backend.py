"""Which storage backend an index lives in, and opening it.

Two implementations of one backend interface:

- embedded (default): an index directory -- SQLite passage store + generation files (BM25 matrices, vectors,
  filter arrays) -- ``index.search.Index``; one machine.
- PostgreSQL + pgvector: ``postgresql://...`` -- ``index.pgindex.PgIndex`` over ``index.pgstore.PgStore``; many
  app instances and ingest workers share one transactional store (docs/DEPLOY.md).

The interface (what rank(), _materialise(), answer, trace, export, eval, the CLI and the app use):

    store            documents(), failures(), passages_by_pid(pids), passage_at(doc_id, seq),
                     context_window(doc_id, seq, before, after)
    glossary         {acronym: [expansions]}        facets  {"council"|"body"|"doc_type": [values]}
    manifest         model, dim, passages, documents, glossary_terms, built_at, schema_version
    model_id, dir, gen_name, dates (meeting dates as yyyymmdd ints, for the date range), len(index)
    mask(Filters) -> filter | None                  phrase_mask(phrases, filter) -> filter
    bm25_rank(tokens, n, filter) -> (rows, scores)  dense_rank(qvec, n, filter) -> (rows, scores)
    dense_scores(rows, qvec) -> best cosine of each row's passage vector and its sentence windows' vectors
    pid_of(rows), decisions_of(rows), meeting_keys(rows), rows_for_passage_ids(ids), vectors_at(rows)
    term_rows(terms) -> {term: rows holding it}      item_groups(rows) -> group number per row (one agenda item)
    check_model(name)

A "row" is opaque to callers: a generation position in the embedded backend, a pid in PostgreSQL.
"""
from __future__ import annotations

import os
from pathlib import Path

from .pgstore import is_pg_url

STORE_ENV = "BOARDPAPERS_STORE"
INDEX_ENV = "BOARDPAPERS_INDEX"
DEFAULT_INDEX = "./.boardpapers"


def resolve_location(store: str | None = None, index: str | None = None) -> str:
    """--store URL, else --index DIR, else $BOARDPAPERS_STORE, else $BOARDPAPERS_INDEX, else ./.boardpapers."""
    return store or index or os.environ.get(STORE_ENV) or os.environ.get(INDEX_ENV) or DEFAULT_INDEX


def open_index(location: str | os.PathLike):
    """The index at ``location``: a PgIndex for a postgresql:// URL, else the embedded Index of a directory."""
    if is_pg_url(str(location)):
        from .pgindex import PgIndex

        return PgIndex(str(location))
    from .search import Index

    return Index(Path(location))
