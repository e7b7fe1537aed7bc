"""The sentences of a passage an answer can quote: exact ``(start, end)`` spans, and the candidates of a question's
hits (whole sentences; a table's rows one by one, so a row can be shown with its column heads, index/facts.py)."""

from __future__ import annotations

import re

from .facts import ROW, row_lines

MAX_SENTENCE_CHARS = 600
MIN_WORDS = 4
MIN_LETTER_WORDS = 3  # a number run with a heading ('12,876 16,051 Additional Contributions') says nothing alone


# sentence boundary: end punctuation + space before a capital / digit / bracket / quote, a blank line, a
# new line that opens a list item or heading, or a new line that opens a clause ('There was', 'We will'): a capitalised
# pronoun and its verb never continue a wrapped line, so the line before ended its own paragraph (a form's unfinished
# prompt, 'The aim of this project is to', and the answer typed under it; a heading over its first sentence)
# (not ingest/chunk.py's _SENT_END, on purpose: chunk units also end at ';' / ':' before a capital, which would cut
# quotes into fragments; a quote here is a whole sentence. Merging the two would change both outputs.)
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"')\]”’]*\s+(?=[A-Z0-9(\"“‘'•\-–])"
    r"|\n\s*\n"
    r"|\n(?=\s*(?:[•●▪\-–*]|\(?[a-z0-9ivx]{1,4}[).]\s|\d+(?:\.\d+)*\.?\s+[A-Z]))"
    r"|\n(?=[ \t]*(?:There|These|Those|This|It|We|They|He|She)\s+"
    r"(?:is|are|was|were|has|have|had|will|would|can|could|may|might|should|must|shall)\b)"
)
# a span that stops on a word no sentence ends with is a fragment, not a quote ('The aim of this project is to')
_UNFINISHED = re.compile(r"\b(?:to|of|the|a|an|and|or|by|for|with|from|in|on|at|is|are|was|were|be)\s*$")  # lower case: not "Appendix A"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in ``text``; ``text[start:end]`` is stripped of outer whitespace."""
    spans: list[tuple[int, int]] = []
    pos = 0
    cuts = [m for m in _BOUNDARY.finditer(text)]
    bounds = []
    for m in cuts:
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(text)))
    for s, e in bounds:
        for s1, e1 in _split_heading(text, s, e):
            for s2, e2 in _split_long(text, s1, e1):
                spans += _stripped(text, s2, e2)
    return spans


# a heading over its first sentence ('11.5 Our Target for improving Delayed Transfers of Care (DTOC)' / 'The most
# challenging aspect ...'): a short first line, no closing punctuation, its longer words capitalised, then a line that
# opens a sentence with a word that never continues a wrapped name ('The', 'This', 'We' ...). A wrapped line that goes
# on with a name ('trading as' / 'The Education People') has lower-case words before it, so it is not cut.
_HEADING_LINE = re.compile(r"[ \t]*(?:\(?\d+(?:\.\d+)*[.)]?[ \t]+)?(?P<words>[^\n]{3,120}?)[ \t]*\n")
_OPENER = re.compile(
    r"[ \t]*(?:The|This|That|These|Those|A|An|In|On|At|As|For|Following|Our|We|It|Its|There|Each|All|Since|During"
    r"|Currently|Overall|Members|Officers)\s"
)
_MAX_HEADING_WORDS = 12


