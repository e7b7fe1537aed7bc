"""What a question asks for, read from its asking words: the figure (a count, amount, share, date or length of time)
``ask`` must find stated before it answers, and the thing a count is of.

"How many schools were in deficit?" asks for a count of schools; "when will the road open?" for a date; a query typed
as a noun phrase asks by its head noun ("garden waste collection subscription price": an amount). What a sentence
states is read in index/facts.py.
"""

from __future__ import annotations

import re

# what a meeting does: asked when it was done, the meeting that did it is the answer, and its date is in the citation
_AT_A_MEETING = (
    r"[^?.;]*\b(?:decid|decision|agree|resolv|approv|endors|adopt|discuss|consider|debat|meet(?:s|ing)?\b|met\b"
    r"|note[ds]?\b|noting|receiv|sign(?:ed|s|ing)?\b|vot(?:e|ed|es|ing)\b|appoint|ratif|amend|accept|reject|recommend)"
)
# a figure the question asks for as its own question: a clause opens with the asking words ('How many ...',
# 'breastfeeding at 6-8 weeks - how much did it improve?', 'the unit - when will it open?'), not words inside another
# question ('how can I work out how much I'll pay'); a date asked of what is still to come ('when will', 'when is') or
# of a past event ('when were the cameras switched on'), not of what a meeting did ('when did the cabinet approve it')
_OPENS = r"(?:^|(?<=[,;:?(\-–—])|(?<=\band))\s*"
_FIGURES: dict[str, re.Pattern] = {
    "count": re.compile(_OPENS + r"(?:how many|(?:what(?:'s| is| was| are| were)? )?(?:the )?(?:total )?number of)\b", re.I),
    # 'how much', and the same asked of a cost or price ('what is the total cost of ...', '... - what would it cost?')
    "amount": re.compile(
        _OPENS + r"(?:how much\b|what(?:'s| is| was| are| were| will| would)? (?:be )?(?:the )?(?:total |annual |yearly |full "
        r"|overall |estimated |expected )?(?:cost|price|value)\b(?! (?:of living|pressures?)\b)|what (?:will|would|does|did) "
        r"(?:[\w'’\-]+ ){1,12}?(?<!\bthe )(?<!\ba )(?<!\bits )(?<!\btheir )(?<!\bthis )(?<!\bof )cost\b)",
        re.I,
    ),
    "percentage": re.compile(
        _OPENS + r"(?:(?:what|which) (?:percentage|proportion|share|per ?cent)\b|what (?:rate|level) of (?:interest|inflation)\b"
        r"|what(?:'s| is| was)? (?:the )?(?:interest|inflation) rate\b)",
        re.I,
    ),
    "duration": re.compile(_OPENS + r"how long\b", re.I),
    "date": re.compile(
        _OPENS + r"(?:when(?:'s| will| is| are| does| do| would| should)\b|(?:by |from |on )?(?:what|which) date\b(?! (?:did|was|were))"
        rf"|(?:when|(?:on )?(?:what|which) date) (?:did|was|were|had|has|have)\b(?!{_AT_A_MEETING}))",
        re.I,
    ),
}


# another question opening a clause ('Who was the inspector and when were the hearings?'): asked first, it is what the
# question is about, and an answer to it is no answer to refuse for want of the figure asked after it
_OTHER_ASK = re.compile(_OPENS + r"(?:who|whom|whose|where|why|which|what|how|is|are|was|were|did|does|do|will|can|could|should)\b", re.I)


# the figure a query typed as a noun phrase asks for by its head noun ('garden waste collection subscription price',
# 'Kent school term dates 2025/26', 'delayed transfers of care figures for Kent hospitals'): the noun ends the phrase,
# or a place, year or preposition follows it ('weekly fostering allowance rates Kent 2025'), not a noun it qualifies
# ('cost pressures', 'charges budget', 'date of birth' is still a date)
_HEAD_END = (
    r"(?=\s*[?.]?\s*$|\s+(?:for|in|per|since|at|of|to|from|on|by|across|within|between|under|outside)\b"
    r"|(?:\s+[A-Z0-9][\w/&'’\-]*)+\s*[?.]?\s*$)"
)
_HEADS: dict[str, re.Pattern] = {
    "amount": re.compile(
        r"\b(?:amounts?|values?|allocations?|prices?|costs?|fees?|charges?|allowances?(?: rates?)?|salar(?:y|ies)|pay|wages?)" + _HEAD_END
    ),
    "count": re.compile(r"\b(?:numbers?|figures)" + _HEAD_END),
    "percentage": re.compile(r"\b(?:percentages?|proportion)" + _HEAD_END),
    "date": re.compile(r"\b(?:dates?|deadlines?|timetable|timescales?)" + _HEAD_END),
}


