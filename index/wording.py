"""Other words for a query's word: its British or American spelling, and the papers' word for a plain one.

Council papers are written in British English, but not consistently: the Kent papers say "treasury management
advisers" and "treasury advisor", "capital programme" and "the current estimated capital program spend"; a user
types "organization", "center" or "pediatric" as often as "organisation", "centre" or "paediatric". The stemmer
(index/tokenize.py) makes "organis" and "organiz", "centr" and "center", "programm" and "program" of them, so without
help a query finds only the papers spelled its way, and the judge counts the word as missing from the others.
``spellings(word)`` gives the other spellings of a word by the regular differences between the two (-our/-or,
-ise/-ize and -yse/-yze with their derived forms, -tre/-ter, -ence/-ense, -gramme/-gram, -ogue/-og, ae/oe/e in
medical words) and a few irregular pairs.

And papers write in their own register, while a councillor or resident asks in plain words: "the biggest overspend"
is "the largest overspend" in a monitoring report, a "cut" is a "reduction" or a "saving", a service "scrapped" is one
"ceasing", a "tip" a household waste recycling centre ("HWRC"), "loans" are "borrowing", "roads" are "highways".
``PLAIN_WORDS`` (index/register.py) maps such a plain word to the papers' words for it, one way only where the
papers' word is wider ("borrowing" is not always a loan, "workforce" not always staff: both tried, docs/BENCHMARKS.md).
A phrasal verb of amount is the papers' "increase" or "reduction": in "putting council tax up" or "is the minimum wage
going up" the verb counts as "increase" / "rise" (``phrasal``; "down": "reduction" / "fall").

A statute's section is written "S151", "s.151" or "Section 151" ("the Section 151 officer", "S106 agreements",
"a Section 75 pooled budget"): ``section_forms(text)`` gives both forms of each section the query names, which the
judge counts as one concept and search adds to its BM25 terms.

A term of art has its plain phrase ("delayed transfers of care" / "delayed discharges", ``PLAIN_PHRASES``), a
period of years its other spellings ("2025-35" / "2025-26 ... 2034-35", ``period_spellings``), and a quarter of the
financial year its number and its months ("Q3" / "Quarter 3" / "Oct-Dec", ``quarters``), an amount of money its
other exact writings ("£356k" / "£356.0k" / "£356,000", ``amounts``); the judge counts each as one concept.

``variants(word)`` is the spellings and plain words. A variant is only a candidate: ranking adds it to the query's BM25 terms and the judge
counts it as the query's word (index/judge.py ``concepts``), and a variant no paper uses matches nothing, so a rule
that makes a non-word ("hour" has no "-or" form: the rules want three letters before the ending) costs nothing. The
dense query is left as the user wrote it: the model reads "biggest" and "largest" alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from .families import family_words
from .register import PLAIN_PHRASES, PLAIN_WORDS
from .tokenize import tokenize_query

# (what comes before, British ending, American ending, the suffix either may carry, as a group): each rule works both
# ways. Three letters before the ending keep short words ("hour", "tour", "size", "rogue") out.
_RULES = (
    ("[a-z]{3}", "our", "or", "(s|ed|ing|ite|ites|hood|hoods|able|ably|er|ers|ful)?"),
    ("[a-z]{2}", "is", "iz", "(e|es|ed|ing|ation|ations|er|ers)"),
    ("[a-z]", "ys", "yz", "(e|es|ed|ing)"),
    ("[a-z]{2}[tb]", "re", "er", "(s|d)?"),
    ("[a-z]{2}", "enc", "ens", "(e|es)"),
    ("[a-z]", "gramme", "gram", "(s)?"),
    ("[a-z]{3}", "ogue", "og", "(s)?"),
)
# each rule as two substitutions, British to American and back
_ENDINGS = [(re.compile(f"(?<={before}){a}{suffix}$"), b + r"\1") for before, uk, us, suffix in _RULES for a, b in ((uk, us), (us, uk))]
# medical words: British "ae" / "oe" is American "e" ("paediatric", "anaemia", "oesophagus"); the other way only for the
# stems that have it (an "e" in "budget" or "member" is no "ae")
_DIGRAPH = re.compile(r"(ae|oe)(?=[a-z])")
_MEDICAL = {
    "pediatr": "paediatr",
    "orthoped": "orthopaed",
    "anem": "anaem",
    "anesth": "anaesth",
    "hemat": "haemat",
    "hemo": "haemo",
    "hemorrh": "haemorrh",
    "gynec": "gynaec",
    "leukem": "leukaem",
    "fetal": "foetal",
    "fetus": "foetus",
    "estrogen": "oestrogen",
    "esophag": "oesophag",
    "edema": "oedema",
    "diarrhea": "diarrhoea",
    "ischem": "ischaem",
    "septicem": "septicaem",
    "archeolog": "archaeolog",
    "encyclopedi": "encyclopaedi",
    "etiolog": "aetiolog",
}
_IRREGULAR = {
    "adviser": "advisor",
    "advisers": "advisors",
    "judgement": "judgment",
    "judgements": "judgments",
    "practise": "practice",
    "practised": "practiced",
    "sceptical": "skeptical",
    "grey": "gray",
    "learnt": "learned",
    "spelt": "spelled",
    "enrolment": "enrollment",
    "instalment": "installment",
    "instalments": "installments",
    "fulfil": "fulfill",
    "aluminium": "aluminum",
}
_IRREGULAR.update({v: k for k, v in list(_IRREGULAR.items())})
_WORD = re.compile(r"[a-z]+")


_PHRASE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, PLAIN_PHRASES), key=len, reverse=True)) + r")\b", re.IGNORECASE)


def term_variants(text: str) -> list[tuple[str, str]]:
    """(phrase as ``text`` writes it, one of the papers' phrases for it) for each ``PLAIN_PHRASES`` phrase of ``text``."""
    return [(m.group(0), other) for m in _PHRASE.finditer(" ".join(text.split())) for other in PLAIN_PHRASES[m.group(0).lower()]]


# two words papers often write as one: "street lights" / "streetlighting", "health care" / "healthcare", "child care",
# "work force", "sign posting", "short fall", "pot holes" (the other way needs a dictionary to split); each pair of
# content words in a row is a candidate, as a variant no paper uses matches nothing. The judge counts the one word for
# each of the two (index/judge.py ``concepts``); ranking does not add it to the BM25 terms, since the tokenizer already
# writes "short-term" as short, term and shortterm, and "short term" asked would count three times against the
# papers that write it with a space (kh023 fell from 5th to below 10th)
_PAIR = re.compile(r"(?=\b([A-Za-z]{3,})\s+([A-Za-z]{3,})\b)")


def compounds(text: str, known: Callable[[set[str]], set[str]] | None = None) -> list[tuple[str, str]]:
    """(two words as ``text`` writes them, the one word they make) for each two content words in a row; given
    ``known`` (``held_by``), only those whose one word the index holds."""
    out = []
    for m in _PAIR.finditer(" ".join(text.split())):
        a, b = m.group(1), m.group(2)
        if len(tokenize_query(a)) == 1 and len(tokenize_query(b)) == 1:
            out.append((f"{a} {b}", (a + b).lower()))
    if known is None or not out:
        return out
    have = known({t for _, o in out for t in tokenize_query(o)})
    return [(p, o) for p, o in out if set(tokenize_query(o)) <= have]


def phrase_variants(text: str) -> list[tuple[str, str]]:
    """``term_variants``, then each other writing of a quarter of the financial year (``quarters``) or of an amount of
    money (``amounts``) ``text`` names."""
    return term_variants(text) + [(phrase, form) for phrase, forms in same_things(text) for form in forms]


def same_things(text: str) -> list[tuple[str, list[str]]]:
    """(what ``text`` writes, the other ways papers write it) for each quarter and amount it names: one concept each."""
    return quarters(text) + amounts(text)


# An amount is written to a table's one or two decimal places ("£356.0k", "£8.0m", "£1.50m"), in full ("£356,000") or
# in the next unit up ("£0.880bn"), while an asker types "£356k" or "£8m": the tokenizer keeps each writing as it is
# (index/tokenize.py), so each is one concept here. Only exact writings: "£0.4m" is not "£356k".
_AMOUNT = re.compile(r"(?<![\w.])([£$€])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s?(k|m|bn|million|billion)?(?![\w.])", re.IGNORECASE)
_SCALES = (("k", 3), ("m", 6), ("bn", 9))
_UNIT = {"": 0, "k": 3, "m": 6, "million": 6, "bn": 9, "billion": 9}


def amounts(text: str) -> list[tuple[str, list[str]]]:
    """(an amount of money as ``text`` writes it, its other exact writings) for each amount of a thousand or more:
    "£356k" is "£356.0k", "£356.00k", "£0.356m" and "£356,000"; "£8m" is "£8.0m", "£8.00m", "£0.008bn" and "£8,000,000".
    In each unit from a thousandth to under a thousand, to at most three decimal places, and in full when whole."""
    out = []
    for m in _AMOUNT.finditer(text):
        cur, whole, frac, unit = m.group(1), m.group(2).replace(",", ""), m.group(3) or "", (m.group(4) or "").lower()
        value = Decimal(f"{whole}.{frac or 0}").scaleb(_UNIT[unit])
        if value < 1000:
            continue
        forms: list[str] = []
        for name, exp in _SCALES:
            x = value.scaleb(-exp)
            if not Decimal("0.001") <= x < 1000 or x != x.quantize(Decimal("0.001")):
                continue
            plain = format(x.normalize(), "f")
            places = len(plain.partition(".")[2])
            forms += [f"{cur}{x:.{n}f}{name}" for n in sorted({places} | {n for n in (1, 2) if n > places})]
        if value == value.to_integral_value():
            forms.append(f"{cur}{int(value):,}")
        own = tuple(tokenize_query(m.group(0)))
        forms = [f for f in dict.fromkeys(forms) if tuple(tokenize_query(f)) != own]
        if forms:
            out.append((m.group(0), forms))
    return out


# A council's financial year runs April to March, and its monitoring reports go by quarter: Kent's performance report
# heads its tables "Quarter 3" and "Oct – Dec 24", a scrutiny minute says "Q3", a resident asks about "Oct-Dec 2024".
_QUARTER_MONTHS = {1: ("Apr", "Jun"), 2: ("Jul", "Sep"), 3: ("Oct", "Dec"), 4: ("Jan", "Mar")}
_BY_MONTHS = {(a.lower(), b.lower()): n for n, (a, b) in _QUARTER_MONTHS.items()}  # ("oct", "dec") -> 3
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "one": 1, "two": 2, "three": 3, "four": 4}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_QUARTER = re.compile(
    r"\b(?:q([1-4])|quarter\s+([1-4]|one|two|three|four)|(first|second|third|fourth)\s+quarter|"
    + _MONTH
    + r"\s*(?:-|–|—|to)\s*"
    + _MONTH
    + r")\b",
    re.IGNORECASE,
)


