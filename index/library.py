"""The document library: find a stored document, correct its meeting metadata by hand, remove it -- on either
backend (the embedded index directory or PostgreSQL), for the CLI (`boardpapers documents`) and the app's Documents
view.

A correction is a field ``set by hand`` (a provenance of ingest/context.py): kept in ``doc_overrides`` under the
document's content hash, written into its provenance record's fixed fields, and applied by the same meeting-context
refresh an ingest runs (index/meetings.py), so its siblings in the meeting folder follow it (a frontsheet's corrected
date is its reports' date too). Nothing is parsed or embedded again: passage texts and their vectors stay, and the
citations change as soon as the change is committed (the embedded backend also builds a new generation from the
stored vectors, for the filters). A later ingest, a re-parse or a `--rebuild` applies the same fields again.

Removing a document takes out its passages, vectors (in the next generation), glossary entries, decision records,
paths, hand corrections and arrival; its file is deleted only when asked, and only inside the folder given.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from boardpapers.errors import BoardpapersError
from boardpapers.ingest.context import HAND, hand_fields, paper_from_record
from boardpapers.ingest.dates import date_int, parse_user_date
from boardpapers.ingest.discovery import MANIFEST_NAMES
from boardpapers.ingest.model import DOC_TYPES

EDITABLE = ("title", "council", "body", "meeting_date", "doc_type")


class LibraryError(BoardpapersError):
    """A document that cannot be found or a change that cannot be made; the message says why."""


@dataclass
class Removed:
    doc_id: str
    title: str | None
    paths: list[str]
    deleted: list[str] = field(default_factory=list)  # files deleted from the corpus folder


def check_changes(changes: dict) -> dict:
    """The fields to set ({field: value}; '' or None: back to what the papers say), validated: a known document type, a
    meeting date as YYYY-MM-DD, nothing but EDITABLE fields."""
    out: dict[str, str] = {}
    for f, v in changes.items():
        if f not in EDITABLE:
            raise LibraryError(f"{f!r} cannot be set (only {', '.join(EDITABLE)})")
        v = " ".join(str(v or "").split())
        if v and f == "doc_type" and v.lower() not in DOC_TYPES:
            raise LibraryError(f"document type {v!r} is not one of {', '.join(DOC_TYPES)}")
        if v and f == "meeting_date":
            try:
                v = parse_user_date(v)
            except ValueError as exc:
                raise LibraryError(f"meeting date: {exc}") from None
        out[f] = v.lower() if f == "doc_type" else v
    if not out:
        raise LibraryError("nothing to change: give at least one of --title, --council, --body, --date, --type")
    return out


def find_document(docs: list[dict], key: str) -> dict:
    """The document ``key`` names among ``docs`` (a store's listing): its content hash (or a unique prefix of 6+
    characters), one of its paths, or a file name only one document has."""
    key = (key or "").strip()
    if not key:
        raise LibraryError("give a document: its path, file name or id")
    exact = [d for d in docs if d["doc_id"] == key or key in (d.get("paths") or [d.get("path")])]
    if not exact and len(key) >= 6:
        exact = [d for d in docs if d["doc_id"].startswith(key.lower())]
    if not exact:
        exact = [d for d in docs if any(Path(p).name == Path(key).name for p in d.get("paths") or [d.get("path")])]
        if not exact:
            resolved = str(Path(key).resolve()) if key else key
            exact = [d for d in docs if any(str(Path(p).resolve()) == resolved for p in d.get("paths") or [])]
    if len(exact) == 1:
        return exact[0]
    if not exact:
        raise LibraryError(f"no indexed document is {key!r} (give its path, file name or id; `boardpapers documents` lists them)")
    names = ", ".join(f"{d['doc_id'][:12]} ({d.get('path')})" for d in exact[:5])
    raise LibraryError(f"{key!r} names {len(exact)} documents: {names}; give its id")


def overrides_of(con, doc_id: str, ph: str = "?") -> dict:
    """The fields set by hand on a document (its content hash), {} when none (either store's connection)."""
    row = con.execute(f"SELECT fields FROM doc_overrides WHERE doc_id={ph}", (doc_id,)).fetchone()
    try:
        v = json.loads(row[0]) if row else {}
    except ValueError:
        return {}
    return {k: x for k, x in v.items() if k in EDITABLE and isinstance(x, str) and x} if isinstance(v, dict) else {}


def now_stamp() -> str:
    """UTC now as the store writes times (ISO 8601, seconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def corrected(con, doc_id: str, changes: dict, ph: str = "?") -> list[str]:
    """Record ``changes`` (check_changes) on the stored document inside the caller's transaction: its hand fields
    (doc_overrides) and its provenance record's fixed fields. Returns its paths, for the meeting-context refresh."""
    cols = "path, title, council, body, meeting_date, doc_type, provenance"
    row = con.execute(f"SELECT {cols} FROM documents WHERE doc_id={ph}", (doc_id,)).fetchone()
    if row is None:
        raise LibraryError(f"document {doc_id} is no longer in the index")
    r = dict(zip([c.strip() for c in cols.split(",")], row))
    hand = overrides_of(con, doc_id, ph)
    for f, v in changes.items():
        if v:
            hand[f] = v
        else:
            hand.pop(f, None)
    try:
        prov = json.loads(r["provenance"] or "null")
    except ValueError:
        prov = None
    paper = paper_from_record(r["path"], r, prov if isinstance(prov, dict) else None)
    fixed = {f: vs for f, vs in paper.fixed.items() if vs[1] != HAND} | hand_fields(hand)
    record = {**(prov if isinstance(prov, dict) else {}), "parsed": paper.parsed, "fixed": {f: [v, s] for f, (v, s) in fixed.items()}}
    con.execute(f"UPDATE documents SET provenance={ph} WHERE doc_id={ph}", (json.dumps(record, sort_keys=True), doc_id))
    if changes.get("meeting_date") and r["meeting_date"] != changes["meeting_date"]:
        # the document's own date corrected: its passages dated with it follow, minutes included (the refresh that
        # follows moves only those of other sections, as ingest/context.py's apply_context does)
        new, old = changes["meeting_date"], r["meeting_date"]
        extra = f", date_int={ph}" if ph == "%s" else ""  # PostgreSQL keeps the date's filter column on the passage
        args = (new, *((date_int(new),) if extra else ()), doc_id, old)
        con.execute(f"UPDATE passages SET meeting_date={ph}{extra} WHERE doc_id={ph} AND (meeting_date IS NULL OR meeting_date={ph})", args)
    if hand:
        con.execute(
            f"INSERT INTO doc_overrides(doc_id, fields, set_at) VALUES({ph}, {ph}, {ph}) "
            "ON CONFLICT(doc_id) DO UPDATE SET fields=excluded.fields, set_at=excluded.set_at",
            (doc_id, json.dumps(hand, sort_keys=True), now_stamp()),
        )
    else:
        con.execute(f"DELETE FROM doc_overrides WHERE doc_id={ph}", (doc_id,))
    paths = [p for (p,) in con.execute(f"SELECT path FROM doc_paths WHERE doc_id={ph}", (doc_id,))]
    return paths or [r["path"]]


def forget(con, doc_id: str, paths: list[str], ph: str = "?") -> None:
    """The removed document's failures, hand fields and arrival, inside the caller's transaction."""
    for p in paths:
        con.execute(f"DELETE FROM failures WHERE path={ph}", (p,))
    con.execute(f"DELETE FROM doc_overrides WHERE doc_id={ph}", (doc_id,))
    con.execute(f"DELETE FROM doc_arrivals WHERE doc_id={ph}", (doc_id,))


def delete_files(paths: list[str], corpus_dir: Path) -> list[str]:
    """Delete the document's files that lie inside ``corpus_dir`` (the folder the app saves uploads and fetches into),
    and their rows in a manifest.csv there; never a file outside it. Returns the files deleted."""
    root = Path(corpus_dir).resolve()
    gone = []
    for p in paths:
        f = Path(p)
        try:
            target = f.resolve()
        except OSError:
            continue
        if root not in target.parents or not target.is_file():
            continue
        target.unlink()
        gone.append(str(f))
        _drop_manifest_rows(target, root)
    return gone


def _drop_manifest_rows(target: Path, root: Path) -> None:
    """Take ``target``'s rows out of the sidecar manifests in its folders up to ``root`` (an ingest would otherwise
    warn about a row naming a missing file)."""
    for folder in [target.parent, *target.parent.parents]:
        for name in MANIFEST_NAMES:
            m = folder / name
            if m.is_file():
                text = m.read_text(encoding="utf-8", errors="surrogateescape")
                rows = list(csv.reader(io.StringIO(text)))
                if not rows:
                    continue
                head = [h.lstrip("\ufeff").strip() for h in rows[0]]
                col = head.index("path") if "path" in head else head.index("file") if "file" in head else None
                if col is None:
                    continue
                keep = [r for r in rows[1:] if len(r) <= col or (folder / r[col].strip()).resolve() != target]
                if len(keep) < len(rows) - 1:
                    out = io.StringIO()
                    csv.writer(out, lineterminator="\n").writerows([rows[0], *keep])
                    m.write_text(out.getvalue(), encoding="utf-8", errors="surrogateescape")
        if folder == root:
            break
