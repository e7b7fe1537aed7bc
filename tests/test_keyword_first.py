"""Keyword first (issue 18): papers searchable by keyword as soon as they are parsed, vectors landing in the
background, hits saying which mode served them, `info` showing the progress, a killed run resumed without encoding
again what it stored, and the GPU used when torch sees one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, ROOT, HashEmbedder, build_index

from bench.concurrent_load import minutes_text
from boardpapers.index import backfill, writer
from boardpapers.index.embedded import Index
from boardpapers.index.embedqueue import EmbedQueue
from boardpapers.index.hits import KEYWORD_ONLY_MARK, citation
from boardpapers.index.judge import feature_matrix, judge, model_params, probability
from boardpapers.index.rank import judged_ranking
from boardpapers.index.search import search
from boardpapers.index.semantic import progress, progress_line, vector_flags
from boardpapers.index.store import Store

QUERIES = ["library opening hours", "budget update approved", "health and wellbeing board"]
K_ALL = 1000  # more hits than the test indexes have passages


class CountingEmbedder(HashEmbedder):
    """HashEmbedder that records the texts of every encode call, and can take its time over each."""

    def __init__(self, pause: float = 0.0):
        self.calls: list[list[str]] = []
        self.pause = pause

    def encode(self, texts, batch_size=None):
        time.sleep(self.pause)
        self.calls.append(list(texts))
        return super().encode(texts, batch_size)

    @property
    def encoded(self) -> list[str]:
        return [t for call in self.calls for t in call]


@pytest.fixture(scope="module")
def papers(tmp_path_factory) -> Path:
    """A real pack (the smallest of corpus/) and four generated minutes."""
    d = tmp_path_factory.mktemp("kwpapers")
    shutil.copy(CORPUS / "004_6f7fe29cf4be1230.pdf", d / "pack.pdf")
    for i in range(4):
        (d / f"minutes_{i}.txt").write_text(minutes_text(i), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def plain(papers, tmp_path_factory) -> Path:
    """The same papers ingested the usual way (one switch, every vector): what a keyword-first ingest must end as."""
    idx = tmp_path_factory.mktemp("kwplain") / "idx"
    build_index([papers], idx, HashEmbedder())
    return idx


@pytest.fixture
def publish_often(monkeypatch):
    """A generation after every encode call of 64 texts (the real cadence is every 30 s or more)."""
    monkeypatch.setattr(backfill, "PUBLISH_SECONDS", 0.0)
    monkeypatch.setattr(backfill, "PUBLISH_COST", 0.0)
    monkeypatch.setattr(EmbedQueue, "BATCH", 64)


def judged(res) -> dict:
    """passage_id -> (match, relevance) of every hit (k is past the index's size: no cut among equal scores; the
    fused scores themselves depend on the order of equal BM25 scores, that is on the order documents were stored)."""
    assert len(res.hits) < K_ALL
    return {h["passage_id"]: (h["match"], h["relevance"]) for h in res.hits}


def answers(idx: Path, mode: str = "hybrid") -> dict:
    """Every hit of each query, judged; and each passage's vector and sentence-window vectors in the live generation."""
    ix = Index(idx)
    try:
        out: dict = {q: judged(search(ix, q, k=K_ALL, mode=mode, embedder=HashEmbedder())) for q in QUERIES}
        ids = {p["pid"]: p["passage_id"] for p in ix.store.passages_by_pid(ix.pid_of(range(len(ix)))).values()}
        for r in range(len(ix)):
            wins = np.asarray(ix.window_vectors[ix.window_offsets[r] : ix.window_offsets[r + 1]])
            out[ids[int(ix.pids[r])]] = (np.round(ix.vectors[r], 5).tobytes(), np.round(wins, 5).tobytes())
        return out
    finally:
        ix.store.close()


def passage_ids(idx: Path) -> set[str]:
    s = Store(idx, readonly=True)
    try:
        return {r[0] for r in s.con.execute("SELECT passage_id FROM passages JOIN documents USING(doc_id) WHERE status='active'")}
    finally:
        s.close()


