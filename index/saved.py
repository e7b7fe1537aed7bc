"""Saved searches and their alerts: a search (query + filters) kept by name, and after new papers arrive (an upload,
`ingest`, `fetch`) its NEW strong matches -- hits judged ``strong`` whose document arrived after the search was saved
or last marked seen.

Stored with the index's own backend (index/storedb.py's LIBRARY_SCHEMA; PostgreSQL: migration 7 of
index/pgschema.py): ``saved_searches`` rows and ``doc_arrivals``, the order documents first arrived in (a trigger
on ``documents``). A search remembers the last arrival it has seen (``seen_seq``), never a clock time, so a
document stored in the same second as the save is still new, a re-parse of known content is not, and an
`ingest --rebuild` (which copies both tables) changes nothing. Removing a document removes its arrival.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field

from boardpapers.errors import BoardpapersError

from .library import now_stamp
from .query import Filters

ALERT_K = 500  # hits per saved search read for new matches (the strong matches come first: index/search.py)
NAME_MAX = 100


class SavedError(BoardpapersError):
    """A saved search that cannot be made or found; the message says why."""


@dataclass
class SavedSearch:
    name: str
    query: str
    filters: dict
    created_at: str
    seen_seq: int
    seen_at: str

    def as_filters(self) -> Filters:
        return Filters(**{k: v for k, v in self.filters.items() if k in Filters.__dataclass_fields__})


@dataclass
class Alert:
    """A saved search's new strong matches (public hits), and when it was last seen."""

    search: SavedSearch
    hits: list[dict] = field(default_factory=list)

    def headline(self) -> str:
        """'3 new since 12 March 2026' / 'nothing new since ...'."""
        n = len(self.hits)
        return f"{n if n else 'nothing'} new since {since_words(self.search.seen_at)}"

    def as_json(self) -> dict:
        return {"name": self.search.name, **asdict(self.search), "new": len(self.hits), "hits": self.hits}


def since_words(stamp: str) -> str:
    """'2026-03-12T09:30:00Z' -> '12 March 2026'."""
    try:
        t = time.strptime(stamp[:10], "%Y-%m-%d")
    except ValueError:
        return stamp
    return f"{t.tm_mday} {time.strftime('%B %Y', t)}"


def filters_line(f: dict) -> str:
    """A saved search's filters in words: 'council leicester, since 2024-01-01, decisions'."""
    return ", ".join(k.replace("_", " ") if v is True else f"{k.replace('_', ' ')} {v}" for k, v in f.items())


def filters_dict(f: Filters | None) -> dict:
    """The filters a search is saved with (only those set)."""
    return {k: v for k, v in asdict(f or Filters()).items() if v}


Connect = Callable[[bool], AbstractContextManager]  # write -> a connection (committed when the block ends cleanly)


class SavedSearches:
    """The saved searches of one store; ``connect(write)`` gives a connection of the backend, ``ph`` its parameter."""

    def __init__(self, connect: Connect, ph: str = "?"):
        self.connect, self.ph = connect, ph

    def entries(self) -> list[SavedSearch]:
        with self.connect(False) as con:
            rows = con.execute("SELECT name, query, filters, created_at, seen_seq, seen_at FROM saved_searches ORDER BY name").fetchall()
        out = []
        for name, query, filters, created, seq, seen in rows:
            try:
                f = json.loads(filters)
            except ValueError:
                f = {}
            out.append(SavedSearch(name, query, f if isinstance(f, dict) else {}, created, int(seq), seen))
        return out

    def get(self, name: str) -> SavedSearch:
        for s in self.entries():
            if s.name == name:
                return s
        raise SavedError(f"no saved search is called {name!r}")

    def save(self, name: str, query: str, filters: Filters | None = None) -> SavedSearch:
        """Save (or replace) a search; it has seen every document stored so far."""
        name, query = " ".join((name or "").split()), (query or "").strip()
        if not name or len(name) > NAME_MAX:
            raise SavedError(f"give the saved search a name of 1 to {NAME_MAX} characters")
        if not query:
            raise SavedError("give the query to save")
        p = self.ph
        now = now_stamp()
        with self.connect(True) as con:
            seq = con.execute("SELECT coalesce(max(seq), 0) FROM doc_arrivals").fetchone()[0]
            con.execute(
                f"INSERT INTO saved_searches(name, query, filters, created_at, seen_seq, seen_at) VALUES({p}, {p}, {p}, {p}, {p}, {p}) "
                "ON CONFLICT(name) DO UPDATE SET query=excluded.query, filters=excluded.filters, created_at=excluded.created_at, "
                "seen_seq=excluded.seen_seq, seen_at=excluded.seen_at",
                (name, query, json.dumps(filters_dict(filters), sort_keys=True), now, int(seq), now),
            )
        return SavedSearch(name, query, filters_dict(filters), now, int(seq), now)

    def remove(self, name: str) -> None:
        with self.connect(True) as con:
            n = con.execute(f"DELETE FROM saved_searches WHERE name={self.ph}", (name,)).rowcount
        if not n:
            raise SavedError(f"no saved search is called {name!r}")

    def mark_seen(self, names: list[str] | None = None) -> int:
        """Mark the named saved searches (all when None) as having seen every document stored so far."""
        p = self.ph
        with self.connect(True) as con:
            seq = int(con.execute("SELECT coalesce(max(seq), 0) FROM doc_arrivals").fetchone()[0])
            if names is None:
                return con.execute(f"UPDATE saved_searches SET seen_seq={p}, seen_at={p}", (seq, now_stamp())).rowcount
            n = 0
            for name in names:
                n += con.execute(f"UPDATE saved_searches SET seen_seq={p}, seen_at={p} WHERE name={p}", (seq, now_stamp(), name)).rowcount
        return n

    def arrivals_after(self, seq: int) -> dict[str, str]:
        """doc_id -> when it arrived, for the documents in the index that arrived after ``seq``."""
        q = (
            "SELECT a.doc_id, a.added_at FROM doc_arrivals a JOIN documents d ON d.doc_id = a.doc_id "
            f"WHERE a.seq > {self.ph} AND d.status = 'active'"
        )
        with self.connect(False) as con:
            return {r[0]: r[1] for r in con.execute(q, (int(seq),)).fetchall()}


def alerts(saved: SavedSearches, index, embedder=None, names: list[str] | None = None) -> list[Alert]:
    """Each saved search (or those named) with its new strong matches, best first. A search with no document arrived
    since it was seen is not run at all."""
    from .hits import public_hit
    from .search import search

    out = []
    for s in saved.entries():
        if names is not None and s.name not in names:
            continue
        fresh = saved.arrivals_after(s.seen_seq)
        alert = Alert(s)
        if fresh:
            res = search(index, s.query, k=ALERT_K, filters=s.as_filters(), embedder=embedder, related=False)
            for h in res.hits:
                if h.get("match") == "strong" and h["doc_id"] in fresh:
                    alert.hits.append(public_hit(h) | {"arrived_at": fresh[h["doc_id"]]})
        out.append(alert)
    return out
