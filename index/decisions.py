"""The decision and vote register (issue 15): the decision records ingest finds in minutes and Record of Decision papers
(ingest/decisions.py, stored per document by both stores), read with their documents' fields, duplicates folded,
filtered, searched and listed newest first; a member's recorded votes (index/members.py).

``register(idx, query, filters, outcome, member, limit)`` is what the CLI (`boardpapers decisions`) and the app's
Decisions view use. A QUERY ranks decisions through the same search and judgement as `search`: a decision is listed
when one of its passages is a strong match, in the order of its best-ranked passage.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass, field

from .decisionfiles import DECISION_COLUMNS, VOTE_COLUMNS, decision_citation, decisions_csv, decisions_jsonl
from .members import POSITIONS, member_matches, member_votes, parse_name
from .query import Filters, QueryError, normalise_text

__all__ = [
    "DECISION_COLUMNS",
    "OUTCOMES",
    "VOTE_COLUMNS",
    "Register",
    "decisions_csv",
    "decisions_jsonl",
    "member_matches",
    "register",
]

OUTCOMES = ("carried", "lost", "noted", "deferred", "withdrawn", "proposed")
QUERY_POOL = 1000  # strong matches a query's decisions are drawn from (the judged pool of index/rank.py)
_INTERNAL = ("seq", "char_start", "char_end", "passages")  # record fields that stay inside
_RECORD_FIELDS = (
    "kind", "motion_type", "title", "minute_number", "item", "agenda_item", "meeting_date", "paragraph", "motion",
    "resolution", "outcome", "proposer", "seconder", "votes", "unanimous", "decision_no", "body", "page", "page_end",
    "printed_page", "warnings",
)  # fmt: skip
_CACHE: dict[tuple, tuple[list[dict], dict[str, list[str]]]] = {}
_CACHE_LOCK = threading.Lock()


@dataclass
class Register:
    """The decisions asked for (newest meeting first; with a query, by relevance) and, with ``member``, that
    member's recorded votes. ``matches``: decisions matching (votes, with ``member``) before ``limit``."""

    decisions: list[dict]
    votes: list[dict] = field(default_factory=list)
    matches: int = 0
    query: str | None = None
    member: str | None = None
    notes: list[str] = field(default_factory=list)  # how the query was expanded (glossary)


def register(
    idx,
    query: str | None = None,
    filters: Filters | None = None,
    outcome: str | None = None,
    member: str | None = None,
    limit: int | None = None,
    embedder=None,
    mode: str = "hybrid",
) -> Register:
    """The register of the index ``idx`` (a SearchIndex of either backend): decisions whose council / body (substrings,
    case aside) and meeting date (``since`` / ``until``) pass ``filters``, with ``outcome``; with ``query``, only those
    with a strong match, by relevance; with ``member``, only those the member has a recorded vote in."""
    f = filters or Filters()
    if outcome is not None and outcome not in OUTCOMES:
        raise QueryError(f"unknown outcome {outcome!r}; choose one of {', '.join(OUTCOMES)}")
    if member is not None and not parse_name(member).surname:
        raise QueryError(f"give a member's name with a surname, such as 'Ms Constantine', not {member!r}")
    decisions, passages = _load(idx)
    rows = [d for d in decisions if _wanted(d, f, outcome)]
    notes: list[str] = []
    if query is not None:
        rows, notes = _ranked(idx, rows, passages, query, f, embedder, mode)
    votes: list[dict] = []
    if member is not None:
        votes = member_votes(rows, member)
        voted = {v["decision_id"] for v in votes}
        rows = [d for d in rows if d["decision_id"] in voted]
    matches = len(votes) if member is not None else len(rows)
    if limit is not None:
        rows, votes = rows[: max(0, limit)], votes[: max(0, limit)]
    return Register(copy.deepcopy(rows), copy.deepcopy(votes), matches, query, member, notes)


def _wanted(d: dict, f: Filters, outcome: str | None) -> bool:
    def has(value, wanted: str | None) -> bool:
        return not wanted or wanted.casefold().strip() in (value or "").casefold()

    date = d.get("meeting_date") or ""
    return (
        has(d.get("council"), f.council)
        and has(d.get("body"), f.body)
        and (not f.since or (bool(date) and date >= f.since))
        and (not f.until or (bool(date) and date <= f.until))
        and (outcome is None or d.get("outcome") == outcome)
    )


