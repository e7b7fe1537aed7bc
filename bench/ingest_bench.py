"""Ingestion of corpus/ in two configurations side by side: throughput, when the papers become searchable (by
keyword, then fully hybrid), and the bare encoder beside them (issues 8 and 18).

    python -m bench ingest [--quick] [--baseline CFG] [--new CFG]
    python -m bench.ingest_bench [--quick] [--baseline CFG] [--new CFG] [--corpus DIR] [--print-only]

A configuration CFG is ``key=value,key=value``: ``keyword_first`` (0/1), ``backend`` (torch | onnx | onnx-int8 |
openvino), ``workers`` (parse processes), ``batch`` (texts per encode call), and any other ``key`` names a constant
of the ingest pipeline set for that run -- ``KEY`` upper-cased in ``boardpapers.ingest.chunk``, the embed queue
(``boardpapers.index.embedqueue.EmbedQueue``) or ``boardpapers.index.backfill`` (e.g. ``window_words=40``; an unknown
key fails that run with a message). The baseline defaults to the plain fp32 ingest of before issue 18 (``keyword_first=0,backend=torch``),
the new configuration to the CLI's ``--keyword-first`` with this machine's default backend (``preferred_backend``:
torch-bf16 on a CPU with AMX/AVX512-BF16).

1. Parsing: every file through ``parse_file`` in this process (one core): pages/s, and the distinct embed texts.
2. Bare encoder: those texts through ``Embedder.encode`` in one call, model loaded and warm.
3. Each configuration: ``boardpapers.index.writer.ingest`` of the corpus into a fresh index (empty embedding cache) in
   a fresh Python process. Meanwhile this process watches the index: the moment a generation first answers a search
   (opened and searched here, by keyword) is "first searchable", the moment one with every vector answers a hybrid
   search is "fully hybrid"; "all searchable" is when the generation holding every paper went live (the writer's
   record; later than the first when a long parse publishes some papers midway); all from the start of the
   ``ingest()`` call; end to end is the whole call.

The encoder's speed drifts by up to ~25 % over minutes on this shared machine, so ratios of runs minutes apart carry
that uncertainty; ``--quick`` (two small packs, for checking the bench itself) even more.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
QUICK_FILES = ("004_6f7fe29cf4be1230.pdf", "003_a7b28d8a4ec9b5b9.pdf")  # the two smallest packs
BASELINE = "keyword_first=0,backend=torch"  # the ingest of before issue 18: plain, fp32
NEW = "keyword_first=1"  # what the CLI's --keyword-first does here (the backend: this machine's preferred one)
RUN_KEYS = ("keyword_first", "backend", "workers", "batch")
CONSTANT_HOMES = ("boardpapers.ingest.chunk", "boardpapers.index.embedqueue:EmbedQueue", "boardpapers.index.backfill")

_PIPELINE = r"""
import importlib, json, sys, time
args = json.loads(sys.argv[1])
for key, value in args["constants"].items():  # configuration keys naming pipeline constants
    for home in args["homes"]:
        mod, _, cls = home.partition(":")
        obj = importlib.import_module(mod)
        obj = getattr(obj, cls) if cls else obj
        if hasattr(obj, key.upper()):
            old = getattr(obj, key.upper())
            setattr(obj, key.upper(), value.lower() in ("1", "true", "yes") if isinstance(old, bool) else type(old)(value))
            break
    else:
        sys.exit(f"unknown configuration key {key!r}: no constant {key.upper()} in {', '.join(args['homes'])}")
from boardpapers.index import writer
from boardpapers.index.embedqueue import EmbedQueue
if args.get("batch"):
    EmbedQueue.BATCH = int(args["batch"])
t0 = time.time()
r = writer.ingest([args["corpus"]], args["index"], backend=args.get("backend"), workers=args.get("workers"),
                  keyword_first=args["keyword_first"])
print(json.dumps({"t0": t0, "seconds": time.time() - t0, "embedded": r.embedded, "passages": r.passages_total, "pages": r.pages,
                  "parse_seconds": r.parse_seconds, "embed_seconds": r.embed_seconds, "failed": len(r.failed),
                  "load_seconds": r.load_seconds, "build_seconds": r.build_seconds, "timeline": r.timeline}))
