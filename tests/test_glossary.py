"""Acronym mining (index/glossary.py): the definitions council papers give, found fast and exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from boardpapers.ingest.glossary import STOP_ACRONYMS, initials_match, mine

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# The definition of "Long Form (ACR)" as one pattern: up to 12 words, then the parenthesised acronym. mine()
# finds the acronyms first and looks back for the words (this pattern, run over a whole pack, tried 12 words
# ahead at every position); both must find the same pairs.
_ONE_PATTERN = re.compile(r"((?:[A-Za-z][\w'’\-]*[,]?\s+){1,12}?)\(\s*([A-Z][A-Za-z&]{1,9})\s*\)")


def _long_form_pairs_one_pattern(text: str) -> set[tuple[str, str]]:
    found = set()
    for m in _ONE_PATTERN.finditer(re.sub(r"\s+", " ", text)):
        acr = m.group(2)
        if acr.upper() in STOP_ACRONYMS or sum(c.isupper() for c in acr) < 2:
            continue
        tail = initials_match([w.strip(",") for w in m.group(1).split()], acr)
        if tail:
            found.add((acr, " ".join(tail)))
    return found


def test_definitions_in_both_orders():
    text = (
        "Delayed Transfers of Care (DTOC) rose. The Better Care Fund (BCF) and the Clinical Commissioning "
        "Group (CCG)(CCG) met. UHL (University Hospitals of Leicester) reported. In 2017 (ABC) nothing."
    )
    pairs = set(mine(text))
    assert {
        ("DTOC", "Delayed Transfers of Care"),
        ("BCF", "Better Care Fund"),
        ("CCG", "Clinical Commissioning Group"),
        ("UHL", "University Hospitals of Leicester"),
    } <= pairs
    assert not any(a == "ABC" for a, _ in pairs)


def test_adjacent_definitions_do_not_borrow_words():
    pairs = set(mine("Health and Wellbeing Board (HWB) Sustainability and Transformation Plan (STP)"))
    assert pairs == {("HWB", "Health and Wellbeing Board"), ("STP", "Sustainability and Transformation Plan")}


def test_words_far_before_the_acronym_are_not_used():
    text = "word " * 40 + "Joint Strategic Needs Assessment ( JSNA ) was published."
    assert mine(text) == [("JSNA", "Joint Strategic Needs Assessment")]


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.txt")) + sorted(SHARED_CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_same_long_form_pairs_as_the_one_pattern_definition(path):
    text = path.read_text(encoding="utf-8")
    want = _long_form_pairs_one_pattern(text)
    got = set(mine(text))
    assert want <= got
    assert {p for p in got if p not in want} == set(_acr_first_pairs(text)) - want


def _acr_first_pairs(text: str) -> set[tuple[str, str]]:
    """Pairs written the other way round, "ACR (Long Form)", which the one-pattern definition does not cover."""
    from boardpapers.ingest.glossary import ACR_LONG

    out = set()
    for m in ACR_LONG.finditer(re.sub(r"\s+", " ", text)):
        words = [w.strip(",") for w in m.group(2).split()]
        if m.group(1).upper() not in STOP_ACRONYMS and initials_match(words, m.group(1)) == words:
            out.add((m.group(1), " ".join(words)))
    return out


def test_query_expansion_follows_the_query_order():
    """The notes (which also go into the dense query) come in the order the query names the acronyms, never in a
    set's order: the same query must rank the same in every process (set order of strings varies with the hash seed)."""
    from boardpapers.index.glossary import expand_query

    glossary = {
        "STP": ["Sustainability and Transformation Plan"],
        "UHL": ["University Hospitals of Leicester"],
        "BCF": ["Better Care Fund"],
        "DTOC": ["Delayed Transfers of Care"],
        "CCG": ["Clinical Commissioning Group"],
    }
    for query in ("STP UHL BCF DTOC CCG bids", "CCG and DTOC with BCF, UHL and the STP"):
        extra, notes = expand_query(query, glossary)
        named = [w for w in re.findall(r"[A-Z]{3,}", query)]
        assert [n.split(" = ")[0] for n in notes] == named
        assert extra == [glossary[a][0] for a in named]