def check_hits(ix, res) -> None:
    """Each hit cites its passage as the store has it, and says how it was found: by keyword while its passage has no
    vector in this generation (its citation then says so), else in the mode asked for."""
    rows = ix.rows_for_passage_ids([h["passage_id"] for h in res.hits])
    stored = ix.store.passages_by_pid(ix.pid_of(rows))
    for h, row in zip(res.hits, rows):
        p = stored[int(ix.pids[row])]
        assert (h["text"], h["path"], h["page"], h["meeting_date"]) == (p["text"], p["path"], p["page"], p["meeting_date"])
        has = ix.has_vector is None or bool(ix.has_vector[row])
        assert h["has_vector"] is has
        assert h["mode"] == ("hybrid" if has else "bm25")
        assert (KEYWORD_ONLY_MARK in citation(h)) is (not has)


def test_keyword_first_serves_keyword_search_then_hybrid_and_ends_like_a_plain_ingest(papers, plain, tmp_path, monkeypatch, publish_often):
    idx = tmp_path / "idx"
    seen: list[dict] = []
    real_build = writer.build_generation

    def watched_build(store, model_id, dim, *a, **kw):  # every generation, searched the moment it is published
        gen = real_build(store, model_id, dim, *a, **kw)
        ix = Index(idx)
        try:
            results = {q: search(ix, q, k=K_ALL, embedder=HashEmbedder()) for q in QUERIES}
            for res in results.values():
                check_hits(ix, res)
            missing = 0 if ix.has_vector is None else int((~ix.has_vector).sum())
            seen.append({"missing": missing, "rows": len(ix), "results": results, "judge": {r.judge for r in results.values()}})
            if missing:
                assert ix.manifest["missing_vectors"] == missing and progress(ix)["passages_without_vector"] == missing
        finally:
            ix.store.close()
        return gen

    monkeypatch.setattr(writer, "build_generation", watched_build)
    emb = CountingEmbedder()
    lines: list[str] = []
    report = writer.ingest([str(papers)], idx, model=emb.model_id, embedder=emb, workers=1, keyword_first=True, progress=lines.append)
    assert not report.failed and report.count("ingested") == 5
    # while the files are parsed, generations of the documents stored so far, none with vectors: at least the first
    # file's (how many files each later one adds depends on how many the parse worker finishes while one is published)
    parsing = [x for x in seen if x["rows"] < report.passages_total]
    assert len(parsing) >= 1 and all(x["missing"] == x["rows"] for x in parsing)
    assert [x["rows"] for x in parsing] == sorted({x["rows"] for x in parsing})
    # then every passage, none with a vector yet: hybrid search ranks and judges exactly as keyword search of the
    # complete index does, and says so
    seen = seen[len(parsing) :]
    first = seen[0]
    assert first["missing"] == first["rows"] == report.passages_total
    assert first["judge"] == {"lexical"}
    keyword = {q: judged(r) for q, r in first["results"].items()}
    ix = Index(plain)
    try:
        assert keyword == {q: judged(search(ix, q, k=K_ALL, mode="bm25")) for q in QUERIES}
    finally:
        ix.store.close()
    assert all(r.keyword_only and "matched by keyword only" in r.keyword_only for r in first["results"].values())
    # then generations with more and more vectors (judged by the full model where there is one), and the last with all
    middle = [s for s in seen if 0 < s["missing"] < s["rows"]]
    assert len(middle) >= 2 and [s["missing"] for s in seen] == sorted((s["missing"] for s in seen), reverse=True)
    assert any("mixed" in s["judge"] for s in middle)
    assert seen[-1]["missing"] == 0 and seen[-1]["judge"] == {"full"}
    assert 0 < report.timeline["searchable"] < report.timeline["keyword_searchable"] < report.timeline["fully_hybrid"]
    assert any(line.startswith("semantic indexing: ") for line in lines)
    # each distinct text encoded once, and the end is the plain ingest's index: same passages, same answers
    assert len(emb.encoded) == len(set(emb.encoded)) == report.embedded
    assert passage_ids(idx) == passage_ids(plain)
    assert answers(idx) == answers(plain)
    assert not list((idx / "gens" / Path(Index(idx).gen_name)).glob("has_vector.npy"))


