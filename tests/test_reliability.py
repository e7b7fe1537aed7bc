"""Reliability: `boardpapers ingest` killed with SIGKILL in every phase, a full disk, a read-only index,
damaged index files (every command and the app), concurrent readers during an ingest, concurrent ingests.

The SIGKILL trials run the real CLI (real bundled model) in its own process group and kill the whole group.
The phase a kill lands in is read from the ingest's own progress lines on stderr, timestamped as they
arrive: "parsing N files…" (parse) -> "loading the embedding model…" (embed: model load and encoding of the
first document) -> per-file lines, written after each document's SQLite transaction, and "building index
generation…" (write: the remaining store transactions, the generation files, the CURRENT switch). Kill
moments are drawn at random inside windows measured by a calibration run; each trial records the last
progress line seen before its kill.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, HashEmbedder, build_index
from pdfgen import make_pdf

from bench.concurrent_load import minutes_text, run_load
from boardpapers.index.embedded import Index
from boardpapers.index.lock import process_children, process_running
from boardpapers.index.search import search
from boardpapers.index.store import Store, StoreError

SLOW_FIXTURES = {"good_index", "crash_env"}  # built with the real model (tests/conftest.py marks their tests slow)

ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
QUERIES = ["budget library opening hours", "parking charges RESOLVED", "adult social care contract"]
SEED = int(os.environ.get("BOARDPAPERS_CRASH_SEED", "20261130"))


# ----------------------------------------------------------------- helpers


def store_facts(index_dir: Path) -> dict:
    """What a build must hold: the active passages (by content-derived id), documents and paths, and duplicates."""
    s = Store(index_dir, readonly=True)
    try:
        q = lambda sql: s.con.execute(sql).fetchall()  # noqa: E731
        ids = [r[0] for r in q("SELECT passage_id FROM passages p JOIN documents d USING(doc_id) WHERE d.status='active'")]
        return {
            "passages": len(ids),
            "passage_ids": set(ids),
            "duplicates": len(ids) - len(set(ids)) + q("SELECT count(*) - count(DISTINCT doc_id || '/' || seq) FROM passages")[0][0],
            "documents": {r[0] for r in q("SELECT doc_id FROM documents WHERE status='active'")},
            "paths": {r[0] for r in q("SELECT path FROM doc_paths")},
        }
    finally:
        s.close()


def live_ids(index_dir: Path) -> set[str]:
    """passage_ids of the live generation (what a reader of the index searches)."""
    ix = Index(index_dir)
    try:
        rows = ix.store.passages_by_pid([int(p) for p in ix.pids])
        assert len(rows) == len(ix), "the live generation names passages that are not in the store"
        return {r["passage_id"] for r in rows.values()}
    finally:
        ix.store.close()


def answers(index_dir: Path, embedder) -> dict:
    ix = Index(index_dir)
    try:
        out = {}
        for q in QUERIES:
            for mode in ("bm25", "hybrid"):
                out[(q, mode)] = [(h["passage_id"], h["score"]) for h in search(ix, q, k=5, mode=mode, embedder=embedder).hits]
        return out
    finally:
        ix.store.close()


def no_leftovers(index_dir: Path) -> None:
    assert not list(index_dir.glob(".CURRENT.*"))
    assert not [p for p in (index_dir / "gens").iterdir() if p.name.startswith(".tmp")]
    assert len(list((index_dir / "gens").iterdir())) <= 2


class Watched:
    """A CLI ingest in its own process group, with its output lines (progress, then the summary) timestamped as they arrive."""

    def __init__(self, args: list[str]):
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), *args],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.exit_time: float | None = None
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
        self.proc.wait()
        with self.cond:
            self.exit_time = time.monotonic()
            self.cond.notify_all()

    def wait_line(self, prefix: str, timeout: float = 240) -> float | None:
        """Timestamp of the first output line starting with ``prefix`` (None if the process ended without one)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    if line.startswith(prefix):
                        return t
                if self.exit_time is not None or time.monotonic() > deadline:
                    return None
                self.cond.wait(0.05)

    def kill_at(self, when: float) -> float | None:
        """SIGKILL the whole process group at monotonic time ``when``; None if it had already exited."""
        while time.monotonic() < when:
            time.sleep(min(0.005, max(0.0, when - time.monotonic())))
        if self.proc.poll() is not None:
            return None
        t = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return t

    def finish(self, timeout: float = 300) -> str:
        self.proc.wait(timeout=timeout)
        with self.cond:
            while self.exit_time is None:
                self.cond.wait(0.05)
            return "\n".join(line for _, line in self.lines)

    def phase_at(self, t: float) -> str:
        phase = "startup"
        for ts, line in self.lines:
            if ts >= t:
                break
            if line.startswith("parsing "):
                phase = "parse"
            elif line.startswith("loading the embedding model"):
                phase = "embed"
            elif line.startswith("[") or line.startswith("building index generation"):
                phase = "write"
        return phase


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A small tmpfs at ``path`` (needs root and mount rights; the test is skipped otherwise)."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or 'not permitted'}); needs root with mount rights")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run the CLI in this process (the model stays loaded between calls); a traceback fails the test."""
    from boardpapers import cli as cli_mod

    code = cli_mod.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_clear_line(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("boardpapers:")]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]


# ----------------------------------------------------------------- 1. SIGKILL at random moments


@pytest.fixture(scope="module")
def crash_env(real_index, tmp_path_factory):
    """A previous index (the two real packs), new papers to add (a 24-page PDF first, then three minutes),
    the clean build of everything, and the calibrated phase windows of an uninterrupted CLI ingest."""
    from boardpapers.index.embed import get_embedder, preferred_backend

    root = tmp_path_factory.mktemp("crash")
    base = root / "base"
    shutil.copytree(real_index, base, ignore=shutil.ignore_patterns(".lock"))
    papers = real_index.parent / "papers"
    new = root / "new"
    new.mkdir()
    make_pdf(
        new / "a_pack.pdf",
        [
            [
                f"Item {p}. Budget monitoring report page {p}",
                f"The committee noted spend line {p} of {p * 13} pounds.",
                "Library opening hours and parking charges were reviewed.",
            ]
            for p in range(1, 25)
        ],
        title="Budget monitoring pack",
    )
    for i in range(3):
        (new / f"minutes_{i}.txt").write_text(minutes_text(i), encoding="utf-8")
    emb = get_embedder(None, preferred_backend())  # what a new index is built with here
    clean = root / "clean"
    shutil.copytree(base, clean)
    from boardpapers.index.writer import ingest

    ingest([str(papers), str(new)], clean, rebuild=True, workers=1)  # a fresh store beside, swapped in
    calib = root / "calib"
    shutil.copytree(base, calib)
    w = Watched(["ingest", str(papers), str(new), "--index", str(calib), "--workers", "1"])
    marks = {k: w.wait_line(k) for k in ("parsing ", "loading the embedding model", "[", "building index generation", "ingested:")}
    w.finish()
    assert w.proc.returncode == 0 and all(marks.values()), (marks, w.lines[-5:])
    assert store_facts(calib)["passage_ids"] == store_facts(clean)["passage_ids"]
    windows = {
        "parse": ("parsing ", marks["loading the embedding model"] - marks["parsing "]),
        "embed": ("loading the embedding model", marks["["] - marks["loading the embedding model"]),
        "write-store": ("[", marks["building index generation"] - marks["["]),
        "write-build": ("building index generation", marks["ingested:"] - marks["building index generation"]),
    }
    print("calibrated windows (s):", {k: round(v[1], 2) for k, v in windows.items()})
    return {
        "base": base,
        "paths": [papers, new],
        "clean": store_facts(clean),
        "clean_live": live_ids(clean),
        "base_gen": (base / "CURRENT").read_text().strip(),
        "base_answers": answers(base, emb),
        "windows": windows,
        "emb": emb,
        "root": root,
        "clean_store": clean / "store.sqlite",
    }


@pytest.mark.slow
def test_sigkill_in_every_phase_keeps_previous_index_and_next_ingest_is_exact(crash_env):
    from boardpapers.index.writer import ingest

    env = crash_env
    rng = random.Random(SEED)
    plan = ["parse"] * 3 + ["embed"] * 3 + ["write-store"] * 2 + ["write-build"] * 2
    rng.shuffle(plan)
    landed: list[tuple[str, str, str]] = []  # (target, phase seen, generation after the kill)
    # the planned trials, then (timing varies with machine load) extra ones aimed at any phase hit fewer than twice
    targets = iter(plan)
    n = 0
    while True:
        target = next(targets, None)
        if target is None:
            short = [p for p in ("parse", "embed", "write") if [x[1] for x in landed].count(p) < 2]
            if not short or n >= len(plan) + 8:
                break
            target = {"parse": "parse", "embed": "embed", "write": "write-store"}[short[0]]
        anchor, window = env["windows"][target]
        frac = rng.uniform(0.05, 0.9)
        for attempt in range(3):
            trial = env["root"] / f"trial{n}-{attempt}"
            shutil.copytree(env["base"], trial)
            w = Watched(["ingest", *map(str, env["paths"]), "--index", str(trial), "--workers", "1"])
            t0 = w.wait_line(anchor)
            killed = w.kill_at(t0 + frac * max(window, 0.01)) if t0 is not None else None
            if killed is not None:
                break
            w.finish()
            shutil.rmtree(trial)
            frac /= 3  # the ingest finished first: aim earlier in the window
        else:
            pytest.fail(f"trial {n} ({target}): the ingest always finished before the kill")
        assert w.proc.returncode == -signal.SIGKILL
        phase = w.phase_at(killed)
        # the previous index still opens and answers exactly as before, or (a kill after the switch) is the new one
        gen = (trial / "CURRENT").read_text().strip()
        if gen == env["base_gen"]:
            assert answers(trial, env["emb"]) == env["base_answers"], f"trial {n}: answers changed after a kill in {phase}"
            state = "previous"
        else:
            assert phase == "write", f"trial {n}: a kill in {phase} switched the generation"
            assert live_ids(trial) == env["clean_live"]
            state = "new"
        # the next ingest finishes with exactly the clean build's passages: nothing missing, nothing twice.
        # (Its embedding cache is filled from the clean build first, only to save encoding time: cached vectors
        # change no passage, and the store after the kill is used as it is.)
        con = sqlite3.connect(trial / "store.sqlite")
        con.execute("ATTACH DATABASE ? AS clean", (str(env["clean_store"]),))
        con.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM clean.embeddings")
        con.commit()
        con.close()
        report = ingest([str(p) for p in env["paths"]], trial, workers=1)
        assert not report.failed, report.failed
        facts = store_facts(trial)
        assert facts["duplicates"] == 0
        assert facts["passages"] == env["clean"]["passages"] == report.passages_total
        for k in ("passage_ids", "documents", "paths"):
            assert facts[k] == env["clean"][k], f"trial {n}: {k} differ from a clean build"
        assert live_ids(trial) == env["clean_live"]
        no_leftovers(trial)
        landed.append((target, phase, state))
        shutil.rmtree(trial)
        n += 1
    print(f"SIGKILL trials (seed {SEED}):", landed)
    phases = [p for _, p, _ in landed]
    assert len(landed) >= 10
    for p in ("parse", "embed", "write"):
        assert phases.count(p) >= 2, f"only {phases.count(p)} kills landed in the {p} phase: {landed}"


@pytest.mark.slow
def test_two_concurrent_cli_ingests_second_refuses_and_nothing_is_corrupted(crash_env):
    env = crash_env
    idx = env["root"] / "two"
    shutil.copytree(env["base"], idx)
    args = ["ingest", *map(str, env["paths"]), "--index", str(idx), "--workers", "1"]
    first = Watched(args)
    assert first.wait_line("parsing ") is not None  # it holds the lock from here on
    second = Watched(args)
    err2 = second.finish()
    assert first.proc.poll() is None, "the first ingest ended before the second one was refused"
    err1 = first.finish()
    assert second.proc.returncode == 2, err2
    assert "another ingest is running" in err2 and f"pid {first.proc.pid}" in err2 and "Traceback" not in err2
    assert first.proc.returncode == 0, err1
    facts = store_facts(idx)
    assert facts["duplicates"] == 0 and facts["passage_ids"] == env["clean"]["passage_ids"]


# ----------------------------------------------------------------- 2. full disk, read-only index


def small_papers(d: Path, n: int, start: int = 0) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (d / f"minutes_{i:03d}.txt").write_text(minutes_text(i) * 3, encoding="utf-8")
    return d


@pytest.mark.slow
def test_full_disk_fails_clearly_and_keeps_the_previous_index(tmp_path, capsys):
    from boardpapers.index.embed import get_embedder, preferred_backend

    emb = get_embedder(None, preferred_backend())  # what a new index is built with here
    papers = small_papers(tmp_path / "papers", 2)
    with tmpfs(tmp_path / "disk", "4m") as disk:
        idx = disk / "index"
        code, _, err = cli(capsys, "ingest", papers, "--index", idx, "-q")
        assert code == 0, err
        before, ids_before = answers(idx, emb), live_ids(idx)
        st = os.statvfs(disk)
        with open(disk / "filler", "wb") as f:  # leave ~24 KB free
            f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - 24 * 1024))
        small_papers(papers, 12, start=2)
        code, _, err = cli(capsys, "ingest", papers, "--index", idx, "-q")
        assert code == 2
        one_clear_line(err, str(idx))
        assert any(k in err for k in ("No space left on device", "disk is full")), err
        assert "the previous index is unchanged" in err
        assert answers(idx, emb) == before and live_ids(idx) == ids_before
        (disk / "filler").unlink()
        code, _, err = cli(capsys, "ingest", papers, "--index", idx, "-q")
        assert code == 0, err
        healed, healed_live = store_facts(idx), live_ids(idx)
        no_leftovers(idx)
    clean = tmp_path / "clean"
    build_index([papers], clean)
    facts = store_facts(clean)
    assert healed["duplicates"] == 0 and healed["passage_ids"] == facts["passage_ids"] == healed_live


@pytest.mark.slow
def test_read_only_index_is_searchable_and_ingest_is_refused(tmp_path, capsys):
    from boardpapers.index.embed import get_embedder, preferred_backend

    emb = get_embedder(None, preferred_backend())  # what a new index is built with here
    papers = small_papers(tmp_path / "papers", 2)
    with tmpfs(tmp_path / "ro", "8m") as ro:
        idx = ro / "index"
        assert cli(capsys, "ingest", papers, "--index", idx, "-q")[0] == 0
        before = answers(idx, emb)
        r = subprocess.run(["mount", "-o", "remount,ro", str(ro)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot remount read-only: {r.stderr.strip()}")
        try:
            assert not os.access(idx, os.W_OK)
            # readers work on a read-only disk (a shared, published index)
            assert answers(idx, emb) == before
            code, out, err = cli(capsys, "search", "budget", "--index", idx, "--format", "json")
            assert code == 0 and json.loads(out), err
            small_papers(papers, 3, start=2)
            code, _, err = cli(capsys, "ingest", papers, "--index", idx, "-q")
            assert code == 2
            one_clear_line(err, str(idx), "Read-only file system")
            code, _, err = cli(capsys, "ingest", "--rebuild", papers, "--index", idx, "-q")
            assert code == 2
            one_clear_line(err, "Read-only file system")
            assert answers(idx, emb) == before
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(ro)], capture_output=True)


# ----------------------------------------------------------------- 3. damaged index


def _gen(idx: Path) -> Path:
    return idx / "gens" / (idx / "CURRENT").read_text().strip()


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _garbage(p: Path) -> None:
    p.write_bytes(random.Random(1).randbytes(max(4096, p.stat().st_size)))


def _damage_sqlite_pages(idx: Path) -> None:
    p = idx / "store.sqlite"
    data = bytearray(p.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    rng = random.Random(2)
    for start in range(page, len(data), page):  # every page but the first (the header and schema stay readable)
        data[start : start + page] = rng.randbytes(min(page, len(data) - start))
    p.write_bytes(bytes(data))


def _damage_sqlite_tail(idx: Path) -> None:
    p = idx / "store.sqlite"
    data = bytearray(p.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    n = len(data) // page
    rng = random.Random(3)
    for k in range(int(n * 0.6), n):  # the last pages only: the store opens, reads of passages fail
        data[k * page : (k + 1) * page] = rng.randbytes(page)
    p.write_bytes(bytes(data))


def _dates_as_strings(idx: Path) -> None:
    """dates.npy replaced by strings of the same length (passed every check, then raised in trace and --since)."""
    p = _gen(idx) / "dates.npy"
    np.save(p, np.array(["2021-03-"] * len(np.load(p))))


def _newer_schema(idx: Path) -> None:
    mf = _gen(idx) / "manifest.json"
    m = json.loads(mf.read_text())
    m["schema_version"] = 99
    mf.write_text(json.dumps(m))
    con = sqlite3.connect(idx / "store.sqlite")
    con.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()


DAMAGE = {
    # name: (how, what the message says, what a plain ingest does: True heals it (the store is intact and the
    # generation is rebuilt from it), False refuses clearly, None does not notice (nothing it reads is damaged))
    "vectors-truncated": (lambda idx: _truncate(_gen(idx) / "vectors.npy"), "damaged", True),
    "vectors-garbage": (lambda idx: _garbage(_gen(idx) / "vectors.npy"), "not a plain array file", True),
    "bm25-missing": (lambda idx: next(p for p in _gen(idx).iterdir() if p.name.startswith("bm25")).unlink(), "damaged", True),
    "manifest-missing": (lambda idx: (_gen(idx) / "manifest.json").unlink(), "missing its manifest", True),
    "manifest-garbage": (lambda idx: (_gen(idx) / "manifest.json").write_bytes(b"\x00\xff{[" * 10), "unreadable", True),
    "current-garbage": (lambda idx: (idx / "CURRENT").write_bytes(b"../../../etc\xff\xfe"), "CURRENT names no generation", True),
    "sqlite-garbage": (lambda idx: _garbage(idx / "store.sqlite"), "damaged", False),
    "sqlite-pages": (_damage_sqlite_pages, "damaged", False),
    "sqlite-truncated": (lambda idx: _truncate(idx / "store.sqlite"), "damaged", False),
    "sqlite-tail": (_damage_sqlite_tail, "damaged", False),  # readers notice when they read it; ingest's quick_check first
    "dates-strings": (_dates_as_strings, "dates.npy holds", True),
    "newer-schema": (_newer_schema, "newer than this boardpapers", False),
}


@pytest.fixture(scope="module")
def good_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("damage")
    papers = small_papers(root / "papers", 3)
    idx = root / "index"
    from boardpapers.index.writer import ingest

    assert ingest([str(papers)], idx, workers=1).count("ingested") == 3
    return idx, papers


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_index_every_command_says_what_and_how_to_rebuild(kind, good_index, tmp_path, capsys):
    src, papers = good_index
    idx = tmp_path / "index"
    shutil.copytree(src, idx)
    damage, what, heals = DAMAGE[kind]
    damage(idx)
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "1", "query": "budget"}\n')
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"query": "budget", "relevant": ["x"]}\n')
    commands = [
        ["search", "budget", "--mode", "bm25"],
        ["search", "library opening hours"],
        ["search", "--queries", queries],
        ["export", "budget", "--format", "csv", "-o", tmp_path / "out.csv"],
        ["ask", "What was decided about the budget?"],
        ["trace", "budget"],
        ["info"],
        ["info", "--format", "json"],
        ["eval", "--gold", gold],
    ]
    for args in commands:
        code, out, err = cli(capsys, *args, "--index", idx)
        if args[:2] == ["search", "--queries"] and code == 0:  # batch mode reports per query, as JSON
            assert "rebuild" in json.loads(out)["error"] and what in json.loads(out)["error"]
            continue
        assert code == 2, (args, code, out[:300], err)
        one_clear_line(err, what)
        assert "boardpapers ingest --rebuild" in err or "upgrade boardpapers" in err
    # a plain ingest rebuilds a damaged generation from the intact store, or refuses clearly
    code, _, err = cli(capsys, "ingest", papers, "--index", idx, "-q")
    if heals:
        assert code == 0, err
        assert len(Index(idx)) == len(Index(src))
    elif heals is None:
        assert code in (0, 2) and "Traceback" not in err
    else:
        assert code == 2
        one_clear_line(err, "--rebuild" if what != "newer than this boardpapers" else "newer")
    # and --rebuild always gives a working index with the same passages
    code, _, err = cli(capsys, "ingest", "--rebuild", papers, "--index", idx, "-q")
    assert code == 0, err
    assert store_facts(idx)["passage_ids"] == store_facts(src)["passage_ids"]
    code, out, err = cli(capsys, "search", "budget", "--index", idx, "--format", "json")
    assert code == 0 and json.loads(out), err


@pytest.mark.parametrize(
    "kind", ["vectors-garbage", "manifest-missing", "current-garbage", "sqlite-garbage", "sqlite-tail", "newer-schema"]
)
def test_damaged_index_app_shows_the_problem_not_a_traceback(kind, good_index, tmp_path, monkeypatch):
    pytest.importorskip("streamlit.testing.v1")
    from streamlit.testing.v1 import AppTest

    src, _ = good_index
    idx = tmp_path / "index"
    shutil.copytree(src, idx)
    DAMAGE[kind][0](idx)
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(idx))
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(tmp_path / "corpus"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    if not at.error:  # the damage is inside the store: it shows once a page reads it
        at.text_input(key="query").set_value("budget").run()
        assert not at.exception, at.exception
    if not at.error:
        at.radio(key="view").set_value("Documents").run()
        assert not at.exception, at.exception
    assert at.error, f"{kind}: no error shown"
    msg = at.error[0].value
    assert DAMAGE[kind][1] in msg and ("boardpapers ingest --rebuild" in msg or "upgrade boardpapers" in msg), msg
    assert "Traceback" not in msg


# ----------------------------------------------------------------- 4. concurrency


@pytest.fixture
def load_index(tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    for i in range(3):
        (papers / f"base_{i}.txt").write_text(minutes_text(i), encoding="utf-8")
    idx = tmp_path / "idx"
    build_index([papers], idx, HashEmbedder())
    return idx, papers


@pytest.mark.slow
@pytest.mark.parametrize("threads, procs", [(8, 0), (0, 4)], ids=["8-threads", "4-processes"])
def test_readers_during_an_ingest_see_a_consistent_index(load_index, threads, procs):
    idx, papers = load_index
    # 12 s: in a full test run the first ingest alone (its parse worker starting in a large process) can take most of 6 s
    r = run_load(idx, papers, seconds=12, threads=threads, procs=procs, embedder=HashEmbedder(), mode="hybrid")
    assert not r["errors"], r["errors"][:3]
    assert r["writer_ingests"] >= 2
    assert r["latency"]["searches"] >= 50
    for reader in r["readers"]:
        assert reader["latencies"], "a reader never completed a search"
        assert reader["sizes"] == sorted(reader["sizes"]), f"a reader saw the index shrink: {reader['sizes']}"
    assert r["generations_seen"] >= 2, "the readers never saw a new generation"
    print(f"{threads or procs} reader {'threads' if threads else 'processes'} during {r['writer_ingests']} ingests: {r['latency']}")


# ----------------------------------------------------------------- 1b. a crash inside the --rebuild swap


@pytest.mark.slow
@pytest.mark.parametrize("crash_at", [2, 5], ids=["moving-the-old-index-out", "moving-the-new-index-in"])
def test_rebuild_interrupted_mid_swap_is_finished_by_the_next_ingest(tmp_path, monkeypatch, crash_at):
    """`--rebuild` swaps by renames (index -> .NAME.old-PID, .NAME.rebuild-PID -> index). The crash is simulated
    by failing the n-th of those renames (there are 3 + 3); the next ingest, of any kind, finishes the swap."""
    papers = small_papers(tmp_path / "papers", 3)
    emb = HashEmbedder()
    idx = tmp_path / "idx"
    build_index([papers], idx, emb)
    small_papers(papers, 2, start=3)
    clean = tmp_path / "clean"
    build_index([papers], clean, emb)
    real_rename, calls = os.rename, []

    def crashing_rename(src, dst):
        parent = Path(src).parent
        if parent == idx or parent.name.startswith(".idx.rebuild-"):
            calls.append(src)
            if len(calls) == crash_at:
                raise OSError(5, "simulated crash")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", crashing_rename)
    with pytest.raises(OSError, match="simulated crash"):
        build_index([papers], idx, emb, rebuild=True)
    monkeypatch.setattr(os, "rename", real_rename)
    assert list(tmp_path.glob(".idx.old-*")) and list(tmp_path.glob(".idx.rebuild-*"))  # really half swapped
    lines: list[str] = []
    report = build_index([papers], idx, emb, progress=lines.append)
    assert any("interrupted while swapping in" in ln for ln in lines)
    assert not report.failed and report.embedded == 0
    assert store_facts(idx) == store_facts(clean) and live_ids(idx) == live_ids(clean)
    assert not list(tmp_path.glob(".idx.*")), "leftovers beside the index"


def test_leftovers_of_a_killed_rebuild_are_removed(tmp_path):
    papers = small_papers(tmp_path / "papers", 2)
    idx = tmp_path / "idx"
    build_index([papers], idx, HashEmbedder())
    stale = tmp_path / ".idx.rebuild-999999"  # what a rebuild killed before its swap leaves
    (stale / "gens").mkdir(parents=True)
    (stale / "store.sqlite").write_bytes(b"half written")
    before = store_facts(idx)
    build_index([papers], idx, HashEmbedder())
    assert not stale.exists() and store_facts(idx) == before


# ----------------------------------------------------------------- 5. holes found by an adversarial run (issue 14)


def _bm25_hits_cite_what_they_match(idx: Path, words: list[str]) -> None:
    """Every BM25 hit for a word contains that word: a generation served from a store it was not built from cites
    other passages than the ones it scored (the text of the cited passage then lacks the word)."""
    ix = Index(idx)
    try:
        for w in words:
            hits = search(ix, w, k=10, mode="bm25", related=False).hits
            assert hits, w
            for h in hits:
                assert w in h["text"].lower(), (w, h["passage_id"], h["text"][:120])
                assert ix.store.con.execute("SELECT text FROM passages WHERE passage_id=?", (h["passage_id"],)).fetchone()[0] == h["text"]
    finally:
        ix.store.close()


def _two_kinds_of_papers(d: Path) -> Path:
    """Minutes about budgets (generated) and minutes of another kind, whose words the first never use."""
    small_papers(d, 2)
    for i in range(2):
        (d / f"zz_trees_{i}.txt").write_text(
            f"Minutes of the Planning Committee of Arbor District Council held on {i + 3} May 2021.\n\n"
            f"{i + 1}. TREE PRESERVATION ORDER {i}\nThe committee considered hedgerow removal and woodland grants "
            f"at site {i}.\nRESOLVED: That the tree preservation order {i} be confirmed.\n" * 3,
            encoding="utf-8",
        )
    return d


@pytest.mark.slow
@pytest.mark.parametrize("how", ["deleted", "truncated"])
def test_a_recreated_store_is_never_served_with_the_old_generation(tmp_path, capsys, how):
    """Issue 14, hole 1: `rm store.sqlite*` (or truncating it) with gens/ and CURRENT left, then ingest. The new store
    numbers the passages in another order (here: the papers come in one run instead of two), with the same count of
    changes as the old one -- the generation must not be taken for current, and no reader may serve it meanwhile."""
    emb = HashEmbedder()
    papers = _two_kinds_of_papers(tmp_path / "papers")
    first = tmp_path / "first"
    first.mkdir()
    for f in sorted(papers.glob("zz_*")):  # the tree minutes first: they get the low passage numbers
        shutil.copy(f, first / f.name)
    idx = tmp_path / "index"
    build_index([first], idx, embedder=emb)
    build_index([papers], idx, embedder=emb)
    _bm25_hits_cite_what_they_match(idx, ["hedgerow", "library"])
    old_gen = (idx / "CURRENT").read_text().strip()
    old_version = json.loads((_gen(idx) / "manifest.json").read_text())["store_version"]
    for p in idx.glob("store.sqlite*"):
        if how == "deleted":
            p.unlink()
        else:
            p.write_bytes(b"")
    # a reader of the orphaned generation refuses with the rebuild hint instead of citing passages of another store
    if how == "truncated":
        code, out, err = cli(capsys, "search", "hedgerow", "--mode", "bm25", "--index", idx)
        assert code == 2, out
        one_clear_line(err, "--rebuild")
    report = build_index([papers], idx, embedder=emb)
    assert report.count("ingested") == 4
    assert Store(idx, readonly=True).version() == old_version, "the reproduction needs the same store version"
    assert (idx / "CURRENT").read_text().strip() != old_gen, "the old generation was taken for the new store's"
    _bm25_hits_cite_what_they_match(idx, ["hedgerow", "library", "woodland", "parking"])


@pytest.mark.slow
def test_a_generation_is_refused_by_a_store_it_was_not_built_from(tmp_path, capsys):
    """Readers check the binding on every open: a store copied in from another index (same number of changes, other
    passages) gives the rebuild hint, not wrong citations; a plain ingest then rebuilds the generation."""
    emb = HashEmbedder()
    papers = _two_kinds_of_papers(tmp_path / "papers")
    a, b = tmp_path / "a", tmp_path / "b"
    build_index(sorted(papers.glob("*")), a, embedder=emb)
    build_index(sorted(papers.glob("*"))[::-1], b, embedder=emb)  # the same papers, numbered in another order
    shutil.copy(b / "store.sqlite", a / "store.sqlite")
    for args in (
        ["search", "hedgerow", "--mode", "bm25"],
        ["export", "library", "--mode", "bm25", "--format", "csv", "-o", tmp_path / "x.csv"],
        ["trace", "budget"],
        ["info"],
    ):
        code, out, err = cli(capsys, *args, "--index", a)
        assert code == 2, (args, out[:300])
        one_clear_line(err, "does not match its passage store", "--rebuild")
    build_index([papers], a, embedder=emb)
    _bm25_hits_cite_what_they_match(a, ["hedgerow", "library", "woodland", "parking"])


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["parsing", "loading the embedding model"])
def test_killing_only_the_main_ingest_process_leaves_no_stuck_lock(tmp_path, capsys, phase):
    """Issue 14, hole 2: `kill -9 <main pid>` (not its group) while parsing or embedding. The parse workers die with
    it (they used to live on under PID 1 holding `.lock`, and every later ingest exited 2 "another ingest is
    running"), and the next ingest runs."""
    papers = tmp_path / "papers"
    papers.mkdir()
    for src in sorted((ROOT / "corpus").glob("*.pdf"), key=lambda p: -p.stat().st_size)[:3]:  # the longest packs
        shutil.copy(src, papers / src.name)
    idx = tmp_path / "index"
    w = Watched(["ingest", str(papers), "--index", str(idx), "--workers", "2"])
    try:
        assert w.wait_line(phase, timeout=180) is not None, w.lines
        deadline = time.monotonic() + 30
        while len(workers := process_children(w.proc.pid)) < 2 and time.monotonic() < deadline:  # the pool starts after the line
            time.sleep(0.05)
        assert workers, "no parse worker to orphan"
        os.kill(w.proc.pid, signal.SIGKILL)  # the main process only
        deadline = time.monotonic() + 20
        while any(process_running(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in workers if process_running(p)], "parse workers outlived the ingest"
        code, _, err = cli(capsys, "ingest", small_papers(tmp_path / "small", 1), "--index", idx, "-q")
        assert code == 0, err
        assert "another ingest" not in err
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(w.proc.pid, signal.SIGKILL)


LOCK_HOLDER = """
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, str(os.getpid() if sys.argv[2] == "self" else int(sys.argv[2])).encode())
print("locked", flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_a_lock_whose_holder_is_gone_is_broken_with_a_message(tmp_path, capsys):
    """A `.lock` still locked by a process that is not the recorded holder (an orphan of an older version), whose
    recorded holder is dead: the next ingest says so, breaks it and runs. A lock held by a live ingest still refuses."""
    papers = small_papers(tmp_path / "papers", 1)
    idx = tmp_path / "index"
    idx.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    for who, refused in (("self", True), (str(dead.pid), False)):
        holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(idx / ".lock"), who], stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            code, _, err = cli(capsys, "ingest", papers, "--index", idx, "-q")
            if refused:
                assert code == 2
                one_clear_line(err, "another ingest is running", f"pid {holder.pid}")
            else:
                assert code == 0, err
                assert f"pid {dead.pid}" in err and "no longer running" in err and "breaking it" in err
        finally:
            holder.kill()
            holder.wait()
    code, _, err = cli(capsys, "ingest", papers, "--index", idx, "-q")  # and the lock it took is released normally
    assert code == 0, err


@pytest.mark.slow
def test_a_disk_too_small_for_the_generation_is_refused_before_writing(tmp_path, capsys, monkeypatch):
    """Issue 14, hole 3 (the check): the generation's size is known once BM25 is built; a disk without room for it
    gets one clear line before anything is written, no temporary folder is left, and the live index keeps serving."""
    import boardpapers.index.build as build_mod

    emb = HashEmbedder()
    papers = small_papers(tmp_path / "papers", 2)
    idx = tmp_path / "index"
    build_index([papers], idx, embedder=emb)
    before = answers(idx, emb)
    real = os.statvfs

    class Full:
        def __init__(self, st):
            self.f_frsize, self.f_bavail = st.f_frsize, 3  # three blocks free

    monkeypatch.setattr(build_mod.os, "statvfs", lambda p: Full(real(p)))
    small_papers(papers, 3, start=2)
    with pytest.raises(StoreError, match="not enough disk space to write the index generation") as exc:
        build_index([papers], idx, embedder=emb)
    assert "the previous index is unchanged" in str(exc.value)
    no_leftovers(idx)
    assert answers(idx, emb) == before
    monkeypatch.setattr(build_mod.os, "statvfs", real)
    build_index([papers], idx, embedder=emb)
    assert len(Index(idx)) > len(before) and no_leftovers(idx) is None


FILL_GEN = """
import sys
sys.path.insert(0, sys.argv[3])
from pathlib import Path
import boardpapers.index.build as b
from boardpapers.index.store import Store

b.check_space = lambda where, need: None  # as if the free-space check were wrong: the writes themselves must fail cleanly
store = Store(Path(sys.argv[1]))
try:
    b.build_generation(store, sys.argv[2], int(sys.argv[4]))
except Exception as exc:
    print(type(exc).__name__ + ": " + str(exc), flush=True)
    sys.exit(3)
print("built", flush=True)
"""


@pytest.mark.slow
def test_the_disk_filling_up_while_a_generation_is_written_is_a_clear_error_not_sigbus(tmp_path):
    """Issue 14, hole 3 (the writes): a tmpfs that fills up in the middle of the sentence-window vectors -- once written
    through a memory map, which killed the process with SIGBUS (exit 135) and left a `.tmp-gen-*` folder."""
    emb = HashEmbedder()
    papers = tmp_path / "papers"
    papers.mkdir()
    for i in range(40):  # long passages: many sentence windows, so the window file is the largest
        (papers / f"r{i:02d}.txt").write_text(
            f"Report {i} of the Director of Finance to the Cabinet of Fillside Council.\n\n"
            + " ".join(
                f"The review of library {i}-{k} found that opening hours on Saturday mornings served {k * 37 + i} visitors."
                for k in range(60)
            ),
            encoding="utf-8",
        )
    with tmpfs(tmp_path / "disk", "16m") as disk:
        idx = disk / "index"
        build_index([papers], idx, embedder=emb)
        gen = _gen(idx)
        win = (gen / "window_vectors.npy").stat().st_size
        rest = sum(p.stat().st_size for p in gen.iterdir()) - win
        assert win > 64 * 1024, win
        st = os.statvfs(disk)
        free = st.f_bavail * st.f_frsize
        with open(disk / "filler", "wb") as f:  # room for everything but the second half of the window vectors
            f.write(b"\0" * max(0, free - (rest + win // 2 + 8 * 4096)))
        r = subprocess.run(
            [sys.executable, "-c", FILL_GEN, str(idx), emb.model_id, str(ROOT), str(emb.dim)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=120,
        )
        assert r.returncode == 3, (r.returncode, r.stdout, r.stderr[-500:])
        assert "StoreError" in r.stdout and "filled up while the index generation was written" in r.stdout, r.stdout
        assert "No space left on device" in r.stdout and "the previous index is unchanged" in r.stdout
        assert not [p for p in (idx / "gens").iterdir() if p.name.startswith(".tmp")]
        assert (idx / "CURRENT").read_text().strip() == gen.name and len(Index(idx)) > 0


def _garbage_in_the_middle(idx: Path) -> None:
    """8 KB of garbage in the middle of store.sqlite (SQLite's integrity_check: "malformed")."""
    p = idx / "store.sqlite"
    data = bytearray(p.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 8192] = random.Random(5).randbytes(8192)
    p.write_bytes(bytes(data))


def test_damage_in_the_middle_of_the_store_is_found_by_ingest_and_info_check(good_index, tmp_path, capsys):
    """Issue 14, hole 5: garbage in the middle of the store went unnoticed by info, search, export and ingest. Ingest
    (PRAGMA quick_check before writing) and `info --check` (the full integrity check) now refuse with the rebuild
    hint; readers either notice or answer exactly as before the damage -- never other citations -- and
    `ingest --rebuild` restores the index."""
    src, papers = good_index
    idx = tmp_path / "index"
    shutil.copytree(src, idx)
    code, out, _ = cli(capsys, "info", "--check", "--index", idx)
    assert code == 0 and "passed" in out
    code, before, _ = cli(capsys, "search", "budget", "--mode", "bm25", "--index", idx, "--format", "json")
    _garbage_in_the_middle(idx)
    code, out, err = cli(capsys, "ingest", papers, "--index", idx, "-q")
    assert code == 2
    one_clear_line(err, "is damaged", "quick_check" if "quick_check" in err else "check", "--rebuild")
    code, out, err = cli(capsys, "info", "--check", "--index", idx)
    assert code == 2
    one_clear_line(err, "damaged", "--rebuild")
    code, out, err = cli(capsys, "search", "budget", "--mode", "bm25", "--index", idx, "--format", "json")
    assert "Traceback" not in err and (code == 2 or out == before)
    code, _, err = cli(capsys, "ingest", "--rebuild", papers, "--index", idx, "-q")
    assert code == 0, err
    assert cli(capsys, "info", "--check", "--index", idx)[0] == 0
    assert store_facts(idx)["passage_ids"] == store_facts(src)["passage_ids"]


def test_info_check_reads_every_value_of_the_index_files(good_index, tmp_path, capsys):
    """Damage the open-time checks cannot see without reading whole files (a BM25 posting naming a row that does not
    exist, a vector that is not a number) is found by `info --check`; `ingest --rebuild` restores the index."""
    src, papers = good_index
    for name, damage in (("bm25_indices.npy", lambda a: a.__setitem__(0, 10**6)), ("vectors.npy", lambda a: a.__setitem__((0, 0), np.nan))):
        idx = tmp_path / name
        shutil.copytree(src, idx)
        arr = np.load(_gen(idx) / name)
        damage(arr)
        np.save(_gen(idx) / name, arr)
        assert cli(capsys, "info", "--index", idx)[0] == 0
        code, _, err = cli(capsys, "info", "--check", "--index", idx)
        assert code == 2, name
        one_clear_line(err, "damaged", "--rebuild")
        if name == "bm25_indices.npy":  # a query that reads a damaged posting says so instead of a traceback
            arr[:] = 10**6
            np.save(_gen(idx) / name, arr)
            code, _, err = cli(capsys, "search", "budget", "--mode", "bm25", "--index", idx)
            assert code == 2
            one_clear_line(err, "damaged", "--rebuild")
        code, _, err = cli(capsys, "ingest", "--rebuild", papers, "--index", idx, "-q")
        assert code == 0, err
        code, _, err = cli(capsys, "info", "--check", "--index", idx)
        assert code == 0, (name, err)