def _ranked(idx, rows: list[dict], passages: dict[str, list[str]], query: str, f: Filters, embedder, mode: str):
    """The decisions of ``rows`` with a strong match for ``query`` among their passages (or a folded duplicate's),
    best first; and the query's notes."""
    from .search import search

    wanted = Filters(council=f.council, body=f.body, since=f.since, until=f.until)
    res = search(
        idx, query, k=QUERY_POOL, filters=wanted, mode=mode, embedder=embedder, fold=False, crowd=False, related=False, pool=QUERY_POOL
    )
    best: dict[str, int] = {}
    for h in res.hits:
        if h.get("match") == "strong":
            best.setdefault(h["passage_id"], int(h["rank"]))
    ranked = []
    for d in rows:
        ranks = [best[p] for p in passages.get(d["decision_id"], []) if p in best]
        if ranks:
            ranked.append((min(ranks), d))
    ranked.sort(key=lambda x: x[0])
    return [d for _, d in ranked], list(res.notes)


# ------------------------------------------------------------------ loading (once per store version)
def _load(idx) -> tuple[list[dict], dict[str, list[str]]]:
    """Every decision of the store, folded and newest first, and each one's passage ids (its folded duplicates'
    included); cached until the store changes."""
    store = idx.store
    key = (str(idx.dir), store.store_id() if hasattr(store, "store_id") else None, store.version())
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    rows = store.decisions()
    decisions, passages = _fold(rows)
    _attach_reports(store, decisions)
    out = (_newest_first(decisions), passages)
    with _CACHE_LOCK:
        while len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = out
    return out


def decisions_and_passages(idx) -> tuple[list[dict], dict[str, list[str]]]:
    """Every decision of the index (folded, newest first) and each one's passage ids, for readers beside the register
    (``ask`` on a vote or a decision: index/recordanswer.py). Shared with the register's cache: do not modify what it returns."""
    return _load(idx)


def public_decision(row: dict) -> dict:
    """A stored record (storedb.DECISION_ROW_FIELDS) as the register shows it: the record's fields (without char
    offsets and passage numbers) plus its id, document, passages, vote counts and citation."""
    rec, doc_id, seq = row["record"], row["doc_id"], int(row["seq"])
    d = {k: rec.get(k) for k in _RECORD_FIELDS} | {k: v for k, v in rec.items() if k not in _INTERNAL}
    pids = [f"{doc_id[:16]}-{s:05d}" for s in rec.get("passages") or [] if isinstance(s, int)]
    votes = d["votes"] if isinstance(d.get("votes"), dict) else None
    d.update(
        decision_id=f"{doc_id[:16]}-d{seq:03d}",
        council=row["council"],
        body=rec.get("body") or row["body"],
        meeting_date=rec.get("meeting_date") or row["meeting_date"],
        doc_id=doc_id,
        path=row["path"],
        doc_title=row["title"],
        doc_type=row["doc_type"],
        source_url=row["source_url"],
        passage_ids=pids,
        passage_id=pids[0] if pids else None,
        also_in=[],
        reports=[],
        warnings=[w for w in d.get("warnings") or [] if isinstance(w, str)],
        votes=votes,
        unanimous=bool(d.get("unanimous")),
        **{f"{p}_count": _count(votes, p) for p in POSITIONS},
    )
    d["citation"] = decision_citation(d)
    return d


def _count(votes: dict | None, position: str) -> int | None:
    """The count printed for a position; for a named vote without counts, the members named; None when not recorded."""
    held = (votes or {}).get(position)
    if not isinstance(held, dict):
        return None
    if isinstance(held.get("count"), int):
        return held["count"]
    names = held.get("names")
    return len(names) if isinstance(names, list) and names else None


def _fold_key(d: dict) -> tuple:
    text = d.get("resolution") or d.get("motion") or d.get("title") or ""
    return (
        (d.get("council") or "").casefold(),
        (d.get("body") or "").casefold(),
        d.get("meeting_date"),
        d.get("minute_number"),
        d.get("paragraph"),
        d.get("kind"),
        normalise_text(str(text)),
    )


def _fold(rows: list[dict]) -> tuple[list[dict], dict[str, list[str]]]:
    """One decision per (council, body, meeting, minute, paragraph, kind, text): the same minutes printed again in the
    next meeting's pack go into ``also_in`` of the minutes' own document (the one dated the meeting, else the first)."""

    def primary(r: dict) -> tuple:
        own = (r["record"].get("meeting_date") or r["meeting_date"]) == r["meeting_date"]
        return (not own, r["doc_type"] != "minutes", r["path"] or "", r["doc_id"], int(r["seq"]))

    kept: dict[tuple, dict] = {}
    passages: dict[str, list[str]] = {}
    for r in sorted(rows, key=primary):
        d = public_decision(r)
        first = kept.setdefault(_fold_key(d), d)
        if first is d:
            passages[d["decision_id"]] = list(d["passage_ids"])
            continue
        passages[first["decision_id"]] += d["passage_ids"]
        first["also_in"].append(
            {"path": d["path"], "doc_title": d["doc_title"], "page": d.get("page"), "doc_id": d["doc_id"], "passage_id": d["passage_id"]}
        )
    return list(kept.values()), passages


