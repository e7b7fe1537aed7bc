"""A plural's possessive names a kind of thing: "children's centres", "older people's residential care", "members'
allowances". Unlike a singular owner's ("the council's review", "next year's budget"), the two words are one name, and
a passage holding "children" and "centre" apart ("the Children in Care Council", "the Health and Social Care
Information Centre") is not about children's centres. The judge (index/judge.py ``concepts``) counts the second word
of such a pair as present only where the papers write the two together (``written_together``), with or without the
apostrophe, a dash or a colon at most between them ("Older People - Residential Care" in a budget table).
Measured in docs/BENCHMARKS.md ("Descriptive possessives").
"""

from __future__ import annotations

import re

import numpy as np

from .tokenize import tokenize_query

# an irregular plural's "'s" (any case: "Children's Social Care") or a regular plural's apostrophe (lower case:
# "members' allowances", not an acronym's plural owning something, "the HOSCs' scrutiny"), then the next word
_COMPOUND = re.compile(r"\b((?i:children|people|women|men)['’]s|[a-z]+s['’])\s+([A-Za-z]+)")


def compound_heads(query_text: str) -> dict[str, str]:
    """{the second word's term: the first word, lower case and without its apostrophe} for each descriptive
    possessive of the query ("children's centres" -> {"centr": "children"})."""
    out = {}
    for m in _COMPOUND.finditer(query_text):
        owner, head = tokenize_query(m.group(1)), tokenize_query(m.group(2))
        if len(owner) == 1 and len(head) == 1:
            out[head[0]] = re.sub(r"['’]s?$", "", m.group(1).lower())
    return out


def written_together(index, rows: np.ndarray, mask: np.ndarray, owner: str, heads: set[str]) -> np.ndarray:
    """Which of ``rows`` write the word ``owner`` (its possessive or plain) just before a word whose term is one of
    ``heads`` (the second word's term and its other spellings):
    "Children's Centres", "children’s centre services", "Older People - Residential Care". Only the rows under
    ``mask`` that hold ``owner``'s term are read (a passage lacking a word cannot hold the pair)."""
    out = np.zeros(len(rows), dtype=bool)
    owner_terms = tokenize_query(owner)
    if len(owner_terms) != 1:
        return out
    posting = index.term_rows(owner_terms).get(owner_terms[0])
    at = np.flatnonzero(mask & np.isin(rows, posting if posting is not None else []))
    if not len(at):
        return out
    pids = index.pid_of(rows[at])
    got = index.store.passages_by_pid(pids)
    pattern = re.compile(rf"\b{re.escape(owner)}(?:['’]s|s['’]|s|['’])?[\s\-–—:/]+([A-Za-z]+)", re.IGNORECASE)
    for i, pid in zip(at, pids):
        text = (got.get(pid) or {}).get("text") or ""
        out[i] = any(len(t := tokenize_query(m.group(1))) == 1 and t[0] in heads for m in pattern.finditer(text))
    return out
