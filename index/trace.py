"""Trace a topic across meetings: every meeting whose passages are really about the topic, in date order."""
from __future__ import annotations

from .answer import _embedder_for, _public, dense_similarities
from .search import Filters
from .glossary import expand_query
from .tokenize import tokenize_query

# relevance floor (measured over the demo corpus, docs/ANSWERS.md): a hit counts when the topic and the passage
# are close in embedding space, or the passage holds most of the topic's terms and is still reasonably close.
DENSE_FLOOR = 0.45
OVERLAP_FLOOR = 0.75
DENSE_WITH_OVERLAP = 0.30


def _relevant(dense: float, overlap: float) -> bool:
    return dense >= DENSE_FLOOR or (overlap >= OVERLAP_FLOOR and dense >= DENSE_WITH_OVERLAP)


DEPTH = 3000  # fused candidates scanned for meetings; a long report must not crowd out the other meetings


def _per_meeting_candidates(index, topic: str, filters: Filters | None, embedder, per_meeting: int) -> tuple[list[dict], list[str]]:
    """The best few fused hits of every meeting among the top DEPTH rows (grouped before materialising)."""
    from .search import _hit, rank

    fused, notes = rank(index, topic, DEPTH, filters, "hybrid", embedder)
    taken: dict[tuple, int] = {}
    rows: list[tuple[int, float]] = []
    for (i, score), key in zip(fused, index.meeting_keys([i for i, _ in fused])):
        if taken.get(key, 0) < 3 * per_meeting:
            taken[key] = taken.get(key, 0) + 1
            rows.append((i, score))
    pids = index.pid_of([i for i, _ in rows])
    found = index.store.passages_by_pid(pids)
    hits = [_hit(found[pid], sc) for (i, sc), pid in zip(rows, pids) if pid in found]
    return hits, notes


def trace(index, topic: str, filters: Filters | None = None, embedder=None, per_meeting: int = 2, k: int = 200) -> dict:
    embedder = _embedder_for(index, embedder)
    hits, expansion_notes = _per_meeting_candidates(index, topic, filters, embedder, per_meeting)
    qvec = embedder.encode_query(topic)
    dense = dense_similarities(index, hits, qvec, embedder)
    terms = set(tokenize_query(topic))
    # the topic's other spelling from the papers' glossary counts as a mention ('BCF' for 'Better Care Fund')
    extra, _ = expand_query(topic, index.glossary)
    forms = [t for t in [terms, *(set(tokenize_query(e)) for e in extra)] if t]
    groups: dict[tuple, list[dict]] = {}
    for h, d in zip(hits, dense):
        words = set(tokenize_query(h["text"]))
        ov = max((len(f & words) / len(f) for f in forms), default=0.0)
        if not _relevant(d, ov):
            continue
        hh = _public(h)
        hh["relevance"] = round(d, 4)
        groups.setdefault((h.get("council"), h.get("body"), h.get("meeting_date")), []).append(hh)
    meetings = []
    for (council, body, date), gh in groups.items():
        gh.sort(key=lambda x: -x["relevance"])
        meetings.append({"council": council, "body": body, "meeting_date": date, "hits": gh[:per_meeting],
                         "decisions": sum(1 for x in gh if x["is_decision"]), "passages": len(gh)})
    meetings.sort(key=lambda m: (m["meeting_date"] is None, m["meeting_date"] or "", m["council"] or "", m["body"] or ""))
    dated = [m for m in meetings if m["meeting_date"]]
    first = dated[0] if dated else None
    last = dated[-1] if dated else None

    def mention(m):
        if m is None:
            return None
        return {"council": m["council"], "body": m["body"], "meeting_date": m["meeting_date"], "hit": m["hits"][0]}

    return {"topic": topic, "meetings": meetings, "first_mention": mention(first), "latest_mention": mention(last),
            "notes": [f"query expanded: {n}" for n in expansion_notes]}
