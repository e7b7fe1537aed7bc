"""Query latency of bm25 / dense / hybrid search at 10k, 100k and 1M passages.

    python -m bench.latency [--sizes 10000,100000,1000000] [--queries 40] [--source-index DIR]

Data. Synthetic passages are made from the real demo corpus: each one is 3-8 sentences drawn
at random from the passages of a real index (``--source-index``, built from ``corpus/``), with a
random council/body/date/decision flag drawn from the real documents. Their vectors are the real
embedding of one of the source passages plus Gaussian noise (sigma 0.05 per dimension, then
re-normalised), and each of its sentence windows (ingest.chunk.dense_windows) gets that vector plus fresh
noise: real-looking geometry without embedding a million texts on a 2-core CPU. The
synthetic index is written by the product's own store and generation builder (so at or above the
approximate-index threshold it gets the approximate dense index users get), and queried through
``index.search.search`` with the real model loaded, one query at a time.

Each size is built in one fresh process and measured in another, so the peak RSS figures (VmHWM) are
those of building and of serving that index alone. The measuring process also times its first hybrid
query (model already loaded; dense index and page cache cold) and runs bench/ann.py (recall@10 of the
approximate index against exact search).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bm25_bench import machine_info

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT.parent / "shared" / "eval" / "council-dev.jsonl"
FALLBACK_QUERIES = [
    "delayed transfers of care target",
    "Better Care Fund plan approved",
    "what did the board resolve about the STP",
    "council tax precept adult social care",
    "Healthwatch annual report",
    "library savings",
    "CAMHS waiting times",
    "safeguarding adults board annual report",
    "emergency admissions growth",
    "maternity services consultation",
]


def _queries(n: int) -> list[str]:
    qs = []
    if GOLD.exists():
        qs = [json.loads(line)["query"] for line in GOLD.read_text().splitlines() if line.strip()]
    qs += FALLBACK_QUERIES
    return (qs * (n // len(qs) + 1))[:n]


NOISE = 0.05  # per-dimension sigma of the noise added to a real passage vector


def synthetic_vectors(base: np.ndarray, nrng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` unit vectors: a random real passage vector from ``base`` plus N(0, NOISE) noise, re-normalised."""
    src_idx = nrng.integers(0, len(base), size=count)
    vecs = base[src_idx] + nrng.normal(0, NOISE, size=(count, base.shape[1])).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs


def build_synthetic(source_index: Path, target: Path, n: int, seed: int = 0) -> float:
    """Write an index of ``n`` synthetic passages at ``target``; returns build seconds."""
    from boardpapers.index.build import build_generation, window_keys
    from boardpapers.index.store import Store

    src = Store(source_index, readonly=True)
    rows = [dict(r) for r in src.iter_active_passages()]
    model = src.get_meta("model")
    dim = len(src.con.execute("SELECT vec FROM embeddings WHERE model=? LIMIT 1", (model,)).fetchone()[0]) // 4
    base = src.vectors_for(model, [r["embed_key"] for r in rows], dim)
    docs = src.documents()
    src.close()
    sentences = [s.strip() for r in rows for s in r["text"].replace("\n", " ").split(". ") if len(s.strip()) > 20]
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    store = Store(target)
    store.set_meta("model", model)
    per_doc = 5000
    n_docs = (n + per_doc - 1) // per_doc
    con = store.con
    for d in range(n_docs):
        meta = docs[d % len(docs)]
        doc_id = f"synthetic-{d:05d}"
        con.execute(
            "INSERT INTO documents(doc_id, path, title, council, body, meeting_date, doc_type, pages, sha256, status) "
            "VALUES(?,?,?,?,?,?,?,?,?, 'active')",
            (
                doc_id,
                f"synthetic/{doc_id}.pdf",
                f"Synthetic pack {d}",
                meta["council"],
                meta["body"],
                f"{rng.randint(2010, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                meta["doc_type"],
                100,
                doc_id,
            ),
        )
        count = min(per_doc, n - d * per_doc)
        vecs = synthetic_vectors(base, nrng, count)
        prow, erow = [], []
        for j in range(count):
            text = ". ".join(rng.choice(sentences) for _ in range(rng.randint(3, 8))) + "."
            key = f"syn-{d}-{j}"
            # the passage's sentence windows, as an ingest embeds them: its vector plus noise each
            wkeys = window_keys({"context": "", "text": text})
            if wkeys:
                wv = vecs[j] + nrng.normal(0, NOISE, size=(len(wkeys), dim)).astype(np.float32)
                wv /= np.linalg.norm(wv, axis=1, keepdims=True)
                erow.extend((model, k, v.tobytes()) for k, v in zip(wkeys, wv))
            prow.append(
                (
                    f"{doc_id}-{j:05d}",
                    doc_id,
                    j,
                    text,
                    "",
                    j // 3 + 1,
                    j // 3 + 1,
                    None,
                    None,
                    None,
                    f"{rng.randint(2010, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    int(rng.random() < 0.1),
                    0,
                    len(text),
                    "report",
                    key,
                )
            )
            erow.append((model, key, vecs[j].tobytes()))
        con.executemany(
            "INSERT INTO passages(passage_id, doc_id, seq, text, context, page, page_end, printed_page, item, minute_number, "
            "meeting_date, is_decision, char_start, char_end, section_kind, embed_key) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            prow,
        )
        con.executemany("INSERT OR IGNORE INTO embeddings(model, key, vec) VALUES(?,?,?)", erow)
        con.commit()
    build_generation(store, model, dim)
    store.close()
    return time.perf_counter() - t0


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) if xs else float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _openings(ix, n: int, seed: int = 1) -> list[str]:
    """The first 8 words of ``n`` random passages of the index: extra queries for the recall measurement."""
    rows = np.random.default_rng(seed).choice(len(ix), min(n, len(ix)), replace=False)
    texts = ix.store.passages_by_pid([int(ix.pids[r]) for r in rows])
    return [" ".join(t["text"].split()[:8]) for t in texts.values()]


