"""Names a question asks about that no matching passage holds: "Medway Council council tax increase 2025-26" answered
from Kent's own council tax, "Family Hub opening times in Margate" from a budget table of every Family Hub.

The judge (index/judge.py) weighs the words of a question; a passage that holds all of them but the name of the place
or body asked about is often a strong match, because everything else about it fits. Yet a council's papers that never
mention Medway do not answer a question about Medway. So the judge (``unnamed_terms``) finds no match at all when none
of the strong matches holds such a name (a Title-case word: "Medway", "Margate", "Nottinghamshire", "Leicester"), and
``ask`` abstains when one appears in none of the strong matches it read, and says which (docs/ANSWERS.md).

Not counted as names: question and sentence words ("What", "Did", "The"), months and days, acronyms (all capitals:
"HOSC" is often written out, and index/glossary.py spells acronyms the papers use), and the nation ("England",
"UK", "national"): council papers quote national figures as their benchmark, so a question about them is answered
by passages that need not repeat the word. A question in title case (every word of four letters or more capitalised)
names nothing. Measured on the labelled sets (docs/ANSWERS.md): off-topic questions `ask` abstains on, Leicester index
0.946 -> 0.964, Kent index 0.732 -> 0.839; off-topic queries with no strong match, Kent index 0.732 -> 0.821; no
gold passage lost, no new false abstention.
Nor is the place a personal preamble says the asker lives or works in a name asked about ("I'm a parent in Maidstone -
..."; ``asked_part``; docs/ANSWERS.md, "The town the asker lives in").
"""

from __future__ import annotations

import re

import numpy as np

from .asking import figure_thing
from .facts import prose_line, running_text
from .tokenize import tokenize, tokenize_query

_TITLE_WORD = re.compile(r"\b[A-Z][a-z][A-Za-z'’\-]*")
NOT_NAMES = frozenset(
    "what how who whom whose when which where why did does do has have had is was were are be been the a an in on of "
    "for and or to by with at from can could will would should shall may might must tell show list find give explain "
    "any all each every this that these those there their our my your its it please "
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday "
    "england english uk britain british great united kingdom national nationally government".split()
)

# A name the query asks about ("Medway Council council tax") must be held by a match about as good as the best one: when
# only matches NAME_GAP or more below the best hold it (Medway's share of KCC's debt at 0.41 against KCC's council tax
# at 0.82), the papers answer the rest of the question for somewhere else. Labelled answerable queries that name a
# place: the best match holding it is at most 0.22 under the best; off-topic ones 0.12-0.56.
NAME_GAP = 0.3
HIT_NAMES = ("title", "item", "body", "council")  # a passage's fields besides its text that name what it is about


def question_names(question: str) -> list[str]:
    """The index terms of the Title-case words of ``question`` that name a place, body or thing (see module doc); none
    when the question is written in title case, every word of four letters or more capitalised ("Delayed Transfers Of
    Care Figures", a report's title pasted in)."""
    long_words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’\-]*", question) if len(w) > 3]
    if len(long_words) > 2 and all(w[0].isupper() for w in long_words):
        return []
    out: dict[str, None] = {}
    for w in _TITLE_WORD.findall(asked_part(question)):
        if all(part.strip("'’") in NOT_NAMES for part in w.lower().split("-")):  # "Oct-Dec" is two months
            continue
        for t in tokenize_query(w):
            out[t] = None
    return list(out)


# A personal preamble: what the asker says of themselves before the question ("I'm a parent in Maidstone - by when should
# every primary school offer wraparound care?", "I live in Lutterworth - are they closing the beds at ...?"). The place
# they live or work "in", or travel "from" and "into", is where they are, not what they ask about: a county's papers
# answer for the whole county and seldom name each town. A place named as where the thing asked about is ("the CAMHS
# unit at Coalville", "a farm group near Ashford", "the A20 through Farningham") stays a name the matches must hold.
_PREAMBLE = re.compile(r"^(?P<pre>[^?]*?\b(?:I|I'm|I’m|I've|I’ve|I'd|[Mm]y|[Mm]e|[Ww]e|[Oo]ur|[Uu]s)\b[^?]*?)\s[-–—]\s+(?=\S)")
_LIVES_IN = re.compile(r"\b(?:in|from|into)\s+(?:[A-Z][\w'’\-]*\s*)+")


