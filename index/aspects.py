"""The aspects of a trace topic: "Mental health - prevention, anti-stigma and discharge delays" is three topics that
share a head, and a meeting that speaks to one of them is on the timeline.

A scrutiny officer writes a trace topic as a list: a head and its aspects after a dash or colon ("Help to Live at Home
domiciliary care - from scrutiny review to launch and problems"), or a list of things ("shared care records, Summary
Care Record and digital roadmap across LLR"). Each evidence item of a labelled trace is one aspect at one meeting, and
the judge, asked about the whole list, finds a passage about one aspect only partly about the query. ``aspects`` splits
the topic at commas, "and", "or", "from ... to" (the head put before each part after a dash or colon); a part with
fewer than MIN_TERMS content words on its own ("LLR", "budgets", "the boards") is a place or a word, not a topic, and
is left out, and so is a part that is one of the index's bodies ("Health and Wellbeing Board": where, not what), whose
"and" is never split. Trace judges each aspect as its own query; a passage strong for one of them, and related to the
whole topic at least ASPECT_FLOOR, is a match (``aspect_relevance``).

Labelled trace queries (docs/BENCHMARKS.md, "Trace"), dev / Leicester / Kent, evidence covered by the passages shown:
0.458 / 0.386 / 0.475 -> 0.467 / 0.503 / 0.469, by every match 0.600 / 0.581 / 0.637 -> 0.633 / 0.731 / 0.637;
meetings shown that discuss the topic 0.812 / 0.903 / 1.000 -> 0.845 / 0.878 / 1.000 (with ``unframed``). Floors of
0.1 and 0.15 let in meetings that do not (dev 0.739, 0.778); 0.3 (strong already) changes nothing.
"""

from __future__ import annotations

import re

from .tokenize import tokenize_query

MIN_TERMS = 2  # content words a part needs to be an aspect (1 after a head: "Mental health - prevention")
ASPECT_FLOOR = 0.2  # relevance to the whole topic a passage needs before an aspect can make it a match
_HEAD = re.compile(r"\s(?:-|–|—|:)\s|:\s")
# "from A to B" is a progression of two aspects; "2015 to 2017" is a period, and "from hospital" alone a phrase
_SPLIT = re.compile(r",|;|\?|\band\b|\bor\b|\bfrom\b(?=.*\bto\b)|(?<!\d\d )\bto\b(?! \d\d)|\bacross\b|\bincluding\b", re.IGNORECASE)
_FRAMING = re.compile(
    r"\b(?:what\s+(?:has|have)\s+been\s+(?:reported|said|discussed|decided)|how\s+(?:has|have)\s+(?:the\s+picture|it|this|things)\s+"
    r"changed|across\s+the\s+(?:papers|boards|meetings|committees|year)|over\s+time)\b",
    re.IGNORECASE,
)
_KEEP = "\x00"  # stands for "and" inside a name the glossary spells out ("child and adolescent mental health")


def unframed(topic: str) -> str:
    """The topic without the words that ask for a timeline ("what has been reported across the boards", "how has the
    picture changed", "across the papers"): the trace is that timeline, and a passage need not say them."""
    out = re.sub(r"\s+", " ", _FRAMING.sub(" ", topic)).strip(" ?-–—:")
    return out if tokenize_query(out) else topic


def aspects(topic: str, glossary: dict[str, list[str]] | None = None, names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The aspects of ``unframed(topic)`` as queries (empty when it names one thing); "and" is not split where a long
    form of the glossary ("child and adolescent mental health") or one of ``names`` (the index's bodies: "Health and
    Wellbeing Board", "Adults and Communities Overview and Scrutiny Committee") has it."""
    topic = unframed(topic)
    spelled = [e for exps in (glossary or {}).values() for e in exps] + list(names)
    pairs = {m.lower() for e in spelled for m in re.findall(r"\w+ and \w+", e, re.I)}
    for pair in pairs:
        topic = re.sub(r"\b" + re.escape(pair) + r"\b", lambda m: re.sub(r"(?i)\band\b", _KEEP, m.group(0)), topic, flags=re.I)
    parts = _HEAD.split(topic, maxsplit=1)
    head, tail = (parts[0].strip(), parts[1]) if len(parts) == 2 else ("", topic)
    segs = [s.strip(" .") for s in _SPLIT.split(tail)]
    named = {frozenset(tokenize_query(n)) for n in names}  # a body alone is where, not what: no aspect
    segs = [s for s in segs if len(tokenize_query(s.replace(_KEEP, " "))) >= (1 if head else MIN_TERMS)]
    segs = [s for s in segs if frozenset(tokenize_query(s.replace(_KEEP, " and "))) not in named]
    if len(segs) < 2 and not (head and segs):
        return []
    return list(dict.fromkeys(f"{head} {s}".strip().replace(_KEEP, "and") for s in segs))


def aspect_relevance(parts: list[str], rel: dict[int, float], threshold: float, judge_query) -> tuple[dict[int, float], dict[int, str]]:
    """``rel`` (the topic's candidates and their relevance) raised, for a candidate strong for one of ``parts`` (the
    topic's ``aspects``), to its relevance to that aspect, provided it is related to the whole topic at least ASPECT_FLOOR: a
    passage about "final approval" of anything is not on the timeline of "2025-26 budget ... to final approval".
    ``judge_query(text)``: the judge's {row: relevance} for a query. Returns the new relevances and, for each raised
    row, the aspect that raised it."""
    out, via = dict(rel), {}
    for a in parts:
        for r, p in judge_query(a).items():
            if p >= threshold and rel.get(r, 0.0) >= ASPECT_FLOOR and p > out[r]:
                out[r], via[r] = p, a
    return out, via
