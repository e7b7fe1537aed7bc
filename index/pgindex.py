"""Search over the PostgreSQL store: the same backend seams as the embedded ``Index`` (index/embedded.py).

``rank()`` in index/rank.py is the one query pipeline for both backends; it calls ``mask``, ``phrase_mask``,
``bm25_rank``, ``dense_rank`` and ``decisions_of``. Here a "row" is the passage's ``pid`` (in the embedded
backend it is the position in the generation, which is in pid order, so ties break the same way).

- Filters become SQL predicates (``PgFilter``); facet values are matched by the same rule as the embedded index.
- BM25: the ``bm25_postings`` rows of the query's terms (btree on term; packed integers, sent as binary) are scored
  here in numpy from the stored statistics with exactly index/bm25.py's arithmetic (float64 weights rounded to
  float32, summed in query-term order), so the ranking is the embedded backend's, float32 for float32. With a
  filter, candidates are checked against its SQL predicate in score order, in growing batches, until n pass.
- Dense: pgvector HNSW (inner product on normalised vectors) with ``hnsw.ef_search`` raised to the depth asked
  for and ``hnsw.iterative_scan`` so filtered queries still fill their quota.
"""

from __future__ import annotations

import numpy as np

from boardpapers.ingest.dates import date_int

from .bm25 import BM25
from .embedded import Index, item_groups_from_store
from .errors import IndexError_
from .pgstore import SCHEMA_VERSION, PgStore, PgStoreError, as_array, redact
from .query import Filters, facet_codes, normalise_text
from .tokenize import tokenize_query

K1, B, EPSILON = (BM25.build.__defaults__ or (1.5, 0.75, 0.25))[-3:]


class PgFilter:
    """A WHERE clause (with its parameters) over ``passages``; ``pids`` narrows it to a list of passages."""

    def __init__(self, sql: str = "TRUE", params: tuple = (), pids: list[int] | None = None):
        self.sql, self.params, self.pids = sql, tuple(params), pids

    def where(self) -> tuple[str, tuple]:
        if self.pids is None:
            return self.sql, self.params
        return f"({self.sql}) AND pid = ANY(%s)", (*self.params, list(self.pids))


class _Identity:
    """``index.pids[row]`` for a backend whose rows are pids."""

    def __getitem__(self, i):
        return int(i)


