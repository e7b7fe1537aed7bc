"""Approximate dense search for large indexes: IVF over 8-bit scalar-quantised vectors, re-scored exactly.

`index.build.build_generation` writes it (``dense.faiss``, faiss' own binary format via ``faiss.write_index``;
no pickle) into a generation of at least `ann_threshold()` passages and describes it in the manifest's
``"dense"`` entry; `index.embedded.Index.dense_rank` searches it. Smaller generations are searched exactly.

How a query runs: the IVF lists nearest the query (``nprobe`` of ``nlist``) are scanned on the 8-bit codes,
the best ``max(n, RERANK_MIN)`` candidates are re-scored against the float32 vectors (``vectors.npy``) and the
best ``n`` returned with their exact cosine scores, so scores mean the same thing as on an exact index.
``nprobe`` is chosen when the index is built: the smallest power of two whose recall@10 against exact search,
on blends of sample passages used as queries (`calibration_queries`), reaches `TARGET_RECALL`; the figure is
recorded in the manifest.
Filtered queries: a filter that leaves at most `EXACT_MASK_MAX` passages is searched exactly over those
passages; a wider one scans the IVF with a bitmap of the allowed rows and ``nprobe`` scaled up by the share
of rows the filter removes, so about as many allowed candidates are scored as without a filter.

Choice of index (`python -m bench.ann_sweep kinds --size 100000|1000000`), measured on synthetic vectors made as
in bench/latency.py (200 real query embeddings; 2-core AMD EPYC shared with other jobs): at 100k passages
IVF1024 reaches recall@10 0.98 at nprobe 128 in 0.9 ms (SQ8) / 1.4 ms (float32) per query, built in 7 s; HNSW (M=32, efConstruction=80) reached only 0.90 at efSearch 256
(1.8 ms) and took 64 s to build. At 1M, IVF4096,SQ8: recall 0.975 / 0.989 / 0.995 at nprobe 64 / 128 / 256
in 2.7 / 5.2 / 8.7 ms (exact: 300 ms on the loaded machine). SQ8 gives the same recall as float32 once the
candidates are re-scored, at a quarter of the size; filters work with it (a bitmap selector and more
lists probed); HNSW graphs are known to lose recall under narrow filters (not measured here).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

ANN_FILE = "dense.faiss"
ANN_TYPE = "ivf-sq8"
# Passages from which a generation gets an approximate index. Exact search (faiss IndexFlatIP, 2 cores) costs
# about 0.17 ms per 1,000 passages per query (18 ms at 100k, 156 ms at 1M, bench/latency.py): below 150k it
# stays under 25 ms with recall 1.0, so the approximation is only taken where it is needed.
ANN_THRESHOLD = 150_000
TARGET_RECALL = 0.97  # build-time calibration target (the issue asks >= 0.95 against exact; margin for real queries)
CALIBRATION_QUERIES = 200
CALIBRATION_BLEND = 3  # passages summed per calibration query (see calibration_queries)
RERANK_MIN = 100  # candidates re-scored exactly per query
# A filter leaving at most this many passages is searched exactly (gathering their vectors); a wider one by the
# bitmap-filtered IVF scan. `python -m bench.ann_sweep masks` (300k clustered vectors, 2 loaded cores), per query: 1k rows exact 0.7 ms
# vs IVF 14 ms; 5k 42 vs 26 ms; 20k 89 vs 32 ms; 50k 192 vs 18 ms (recall@10 of the IVF scan 0.955-1.0).
EXACT_MASK_MAX = 5_000
TRAIN_PER_LIST = 40  # k-means training points per IVF list (faiss wants >= 39)


def ann_threshold() -> int:
    """`ANN_THRESHOLD`, or ``$BOARDPAPERS_ANN_THRESHOLD`` when set (tests and benchmarks force the ANN path)."""
    from boardpapers.settings import settings

    v = settings().ann_threshold
    return ANN_THRESHOLD if v is None else v


def choose_nlist(n: int) -> int:
    """About 4 * sqrt(n) lists, a power of two, with at least TRAIN_PER_LIST passages per list."""
    want = 2 ** round(math.log2(max(1.0, 4 * math.sqrt(n))))
    return max(1, min(want, n // TRAIN_PER_LIST))


def _faiss():
    import faiss

    return faiss


def rescore(vectors: np.ndarray, q: np.ndarray, cand: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``n`` of ``cand`` by exact inner product, ties to the lower row (like the exact path)."""
    rows = np.unique(cand[cand >= 0]).astype(np.int64)
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    s = np.asarray(vectors[rows], dtype=np.float32) @ q
    order = np.lexsort((rows, -s))[:n]
    return rows[order], s[order].astype(np.float32)


