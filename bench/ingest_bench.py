"""Ingestion throughput on corpus/: pages/s parsed, bare ``model.encode`` texts/s, and whole-pipeline
texts/s for the same texts (passages and their sentence windows) and backend (issue 8: the pipeline should reach >= 90% of the encoder).

    python -m bench.ingest_bench [--backend torch] [--variants] [--corpus corpus]

1. Parsing: every file of the corpus through ``boardpapers.ingest.parse.parse_file`` in this process (one core),
   which also yields the passages' embed texts exactly as ingestion makes them.
2. Bare encoder: the distinct embed texts through ``Embedder.encode`` in one call (model loaded and
   warmed up first, so neither load nor warm-up is timed).
3. Whole pipeline: ``boardpapers.index.writer.ingest`` of the corpus into a fresh index (empty embedding cache),
   in a fresh Python process; timed is the ``ingest()`` call (discovery, hashing, parallel parsing,
   model load, encoding, SQLite writes, building the index generation), not interpreter start-up.
   ``--variants`` also runs the pipeline with other parse-worker / thread / batch settings.

The encoder's own speed on this (shared, virtual) machine drifts by up to ~25 % over minutes (bare runs of the same
texts measured 19.0-25.8 passages/s within half an hour), far more than the effect measured. So bare and pipeline
runs alternate -- bare, pipeline, bare, pipeline, ..., bare -- and each pipeline run is compared with the mean of the
bare runs just before and just after it. ``--repeats N`` pipeline runs per setting (default 2).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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
from boardpapers.index import writer
from boardpapers.index.embedqueue import EmbedQueue
if not args["adapt"]:
    EmbedQueue.threads_for_encoding = lambda self, busy_workers: None
EmbedQueue.BATCH = args["batch"]
t0 = time.perf_counter()
r = writer.ingest([args["corpus"]], args["index"], backend=args["backend"], workers=args["workers"])
wall = time.perf_counter() - t0
same = None
if args.get("texts"):  # then the bare encoder, in this process, with the pipeline's own model instance, right after
    from boardpapers.index.embed import get_embedder
    texts = json.load(open(args["texts"], encoding="utf-8"))
    emb = get_embedder(None, backend=args["backend"])
    t1 = time.perf_counter()
    emb.encode(texts)
    same = len(texts) / (time.perf_counter() - t1)
print(json.dumps({"seconds": wall, "bare_same_process": same, "embedded": r.embedded, "passages": r.passages_total, "pages": r.pages,
                  "parse_seconds": r.parse_seconds, "embed_seconds": r.embed_seconds, "failed": len(r.failed),
                  "load_seconds": r.load_seconds, "write_seconds": r.write_seconds, "build_seconds": r.build_seconds,
                  "timeline": r.timeline}))
"""


def parse_corpus(corpus: Path) -> dict:
    """Parse every file on one core; returns pages, seconds and the distinct embed texts (passages and their
    sentence windows: everything an ingest encodes)."""
    from boardpapers.index.embed import embed_key, model_tokenizer_dir
    from boardpapers.ingest.chunk import window_texts
    from boardpapers.ingest.discovery import discover
    from boardpapers.ingest.parse import Limits, embed_text, parse_file

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
            for t in [embed_text(p), *window_texts(p["context"], p["text"])]:
                texts.setdefault(embed_key(t), t)
    return {"files": len(files), "pages": pages, "passages": passages, "seconds": seconds, "texts": list(texts.values())}


class BareEncoder:
    """The model loaded and warmed up once; each ``run()`` times one ``encode`` call of all the texts."""

    def __init__(self, texts: list[str], backend: str = "torch"):
        from boardpapers.index.embed import Embedder

        self.texts, self.backend = texts, backend
        t0 = time.perf_counter()
        self.emb = Embedder(backend=backend)
        self.load_seconds = time.perf_counter() - t0
        self.emb.encode(texts[:64])  # warm-up

    def run(self, keep_vectors: bool = False) -> dict:
        t0 = time.perf_counter()
        vecs = self.emb.encode(self.texts)
        dt = time.perf_counter() - t0
        out = {"passages": len(self.texts), "seconds": dt, "per_s": len(self.texts) / dt, "load_avg": round(os.getloadavg()[0], 2)}
        if keep_vectors:
            out["vectors"] = vecs
        return out