def mode_latencies(ix, queries: list[str], emb, modes=("bm25", "dense", "hybrid")) -> dict:
    """p50/p95 ms of index.search.search (k=10) per mode, one query at a time, after one warm-up query."""
    from boardpapers.index.search import search

    out = {}
    for mode in modes:
        search(ix, queries[0], mode=mode, embedder=emb)  # warm
        times = []
        for q in queries:
            t0 = time.perf_counter()
            search(ix, q, k=10, mode=mode, embedder=emb)
            times.append((time.perf_counter() - t0) * 1000)
        out[mode] = {"p50_ms": round(_pct(times, 50), 2), "p95_ms": round(_pct(times, 95), 2)}
    return out


def judge_latency(ix, queries: list[str], emb) -> dict:
    """The cost of judging (index/judge.py) inside a hybrid search: features and relevance of every candidate of the
    judged pool (each ranker's top POOL), timed apart from ranking; and the size of that pool."""
    from boardpapers.index.judge import judge
    from boardpapers.index.rank import CANDIDATES, POOL, rank

    times, sizes = [], []
    for q in queries:
        r = rank(ix, q, CANDIDATES, embedder=emb, pool=POOL)
        rows = [i for i, _ in r.fused]
        t0 = time.perf_counter()
        judge(ix, rows, r.text, r.qvec)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(rows))
    return {"p50_ms": round(_pct(times, 50), 2), "p95_ms": round(_pct(times, 95), 2), "pool_p50": int(_pct(sizes, 50))}


