"""Writing one document into the PostgreSQL store (index/pgstore.py, ``PgStore.write_document``), inside the caller's
transaction: the documents it replaces taken out, its row, its passages with their BM25 terms and vectors, their
postings, new embeddings, glossary entries, decision records, and the corpus statistics (tables: index/pgschema.py)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable

import numpy as np

from boardpapers.ingest.dates import date_int

from .pgschema import postings_sql
from .store import DOC_FIELDS
from .storedb import decision_rows

PASSAGE_NAMES = (
    "passage_id, doc_id, seq, text, context, page, page_end, printed_page, item, minute_number, meeting_date, "
    "is_decision, char_start, char_end, section_kind, embed_key, council, body, doc_type, date_int, terms, tfs, dl, embedding, "
    "window_keys, ocr"
)


def bm25_terms_of(row) -> tuple[list[str], list[int], int]:
    """(distinct terms sorted, their counts, length) of what BM25 sees for a passage (index.build.bm25_text)."""
    from .build import bm25_text
    from .tokenize import tokenize

    toks = tokenize(bm25_text(row))
    c = Counter(toks)
    terms = sorted(c)
    return terms, [c[t] for t in terms], len(toks)


def stored_document(doc: dict) -> dict:
    """The document's row as stored: ingested now unless it says when, its warnings as JSON, active."""
    doc = dict(doc)
    doc.setdefault("ingested_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    doc["warnings"] = json.dumps(doc.get("warnings") or [])
    doc["status"] = "active"
    return doc


def remove_replaced(con, doc: dict) -> tuple[Counter, int, int]:
    """Take out the passages, postings, glossary and decisions of the document stored under ``doc``'s id and of the one its path
    showed before when no other path shows that one (whose row goes too).

    Returns what that takes from the corpus statistics: (document count of each term, passages, total length), all
    negative."""
    delta: Counter = Counter()
    old = con.execute("SELECT doc_id FROM doc_paths WHERE path=%s", (doc["path"],)).fetchone()
    gone = [doc["doc_id"]]
    if old and old[0] != doc["doc_id"]:
        others = con.execute("SELECT count(*) FROM doc_paths WHERE doc_id=%s AND path<>%s", (old[0], doc["path"])).fetchone()[0]
        if not others:
            gone.append(old[0])
    for t, c in con.execute("SELECT t, count(*) FROM passages, unnest(terms) t WHERE doc_id = ANY(%s) GROUP BY t", (gone,)):
        delta[t] -= int(c)
    n_old, dl_old = con.execute("SELECT count(*), coalesce(sum(dl), 0) FROM passages WHERE doc_id = ANY(%s)", (gone,)).fetchone()
    con.execute("DELETE FROM bm25_postings WHERE doc_id = ANY(%s)", (gone,))
    con.execute("DELETE FROM passages WHERE doc_id = ANY(%s)", (gone,))
    con.execute("DELETE FROM glossary WHERE doc_id = ANY(%s)", (gone,))
    con.execute("DELETE FROM decisions WHERE doc_id = ANY(%s)", (gone,))
    if len(gone) > 1:  # the document this path showed before, now shown by no path
        con.execute("DELETE FROM documents WHERE doc_id = %s", (gone[1],))
    return delta, -int(n_old), -int(dl_old)


def upsert_document(con, doc: dict) -> None:
    cols = [f for f in DOC_FIELDS if f in doc]
    con.execute(
        f"INSERT INTO documents({','.join(cols)}) VALUES({','.join(['%s'] * len(cols))}) ON CONFLICT(doc_id) DO UPDATE SET "
        + ", ".join(f"{c}=excluded.{c}" for c in cols if c != "doc_id"),
        [doc[c] for c in cols],
    )


def passage_rows(
    doc: dict, passages: list[dict], embed_keys: list[str], vectors: np.ndarray, delta: Counter
) -> tuple[list[list], int, int]:
    """The ``passages`` rows of a document (in PASSAGE_NAMES order), each passage's terms counted into ``delta``; with
    the number of passages and their total length."""
    from .build import window_keys

    rows = []
    n_new = dl_new = 0
    for seq, (p, key) in enumerate(zip(passages, embed_keys)):
        terms, tfs, dl = bm25_terms_of({**p, "title": doc.get("title")})  # a passage outside an item: its title
        for t in terms:
            delta[t] += 1
        n_new += 1
        dl_new += dl
        rows.append(
            [
                f"{doc['doc_id'][:16]}-{seq:05d}",
                doc["doc_id"],
                seq,
                p["text"],
                p["context"],
                p["page"],
                p["page_end"],
                p["printed_page"],
                p["item"],
                p["minute_number"],
                p["meeting_date"],
                bool(p["is_decision"]),
                p["char_start"],
                p["char_end"],
                p["section_kind"],
                key,
                doc.get("council"),
                doc.get("body"),
                p.get("doc_type") or doc.get("doc_type"),  # the passage's own type (a pack's minutes, reports, appendices)
                date_int(p["meeting_date"]),
                terms,
                tfs,
                dl,
                np.asarray(vectors[seq], dtype=np.float32),
                window_keys(p),
                bool(p.get("ocr")),
            ]
        )
    return rows, n_new, dl_new


def insert_passages(con, doc_id: str, rows: list[list], pids: list[int] | None) -> None:
    """Insert the rows (given ``pids``, with those numbers) and the document's BM25 postings."""
    names = PASSAGE_NAMES
    if pids is not None:
        for r, pid in zip(rows, pids):
            r.insert(0, int(pid))
        names = "pid, " + names
    if rows:
        with con.cursor() as cur:
            cur.executemany(f"INSERT INTO passages({names}) VALUES({','.join(['%s'] * len(rows[0]))})", rows)
        con.execute(postings_sql("p.doc_id = %s"), (doc_id,))


def insert_embeddings(con, model_id: str, new_embeddings: dict[str, np.ndarray]) -> None:
    if new_embeddings:
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO embeddings(model, key, vec) VALUES(%s, %s, %s) ON CONFLICT DO NOTHING",
                [(model_id, k, np.asarray(v, dtype=np.float32)) for k, v in new_embeddings.items()],
            )