def asked_part(question: str) -> str:
    """``question`` without the places of a personal preamble it opens with (see above)."""
    m = _PREAMBLE.match(question)
    if not m:
        return question
    return _LIVES_IN.sub(" in ", m.group("pre")) + question[m.end("pre") :]


# The question's first word is capitalised as its first word: "Number of young people in Kent who entered the youth justice
# system ..." names Kent, not "Number". It is a name only when the papers write it so: capitalised inside a sentence at
# least as often as in lower case ("Kent", "Cabinet", "Department"; not "Number", "Outcome", "Percentage"), in up to
# SAMPLE_PASSAGES of the passages holding it. A word the papers never use stays a name ("Hertfordshire County Council
# budget"). Read only when the word is a name no match holds, so it costs nothing otherwise.
SAMPLE_PASSAGES = 60


def opening_common_word(index, question: str) -> set[str]:
    """The index term of ``question``'s first word when the papers write that word in lower case (see above), else an
    empty set."""
    m = re.match(r"\s*([A-Z][a-z]+)\b", question)
    word = m.group(1) if m else ""
    terms = tokenize_query(word) if word else []
    rows = index.term_rows(terms).get(terms[0]) if terms else None
    if rows is None or not len(rows):
        return set()
    low = cap = 0
    for p in index.store.passages_by_pid(index.pid_of(rows[:SAMPLE_PASSAGES])).values():
        low += len(re.findall(rf"\b{word.lower()}\b", p["text"]))
        cap += len(re.findall(rf"(?<![.!?:•\n])(?<![.!?:•\n]\s)\b{word}\b", p["text"]))
    return {terms[0]} if low > cap else set()


MINUTE_BACK = 40  # how far back a minute's opening is looked for (Kent's longest minute: 31 passages)


def preceding_terms(index, pids: list[int], known: dict[int, dict] | None = None) -> set[str]:
    """The terms of the passage just before each of ``pids`` (passage ids) in the same document and agenda item, and in
    a minute those of the minute's opening passage. A minute or report names the strategy, place or body once and the
    next passages go on about it: a minute opens "31. FINAL REPORT ON THE DELIVERY OF THE JOINT HEALTH AND WELLBEING
    STRATEGY ... 'Closing the Gap'", its second passage reads "Measures that had shown particular improvement relative
    to the baseline in the strategy were:- Breastfeeding at 6-8 weeks ...", its third "Older people who are still at
    home 91 days after discharge ...". A minute's opening says what it is about; a place its middle mentions in
    passing ("proposals being developed for community services in Hinckley, Oakham and Lutterworth" in the STP minute)
    is not what its later passages are about, and a report's item can run to a whole plan, so there only the passage
    just before counts. Not for a decision block: it is a match by its minute's best passage (index/judge.py), not by
    what it follows. ``known``: the passages (or hits) of ``pids`` already read, by pid; the others are read from the
    store."""
    known = known or {}
    got = index.store.passages_by_pid([p for p in pids if p not in known] + [p - 1 for p in pids])
    out: set[str] = set()
    deeper = []
    for p in pids:
        a, b = got.get(p - 1), known.get(p) or got.get(p)
        if a and b and not b.get("is_decision") and _same_item(a, b):
            out.update(tokenize(a["text"]))
            if b.get("doc_type") == "minutes" and b.get("item"):
                deeper.append((p, b))
    if deeper:  # each minute's opening passage, however far back: found by the passages' item keys, then read
        keys = index.store.item_keys(sorted({p - d for p, _ in deeper for d in range(2, MINUTE_BACK + 1)}))
        openings = []
        for p, b in deeper:
            d = 1
            while d < MINUTE_BACK and keys.get(p - d - 1) == (b["doc_id"], b.get("item")):
                d += 1
            if d > 1:
                openings.append(p - d)
        if openings:
            out.update(t for a in index.store.passages_by_pid(openings).values() for t in tokenize(a["text"]))
    return out


def _same_item(a: dict, b: dict) -> bool:
    return a["doc_id"] == b["doc_id"] and a.get("item") == b.get("item")


