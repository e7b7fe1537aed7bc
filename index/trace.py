"""Trace a topic across meetings: every meeting with at least one strong match (index/judge.py), oldest first.

Each meeting shows the agenda items its matches belong to, a few of its passages (the decisions among them first) and
how many further passages match; the first and latest mention are the oldest and newest meetings with a strong
match.

Which passages a meeting shows (``show_counts``, ``spread``): a trace query names an issue with several aspects ("mental
health - prevention, anti-stigma and discharge delays") and each meeting speaks to one or two of them, often in a long
plan printed in the pack whose paragraphs all match. The best passages by relevance then repeat one aspect of one
document. So the shown ones are picked greedily: first the one search lists first of the meeting (``judged_order``: a
matching decision block carries its minute's relevance, and a decision question lifts it), then each time the match with
the best relevance less its similarity to those already picked (maximal marginal relevance over the stored vectors),
with a small bonus for an agenda item not yet shown, and a lead for a passage that reads as the record of an event
(``event_prior``: a minute, the past tense, a date), as a timeline is what happened at each meeting; the decisions
picked are shown first. And the number shown: SHOW_TOTAL (ten) lines in all, each meeting its best and the rest down
search's order of the matches (``show_counts``), so the meetings search puts first show more; one each when there are
more meetings. Ten, because a reader takes in the first ten lines of a timeline, as a trace query is scored
(../shared/eval/README.md: "the share found in the top 10"), and a longer view put the first meetings' extra lines where
the later meetings' best ones belong; the rest are one click or `--all` away. A near copy of a passage already shown, at
this meeting or an earlier one, is shown last: packs reprint a plan, a motion as amended or the last meeting's minutes,
chunked at other places.
A timeline with fewer matching lines than that shows, in the lines left and marked as not matches, the passages of
its own meetings the judge found related (``related_at``), as search lists related passages below fewer than k matches:
a specific topic has a few matches, and what else its meetings said sits just under the threshold. They change no
meeting, count or mention, and the exports hold the matches only.
Labelled trace queries (docs/BENCHMARKS.md, "Judging relevance"), evidence among the passages shown, dev / Leicester /
Kent: 0.200 / 0.206 / 0.237 (two per meeting by relevance) -> 0.358 / 0.247 / 0.325 (about 10, MMR) -> 0.458 / 0.386 /
0.475 (about 20, MMR with the event prior) -> 0.467 / 0.558 / 0.494 (near copies last; with aspects). Its first ten
lines, over the seven labelled sets: 0.489 with about 20 shared evenly, against 0.536 for search's first ten; 0.573
with these ten, 0.597 with each meeting led by search's first of it rather than a decision or the best relevance +
event prior (dev 0.275 -> 0.417, Leicester 0.247 -> 0.528; docs/BENCHMARKS.md, "Trace: the first ten lines").
"""

from __future__ import annotations

import re

import numpy as np

from .aspects import aspect_relevance, aspects, unframed
from .hits import hit_from_row, public_hit
from .query import Filters, normalise_text
from .rank import CANDIDATES, POOL, judged_order, judged_ranking
from .semantic import vector_flags