def pipeline_run(
    corpus: Path,
    index_dir: Path,
    backend: str = "torch",
    workers: int = 2,
    adapt: bool = True,
    batch: int = 256,
    texts_file: Path | None = None,
) -> dict:
    """One whole-pipeline ingest of ``corpus`` into the fresh index ``index_dir``, in a fresh process; with
    ``texts_file`` (a JSON list) that process then also times the bare encoder on those texts."""
    args = {
        "corpus": str(corpus),
        "index": str(index_dir),
        "backend": backend,
        "workers": workers,
        "adapt": adapt,
        "batch": batch,
        "texts": str(texts_file) if texts_file else None,
    }
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    out = subprocess.run([sys.executable, "-c", _PIPELINE, json.dumps(args)], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"pipeline run failed: {out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["per_s"] = res["embedded"] / res["seconds"]
    return res


def run(corpus: Path = CORPUS, backend: str = "torch", variants: bool = False, keep_index: Path | None = None, repeats: int = 2) -> dict:
    """Parse; then bare and pipeline runs alternating (each setting ``repeats`` times), ending with a bare run."""
    parsed = parse_corpus(corpus)
    bare_enc = BareEncoder(parsed["texts"], backend)
    bares = [bare_enc.run()]
    print(f"  parsing {parsed['pages'] / parsed['seconds']:.1f} pages/s; bare encoder {bares[0]['per_s']:.1f} texts/s", file=sys.stderr)
    runs = []
    settings = VARIANTS if variants else VARIANTS[:1]
    with tempfile.TemporaryDirectory(prefix="bp-ingest-bench-") as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(bare_enc.texts), encoding="utf-8")
        for rep in range(max(1, repeats)):
            for i, (label, workers, adapt, batch) in enumerate(settings):
                keep = keep_index is not None and i == 0 and rep == 0
                index_dir = keep_index if keep else Path(tmp) / f"idx{i}-{rep}"
                try:
                    r = pipeline_run(corpus, index_dir, backend, workers, adapt, batch, texts_file)
                except RuntimeError as exc:  # one failed setting does not lose the others' figures
                    runs.append({"label": label, "error": str(exc)[-300:]})
                    print(f"  {label}: {exc}", file=sys.stderr)
                    continue
                finally:
                    if not keep:
                        shutil.rmtree(index_dir, ignore_errors=True)
                before = bares[-1]
                after = bare_enc.run()
                bares.append(after)
                ref = (before["per_s"] + after["per_s"]) / 2
                r.update(
                    label=label,
                    bare_before=before["per_s"],
                    bare_after=after["per_s"],
                    ratio=r["per_s"] / ref,
                    ratio_same=r["per_s"] / r["bare_same_process"] if r.get("bare_same_process") else None,
                )
                runs.append(r)
                print(
                    f"  {label}: {r['seconds']:.1f} s, {r['per_s']:.1f} texts/s; bare {before['per_s']:.1f} before, "
                    f"{after['per_s']:.1f} after: {r['ratio']:.0%}; bare in the same process right after "
                    f"{r.get('bare_same_process') or 0:.1f}: {r['ratio_same'] or 0:.0%}",
                    file=sys.stderr,
                )
    parsed.pop("texts")
    bare = {
        "backend": backend,
        "passages": len(bare_enc.texts),
        "load_seconds": bare_enc.load_seconds,
        "runs": bares,
        "per_s": statistics.median(b["per_s"] for b in bares),
        "seconds": statistics.median(b["seconds"] for b in bares),
    }
    return {"parse": parsed, "bare": bare, "runs": runs, "corpus": str(corpus), "backend": backend}


