"""Meeting context: which meeting each document belongs to, from the best evidence, and where each field came from.

Councils publish a meeting's papers as separate files (agenda frontsheet, public pack, each report and appendix) and
a report or appendix often never states the meeting's date. The parse of one file cannot see its siblings, so the
ingest orchestrator (index/writer.py, index/pgwriter.py) calls ``resolve`` over every document of the meeting folders
it touched. Each field records its source (``PROVENANCE``):

- ``content``    the document states it (a frontsheet's date, 'To: Cabinet – 30 January 2025', 'minutes of ... held on');
- ``frontsheet`` the agenda frontsheet or public pack in the same meeting folder states it;
- ``folder``     a date in the meeting folder's name ('2025-01-30', '30-Jan-2025');
- ``file name``  a date in the file's name ('Agenda frontsheet 30th-Jan-2025 10.00 Cabinet.pdf'), or a title from it;
- ``manifest``   a sidecar manifest.csv row; ``fetched`` one written by `boardpapers fetch` (a non-empty fetched_at);
- ``set by hand`` set by a user in the Documents view or `boardpapers documents set` (index/library.py): it wins over
                 every other source and is kept by the store under the document's content hash, so a re-parse, a
                 re-ingest and a --rebuild keep it.

A date merely mentioned in a report's text is never taken (ingest/docmeta.py gives reports no guessed date).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .dates import date_words, find_dates
from .titles import UNTITLED, names_appendix

PROVENANCE = ("content", "frontsheet", "folder", "file name", "manifest", "fetched", "set by hand")
HAND = PROVENANCE[-1]
MEETING_FIELDS = ("meeting_date", "council", "body")
TRACKED = (*MEETING_FIELDS, "title", "doc_type")
PACK_TYPES = ("agenda", "supplement")
_ISO_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_.](\d{2})[-_.](\d{2})(?!\d)")
_HASHED_RE = re.compile(r"^(?:\d+_)?[0-9a-f]{12,64}$", re.I)
FOLDER_DEPTH = 3  # how far up a file's folders a meeting date is looked for ('<committee>/<date>/originals/<file>')


def name_date(name: str) -> str | None:
    """The date a folder or file name carries ('2025-01-30', '30th-Jan-2025', '30 January 2025'), or None."""
    m = _ISO_RE.search(name)
    if m:
        found = find_dates(f"{int(m.group(3))}/{int(m.group(2))}/{m.group(1)}")
        if found:
            return found[0][1]
    found = find_dates(name.replace("_", " "))
    return found[0][1] if found else None


def meeting_folder(path: str | os.PathLike) -> tuple[Path, str | None]:
    """(the meeting folder of ``path``, the date its name carries): the nearest folder above the file, at most
    FOLDER_DEPTH up, whose name holds a date; else the file's own folder (no date)."""
    p = Path(path)
    for parent in list(p.parents)[:FOLDER_DEPTH]:
        d = name_date(parent.name)
        if d:
            return parent, d
    return p.parent, None


def file_title(path: str | Path) -> str | None:
    """A title from the file's name, or None for a name that is a hash or a number ('001_418e79fd6130f93b.pdf')."""
    stem = re.sub(r"\s+", " ", Path(path).stem.replace("_", " ")).strip()
    if not stem or _HASHED_RE.match(Path(path).stem) or not re.search(r"[A-Za-z]{3}", stem):
        return None
    return stem


def passage_type(doc_type: str | None, section_kind: str | None) -> str | None:
    """A passage's document type: in a pack (agenda, supplement) or an unclassified document the section it sits in
    (the minutes, a report, an appendix); elsewhere the document's own type."""
    if doc_type in PACK_TYPES and section_kind in ("minutes", "report", "appendix"):
        return section_kind
    if doc_type == "other" and section_kind in ("minutes", "agenda", "appendix"):
        return section_kind
    return doc_type


@dataclass
class Paper:
    """One stored path of a document: what its content says (``parsed``) and the fields a manifest row set
    (``fixed``: field -> (value, 'manifest' | 'fetched'))."""

    path: str
    parsed: dict
    fixed: dict = field(default_factory=dict)


@dataclass
class Context:
    """A path's resolved meeting context: the values and, per field, their source (absent: unknown)."""

    values: dict
    provenance: dict


