"""The part of a passage a text listing shows: where the query's words are, not always its first lines.

A passage is up to ~200 words and a terminal listing shows about 300-400 characters of it. Shown from its start, a
match whose query words sit in the last lines ("... b) The Council was now performing well nationally in relation to
reducing the delays in the transfer of care from hospital to social care.") reads as unrelated to the query. So the
excerpt is the stretch of the passage, at most ``width`` characters, that holds the most of the query's distinct
terms (BM25's stemmed terms: "delayed transfers" finds "delays in the transfer"), started at a sentence where one
begins inside it, with "…" where text is left out. A passage none of whose words are the query's (found by meaning
alone) is shown from its start.
"""

from __future__ import annotations

import re

from .tokenize import tokenize, tokenize_query
from .wording import query_variants

_SENTENCE_END = re.compile(r"[.!?:;]['’\")\]]*$")


def _fit(lengths: list[int], start: int, width: int) -> int:
    """The end of the longest word range from ``start`` that fits in ``width`` characters (at least one word)."""
    end, size = start, -1
    while end < len(lengths) and size + 1 + lengths[end] <= width:
        size += 1 + lengths[end]
        end += 1
    return max(end, start + 1)


def _found(hits: list[set[str]], start: int, end: int) -> int:
    return len(set().union(*hits[start:end]))


def excerpt(text: str, query: str, width: int = 400) -> str:
    """At most ``width`` characters of ``text`` (whitespace folded), around the query's terms; "…" marks cuts."""
    flat = " ".join((text or "").split())
    if len(flat) <= width:
        return flat
    words = flat.split(" ")
    lengths = [len(w) for w in words]
    wanted = set(tokenize_query(" ".join([query or "", *query_variants(query or "")])))  # and its other words
    hits = [set(tokenize(w)) & wanted if wanted else set() for w in words]
    room = width - 2  # the two "…"
    best, key = 0, (_found(hits, 0, _fit(lengths, 0, room)), 0)
    for start in range(1, len(words)):
        if hits[start]:  # the best window starts on a query term: the most terms, then the tightest cluster of them
            end = _fit(lengths, start, room)
            last = max(i for i in range(start, end) if hits[i])
            k = (_found(hits, start, end), start - last)
            if k > key:
                best, key = start, k
    if key[0] and best:
        # begin at the start of the sentence holding the first term, when the terms stay in view
        for i in range(best, max(0, best - 40), -1):
            if i == 0 or _SENTENCE_END.search(words[i - 1]):
                if _found(hits, i, _fit(lengths, i, room)) >= key[0]:
                    best = i
                break
    end = _fit(lengths, best, room)
    while best and end == len(words) and sum(lengths[best - 1 : end]) + (end - best) <= room:
        best -= 1  # the window reaches the passage's end: fill the room with what comes before
    return ("…" if best else "") + " ".join(words[best:end]) + ("…" if end < len(words) else "")