# words that say which figure, not what it is of ('total cost', 'weekly allowance', 'latest estimate')
_QUALIFIERS = frozenset(
    "total average weekly annual yearly hourly monthly daily latest estimated extra overall full net gross current new "
    "actual planned final typical maximum minimum lowest highest expected projected forecast proposed updated revised "
    "indicative approximate".split()
)
_FUNCTION_WORDS = frozenset("of to for the a an in on at by with and or from per".split())


def _noun_head(question: str) -> tuple[str, re.Match] | None:
    """(the figure, the head noun's match) of a query with no asking word whose head noun names a figure (_HEADS)."""
    if _OTHER_ASK.search(question):
        return None
    heads = [(m, kind) for kind, rx in _HEADS.items() if (m := rx.search(question))]
    return min(((k, m) for m, k in heads), key=lambda f: f[1].start()) if heads else None


def figure_thing(question: str) -> tuple[str, str] | None:
    """What a query typed as a noun phrase asks the figure of: (the word its head noun follows, a qualifier, year or
    name passed over; the words from it to the head noun): ('passenger', 'passenger numbers') in 'Thanet Parkway
    station passenger numbers since it opened', ('upgrade', 'upgrade total cost') in 'A229 Bluebell Hill junction
    upgrade total cost'. None for a question with asking words, or a head followed by 'of' (the thing comes after it:
    'number of installations')."""
    if any(rx.search(question) for rx in _FIGURES.values()) or (found := _noun_head(question)) is None:
        return None
    head = found[1]
    if re.match(r"\s+of\b", question[head.end() :]):
        return None
    clause = re.split(r"[?!:;,()]|\s[-–—]\s", question[: head.start()])[-1]
    for m in reversed(list(re.finditer(r"\S+", clause))):
        word = m.group(0)
        if word.lower() in _QUALIFIERS or not word.isalpha() or not word.islower():
            continue  # 'total', '2024/25', 'Q3', 'Kent': which figure, when, or a name (``figure_of_named``)
        start = head.start() - len(clause) + m.start()
        return None if word in _FUNCTION_WORDS else (word, question[start : head.end()])
    return None


def asked_figure(question: str) -> str | None:
    """The figure a question asks for in so many words ('count', 'amount', 'percentage' or 'date'; the first asked), or
    by the head noun of a query typed with no asking word (_HEADS), or None: what ``ask`` must find stated before it
    answers (index/answer.py). None too when the question asks something else first."""
    asked = [(m.start(), kind) for kind, rx in _FIGURES.items() if (m := rx.search(question))]
    if not asked:
        return found[0] if (found := _noun_head(question)) else None
    at, kind = min(asked)
    other = _OTHER_ASK.search(question)
    return None if other and other.start() < at else kind


# what 'how many' counts: the words after it up to the verb or preposition that ends the phrase ('how many new special
# school (SEND) places does ...', 'number of complaints received in 2024'); its last word names the thing counted
_COUNTED = re.compile(
    r"\b(?:how many|number of)\s+((?:[\w'’()\-]+\s+){0,5}?[\w'’()\-]+?)(?=\s+(?:(?:did|does|do|are|is|were|was|have|has|had|will|would|can|could|in|at|on|of|for|from|by|to|with|across|under|who|that|which|this|last|each|per|there|took|take|get|got|go|went|work|live|use|need|say|make|made|come|came|see|saw|seen|run|ran|hold|held)s?\b|[\w'’\-]+ed\b)|\s*[?,.;]|\s*$)",
    re.I,
)


def counted_thing(question: str) -> tuple[str, str] | None:
    """(the word for the thing a 'how many' question counts, the whole phrase): ('places', 'new special school (SEND)
    places'), ('complaints', 'complaints'); or None."""
    m = _COUNTED.search(question)
    return (m.group(1).split()[-1].strip("()"), m.group(1)) if m else None