def test_a_passage_without_a_vector_is_judged_by_the_lexical_model_never_by_missing_data(papers, plain, tmp_path):
    """Half the passages without vectors: those are judged by the model fitted without the dense features (the
    zeros where their vectors would be count for nothing); the others exactly as in the complete index."""
    idx = tmp_path / "idx"
    shutil.copytree(plain, idx)
    s = Store(idx)
    keys = [r[0] for r in s.con.execute("SELECT embed_key FROM passages ORDER BY pid")]
    with s.con:
        s.con.executemany("DELETE FROM embeddings WHERE key=?", [(k,) for k in keys[::2]])
    s.bump_version()
    s.con.commit()
    from boardpapers.index.build import build_generation

    build_generation(s, HashEmbedder.model_id, HashEmbedder.dim)
    s.close()
    ix = Index(idx)
    try:
        assert ix.has_vector is not None and 0 < int((~ix.has_vector).sum()) < len(ix)
        params = model_params()
        other = np.random.default_rng(7).standard_normal(HashEmbedder.dim).astype(np.float32)
        for q in QUERIES:
            res = search(ix, q, k=20, embedder=HashEmbedder())
            check_hits(ix, res)
            assert res.judge == "mixed"
            ranking, verdict = judged_ranking(ix, q, 100, embedder=HashEmbedder())
            rows = verdict.rows
            lacking = ~vector_flags(ix, rows) & ~ix.decisions_of(rows)  # (a decision takes its item's best)
            assert lacking.any() and not lacking.all()
            # the lexical model on the same candidates' words, whatever the query's vector
            x, _ = feature_matrix(ix, rows, ranking.text, None)
            assert np.allclose(verdict.relevance[lacking], probability(x, params["models"]["lexical"])[lacking])
            elsewhere = judge(ix, rows, ranking.text, other / np.linalg.norm(other))
            assert np.allclose(elsewhere.relevance[lacking], verdict.relevance[lacking])
            assert not np.allclose(elsewhere.relevance[~lacking], verdict.relevance[~lacking])
    finally:
        ix.store.close()


