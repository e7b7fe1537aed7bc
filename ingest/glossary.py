"""Acronyms the papers define ("Delayed Transfers of Care (DTOC)"), mined from a document's text at ingest
(index/glossary.py expands queries with them)."""

from __future__ import annotations

import re

_SMALL = {"of", "and", "the", "for", "in", "on", "to", "a", "&", "at", "by", "with"}
# "Long Form Words (ACR)": the parenthesised acronym is found first, then up to 12 words before it (one pattern doing
# both tried 12 words ahead at every position of the text: a quarter of all parsing time on council packs)
_PAREN_ACR = re.compile(r"\(\s*([A-Z][A-Za-z&]{1,9})\s*\)")
_WORDS_BEFORE = re.compile(r"(?:[A-Za-z][\w'’\-]*[,]?\s+){1,12}$")
_WINDOW = 12 * 64  # characters looked back from an acronym for its words
ACR_LONG = re.compile(r"\b([A-Z][A-Z&]{1,9}s?)\s*\(\s*([A-Z][A-Za-z'’\-]*(?:[,]?\s+[A-Za-z][\w'’\-]*){1,10})\s*\)")
STOP_ACRONYMS = {"AND", "THE", "FOR", "NOT", "ALL", "ANY", "ARE", "WAS", "HAS", "ITS", "OUR", "ONE", "TWO", "NEW", "NHS"}


def _letters(acr: str) -> str:
    return "".join(c for c in acr if c.isalpha() and c.isupper()) or acr.upper()


def initials_match(words: list[str], acr: str) -> list[str] | None:
    """The shortest tail of ``words`` whose initials spell the acronym (small words optional)."""
    target = _letters(acr).lower()
    if len(target) < 2:
        return None
    for n in range(1, min(len(words), len(target) + 4) + 1):
        tail = words[-n:]
        if tail[0].lower() in _SMALL:
            continue
        full = "".join(w[0].lower() for w in tail if w)
        content = "".join(w[0].lower() for w in tail if w and w.lower() not in _SMALL)
        # multi-letter initials like 'SEND' from 'Special Educational Needs and Disabilities' -> 'sendad' prefix
        if full == target or content == target:
            return tail
    return None


def mine(text: str) -> list[tuple[str, str]]:
    """(ACRONYM, expansion) pairs defined in ``text``."""
    found: dict[tuple[str, str], None] = {}
    flat = re.sub(r"\s+", " ", text)
    prev_end = 0
    for m in _PAREN_ACR.finditer(flat):
        acr = m.group(1)
        before = _WORDS_BEFORE.search(flat, max(prev_end, m.start() - _WINDOW), m.start())
        if before is None:
            continue
        prev_end = m.end()
        if acr.upper() in STOP_ACRONYMS or sum(c.isupper() for c in acr) < 2:
            continue
        words = [w.strip(",") for w in before.group(0).split()]
        tail = initials_match(words, acr)
        if tail:
            found[(acr, " ".join(tail))] = None
    for m in ACR_LONG.finditer(flat):
        acr = m.group(1)
        if acr.upper() in STOP_ACRONYMS:
            continue
        words = [w.strip(",") for w in m.group(2).split()]
        if initials_match(words, acr) == words:
            found[(acr, " ".join(words))] = None
    return list(found)