def _split_heading(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """[(s, e)], or the span cut after its first line when that line is a heading over the sentence below it."""
    while s < e and text[s] in " \t\n":
        s += 1
    m = _HEADING_LINE.match(text, s, e)
    if m and _OPENER.match(text, m.end(), e) and _heading_like(m["words"]):
        return [(s, m.end() - 1), *_split_figures(text, m.end(), e)]
    return _split_figures(text, s, e)


# a table row's figures on a line of their own ('312.19 377.10 R': target, actual, RAG rating) end the row: the
# commentary cell under them ('BCF DTOC targets are measured quarterly ...') is a sentence of its own
_FIGURES_LINE = re.compile(r"\n[ \t]*(?:[-–(£$]?\d[\d,.]*[%)kmbn]*[ \t]+)+(?:[A-Z]{1,2}|[-–(£$]?\d[\d,.]*[%)kmbn]*)[ \t]*\n(?=[ \t]*[A-Z])")


def _split_figures(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """[(s, e)] cut after each line of two or more figures (a rating letter may close it) that a capitalised line
    follows."""
    out = []
    for m in _FIGURES_LINE.finditer(text, s, e):
        out.append((s, m.end() - 1))
        s = m.end()
    return out + [(s, e)]


def _heading_like(line: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z'’\-]*", re.sub(r"\([^)]*\)", " ", line))
    if not 1 <= len(words) <= _MAX_HEADING_WORDS or re.search(r"[.,;:!?]$", line.strip()) or _UNFINISHED.search(line):
        return False
    long = [w for w in words if len(w) >= 4]
    return bool(long) and sum(w[0].isupper() for w in long) >= 0.6 * len(long)


_GOES_ON = re.compile(r"[ \t]*[a-z]")  # a line that carries on the one before in lower case


def _split_long(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Very long 'sentences' (tables, run-on lists) are cut at '; ' or newlines so quotes stay readable. Not at a
    wrapped line: one that stops on a word no sentence ends with, or whose next line goes on in lower case (a table
    cell's text wrapped in its column, 'Produced in Kent, the' / 'county's food & drink sector ...')."""
    if e - s <= MAX_SENTENCE_CHARS:
        return [(s, e)]
    out = []
    start = s
    for m in re.finditer(r";\s+|\n", text[s:e]):
        cut = s + m.end()
        wrapped = m.group() == "\n" and (bool(_UNFINISHED.search(text, start, s + m.start())) or bool(_GOES_ON.match(text, cut, e)))
        if cut - start >= 80 and not wrapped:
            out.append((start, s + m.start() + (1 if text[s + m.start()] == ";" else 0)))
            start = cut
    out.append((start, e))
    return out


def display(quote: str) -> str:
    """The display form of a quote: internal whitespace (PDF line breaks) collapsed."""
    return " ".join(quote.split())


def quotable(text: str) -> list[tuple[int, int]]:
    """``split_sentences``, with a table block cut up: each row line (two or more in the block) is a span of its own,
    and the lines between rows stay together."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        rows = row_lines(text[s:e])
        if len(rows) < 2:
            out.append((s, e))
            continue
        pos = s
        for rs, re_ in rows:
            out += _stripped(text, pos, s + rs)
            out.append((s + rs, s + re_))
            pos = s + re_
        out += _stripped(text, pos, e)
    return out


def _stripped(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """[(s, e)] without outer whitespace, or [] when nothing is left."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return [(s, e)] if e > s else []


def candidate_sentences(hits: list[dict]) -> list[dict]:
    """The sentences of the hits long enough to quote: {"hit", "start", "end", "quote"}."""
    return [
        {"hit": hi, "start": s, "end": e, "quote": h["text"][s:e]}
        for hi, h in enumerate(hits)
        for s, e in quotable(h["text"])
        if len(re.findall(r"\w+", h["text"][s:e])) >= MIN_WORDS
        and (len(re.findall(r"[A-Za-z]{2,}", h["text"][s:e])) >= MIN_LETTER_WORDS or _labelled_row(h["text"][s:e]))
        and not _UNFINISHED.search(h["text"][s:e])
        and not _is_heading(h["text"][s:e])
    ]


def _labelled_row(quote: str) -> bool:
    """A table row led by a label of two words ('Total Complaints 5,647 5,416 1,512 1,047') or one capitalised word, a
    district's or body's name ('Melton £259,427 £281,543'): shown with its column heads, it states its figures
    (index/facts.py), as a number run after a heading does not."""
    m = ROW.match(quote)
    words = re.findall(r"[A-Za-z]{2,}", m.group("label")) if m else []
    return bool(m and "\n" not in quote.strip() and (len(words) >= 2 or re.fullmatch(r"\s*[A-Z][a-z]{2,}\s*", m.group("label"))))


# what a heading may name besides words: a year or financial year ('Strategy 2025-26', 'Report 2015-2016'), and a page
# number a running header carries after a gap ('Treasury Management Strategy  11')
_HEADING_NUMBERS = re.compile(r"(?:\b(?:in|for|of|to)\s+)?\b(?:19|20)\d\d(?:\s?[/\-–]\s?\d{2,4})?\b|(?<=\S)\s{2,}\d{1,3}\s*$")


def _is_heading(quote: str) -> bool:
    """A heading standing alone ('11.5 Our Target for improving Delayed Transfers of Care (DTOC)', a running header
    'Treasury Management Strategy  11') names a subject and states nothing; one with a figure in it ('Budget 2017/18
    £52.0m') may be a table row, so it stays a candidate. One of several lines may be a list of names and roles (a
    board's membership), which answers 'who'."""
    rest = _HEADING_NUMBERS.sub(" ", re.sub(r"^\s*\(?\d+(?:\.\d+)*[.)]?\s+", "", quote))
    return "\n" not in rest.strip() and not re.search(r"\d", rest) and _heading_like(rest)