def _frontsheet(papers: list[Paper], folder_date: str | None) -> dict | None:
    """The meeting a folder's agenda frontsheets and public packs state: the folder's date when a pack states it, else
    the date most of them give (agendas before supplements), with the council and body of the first that gives it.
    None when the folder is not one meeting's: no pack, or an undated folder whose packs state different meetings
    (a flat folder of many meetings' packs, such as corpus/) -- there is no meeting to give the other papers."""
    packs = [p for p in papers if _own(p, "doc_type") in PACK_TYPES and _own(p, "meeting_date")]
    dates = Counter(_own(p, "meeting_date") for p in packs)
    if not packs or (folder_date is None and len(dates) > 1):
        return None
    packs.sort(key=lambda p: (_own(p, "doc_type") != "agenda", p.path))
    date = folder_date if folder_date in dates else dates.most_common(1)[0][0]
    same = [p for p in packs if _own(p, "meeting_date") == date]
    out = {"meeting_date": date}
    for f in ("council", "body"):
        out[f] = next((_own(p, f) for p in same if _own(p, f)), None)
    if not out["council"]:  # a frontsheet that never names its council: the one the meeting's packs and minutes name
        named = Counter(_own(p, "council") for p in papers if _own(p, "doc_type") in ("minutes", *PACK_TYPES) and _own(p, "council"))
        out["council"] = named.most_common(1)[0][0] if named else None
    return out


def _own(p: Paper, f: str):
    return p.fixed[f][0] if f in p.fixed else p.parsed.get(f)


def resolve(papers: list[Paper]) -> dict[str, Context]:
    """Each path's meeting context, its meeting folder's frontsheet and name taken into account (see the module)."""
    groups: dict[Path, list[Paper]] = {}
    for p in papers:
        groups.setdefault(meeting_folder(p.path)[0], []).append(p)
    out: dict[str, Context] = {}
    for group in groups.values():
        folder_d = meeting_folder(group[0].path)[1]
        front = _frontsheet(group, folder_d)
        for p in group:
            out[p.path] = _one(p, front, folder_d)
    return out


def _one(p: Paper, front: dict | None, folder_d: str | None) -> Context:
    values: dict = {}
    prov: dict = {}
    for f, (v, src) in p.fixed.items():
        values[f], prov[f] = v, src
    parsed = p.parsed
    kind = _own(p, "doc_type")
    is_pack = kind in PACK_TYPES
    if "meeting_date" not in values:
        own, outside = parsed.get("meeting_date"), front["meeting_date"] if front else folder_d
        # minutes of an earlier meeting filed in a (dated) meeting folder belong to that meeting's papers (their passages
        # keep the date of the meeting they record); in an undated folder a paper that states its meeting keeps it
        earlier_minutes = kind == "minutes" and folder_d is not None and outside is not None and outside != own
        if own and not earlier_minutes:
            values["meeting_date"], prov["meeting_date"] = own, "content"
        elif front:
            values["meeting_date"], prov["meeting_date"] = front["meeting_date"], "frontsheet"
        elif folder_d:
            values["meeting_date"], prov["meeting_date"] = folder_d, "folder"
        elif name_date(Path(p.path).name):
            values["meeting_date"], prov["meeting_date"] = name_date(Path(p.path).name), "file name"
        else:
            values["meeting_date"] = None
    same_meeting = front is not None and values["meeting_date"] == front["meeting_date"]
    for f in ("council", "body"):
        if f in values:
            continue
        own = parsed.get(f)
        # the frontsheet names the meeting's council and body for every paper of that meeting (a council a report
        # merely mentions is not the meeting's); a paper of another meeting keeps what it says, or stays unknown; and
        # minutes keep the body they record: two bodies meet on one day ("Minutes of the Cabinet" beside the County
        # Council's frontsheet in one folder)
        keeps = is_pack or (f == "body" and kind == "minutes")
        if front and front.get(f) and same_meeting and (not own or not keeps):
            values[f], prov[f] = front[f], ("content" if own == front[f] else "frontsheet")
        elif own:
            values[f], prov[f] = own, "content"
        else:
            values[f] = None
    if "title" not in values:
        own, named = parsed.get("title"), file_title(p.path)
        if own and own != UNTITLED and not (named and kind in ("appendix", "other") and names_appendix(named, own)):
            values["title"], prov["title"] = own, "content"
        elif named:
            values["title"], prov["title"] = named, "file name"
        else:
            values["title"] = own or UNTITLED
    if "doc_type" not in values:
        values["doc_type"], prov["doc_type"] = parsed.get("doc_type") or "other", "content"
    return Context(values, prov)


