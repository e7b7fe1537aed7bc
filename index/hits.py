"""Hits: ranked rows turned into the passages users see -- near-duplicates folded, internal fields dropped, and a
citation a user can check."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from boardpapers.ingest.context import sources
from boardpapers.ingest.display import doc_label

from .query import normalise_text
from .rank import CROWD_PAGE

HIT_FIELDS = (
    "rank",
    "score",
    "passage_id",
    "text",
    "context",
    "path",
    "title",
    "council",
    "body",
    "meeting_date",
    "doc_type",
    "item",
    "minute_number",
    "page",
    "page_end",
    "printed_page",
    "is_decision",
    "ocr",
    "also_in",
    "provenance",
    "doc_id",
    "source_url",
    "match",
    "relevance",
    "mode",
    "has_vector",
)
OCR_MARK = "text from OCR"  # in the citation of a passage read by OCR from a scanned page: its words may be misread
# in the citation of a passage found while it has no vector yet (a keyword-first ingest still embedding: index/semantic.py)
KEYWORD_ONLY_MARK = "keyword match only: semantic indexing in progress"
FOLD_OVERLAP = 0.6  # share of the shorter passage's 4-word shingles two passages must share to be folded (0.4-0.8: same scores)
# A decision block (RESOLVED / AGREED) is never folded into a passage that is none, nor the reverse: a resolution
# often repeats the report's recommendations word for word ("RESOLVED that Cabinet agree to: a) note the forecast
# revenue overspend ..." under "Recommendations: ... NOTE the forecast revenue overspend ..."), and folded under the
# recommendation the decision a councillor asks for was hidden (docs/BENCHMARKS.md, "What was resolved").


def _shingles(text: str, n: int = 4) -> set[int]:
    w = re.findall(r"\w+", text.casefold())
    if len(w) < n:
        return {hash(tuple(w))} if w else set()
    return {hash(tuple(w[i : i + n])) for i in range(len(w) - n + 1)}


def materialise(index, fused: list[tuple[int, float]], k: int, fold: bool) -> Iterator[dict]:
    """Distinct hits for the fused rows, best first, near-duplicates folded into the hit they repeat (``also_in``);
    passages are fetched in batches sized for ``k`` hits, lazily, and at most ``k`` hits are given."""
    hits: list[dict] = []
    sigs: list[tuple[str, set[int]]] = []
    pos = 0
    batch = max(3 * min(k, CROWD_PAGE), 30)  # a first page's worth, then growing batches for long lists
    while len(hits) < k and pos < len(fused):
        chunk = fused[pos : pos + batch]
        pos += batch
        batch = min(2 * batch, max(3 * k, 30))
        pids = index.pid_of([i for i, _ in chunk])
        rows = index.store.passages_by_pid(pids)
        other_paths = _other_paths(index.store, rows.values())
        for (_, score), pid in zip(chunk, pids):
            row = rows.get(pid)
            if row is None:  # superseded since this generation was built
                continue
            hit = hit_from_row(row, score)
            hit["also_in"].extend(_also_at(row, path, ctx) for path, ctx in other_paths.get(row["doc_id"], []) if path != row["path"])
            if fold:
                norm = normalise_text(row["text"])
                sh = _shingles(row["text"])
                dup_of = None
                for j, (n2, sh2) in enumerate(sigs):
                    if norm == n2:
                        dup_of = j
                        break
                    if bool(row["is_decision"]) != bool(hits[j]["is_decision"]):
                        continue  # what was resolved is no copy of what was recommended, however alike the words
                    if row["doc_id"] == hits[j]["doc_id"] and (row["is_decision"] or row["item"] == hits[j]["item"]):
                        continue  # two decisions, or two places of one item, of one paper: two votes list the same
                        # members, two amendments repeat the motion they amend; neither is the other
                    if sh and sh2:
                        inter = len(sh & sh2)
                        if inter and inter / min(len(sh), len(sh2)) >= FOLD_OVERLAP:
                            dup_of = j
                            break
                if dup_of is not None:
                    kept = hits[dup_of]
                    if all(a["passage_id"] != row["passage_id"] for a in kept["also_in"]):
                        kept["also_in"].append(_also(row))
                    continue
                sigs.append((norm, sh))
            hits.append(hit)
            yield hit
            if len(hits) >= k:
                return


def hit_from_row(row: dict, score: float) -> dict:
    """A hit (with internal fields ``seq`` and ``pid``) for a passage row of the store."""
    return {
        "rank": 0,
        "score": round(float(score), 6),
        "passage_id": row["passage_id"],
        "text": row["text"],
        "context": row["context"],
        "path": row["path"],
        "title": row["title"],
        "council": row["council"],
        "body": row["body"],
        "meeting_date": row["meeting_date"],
        "doc_type": row["doc_type"],
        "item": row["item"],
        "minute_number": row["minute_number"],
        "page": row["page"],
        "page_end": row["page_end"],
        "printed_page": row["printed_page"],
        "is_decision": bool(row["is_decision"]),
        "ocr": bool(row.get("ocr")),  # on a page read by OCR (a store made before OCR has no such column)
        "also_in": [],
        "provenance": row_sources(row),
        "doc_id": row["doc_id"],
        "source_url": row.get("source_url"),
        "seq": row["seq"],
        "pid": row["pid"],
    }


def public_hit(hit: dict) -> dict:
    """A hit without internal fields (what users, exports and JSON output see)."""
    h = dict(hit)
    h.pop("seq", None)
    h.pop("pid", None)
    return h


def numbered_hit(hit: dict, n: int) -> dict:
    """A hit as an answer cites it: without internal fields, with its citation number ``n``."""
    h = public_hit(hit)
    h["n"] = n
    return h


def _also(row: dict) -> dict:
    return {
        "passage_id": row["passage_id"],
        "doc_id": row["doc_id"],
        "path": row["path"],
        "title": row["title"],
        "council": row["council"],
        "body": row["body"],
        "meeting_date": row["meeting_date"],
        "page": row["page"],
    }


def row_sources(row: dict) -> dict:
    """Where the passage's document got each meeting field ({field: content | frontsheet | folder | file name |
    manifest | fetched}, ingest/context.py); {} for a store made before provenance was recorded."""
    try:
        return sources(json.loads(row.get("provenance") or "null"))
    except ValueError:
        return {}


def _other_paths(store, rows) -> dict[str, list[tuple[str, dict]]]:
    """The other paths of the rows' documents (the same file in another meeting's folder), with each path's context."""
    fetch = getattr(store, "path_contexts", None)
    return fetch(sorted({r["doc_id"] for r in rows})) if fetch is not None else {}