def quarters(text: str) -> list[tuple[str, list[str]]]:
    """(a quarter of the financial year as ``text`` writes it, the other ways papers write it) for each quarter named:
    "Q3", "quarter 3", "third quarter" or its months ("Oct-Dec", "October to December") are each "Q3", "Quarter 3" and
    "Oct Dec". A span of months that is no quarter ("Nov-Jan") names none."""
    out = []
    for m in _QUARTER.finditer(" ".join(text.split())):
        q, word, ordinal, start, end = m.groups()
        if start:
            n = _BY_MONTHS.get((start[:3].lower(), end[:3].lower()))
        else:
            n = int(q) if q else int(word) if word and word.isdigit() else _ORDINALS[(word or ordinal).lower()]
        if n is None:
            continue
        own = tuple(tokenize_query(m.group(0)))
        out.append((m.group(0), [f for f in (f"Q{n}", f"Quarter {n}", " ".join(_QUARTER_MONTHS[n])) if tuple(tokenize_query(f)) != own]))
    return out


@lru_cache(maxsize=8192)
def variants(word: str) -> tuple[str, ...]:
    """The papers' words for ``word`` when it is a plain one (``PLAIN_WORDS``), then its other spellings."""
    w = word.lower()
    return PLAIN_WORDS.get(w, ()) + spellings(w)


