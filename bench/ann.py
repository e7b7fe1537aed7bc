"""Recall@10 and speed of the approximate dense index (index/ann.py) against exact search.

Called by bench/latency.py on each synthetic index it builds (``python -m bench latency`` / ``all``): the
generation's own approximate index where it has one (at or above the threshold, built by build_generation as
users get it), otherwise one built here from the generation's vectors with the same function and settings, so
the table shows what the approximation would cost at every size. Queries are real query embeddings (bench
queries plus the opening words of real corpus passages). The truth is exact inner-product search (faiss.knn)
over all rows, or over the rows a filter leaves; the approximate side runs exactly as Index.dense_rank does
(100 candidates re-scored, top 10 kept), including the bitmap-filtered scan for filters.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from boardpapers.index import ann

# filters on the synthetic index (dates uniform over 2010-2024, 10% decisions): about 20%, 10%, 0.6% of rows
FILTERS = (
    ("none", {}),
    ("since 2022-01-01", {"since": "2022-01-01"}),
    ("decisions", {"decisions": True}),
    ("since 2024-12-01", {"since": "2024-12-01"}),
)


def _pct(xs: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(xs), q)), 2) if xs else float("nan")


def measure(index_dir: Path, qvecs: np.ndarray) -> dict:
    import faiss

    from boardpapers.index.embedded import Index
    from boardpapers.index.query import Filters

    ix = Index(index_dir)
    vectors = ix.vectors
    tmp = None
    if ix.dense_type == ann.ANN_TYPE:
        entry, source = ix.manifest["dense"], "built by build_generation"
        t0 = time.perf_counter()
        fx = ix.faiss_index()
        load_s = time.perf_counter() - t0
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bp-ann-")
        path = Path(tmp.name) / ann.ANN_FILE
        entry = ann.build(np.asarray(vectors), path, 0)
        source = "built by the bench (index below the threshold: users get exact search)"
        t0 = time.perf_counter()
        fx = ann.load(path, entry, len(ix), vectors.shape[1])
        load_s = time.perf_counter() - t0
    nprobe = int(entry["nprobe"])
    out = {"source": source, "entry": entry, "load_s": round(load_s, 2), "queries": len(qvecs), "filters": {}}
    for name, kw in FILTERS:
        mask = ix.mask(Filters(**kw)) if kw else None
        rows = np.arange(len(ix)) if mask is None else np.flatnonzero(mask)
        if rows.size < 10:
            continue
        sub = np.ascontiguousarray(vectors[rows], dtype=np.float32)
        t0 = time.perf_counter()
        _, gt = faiss.knn(qvecs, sub, 10, metric=faiss.METRIC_INNER_PRODUCT)
        exact_ms = (time.perf_counter() - t0) * 1000 / len(qvecs)
        del sub
        hits, times = 0, []
        for q, truth in zip(qvecs, gt):
            t0 = time.perf_counter()
            got, _ = ann.search(fx, vectors, q, 100, nprobe, mask)
            times.append((time.perf_counter() - t0) * 1000)
            hits += len(set(rows[truth].tolist()) & set(got[:10].tolist()))
        out["filters"][name] = {
            "rows": int(rows.size),
            "recall_at_10": round(hits / (10 * len(qvecs)), 4),
            "ann_p50_ms": _pct(times, 50),
            "ann_p95_ms": _pct(times, 95),
            "exact_ms": round(exact_ms, 2),
            "served_by": "approximate" if ix.dense_type == ann.ANN_TYPE and (mask is None or rows.size > ann.EXACT_MASK_MAX) else "exact",
        }
    ix.store.close()
    if tmp is not None:
        tmp.cleanup()
    return out


def markdown(sizes: dict) -> list[str]:
    lines = [
        "### Approximate dense index: recall@10 against exact search",
        "",
        f"IVF over 8-bit scalar-quantised vectors (faiss `IVF{{nlist}},SQ8`, inner product), 100 candidates re-scored "
        f"exactly, top 10 compared with exact search over the same rows. nprobe is calibrated at build time (smallest power of "
        f"two reaching recall@10 {ann.TARGET_RECALL} on {ann.CALIBRATION_QUERIES} blends of {ann.CALIBRATION_BLEND} sample passages used as "
        f"queries; the recall@10 column uses real query embeddings). Generations of at least "
        f"{ann.ANN_THRESHOLD:,} passages get it; below that, the row shows what it would give (built by the bench) while users "
        f"get exact search. Filters leaving at most {ann.EXACT_MASK_MAX:,} rows are always searched exactly in the product; "
        "here every row is the approximate path. ANN ms = dense search only (no query encoding), re-scoring included; exact ms = "
        "faiss.knn over the filter's rows, batched, per query (their vectors gathered beforehand, not timed).",
        "",
        "| passages | nlist / nprobe | calibration recall | build s | filter | rows | recall@10 | ANN p50 / p95 ms | exact ms | product uses |",
        "|---:|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for n, r in sizes.items():
        a = r.get("ann")
        if not a:
            continue
        e = a["entry"]
        build = e.get("build_seconds", "")
        for name, f in a["filters"].items():
            lines.append(
                f"| {int(n):,} | {e['nlist']} / {e['nprobe']} | {e['calibration']['recall_at_10']} | {build} | {name} | {f['rows']:,} | "
                f"{f['recall_at_10']} | {f['ann_p50_ms']} / {f['ann_p95_ms']} | {f['exact_ms']} | {f['served_by']} |"
            )
    return lines
