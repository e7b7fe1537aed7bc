"""Ingestion throughput on corpus/: pages/s parsed, bare ``model.encode`` passages/s, and whole-pipeline
passages/s for the same passages and backend (issue 8: the pipeline should reach >= 90% of the encoder).

    python -m bench.ingest_bench [--backend torch] [--variants] [--corpus corpus]

1. Parsing: every file of the corpus through ``ingest.pipeline.parse_file`` in this process (one core),
   which also yields the passages' embed texts exactly as ingestion makes them.
2. Bare encoder: the distinct embed texts through ``Embedder.encode`` in one call (model loaded and
   warmed up first, so neither load nor warm-up is timed).
3. Whole pipeline: ``ingest.pipeline.ingest`` of the corpus into a fresh index (empty embedding cache),
   in a fresh Python process; timed is the ``ingest()`` call (discovery, hashing, parallel parsing,
   model load, encoding, SQLite writes, building the index generation), not interpreter start-up.
   ``--variants`` also runs the pipeline with other parse-worker / thread / batch settings.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

# (label, workers, adapt torch threads to busy parse workers, texts per encode call); the first is the default
VARIANTS = [
    ("default: 2 parse workers, torch threads = free cores, 256 texts per encode call", 2, True, 256),
    ("2 parse workers, torch threads fixed at 2", 2, False, 256),
    ("1 parse worker, torch threads = free cores", 1, True, 256),
    ("2 parse workers, 1024 texts per encode call", 2, True, 1024),
]

_PIPELINE = r"""
import json, sys, time
args = json.loads(sys.argv[1])
from ingest import pipeline
if not args["adapt"]:
    pipeline._EmbedQueue.threads_for_encoding = lambda self, busy_workers: None
pipeline._EmbedQueue.BATCH = args["batch"]
t0 = time.perf_counter()
r = pipeline.ingest([args["corpus"]], args["index"], backend=args["backend"], workers=args["workers"])
wall = time.perf_counter() - t0
print(json.dumps({"seconds": wall, "embedded": r.embedded, "passages": r.passages_total, "pages": r.pages,
                  "parse_seconds": r.parse_seconds, "embed_seconds": r.embed_seconds, "failed": len(r.failed)}))