"""


def parse_config(spec: str) -> dict:
    """``key=value,key=value`` as {"keyword_first": bool, "backend", "workers", "batch", "constants": {...}}."""
    cfg: dict = {"keyword_first": False, "backend": None, "workers": 2, "batch": None, "constants": {}}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ValueError(f"{part!r} is not key=value")
        if key == "keyword_first":
            cfg[key] = value.lower() in ("1", "true", "yes", "on")
        elif key in ("workers", "batch"):
            cfg[key] = int(value)
        elif key in RUN_KEYS:
            cfg[key] = value
        else:
            cfg["constants"][key] = value
    return cfg


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


class Watcher:
    """Watches an index being built: the wall-clock moment a generation first answers a keyword search, and the
    moment one with every vector first answers a hybrid search (searched from this process)."""

    def __init__(self, index_dir: Path, embedder):
        self.dir, self.embedder = index_dir, embedder
        self.keyword: float | None = None
        self.hybrid: float | None = None
        self.generations = 0
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        from boardpapers.index.embedded import Index
        from boardpapers.index.generation import current_generation_name
        from boardpapers.index.search import search

        seen = None
        while not self.stop.is_set() and self.hybrid is None:
            name = current_generation_name(self.dir)
            if name is None or name == seen:
                time.sleep(0.05)
                continue
            try:
                ix = Index(self.dir)
                if search(ix, "council", k=3, mode="bm25").hits and self.keyword is None:
                    self.keyword = time.time()
                if ix.has_vector is None and search(ix, "council", k=3, embedder=self.embedder).hits:
                    self.hybrid = time.time()
                ix.store.close()
                seen = name
                self.generations += 1
            except Exception as exc:  # noqa: BLE001 - a generation replaced while opened: try the next one
                self.errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.05)

    def finish(self) -> None:
        self.stop.set()
        self.thread.join()


def pipeline_run(corpus: Path, index_dir: Path, cfg: dict, embedder) -> dict:
    """One whole-pipeline ingest of ``corpus`` into the fresh index ``index_dir`` with configuration ``cfg``, in a
    fresh process whose embedding cache is empty, watched from here."""
    args = {
        "corpus": str(corpus),
        "index": str(index_dir),
        "homes": CONSTANT_HOMES,
        **{k: cfg[k] for k in (*RUN_KEYS, "constants")},
    }
    cache = tempfile.mkdtemp(prefix="bp-bench-cache-")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", BOARDPAPERS_CACHE=cache)
    watcher = Watcher(index_dir, embedder)
    load_before = os.getloadavg()[0]
    try:
        out = subprocess.run([sys.executable, "-c", _PIPELINE, json.dumps(args)], cwd=ROOT, env=env, capture_output=True, text=True)
        time.sleep(0.5)  # the last generation, searched
    finally:
        watcher.finish()
        shutil.rmtree(cache, ignore_errors=True)
    if out.returncode != 0:
        raise RuntimeError(f"pipeline run failed: {out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    t0 = res["t0"]
    res.update(
        # every paper searchable (the writer's record): later than the first generation when a long parse published
        # some of them midway
        all_searchable=res["timeline"].get("keyword_searchable"),
        per_s=res["embedded"] / res["seconds"],
        pages_per_s=res["pages"] / res["seconds"],
        keyword_searchable=watcher.keyword - t0 if watcher.keyword else None,
        fully_hybrid=watcher.hybrid - t0 if watcher.hybrid else None,
        generations=watcher.generations,
        load_avg=(round(load_before, 1), round(os.getloadavg()[0], 1)),
    )
    return res


def quick_corpus(tmp: Path) -> Path:
    d = tmp / "quick"
    d.mkdir()
    for name in QUICK_FILES:
        shutil.copy(CORPUS / name, d / name)
    return d


def run(corpus: Path = CORPUS, baseline: str = BASELINE, new: str = NEW, quick: bool = False) -> dict:
    """Parse; one bare encoder run; the baseline and the new configuration, each watched."""
    configs = [("baseline", baseline, parse_config(baseline)), ("new", new, parse_config(new))]
    from boardpapers.index.embed import preferred_backend

    with tempfile.TemporaryDirectory(prefix="bp-ingest-bench-") as tmp:
        if quick:
            corpus = quick_corpus(Path(tmp))
        parsed = parse_corpus(corpus)
        bare_enc = BareEncoder(parsed["texts"], configs[1][2]["backend"] or preferred_backend())
        bare = bare_enc.run()
        print(f"  parsing {parsed['pages'] / parsed['seconds']:.1f} pages/s; bare encoder {bare['per_s']:.1f} texts/s", file=sys.stderr)
        runs = []
        for label, spec, cfg in configs:
            try:
                r = pipeline_run(corpus, Path(tmp) / label.replace(" ", "-"), cfg, bare_enc.emb)
            except RuntimeError as exc:  # one failed configuration does not lose the other's figures
                runs.append({"label": label, "config": spec, "error": str(exc)[-300:]})
                print(f"  {label}: {exc}", file=sys.stderr)
                continue
            r.update(label=label, config=spec, ratio_bare=r["per_s"] / bare["per_s"])
            runs.append(r)
            print(
                f"  {label} ({spec}): {r['seconds']:.1f} s, first searchable {r['keyword_searchable'] or 0:.1f} s, all {_all(r) or 0:.1f} s, "
                f"fully hybrid {r['fully_hybrid'] or 0:.1f} s",
                file=sys.stderr,
            )
    parsed.pop("texts")
    bare.update(backend=bare_enc.backend, load_seconds=bare_enc.load_seconds)
    return {"parse": parsed, "bare": bare, "runs": runs, "corpus": "quick: " + ", ".join(QUICK_FILES) if quick else str(corpus)}


def _s(x: float | None) -> str:
    return f"{x:.1f}" if x is not None else "—"


def _all(r: dict) -> float | None:
    """When every paper was searchable (the writer's record)."""
    return r.get("all_searchable") or r["timeline"].get("keyword_searchable")


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "—"


def markdown(res: dict, machine: dict, command: str) -> str:
    p, b = res["parse"], res["bare"]
    ok = [r for r in res["runs"] if "error" not in r]
    base = next((r for r in ok if r["label"] == "baseline"), None)
    lines = [
        "## Ingestion: keyword-searchable, fully hybrid, throughput, bare encoder",
        "",
        f"Machine: {machine['cpu']} ({machine['cpu_count']} CPUs), Python {machine['python']}, {machine['platform']}. Date: {machine['date']}.",
        f"Command: `{command}`",
        "",
        f"Corpus: `{res['corpus']}`, {p['files']} files, {p['pages']} pages, {p['passages']} passages "
        f"({b['passages']} distinct embed texts: passages and their sentence windows). Load average at the bare run: {b['load_avg']}.",
        "",
        "| stage | what is timed | seconds | rate |",
        "|---|---|---:|---:|",
        f"| parsing (one core) | load + structure + chunking, every file | {p['seconds']:.1f} | {p['pages'] / p['seconds']:.1f} pages/s |",
        f"| bare encoder ({b['backend']}) | `model.encode` of the {b['passages']} distinct texts, one call, model warm "
        f"| {b['seconds']:.1f} | {b['per_s']:.1f} texts/s |",
        "",
        "Each configuration: `ingest()` of the corpus into a fresh index with an empty embedding cache, in a fresh process; "
        "times from the start of the call. First searchable: the first generation that answers a search (opened and "
        "searched from another process; a long parse publishes some papers midway); all searchable: the generation "
        "holding every paper went live (the writer's record); fully hybrid: the first with every vector that answers "
        "a hybrid search.",
        "",
        "| configuration | end to end s | pages/s | texts embedded | texts/s | of the bare encoder | first searchable s "
        "| all searchable s | fully hybrid s | generations | end to end vs baseline | all searchable vs baseline "
        "| load average start / end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["runs"]:
        if "error" in r:
            lines.append(f"| {r['label']}: `{r['config']}` | failed: {r['error'].splitlines()[-1] if r['error'] else ''} |||||||||||")
            continue
        lines.append(
            f"| {r['label']}: `{r['config']}` | {r['seconds']:.1f} | {r['pages_per_s']:.1f} | {r['embedded']} | {r['per_s']:.1f} "
            f"| {r['ratio_bare']:.0%} | {_s(r['keyword_searchable'])} | {_s(_all(r))} | {_s(r['fully_hybrid'])} | {r['generations']} "
            f"| {_ratio(r['seconds'], base and base['seconds'])} | {_ratio(_all(r), base and _all(base))} "
            f"| {r['load_avg'][0]} / {r['load_avg'][1]} |"
        )
    for r in ok:
        t = r["timeline"]
        lines += [
            "",
            f"{r['label']}: model load {r['load_seconds']:.1f} s; last file parsed at {t.get('last_parsed', '?')} s; first "
            f"generation live at {t.get('searchable', '?')} s; first encode call at {t.get('first_encode', '?')} s; last "
            f"encode call ended at {t.get('last_encode_end', '?')} s; encoding {r['embed_seconds']:.1f} s in all; building "
            f"generations {r['build_seconds']:.1f} s in all (parsing used {r['parse_seconds']:.1f} core-seconds in the workers).",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--baseline", default=BASELINE, help=f"configuration key=value,... (default {BASELINE!r}: the plain fp32 ingest)")
    ap.add_argument("--new", default=NEW, help=f"configuration key=value,... (default {NEW!r}: ingest --keyword-first)")
    ap.add_argument("--quick", action="store_true", help="two small packs instead of the corpus (checks the bench itself)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw results here")
    ap.add_argument("--print-only", action="store_true", help="print the section, leave docs/BENCHMARKS.md alone")
    a = ap.parse_args(argv)
    from bench.__main__ import write_section
    from bench.bm25_bench import machine_info

    res = run(Path(a.corpus), a.baseline, a.new, a.quick)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    cmd = command_line(a.quick, a.baseline, a.new)
    text = markdown(res, machine_info(), cmd)
    if not a.print_only and not a.quick:
        write_section("ingest", text)
    print(text)
    return 0


def command_line(quick: bool, baseline: str, new: str) -> str:
    return (
        "python -m bench ingest"
        + (" --quick" if quick else "")
        + (f' --baseline "{baseline}"' if baseline != BASELINE else "")
        + (f' --new "{new}"' if new != NEW else "")
    )


if __name__ == "__main__":
    sys.exit(main())
