"""Meeting dates, provenance, titles and types of every PDF under a folder (default ../shared/realpdf), parsed as
ingest parses them (ingest/parse.py in worker processes, then the meeting context of each file alone and of its
meeting folder, ingest/context.py), without embedding or storing anything.

Prints one row per file (file, folder date, assigned meeting_date, its provenance, title, doc_type), the share of
files whose meeting_date equals their folder's date, and how many titles are a bare file name.

    .venv/bin/python scripts/meeting_dates.py [FOLDER] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from boardpapers.ingest.context import Paper, fixed_fields, meeting_folder, resolve
from boardpapers.ingest.discovery import discover
from boardpapers.ingest.parse import Limits, parse_file

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "realpdf"


def _parse(path: str) -> dict:
    return parse_file(path, Limits(ocr=False) if "ocr" in Limits.__dataclass_fields__ else Limits(), None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--json", help="also write the rows as JSON here")
    a = ap.parse_args(argv)
    files, _, manifest = discover([a.folder])
    files = [f for f in files if f.suffix.lower() == ".pdf"]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        results = list(pool.map(_parse, [str(f) for f in files]))
    papers, failed = [], []
    for f, res in zip(files, results):
        if not res["ok"]:
            failed.append((f, res["reason"]))
            continue
        papers.append(Paper(str(f), {k: res["meta"].get(k) for k in ("meeting_date", "council", "body", "title", "doc_type")},
                            fixed_fields(manifest.get(f.resolve()))))  # fmt: skip
    ctx = resolve(papers)
    rows = []
    for p in papers:
        c = ctx[p.path]
        rows.append(
            {
                "file": os.path.relpath(p.path, a.folder),
                "folder_date": meeting_folder(p.path)[1],
                "meeting_date": c.values.get("meeting_date"),
                "provenance": c.provenance.get("meeting_date"),
                "text_date": p.parsed.get("meeting_date"),
                "title": c.values.get("title"),
                "title_from": c.provenance.get("title"),
                "doc_type": c.values.get("doc_type"),
                "council": c.values.get("council"),
                "body": c.values.get("body"),
            }
        )
    w = max(len(r["file"][:70]) for r in rows) if rows else 10
    print(f"{'file':<{w}}  {'folder':<10}  {'meeting':<10}  {'from':<10}  {'type':<9}  title")
    for r in rows:
        print(
            f"{r['file'][:70]:<{w}}  {r['folder_date'] or '-':<10}  {r['meeting_date'] or '-':<10}  {r['provenance'] or '-':<10}  "
            f"{r['doc_type']:<9}  {(r['title'] or '')[:80]}"
        )
    dated = [r for r in rows if r["folder_date"]]
    same = sum(r["meeting_date"] == r["folder_date"] for r in dated)
    bare = sum(r["title_from"] == "file name" or r["title"] == Path(r["file"]).name for r in rows)
    same_as_stem = sum(r["title_from"] == "content" and r["title"] == Path(r["file"]).stem for r in rows)
    by_source: dict[str, int] = {}
    for r in rows:
        by_source[r["provenance"] or "none"] = by_source.get(r["provenance"] or "none", 0) + 1
    print()
    print(f"files: {len(rows)} parsed, {len(failed)} failed")
    print(f"meeting_date equals the folder's date: {same}/{len(dated)} ({100 * same / max(1, len(dated)):.1f}%)")
    print(f"meeting_date from: {', '.join(f'{k} {v}' for k, v in sorted(by_source.items()))}")
    print(f"titles that are a bare file name (none found in the content): {bare}")
    print(f"titles read from the content that happen to equal the file's name: {same_as_stem}")
    for f, why in failed:
        print(f"failed: {f}: {why}", file=sys.stderr)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