def provenance_record(parsed: dict, fixed: dict, ctx: Context) -> dict:
    """What a document stores as its ``provenance``: each field's source, plus what its content said (``parsed``)
    and what a manifest set (``fixed``) so that the folder context can be resolved again later."""
    rec = dict(ctx.provenance)
    rec["parsed"] = {f: parsed.get(f) for f in TRACKED}
    rec["fixed"] = {f: [v, s] for f, (v, s) in fixed.items()}
    return rec


def sources(provenance: dict | None) -> dict:
    """Field -> source of a stored provenance record (what users see)."""
    return {k: v for k, v in (provenance or {}).items() if k in TRACKED and isinstance(v, str)}


def paper_from_record(path: str, row: dict, provenance: dict | None) -> Paper:
    """A stored document's Paper: from its provenance record, or (stored before provenance existed) its fields as
    its content's."""
    if provenance and isinstance(provenance.get("parsed"), dict):
        fixed = {f: (v[0], v[1]) for f, v in (provenance.get("fixed") or {}).items() if isinstance(v, list) and len(v) == 2}
        return Paper(path, dict(provenance["parsed"]), fixed)
    return Paper(path, {f: row.get(f) for f in TRACKED})


def fixed_fields(overrides: dict | None) -> dict:
    """A manifest row's document fields as fixed fields: (value, 'fetched') when the row has a fetched_at (written
    by `boardpapers fetch`), else (value, 'manifest')."""
    if not overrides:
        return {}
    src = "fetched" if (overrides.get("fetched_at") or "").strip() else "manifest"
    return {f: (v, src) for f, v in overrides.items() if f in TRACKED and v}


def hand_fields(fields: dict | None) -> dict:
    """Fields set by hand (index/library.py) as fixed fields: (value, 'set by hand'); they win over a manifest row's."""
    return {f: (v, HAND) for f, v in (fields or {}).items() if f in TRACKED and v}


def _who(council: str | None, body: str | None) -> str:
    return " ".join(x for x in (council, body) if x)


def recontext(context: str, old: dict, new: dict, old_date: str | None, new_date: str | None) -> str:
    """A passage's context line (ingest/chunk.py ``make_context``: 'council body — date — item — heading') with the
    council, body and meeting date of ``new`` in place of those the parse gave it (``old``, ``old_date``)."""
    parts = context.split(" — ") if context else []
    ow = _who(old.get("council"), old.get("body"))
    if ow and parts and parts[0] == ow:
        parts.pop(0)
    if old_date and parts and parts[0] in (date_words(old_date), old_date):
        parts.pop(0)
    head = [x for x in (_who(new.get("council"), new.get("body")), (date_words(new_date) or new_date) if new_date else "") if x]
    return " — ".join(head + parts)


def apply_context(meta: dict, passages: list, ctx: Context) -> None:
    """Give a parsed document (its ``meta`` and Passage objects) its resolved meeting context before it is embedded:
    the fields, the provenance record, and, for passages that had no date or the document's own (minutes keep the
    date of the meeting they record), the meeting date and a context line that names the meeting."""
    parsed = {f: meta.get(f) for f in TRACKED}
    old_date, new_date = parsed.get("meeting_date"), ctx.values.get("meeting_date")
    for p in passages:
        d = p.meeting_date
        # minutes keep the date of the meeting they record, unless that date is the one corrected by hand
        take = d is None or (d == old_date and (p.section_kind != "minutes" or ctx.provenance.get("meeting_date") == HAND))
        date_after = new_date if take else d
        if take or (_who(parsed.get("council"), parsed.get("body")) != _who(ctx.values.get("council"), ctx.values.get("body"))):
            p.context = recontext(p.context, parsed, ctx.values, d, date_after)
        p.meeting_date = date_after
        if "doc_type" in ctx.provenance and ctx.values.get("doc_type") != parsed.get("doc_type"):
            p.doc_type = passage_type(ctx.values.get("doc_type"), p.section_kind)
    meta.update({f: ctx.values.get(f) for f in TRACKED})


def path_context_json(ctx: Context) -> str:
    """What doc_paths stores for one path: its meeting and where each field came from."""
    return json.dumps({**{f: ctx.values.get(f) for f in MEETING_FIELDS}, "provenance": sources(ctx.provenance)}, sort_keys=True)