SHOW_TOTAL = 10  # passages shown in all (each meeting shows one even past it); more sit behind "further" / --all
MMR_LAMBDA = 0.7  # weight of relevance against similarity to the passages already shown (0.5-0.7 measured alike)
COPY_COS = 0.95  # a passage this close to one already shown is a near copy (``spread``)
COPY_PENALTY = 10.0  # ... and comes after every other passage
NEW_ITEM_BONUS = 0.05  # added for an agenda item of a document not yet shown in the meeting
# A timeline is made of what happened: added for a passage that reads as a record of an event (``event_prior``)
MINUTES_BONUS = 0.2  # a minute's discussion (not its decision block, which leads anyway when it matches)
PAST_BONUS = 0.2  # narrated in the past tense: "was", "were" or "had" ("It was reported that", "were approved")
DATE_BONUS = 0.1  # names a month or a year
# A timeline with fewer than SHOW_TOTAL matching lines shows, in the room left and marked as not matches, the passages
# of its own meetings that the judge found related at least RELATED_FLOOR (``related_at``): search does the same when it
# has fewer than k matches. A specific topic ("community wardens cuts and role") often has two or three matches, and
# the budget lines and plans that say the rest ("Review of Community Warden Service to deliver a £1m saving",
# relevance 0.22) sit just under the threshold at the same meeting.
RELATED_FLOOR = 0.1
RELATED_READ = 10  # related passages read for that: the first RELATED_READ * SHOW_TOTAL of the ranking
_PAST = re.compile(r"\b(?:was|were|had)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|(?:19|20)\d\d)\b")


def _meeting_key(h: dict) -> tuple:
    return h.get("council"), h.get("body"), h.get("meeting_date")


def show_counts(owners: list[int], meetings: int, total: int = SHOW_TOTAL) -> list[int]:
    """How many passages each of ``meetings`` meetings (in date order) shows. ``owners``: the meeting of each match,
    in the order search lists them (``judged_order``). Each meeting shows its best; the lines left go down that order,
    a meeting showing one more each time another match of its comes next, until ``total`` are shown: a meeting whose
    matches search puts near the top shows more of them than one whose only match is far down."""
    n = [0] * meetings
    for m in owners:
        n[m] = 1
    seen: set[int] = set()
    for m in owners:
        if sum(n) >= total:
            break
        if m in seen:
            n[m] += 1
        seen.add(m)
    return n


def event_prior(h: dict) -> float:
    """How much a passage reads as the record of an event at a meeting, in relevance units: the minute of a
    discussion (MINUTES_BONUS), a past-tense narration (PAST_BONUS), a month or year named (DATE_BONUS). The labelled
    trace evidence is such statements ("It was reported that Healthwatch Leicestershire had exceeded ...", "The
    Business Plans were approved at a joint meeting of the Boards on 17th April 2015"); what crowds them out is a
    plan's forward-looking paragraphs and its tables."""
    text = h.get("text") or ""
    minute = h.get("doc_type") == "minutes" and not h.get("is_decision")
    return MINUTES_BONUS * minute + PAST_BONUS * bool(_PAST.search(text)) + DATE_BONUS * bool(_DATE.search(text))


def spread(hits: list[dict], vectors: np.ndarray, k: int, shown: np.ndarray | None = None) -> list[int]:
    """Indices of the ``k`` of ``hits`` (in search's order) to show: the first that is no near copy (what search would
    list first of this meeting), then each time the one with the best MMR_LAMBDA * relevance
    - (1 - MMR_LAMBDA) * (highest cosine with a picked one) + ``event_prior``, NEW_ITEM_BONUS added for an agenda item
    not picked yet. ``vectors``: the passages' stored vectors (zero: none). A near copy (cosine >= COPY_COS) of a
    passage picked, or of one in ``shown`` (unit vectors shown at earlier meetings of the trace), comes after every
    other: packs reprint a plan, a motion or the last meeting's minutes, and a timeline shows what is new."""
    if k <= 0 or not hits:
        return []
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    rel = np.array([h["relevance"] for h in hits], dtype=np.float64)
    items = [(h["doc_id"], h.get("item")) for h in hits]
    prior = np.array([event_prior(h) for h in hits])
    before = (unit @ shown.T).max(1) if shown is not None and len(shown) else np.zeros(len(hits))
    copy = before >= COPY_COS
    lead = int(np.argmin(copy))  # the first in search's order that is not a near copy (all copies: the first)
    picked = [lead]
    closest = np.maximum(before, unit @ unit[lead])  # each passage's highest similarity with a picked one
    while len(picked) < min(k, len(hits)):
        seen = {items[i] for i in picked}
        new_item = np.array([it not in seen for it in items])
        score = MMR_LAMBDA * rel - (1 - MMR_LAMBDA) * closest + NEW_ITEM_BONUS * new_item + prior
        score -= COPY_PENALTY * (closest >= COPY_COS)
        score[picked] = -np.inf
        best = int(np.argmax(score))
        picked.append(best)
        closest = np.maximum(closest, unit @ unit[best])
    return picked


