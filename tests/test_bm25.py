"""Tests for index.bm25: agreement with rank_bm25.BM25Okapi, top_k, masks,
persistence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

import boardpapers.index.bm25 as bm25_mod
import boardpapers.index.bm25_build as bm25_build
from boardpapers.index.bm25 import BM25
from boardpapers.index.tokenize import tokenize, tokenize_query

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

SMALL_DOCS = [
    "The Health and Wellbeing Board met to discuss delayed transfers of care.",
    "Delayed transfers of care (DTOC) rose in 2017/18; the budget gap was £4m.",
    "CAMHS waiting times for children and young people were reported.",
    "The board approved the Better Care Fund plan for 2017/18 and 2018/19.",
    "Public health grant reduced by 3.5% — a £1,408.15 cut per ward.",
    "Minutes of the previous meeting were agreed as a correct record.",
    "Members noted the report on well-being services for residents aged 18+.",
    "The board noted the report.",
    "Mental health services for children: CAMHS transformation plan.",
    "Meetings of the board are held in public and webcast.",
    "Care homes and home care market: fees for 2017/18 agreed.",
    "The Better Care Fund is pooled between the Council and the CCG.",
]


def _ranked_equal(ref_scores: np.ndarray, ours_idx: np.ndarray, k: int, tol=1e-4) -> None:
    """Our top-k equals rank_bm25's ranking up to ties: at every rank the
    reference score of our document equals the reference score at that rank
    (so only documents with (nearly) equal scores may swap)."""
    expected = np.sort(ref_scores)[::-1][: len(ours_idx)]
    np.testing.assert_allclose(ref_scores[ours_idx], expected, rtol=tol, atol=tol)
    assert len(ours_idx) <= k
    assert len(set(ours_idx.tolist())) == len(ours_idx)


def _contains_any(token_lists, query) -> np.ndarray:
    q = set(query)
    return np.array([bool(q.intersection(d)) for d in token_lists])


@pytest.fixture(scope="module")
def small():
    toks = [tokenize(d) for d in SMALL_DOCS]
    return toks, BM25.build(toks), BM25Okapi(toks)


# ------------------------------------------------------------- agreement
def test_scores_match_rank_bm25_small(small):
    toks, ours, ref = small
    queries = [
        tokenize_query(q)
        for q in [
            "delayed transfers of care",
            "CAMHS children",
            "Better Care Fund 2017/18",
            "£4m budget",
            "board noted the report",
            "care care care",  # repeated terms count repeatedly
            "unknownword zzz",
            "",
        ]
    ] + [["board", "board"], ["care"], ["noted", "nonexistent", "noted"]]
    for q in queries:
        a = ref.get_scores(q)
        b = ours.scores(q)
        assert b.dtype == np.float32 and b.shape == (len(toks),)
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
        idx, sc = ours.top_k(q, 5)
        np.testing.assert_allclose(sc, a[idx], rtol=1e-5, atol=1e-6)
        _ranked_equal(a, idx, 5)
        contains = _contains_any(toks, q)
        assert len(idx) == min(5, int(contains.sum()))
        assert contains[idx].all()


def test_quirks_negative_and_zero_idf_match_rank_bm25():
    # "a" is in every document -> negative idf, replaced by epsilon*avg_idf;
    # "b" in exactly half the documents -> idf exactly 0 (not floored).
    docs = [["a", "b"], ["a", "b", "c"], ["a"], ["a", "d", "d"]]
    ours, ref = BM25.build(docs), BM25Okapi(docs)
    for q in (["a"], ["b"], ["c"], ["a", "d"], ["d", "a", "a"], ["b", "c"]):
        np.testing.assert_allclose(ours.scores(q), ref.get_scores(q), rtol=1e-5, atol=1e-6)
    assert ours.average_idf == pytest.approx(ref.average_idf)
    # docs containing a zero-idf term are still "matches" (score 0)
    idx, sc = ours.top_k(["b"], 10)
    assert idx.tolist() == [0, 1] and (sc == 0).all()
    # negative floor (average idf < 0 on this tiny corpus) ranks like rank_bm25
    idx, _ = ours.top_k(["a"], 10)
    _ranked_equal(ref.get_scores(["a"]), idx, 10)
    assert sorted(idx.tolist()) == [0, 1, 2, 3]


def test_parameters_are_honoured(small):
    toks, _, _ = small
    ours = BM25.build(toks, k1=1.2, b=0.5, epsilon=0.1)
    ref = BM25Okapi(toks, k1=1.2, b=0.5, epsilon=0.1)
    q = tokenize_query("board care report children")
    np.testing.assert_allclose(ours.scores(q), ref.get_scores(q), rtol=1e-5, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=12), min_size=1, max_size=25),
    st.lists(st.sampled_from("abcdefghxy"), max_size=6),
)
def test_random_corpora_match_rank_bm25(docs, query):
    if sum(map(len, docs)) == 0:
        return  # rank_bm25 divides by zero on an all-empty corpus
    ours, ref = BM25.build(docs), BM25Okapi(docs)
    a = ref.get_scores(query)
    np.testing.assert_allclose(ours.scores(query), a, rtol=1e-4, atol=1e-5)
    idx, _ = ours.top_k(query, 5)
    contains = _contains_any(docs, query)
    assert len(idx) == min(5, int(contains.sum()))
    assert contains[idx].all()
    # among matching documents, the order is rank_bm25's (up to ties)
    matching = np.flatnonzero(contains)
    expected = np.sort(a[matching])[::-1][: len(idx)]
    np.testing.assert_allclose(a[idx], expected, rtol=1e-4, atol=1e-5)


def _passages(window: int = 150) -> list[str]:
    words = []
    for f in sorted(SHARED_CORPUS.glob("*.txt")):
        words += f.read_text(encoding="utf-8", errors="replace").split()
    return [" ".join(words[i : i + window]) for i in range(0, len(words), window)]


@pytest.mark.skipif(
    not SHARED_CORPUS.is_dir() or not any(SHARED_CORPUS.glob("*.txt")),
    reason=f"real corpus not available at {SHARED_CORPUS}",
)
@pytest.mark.slow
def test_real_corpus_topk_matches_rank_bm25():
    passages = _passages()
    toks = [tokenize(p) for p in passages]
    assert len(toks) > 500
    ours, ref = BM25.build(toks), BM25Okapi(toks)
    rng = np.random.default_rng(7)
    vocab = sorted(ours.vocab)
    queries = [
        tokenize_query(q)
        for q in [
            "delayed transfers of care",
            "children's mental health CAMHS",
            "health and wellbeing strategy",
            "Better Care Fund 2017/18",
            "budget savings £4m",
            "public health grant reduction",
            "safeguarding adults board annual report",
            "not agreed",
        ]
    ]
    queries += [list(rng.choice(vocab, size=int(rng.integers(1, 6)))) for _ in range(40)]
    queries += [tokenize(passages[int(i)])[:8] for i in rng.integers(0, len(passages), 10)]
    for q in queries:
        a = ref.get_scores(q)
        np.testing.assert_allclose(ours.scores(q), a, rtol=1e-5, atol=1e-5)
        idx, sc = ours.top_k(q, 10)
        contains = _contains_any(toks, q)
        assert len(idx) == min(10, int(contains.sum())) and contains[idx].all()
        _ranked_equal(a, idx, 10)
        # identical ordering wherever rank_bm25's top-10 has no near-ties
        ref_top = np.argsort(a)[::-1][: len(idx)]
        gaps = np.diff(np.sort(a)[::-1][: len(idx) + 1])
        if len(idx) and (np.abs(gaps) > 1e-4).all():
            assert idx.tolist() == ref_top.tolist()


# ------------------------------------------------------------------ top_k
def test_top_k_sorted_and_only_matching(small):
    toks, ours, _ = small
    idx, sc = ours.top_k(tokenize_query("care"), 100)
    assert idx.dtype == np.int64 and sc.dtype == np.float32
    assert (np.diff(sc) <= 0).all()
    assert set(idx.tolist()) == set(np.flatnonzero(_contains_any(toks, ["care"])).tolist())
    assert ours.top_k(tokenize_query("care"), 0)[0].size == 0
    assert ours.top_k(tokenize_query("care"), 2)[0].tolist() == idx[:2].tolist()


def test_top_k_ties_broken_by_index():
    docs = [["x", "y"], ["z"], ["x", "y"], ["x", "y"], ["w"]]
    idx, sc = BM25.build(docs).top_k(["x"], 2)
    assert idx.tolist() == [0, 2] and sc[0] == sc[1]


def test_mask_filters_before_cut(small):
    toks, ours, ref = small
    q = tokenize_query("board care report")
    matching = np.flatnonzero(_contains_any(toks, q))
    keep = matching[-3:]
    mask = np.zeros(ours.n_docs, dtype=bool)
    mask[keep] = True
    idx, sc = ours.top_k(q, 2, mask=mask)
    a = ref.get_scores(q)
    assert len(idx) == 2 and set(idx.tolist()) <= set(keep.tolist())
    idx, sc = ours.top_k(q, 10, mask=mask)
    assert sorted(idx.tolist()) == sorted(keep.tolist())
    _ranked_equal(a[keep], np.searchsorted(keep, idx), 10)
    # a mask keeping only non-matching documents -> nothing
    none = np.zeros(ours.n_docs, dtype=bool)
    none[np.setdiff1d(np.arange(ours.n_docs), matching)] = True
    assert ours.top_k(q, 10, mask=none)[0].size == 0
    with pytest.raises(ValueError, match="mask"):
        ours.top_k(q, 3, mask=np.ones(ours.n_docs + 1, dtype=bool))
    with pytest.raises(ValueError, match="mask"):
        ours.top_k(q, 3, mask=np.ones(ours.n_docs, dtype=int))


def _brute_top_k(model: BM25, docs, q, k, mask=None):
    s = model.scores(q).astype(np.float64)
    elig = _contains_any(docs, q)
    if mask is not None:
        elig &= mask
    c = np.flatnonzero(elig)
    return c[np.lexsort((c, -s[c]))][:k]


@pytest.mark.slow
def test_top_k_large_corpus_against_brute_force():
    # large enough to use the block-maximum candidate filter
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]
    p = 1.0 / np.arange(1, 401)
    p /= p.sum()
    docs = [list(rng.choice(words, size=int(rng.integers(0, 40)), p=p)) for _ in range(6000)]
    docs[10] = []
    model = BM25.build(docs)
    for i in range(60):
        q = list(rng.choice(words, size=int(rng.integers(1, 5)), p=p if i % 2 else None))
        mask = rng.random(len(docs)) < (0.5 if i % 3 else 0.002) if i % 4 else None
        for k in (1, 10, 25):
            got, _ = model.top_k(q, k, mask=mask)
            assert got.tolist() == _brute_top_k(model, docs, q, k, mask).tolist()


# ------------------------------------------------------- empty / unknown
def test_empty_and_unknown_queries(small):
    _, ours, _ = small
    for q in ([], ["no-such-term"], ["", "zzzz"]):
        s = ours.scores(q)
        assert s.shape == (ours.n_docs,) and not s.any()
        idx, sc = ours.top_k(q, 10)
        assert idx.size == 0 and sc.size == 0
    with pytest.raises(TypeError, match="tokenize_query"):
        ours.scores("board")  # type: ignore[arg-type]


def test_build_edge_cases():
    empty = BM25.build([])
    assert empty.n_docs == 0 and empty.scores(["a"]).shape == (0,)
    assert empty.top_k(["a"], 3)[0].size == 0
    blank = BM25.build([[], []])
    assert blank.n_docs == 2 and not blank.scores(["a"]).any()
    gen = BM25.build(d for d in [["a", "b"], ["b"]])  # generators are fine
    assert gen.n_docs == 2 and gen.vocab == {"a": 0, "b": 1}
    with pytest.raises(TypeError, match="tokenize"):
        BM25.build(["a plain string document"])


def test_chunked_build_is_identical(small, monkeypatch):
    toks, ours, _ = small
    monkeypatch.setattr(bm25_build, "CHUNK_TOKENS", 7)
    chunked = BM25.build(iter(toks))
    for name in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(ours, name))
    assert chunked.vocab == ours.vocab and chunked.avgdl == ours.avgdl


def test_matrix_layout(small):
    toks, ours, _ = small
    assert ours.indptr.shape == (ours.n_terms + 1,)
    assert ours.data.dtype == np.float32 and ours.indices.dtype == np.int32
    assert ours.nnz == sum(len(set(t)) for t in toks)
    for t, r in ours.vocab.items():
        docs = ours.indices[ours.indptr[r] : ours.indptr[r + 1]]
        assert (np.diff(docs) > 0).all()
        assert docs.tolist() == [i for i, d in enumerate(toks) if t in d]


# ------------------------------------------------------------ persistence
def test_save_load_roundtrip_mmap(small, tmp_path):
    toks, ours, _ = small
    out = tmp_path / "idx"
    ours.save(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(bm25_mod.FILES)
    params = json.loads((out / "bm25_params.json").read_text())
    for key in ("k1", "b", "epsilon", "n_docs", "avgdl", "version"):
        assert key in params
    assert params["n_docs"] == len(toks)
    loaded = BM25.load(out)  # mmap by default
    assert isinstance(loaded.data, np.memmap) and not loaded.data.flags.writeable
    assert loaded.vocab == ours.vocab and loaded.n_docs == ours.n_docs
    assert (loaded.k1, loaded.b, loaded.epsilon, loaded.avgdl) == (ours.k1, ours.b, ours.epsilon, ours.avgdl)
    in_mem = BM25.load(out, mmap=False)
    assert not isinstance(in_mem.data, np.memmap)
    for q in (tokenize_query("board care"), tokenize_query("CAMHS 2017/18"), []):
        np.testing.assert_array_equal(loaded.scores(q), ours.scores(q))
        for a, b in zip(loaded.top_k(q, 5), ours.top_k(q, 5)):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(in_mem.scores(q), ours.scores(q))
    # saving over an existing index replaces it
    BM25.build([["only"]]).save(out)
    assert BM25.load(out).vocab == {"only": 0}


def test_save_load_odd_terms(tmp_path):
    docs = [["caf\u00e9", "\ud800", 'a"b', "£4m"], ["caf\u00e9"]]
    BM25.build(docs).save(tmp_path)
    loaded = BM25.load(tmp_path)
    assert set(loaded.vocab) == {"caf\u00e9", "\ud800", 'a"b', "£4m"}
    assert loaded.top_k(["£4m"], 3)[0].tolist() == [0]


def test_load_errors(small, tmp_path):
    _, ours, _ = small
    with pytest.raises(FileNotFoundError, match=re.escape("BM25.build")):
        BM25.load(tmp_path / "missing")
    ours.save(tmp_path)
    (tmp_path / "bm25_indices.npy").unlink()
    with pytest.raises(FileNotFoundError, match="bm25_indices.npy"):
        BM25.load(tmp_path)
    ours.save(tmp_path)
    params = json.loads((tmp_path / "bm25_params.json").read_text())
    params["version"] = 999
    (tmp_path / "bm25_params.json").write_text(json.dumps(params))
    with pytest.raises(ValueError, match="rebuild"):
        BM25.load(tmp_path)
    ours.save(tmp_path)
    (tmp_path / "bm25_vocab.json").write_text(json.dumps(["just", "two"]))
    with pytest.raises(ValueError, match="inconsistent"):
        BM25.load(tmp_path)
    # pickled object arrays are refused (allow_pickle=False)
    ours.save(tmp_path)
    np.save(tmp_path / "bm25_data.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        BM25.load(tmp_path, mmap=False)


# A council that publishes each report and appendix as a file of its own: no agenda item, a title that names it
STANDALONE_PAPERS = {
    "Appendix J - Details of Core Grants.txt": (
        "Details of Core Grants within the 2025-26 Provisional Local Government Finance Settlement\n\n"
        + "The Council receives a mix of general grants which can be used in any way the Council sees fit. " * 20
        + "\n\nB) New Homes Bonus\n\n"
        + "As in 2024-25 there are no legacy payments. In two tier areas the reward is split 80% to the district "
        + "and 20% to the county, and this Council's allocation for 2025-26 is £1.9m.\n\n"
        + "The social care grant supports adult and children's social care in every area of the county. " * 20
    ),
    "Highways Term Maintenance Contract.txt": (
        "Highways Term Maintenance Contract\n\n"
        + "The contract splits the work between the district teams and the county's contractor. " * 20
    ),
}


@pytest.fixture(scope="module")
def standalone_dir(tmp_path_factory):
    from conftest import index_of_texts

    d = tmp_path_factory.mktemp("standalone")
    index_of_texts(d, STANDALONE_PAPERS)
    return d / "idx"


@pytest.fixture(params=["embedded", "postgresql"])
def standalone(request, standalone_dir):
    from pgfixture import open_on_backend

    return open_on_backend(request, standalone_dir)


@pytest.mark.slow  # the index is built with the real model
def test_a_passage_outside_any_item_is_read_with_its_documents_title(standalone):
    """BM25 reads a passage with its agenda item's title; a paper published on its own has no item, and its title
    names what each of its passages is about. The split of the New Homes Bonus sits mid-appendix and never says "core
    grants": it is found for them by the title, over the contract that also splits work between district and county."""
    from boardpapers.index.build import bm25_text
    from boardpapers.index.search import search

    assert bm25_text({"item": None, "title": "Appendix J", "meeting_date": None, "text": "t"}) == "Appendix J\nt"
    assert bm25_text({"item": "5. Budget", "title": "Appendix J", "meeting_date": None, "text": "t"}) == "5. Budget\nt"
    ix = standalone
    held = ix.term_rows(["core", "contract"])
    assert len(ix) > 3 and len(held["core"]) == len(ix) - len(held["contract"])  # every passage of the appendix, not its first
    hit = search(ix, "core grants split between district and county", k=1, mode="bm25").hits[0]
    assert "split 80% to the district" in hit["text"]
