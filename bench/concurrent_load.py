"""Search under a concurrent ingest: reader threads and reader processes search while an ingest adds documents.

    python -m bench.concurrent_load --index DIR [--threads 8] [--procs 4] [--seconds 20] [--mode hybrid]

The index at DIR is copied to a temporary folder first (DIR is never written). The writer adds
generated minutes (one new text file per ingest, so every ingest builds and switches a generation)
for the whole run; the readers search a fixed list of queries in a loop. Reader threads share one
``Index`` per generation and load the new one when CURRENT changes, as the app does; reader processes
each hold their own. Prints errors, searches, p50/p95/max latency per kind of reader, and the number
of generations the readers saw. tests/test_reliability.py runs the same code (HashEmbedder, seconds).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path

import numpy as np

QUERIES = ["budget", "library opening hours", "parking charges", "RESOLVED approved", "social care", "minutes of the meeting"]
CITATION_FIELDS = ("passage_id", "text", "path", "page", "meeting_date", "council", "doc_id")


def minutes_text(i: int) -> str:
    """A generated page of minutes (number ``i``) that the fixed queries match."""
    return (
        f"Minutes of a meeting of the Cabinet of Loadtest Borough Council held on {1 + i % 27} March 2021.\n\n"
        f"{i}. BUDGET UPDATE {i}\nThe budget for library opening hours and parking charges was discussed (update {i}).\n"
        f"Social care spending in area {i} was reviewed.\nRESOLVED: That budget update {i} be approved.\n"
    )


class SharedIndex:
    """One loaded Index per generation, shared by threads (what ui.state.load_index does with st.cache_resource)."""

    def __init__(self, index_dir: Path):
        self.dir = Path(index_dir)
        self.lock = threading.Lock()
        self.gen = None
        self.ix = None

    def get(self):
        from boardpapers.index.embedded import Index
        from boardpapers.index.generation import current_generation_name

        name = current_generation_name(self.dir)
        with self.lock:
            if self.ix is None or name != self.gen:
                self.ix = Index(self.dir)
                self.gen = self.ix.gen_name
            return self.ix


def check_consistent(ix, hits: list[dict]) -> None:
    """What a reader must always see: arrays that match the manifest, and hits that resolve to cited passages."""
    n = int(ix.manifest["passages"])
    if not (len(ix) == n == ix.vectors.shape[0] == ix.bm25.n_docs):
        raise AssertionError(f"generation {ix.gen_name}: {len(ix)} rows, manifest says {n}")
    if not hits:
        raise AssertionError(f"no hits in generation {ix.gen_name} for a query that every generation matches")
    for h in hits:
        missing = [f for f in CITATION_FIELDS if f not in h]
        if missing or not h["text"].strip():
            raise AssertionError(f"incomplete hit {h.get('passage_id')}: missing {missing}")


def reader_loop(shared, stop_at: float, embedder, mode: str, queries=QUERIES) -> dict:
    """Search until ``stop_at`` (time.time()); returns latencies, errors and generation sizes in the order seen."""
    from boardpapers.index.search import search

    lat, errors, sizes = [], [], []
    i = 0
    while time.time() < stop_at:
        q = queries[i % len(queries)]
        i += 1
        try:
            ix = shared.get()
            t0 = time.perf_counter()
            res = search(ix, q, k=10, mode=mode, embedder=embedder)
            lat.append(time.perf_counter() - t0)
            check_consistent(ix, res.hits)
            if not sizes or sizes[-1] != len(ix):
                sizes.append(len(ix))
        except Exception as exc:  # noqa: BLE001 - every error is counted and reported
            errors.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
    return {"latencies": lat, "errors": errors, "sizes": sizes}


def _process_reader(index_dir: str, go, stop_at, embedder, model: str | None, mode: str, out) -> None:
    try:
        if embedder is None and mode != "bm25":
            from boardpapers.index.embed import get_embedder

            embedder = get_embedder(model)
        shared = SharedIndex(Path(index_dir))
        shared.get()
    except Exception as exc:  # noqa: BLE001
        out.put({"latencies": [], "errors": [f"reader process could not start: {type(exc).__name__}: {exc}"], "sizes": []})
        return
    out.put("ready")
    go.wait()
    out.put(reader_loop(shared, stop_at.value, embedder, mode))


def writer_loop(index_dir: Path, papers: Path, stop_at: float, embedder, model: str | None, start: int = 0) -> dict:
    """Add one generated document per ingest until ``stop_at``; returns the number of ingests and errors."""
    from boardpapers.index.writer import ingest

    model = model if model is not None else getattr(embedder, "model_id", None)
    done, errors, i = 0, [], start
    while time.time() < stop_at:
        (papers / f"load_{i:05d}.txt").write_text(minutes_text(i), encoding="utf-8")
        i += 1
        try:
            report = ingest([str(papers)], index_dir, model=model, embedder=embedder, workers=1)
            if report.failed:
                errors.append(f"failed: {[o.detail for o in report.failed]}")
            done += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"ingests": done, "errors": errors}


def summarise(latencies: list[float]) -> dict:
    if not latencies:
        return {"searches": 0}
    a = np.asarray(latencies) * 1000
    return {
        "searches": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def run_load(
    index_dir: Path,
    papers: Path,
    seconds: float,
    threads: int = 0,
    procs: int = 0,
    embedder=None,
    model: str | None = None,
    mode: str = "hybrid",
    start: int = 0,
) -> dict:
    """Readers (``threads`` threads or ``procs`` processes) search for ``seconds`` while a writer thread ingests."""
    if embedder is None and mode != "bm25":
        from boardpapers.index.embed import get_embedder

        embedder = get_embedder(model)
    results: list[dict] = []
    ctx = mp.get_context("spawn")  # never fork a process that may hold model threads
    q = ctx.Queue()
    children = []
    go, shared_stop = ctx.Event(), ctx.Value("d", 0.0)
    child_embedder = None if hasattr(embedder, "model") else embedder  # a real model is loaded by each child itself
    for _ in range(procs):  # start the clock once every reader process has imported and loaded the index
        p = ctx.Process(target=_process_reader, args=(str(index_dir), go, shared_stop, child_embedder, model, mode, q))
        p.start()
        children.append(p)
    not_started = []
    for _ in range(procs):
        msg = q.get(timeout=300)
        if msg != "ready":
            not_started.append(msg)
    stop_at = time.time() + seconds
    shared_stop.value = stop_at
    go.set()
    shared = SharedIndex(index_dir)
    pool = [threading.Thread(target=lambda: results.append(reader_loop(shared, stop_at, embedder, mode))) for _ in range(threads)]
    for t in pool:
        t.start()
    w = writer_loop(index_dir, papers, stop_at, embedder, model, start)
    for t in pool:
        t.join()
    results.extend(not_started)
    for _ in range(procs - len(not_started)):
        try:
            results.append(q.get(timeout=120))
        except Exception as exc:  # noqa: BLE001 - a reader process that died is an error, not a hang
            results.append({"latencies": [], "errors": [f"reader process lost: {exc}"], "sizes": []})
    for p in children:
        p.join(timeout=30)
        if p.exitcode not in (0, None):
            results.append({"latencies": [], "errors": [f"reader process exit code {p.exitcode}"], "sizes": []})
    return {
        "readers": results,
        "errors": [e for r in results for e in r["errors"]] + w["errors"],
        "writer_ingests": w["ingests"],
        "latency": summarise([x for r in results for x in r["latencies"]]),
        "generations_seen": max((len(r["sizes"]) for r in results), default=0),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.concurrent_load")
    ap.add_argument("--index", required=True, help="an index built with the real model (copied, never written)")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    a = ap.parse_args(argv)
    from boardpapers.index.store import Store

    with tempfile.TemporaryDirectory(prefix="bp-load-") as tmp:
        idx = Path(tmp) / "index"
        shutil.copytree(a.index, idx, ignore=shutil.ignore_patterns(".lock"))
        papers = Path(tmp) / "papers"
        papers.mkdir()
        s = Store(idx, readonly=True)
        model = s.get_meta("model")
        s.close()
        model = None if model == "all-MiniLM-L6-v2" else model
        out = {}
        if a.threads:
            out["threads"] = run_load(idx, papers, a.seconds, threads=a.threads, model=model, mode=a.mode)
        if a.procs:
            out["processes"] = run_load(idx, papers, a.seconds, procs=a.procs, model=model, mode=a.mode, start=10_000)
    for kind, r in out.items():
        n = a.threads if kind == "threads" else a.procs
        print(
            f"{n} reader {kind} ({a.mode}) for {a.seconds:.0f} s during {r['writer_ingests']} ingests: "
            f"errors {len(r['errors'])}, {json.dumps(r['latency'])}, generations seen {r['generations_seen']}"
        )
        for e in r["errors"][:3]:
            print("  error:", e.splitlines()[0])
    return 1 if any(r["errors"] for r in out.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