def measure(index_dir: Path, queries: list[str], ann_queries: int = 200) -> dict:
    from bench import ann as ann_bench
    from boardpapers.index.embedded import Index
    from boardpapers.index.rank import embedder_for
    from boardpapers.index.search import search

    t0 = time.perf_counter()
    ix = Index(index_dir)
    out = {"open_ms": round((time.perf_counter() - t0) * 1000, 1), "dense_index": ix.dense_type}
    t0 = time.perf_counter()
    emb = embedder_for(ix)  # the index's own model and backend (a bf16-built index is queried in bf16)
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    search(ix, queries[0], mode="hybrid", embedder=emb)
    out["first_hybrid_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    out.update(mode_latencies(ix, queries, emb))
    # encoder share of a dense/hybrid query
    t = []
    for q in queries:
        t0 = time.perf_counter()
        emb.encode_query(q)
        t.append((time.perf_counter() - t0) * 1000)
    out["query_encode"] = {"p50_ms": round(_pct(t, 50), 2), "p95_ms": round(_pct(t, 95), 2)}
    out["judge"] = judge_latency(ix, queries, emb)
    out["serve_peak_rss_mb"] = peak_rss_mb()
    qtexts = (queries + _openings(ix, max(0, ann_queries - len(queries))))[:ann_queries]
    ix.store.close()
    qvecs = np.stack([emb.encode_query(q) for q in qtexts]).astype(np.float32)
    out["ann"] = ann_bench.measure(index_dir, qvecs)
    return out


def _child(*args: str) -> dict:
    """Run ``python -m bench.latency --child ...`` in a fresh process; its last stdout line is JSON."""
    r = subprocess.run([sys.executable, "-m", "bench.latency", "--child", *args], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"bench child {args} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(sizes: list[int], n_queries: int, source_index: Path, workdir: Path | None = None, prebuilt: dict[int, Path] | None = None) -> dict:
    """Build (or take from ``prebuilt``: size -> a folder made by `--child build`) and measure each size."""
    from boardpapers.index import ann

    prebuilt = prebuilt or {}
    queries = _queries(n_queries)
    results = {"machine": machine_info(), "sizes": {}, "queries": len(queries), "ann_threshold": ann.ann_threshold()}
    tmp = Path(tempfile.mkdtemp(prefix="bp-latency-", dir=workdir))
    try:
        for n in sizes:
            d = prebuilt.get(n) or tmp / f"n{n}"
            b = {"build_s": "—", "peak_rss_mb": "—"} if n in prebuilt else _child("build", str(source_index), str(d), str(n))
            r = _child("measure", str(d), str(n_queries))
            r["build_s"] = b["build_s"]
            r["build_peak_rss_mb"] = b["peak_rss_mb"]
            r["disk_mb"] = round(sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) / 1e6, 1)
            results["sizes"][n] = r
            print(json.dumps({n: r}), file=sys.stderr, flush=True)
            if n not in prebuilt:
                shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def _judge_cell(r: dict) -> str:
    j = r.get("judge")
    return f"{j['p50_ms']} / {j['p95_ms']} ({j['pool_p50']:,})" if j else "—"


def markdown(res: dict, command: str | None = None) -> str:
    from bench import ann as ann_bench

    m = res["machine"]
    sizes = ",".join(str(s) for s in res["sizes"])
    command = command or f"python -m bench.latency --sizes {sizes} --queries {res['queries']}"
    lines = [
        "## Query latency (bm25 / dense / hybrid), approximate index recall, memory",
        "",
        f"Machine: {m.get('cpu')} ({m.get('cpu_count')} CPUs), Python {m.get('python')}, {m.get('platform')}. Date: {m.get('date')}.",
        f"Command: `{command}`",
        "",
        f"One query at a time, model loaded, k=10, {res['queries']} queries. Dense index: exact (faiss IndexFlatIP) below "
        f"{res.get('ann_threshold', 0):,} passages, the approximate IVF-SQ8 index (index/ann.py) from there. Synthetic passages: "
        "3–8 real sentences from the demo corpus; vectors = a real passage embedding + N(0, 0.05) noise, re-normalised "
        "(see bench/latency.py). First hybrid query: in a fresh process, model already loaded, dense index not yet "
        "read. Peak RSS (VmHWM): the building process, and the serving process after all queries (model included). "
        "Every search judges its candidates (index/judge.py); the judge column times that step alone (features and "
        "relevance of the judged pool: the ranking's candidates and BM25's top 1,000).",
        "",
        "| passages | dense index | bm25 p50 / p95 ms | dense p50 / p95 ms | hybrid p50 / p95 ms | judge p50 / p95 ms (pool) | query encode p50 ms | first hybrid query ms | build s | index on disk MB | build peak RSS MB | serving peak RSS MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in res["sizes"].items():
        lines.append(
            f"| {int(n):,} | {r['dense_index']} | {r['bm25']['p50_ms']} / {r['bm25']['p95_ms']} | {r['dense']['p50_ms']} / {r['dense']['p95_ms']} | "
            f"{r['hybrid']['p50_ms']} / {r['hybrid']['p95_ms']} | {_judge_cell(r)} | {r['query_encode']['p50_ms']} | {r['first_hybrid_ms']} | {r['build_s']} | "
            f"{r['disk_mb']} | {r['build_peak_rss_mb']} | {r['serve_peak_rss_mb']} |"
        )
    lines += [""] + ann_bench.markdown(res["sizes"])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:  # internal: one build or measurement in a fresh process (see run)
        what, *rest = argv[1:]
        if what == "build":
            src, target, n = rest
            out = {"build_s": round(build_synthetic(Path(src), Path(target), int(n)), 1)}
        else:
            target, nq = rest
            out = measure(Path(target), _queries(int(nq)))
        out["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(out))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--source-index", default=os.environ.get("BOARDPAPERS_INDEX", ".boardpapers"))
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--prebuilt",
        action="append",
        default=[],
        metavar="N=DIR",
        help="measure the index of N passages already built in DIR by `python -m bench.latency --child build SRC DIR N`",
    )
    a = ap.parse_args(argv)
    prebuilt = {int(n): Path(d) for n, d in (x.split("=", 1) for x in a.prebuilt)}
    res = run([int(s) for s in a.sizes.split(",")], a.queries, Path(a.source_index), prebuilt=prebuilt)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