def markdown(res: dict, machine: dict, command: str) -> str:
    p, b = res["parse"], res["bare"]
    bare_rates = ", ".join(f"{x['per_s']:.1f}" for x in b["runs"])
    lines = [
        "## Ingestion throughput: parsing, bare encoder, whole pipeline",
        "",
        f"Machine: {machine['cpu']} ({machine['cpu_count']} CPUs), Python {machine['python']}, {machine['platform']}. Date: {machine['date']}.",
        f"Command: `{command}`",
        "",
        f"Corpus: `{Path(res['corpus']).name}/`, {p['files']} files, {p['pages']} pages, {p['passages']} passages "
        f"({b['passages']} distinct embed texts: passages and their sentence windows). Backend: {res['backend']}.",
        "",
        "| stage | what is timed | seconds | rate |",
        "|---|---|---:|---:|",
        f"| parsing (one core) | load + structure + chunking, every file | {p['seconds']:.1f} | {p['pages'] / p['seconds']:.1f} pages/s |",
        f"| bare encoder (median of {len(b['runs'])} runs) | `model.encode` of the {b['passages']} distinct texts, one call, model warm "
        f"| {b['seconds']:.1f} | {b['per_s']:.1f} texts/s |",
        "",
        f"The bare encoder's speed drifts on this shared virtual machine (runs in order: {bare_rates} texts/s), so each "
        "pipeline run is compared twice: with the mean of the bench process's bare runs just before and after it, and with a "
        "bare run of the same texts in the pipeline's own process, with its own model instance, right after `ingest()` returns.",
        "",
        "Whole pipeline: `ingest()` of the corpus into a fresh index with an empty embedding cache, in a fresh process "
        "(timed: hashing, parallel parsing, model load, encoding, SQLite writes, index build; not interpreter start-up).",
        "",
        "| pipeline setting | seconds | texts embedded | texts/s | bare before / after | share of their mean "
        "| bare in the same process right after | share of it |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["runs"]:
        if "error" in r:
            lines.append(f"| {r['label']} | failed: {r['error'].splitlines()[-1] if r['error'] else ''} | | | | | | |")
            continue
        same = f"{r['bare_same_process']:.1f} | {r['ratio_same']:.0%}" if r.get("ratio_same") else "— | —"
        lines.append(
            f"| {r['label']} | {r['seconds']:.1f} | {r['embedded']} | {r['per_s']:.1f} | "
            f"{r['bare_before']:.1f} / {r['bare_after']:.1f} | {r['ratio']:.0%} | {same} |"
        )
    ok = [r for r in res["runs"] if "error" not in r and r["label"] == VARIANTS[0][0]]
    if len(ok) > 1:
        lines += [
            "",
            f"Default setting, median over its {len(ok)} runs: {statistics.median(r['ratio'] for r in ok):.0%} of the "
            f"adjacent bare runs, {statistics.median(r['ratio_same'] or 0 for r in ok):.0%} of the same-process bare run.",
        ]
    first = next((r for r in res["runs"] if "error" not in r and "timeline" in r), None)
    if first:
        t = first["timeline"]
        lines += [
            "",
            f"Where the time of the first run went: model load {first['load_seconds']:.1f} s; first encode call at "
            f"{t.get('first_encode', '?')} s; last file parsed at {t.get('last_parsed', '?')} s; last encode call ended at "
            f"{t.get('last_encode_end', '?')} s; encoding {first['embed_seconds']:.1f} s in all; storing documents "
            f"{first['write_seconds']:.1f} s; building the index generation {first['build_seconds']:.1f} s "
            f"(parsing used {first['parse_seconds']:.1f} core-seconds in the workers).",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    ap.add_argument("--backend", default="torch")
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--variants", action="store_true", help="also run the other worker / thread / batch settings")
    ap.add_argument("--repeats", type=int, default=2, help="pipeline runs per setting, each between two bare runs")
    ap.add_argument("--json", metavar="FILE", help="also write the raw results here")
    ap.add_argument("--print-only", action="store_true", help="print the section, leave docs/BENCHMARKS.md alone")
    a = ap.parse_args(argv)
    from bench.__main__ import write_section
    from bench.bm25_bench import machine_info

    res = run(Path(a.corpus), a.backend, a.variants, repeats=a.repeats)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    cmd = (
        "python -m bench.ingest_bench"
        + (f" --backend {a.backend}" if a.backend != "torch" else "")
        + (f" --corpus {a.corpus}" if Path(a.corpus).resolve() != CORPUS.resolve() else "")
        + (" --variants" if a.variants else "")
        + (f" --repeats {a.repeats}" if a.repeats != 2 else "")
    )
    if not a.print_only:
        write_section("ingest", markdown(res, machine_info(), cmd))
    print(markdown(res, machine_info(), cmd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