def unnamed(question: str, hits: list[dict], index=None) -> list[str]:
    """The words of ``question`` naming something (``question_names``) that none of ``hits`` holds in its text, title,
    agenda item, body or council, as the question writes them, nor (given the ``index``) the passage before one of them
    in its agenda item, or the opening passage of its minute (``preceding_terms``), as the judge's ``unnamed_terms``."""
    names = question_names(question)
    if not names:
        return []
    held: set[str] = set()
    for h in hits:
        held.update(tokenize(" ".join(str(h.get(k) or "") for k in ("text", *HIT_NAMES))))
    missing = {t for t in names if t not in held}
    if missing and index is not None:
        missing -= opening_common_word(index, question)
        read = {h["pid"]: h for h in hits if "pid" in h}
        missing -= preceding_terms(index, list(read), read)
        missing -= by_acronym(held, getattr(index, "glossary", None) or {})
    return [w for w in dict.fromkeys(_TITLE_WORD.findall(question)) if set(tokenize_query(w)) & missing]


def long_forms(glossary: dict[str, list[str]]) -> dict[str, set[str]]:
    """Each acronym of the index's glossary (index/glossary.py), as an index term, with the terms of its long forms."""
    return {acr.lower(): {t for long in longs for t in tokenize_query(long)} for acr, longs in glossary.items()}


def by_acronym(held: set[str], glossary: dict[str, list[str]]) -> set[str]:
    """The words of the long forms of the acronyms ``held`` (index terms) holds: a passage that says "LLR" names
    Leicester, Leicestershire and Rutland, as the index's glossary spells it."""
    return {t for acr, terms in long_forms(glossary).items() if acr in held for t in terms}


def unnamed_terms(index, rows: np.ndarray, p: np.ndarray, thr: float, query_text: str) -> list[str]:
    """The names of the query (index/unnamed.py: "Medway", "Margate") that none of its strong matches (relevance ``p`` at
    least ``thr``, and at most NAME_GAP under the best) holds, in its words, its council's or body's name or the passage
    before it in its agenda item, or its minute's opening passage (``preceding_terms``). Then no
    passage is a match: a passage about Kent's council tax holds every word of "Medway Council council tax increase"
    but the one that says which council."""
    names = question_names(query_text)
    strong = p >= max(thr, p.max(initial=0.0) - NAME_GAP)
    if not names or not strong.any():
        return []
    post = index.term_rows(names)
    held = rows[strong]
    missing = [t for t in names if t not in post or not np.isin(held, post[t]).any()]
    if missing:  # "Number of young people ...": a question's first word the papers write in lower case
        common = opening_common_word(index, query_text)  # read once: it samples passages
        missing = [t for t in missing if t not in common]
    if missing:  # a match saying "LLR" names Leicester, Leicestershire and Rutland (``by_acronym``)
        longs = long_forms(getattr(index, "glossary", None) or {})
        asked = [a for a, ts in longs.items() if ts & set(missing)]
        acr = index.term_rows(asked) if asked else {}
        said = {t for a in asked if a in acr and np.isin(held, acr[a]).any() for t in longs[a]}
        missing = [t for t in missing if t not in said]
    if not missing:
        return []
    pids = index.pid_of(held)  # a paper of Leicestershire County Council's Health and Wellbeing Board need say neither
    got = index.store.passages_by_pid(pids)
    own = {t for p in got.values() for t in tokenize_query(f"{p.get('council') or ''} {p.get('body') or ''}")}
    missing = [t for t in missing if t not in own]
    if missing:  # nor need a passage that goes on about what the one before it named (index/unnamed.py)
        missing = [t for t in missing if t not in preceding_terms(index, pids, got)]
    return missing


def figure_of_named(question: str, hit: dict, end: int, index=None, memo: dict | None = None) -> bool:
    """Is a figure stated by the sentence of ``hit`` ending at ``end`` said of something ``question`` names (one of its
    ``question_names``, or it names none)? One is held by the sentence or the words before it in its passage, by the
    passage's document title, agenda item, body or council, as the long form of an acronym among those, or by the
    passage before it in its agenda item or its minute's opening (``preceding_terms``, as ``unnamed`` reads them); the
    question's first word counts only when the papers write it capitalised (``opening_common_word``, read once per
    ``memo``: a dict the calls for one question share). "When does the
    consultation on EV charging in Otter Street close?" is not answered by "Family Hub awareness survey - closes 31st
    March 2025" in a Cabinet Member's list of updates, nor "when will the 18-25 SIS team move onto Mosaic" by the
    service's transfer to adult social care "from April 2025", with nothing before it naming Mosaic."""
    names = set(question_names(question))
    if not names:
        return True
    held = _held(hit, end)
    if index is not None:
        held |= by_acronym(held, getattr(index, "glossary", None) or {})
    if names & held or index is None:
        return bool(names & held)
    if "pid" in hit and names & preceding_terms(index, [hit["pid"]], {hit["pid"]: hit}):
        return True
    memo = {} if memo is None else memo
    if "common" not in memo:
        memo["common"] = opening_common_word(index, question)
    return not names - memo["common"]