class PgIndex:
    """The PostgreSQL backend behind the same interface as index.embedded.Index."""

    backend = "postgresql"
    check_model = Index.check_model

    def __init__(self, url: str, store: PgStore | None = None):
        try:
            self.store = store or PgStore(url)
        except PgStoreError as exc:
            raise IndexError_(str(exc)) from None
        self.url = url
        self.dir = redact(url)
        model, dim = self.store.model()
        if not model or dim is None:
            if store is None:
                self.store.close()
            raise IndexError_(
                f"the store at {self.dir} holds no index yet: fill it with `boardpapers ingest PATH... --store URL` "
                "or `boardpapers import-store --index DIR --store URL`"
            )
        self.model_id, self.dim = model, int(dim)
        self.pids = _Identity()
        self.reload()

    def reload(self) -> None:
        """Refresh the glossary, facets and counts (they change as ingest workers commit)."""
        st = self.store.stats()
        self.glossary = self.store.glossary()
        self.facets = self.store.facets()
        with self.store.conn() as con:
            ndocs, lo, hi = con.execute(
                "SELECT (SELECT count(*) FROM documents), (SELECT min(date_int) FROM passages WHERE date_int > 0), "
                "(SELECT max(date_int) FROM passages)"
            ).fetchone()
        self._n = st["n_docs"]
        self.dates = np.asarray([d for d in (lo, hi) if d], dtype=np.int32)
        self.gen_name = f"postgresql store version {st['version']}"
        self.manifest = {
            "format": "boardpapers-postgresql",
            "schema_version": SCHEMA_VERSION,
            "model": self.model_id,
            "dim": self.dim,
            "passages": st["n_docs"],
            "documents": int(ndocs),
            "glossary_terms": len(self.glossary),
            "store_version": st["version"],
            "built_at": st["updated_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "bm25": {"k1": K1, "b": B, "epsilon": EPSILON},
            "dense": {"type": "hnsw", "metric": "cosine"},
        }

    def __len__(self) -> int:
        return self._n

    def close(self) -> None:
        self.store.close()

    # ----------------------------------------------------------- filters
    def mask(self, f: Filters) -> PgFilter | None:
        if not f.active():
            return None
        sql: list[str] = []
        params: list[object] = []
        for name, value in (("council", f.council), ("body", f.body), ("doc_type", f.doc_type)):
            if value:
                vals = self.facets[name]
                sql.append(f"{name} = ANY(%s)")
                params.append([vals[i] for i in facet_codes(vals, value)])
        if f.since:
            sql.append("date_int >= %s AND date_int > 0")
            params.append(date_int(f.since))
        if f.until:
            sql.append("date_int <= %s AND date_int > 0")
            params.append(date_int(f.until))
        if f.decisions:
            sql.append("is_decision")
        return PgFilter(" AND ".join(sql) or "TRUE", tuple(params))

    def phrase_mask(self, phrases: list[str], base: PgFilter | None) -> PgFilter:
        """Passages whose text holds every phrase verbatim (case and spacing aside), as an explicit pid list."""
        base = base or PgFilter()
        toks = [t for ph in phrases for t in tokenize_query(ph)]
        where, params = base.where()
        if toks:
            where, params = f"terms @> %s::text[] AND {where}", (toks, *params)
        wanted = [normalise_text(p) for p in phrases]
        with self.store.conn() as con:
            rows = con.execute(f"SELECT pid, text FROM passages WHERE {where}", params).fetchall()
        return PgFilter(pids=[pid for pid, text in rows if all(w in normalise_text(text) for w in wanted)])

    # ----------------------------------------------------------- retrieval
    def bm25_rank(self, tokens: list[str], n: int, mask: PgFilter | None) -> tuple[np.ndarray, np.ndarray]:
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if n <= 0 or not tokens:
            return empty
        uniq = list(dict.fromkeys(tokens))
        with self.store.conn() as con, con.transaction():
            con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")  # statistics and postings of one moment
            st = self.store.stats(con)
            n_docs = st["n_docs"]
            if not n_docs:
                return empty
            df = dict(con.execute("SELECT term, df FROM bm25_terms WHERE term = ANY(%s)", (uniq,)).fetchall())
            known = [t for t in uniq if df.get(t, 0) > 0]
            if not known:
                return empty
            dfa = np.asarray([df[t] for t in known], dtype=np.float64)
            idf = np.log(n_docs - dfa + 0.5) - np.log(dfa + 0.5)
            if (idf < 0).any():
                idf[idf < 0] = EPSILON * self.store.average_idf(con, n_docs, st["version"])
            rows = (
                con.cursor(binary=True).execute("SELECT term, pids, tfs, dls FROM bm25_postings WHERE term = ANY(%s)", (known,)).fetchall()
            )
            pids, scores = _bm25_scores(rows, known, idf, float(st["sum_dl"] / n_docs), tokens)
            if mask is None:
                best = _best(pids, scores, n)
            else:
                best = _best_passing(con, pids, scores, n, mask)
        return pids[best], scores[best]

    def item_groups(self, rows) -> np.ndarray:
        """As index.embedded.Index.item_groups, from the passages table."""
        return item_groups_from_store(self, np.asarray(rows, dtype=np.int64))

    def term_rows(self, terms: list[str]) -> dict[str, np.ndarray]:
        """The pids holding each term (its BM25 postings); a term the store has never seen is left out."""
        if not terms:
            return {}
        with self.store.conn() as con:
            rows = con.cursor(binary=True).execute("SELECT term, pids FROM bm25_postings WHERE term = ANY(%s)", (list(terms),)).fetchall()
        out: dict[str, list[np.ndarray]] = {}
        for term, pids in rows:
            out.setdefault(term, []).append(np.frombuffer(pids, dtype=">i8").astype(np.int64))
        return {t: np.concatenate(v) for t, v in out.items()}

    def dense_rank(self, qvec: np.ndarray, n: int, mask: PgFilter | None) -> tuple[np.ndarray, np.ndarray]:
        if n <= 0 or not self._n:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        where, params = (mask or PgFilter()).where()
        q = np.asarray(qvec, dtype=np.float32)
        with self.store.conn() as con, con.transaction():
            con.execute(f"SET LOCAL hnsw.ef_search = {int(min(1000, max(40, n)))}")
            con.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = con.execute(
                f"SELECT pid, -(embedding <#> %s) FROM passages WHERE {where} ORDER BY embedding <#> %s LIMIT %s",
                (q, *params, q, int(n)),
            ).fetchall()
        rows.sort(key=lambda r: (-r[1], r[0]))  # relaxed order: re-sort exactly
        return np.asarray([r[0] for r in rows], dtype=np.int64), np.asarray([r[1] for r in rows], dtype=np.float32)

    def dense_scores(self, rows, qvec: np.ndarray) -> np.ndarray:
        """As index.embedded.Index.dense_scores: the best of the passage's vector and its windows' (embeddings table)."""
        rows = [int(r) for r in rows]
        if not rows:
            return np.zeros(0, dtype=np.float32)
        q = np.asarray(qvec, dtype=np.float32)
        with self.store.conn() as con:
            got = dict(
                con.execute(
                    "SELECT p.pid, greatest(-(p.embedding <#> %s), (SELECT max(-(e.vec <#> %s)) FROM embeddings e "
                    "WHERE e.model = %s AND e.key = ANY(p.window_keys))) FROM passages p WHERE p.pid = ANY(%s)",
                    (q, q, self.model_id, rows),
                ).fetchall()
            )
        return np.asarray([got.get(r) if got.get(r) is not None else -1.0 for r in rows], dtype=np.float32)

    # ----------------------------------------------------------- per-row lookups (seams shared with Index)
    def pid_of(self, rows) -> list[int]:
        return [int(r) for r in rows]

    def _lookup(self, rows, cols: str) -> dict[int, tuple]:
        rows = [int(r) for r in rows]
        if not rows:
            return {}
        with self.store.conn() as con:
            return {r[0]: r[1:] for r in con.execute(f"SELECT pid, {cols} FROM passages WHERE pid = ANY(%s)", (rows,))}

    def decisions_of(self, rows) -> np.ndarray:
        got = self._lookup(rows, "is_decision")
        return np.asarray([bool(got.get(int(r), (False,))[0]) for r in rows], dtype=bool)

    def meeting_keys(self, rows) -> list[tuple]:
        got = self._lookup(rows, "council, body, date_int")
        return [got.get(int(r), (None, None, 0)) for r in rows]

    def rows_for_passage_ids(self, passage_ids: list[str]) -> list[int | None]:
        if not passage_ids:
            return []
        with self.store.conn() as con:
            pid_of = dict(con.execute("SELECT passage_id, pid FROM passages WHERE passage_id = ANY(%s)", (list(passage_ids),)).fetchall())
        return [pid_of.get(p) for p in passage_ids]

    def vectors_at(self, rows) -> np.ndarray:
        got = self._lookup(rows, "embedding")
        out = np.zeros((len(rows), self.dim), dtype=np.float32)
        for i, r in enumerate(rows):
            v = got.get(int(r))
            if v is not None and v[0] is not None:
                out[i] = as_array(v[0])
        return out

    def windows_at(self, rows) -> list[np.ndarray | None]:
        """As index.embedded.Index.windows_at, from the embeddings table (keyed by the passage's window keys); None for a
        row one of whose windows has no stored vector."""
        rows = [int(r) for r in rows]
        if not rows:
            return []
        with self.store.conn() as con:
            got = con.execute(
                "SELECT p.pid, cardinality(p.window_keys), k.ord, e.vec FROM passages p "
                "LEFT JOIN LATERAL unnest(p.window_keys) WITH ORDINALITY AS k(key, ord) ON TRUE "
                "LEFT JOIN embeddings e ON e.model = %s AND e.key = k.key WHERE p.pid = ANY(%s) ORDER BY p.pid, k.ord",
                (self.model_id, rows),
            ).fetchall()
        vecs: dict[int, list] = {}
        sizes: dict[int, int] = {}
        for pid, n, _, vec in got:
            sizes[pid] = int(n or 0)
            vecs.setdefault(pid, [])
            if vec is not None:
                vecs[pid].append(as_array(vec))
        out: list[np.ndarray | None] = []
        for r in rows:
            have = vecs.get(r, [])
            ok = r in sizes and len(have) == sizes[r]
            out.append(np.asarray(have, dtype=np.float32).reshape(-1, self.dim) if ok else None)
        return out


def _bm25_scores(rows: list, known: list[str], idf: np.ndarray, avgdl: float, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(pids, float32 scores) of every passage holding a known term, from its (term, pids, tfs, dls) posting rows.

    index/bm25.py's arithmetic, operation for operation: each posting's weight in float64 rounded to float32,
    summed into the passage's score in query-term order (a repeated term counts again).
    """
    col = {t: j for j, t in enumerate(known)}
    rows = sorted(rows, key=lambda r: col[r[0]])
    packed = (">i8", ">i4", ">i4")  # pids, tfs, dls: big-endian, as int8send/int4send wrote them
    parts = [[np.frombuffer(r[1 + i], dtype=kind).astype(np.int64) for r in rows] for i, kind in enumerate(packed)]
    pid, tf, dl = (np.concatenate(p) if p else np.zeros(0, dtype=np.int64) for p in parts)
    term = np.repeat([col[r[0]] for r in rows], [len(x) for x in parts[0]]).astype(np.int64)
    bounds = np.searchsorted(term, np.arange(len(known) + 1))
    pids, slot = _distinct(pid)
    tf, dl = tf.astype(np.float64), dl.astype(np.float64)
    doc_norm = K1 * (1.0 - B + B * dl / avgdl)
    w = tf * (K1 + 1.0)
    w /= tf + doc_norm
    w *= idf[term]
    w32 = w.astype(np.float32)
    scores = np.zeros(len(pids), dtype=np.float32)
    for t in tokens:
        j = col.get(t)
        if j is not None:  # a passage appears once per term: plain fancy-index addition is exact
            s, e = bounds[j], bounds[j + 1]
            scores[slot[s:e]] += w32[s:e]
    return pids, scores


def _distinct(pid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct pids, each posting's position among them): a bitmap over the pid range when that range is
    small next to the postings (the usual case: pids are dense), else a sort."""
    if not len(pid):
        return pid, pid
    lo, hi = int(pid.min()), int(pid.max())
    if hi - lo > 8 * len(pid) + (1 << 20):
        return np.unique(pid, return_inverse=True)
    seen = np.zeros(hi - lo + 1, dtype=bool)
    seen[pid - lo] = True
    return np.flatnonzero(seen) + lo, (np.cumsum(seen) - 1)[pid - lo]


def _best(pids: np.ndarray, scores: np.ndarray, m: int) -> np.ndarray:
    """Positions of the best ``m`` by score descending, ties by lower pid (the embedded backend's order)."""
    keep = np.arange(len(scores))
    if len(scores) > m:
        kth = np.partition(scores, len(scores) - m)[len(scores) - m]
        keep = np.flatnonzero(scores >= kth)
    return keep[np.lexsort((pids[keep], -scores[keep]))][:m]


def _best_passing(con, pids: np.ndarray, scores: np.ndarray, n: int, mask: PgFilter) -> np.ndarray:
    """The best ``n`` that pass the filter: candidates are checked in SQL in score order, in growing batches,
    so a filter is applied before the cut however few passages it leaves."""
    where, params = mask.where()
    taken: list[int] = []
    done, size = 0, 4 * n + 64
    while len(taken) < n and done < len(pids):
        batch = _best(pids, scores, done + size)[done:]
        ok = {r[0] for r in con.execute(f"SELECT pid FROM passages WHERE pid = ANY(%s) AND ({where})", (pids[batch].tolist(), *params))}
        taken += [int(i) for i in batch if int(pids[i]) in ok]
        done, size = done + len(batch), size * 2
    return np.asarray(taken[:n], dtype=np.int64)
