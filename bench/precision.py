"""Encoder speed of PyTorch fp32 against bfloat16 weights (``--backend torch-bf16``), measured side by side.

    python -m bench.precision [--sample 800] [--rounds 3] [--print-only]

The texts are a fixed sample of what an ingest of corpus/ encodes (passages and their sentence windows). Each round
times one ``encode`` call per backend, the backends taking turns, so a busy machine slows both alike; the section
reports each backend's median texts/s, the ratio of the medians, the ratio within each round, and the mean and
minimum cosine between the two backends' vectors of the same texts. Retrieval quality of bf16 indexes is measured
with ``boardpapers eval`` on indexes built with ``ingest --backend torch-bf16`` (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from bench.__main__ import write_section
from bench.ingest_bench import BareEncoder, parse_corpus

ROOT = Path(__file__).resolve().parents[1]


def measure(texts: list[str], backends: list[str], rounds: int) -> dict:
    enc = {b: BareEncoder(texts, b) for b in backends}
    runs: dict[str, list[float]] = {b: [] for b in backends}
    vectors: dict[str, np.ndarray] = {}
    for r in range(rounds):
        for b in backends if r % 2 == 0 else list(reversed(backends)):
            out = enc[b].run(keep_vectors=b not in vectors)
            vectors.setdefault(b, out.get("vectors"))
            runs[b].append(out["per_s"])
            print(f"  round {r + 1} {b}: {out['per_s']:.1f} texts/s (load {out['load_avg']})", file=sys.stderr)
    ref = vectors[backends[0]]
    cos = {b: (ref * v).sum(axis=1) for b, v in vectors.items()}
    return {"runs": runs, "cos": cos}


def markdown(res: dict, n: int, backends: list[str], rounds: int) -> str:
    base = backends[0]
    med = {b: statistics.median(v) for b, v in res["runs"].items()}
    lines = [
        "## Encoder precision: PyTorch fp32 vs bfloat16 weights",
        "",
        f"Machine: {platform.processor() or platform.machine()} ({os.cpu_count()} CPUs), Python {platform.python_version()}. "
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Command: `python -m bench.precision --sample {n} --rounds {rounds}` ({n} of the texts an ingest of corpus/ encodes).",
        "",
        "| backend | texts/s per round | median texts/s | vs "
        + base
        + " (median) | vs "
        + base
        + " per round | mean cosine to "
        + base
        + " | min cosine |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for b in backends:
        per_round = [x / y for x, y in zip(res["runs"][b], res["runs"][base])]
        lines.append(
            f"| {b} | {', '.join(f'{x:.1f}' for x in res['runs'][b])} | {med[b]:.1f} | {med[b] / med[base]:.2f}x | "
            f"{', '.join(f'{x:.2f}x' for x in per_round)} | {float(res['cos'][b].mean()):.4f} | {float(res['cos'][b].min()):.4f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.precision")
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--sample", type=int, default=800)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--backends", default="torch,torch-bf16")
    ap.add_argument("--print-only", action="store_true")
    a = ap.parse_args(argv)
    texts = parse_corpus(Path(a.corpus))["texts"]
    texts = random.Random(0).sample(texts, min(a.sample, len(texts)))
    backends = a.backends.split(",")
    body = markdown(measure(texts, backends, a.rounds), len(texts), backends, a.rounds)
    print(body)
    if not a.print_only:
        write_section("precision", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
