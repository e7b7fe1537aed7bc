"""Passages next to an answer's hits, read when they complete it: the passage after a top hit (a report's point often
runs on), the passage before a hit that opens inside a table (for a fact question: the table's heads and the text
that introduces it, "The BCF expenditure plan totals £52m ..."), each quoted only when the judge finds it a strong
match too; and a quoted table row's column heads and unit, read above it (index/facts.py).

A passage that a hit's last words introduce ("the Scrutiny Committee unanimously agreed the following motion:",
"Cabinet is asked to (i) NOTE ...; (ii) NOTE ...; and,") completes that hit: the motion or the last recommendation was
cut off by the passage boundary. It is read as part of the hit, as a decision block is read as part of its minute: a
strong match whenever the hit is one, as close to the question as the hit (``introduced_by``)."""

from __future__ import annotations

import re

from .facts import ROW, row_lines, show_row, table_heads
from .hits import hit_from_row
from .judge import judge

CONTINUATIONS = 3  # the passage after each of the top hits is read too
# a passage's last words introduce the next passage: a colon ('the following motion:'), a list item left open ('...; and,'
# '...;'), or a sentence that stops before its object ('Cabinet is asked to')
_INTRODUCES = re.compile(r"(?::|;|\b(?:and|or),?|\b(?:is|are|was|were) (?:asked|invited|recommended) to)\s*$", re.I)


def introduces_next(text: str) -> bool:
    """Do the passage's last words introduce what the next passage holds (see module doc)?"""
    return bool(_INTRODUCES.search(text))


def introduced_by(hits: list[dict]) -> dict[int, int]:
    """{j: i} for each hit j that is the passage after hit i (same document and item) whose last words introduce it."""
    at = {(h.get("doc_id"), h.get("seq")): i for i, h in enumerate(hits) if h.get("seq") is not None}
    out = {}
    for j, h in enumerate(hits):
        i = at.get((h.get("doc_id"), int(h["seq"]) - 1)) if h.get("seq") is not None else None
        if i is not None and hits[i].get("item") == h.get("item") and introduces_next(hits[i]["text"]):
            out[j] = i
    return out


def _opens_in_table(text: str) -> bool:
    """The passage starts inside a table: a row among its first three lines."""
    head = "\n".join(text.split("\n")[:3])
    return bool(row_lines(head))


def continuations(index, hits: list[dict], res, fact: bool = False) -> list[dict]:
    """The next passage of the same document and item for the top hits and for any hit whose last words introduce it
    and, for a fact question, the passage before any hit that opens inside a table (neither already among the hits),
    when the judge finds it a strong match too (an answer quotes matches only) or a hit introduces it (it completes a
    strong match: module doc)."""
    have = {h["passage_id"] for h in hits}
    extra = []
    nexts = [h for i, h in enumerate(hits) if i < CONTINUATIONS or introduces_next(h["text"])]
    wanted = [(h, 1) for h in nexts] + [(h, -1) for h in hits if fact and _opens_in_table(h["text"])]
    for h, step in wanted:
        if h.get("seq") is None:
            continue
        row = index.store.passage_at(h["doc_id"], int(h["seq"]) + step)
        if row is not None and row["passage_id"] not in have and row.get("item") == h.get("item"):
            have.add(row["passage_id"])
            extra.append(hit_from_row(row, 0.0))
    if not extra:
        return []
    rows = index.rows_for_passage_ids([h["passage_id"] for h in hits + extra])
    known = [(h, r) for h, r in zip(hits + extra, rows) if r is not None]
    verdict = judge(index, [r for _, r in known], res.query_text, res.qvec)
    strong = {h["passage_id"]: float(p) for (h, _), p in zip(known, verdict.relevance) if p >= verdict.threshold}
    for j, i in introduced_by(hits + extra).items():  # completes a strong match: as relevant as the hit it completes
        if i < len(hits) <= j:
            pid = extra[j - len(hits)]["passage_id"]
            strong[pid] = max(strong.get(pid, 0.0), float(hits[i].get("relevance") or 0.0))
    out = []
    for h in extra:
        if h["passage_id"] in strong:
            h["match"], h["relevance"] = "strong", round(strong[h["passage_id"]], 4)
            out.append(h)
    return out


def row_heads(index, c: dict, hits: list[dict], before: dict[str, str]) -> tuple[list[str], str | None]:
    """The column heads and unit of a candidate that is one table row (a label and its cells), read above it in its
    passage or, when none are there, in the passage before (``before``: the texts already read, by passage id).
    ([], None) for anything else."""
    m = ROW.match(c["quote"]) if "\n" not in c["quote"] else None
    if m is None:
        return [], None
    h = hits[c["hit"]]
    cells = len(m.group("cells").split())
    above = h["text"][: c["start"]]
    heads, unit = table_heads(above, cells)
    if not heads and not unit and h.get("seq") is not None:
        if h["passage_id"] not in before:
            prev = index.store.passage_at(h["doc_id"], int(h["seq"]) - 1)
            before[h["passage_id"]] = prev["text"] if prev is not None and prev.get("item") == h.get("item") else ""
        heads, unit = table_heads(before[h["passage_id"]] + "\n" + above, cells)
    return heads, unit


def describe_rows(index, chosen: list[dict], hits: list[dict]) -> None:
    """Give each chosen table row its column heads and unit (``row_heads``, unless the scoring already read them):
    ``c["shown"]`` ('Total BCF Funding: 52,120 (2017/18, £000); 55,993 (2018/19, £000)'), ``c["heads"]``, ``c["unit"]``."""
    before: dict[str, str] = {}
    for c in chosen:
        if "heads" not in c:
            c["heads"], c["unit"] = row_heads(index, c, hits, before)
        if c["heads"] or c["unit"]:
            c["shown"] = show_row(c["quote"], c["heads"], c["unit"])