def _leading_number(s) -> str | None:
    m = re.match(r"\s*(?:item\s+)?(\d+[a-z]?)(?=[\s.:)\-]|$)", str(s or ""), re.I)
    return m.group(1).casefold() if m else None


def _label_title(item: str | None) -> str:
    """An agenda item label without its number and appendix letter: "4. Terms of Reference (Appendix A)" -> its words."""
    s = re.sub(r"^\s*(?:item\s+)?\d+[a-z]?[.:)\s-]*", "", item or "", flags=re.I)
    return normalise_text(re.sub(r"\(\s*appendix\s+\w+\s*\)\s*$", "", s, flags=re.I))


_DECISION_NO = re.compile(r"\b\d{2}/\d{4,6}\b")  # "24/00115" in a minute's title: the decision it records


def _about_item(d: dict, paper: dict) -> bool:
    """Whether a paper row (a document's passages under one item) is about the decision's agenda item: the same item
    number (its passages' item label, or "Item 3 ..." opening its title or file name), the decision's number ("24/00115",
    a Record of Decision's or in the minute's title) in its title or file name, or the decision's title (the item
    label's words, or in the paper's title)."""
    file_name = (paper["path"] or "").replace("\\", "/").rsplit("/", 1)[-1]
    want = re.search(r"\d+[a-z]?", str(d.get("agenda_item") or "").casefold())
    if want and want.group() in (_leading_number(paper["item"]), _item_number(paper["title"]), _item_number(file_name)):
        return True
    found = _DECISION_NO.search(str(d.get("title") or ""))
    number = re.sub(r"\W", "", str(d.get("decision_no") or (found.group() if found else "")))
    if len(number) >= 4 and number in re.sub(r"\W", "", f"{paper['title'] or ''} {file_name}"):
        return True
    title = normalise_text(str(d.get("title") or ""))
    paper_title = normalise_text(paper["title"] or "")
    return len(title) >= 8 and (title == _label_title(paper["item"]) or title == paper_title or (len(title) >= 12 and title in paper_title))


def _item_number(name: str | None) -> str | None:
    m = re.match(r"\s*item\s+(\d+[a-z]?)\b", name or "", re.I)
    return m.group(1).casefold() if m else None


def _attach_reports(store, decisions: list[dict]) -> None:
    """Each decision's ``reports``: the other papers (not minutes) of its meeting about its agenda item."""
    from boardpapers.ingest.display import doc_label

    dates = sorted({d["meeting_date"] for d in decisions if d["meeting_date"]})
    papers: dict[str, list[dict]] = {}
    for p in store.meeting_papers(dates) if dates else []:
        if p["doc_type"] != "minutes":
            papers.setdefault(p["meeting_date"], []).append(p)
    for d in decisions:
        own = {d["doc_id"], *(x["doc_id"] for x in d["also_in"])}
        found: dict[str, dict] = {}
        for p in papers.get(d["meeting_date"], []):
            if p["doc_id"] in own or p["doc_id"] in found or not _same_meeting(d, p):
                continue
            if _about_item(d, p):
                found[p["doc_id"]] = {"doc_title": doc_label(p), "path": p["path"], "doc_id": p["doc_id"]}
        d["reports"] = sorted(found.values(), key=lambda r: (r["doc_title"] or "", r["path"] or ""))


def _same_meeting(d: dict, paper: dict) -> bool:
    def same(a, b) -> bool:
        return not a or not b or a.casefold() == b.casefold()

    return same(d.get("council"), paper["council"]) and same(d.get("body"), paper["body"])


def _newest_first(decisions: list[dict]) -> list[dict]:
    """Newest meeting first; within a meeting, by body and then in the order of the minutes; undated last."""

    def number(v) -> int:
        m = re.match(r"\d+", str(v or ""))
        return int(m.group()) if m else 1 << 30

    in_meeting = sorted(
        decisions,
        key=lambda d: (
            (d.get("council") or "").casefold(),
            (d.get("body") or "").casefold(),
            number(d.get("minute_number")),
            d["doc_id"],
            number(d["decision_id"].rsplit("-d", 1)[-1]),
        ),
    )
    dated = sorted((d for d in in_meeting if d.get("meeting_date")), key=lambda d: d["meeting_date"], reverse=True)
    return dated + [d for d in in_meeting if not d.get("meeting_date")]
