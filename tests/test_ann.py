"""Approximate dense index (index/ann.py): built above the threshold, recorded in the manifest, close to exact
search, correct under filters, atomic, and a damaged file is reported as such."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import CORPUS, ROOT, HashEmbedder, build_index

from boardpapers.index import ann
from boardpapers.index.build import build_generation
from boardpapers.index.embedded import Index
from boardpapers.index.errors import IndexError_
from boardpapers.index.generation import current_generation_name
from boardpapers.index.query import Filters
from boardpapers.index.search import search
from boardpapers.index.store import Store

PACKS = ("004_6f7fe29cf4be1230.pdf", "003_a7b28d8a4ec9b5b9.pdf")


def _gen(index_dir):
    return index_dir / "gens" / current_generation_name(index_dir)


def _manifest(index_dir) -> dict:
    return json.loads((_gen(index_dir) / "manifest.json").read_text())


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two real packs indexed twice from the same store: with the approximate index forced (threshold 1 via
    $BOARDPAPERS_ANN_THRESHOLD, as a user would set it) and with the default threshold (exact)."""
    d = tmp_path_factory.mktemp("ann")
    src = d / "src"
    src.mkdir()
    for name in PACKS:
        shutil.copy(CORPUS / name, src / name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOARDPAPERS_ANN_THRESHOLD", "1")
        report = build_index([src], d / "ann", HashEmbedder())
    assert report.count("ingested") == 2, report.outcomes
    shutil.copytree(d / "ann", d / "exact")
    store = Store(d / "exact")
    build_generation(store, HashEmbedder.model_id, HashEmbedder.dim)  # default threshold: far above this index
    store.close()
    return d / "ann", d / "exact"


def _queries(ix: Index, n: int = 40) -> list[np.ndarray]:
    """Query vectors: the opening words of passages spread over the index, embedded like a query."""
    rows = np.linspace(0, len(ix) - 1, n).astype(int)
    texts = ix.store.passages_by_pid([int(ix.pids[r]) for r in rows])
    emb = HashEmbedder()
    return [emb.encode_query(" ".join(texts[int(ix.pids[r])]["text"].split()[:6])) for r in rows]


def test_ann_is_built_above_the_threshold_and_described_in_the_manifest(pair, capsys):
    ann_dir, exact_dir = pair
    m = _manifest(ann_dir)["dense"]
    assert m["type"] == "ivf-sq8" and m["ann_threshold"] == 1 and m["factory"] == f"IVF{m['nlist']},SQ8"
    assert 1 <= m["nprobe"] <= m["nlist"] and m["calibration"]["recall_at_10"] >= m["calibration"]["target_recall_at_10"]
    assert m["bytes"] == (_gen(ann_dir) / ann.ANN_FILE).stat().st_size
    ix = Index(ann_dir)
    faiss_ix = ix.faiss_index()
    assert type(faiss_ix).__name__ == "IndexIVFScalarQuantizer" and faiss_ix.ntotal == len(ix)
    # below the threshold: exact search, no approximate file
    e = _manifest(exact_dir)["dense"]
    assert e["type"] == "flat-ip" and e["ann_threshold"] == ann.ANN_THRESHOLD
    assert not (_gen(exact_dir) / ann.ANN_FILE).exists()
    assert type(Index(exact_dir).faiss_index()).__name__ == "IndexFlatIP"
    # `info` reports which dense index a user has
    from boardpapers import cli

    assert cli.main(["info", "--index", str(ann_dir), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["dense_index"] == m


def test_ann_results_match_exact_search(pair):
    a, e = Index(pair[0]), Index(pair[1])
    assert list(a.pids) == list(e.pids)
    overlap = []
    for q in _queries(a):
        ra, sa = a.dense_rank(q, 10, None)
        re_, se = e.dense_rank(q, 10, None)
        overlap.append(len(set(ra.tolist()) & set(re_.tolist())) / 10)
        # scores are exact cosines (re-scored from the float32 vectors), so shared rows score the same
        exact = dict(zip(re_.tolist(), se.tolist()))
        for r, s in zip(ra.tolist(), sa.tolist()):
            if r in exact:
                assert s == pytest.approx(exact[r], abs=1e-5)
        assert list(sa) == sorted(sa, reverse=True)
    assert np.mean(overlap) >= 0.95, overlap
    # the whole query pipeline on both indexes
    emb = HashEmbedder()
    got = [h["passage_id"] for h in search(a, "mental health services contract", k=5, mode="dense", embedder=emb).hits]
    want = [h["passage_id"] for h in search(e, "mental health services contract", k=5, mode="dense", embedder=emb).hits]
    assert len(set(got) & set(want)) >= 4, (got, want)


def test_filtered_ann_queries_return_only_allowed_rows(pair, monkeypatch):
    a, e = Index(pair[0]), Index(pair[1])
    monkeypatch.setattr(ann, "EXACT_MASK_MAX", 0)  # this index is small: force the bitmap-filtered IVF scan
    rng = np.random.default_rng(0)
    qs = _queries(a, 20)
    # a filter leaving exactly 3 rows: all three come back, nothing else
    three = np.zeros(len(a), dtype=bool)
    three[rng.choice(len(a), 3, replace=False)] = True
    for q in qs[:5]:
        rows, scores = a.dense_rank(q, 10, three)
        assert sorted(rows.tolist()) == sorted(np.flatnonzero(three).tolist())
        erows, _ = e.dense_rank(q, 10, three)
        assert rows.tolist() == erows.tolist()
    # a wider filter: only allowed rows, and the same top 10 as exact search over the filter (nearly)
    half = rng.random(len(a)) < 0.4
    overlap = []
    for q in qs:
        rows, _ = a.dense_rank(q, 10, half)
        assert len(rows) == 10 and half[rows].all()
        erows, _ = e.dense_rank(q, 10, half)
        overlap.append(len(set(rows.tolist()) & set(erows.tolist())) / 10)
    assert np.mean(overlap) >= 0.95, overlap
    # a real filter through search(): every hit passes it
    f = Filters(decisions=True)
    assert 0 < int(a.mask(f).sum()) < len(a)
    hits = search(a, "resolved recommendations approved", k=10, filters=f, mode="dense", embedder=HashEmbedder()).hits
    assert hits and all(h["is_decision"] for h in hits)
    none = np.zeros(len(a), dtype=bool)
    assert a.dense_rank(qs[0], 10, none)[0].size == 0


def test_damaged_ann_file_is_reported(pair, tmp_path):
    bad = tmp_path / "truncated"
    shutil.copytree(pair[0], bad)
    f = _gen(bad) / ann.ANN_FILE
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(IndexError_, match=r"damaged.*dense\.faiss.*rebuild"):
        Index(bad)
    garbled = tmp_path / "garbled"
    shutil.copytree(pair[0], garbled)
    f = _gen(garbled) / ann.ANN_FILE
    data = bytearray(f.read_bytes())
    data[:64] = b"\xff" * 64
    f.write_bytes(bytes(data))
    ix = Index(garbled)  # opens (the file is read on first dense query)...
    with pytest.raises(IndexError_, match=r"damaged.*dense\.faiss.*rebuild"):
        ix.dense_rank(_queries(ix, 1)[0], 10, None)
    # ... and the command line says so in one line, exit 2 (the index's fake embedder stands in for the model)
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "import conftest, boardpapers.index.embed as embed\nfrom boardpapers import cli\n"
        "embed.get_embedder = lambda *a, **k: conftest.HashEmbedder()\n"
        f"sys.exit(cli.main(['search', 'health', '--mode', 'dense', '--index', {str(garbled)!r}]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stderr[-1500:]
    assert r.stderr.startswith("boardpapers: the index at") and "damaged" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    # BM25 search does not need the dense index
    assert search(ix, "health", mode="bm25").hits


def test_failed_ann_build_leaves_the_previous_generation(pair, tmp_path, monkeypatch):
    d = tmp_path / "idx"
    shutil.copytree(pair[1], d)
    before = current_generation_name(d)

    def boom(*a, **k):
        raise RuntimeError("killed while building the approximate index")

    monkeypatch.setattr(ann, "build", boom)
    store = Store(d)
    with pytest.raises(RuntimeError):
        build_generation(store, HashEmbedder.model_id, HashEmbedder.dim, ann_threshold=1)
    store.close()
    assert current_generation_name(d) == before
    assert not [p for p in (d / "gens").iterdir() if p.name.startswith(".tmp")]
    assert Index(d).dense_rank(HashEmbedder().encode_query("health"), 5, None)[0].size == 5
