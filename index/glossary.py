"""Query expansion with the glossary mined at ingest (ingest/glossary.py): acronyms the query uses get their
long forms, long forms it spells out get their acronyms. For an answer, an acronym no paper defines is spelled out by a
capitalised name in the passages read whose initials it is (``spelled_by_initials``); the judge reads the query's
acronyms so too (``initials_glossary``). A definition binds the paper that makes it: a defined acronym of the query
reads first a name with its initials that more of the passages using it hold (``query_glossary``: "KCP" is the Kent
Commissioning Plan in 27 of Kent's 28 passages, the "Kent Country Parks (KCP)" of one)."""

from __future__ import annotations

import re
import weakref
from collections import Counter

from boardpapers.ingest.glossary import STOP_ACRONYMS, initials_match

from .tokenize import tokenize_query


def acronym_words(query: str) -> set[str]:
    """The words of ``query`` that may stand for an acronym of the glossary: each written with a capital ("CAMHS",
    "PHBs", "DfE") and, in a query typed all in lower case ("camhs waiting times"), each of three letters or more. A
    query that writes a capital anywhere after its first letter ("how do I get on the housing list", "did Essex get
    onto the programme") uses capitals for its names and acronyms, so its lower-case words are words: "get" there is
    not Kent's GET (Growth, Environment and Transport), nor "send" SEND."""
    words = re.findall(r"[A-Za-z&]+", query)
    cased = any(c.isupper() for c in query.lstrip()[1:])
    return {w for w in words if not w.islower() or (not cased and len(w) > 2)}


