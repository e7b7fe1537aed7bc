"""Trace a topic across meetings: every meeting with at least one strong match (index/judge.py), oldest first.

Each meeting shows the agenda items its matches belong to, its best passages (a decision first when one matches) and
how many further passages match; the first and latest mention are the oldest and newest meetings with a strong match.
"""

from __future__ import annotations

from .hits import hit_from_row, public_hit
from .query import Filters, normalise_text
from .rank import CANDIDATES, POOL, judged_ranking
from .semantic import vector_flags


def _meeting_key(h: dict) -> tuple:
    return h.get("council"), h.get("body"), h.get("meeting_date")


def trace(index, topic: str, filters: Filters | None = None, embedder=None, per_meeting: int = 2, pool: int = POOL) -> dict:
    """{"topic", "meetings": [{"council", "body", "meeting_date", "items", "hits", "more", "passages", "decisions",
    "further": [...]}], "first_mention", "latest_mention", "notes"}; ``per_meeting`` <= 0 shows every match."""
    ranking, verdict = judged_ranking(index, topic, CANDIDATES, filters, "hybrid", embedder, pool=pool)
    rel = verdict.of()
    strong = [(r, rel[r]) for r, _ in ranking.fused if rel[r] >= verdict.threshold]
    pids = index.pid_of([r for r, _ in strong])
    found = index.store.passages_by_pid(pids)
    groups: dict[tuple, list[dict]] = {}
    seen_text: dict[tuple, set[str]] = {}
    has_vector = vector_flags(index, [r for r, _ in strong])
    for (_, p), pid, has in zip(strong, pids, has_vector):
        row = found.get(pid)
        if row is None:  # superseded since this generation was built
            continue
        h = public_hit(hit_from_row(row, p))  # found by keyword only while it has no vector (index/semantic.py)
        h.update(relevance=round(p, 4), match="strong", mode="hybrid" if has else "bm25", has_vector=bool(has))
        key = _meeting_key(h)
        norm = normalise_text(h["text"])
        if norm in seen_text.setdefault(key, set()):  # the same minutes printed in two packs: one passage
            continue
        seen_text[key].add(norm)
        groups.setdefault(key, []).append(h)
    meetings = []
    for (council, body, date), hs in groups.items():
        hs.sort(key=lambda x: -x["relevance"])
        # a matching decision leads, then the best passages
        lead = [next(x for x in hs if x["is_decision"])] if any(x["is_decision"] for x in hs) else []
        ordered = lead + [x for x in hs if x not in lead]
        shown = ordered if per_meeting <= 0 else ordered[:per_meeting]
        items = list(dict.fromkeys(x["item"] for x in hs if x.get("item")))
        meetings.append(
            {
                "council": council,
                "body": body,
                "meeting_date": date,
                "items": items,
                "hits": shown,
                "more": len(hs) - len(shown),
                "further": ordered[len(shown) :],
                "passages": len(hs),
                "decisions": sum(1 for x in hs if x["is_decision"]),
            }
        )
    meetings.sort(key=lambda m: (m["meeting_date"] is None, m["meeting_date"] or "", m["council"] or "", m["body"] or ""))
    dated = [m for m in meetings if m["meeting_date"]]

    def mention(m):
        if m is None:
            return None
        return {"council": m["council"], "body": m["body"], "meeting_date": m["meeting_date"], "hit": m["hits"][0]}

    return {
        "topic": topic,
        "meetings": meetings,
        "first_mention": mention(dated[0] if dated else None),
        "latest_mention": mention(dated[-1] if dated else None),
        "matches": sum(m["passages"] for m in meetings),
        "notes": [f"query expanded: {n}" for n in ranking.notes],
    }


def trace_rows(result: dict, all_passages: bool = False) -> list[dict]:
    """The trace as flat rows (one per shown passage, or every matching passage), meeting order kept: for CSV/JSONL."""
    out = []
    for m in result["meetings"]:
        hs = m["hits"] + (m["further"] if all_passages else [])
        for h in hs:
            out.append(
                {
                    **h,
                    "meeting_council": m["council"],
                    "meeting_body": m["body"],
                    "meeting": m["meeting_date"],
                    "meeting_items": "; ".join(m["items"]),
                    "meeting_passages": m["passages"],
                }
            )
    return out