def insert_glossary(con, doc_id: str, glossary: Iterable[tuple[str, str]]) -> None:
    gl = sorted({(a, e) for a, e in glossary})
    if gl:
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO glossary(acronym, expansion, doc_id) VALUES(%s, %s, %s) ON CONFLICT DO NOTHING",
                [(a, e, doc_id) for a, e in gl],
            )


def insert_decisions(con, doc_id: str, decisions: Iterable[dict]) -> None:
    """The document's decision records (ingest/decisions.py), in document order."""
    rows = decision_rows(doc_id, decisions)
    if rows:
        with con.cursor() as cur:
            cur.executemany("INSERT INTO decisions(doc_id, seq, record) VALUES(%s, %s, %s::jsonb)", rows)


def apply_stats(con, delta: Counter, n_delta: int, dl_delta: int) -> None:
    """Add term/document-count deltas. Terms are locked in sorted order, so concurrent writers never deadlock."""
    changed = sorted((t, c) for t, c in delta.items() if c)
    if changed:
        con.execute(
            "INSERT INTO bm25_terms(term, df) SELECT t, c FROM unnest(%s::text[], %s::bigint[]) AS u(t, c) ORDER BY t "
            "ON CONFLICT(term) DO UPDATE SET df = bm25_terms.df + excluded.df",
            ([t for t, _ in changed], [c for _, c in changed]),
        )
        neg = [t for t, c in changed if c < 0]
        if neg:
            con.execute("DELETE FROM bm25_terms WHERE term = ANY(%s) AND df <= 0", (neg,))
    con.execute(
        "UPDATE bm25_stats SET n_docs = n_docs + %s, sum_dl = sum_dl + %s, version = version + 1, updated_at = now() WHERE id = 1",
        (n_delta, dl_delta),
    )
