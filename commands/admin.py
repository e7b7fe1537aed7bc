"""ingest, info, import-store, export-store and app: the commands that build, describe, copy or serve an index."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from boardpapers.index.semantic import progress, progress_line
from boardpapers.index.store import REBUILD_HINT
from boardpapers.ingest.display import doc_label, shown_path

from .common import EXIT_OK, EXIT_PARTIAL, OPENED, CliError, backend, open_index, say


def cmd_ingest(a) -> int:
    from boardpapers.index.report import summary_table
    from boardpapers.ingest.discovery import nothing_given, unusable_summary
    from boardpapers.ingest.parse import Limits

    limits = Limits(timeout_s=a.timeout, max_pages=a.max_pages, max_file_mb=a.max_file_mb, ocr=a.ocr, ocr_timeout=a.ocr_timeout)
    quiet = a.quiet

    def progress(msg: str) -> None:
        if not quiet:
            print(shown_path(msg), file=sys.stderr, flush=True)  # file names may hold newlines or bidi overrides

    try:
        report = backend(a).ingest(
            a.paths,
            model=a.model,
            workers=a.workers,
            limits=limits,
            rebuild=a.rebuild,
            progress=progress,
            backend=a.backend,
            keyword_first=a.keyword_first,
        )
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        raise CliError(f"cannot write the index at {a.index}: {exc.strerror or exc}{where}; the previous index is unchanged") from None
    if nothing_given(report.outcomes, a.paths):  # every argument unusable: a usage error, not a partial ingest
        raise CliError(
            f"nothing to ingest ({unusable_summary(report.outcomes, a.paths)}); give .pdf, .txt or .md files, or folders that hold them"
        )
    print(summary_table(report))
    return EXIT_PARTIAL if report.failed else EXIT_OK


def cmd_info(a) -> int:
    idx = open_index(a)
    m = idx.manifest
    docs = idx.store.documents()
    fails = idx.store.failures()
    info = {
        "index": backend(a).describe()["index"],
        "generation": idx.gen_name,
        "model": m["model"],
        "dim": m["dim"],
        "documents": m["documents"],
        "passages": m["passages"],
        "glossary_terms": m["glossary_terms"],
        "built_at": m["built_at"],
        "schema_version": m["schema_version"],
        "dense_index": m.get("dense"),
        "windows": m.get("windows"),
        "councils": [c for c in idx.facets["council"] if c],
        "bodies": [b for b in idx.facets["body"] if b],
        "failures": fails,
        "meeting_sources": meeting_sources(docs),
        "semantic": progress(idx),  # None when every passage served has its vector and no ingest is embedding
    }
    if a.check:  # the full check: SQLite's integrity_check and every value of the generation's files
        problems = backend(a).check(idx)
        if problems:
            raise CliError(f"the index at {info['index']} is damaged ({'; '.join(problems)[:300]}); {REBUILD_HINT}")
        info["check"] = "passed"
    if a.format == "json":
        info["documents_list"] = [{**{k: v for k, v in d.items() if k != "sources"}, "provenance": d.get("sources", {})} for d in docs]
        print(json.dumps(info, ensure_ascii=False, indent=1))
        return EXIT_OK
    for k in ("index", "generation", "model", "documents", "passages", "glossary_terms", "built_at", "check"):
        if k in info:
            print(f"{k:>15}: {info[k]}")
    print_vectors(info)
    print(f"{'councils':>15}: {', '.join(info['councils'])}")
    print(f"{'bodies':>15}: {', '.join(info['bodies'])}")
    print_documents(docs, info["meeting_sources"])
    if fails:
        print("failed files:")
        for f in fails:
            print(f"  {shown_path(Path(f['path']).name)}: {shown_path(f['reason'])}")
    return EXIT_OK


def print_vectors(info: dict) -> None:
    """The lines of `info` about the index's vectors: semantic indexing still running, the dense index, the windows."""
    if info["semantic"]:
        print(progress_line(info["semantic"]))
    dense = info["dense_index"] or {}
    if dense.get("nprobe"):
        print(
            f"{'dense index':>15}: approximate, {dense.get('factory')}, nprobe {dense['nprobe']} "
            f"(calibrated recall@10 {dense.get('calibration', {}).get('recall_at_10')})"
        )
    elif dense:
        print(f"{'dense index':>15}: exact ({dense.get('type')})")
    win = info["windows"] or {}
    if win:
        print(
            f"{'windows':>15}: {win.get('count')} sentence windows of <= {win.get('words')} words"
            + (
                f"; {win['missing']} not embedded (run `boardpapers ingest --rebuild ...`)"
                if win.get("missing") and not info["semantic"]
                else ""
            )
        )


def print_documents(docs: list[dict], sources: dict[str, dict[str, int]]) -> None:
    """Where the meeting fields came from (counts), then one line per document: its meeting date (and where that
    came from when the document does not state it), type, council, body, title and file."""
    for fld, counts in sources.items():
        print(f"{fld.replace('_', ' '):>15}: from " + ", ".join(f"{src} {n}" for src, n in counts.items()))
    print("documents:")
    for d in docs:
        src = (d.get("sources") or {}).get("meeting_date")
        name = Path(d["path"]).name
        label = doc_label(d)
        print(
            f"  {d['meeting_date'] or '????-??-??'}{f' ({src})' if src and src != 'content' else ''}  {d['doc_type'] or '':<10} "
            f"{d['council'] or '?'} · {d['body'] or '?'} · {shown_path(label)}" + (f" [{shown_path(name)}]" if label != name else "")
        )


def meeting_sources(docs: list[dict]) -> dict[str, dict[str, int]]:
    """How many documents took each meeting field from each source (content, frontsheet, folder, file name, manifest,
    fetched; 'unknown' when none gave it)."""
    out: dict[str, dict[str, int]] = {}
    for f in ("meeting_date", "council", "body", "title"):
        counts: dict[str, int] = {}
        for d in docs:
            src = (d.get("sources") or {}).get(f) or ("unknown" if not d.get(f) else "content")
            counts[src] = counts.get(src, 0) + 1
        out[f] = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
    return out


def store_backend(a):
    """import-store / export-store copy between --index DIR and the backend --store names."""
    from boardpapers.index.backend import open_backend

    b = open_backend(a.store or "")
    OPENED.append(b)
    return b


def cmd_import_store(a) -> int:
    r = store_backend(a).import_index(Path(a.index), progress=say)
    print(f"imported {r['documents']} documents, {r['passages']} passages, {r['terms']} BM25 terms in {r['seconds']} s")
    return EXIT_OK


def cmd_export_store(a) -> int:
    r = store_backend(a).export_index(Path(a.index), progress=say)
    print(f"exported {r['documents']} documents, {r['passages']} passages to {a.index} (generation {r['generation']}) in {r['seconds']} s")
    return EXIT_OK


def cmd_app(a) -> int:
    import subprocess

    app = Path(__file__).resolve().parents[1] / "serve.py"  # app.py plus the route that serves the indexed PDFs
    env = dict(os.environ, **backend(a).environment())
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(a.port),
        "--server.address",
        a.address,
        "--browser.gatherUsageStats",
        "false",
        "--server.headless",
        "true",
        # no watching of the source tree for edits: a served app never reloads itself, and the watcher's inotify
        # reconciles over a repository with .venv inside (tens of thousands of folders) cost a busy machine seconds
        "--server.fileWatcherType",
        "none",
    ]
    return subprocess.call(cmd, env=env)