def _groups(
    index, strong: list[tuple[int, float]], via: dict[int, str], match: str = "strong", seen_text: dict[tuple, set[str]] | None = None
) -> dict[tuple, list[tuple[int, dict]]]:
    """The strong matches (or, ``match`` "related", the related passages) as (row, hit) per meeting, in the order of
    ``strong`` (for the matches: search's order, ``judged_order``); the same text twice in a meeting (its minutes
    printed in two packs) once. ``via``: the aspect of the topic that made a row a match (index/aspects.py).
    ``seen_text``: the normalised texts of each meeting already grouped (filled in)."""
    pids = index.pid_of([r for r, _ in strong])
    found = index.store.passages_by_pid(pids)
    groups: dict[tuple, list[tuple[int, dict]]] = {}
    seen_text = {} if seen_text is None else seen_text
    has_vector = vector_flags(index, [r for r, _ in strong])
    for (r, p), pid, has in zip(strong, pids, has_vector):
        row = found.get(pid)
        if row is None:  # superseded since this generation was built
            continue
        h = public_hit(hit_from_row(row, p))  # found by keyword only while it has no vector (index/semantic.py)
        h.update(relevance=round(p, 4), match=match, mode="hybrid" if has else "bm25", has_vector=bool(has))
        if r in via:
            h["aspect"] = via[r]
        key = _meeting_key(h)
        norm = normalise_text(h["text"])
        if norm in seen_text.setdefault(key, set()):
            continue
        seen_text[key].add(norm)
        groups.setdefault(key, []).append((r, h))
    return groups


def _meeting(index, key: tuple, group: list[tuple[int, dict]], k: int, shown: list[np.ndarray] | None) -> dict:
    """One meeting of the trace: ``k`` passages shown (``spread``; all when ``k`` covers them), the rest ``further``.
    ``shown``: the unit vectors of the passages shown at the meetings before, this meeting's added (None: every
    meeting shows all its matches, nothing is chosen)."""
    hs = [h for _, h in group]
    chosen = list(range(len(hs)))
    if shown is not None:
        vecs = np.asarray(index.vectors_at([r for r, _ in group]), dtype=np.float64)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
        if 0 < k < len(hs):
            chosen = spread(hs, vecs, k, np.vstack(shown) if shown else None)
        shown.extend(vecs[chosen])
    if shown is not None:  # the decisions shown first, then as picked (every match: search's order)
        chosen = sorted(chosen, key=lambda i: not hs[i]["is_decision"])
    rest = sorted(set(range(len(hs))) - set(chosen))
    council, body, date = key
    return {
        "council": council,
        "body": body,
        "meeting_date": date,
        "items": list(dict.fromkeys(x["item"] for x in hs if x.get("item"))),
        "hits": [hs[i] for i in chosen],
        "more": len(rest),
        "further": [hs[i] for i in rest],
        "related": [],  # filled by ``related_at`` on a short timeline
        "passages": len(hs),
        "decisions": sum(1 for x in hs if x["is_decision"]),
    }