def _also_at(row: dict, path: str, ctx: dict) -> dict:
    """The passage as it also appears at ``path``: the same text in that path's meeting (a passage with a date of its
    own, minutes of an earlier meeting, keeps it)."""
    own = row["meeting_date"] not in (None, row.get("doc_meeting_date"))
    out = _also(row)
    out.update(path=path, council=ctx.get("council") or row["council"], body=ctx.get("body") or row["body"])
    out["meeting_date"] = row["meeting_date"] if own else ctx.get("meeting_date")
    out["provenance"] = ctx.get("provenance") or {}
    return out


def citation(hit: dict) -> str:
    """One line a user can check: council · body · meeting date · item · page (· text from OCR) (· keyword match only)."""
    parts = [hit.get("council"), hit.get("body"), hit.get("meeting_date")]
    item = hit.get("item")
    if item:
        parts.append(item)
    if hit.get("page") is not None:
        pg = f"p. {hit['page']}" if hit.get("page_end") in (None, hit["page"]) else f"pp. {hit['page']}–{hit['page_end']}"
        if hit.get("printed_page") and str(hit["printed_page"]) != str(hit["page"]):
            pg += f" (printed page {hit['printed_page']})"
        parts.append(pg)
    if hit.get("ocr"):
        parts.append(OCR_MARK)
    if hit.get("has_vector") is False:
        parts.append(KEYWORD_ONLY_MARK)
    parts.append(doc_label(hit) if hit.get("path") or hit.get("title") else None)  # its title; the file's name if it has none
    return " · ".join(str(p) for p in parts if p)