def spellings(word: str) -> tuple[str, ...]:
    """The other spellings of ``word`` (lower-case letters only; anything else has none), British and American."""
    w = word.lower()
    if not _WORD.fullmatch(w) or len(w) < 4:
        return ()
    out: dict[str, None] = {}
    if w in _IRREGULAR:
        out[_IRREGULAR[w]] = None
    for pattern, repl in _ENDINGS:
        v = pattern.sub(repl, w)
        if v != w:
            out[v] = None
    plain = _DIGRAPH.sub("e", w)
    if plain != w:
        out[plain] = None
    for us, uk in _MEDICAL.items():
        if w.startswith(us):
            out[uk + w[len(us) :]] = None
    out.pop(w, None)
    return tuple(out)


def query_variants(text: str) -> list[str]:
    """Every other spelling of the words of ``text`` (``variants``), in the order the words come, then the words of the
    papers' phrases for its phrases (``phrase_variants``)."""
    out: dict[str, None] = {}
    verbs = phrasal(text)
    for w in re.findall(r"[A-Za-z]+", text):
        for v in verbs.get(w, ()) + variants(w):
            out[v] = None
    for _, other in phrase_variants(text):
        for w in other.split():
            out[w] = None
    return list(out)


_PERIOD = re.compile(r"((?:19|20)\d\d)/(\d\d|(?:19|20)\d\d)")