def trace(index, topic: str, filters: Filters | None = None, embedder=None, per_meeting: int | None = None, pool: int = POOL) -> dict:
    """{"topic", "meetings": [{"council", "body", "meeting_date", "items", "hits", "more", "passages", "decisions",
    "further": [...], "related": [...]}], "first_mention", "latest_mention", "notes"}. ``per_meeting``: None shows about SHOW_TOTAL
    passages in all (``show_counts``) and, on a short timeline, related passages of its meetings (``related_at``);
    N > 0 up to N per meeting, <= 0 every match (neither with related passages)."""
    query = unframed(topic)  # "what has been reported across the boards" asks for the timeline, not for those words
    ranking, verdict = judged_ranking(index, query, CANDIDATES, filters, "hybrid", embedder, pool=pool)

    def judge_query(text: str) -> dict[int, float]:
        return judged_ranking(index, text, CANDIDATES, filters, "hybrid", embedder, pool=pool)[1].of()

    parts = aspects(topic, index.glossary, (index.facets or {}).get("body") or ())
    rel, via = aspect_relevance(parts, verdict.of(), verdict.threshold, judge_query)
    strong = [(r, rel[r]) for r, _ in judged_order(ranking.fused, rel, verdict.threshold)[0]]  # search's order
    seen_text: dict[tuple, set[str]] = {}
    groups = _groups(index, strong, via, seen_text=seen_text)
    keys = sorted(groups, key=lambda k: (k[2] is None, k[2] or "", k[0] or "", k[1] or ""))  # date order
    sizes = [len(groups[k]) for k in keys]
    if per_meeting is None:
        place = {r: i for i, k in enumerate(keys) for r, _ in groups[k]}
        counts = show_counts([place[r] for r, _ in strong if r in place], len(keys))
    else:
        counts = [s if per_meeting <= 0 else min(per_meeting, s) for s in sizes]
    shown: list[np.ndarray] | None = None if per_meeting is not None and per_meeting <= 0 else []  # oldest meeting first
    meetings = [_meeting(index, k, groups[k], n, shown) for k, n in zip(keys, counts)]
    if per_meeting is None:
        room = SHOW_TOTAL - sum(len(m["hits"]) for m in meetings)
        near = [(r, rel[r]) for r, _ in ranking.fused if RELATED_FLOOR <= rel[r] < verdict.threshold]
        related_at(index, meetings, near, room, seen_text)
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
        "aspects": parts,
        "notes": [f"query expanded: {n}" for n in ranking.notes] + ([f"also judged by aspect: {'; '.join(parts)}"] if parts else []),
    }


def related_at(index, meetings: list[dict], near: list[tuple[int, float]], room: int, seen_text: dict[tuple, set[str]]) -> None:
    """Give each meeting its ``related`` passages: of ``near`` (related (row, relevance) pairs, in the ranking's order),
    the first ``room`` that belong to a meeting of the timeline and are not the text of one of its matches, each
    meeting's in the ranking's order. None when there is no room: the timeline's meetings are those with a strong
    match, and what is related only fills the lines their matches leave."""
    if room <= 0 or not meetings or not near:
        return
    near = near[: RELATED_READ * SHOW_TOTAL]
    at = {_meeting_key(m): m for m in meetings}
    place = {r: n for n, (r, _) in enumerate(near)}
    groups = _groups(index, near, {}, match="related", seen_text=seen_text)
    found = sorted(((place[r], key, h) for key, group in groups.items() if key in at for r, h in group), key=lambda x: x[0])
    for _, key, h in found[:room]:
        at[key]["related"].append(h)


def trace_rows(result: dict, all_passages: bool = False) -> list[dict]:
    """The trace as flat rows for CSV / JSONL: the timeline's lines, meetings in date order (``shown`` true), then,
    with ``all_passages``, every other match, meeting by meeting (``shown`` false): the first rows of an export are
    what the trace shows, the rest the complete list."""
    out = []
    for shown in (True, False) if all_passages else (True,):
        for m in result["meetings"]:
            for h in m["hits"] if shown else m["further"]:
                out.append(
                    {
                        **h,
                        "meeting_council": m["council"],
                        "meeting_body": m["body"],
                        "meeting": m["meeting_date"],
                        "meeting_items": "; ".join(m["items"]),
                        "meeting_passages": m["passages"],
                        "shown": shown,
                    }
                )
    return out
