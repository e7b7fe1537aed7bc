"""Benchmark: our sparse BM25 (index.bm25) vs rank_bm25.BM25Okapi.

    python -m bench.bm25_bench [--sizes 10000,100000] [--queries 50]
                               [--ref-queries N] [--seed 0] [--json out.json]

Data
----
The real council packs in ``shared/corpus/*.txt`` are tokenized with
``index.tokenize.tokenize`` (this also measures tokenizer throughput).  The
token counts give a unigram distribution (stemmed, stopwords removed).  A
synthetic corpus of N documents is drawn from it with a fixed seed: each
document's length is Poisson(120) (at least 1), its tokens are drawn i.i.d.
from the unigram distribution.  Queries are 2-5 tokens drawn from the same
unigram distribution (frequency-weighted, so frequent terms with long
postings -- the slow case for a sparse index -- are common).

Both engines receive the same token lists.  rank_bm25's latency is
``get_scores`` + ``argsort`` top-10; ours is ``BM25.top_k(q, 10)`` (and the
same after ``save``/``load(mmap=True)``).  rank_bm25 is timed on the first
``--ref-queries`` queries (default: all), stopping early once it has spent
30 s and done at least 10, to keep large runs short.  The top-10 lists of the
two engines are compared on those queries (equal up to ties).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from boardpapers.index.bm25 import BM25
from boardpapers.index.tokenize import clear_cache, tokenize

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DOC_LEN_MEAN = 120
PASSAGE_WORDS = 150
REF_BUDGET_S = 30.0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    import scipy

    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _corpus_texts(corpus_dir: Path) -> list[str]:
    files = sorted(corpus_dir.glob("*.txt"))
    if not files:
        raise FileNotFoundError(
            f"no *.txt files in {corpus_dir}; the benchmark draws its vocabulary from the extracted council packs (pass --corpus DIR)"
        )
    return [f.read_text(encoding="utf-8", errors="replace") for f in files]


def tokenizer_throughput(texts: list[str]) -> tuple[dict, Counter]:
    """Tokenize the real corpus as ~150-word passages, cold then warm cache."""
    words = " ".join(texts).split()
    passages = [" ".join(words[i : i + PASSAGE_WORDS]) for i in range(0, len(words), PASSAGE_WORDS)]
    n_chars = sum(len(p) for p in passages)
    clear_cache()
    t0 = time.perf_counter()
    toks = [tokenize(p) for p in passages]
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in passages:
        tokenize(p)
    warm = time.perf_counter() - t0
    n_tok = sum(map(len, toks))
    counts = Counter(t for ts in toks for t in ts)
    return (
        {
            "passages": len(passages),
            "chars": n_chars,
            "tokens": n_tok,
            "vocab": len(counts),
            "cold_s": cold,
            "warm_s": warm,
            "tokens_per_s_cold": n_tok / cold,
            "tokens_per_s_warm": n_tok / warm,
            "passages_per_s_warm": len(passages) / warm,
            "est_1m_passages_s": 1_000_000 / (len(passages) / warm),
        },
        counts,
    )


def synthetic_corpus(counts: Counter, n_docs: int, rng: np.random.Generator):
    terms = np.array(sorted(counts), dtype=object)
    p = np.array([counts[t] for t in terms], dtype=np.float64)
    p /= p.sum()
    lens = np.maximum(rng.poisson(DOC_LEN_MEAN, size=n_docs), 1)
    ids = rng.choice(len(terms), size=int(lens.sum()), p=p)
    flat = terms[ids].tolist()
    bounds = np.concatenate([[0], np.cumsum(lens)]).tolist()
    docs = [flat[bounds[i] : bounds[i + 1]] for i in range(n_docs)]
    return docs, terms, p


def make_queries(terms, p, n: int, rng: np.random.Generator) -> list[list[str]]:
    return [terms[rng.choice(len(terms), size=int(rng.integers(2, 6)), p=p)].tolist() for _ in range(n)]


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs) * 1000.0, q))


def _time_queries(fn, queries) -> tuple[list[float], list]:
    lat, out = [], []
    for q in queries:
        t0 = time.perf_counter()
        r = fn(q)
        lat.append(time.perf_counter() - t0)
        out.append(r)
    return lat, out


def _same_topk(ref_scores: np.ndarray, ref_top, ours_top, tol=1e-4) -> bool:
    """Equal up to ties: same length and the reference scores of the docs at
    each rank agree within tolerance."""
    if len(ref_top) != len(ours_top):
        return False
    a, b = ref_scores[ref_top], ref_scores[ours_top]
    return bool(np.allclose(a, b, rtol=tol, atol=tol))


def run(
    sizes=(10_000, 100_000),
    n_queries: int = 50,
    ref_queries: int | None = None,
    seed: int = 0,
    corpus_dir: Path = SHARED_CORPUS,
) -> dict:
    from rank_bm25 import BM25Okapi

    texts = _corpus_texts(Path(corpus_dir))
    tok_stats, counts = tokenizer_throughput(texts)
    results = {
        "machine": machine_info(),
        "tokenizer": tok_stats,
        "data": (
            f"synthetic: documents of Poisson({DOC_LEN_MEAN}) tokens drawn i.i.d. "
            f"from the unigram distribution of the {len(texts)} council packs in "
            f"{Path(corpus_dir).name}/ ({tok_stats['tokens']} tokens, "
            f"{tok_stats['vocab']} distinct stemmed terms); queries of 2-5 terms "
            f"drawn from the same distribution; seed {seed}"
        ),
        "runs": [],
    }
    for n_docs in sizes:
        results["runs"].append(_run_size(BM25Okapi, counts, n_docs, n_queries, ref_queries, seed))
        gc.collect()
    return results


def _run_size(BM25Okapi, counts: Counter, n_docs: int, n_queries: int, ref_queries: int | None, seed: int) -> dict:
    """One corpus size: build and query times of index.bm25 (in memory and mmap-loaded) and of rank_bm25."""
    rng = np.random.default_rng(seed)
    docs, terms, p = synthetic_corpus(counts, n_docs, rng)
    queries = make_queries(terms, p, n_queries, rng)
    n_ref = n_queries if ref_queries is None else min(ref_queries, n_queries)

    gc.collect()
    t0 = time.perf_counter()
    ours = BM25.build(docs)
    build_ours = time.perf_counter() - t0

    gc.collect()
    t0 = time.perf_counter()
    ref = BM25Okapi(docs)
    build_ref = time.perf_counter() - t0

    ours.top_k(queries[0], 10)  # warm-up
    lat_ours, tops_ours = _time_queries(lambda q: ours.top_k(q, 10)[0], queries)
    saved = _saved_and_loaded(ours, queries)
    lat_ref, ref_out = _time_reference(ref, queries[:n_ref])
    n_ref = len(lat_ref)
    agree = sum(_same_topk(s, top[: len(tops_ours[i])], tops_ours[i]) for i, (s, top) in enumerate(ref_out))
    del ref
    gc.collect()

    n_tokens = sum(map(len, docs))
    return {
        "n_docs": n_docs,
        "n_tokens": n_tokens,
        "n_terms": ours.n_terms,
        "nnz": ours.nnz,
        "index_bytes_on_disk": saved["disk"],
        "build_s_ours": build_ours,
        "build_s_rank_bm25": build_ref,
        "save_s": saved["save_s"],
        "load_mmap_s": saved["load_s"],
        "queries_ours": len(queries),
        "queries_rank_bm25": n_ref,
        "p50_ms_ours": _pct(lat_ours, 50),
        "p95_ms_ours": _pct(lat_ours, 95),
        "p50_ms_ours_mmap": _pct(saved["lat_mmap"], 50),
        "p95_ms_ours_mmap": _pct(saved["lat_mmap"], 95),
        "p50_ms_rank_bm25": _pct(lat_ref, 50),
        "p95_ms_rank_bm25": _pct(lat_ref, 95),
        "speedup_p50": _pct(lat_ref, 50) / _pct(lat_ours, 50),
        "speedup_mean_same_queries": float(np.mean(lat_ref) / np.mean(lat_ours[:n_ref])),
        "top10_agree": f"{agree}/{n_ref}",
    }


def _saved_and_loaded(ours: BM25, queries) -> dict:
    """Save and mmap-load times of the index, its size on disk and the loaded index's query latencies."""
    with tempfile.TemporaryDirectory() as td:
        t0 = time.perf_counter()
        ours.save(td)
        save_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = BM25.load(td, mmap=True)
        load_s = time.perf_counter() - t0
        top_k = loaded.top_k
        top_k(queries[0], 10)
        lat_mmap, _ = _time_queries(lambda q: top_k(q, 10)[0], queries)
        disk = sum(f.stat().st_size for f in Path(td).iterdir())
        del loaded
    return {"save_s": save_s, "load_s": load_s, "lat_mmap": lat_mmap, "disk": disk}