def test_concurrent_searches_while_vectors_land_cite_correctly_and_never_fail(papers, tmp_path, monkeypatch, publish_often):
    idx = tmp_path / "idx"
    emb = CountingEmbedder(pause=0.05)  # encoding takes its time: the readers search between the generations
    errors: list[str] = []
    generations: dict[str, int] = {}
    stop = threading.Event()

    def reader(mode: str) -> None:
        ix = None
        while not stop.is_set():
            try:
                name = (idx / "CURRENT").read_text().strip() if (idx / "CURRENT").exists() else None
                if name is None:
                    time.sleep(0.01)
                    continue
                if ix is None or ix.gen_name != name:
                    ix = Index(idx)
                for q in QUERIES:
                    res = search(ix, q, k=10, mode=mode, embedder=HashEmbedder())
                    # (a generation published while the files are parsed holds some of the papers)
                    assert res.hits or ix.manifest["documents"] < 5, f"no hits for {q!r} in {ix.gen_name}"
                    check_hits(ix, res) if mode == "hybrid" else None
                generations[ix.gen_name] = 0 if ix.has_vector is None else int((~ix.has_vector).sum())
            except Exception as exc:  # noqa: BLE001 - every error is reported
                errors.append(f"{mode}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=reader, args=(m,)) for m in ("hybrid", "hybrid", "bm25")]
    for t in threads:
        t.start()
    try:
        report = writer.ingest([str(papers)], idx, model=emb.model_id, embedder=emb, workers=1, keyword_first=True)
        time.sleep(0.5)  # the readers pick up the last generation
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert not report.failed
    missing = sorted(generations.values())
    assert len(generations) >= 3 and missing[0] == 0 and any(0 < m < report.passages_total for m in missing), generations


_KILLED_INGEST = """
import sys, time
sys.path.insert(0, {tests!r})
from conftest import HashEmbedder
from boardpapers.index import backfill
from boardpapers.index.embedqueue import EmbedQueue
from boardpapers.index.writer import ingest
backfill.PUBLISH_SECONDS = 0.0
EmbedQueue.BATCH = 32

class Slow(HashEmbedder):
    def encode(self, texts, batch_size=None):
        time.sleep(0.3)
        out = super().encode(texts, batch_size)
        print("encoded", len(texts), flush=True)
        return out

ingest([{papers!r}], {idx!r}, model=HashEmbedder.model_id, embedder=Slow(), workers=1, keyword_first=True)
print("finished", flush=True)
"""


def test_sigkill_while_embedding_leaves_a_searchable_index_and_the_next_run_encodes_only_the_rest(papers, plain, tmp_path, capsys):
    idx = tmp_path / "idx"
    script = _KILLED_INGEST.format(tests=str(ROOT / "tests"), papers=str(papers), idx=str(idx))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT.parent), *sys.path]))
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    calls = 0
    for line in proc.stdout:  # let four encode calls land, then kill it mid-embedding
        calls += line.startswith("encoded")
        assert not line.startswith("finished"), "the ingest finished before the kill"
        if calls == 4:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the index answers: by keyword, and hybrid where vectors were published; every citation is right
    ix = Index(idx)
    try:
        assert len(ix) == len(passage_ids(plain))
        for mode in ("bm25", "hybrid"):
            for q in QUERIES:
                res = search(ix, q, k=10, mode=mode, embedder=HashEmbedder())
                assert res.hits
                if mode == "hybrid":
                    check_hits(ix, res)
        p = progress(ix)
        assert p is not None and p["state"] == "stopped" and 0 < p["embedded"] < p["texts"]
        assert "stopped" in progress_line(p)
    finally:
        ix.store.close()
    from boardpapers import cli

    assert cli.main(["info", "--index", str(idx)]) == 0
    out = capsys.readouterr().out
    assert "semantic indexing: " in out and "texts embedded (stopped" in out
    assert cli.main(["info", "--index", str(idx), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["semantic"]["state"] == "stopped" and info["semantic"]["texts"] == p["texts"]
    # what the killed run stored is never encoded again: the next run encodes exactly the rest
    s = Store(idx, readonly=True)
    stored = {r[0] for r in s.con.execute("SELECT key FROM embeddings")}
    s.close()
    assert stored
    from boardpapers.index.embed import embed_key

    emb = CountingEmbedder()
    again = writer.ingest([str(papers)], idx, model=emb.model_id, embedder=emb, workers=1, keyword_first=True)
    assert again.count("unchanged") == 5
    again_keys = {embed_key(t) for t in emb.encoded}
    assert not again_keys & stored
    assert len(emb.encoded) == len(again_keys) == p["texts"] - len(stored)
    assert passage_ids(idx) == passage_ids(plain) and answers(idx) == answers(plain)
    ix = Index(idx)
    try:
        assert progress(ix) is None and ix.has_vector is None
    finally:
        ix.store.close()


def test_a_plain_ingest_also_finishes_what_a_stopped_keyword_first_run_left(papers, plain, tmp_path):
    """An encoder failure stops the keyword-first run (its record says so); a later plain ingest embeds the rest."""
    idx = tmp_path / "idx"

    class Failing(CountingEmbedder):
        def encode(self, texts, batch_size=None):
            if len(self.calls) == 2:
                raise RuntimeError("simulated encoder failure")
            return super().encode(texts, batch_size)

    with pytest.raises(RuntimeError, match="simulated"):
        writer.ingest([str(papers)], idx, model=HashEmbedder.model_id, embedder=Failing(), workers=1, keyword_first=True)
    ix = Index(idx)  # the keyword generation is live
    try:
        assert ix.has_vector is not None and not ix.has_vector.any()
        assert progress(ix)["state"] == "stopped"
    finally:
        ix.store.close()
    emb = CountingEmbedder()
    build_index([papers], idx, emb)
    assert emb.encoded and answers(idx) == answers(plain)


def test_the_gpu_is_used_when_torch_sees_one_with_larger_batches(monkeypatch, tmp_path):
    torch = pytest.importorskip("torch")
    from boardpapers.index import embed
    from boardpapers.index.report import IngestReport

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert embed._best_device() == "cuda"
    assert embed.default_batch_size("cuda") == embed.default_batch_size("cuda:1") == 256
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert embed._best_device() == "cpu"
    assert embed.default_batch_size("cpu") == 64

    class OnDevice(CountingEmbedder):
        def __init__(self, device: str):
            super().__init__()
            self.device = device

    s = Store(tmp_path / "idx")
    try:
        for device, per_call in (("cuda", EmbedQueue.BATCH_CUDA), ("cpu", EmbedQueue.BATCH)):
            emb = OnDevice(device)
            queue = EmbedQueue(s, emb.model_id, IngestReport(), emb)
            queue.texts.update((f"k{device}{i}", f"text {device} {i}") for i in range(EmbedQueue.BATCH_CUDA + 10))
            queue.encode_some(busy_workers=0)
            assert [len(c) for c in emb.calls] == [per_call]
    finally:
        s.close()


@pytest.mark.slow
def test_the_embedder_picks_the_device_and_its_batch_size(monkeypatch):
    """Embedder() on a machine whose torch sees a GPU loads the model there, with the GPU's batch size."""
    torch = pytest.importorskip("torch")
    import sentence_transformers

    from boardpapers.index import embed

    loaded: list[str] = []

    class FakeModel:
        max_seq_length = 256

        def __init__(self, path, device=None, **kw):
            loaded.append(device)

        def get_embedding_dimension(self):
            return 384

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", FakeModel)
    for cuda, device, batch in ((True, "cuda", 256), (False, "cpu", 64)):
        monkeypatch.setattr(torch.cuda, "is_available", lambda cuda=cuda: cuda)
        e = embed.Embedder()
        assert (loaded[-1], e.device, e.batch_size) == (device, device, batch)


def test_keyword_first_needs_no_model_before_the_first_generation(papers, tmp_path, monkeypatch):
    """The vector size of the first (keyword) generation comes from the model's files, not from loading it."""
    assert backfill.config_dim("all-MiniLM-L6-v2") == 384
    assert backfill.config_dim(str(tmp_path / "nowhere")) is None
    ix_dir = tmp_path / "idx"
    emb = CountingEmbedder()
    seen: list[int] = []
    real_build = writer.build_generation

    def watched_build(store, model_id, dim, *a, **kw):
        seen.append(len(emb.calls))
        return real_build(store, model_id, dim, *a, **kw)

    monkeypatch.setattr(writer, "build_generation", watched_build)
    writer.ingest([str(papers)], ix_dir, model=emb.model_id, embedder=emb, workers=1, keyword_first=True)
    assert seen[0] == 0 and np.all(np.asarray(seen[1:]) > 0)


@pytest.mark.slow
@pytest.mark.browser
def test_app_script_on_a_fresh_index_serves_searches_while_vectors_land(tmp_path):
    """`./scripts/app.sh` with no index: corpus/ indexed in the background keyword first, the app up and answering a
    search in the browser while the semantic indexing is still running (the page says so; setup skipped: this venv is
    installed); stopping the script (^C) stops the indexing too. How soon it answers is a benchmark's figure
    (docs/BENCHMARKS.md), not this test's: the deadline here only stops a hang."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from appserver import chromium, free_port

    idx, port = tmp_path / "idx", free_port()
    env = dict(
        os.environ,
        BOARDPAPERS_SKIP_SETUP="1",
        BOARDPAPERS_BIN=str(Path(sys.executable).parent),
        BOARDPAPERS_INDEX=str(idx),
        BOARDPAPERS_CACHE=str(tmp_path / "cache"),  # an empty embedding-model cache, as on a fresh clone
        TOKENIZERS_PARALLELISM="false",
    )
    log = open(tmp_path / "app.log", "w")
    t0 = time.time()
    proc = subprocess.Popen(
        ["bash", "scripts/app.sh", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            while True:  # the page is served once the keyword index is live
                assert proc.poll() is None and time.time() - t0 < 600, (tmp_path / "app.log").read_text()[-2000:]
                try:
                    page.goto(f"http://127.0.0.1:{port}", timeout=5_000)
                    break
                except sync_api.Error:
                    time.sleep(0.5)
            box = page.get_by_label("Search the papers")
            box.wait_for(timeout=60_000)
            shown = time.time() - t0
            box.fill("library opening hours")
            box.press("Enter")
            page.locator(".bp-n").first.wait_for(timeout=60_000)
            served = time.time() - t0
            page.get_by_text("semantic indexing: ").first.wait_for(timeout=10_000)  # the embedding runs for minutes here
            cited = page.locator(".bp-n").first.inner_text()
        live = json.loads((idx / "gens" / (idx / "CURRENT").read_text().strip() / "manifest.json").read_text())["built_at"]
        print(f"app.sh: first index version built at {live}; page shown at {shown:.1f} s; a search answered at {served:.1f} s")
        assert cited.strip()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # ^C in the terminal: the app stops, the script's trap stops the indexing
        proc.wait(timeout=60)
        log.close()
    time.sleep(1)
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(idx) in cmdline.read_bytes().decode(errors="replace"):
                left.append(cmdline.parent.name)
        except OSError:  # gone meanwhile
            pass
    assert not left, "the background ingest outlived the script"
    out = (tmp_path / "app.log").read_text()
    assert "searchable by keyword" in out and "it resumes on the next start" in out
