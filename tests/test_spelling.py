"""British and American spellings (index/spelling.py): a query in either finds and matches the papers in the other."""

from __future__ import annotations

import numpy as np
import pytest
from pgfixture import BACKENDS, open_on_backend

from boardpapers.index.judge import concepts, lexical_features
from boardpapers.index.rank import rank
from boardpapers.index.search import search
from boardpapers.index.spelling import query_variants, variants


@pytest.mark.parametrize(
    "british, american",
    [
        ("programme", "program"),
        ("organisation", "organization"),
        ("organised", "organized"),
        ("behaviour", "behavior"),
        ("neighbourhood", "neighborhood"),
        ("analyse", "analyze"),
        ("centre", "center"),
        ("licence", "license"),
        ("catalogue", "catalog"),
        ("paediatric", "pediatric"),
        ("oesophagus", "esophagus"),
        ("adviser", "advisor"),
        ("judgement", "judgment"),
    ],
)
def test_each_spelling_gives_the_other(british, american):
    assert american in variants(british)
    assert british in variants(american)


def test_short_and_ordinary_words_have_no_other_spelling():
    for w in ("hour", "tour", "size", "for", "budget", "council", "data", "rise", "year", "report"):
        assert not [v for v in variants(w) if v in {"hor", "tor", "sise", "budgaet", "raeport"}], w
    assert variants("hour") == variants("tour") == variants("size") == ()
    assert variants("budget") == variants("council") == ()
    assert variants("Covid-19") == variants("2025") == ()
    assert query_variants("the capital program's adviser") == ["programme", "advisor", "advizer"]


def test_the_judge_counts_a_word_spelled_the_other_way_as_the_query_word():
    by_term = {c.term: c.alternatives for c in concepts("treasury adviser for the capital program", {})}
    assert ("advisor",) in by_term["advis"] and ("programm",) in by_term["program"]
    assert by_term["treasuri"] == ()


@pytest.fixture(scope="module", params=BACKENDS)
def ix(request, real_index):
    return open_on_backend(request, real_index)


def test_an_american_spelling_finds_and_matches_the_british_papers(ix):
    """The packs write "organisation" (never "organization") and "DfE Specialist Advisor": the American query ranks
    the same passages by BM25 as the British one, the judge finds them as fully covered, and the search finds the
    adviser's passage as a match."""
    us = [i for i, _ in rank(ix, "organization", 20, mode="bm25").fused]
    uk = [i for i, _ in rank(ix, "organisation", 20, mode="bm25").fused]
    assert us and us == uk
    post = ix.term_rows(["organis", "organiz"])
    assert "organiz" not in post or not len(post["organiz"])
    cov = lexical_features(ix, np.asarray(us), concepts("organization", {}))["cov"]
    assert (cov == 1.0).all()
    res = search(ix, "DfE specialist adviser chairing the improvement board", k=5)
    first = res.hits[0]
    assert "advisor" in first["text"].lower() and first["match"] == "strong" and first["page"]
