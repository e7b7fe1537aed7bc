"""The ingest step that gives every stored document of the meeting folders an ingest touched its meeting context
(ingest/context.py decides it): a report or appendix takes the meeting of the agenda frontsheet in its folder, and a
file stored once but found in two meetings' folders gets each path's own meeting (``doc_paths.context``).

Runs after the files of a run are stored, for the SQLite store (index/writer.py) and PostgreSQL (index/pgwriter.py):
each parsed file was already given what it alone shows (its folder's and name's date, a manifest row) before it was
embedded; this adds what only its siblings show. Passages that had no date, or the document's own, take the
document's; minutes keep the date of the meeting they record."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from boardpapers.ingest.context import (
    Context,
    meeting_folder,
    paper_from_record,
    passage_type,
    path_context_json,
    provenance_record,
    resolve,
)

_ROWS_SQL = (
    "SELECT dp.path, dp.doc_id, dp.context, d.path AS doc_path, d.title, d.council, d.body, d.meeting_date, d.doc_type, "
    "d.provenance FROM doc_paths dp JOIN documents d ON d.doc_id = dp.doc_id WHERE d.status = 'active'"
)
DOC_COLUMNS = ("meeting_date", "council", "body", "title", "doc_type")


def _load(text: str | None) -> dict | None:
    try:
        v = json.loads(text) if text else None
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def plan(rows: list[dict], paths: Iterable[str | os.PathLike]) -> tuple[list[dict], list[tuple[str, str]]]:
    """(document updates, path updates) for the stored ``rows`` (``_ROWS_SQL``) in the meeting folders of ``paths``.

    A document update is {doc_id, old_date, values, provenance}; a path update is (context JSON, path)."""
    folders = {meeting_folder(p)[0] for p in paths}
    mine = [r for r in rows if meeting_folder(r["path"])[0] in folders]
    papers = [paper_from_record(r["path"], r, _load(r["provenance"])) for r in mine]
    ctx = resolve(papers)
    docs: list[dict] = []
    path_updates: list[tuple[str, str]] = []
    for r, paper in zip(mine, papers):
        c: Context = ctx[r["path"]]
        pj = path_context_json(c)
        if pj != r["context"]:
            path_updates.append((pj, r["path"]))
        if r["path"] != r["doc_path"]:
            continue
        prov = json.dumps(provenance_record(paper.parsed, paper.fixed, c), sort_keys=True)
        if prov != r["provenance"] or any(c.values.get(f) != r[f] for f in DOC_COLUMNS):
            docs.append(
                {"doc_id": r["doc_id"], "old_date": r["meeting_date"], "old_type": r["doc_type"], "values": c.values, "provenance": prov}
            )
    return docs, path_updates


def _retype(con, d: dict, ph: str) -> None:
    """A document whose type changed (set by hand, a manifest): its passages' own types again (ingest/context.py's
    passage_type: a pack's minutes, reports and appendices keep theirs)."""
    new = d["values"].get("doc_type")
    if not new or new == d["old_type"]:
        return
    kinds = [r[0] for r in con.execute(f"SELECT DISTINCT section_kind FROM passages WHERE doc_id={ph}", (d["doc_id"],)).fetchall()]
    for kind in kinds:
        con.execute(
            f"UPDATE passages SET doc_type={ph} WHERE doc_id={ph} AND coalesce(section_kind, '')={ph}",
            (passage_type(new, kind), d["doc_id"], kind or ""),
        )


def refresh_sqlite(store, paths: Iterable[str | os.PathLike], bump: bool = True) -> int:
    """Apply ``plan`` to the SQLite store (one transaction); the number of documents changed. ``bump``: count the
    update as a change of the store (its version), unless the caller's run has already counted its own."""
    con = store.con
    rows = [dict(r) for r in con.execute(_ROWS_SQL)]
    docs, path_updates = plan(rows, paths)
    if not docs and not path_updates:
        return 0
    with con:
        con.executemany("UPDATE doc_paths SET context=? WHERE path=?", path_updates)
        for d in docs:
            v = d["values"]
            con.execute(
                "UPDATE documents SET meeting_date=?, council=?, body=?, title=?, doc_type=?, provenance=? WHERE doc_id=?",
                (v.get("meeting_date"), v.get("council"), v.get("body"), v.get("title"), v.get("doc_type"), d["provenance"], d["doc_id"]),
            )
            _retype(con, d, "?")
            con.execute(
                "UPDATE passages SET meeting_date=? WHERE doc_id=? AND (meeting_date IS NULL OR "
                "(meeting_date=? AND coalesce(section_kind, '')<>'minutes'))",
                (v.get("meeting_date"), d["doc_id"], d["old_date"]),
            )
        if bump:
            store.bump_version()
    return len(docs)


def refresh_pg(pg, paths: Iterable[str | os.PathLike]) -> int:
    """Apply ``plan`` to the PostgreSQL store (one transaction), filter columns of the passages included; the
    number of documents changed. (The passages' BM25 terms keep the date words they were stored with.)"""
    from boardpapers.ingest.dates import date_int

    with pg.conn() as con, con.transaction():
        cur = con.execute(_ROWS_SQL)
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
        docs, path_updates = plan(rows, paths)
        for pj, path in path_updates:
            con.execute("UPDATE doc_paths SET context=%s WHERE path=%s", (pj, path))
        for d in docs:
            v = d["values"]
            con.execute(
                "UPDATE documents SET meeting_date=%s, council=%s, body=%s, title=%s, doc_type=%s, provenance=%s WHERE doc_id=%s",
                (v.get("meeting_date"), v.get("council"), v.get("body"), v.get("title"), v.get("doc_type"), d["provenance"], d["doc_id"]),
            )
            _retype(con, d, "%s")
            con.execute("UPDATE passages SET council=%s, body=%s WHERE doc_id=%s", (v.get("council"), v.get("body"), d["doc_id"]))
            con.execute(
                "UPDATE passages SET meeting_date=%s, date_int=%s WHERE doc_id=%s AND (meeting_date IS NULL OR "
                "(meeting_date=%s AND coalesce(section_kind, '')<>'minutes'))",
                (v.get("meeting_date"), date_int(v.get("meeting_date")), d["doc_id"], d["old_date"]),
            )
        if docs or path_updates:
            con.execute("UPDATE bm25_stats SET version = version + 1, updated_at = now() WHERE id = 1")
    return len(docs)
