"""Embedding backends on this machine: encode speed and retrieval quality against PyTorch fp32.

    python -m bench.backends [--backends torch,onnx,onnx-int8,openvino] [--gold ../shared/eval/council-dev.jsonl]

For each backend whose packages are installed (`pip install 'boardpapers[backends]'`): bare
``Embedder.encode`` passages/s on the distinct embed texts of corpus/ (as bench/ingest_bench.py), the
mean cosine of its vectors to PyTorch fp32's, and the council dev set scored on an index of corpus/
whose passages carry that backend's vectors (queries encoded with the same backend). The index is
built by the real pipeline with an embedder that hands back the vectors just measured, so each
backend costs one encode of the corpus, not two. Issue 8's rule for the default: a backend other
than PyTorch fp32 becomes the default only if it is faster here with recall@5 and trace coverage
within 0.01 of fp32.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from boardpapers.index.embed import BACKENDS

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT.parent / "shared" / "eval" / "council-dev.jsonl"
TOLERANCE = 0.01  # issue 8: recall@5 and trace coverage within this of PyTorch fp32


class _Precomputed:
    """An embedder that returns vectors already computed for these texts (and encodes anything else)."""

    def __init__(self, emb, texts: list[str], vectors: np.ndarray):
        self.emb, self.model_id, self.dim = emb, emb.model_id, emb.dim
        self.known = dict(zip(texts, vectors))

    def encode(self, texts, batch_size=None):
        missing = [t for t in texts if t not in self.known]
        if missing:
            self.known.update(zip(missing, self.emb.encode(missing)))
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def encode_query(self, text):
        return self.emb.encode_query(text)


def quality(corpus: Path, gold: Path, emb, texts: list[str], vectors: np.ndarray) -> dict:
    """Council dev scores (hybrid and dense) of an index of ``corpus`` holding these vectors."""
    from boardpapers.index.embedded import Index
    from boardpapers.index.evaluate import evaluate_gold
    from boardpapers.index.writer import ingest

    with tempfile.TemporaryDirectory(prefix="bp-backend-") as tmp:
        pre = _Precomputed(emb, texts, vectors)
        ingest([str(corpus)], Path(tmp) / "idx", embedder=pre, workers=2)
        res = evaluate_gold(Index(Path(tmp) / "idx"), gold, modes=["hybrid", "dense"], embedder=emb)
    return {m: {k: res[m][k] for k in ("recall@5", "ndcg@10", "mrr@10", "trace_coverage@10")} for m in res}


def run(backends: list[str], corpus: Path, gold: Path | None) -> list[dict]:
    from bench.ingest_bench import BareEncoder, parse_corpus
    from boardpapers.index.embed import check_backend, missing_backend_packages

    if gold is None or not gold.exists():
        print(f"warning: no gold file at {gold}: speed only, no quality figures", file=sys.stderr)
    texts = parse_corpus(corpus)["texts"]
    rows: list[dict] = []
    ref = None
    for b in backends:
        check_backend(b)
        missing = missing_backend_packages(b)
        if missing:
            rows.append({"backend": b, "unavailable": f"packages not installed: {', '.join(missing)}"})
            continue
        bare = BareEncoder(texts, b)
        emb, timed = bare.emb, bare.run(keep_vectors=True)
        vecs = timed["vectors"]
        row = {"backend": b, "passages": len(texts), "seconds": timed["seconds"], "per_s": timed["per_s"]}
        if b == "torch":
            ref = vecs
        if ref is not None:
            row["cosine_to_torch"] = float(np.mean(np.sum(vecs * ref, axis=1)))
        if gold is not None and gold.exists():
            row["quality"] = quality(corpus, gold, emb, texts, vecs)
        rows.append(row)
        print(f"  {b}: {row['per_s']:.1f} passages/s", file=sys.stderr)
    return rows


def verdicts(rows: list[dict]) -> dict[str, str]:
    """Issue 8's default rule applied to each non-torch backend."""
    base = next((r for r in rows if r["backend"] == "torch" and "per_s" in r), None)
    out = {}
    for r in rows:
        if r["backend"] == "torch" or "per_s" not in r or base is None:
            continue
        faster = r["per_s"] > base["per_s"]
        q, bq = r.get("quality", {}).get("hybrid"), base.get("quality", {}).get("hybrid")
        if q is None or bq is None:
            out[r["backend"]] = "no quality figures (no gold file)"
            continue
        d_r5 = q["recall@5"] - bq["recall@5"]
        d_tr = q["trace_coverage@10"] - bq["trace_coverage@10"]
        ok = faster and abs(d_r5) <= TOLERANCE and abs(d_tr) <= TOLERANCE
        why = []
        if not faster:
            why.append("not faster")
        if abs(d_r5) > TOLERANCE:
            why.append(f"recall@5 {d_r5:+.3f}")
        if abs(d_tr) > TOLERANCE:
            why.append(f"trace coverage {d_tr:+.3f}")
        out[r["backend"]] = "meets the rule" if ok else "fails the rule: " + ", ".join(why)
    return out


