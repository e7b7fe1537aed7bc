"""Words of one family that the stemmer leaves apart: a verb and its noun, an adjective and its noun.

Officers' papers nominalise: they write "the provision of", "retention of staff", "the closure of", "pharmaceutical
needs", "the strategic plan"; a councillor asks "provide", "retain", "close", "pharmacy", "strategy". The Porter stemmer
joins "recruit" and "recruitment" but leaves "provid" / "provis", "retain" / "retent", "deliv" / "deliveri",
"strategi" / "strateg" apart. The judge (index/judge.py) counts each word of a family for the others, as it counts a
word spelled the other way (index/wording.py ``other_words``); BM25 does not, where the two words of a passage that
uses both would count one concept twice (measured: docs/BENCHMARKS.md, "Words of one family").
"""

from __future__ import annotations

from functools import lru_cache

from .tokenize import tokenize_query

# General English, not the labelled queries' words. Left out: a pair whose other word has a meaning of its own in
# council papers ("commit" / "commission", "press" / "pressure", "office" / "official", "policy" / "police", "child" /
# "childhood": "childhood obesity" is a phrase of index/wording.py), the verbs a question frames a decision with
# ("decide", "resolve": the judge leaves them out of its concepts) and comparatives ("high needs" is no "higher").
FAMILIES = (
    ("provide", "provision"),
    ("reduce", "reduction"),
    ("introduce", "introduction"),
    ("admit", "admission"),
    ("submit", "submission"),
    ("permit", "permission"),
    ("consider", "consideration"),
    ("apply", "application"),
    ("describe", "description"),
    ("prescribe", "prescription"),
    ("subscribe", "subscription"),
    ("intervene", "intervention"),
    ("extend", "extension"),
    ("expand", "expansion"),
    ("include", "inclusion"),
    ("exclude", "exclusion"),
    ("conclude", "conclusion"),
    ("respond", "response"),
    ("comply", "compliance"),
    ("rely", "reliance"),
    ("retain", "retention"),
    ("detain", "detention"),
    ("abstain", "abstention"),
    ("deliver", "delivery"),
    ("recover", "recovery"),
    ("fail", "failure"),
    ("close", "closure"),
    ("injure", "injury"),
    ("diagnose", "diagnosis"),
    ("analyse", "analysis"),
    ("grow", "growth"),
    ("die", "death"),
    ("safe", "safety"),
    ("poor", "poverty"),
    ("lonely", "loneliness"),
    ("young", "youth"),
    ("employ", "employee"),
    ("finance", "financial"),
    ("strategy", "strategic"),
    ("economy", "economic"),
    ("pharmacy", "pharmacist", "pharmaceutical"),
)


@lru_cache(maxsize=1)
def _families() -> dict[str, tuple[str, ...]]:
    """Index term -> the other words of its family (as written), for every word of ``FAMILIES``."""
    out: dict[str, tuple[str, ...]] = {}
    for fam in FAMILIES:
        terms = {w: tokenize_query(w)[0] for w in fam}
        for t in terms.values():
            out[t] = tuple(o for o in fam if terms[o] != t)
    return out


def family_words(word: str) -> tuple[str, ...]:
    """The other words of ``word``'s family (``FAMILIES``), whatever its inflection: "pharmacies" -> "pharmacist",
    "pharmaceutical"."""
    own = tokenize_query(word)
    return _families().get(own[0], ()) if len(own) == 1 else ()