def _held(hit: dict, end: int) -> set[str]:
    """The terms of ``hit``'s passage up to ``end`` and of its citation's names (title, item, body, council)."""
    return set(tokenize(" ".join([hit["text"][:end]] + [str(hit.get(k) or "") for k in HIT_NAMES])))


def of_thing(question: str, hit: dict, end: int, index=None, start: int = 0, row: bool = False) -> bool:
    """Is a figure stated by the sentence of ``hit`` from ``start`` to ``end`` of the thing a query typed as a noun
    phrase asks it of (``figure_thing``: 'passenger' in "Thanet Parkway station passenger numbers since it opened"), or
    does the query name none? The word is held by the sentence, by its paper's title, agenda item, body or council,
    or, for a table ``row`` or a list line, by the lines over it back to the nearest line of running text (a table's
    column heads: "Indicative implementation date" over the row "Countesthorpe ... August 2015"), or the passage
    before when they reach its start. "weekly fostering allowance rates Kent 2025" is not answered by "an extra 31
    pence per week for a band D property", nor "Kent school term dates 2025/26" by a list line "Strategy for the Future
    of Education in Kent 2025-2030 (Due for publication in 2025)" in a passage that said "long term" paragraphs before."""
    thing = figure_thing(question)
    if thing is None:
        return True
    reached = False
    if row:  # the lines over it that are no running text (``prose_line``)
        lines = hit["text"][:start].split("\n")
        top = next((i + 1 for i in range(len(lines) - 1, -1, -1) if prose_line(lines[i])), 0)
        start, reached = len("\n".join(lines[:top])), top == 0
    terms, held = set(tokenize(thing[0])), _held({**hit, "text": hit["text"][start:]}, end - start)
    if terms <= held or not reached or index is None or "pid" not in hit:
        return terms <= held
    return terms <= preceding_terms(index, [hit["pid"]], {hit["pid"]: hit})


def figure_of_asked(question: str, hit: dict, sent: dict, index=None, memo: dict | None = None, own: bool = False) -> bool:
    """Is a figure stated by the sentence ``sent`` of ``hit`` ({"start", "end", "quote", "table"}) of what ``question``
    asks: of the thing its head noun says (``of_thing``; a table row's column heads may hold it, a running sentence
    must) and of a name it asks about (``figure_of_named``)? With ``own`` the name must be held by the sentence's own
    words (a row "Melton £259,427 £281,543" among other districts' rows)."""
    if not _thing_held(question, hit, sent, index):
        return False
    if own:
        return figure_of_named(question, {"text": sent["quote"]}, len(sent["quote"]), index, memo)
    return figure_of_named(question, hit, sent["end"], index, memo)


def _thing_held(question: str, hit: dict, sent: dict, index) -> bool:
    """``of_thing`` for the sentence ``sent`` of ``hit``: a table row may take the thing from the heads above it."""
    row = sent.get("table") or not running_text(sent["quote"])
    return of_thing(question, hit, sent["end"], index, sent["start"], bool(row))


def name_phrases(question: str, stated: list[tuple[dict, dict]] | None = None, index=None) -> list[str]:
    """What ``ask`` says no figure it found is of: the words of the figure a query typed as a noun phrase asks for
    ("fostering allowance rates", ``figure_thing``) when none of the sentences ``stated`` ((hit, sentence) pairs) is
    of that thing (``of_thing``); else the names ``question`` asks about as it writes them, a
    run of Title-case words each ("Otter Street", "Romney Marsh")."""
    thing = figure_thing(question)
    if thing and not any(_thing_held(question, hit, sent, index) for hit, sent in stated or []):
        return [thing[1]]
    names = set(question_names(question))
    runs = re.finditer(r"[A-Z][a-z][A-Za-z'’\-]*(?:\s+[A-Z][a-z][A-Za-z'’\-]*)*", asked_part(question))
    phrases = (" ".join(w for w in m.group(0).split() if w.lower() not in NOT_NAMES) for m in runs)
    return list(dict.fromkeys(p for p in phrases if p and names & set(tokenize_query(p))))