def _time_reference(ref, queries) -> tuple[list[float], list]:
    """rank_bm25's latencies and (scores, top 10) per query; it is slow: it stops after REF_BUDGET_S once 10 queries
    are done."""

    def ref_query(q):
        s = ref.get_scores(q)
        return s, np.argsort(s)[::-1][:10]

    lat_ref, ref_out = [], []
    t_start = time.perf_counter()
    for q in queries:
        lat, out = _time_queries(ref_query, [q])
        lat_ref += lat
        ref_out += out
        if len(lat_ref) >= 10 and time.perf_counter() - t_start > REF_BUDGET_S:
            break
    return lat_ref, ref_out


def markdown(results: dict) -> str:
    m = results["machine"]
    t = results["tokenizer"]
    lines = [
        "### BM25: index.bm25 vs rank_bm25 0.2.2 (BM25Okapi)",
        "",
        f"Machine: {m['platform']}, {m['cpu']}, {m['cpu_count']} CPUs, "
        f"Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}; {m['date']}.",
        "",
        f"Data: {results['data']}.",
        "",
        "| docs | tokens | build ours (s) | build rank_bm25 (s) | top-10 p50 / p95 ours (ms) "
        "| ours mmap-loaded p50 / p95 (ms) | rank_bm25 get_scores+argsort p50 / p95 (ms) "
        "| speedup (p50) | top-10 agree |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["runs"]:
        lines.append(
            f"| {r['n_docs']:,} | {r['n_tokens']:,} | {r['build_s_ours']:.2f} "
            f"| {r['build_s_rank_bm25']:.2f} "
            f"| {r['p50_ms_ours']:.2f} / {r['p95_ms_ours']:.2f} "
            f"| {r['p50_ms_ours_mmap']:.2f} / {r['p95_ms_ours_mmap']:.2f} "
            f"| {r['p50_ms_rank_bm25']:.1f} / {r['p95_ms_rank_bm25']:.1f} "
            f"| {r['speedup_p50']:.0f}x | {r['top10_agree']} |"
        )
    lines += [
        "",
        "Ours timed on "
        + ", ".join(f"{r['queries_ours']}" for r in results["runs"])
        + " queries, rank_bm25 on "
        + ", ".join(f"{r['queries_rank_bm25']}" for r in results["runs"])
        + " (the first ones of the same list). Index size on disk: "
        + ", ".join(f"{r['index_bytes_on_disk'] / 2**20:.1f} MiB ({r['n_docs']:,} docs)" for r in results["runs"])
        + ".",
        "",
        f"Tokenizer (index.tokenize.tokenize) on the real packs as {t['passages']} "
        f"passages of {PASSAGE_WORDS} words ({t['tokens']:,} tokens out): "
        f"{t['tokens_per_s_cold'] / 1e3:.0f}k tokens/s with a cold cache, "
        f"{t['tokens_per_s_warm'] / 1e3:.0f}k tokens/s warm "
        f"({t['passages_per_s_warm']:,.0f} passages/s, about "
        f"{t['est_1m_passages_s'] / 60:.1f} min per million passages on one core).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bm25_bench", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes")
    ap.add_argument("--queries", type=int, default=50, help="queries per size")
    ap.add_argument(
        "--ref-queries",
        type=int,
        default=None,
        help="at most this many queries timed on rank_bm25 (default: all; it stops after 30 s once 10 are done)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", type=Path, default=SHARED_CORPUS, help="directory of extracted *.txt council packs")
    ap.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results = run(sizes, args.queries, args.ref_queries, args.seed, args.corpus)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
