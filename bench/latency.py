"""Query latency of bm25 / dense / hybrid search at 10k, 100k and 1M passages.

    python -m bench.latency [--sizes 10000,100000,1000000] [--queries 40] [--source-index DIR]

Data. Synthetic passages are made from the real demo corpus: each one is 3-8 sentences drawn
at random from the passages of a real index (``--source-index``, built from ``corpus/``), with a
random council/body/date/decision flag drawn from the real documents. Their vectors are the real
embedding of one of the source passages plus Gaussian noise (sigma 0.05 per dimension, then
re-normalised): real-looking geometry without embedding a million texts on a 2-core CPU. The
synthetic index is written by the product's own store and generation builder, and queried through
``index.search.search`` with the real model loaded, one query at a time.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bm25_bench import machine_info

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT.parent / "shared" / "eval" / "council-dev.jsonl"
FALLBACK_QUERIES = [
    "delayed transfers of care target", "Better Care Fund plan approved", "what did the board resolve about the STP",
    "council tax precept adult social care", "Healthwatch annual report", "library savings", "CAMHS waiting times",
    "safeguarding adults board annual report", "emergency admissions growth", "maternity services consultation",
]


def _queries(n: int) -> list[str]:
    qs = []
    if GOLD.exists():
        qs = [json.loads(line)["query"] for line in GOLD.read_text().splitlines() if line.strip()]
    qs += FALLBACK_QUERIES
    return (qs * (n // len(qs) + 1))[:n]


def build_synthetic(source_index: Path, target: Path, n: int, seed: int = 0) -> float:
    """Write an index of ``n`` synthetic passages at ``target``; returns build seconds."""
    from index.build import build_generation
    from index.store import Store

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
            (doc_id, f"synthetic/{doc_id}.pdf", f"Synthetic pack {d}", meta["council"], meta["body"],
             f"{rng.randint(2010, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", meta["doc_type"], 100, doc_id),
        )
        count = min(per_doc, n - d * per_doc)
        src_idx = nrng.integers(0, len(rows), size=count)
        vecs = base[src_idx] + nrng.normal(0, 0.05, size=(count, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        prow, erow = [], []
        for j in range(count):
            text = ". ".join(rng.choice(sentences) for _ in range(rng.randint(3, 8))) + "."
            key = f"syn-{d}-{j}"
            prow.append((f"{doc_id}-{j:05d}", doc_id, j, text, "", j // 3 + 1, j // 3 + 1, None, None, None,
                         f"{rng.randint(2010, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", int(rng.random() < 0.1), 0, len(text), "report", key))
            erow.append((model, key, vecs[j].tobytes()))
        con.executemany(
            "INSERT INTO passages(passage_id, doc_id, seq, text, context, page, page_end, printed_page, item, minute_number, "
            "meeting_date, is_decision, char_start, char_end, section_kind, embed_key) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", prow)
        con.executemany("INSERT INTO embeddings(model, key, vec) VALUES(?,?,?)", erow)
        con.commit()
    build_generation(store, model, dim)
    store.close()
    return time.perf_counter() - t0


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) if xs else float("nan")


def measure(index_dir: Path, queries: list[str]) -> dict:
    from index.embed import get_embedder
    from index.search import Index, search

    ix = Index(index_dir)
    emb = get_embedder(None)
    out = {}
    for mode in ("bm25", "dense", "hybrid"):
        search(ix, queries[0], mode=mode, embedder=emb)  # warm caches (faiss index build, model)
        times = []
        for q in queries:
            t0 = time.perf_counter()
            search(ix, q, k=10, mode=mode, embedder=emb)
            times.append((time.perf_counter() - t0) * 1000)
        out[mode] = {"p50_ms": round(_pct(times, 50), 2), "p95_ms": round(_pct(times, 95), 2)}
    # encoder share of a dense/hybrid query
    t = []
    for q in queries:
        t0 = time.perf_counter()
        emb.encode_query(q)
        t.append((time.perf_counter() - t0) * 1000)
    out["query_encode"] = {"p50_ms": round(_pct(t, 50), 2), "p95_ms": round(_pct(t, 95), 2)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    ix.store.close()
    return out


def run(sizes: list[int], n_queries: int, source_index: Path, workdir: Path | None = None) -> dict:
    queries = _queries(n_queries)
    results = {"machine": machine_info(), "sizes": {}, "queries": len(queries)}
    tmp = Path(tempfile.mkdtemp(prefix="bp-latency-", dir=workdir))
    try:
        for n in sizes:
            d = tmp / f"n{n}"
            build_s = build_synthetic(source_index, d, n)
            r = measure(d, queries)
            r["build_s"] = round(build_s, 1)
            r["disk_mb"] = round(sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) / 1e6, 1)
            results["sizes"][n] = r
            print(json.dumps({n: r}), file=sys.stderr, flush=True)
            shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        "## Query latency (bm25 / dense / hybrid)",
        "",
        f"Machine: {m.get('cpu')} ({m.get('cpu_count')} CPUs), Python {m.get('python')}, {m.get('platform')}. Date: {m.get('date')}.",
        f"Command: `python -m bench.latency --sizes {','.join(str(s) for s in res['sizes'])} --queries {res['queries']}`",
        "",
        "One query at a time, model loaded, k=10, exact dense search (faiss IndexFlatIP). Synthetic passages: 3–8 real",
        "sentences from the demo corpus; vectors = a real passage embedding + N(0, 0.05) noise, re-normalised (see bench/latency.py).",
        "",
        "| passages | bm25 p50 / p95 ms | dense p50 / p95 ms | hybrid p50 / p95 ms | query encode p50 ms | build s | index on disk MB | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in res["sizes"].items():
        lines.append(
            f"| {int(n):,} | {r['bm25']['p50_ms']} / {r['bm25']['p95_ms']} | {r['dense']['p50_ms']} / {r['dense']['p95_ms']} | "
            f"{r['hybrid']['p50_ms']} / {r['hybrid']['p95_ms']} | {r['query_encode']['p50_ms']} | {r['build_s']} | {r['disk_mb']} | {r['peak_rss_mb']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--source-index", default=os.environ.get("BOARDPAPERS_INDEX", ".boardpapers"))
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    res = run([int(s) for s in a.sizes.split(",")], a.queries, Path(a.source_index))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
