"""One entry point for the benchmarks: `python -m bench all [--quick]` rewrites sections of docs/BENCHMARKS.md.

Each section sits between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` markers; text outside the
markers (hand-written notes, quality tables) is left alone.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "BENCHMARKS.md"


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    doc.parent.mkdir(exist_ok=True)
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->"
    pat = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("what", choices=("all", "bm25", "latency", "coldstart", "ingest", "backends"))
    ap.add_argument("--quick", action="store_true", help="smaller sizes (10k and 100k passages)")
    ap.add_argument(
        "--source-index",
        default=os.environ.get("BOARDPAPERS_INDEX", ".boardpapers"),
        help="an index of corpus/ (latency benchmark samples its passages and vectors)",
    )
    ap.add_argument("--baseline", default=None, help="ingest: the baseline configuration, key=value,... (bench/ingest_bench.py)")
    ap.add_argument("--new", default=None, help="ingest: the new configuration, key=value,... (bench/ingest_bench.py)")
    a = ap.parse_args(argv)
    from bench.ingest_bench import BASELINE, NEW

    a.baseline, a.new = a.baseline or BASELINE, a.new or NEW
    if a.what in ("all", "bm25"):
        from bench import bm25_bench

        res = bm25_bench.run([10_000, 100_000], 50)
        write_section(
            "bm25", "## BM25: serving implementation vs rank-bm25\n\nCommand: `python -m bench bm25`\n\n" + bm25_bench.markdown(res)
        )
    if a.what in ("all", "latency"):
        from bench import latency

        sizes = [10_000, 100_000] if a.quick else [10_000, 100_000, 1_000_000]
        res = latency.run(sizes, 40, Path(a.source_index))
        write_section("latency", latency.markdown(res, f"python -m bench latency{' --quick' if a.quick else ''} --source-index IDX"))
    if a.what in ("all", "coldstart"):
        from bench import coldstart

        res = coldstart.run(Path(a.source_index), 3)
        write_section("coldstart", coldstart.markdown(res, "python -m bench coldstart --source-index IDX"))
    if a.what in ("all", "ingest"):
        from bench import ingest_bench
        from bench.bm25_bench import machine_info

        res = ingest_bench.run(baseline=a.baseline, new=a.new, quick=a.quick)
        text = ingest_bench.markdown(res, machine_info(), ingest_bench.command_line(a.quick, a.baseline, a.new))
        if a.quick:  # two small packs: a check of the bench, not figures for the docs
            print(text)
        else:
            write_section("ingest", text)
    if a.what in ("all", "backends"):
        from bench import backends
        from bench.bm25_bench import machine_info

        rows = backends.run(list(backends.BACKENDS), ROOT / "corpus", backends.GOLD)
        write_section("backends", backends.markdown(rows, machine_info(), "python -m bench backends", backends.versions()))
    if not (a.what == "ingest" and a.quick):
        print(f"updated {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
