"""The measurements behind the choices in index/ann.py (index type, filtered-search cut-over). Not part of
`python -m bench all` (slow at 1M); prints plain lines.

    python -m bench.ann_sweep kinds --source-index IDX [--size 100000] [--kinds ivfflat,ivfsq8,hnsw32] [--probes 4,8,16,32,64,128]
    python -m bench.ann_sweep masks [--size 300000]

``kinds``: recall@10 (100 candidates re-scored exactly, as index/ann.py does) and ms per query of IVF-Flat,
IVF-SQ8 and HNSW on synthetic vectors made as in bench/latency.py, queried with 200 real query embeddings
(bench queries + the opening words of corpus passages). ``masks``: exact search over a filter's rows against
the bitmap-filtered IVF scan, for filters of 1k-50k rows (clustered random vectors; no model needed).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np


def _ms(f, reps) -> float:
    t0 = time.perf_counter()
    for r in reps:
        f(r)
    return (time.perf_counter() - t0) * 1000 / len(reps)


def kinds(source_index: Path, size: int, names: list[str], probes: list[int]) -> None:
    import faiss

    from bench.latency import _queries, synthetic_vectors
    from boardpapers.index import ann
    from boardpapers.index.embed import get_embedder
    from boardpapers.index.store import Store

    src = Store(source_index, readonly=True)
    rows = [dict(r) for r in src.iter_active_passages()]
    model = src.get_meta("model")
    base = src.vectors_for(model, [r["embed_key"] for r in rows], get_embedder(None).dim)
    src.close()
    X = synthetic_vectors(base, np.random.default_rng(0), size)
    emb = get_embedder(None)
    texts = _queries(40) + [" ".join(r["text"].split()[:8]) for r in random.Random(1).sample(rows, 160)]
    Q = np.stack([emb.encode_query(t) for t in texts]).astype(np.float32)
    _, gt = faiss.knn(Q, X, 10, metric=faiss.METRIC_INNER_PRODUCT)
    dim = X.shape[1]
    nlist = ann.choose_nlist(size)
    for kind in names:
        t0 = time.perf_counter()
        if kind.startswith("hnsw"):
            ix = faiss.IndexHNSWFlat(dim, int(kind[4:]), faiss.METRIC_INNER_PRODUCT)
            ix.hnsw.efConstruction = 80
        else:
            ix = faiss.index_factory(dim, f"IVF{nlist},{'SQ8' if kind == 'ivfsq8' else 'Flat'}", faiss.METRIC_INNER_PRODUCT)
            ix.train(X[np.random.default_rng(0).choice(size, min(size, ann.TRAIN_PER_LIST * nlist), replace=False)])
        ix.add(X)
        print(f"{kind} n={size} nlist={nlist} build {time.perf_counter() - t0:.1f} s", flush=True)
        for p in probes if not kind.startswith("hnsw") else [32, 64, 128, 256]:
            if kind.startswith("hnsw"):
                ix.hnsw.efSearch = p
            else:
                ix.nprobe = p
            ms = _ms(lambda q, ix=ix: ix.search(q[None], 100), Q)
            _, idx = ix.search(Q, 100)
            hits = 0
            for j, cand in enumerate(idx):
                top, _ = ann.rescore(X, Q[j], cand, 10)
                hits += len(set(top.tolist()) & set(gt[j].tolist()))
            print(
                f"  {'efSearch' if kind.startswith('hnsw') else 'nprobe'}={p}: {ms:.2f} ms/query, recall@10 {hits / (10 * len(Q)):.3f}",
                flush=True,
            )


def masks(size: int) -> None:
    import faiss

    from boardpapers.index import ann

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3000, 384), dtype=np.float32)
    X = centres[rng.integers(0, 3000, size)] + rng.standard_normal((size, 384), dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    nlist = ann.choose_nlist(size)
    ix = faiss.index_factory(384, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    ix.train(X[rng.choice(size, ann.TRAIN_PER_LIST * nlist, replace=False)])
    ix.add(X)
    Q = X[rng.choice(size, 20)]
    for m in (1000, 5000, 20000, 50000):
        mask = np.zeros(size, dtype=bool)
        mask[rng.choice(size, m, replace=False)] = True
        rows = np.flatnonzero(mask)
        te, ta, hits = [], [], 0
        for q in Q:
            t0 = time.perf_counter()
            er, _ = ann.exact_search(X, q, 100, rows)
            te.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            ar, _ = ann.search(ix, X, q, 100, 32, mask)
            ta.append((time.perf_counter() - t0) * 1000)
            hits += len(set(er[:10].tolist()) & set(ar[:10].tolist()))
        print(
            f"filter of {m} rows in {size}: exact {np.median(te):.2f} ms, IVF{nlist} bitmap scan (base nprobe 32) "
            f"{np.median(ta):.2f} ms, recall@10 {hits / (10 * len(Q)):.3f}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("kinds", "masks"))
    ap.add_argument("--source-index", default=os.environ.get("BOARDPAPERS_INDEX", ".boardpapers"))
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--kinds", default="ivfflat,ivfsq8,hnsw32")
    ap.add_argument("--probes", default="4,8,16,32,64,128")
    a = ap.parse_args(argv)
    if a.what == "kinds":
        kinds(Path(a.source_index), a.size or 100_000, a.kinds.split(","), [int(p) for p in a.probes.split(",")])
    else:
        masks(a.size or 300_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