def markdown(rows: list[dict], machine: dict, command: str, versions: str) -> str:
    base = next((r for r in rows if r["backend"] == "torch" and "quality" in r), None)
    lines = [
        "## Embedding backends: speed and quality against PyTorch fp32",
        "",
        f"Machine: {machine['cpu']} ({machine['cpu_count']} CPUs), Python {machine['python']}, {machine['platform']}. Date: {machine['date']}.",
        f"Command: `{command}` ({versions}).",
        "",
        "Speed: bare `Embedder.encode` of the distinct embed texts of corpus/ in one call, model warm. Quality: council dev set "
        "(`../shared/eval/council-dev.jsonl`) on an index of corpus/ holding that backend's vectors, queries encoded with the "
        "same backend; Δ = change against PyTorch fp32.",
        "",
        "Non-torch backends come from `pip install -e '.[backends]'` (optimum-onnx + onnxruntime, optimum-intel + openvino); "
        "optimum-onnx needs transformers < 4.58 while sentence-transformers 6 needs transformers >= 5, so that extra resolves "
        "to sentence-transformers 5.x with transformers 4.57 (versions of this run above). onnx-int8 is ONNX Runtime dynamic "
        "int8 quantisation for this CPU's instruction set; exports are made locally from the bundled model into "
        "`~/.cache/boardpapers/models` (`$BOARDPAPERS_CACHE`), nothing is downloaded.",
        "",
        "| backend | passages/s | speed vs torch | mean cosine to torch | hybrid recall@5 (Δ) | hybrid nDCG@10 (Δ) | hybrid trace coverage (Δ) | dense recall@5 (Δ) | dense nDCG@10 (Δ) | default rule |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    v = verdicts(rows)
    t = next((r for r in rows if r["backend"] == "torch" and "per_s" in r), None)
    for r in rows:
        if "unavailable" in r:
            lines.append(f"| {r['backend']} | — | — | — | — | — | — | — | — | not measured: {r['unavailable']} |")
            continue

        def cell(mode, key, r=r):
            q = r.get("quality", {}).get(mode)
            if q is None:
                return "—"
            if base is None or r is base:
                return f"{q[key]:.3f}"
            return f"{q[key]:.3f} ({q[key] - base['quality'][mode][key]:+.3f})"

        speed = f"{r['per_s'] / t['per_s']:.2f}x" if t else "—"
        cos = f"{r['cosine_to_torch']:.4f}" if "cosine_to_torch" in r else "—"
        lines.append(
            f"| {r['backend']} | {r['per_s']:.1f} | {speed} | {cos} | {cell('hybrid', 'recall@5')} | {cell('hybrid', 'ndcg@10')} | "
            f"{cell('hybrid', 'trace_coverage@10')} | {cell('dense', 'recall@5')} | {cell('dense', 'ndcg@10')} | "
            f"{'(reference)' if r['backend'] == 'torch' else v.get(r['backend'], '')} |"
        )
    winners = [b for b, why in v.items() if why == "meets the rule"]
    fastest = max(winners, key=lambda b: next(r["per_s"] for r in rows if r["backend"] == b), default=None)
    lines += [
        "",
        f"Default backend by issue 8's rule (faster than PyTorch fp32, recall@5 and trace coverage within {TOLERANCE}): "
        + (f"**{fastest}** meets it." if fastest else "**torch** (no other backend meets it)."),
    ]
    return "\n".join(lines)


def versions() -> str:
    import importlib.metadata as md

    out = []
    for pkg in ("torch", "sentence-transformers", "transformers", "onnxruntime", "optimum-onnx", "openvino", "optimum-intel"):
        try:
            out.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            pass
    return ", ".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.backends")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--gold", default=str(GOLD))
    ap.add_argument("--print-only", action="store_true", help="print the section, leave docs/BENCHMARKS.md alone")
    a = ap.parse_args(argv)
    from bench.__main__ import write_section
    from bench.bm25_bench import machine_info

    rows = run(a.backends.split(","), Path(a.corpus), Path(a.gold))
    cmd = "python -m bench.backends" + (f" --backends {a.backends}" if a.backends != ",".join(BACKENDS) else "")
    md_text = markdown(rows, machine_info(), cmd, versions())
    if not a.print_only:
        write_section("backends", md_text)
    print(md_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