def test_a_lower_case_word_is_an_acronym_only_in_a_query_typed_without_capitals():
    """Kent's papers define GET (Growth, Environment and Transport): "how do I get on the housing list" asked
    nothing about that directorate, and the notes said "GET = Growth Environment and Transport". A query that uses
    capitals uses them for its acronyms; one typed all in lower case may write "camhs" for CAMHS."""
    from boardpapers.index.glossary import acronym_words, expand_query
    from boardpapers.index.judge import concepts

    glossary = {"GET": ["Growth Environment and Transport"], "CAMHS": ["Child and Adolescent Mental Health Service"]}
    for query in ("how do I get on the council housing waiting list", "did Essex get onto the devolution programme"):
        assert "get" not in acronym_words(query)
        assert expand_query(query, glossary) == ([], [])
        assert [c.alternatives for c in concepts(query, glossary) if c.term == "get"] == [()]
    extra, notes = expand_query("GET capital programme total cost", glossary)
    assert extra == ["Growth Environment and Transport"] and notes == ["GET = Growth Environment and Transport"]
    extra, notes = expand_query("camhs waiting times", glossary)
    assert notes == ["CAMHS = Child and Adolescent Mental Health Service"]
    assert [c.alternatives for c in concepts("camhs waiting times", glossary) if c.term == "camh"] == [
        (("child", "adolesc", "mental", "health", "servic"),)
    ]


KCP_PAPERS = {
    "parks_2025_01.txt": (
        "Cabinet, 30 January 2025. Country parks.\n\n"
        "Kent Country Parks (KCP) welcomed over a million visitors to its eight sites this year."
    ),
    "kcp_2025_01.txt": (
        "Cabinet, 30 January 2025. Commissioning Plan for Education Provision.\n\n"
        "The Kent Commissioning Plan sets out the need for school places. The KCP forecasts 530 new special school "
        "places by 2029."
    ),
    "cyp_2024_11.txt": (
        "Children's and Young People Cabinet Committee, 21 November 2024. Education.\n\n"
        "The committee endorsed the Kent Commissioning Plan. Members asked how the KCP would meet the demand for "
        "secondary places."
    ),
    "send_2025_03.txt": (
        "Cabinet, 4 March 2025. Special educational needs.\n\n"
        "Household Waste Recycling Centres (HWRCs) are not in this report. The KCP consultation and the Kent "
        "Commissioning Plan informed the special school expansions."
    ),
}


@pytest.mark.slow  # index_of_texts builds with the real model
def test_an_acronym_reads_first_the_name_the_papers_using_it_mean(tmp_path):
    """One paper defines "Kent Country Parks (KCP)"; the others use KCP for the Kent Commissioning Plan, which none
    defines as "(KCP)". A query's KCP reads the name most of the passages using it hold first, the definition after."""
    from conftest import index_of_texts

    from boardpapers.index.glossary import query_glossary
    from boardpapers.index.search import search

    ix = index_of_texts(tmp_path, KCP_PAPERS)
    assert ix.glossary["KCP"] == ["Kent Country Parks"]  # what the papers define
    assert query_glossary(ix, "KCP special school places")["KCP"] == ["Kent Commissioning Plan", "Kent Country Parks"]
    assert "KCP = Kent Commissioning Plan" in search(ix, "KCP special school places", k=1).notes
    # an acronym no other name is attested for keeps its definition; a query without one reads the glossary as it is
    assert query_glossary(ix, "HWRCs opening hours")["HWRCs"] == ["Household Waste Recycling Centres"]
    assert query_glossary(ix, "special school places") is ix.glossary