"""


def parse_corpus(corpus: Path) -> dict:
    """Parse every file on one core; returns pages, seconds and the distinct embed texts."""
    from ingest.pipeline import Limits, discover, embed_text, parse_file
    from index.embed import embed_key, model_tokenizer_dir

    files, _, _ = discover([corpus])
    tok = model_tokenizer_dir(None)
    pages = passages = 0
    seconds = 0.0
    texts: dict[str, str] = {}
    for f in files:
        res = parse_file(str(f), Limits(), tok)
        if not res["ok"]:
            continue
        pages += res["pages"] or 0
        seconds += res["seconds"]
        passages += len(res["passages"])
        for p in res["passages"]:
            t = embed_text(p)
            texts.setdefault(embed_key(t), t)
    return {"files": len(files), "pages": pages, "passages": passages, "seconds": seconds, "texts": list(texts.values())}


def bare_encode(texts: list[str], backend: str = "torch") -> dict:
    """Passages/s of the encoder alone on ``texts`` (one encode call, as the model sorts by length)."""
    from index.embed import Embedder

    t0 = time.perf_counter()
    emb = Embedder(backend=backend)
    load = time.perf_counter() - t0
    emb.encode(texts[:64])  # warm-up
    t0 = time.perf_counter()
    vecs = emb.encode(texts)
    dt = time.perf_counter() - t0
    return {"backend": backend, "passages": len(texts), "seconds": dt, "per_s": len(texts) / dt, "load_seconds": load, "vectors": vecs}


def pipeline_run(corpus: Path, index_dir: Path, backend: str = "torch", workers: int = 2, adapt: bool = True, batch: int = 256) -> dict:
    """One whole-pipeline ingest of ``corpus`` into the fresh index ``index_dir``, in a fresh process."""
    args = {"corpus": str(corpus), "index": str(index_dir), "backend": backend, "workers": workers, "adapt": adapt, "batch": batch}
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    out = subprocess.run([sys.executable, "-c", _PIPELINE, json.dumps(args)], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"pipeline run failed: {out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["per_s"] = res["embedded"] / res["seconds"]
    return res


def run(corpus: Path = CORPUS, backend: str = "torch", variants: bool = False, keep_index: Path | None = None) -> dict:
    """Parse, bare encode, then the pipeline (default settings, plus the other variants if asked)."""
    parsed = parse_corpus(corpus)
    bare = bare_encode(parsed["texts"], backend)
    bare.pop("vectors")
    print(f"  parsing {parsed['pages'] / parsed['seconds']:.1f} pages/s; bare encoder {bare['per_s']:.1f} passages/s", file=sys.stderr)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bp-ingest-bench-") as tmp:
        for i, (label, workers, adapt, batch) in enumerate(VARIANTS if variants else VARIANTS[:1]):
            index_dir = keep_index if (keep_index is not None and i == 0) else Path(tmp) / f"idx{i}"
            try:
                r = pipeline_run(corpus, index_dir, backend, workers, adapt, batch)
            except RuntimeError as exc:  # one failed setting does not lose the others' figures
                runs.append({"label": label, "error": str(exc)[-300:]})
                print(f"  {label}: {exc}", file=sys.stderr)
                continue
            r.update(label=label, ratio=r["per_s"] / bare["per_s"])
            runs.append(r)
            print(f"  {label}: {r['seconds']:.1f} s, {r['per_s']:.1f} passages/s, {r['ratio']:.0%} of bare encode", file=sys.stderr)
    parsed.pop("texts")
    return {"parse": parsed, "bare": bare, "runs": runs, "corpus": str(corpus), "backend": backend}


def markdown(res: dict, machine: dict, command: str) -> str:
    p, b = res["parse"], res["bare"]
    lines = [
        "## Ingestion throughput: parsing, bare encoder, whole pipeline",
        "",
        f"Machine: {machine['cpu']} ({machine['cpu_count']} CPUs), Python {machine['python']}, {machine['platform']}. Date: {machine['date']}.",
        f"Command: `{command}`",
        "",
        f"Corpus: `{Path(res['corpus']).name}/`, {p['files']} files, {p['pages']} pages, {p['passages']} passages "
        f"({b['passages']} distinct embed texts). Backend: {res['backend']}.",
        "",
        "| stage | what is timed | seconds | rate |",
        "|---|---|---:|---:|",
        f"| parsing (one core) | load + structure + chunking, every file | {p['seconds']:.1f} | {p['pages'] / p['seconds']:.1f} pages/s |",
        f"| bare encoder | `model.encode` of the {b['passages']} distinct texts, one call, model warm | {b['seconds']:.1f} | {b['per_s']:.1f} passages/s |",
        "",
        "Whole pipeline: `ingest()` of the corpus into a fresh index with an empty embedding cache, in a fresh process "
        "(timed: hashing, parallel parsing, model load, encoding, SQLite writes, index build; not interpreter start-up).",
        "",
        "| pipeline setting | seconds | passages embedded | passages/s | share of bare encoder |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in res["runs"]:
        if "error" in r:
            lines.append(f"| {r['label']} | failed: {r['error'].splitlines()[-1] if r['error'] else ''} | | | |")
            continue
        lines.append(f"| {r['label']} | {r['seconds']:.1f} | {r['embedded']} | {r['per_s']:.1f} | {r['ratio']:.0%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    ap.add_argument("--backend", default="torch")
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--variants", action="store_true", help="also run the other worker / thread / batch settings")
    ap.add_argument("--json", metavar="FILE", help="also write the raw results here")
    ap.add_argument("--print-only", action="store_true", help="print the section, leave docs/BENCHMARKS.md alone")
    a = ap.parse_args(argv)
    from bench.__main__ import write_section
    from bench.bm25_bench import machine_info

    res = run(Path(a.corpus), a.backend, a.variants)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    cmd = ("python -m bench.ingest_bench" + (f" --backend {a.backend}" if a.backend != "torch" else "")
           + (f" --corpus {a.corpus}" if Path(a.corpus).resolve() != CORPUS.resolve() else "") + (" --variants" if a.variants else ""))
    if not a.print_only:
        write_section("ingest", markdown(res, machine_info(), cmd))
    print(markdown(res, machine_info(), cmd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
