"""Example searches for the app's landing page, taken from the index itself, so they always have answers there.

The candidates are the long forms of the acronyms the papers define (the index's glossary: "Better Care Fund" for
BCF, "Delayed Transfers of Care" for DTOC): the papers' own names for their recurring subjects. A candidate that
names a council or body of the index, or a place in their names ("University Hospitals of Leicester" in Leicester's
papers), says more about who than what, and is left out. The rest are ranked by the meetings with an agenda item or
minute they title (a subject the meetings took up), then by the number of meetings whose papers use the phrase verbatim,
then by the passages that do; the first few that do not repeat each other's words are offered. Nothing is fitted or fixed per corpus: a new index gives its own examples.
"""

from __future__ import annotations

import re

import numpy as np

MIN_WORDS, MAX_WORDS = 2, 5
MIN_MEETINGS = 2  # a subject in one meeting's papers only is a poor first search
_WORD = re.compile(r"[^\W\d_]+")
_GENERIC = {"council", "city", "county", "borough", "district", "of", "and", "the"}


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def who_words(index) -> set[str]:
    """Words of the index's council and body names, less the generic ones (the places and the bodies' names)."""
    f = getattr(index, "facets", {}) or {}
    return {w for name in [*f.get("council", []), *f.get("body", [])] if name for w in _words(name)} - _GENERIC


def candidates(index) -> list[str]:
    """The glossary's long forms of MIN_WORDS..MAX_WORDS words that name neither a council, a body nor their place."""
    who = who_words(index)
    seen: dict[str, str] = {}
    for expansions in (getattr(index, "glossary", {}) or {}).values():
        for phrase in expansions[:1]:  # the first long form is the one the papers use most
            words = phrase.split()
            if not MIN_WORDS <= len(words) <= MAX_WORDS or not _WORD.search(phrase):
                continue
            if _words(phrase) & who:
                continue
            seen.setdefault(phrase.casefold(), phrase)
    return list(seen.values())


def agenda_subject(index, rows, phrase: str) -> int:
    """In how many meetings an agenda item (or minute) holding the phrase is titled with it: a subject the meetings
    took up, not a name mentioned in passing."""
    want = phrase.casefold()
    pids = [int(p) for p in index.pid_of(rows)]
    passages = index.store.passages_by_pid(pids)
    titled = [r for r, pid in zip(rows, pids) if want in str((passages.get(pid) or {}).get("item") or "").casefold()]
    return len(set(index.meeting_keys(np.asarray(titled, dtype=rows.dtype)))) if titled else 0


def example_queries(index, n: int = 4) -> list[str]:
    """Up to ``n`` searches with matches in many meetings of ``index`` (see the module's docstring)."""
    scored = []
    for phrase in candidates(index):
        rows = np.flatnonzero(index.phrase_mask([phrase], None))
        if rows.size == 0:
            continue
        meetings = len(set(index.meeting_keys(rows)))
        if meetings >= MIN_MEETINGS:
            scored.append((agenda_subject(index, rows, phrase), meetings, int(rows.size), phrase))
    scored.sort(key=lambda s: (-s[0], -s[1], -s[2], s[3]))
    picked: list[str] = []
    for *_, phrase in scored:
        words = _words(phrase)
        if any(len(words & _words(p)) * 2 >= min(len(words), len(_words(p))) for p in picked):
            continue  # "Better Care Fund" is enough: not "Improved Better Care Fund" too
        picked.append(phrase)
        if len(picked) == n:
            break
    return picked