def expand_query(query: str, glossary: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Extra text for the query: expansions of acronyms it uses, and acronyms of long forms it spells out.

    Returns (extra_terms_for_bm25, notes) where notes read like 'DTOC = Delayed Transfers of Care'.
    """
    if not glossary:
        return [], []
    extra: list[str] = []
    notes: list[str] = []
    words = list(
        dict.fromkeys(re.findall(r"[A-Za-z&]+", query))
    )  # in query order: the notes (and the dense query) must not depend on set order
    lower_query = " " + re.sub(r"[^a-z0-9&]+", " ", query.lower()) + " "
    by_lower = {a.lower(): a for a in glossary}
    may_be = acronym_words(query)
    for w in words:
        acr = by_lower.get(w.lower())
        if acr is None or w not in may_be:
            continue
        exps = glossary[acr][:3]
        extra.extend(exps)
        notes.append(f"{acr} = {exps[0]}")
    for acr, exps in glossary.items():
        for e in exps:
            norm = " " + re.sub(r"[^a-z0-9&]+", " ", e.lower()).strip() + " "
            if len(norm) > 6 and norm in lower_query and acr.lower() not in words:
                extra.append(acr)
                notes.append(f"{acr} = {e}")
                break
    return extra, notes


# an acronym in a question ('KMWLP'), and a capitalised name ('Kent Minerals and Waste Local Plan': small words allowed)
QUESTION_ACRONYM = re.compile(r"\b[A-Z][A-Z&]{2,9}s?\b")
_LINKS = {"of", "and", "the", "for", "in", "on", "to", "&"}  # small words a name may have inside
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’\-]*(?:\s+(?:(?:of|and|the|for|in|on|to|&)\s+)?[A-Z][\w'’\-]*)+")


def unknown_acronyms(question: str, glossary: dict[str, list[str]] | None) -> list[str]:
    """The acronyms ``question`` uses that ``glossary`` lacks (bar words in capitals: "THE", "NHS")."""
    known = {a.casefold() for a in glossary or {}}
    return [a for a in dict.fromkeys(QUESTION_ACRONYM.findall(question)) if a.casefold() not in known and a.upper() not in STOP_ACRONYMS]


def spelled_by_initials(question: str, glossary: dict[str, list[str]], texts: list[str]) -> dict[str, list[str]]:
    """Acronyms the question uses that the glossary lacks, each with the capitalised names in ``texts`` whose initials
    spell it: a paper that writes 'Kent Minerals and Waste Local Plan 2024-39' in full may use 'KMWLP' pages later
    without ever defining it ('(KMWLP)' next to the name)."""
    out: dict[str, list[str]] = {}
    wanted = unknown_acronyms(question, glossary)
    runs = [m.group(0).split() for text in texts if wanted for m in _CAPITALISED_RUN.finditer(" ".join(text.split()))]
    initials = [{w[0].lower() for w in words} for words in runs]
    for acr in wanted:
        names: dict[str, str] = {}  # one of each name, however capitalised
        letters = {c.lower() for c in acr if c.isupper()}
        for words, first in zip(runs, initials):
            if not letters <= first:  # no name here can spell it
                continue
            for end in range(2, len(words) + 1):
                tail = initials_match(words[:end], acr)
                if not tail or len(tail) < 2 or tail[-1].lower() in _LINKS:  # not "... Committee and"
                    continue
                if "&" in acr and not _LINKS & {w.lower() for w in tail}:
                    continue  # "A&E" is "Accident and Emergency", not "Adult's Emergency"
                names.setdefault(" ".join(tail).casefold(), " ".join(tail))
        if names:
            out[acr] = list(names.values())[:3]
    return out


_WORD = re.compile(r"[A-Za-z][\w'’\-]*|&")


def defined_in(question: str) -> dict[str, list[str]]:
    """Acronyms the question itself spells out beside them, as a glossary: "integrated locality teams ILTs",
    "DTOC (delayed transfers of care)". The asker wrote one thing twice, so a passage that uses either form holds it."""
    words = _WORD.findall(question)
    out: dict[str, list[str]] = {}
    for i, w in enumerate(words):
        if not QUESTION_ACRONYM.fullmatch(w) or w.upper() in STOP_ACRONYMS:
            continue
        before = initials_match(words[max(0, i - 12) : i], w)
        after = next(
            (words[i + 1 : i + 1 + n] for n in range(2, 14) if initials_match(words[i + 1 : i + 1 + n], w) == words[i + 1 : i + 1 + n]),
            None,
        )
        long_form = before if before and len(before) >= 2 else after
        if long_form:
            out[w] = [" ".join(long_form)]
    return out


INITIALS_READ = 20  # candidates the judge reads for the names an unknown acronym of the query is the initials of


def initials_glossary(index, query_text: str) -> dict[str, list[str]]:
    """The index's glossary and, for each acronym of the query it lacks, the capitalised names whose initials spell it
    in the query's INITIALS_READ best passages by keywords (BM25 over its other words, unfiltered: the same however
    deep the ranking reads, whatever the filters): papers use "LDR" or "STF" without defining it in the papers indexed,
    and the judge would count the acronym as a word no passage holds."""
    glossary = query_glossary(index, query_text)
    if not unknown_acronyms(query_text, glossary):
        return glossary
    from .rank import rank  # ranking reads this module's expansions

    pids = index.pid_of([r for r, _ in rank(index, query_text, INITIALS_READ, None, "bm25").fused[:INITIALS_READ]])
    found = index.store.passages_by_pid(pids)
    texts = [found[p]["text"] for p in pids if p in found]
    return {**glossary, **spelled_by_initials(query_text, glossary, texts)}


ATTEST_READ = 60  # passages using a defined acronym read for the names the papers use it for
_ATTESTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # index -> {(acronym, its definitions): long forms}


def query_glossary(index, query_text: str) -> dict[str, list[str]]:
    """The index's glossary with each acronym the query uses given its long forms in the order the papers using it
    attest them (``attested``): Kent's papers define "Kent Country Parks (KCP)" once and use "KCP" 27 times more for
    the Kent Commissioning Plan, which none defines as "(KCP)"; "KCP school places" reads both, the Commissioning Plan
    first, and its note says so."""
    glossary = index.glossary or {}
    by_lower = {a.lower(): a for a in glossary}
    used = [by_lower[w.lower()] for w in acronym_words(query_text) if w.lower() in by_lower]
    if not used:
        return glossary
    return {**glossary, **{a: attested(index, a, glossary[a]) for a in dict.fromkeys(used)}}


def attested(index, acronym: str, defined: list[str]) -> list[str]:
    """``defined`` (an acronym's long forms as papers define it), after the capitalised names whose initials spell it
    that more of the ATTEST_READ first passages using it hold than hold any defined form (two at least): a definition
    binds the paper that makes it, and other papers may use the same letters for something else."""
    try:
        cache = _ATTESTED.setdefault(index, {})
    except TypeError:  # an index object that takes no weak reference: read each time
        cache = {}
    key = (acronym, tuple(defined), len(index))
    if key not in cache:
        cache[key] = _attested(index, acronym, defined)
    return cache[key]


def _attested(index, acronym: str, defined: list[str]) -> list[str]:
    terms = tokenize_query(acronym)
    rows = index.term_rows(terms).get(terms[0]) if len(terms) == 1 else None
    if rows is None or len(rows) < 2 or not QUESTION_ACRONYM.fullmatch(acronym):
        return defined
    found = index.store.passages_by_pid(index.pid_of(rows[:ATTEST_READ]))
    counts: Counter[str] = Counter()
    written: dict[str, str] = {}
    for p in found.values():
        for name in spelled_by_initials(acronym, {}, [p["text"]]).get(acronym, []):
            key = name.casefold()
            counts[key] += 1
            if key not in written or written[key].isupper():  # a heading's capitals only when nothing else writes it
                written[key] = name
    own = {e.casefold() for e in defined}
    best_defined = max((counts[e] for e in own), default=0)
    more = [written[n] for n, c in counts.most_common() if n not in own and c >= 2 and c > best_defined]
    return more[:2] + defined if more else defined