def search(ix, vectors: np.ndarray, qvec: np.ndarray, n: int, nprobe: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top ``n`` rows (and exact scores) for one query; ``mask`` (bool per row) keeps only allowed rows."""
    faiss = _faiss()
    q = np.ascontiguousarray(qvec, dtype=np.float32).reshape(1, -1)
    total = int(ix.ntotal)
    nlist = int(faiss.extract_index_ivf(ix).nlist)
    allowed = total
    params = faiss.SearchParametersIVF()
    bits = sel = None
    if mask is not None:
        allowed = int(np.count_nonzero(mask))
        if allowed == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        bits = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
        sel = faiss.IDSelectorBitmap(total, faiss.swig_ptr(bits))
        params.sel = sel
        nprobe = math.ceil(nprobe * total / allowed)
    params.nprobe = max(1, min(nlist, int(nprobe)))
    kk = min(allowed, max(n, RERANK_MIN))
    _, idx = ix.search(q, kk, params=params)
    cand = idx[0]
    if int((cand >= 0).sum()) < min(n, allowed) and params.nprobe < nlist:
        params.nprobe = nlist  # too few candidates in the probed lists: scan them all
        _, idx = ix.search(q, kk, params=params)
        cand = idx[0]
    del sel, bits
    return rescore(vectors, q[0], cand, n)


def exact_search(vectors: np.ndarray, qvec: np.ndarray, n: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``n`` among ``rows`` (ascending row numbers), ties to the lower row."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    s = np.asarray(vectors[rows] @ np.asarray(qvec, dtype=np.float32).reshape(-1), dtype=np.float32)
    top = np.argsort(-s, kind="stable")[:n]
    return rows[top].astype(np.int64), s[top]


def calibration_queries(vectors: np.ndarray, nq: int, seed: int) -> np.ndarray:
    """``nq`` query vectors for calibration: each the normalised sum of CALIBRATION_BLEND random passage vectors.

    A passage's own vector is no stand-in for a query: its neighbours are found far more easily than a real
    query's (10k/100k synthetic passages: nprobe 32/8 for recall 0.98 on passages, 128/128 on real queries).
    Blends of three passages lie between topics, as short queries do, and needed at least the real queries'
    nprobe in every measurement (bench/ann.py compares both)."""
    rng = np.random.default_rng(seed)
    q = sum(np.asarray(vectors[rng.choice(len(vectors), nq)], dtype=np.float32) for _ in range(CALIBRATION_BLEND))
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    return np.ascontiguousarray(q / np.where(norms > 0, norms, 1), dtype=np.float32)


def _calibrate(ix, vectors: np.ndarray, nlist: int, seed: int) -> tuple[int, float, int]:
    """Smallest power-of-two nprobe whose recall@10 against exact search, on `calibration_queries`, reaches
    TARGET_RECALL; returns (nprobe, recall, queries)."""
    faiss = _faiss()
    n = len(vectors)
    k = min(10, n)
    Q = calibration_queries(vectors, CALIBRATION_QUERIES, seed + 1)
    _, gt = faiss.knn(Q, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    probes = sorted({min(nlist, 2**e) for e in range(0, int(math.log2(nlist)) + 2)})
    recall = 0.0
    for p in probes:
        params = faiss.SearchParametersIVF()
        params.nprobe = p
        _, idx = ix.search(Q, min(n, RERANK_MIN), params=params)
        hits = 0
        for j, cand in enumerate(idx):
            rows, _ = rescore(vectors, Q[j], cand, k)
            hits += len(set(gt[j].tolist()) & set(rows.tolist()))
        recall = hits / (k * len(Q))
        if recall >= TARGET_RECALL:
            return p, recall, len(Q)
    return nlist, recall, len(Q)


def build(vectors: np.ndarray, path: Path, threshold: int, seed: int = 0) -> dict:
    """Train, fill, calibrate and write the IVF-SQ8 index for ``vectors`` (unit rows) at ``path`` (fsynced);
    returns the manifest's "dense" entry."""
    faiss = _faiss()
    t0 = time.perf_counter()
    n, dim = vectors.shape
    nlist = choose_nlist(n)
    ix = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, min(n, TRAIN_PER_LIST * nlist), replace=False))
    ix.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for s in range(0, n, 100_000):
        ix.add(np.ascontiguousarray(vectors[s : s + 100_000], dtype=np.float32))
    nprobe, recall, nq = _calibrate(ix, vectors, nlist, seed)
    ix.nprobe = nprobe
    faiss.write_index(ix, str(path))
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
    return {
        "type": ANN_TYPE,
        "metric": "cosine",
        "file": ANN_FILE,
        "bytes": path.stat().st_size,
        "factory": f"IVF{nlist},SQ8",
        "nlist": nlist,
        "nprobe": nprobe,
        "train_points": int(sample.size),
        "rerank": f"exact float32 (vectors.npy), top max(n, {RERANK_MIN})",
        "ann_threshold": threshold,
        "calibration": {"queries": nq, "blend": CALIBRATION_BLEND, "target_recall_at_10": TARGET_RECALL, "recall_at_10": round(recall, 4)},
        "build_seconds": round(time.perf_counter() - t0, 1),
    }


def load(path: Path, entry: dict, n: int, dim: int):
    """Read a built index (memory-mapped) and check it against its manifest entry; ValueError if it disagrees."""
    faiss = _faiss()
    ix = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    ivf = faiss.extract_index_ivf(ix)
    if int(ix.ntotal) != n or int(ix.d) != dim or int(ivf.nlist) != int(entry["nlist"]) or not ix.is_trained:
        raise ValueError(
            f"{path.name} holds {ix.ntotal} vectors of dimension {ix.d} in {ivf.nlist} lists, "
            f"the manifest says {n} x {dim} in {entry['nlist']}"
        )
    ivf.nprobe = int(entry["nprobe"])
    return ix
