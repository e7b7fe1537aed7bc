"""Passages next to an answer's hits, read when they complete it: the passage after a top hit (a report's point often
runs on), the passage before a hit that opens inside a table (for a fact question: the table's heads and the text
that introduces it, "The BCF expenditure plan totals £52m ..."), each quoted only when the judge finds it a strong
match too; and a quoted table row's column heads and unit, read above it (index/facts.py)."""

from __future__ import annotations

from .facts import ROW, row_lines, show_row, table_heads
from .hits import hit_from_row
from .judge import judge

CONTINUATIONS = 3  # the passage after each of the top hits is read too


def _opens_in_table(text: str) -> bool:
    """The passage starts inside a table: a row among its first three lines."""
    head = "\n".join(text.split("\n")[:3])
    return bool(row_lines(head))


def continuations(index, hits: list[dict], res, fact: bool = False) -> list[dict]:
    """The next passage of the same document and item for the top hits and, for a fact question, the passage before
    any hit that opens inside a table (neither already among the hits), when the judge finds it a strong match too: an
    answer quotes matches only."""
    have = {h["passage_id"] for h in hits}
    extra = []
    wanted = [(h, 1) for h in hits[:CONTINUATIONS]] + [(h, -1) for h in hits if fact and _opens_in_table(h["text"])]
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