def period_spellings(term: str) -> list[tuple[str, ...]]:
    """The other ways papers write a period of several years (the query's term, as tokenized: "2025-35" is 2025/35):
    "2025-26 to 2034-35" (a passage with its first and last financial years: a sentence, or a table's columns) and
    "2025-2035". A one-year period ("2025-26") has one spelling."""
    m = _PERIOD.fullmatch(term)
    if not m:
        return []
    start, end = int(m.group(1)), int(m.group(2))
    if end < 100:
        end += start - start % 100 + (100 if end < start % 100 else 0)
    if end - start < 2:
        return []
    first, last = f"{start}/{(start + 1) % 100:02d}", f"{end - 1}/{end % 100:02d}"
    return [s for s in [(first, last), (f"{start}/{end % 100:02d}",), (f"{start}/{end}",)] if s != (term,)]


_SECTION = re.compile(r"\b(?:section\s+|s\.?\s?)(\d{1,3}[a-z]?)\b", re.IGNORECASE)


def section_forms(text: str) -> list[tuple[str, str]]:
    """(number, short term) of each statute section ``text`` names ("151", "s151"), as the index's terms are."""
    return list(dict.fromkeys((m.group(1).lower(), f"s{m.group(1).lower()}") for m in _SECTION.finditer(text)))


def section_words(text: str) -> list[str]:
    """Both spellings of each section ``text`` names, as words for BM25: "S151", "Section 151"."""
    return [w for n, short in section_forms(text) for w in (short, f"section {n}")]


# "putting council tax up", "is the minimum wage going up": the papers write an "increase" or a "rise" (and a
# "reduction" or a "fall" for down); the verb, a word of its own, counts as the papers' word
_PHRASAL = re.compile(r"\b(put|puts|putting|go|goes|going|gone|went)\b(?:\s+[\w'’-]+){0,4}?\s+(up|down)\b", re.IGNORECASE)
PHRASAL = {"up": ("increase", "rise"), "down": ("reduction", "fall")}


def phrasal(text: str) -> dict[str, tuple[str, ...]]:
    """{verb as ``text`` writes it: the papers' words} for each "put ... up" / "go ... down" of ``text``."""
    return {m.group(1): PHRASAL[m.group(2).lower()] for m in _PHRASAL.finditer(" ".join(text.split()))}


def other_words(text: str) -> list[tuple[str, str, str, str]]:
    """(word as ``text`` writes it, its index term, one of its ``variants``, that variant's index term) for each word
    of one term whose variant is another term: what the judge counts as the word and the notes name."""
    out = []
    verbs = phrasal(text)
    for w in dict.fromkeys(re.findall(r"[A-Za-z]+", text)):
        own = tokenize_query(w)
        if len(own) != 1:
            continue
        for v in verbs.get(w, ()) + variants(w) + family_words(w):
            vt = tokenize_query(v)
            if len(vt) == 1 and vt != own:
                out.append((w, own[0], v, vt[0]))
    return out


def word_notes(text: str, known: Callable[[set[str]], set[str]]) -> list[str]:
    """What the query's other words added, said as its acronyms' expansions are ("cuts = reductions / savings",
    "adviser = advisor", "Section 151 = S151"), for those some passage uses: ``known(terms)`` is the part of ``terms``
    the index holds. The user sees why a passage that never says "cuts" is found."""
    pairs = [(w, v, vt) for w, _, v, vt in other_words(text)]  # (the query's word, its other word, that one's term)
    have = set(tokenize_query(text))
    for n, short in section_forms(text):
        written = f"S{n.upper()}" if short in have else f"Section {n.upper()}"
        pairs.append((written, f"Section {n.upper()}" if short in have else f"S{n.upper()}", n if short in have else short))
    phrases = [(p, o, tuple(tokenize_query(o))) for p, o in phrase_variants(text)]  # named when the index holds every term
    held = known({t for _, _, t in pairs} | {t for _, _, ts in phrases for t in ts}) if pairs or phrases else set()
    said: dict[str, list[str]] = {}
    for w, other, terms in [(w, o, (t,)) for w, o, t in pairs] + phrases:
        if _letters(other) == _letters(w):  # "Oct-Dec" as "Oct Dec": the same words, nothing to tell
            continue
        if set(terms) <= held and other not in said.setdefault(w, []):
            said[w].append(other)
    return [f"{w} = {' / '.join(vs)}" for w, vs in said.items() if vs]


def held_by(index) -> Callable[[set[str]], set[str]]:
    """The part of a set of terms ``index`` holds (some passage uses each): what ``word_notes`` and the judge's
    ``compounds`` read."""
    return lambda terms: {t for t, r in index.term_rows(sorted(terms)).items() if len(r)}


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())
