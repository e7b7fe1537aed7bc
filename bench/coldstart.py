"""Cold start: wall time of commands in fresh processes, and of the first and second query after start-up.

    python -m bench.coldstart [--source-index DIR] [--repeat 3]

Every figure is the median of ``--repeat`` fresh processes on the index given (an index of ``corpus/``):
the whole command as a user runs it (``python cli.py ...``: interpreter start, imports, index open, query,
output), and, inside one process, the steps of a first hybrid query: open the index, load the model, first
query (dense index and caches cold), second query. ``info`` and ``search --mode bm25`` never import torch
(tests/test_cli.py checks sys.modules); the table says whether torch was loaded after each command.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.bm25_bench import machine_info

ROOT = Path(__file__).resolve().parents[1]
QUERY = "library savings"

_STEPS = r"""
import json, sys, time
t0 = time.perf_counter()
from boardpapers.index.embedded import Index
from boardpapers.index.search import search
from boardpapers.index.embed import get_embedder
ix = Index(sys.argv[1])
t1 = time.perf_counter()
emb = get_embedder(None if ix.model_id == "all-MiniLM-L6-v2" else ix.model_id)
t2 = time.perf_counter()
search(ix, sys.argv[2], mode="hybrid", embedder=emb)
t3 = time.perf_counter()
search(ix, sys.argv[3], mode="hybrid", embedder=emb)
t4 = time.perf_counter()
print(json.dumps({"import_open_ms": (t1 - t0) * 1000, "model_load_ms": (t2 - t1) * 1000,
                  "first_query_ms": (t3 - t2) * 1000, "second_query_ms": (t4 - t3) * 1000}))
"""

# runs a CLI command in-process, then reports whether torch got imported
_CLI = (
    "import sys, cli\nrc = cli.main(sys.argv[1:])\nprint('TORCH' if 'torch' in sys.modules else 'NOTORCH', file=sys.stderr)\nsys.exit(rc)\n"
)


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _wall(args: list[str]) -> tuple[float, bool]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _CLI, *args], cwd=ROOT, capture_output=True, text=True, env=_env())
    dt = (time.perf_counter() - t0) * 1000
    if r.returncode != 0:
        raise RuntimeError(f"{args} failed: {r.stderr[-2000:]}")
    return dt, "NOTORCH" not in r.stderr


def run(index: Path, repeat: int = 3) -> dict:
    idx = str(index)
    cases = {
        "python -c pass (interpreter start)": None,
        "boardpapers info": ["info", "--index", idx],
        "boardpapers search --mode bm25": ["search", QUERY, "--mode", "bm25", "--index", idx, "--format", "json"],
        "boardpapers export --mode bm25 (csv)": ["export", QUERY, "--mode", "bm25", "--format", "csv", "-o", os.devnull, "--index", idx],
        "boardpapers search (hybrid)": ["search", QUERY, "--index", idx, "--format", "json"],
    }
    out = {"machine": machine_info(), "index": idx, "repeat": repeat, "commands": {}}
    for name, args in cases.items():
        times, torch = [], False
        for _ in range(repeat):
            if args is None:
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-c", "pass"], check=True)
                times.append((time.perf_counter() - t0) * 1000)
            else:
                dt, torch = _wall(args)
                times.append(dt)
        out["commands"][name] = {
            "median_ms": round(statistics.median(times)),
            "min_ms": round(min(times)),
            "torch_imported": None if args is None else torch,
        }
    steps: dict[str, list[float]] = {}
    for _ in range(repeat):
        r = subprocess.run(
            [sys.executable, "-c", _STEPS, idx, QUERY, "CAMHS waiting times"], cwd=ROOT, capture_output=True, text=True, env=_env()
        )
        if r.returncode != 0:
            raise RuntimeError(f"first-query run failed: {r.stderr[-2000:]}")
        for k, v in json.loads(r.stdout.strip().splitlines()[-1]).items():
            steps.setdefault(k, []).append(v)
    out["first_query"] = {k: round(statistics.median(v), 1) for k, v in steps.items()}
    return out


def markdown(res: dict, command: str | None = None) -> str:
    m = res["machine"]
    lines = [
        "## Cold start",
        "",
        f"Machine: {m.get('cpu')} ({m.get('cpu_count')} CPUs), Python {m.get('python')}, {m.get('platform')}. Date: {m.get('date')}.",
        f"Command: `{command or 'python -m bench.coldstart --source-index IDX'}` (IDX = an index of `corpus/`). "
        f"Median of {res['repeat']} fresh processes each; page cache warm (the index files were read before).",
        "",
        "| command (fresh process, whole run) | median ms | min ms | torch imported |",
        "|---|---:|---:|---|",
    ]
    for name, r in res["commands"].items():
        t = "—" if r["torch_imported"] is None else ("yes" if r["torch_imported"] else "no")
        lines.append(f"| {name} | {r['median_ms']:,} | {r['min_ms']:,} | {t} |")
    f = res["first_query"]
    lines += [
        "",
        "First query after start-up, hybrid, in one fresh process (medians):",
        "",
        "| import + open index ms | model load ms | first query ms | second query ms |",
        "|---:|---:|---:|---:|",
        f"| {f['import_open_ms']} | {f['model_load_ms']} | {f['first_query_ms']} | {f['second_query_ms']} |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source-index", default=os.environ.get("BOARDPAPERS_INDEX", ".boardpapers"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    print(markdown(run(Path(a.source_index), a.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
