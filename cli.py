"""`boardpapers` command line: a thin front over ingest/ and index/ (see README for the contract)."""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path

from boardpapers.ingest.display import shown_path
from boardpapers.ingest.model import DOC_TYPES
from boardpapers.errors import BoardpapersError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class CliError(BoardpapersError):
    """A usage or index problem: printed as one line, exit code 2."""


# ----------------------------------------------------------------- helpers
def _filters(a):
    from boardpapers.ingest.dates import parse_user_date
    from boardpapers.index.search import Filters

    try:
        since = parse_user_date(a.since) if a.since else None
        until = parse_user_date(a.until) if a.until else None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return Filters(council=a.council, body=a.body, since=since, until=until, doc_type=a.type, decisions=a.decisions)


_OPENED: list = []  # backends opened by this command (PostgreSQL connection pools), closed when it ends


def _where(a) -> None:
    """a.index and a.store from the options, else the environment (settings.location's order: an --index given on
    the command line wins over $BOARDPAPERS_STORE)."""
    from boardpapers.settings import where

    a.index_given = a.index is not None
    a.index, a.store = where(getattr(a, "store", None), a.index)


def _backend(a):
    """The backend the options and environment name (settings.location), closed when the command ends."""
    from boardpapers.index.backend import open_backend

    if getattr(a, "opened", None) is None:
        a.opened = open_backend(a.store or a.index)
        _OPENED.append(a.opened)
    return a.opened


def _open_index(a):
    from boardpapers.index.search import IndexError_

    try:
        idx = _backend(a).open()
    except IndexError_ as exc:
        raise CliError(str(exc)) from None
    if getattr(a, "model", None):
        try:
            idx.check_model(a.model)
        except IndexError_ as exc:
            raise CliError(str(exc)) from None
    return idx


def _read_queries(path: str, key: str = "query") -> tuple[list[dict], int]:
    """The queries of a JSON Lines file ("-": standard input) and how many of its lines were bad: a line that is not
    UTF-8, not JSON or not an object with a string ``key`` is reported on stderr with its number and skipped (the
    command then exits 1). A file that cannot be opened or read is a CliError."""
    from boardpapers.index.jsonl import InputError, objects

    where = "standard input" if path == "-" else shown_path(path)
    problems: list[str] = []
    try:
        out = [obj | {"id": obj.get("id", str(n))} for n, obj in objects(path, problems, "queries file", where, key=key)]
    except InputError as exc:
        raise CliError(str(exc)) from None
    for p in problems:
        print(f"boardpapers: {p}; skipped", file=sys.stderr)
    return out, len(problems)


def _count(minimum: int = 1, maximum: int | None = None):
    """An argparse type: a whole number in [minimum, maximum] (-k 0 or --workers -5 are refused, exit 2)."""
    def whole(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{s!r} is not a whole number") from None
        if v < minimum or (maximum is not None and v > maximum):
            raise argparse.ArgumentTypeError(f"must be {f'{minimum} to {maximum}' if maximum is not None else f'at least {minimum}'}, not {v}")
        return v
    whole.__name__ = "whole number"
    return whole


def _doc_type(s: str) -> str:
    """An argparse type for --type: one of DOC_TYPES (any case, or a unique start of one: "min" is minutes)."""
    want = s.strip().casefold()
    hits = [t for t in DOC_TYPES if t == want] or [t for t in DOC_TYPES if want and t.startswith(want)]
    if len(hits) != 1:
        raise argparse.ArgumentTypeError(f"{s!r} is not a document type; use one of {', '.join(DOC_TYPES)}")
    return hits[0]


from boardpapers.index.export import CSV_FIELDS, CSV_FILE_ENCODING, hits_csv, safe_cell  # noqa: E402,F401 - re-exported for scripts
from boardpapers.index.store import REBUILD_HINT, StoreError  # noqa: E402
from boardpapers.index.search import public_hit as _public  # noqa: E402


def matches_line(res) -> str:
    """'37 passages match' / 'No passage matches ...': the honest size of the result set."""
    n = res.matches
    more = "+" if res.pool_full else ""
    if n == 0:
        return f"No passage matches {res.query!r}."
    return f"{n:,}{more} passage{'s' if n != 1 else ''} match{'es' if n == 1 else ''}"


def _print_hits_text(res, out=sys.stdout) -> None:
    from boardpapers.index.search import citation

    if res.notes:
        print("(query expanded: " + "; ".join(res.notes) + ")", file=out)
    print(matches_line(res) + (f"; showing {len(res.strong)}" if 0 < len(res.strong) < res.matches else ""), file=out)
    if not res.hits:
        print("no passages", file=out)
    heading_done = False
    for h in res.hits:
        if h["match"] != "strong" and not heading_done:
            heading_done = True
            print("\nThe closest related passages (not judged matches):" if not res.matches
                  else "\nRelated passages (ranked, not judged matches):", file=out)
        badge = " [DECISION]" if h["is_decision"] else ""
        print(f"{h['rank']:>3}. {shown_path(citation(h))}{badge}  (relevance {h['relevance']:.2f})", file=out)
        text = " ".join(h["text"].split())
        print("     " + (text[:400] + ("…" if len(text) > 400 else "")), file=out)
        for x in h["also_in"]:
            print(f"     also in: {shown_path(x['title'])} ({x['meeting_date']}, p. {x['page']})", file=out)


# ----------------------------------------------------------------- commands
def cmd_ingest(a) -> int:
    from boardpapers.index.report import summary_table
    from boardpapers.ingest.discovery import nothing_given, unusable_summary
    from boardpapers.ingest.parse import Limits

    limits = Limits(timeout_s=a.timeout, max_pages=a.max_pages, max_file_mb=a.max_file_mb)
    quiet = a.quiet

    def progress(msg: str) -> None:
        if not quiet:
            print(shown_path(msg), file=sys.stderr, flush=True)  # file names may hold newlines or bidi overrides

    backend = _backend(a)
    try:
        report = backend.ingest(a.paths, model=a.model, workers=a.workers, limits=limits, rebuild=a.rebuild,
                                progress=progress, backend=a.backend)
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        raise CliError(f"cannot write the index at {a.index}: {exc.strerror or exc}{where}; the previous index is unchanged") from None
    if nothing_given(report.outcomes, a.paths):  # every argument unusable: a usage error, not a partial ingest
        raise CliError(f"nothing to ingest ({unusable_summary(report.outcomes, a.paths)}); give .pdf, .txt or .md files, or folders "
                       "that hold them")
    print(summary_table(report))
    return EXIT_PARTIAL if report.failed else EXIT_OK


def _run_search(idx, query: str, a, **kw):
    from boardpapers.index.search import QueryError, search

    try:
        return search(idx, query, k=a.k, filters=_filters(a), mode=a.mode, sort=a.sort, fusion=a.fusion, **kw)
    except QueryError as exc:
        raise CliError(str(exc)) from None


def cmd_search(a) -> int:
    if not a.query and not a.queries:
        raise CliError("give a QUERY or --queries FILE")
    idx = _open_index(a)
    if a.queries:
        queries, bad = _read_queries(a.queries)
        for q in queries:
            try:
                res = _run_search(idx, q["query"], a)
                print(json.dumps({"id": q["id"], "query": q["query"], "matches": res.matches, "hits": [_public(h) for h in res.hits]},
                                 ensure_ascii=False))
            except CliError as exc:
                print(json.dumps({"id": q["id"], "query": q["query"], "matches": 0, "hits": [], "error": str(exc)}, ensure_ascii=False))
        return EXIT_PARTIAL if bad else EXIT_OK
    res = _run_search(idx, a.query, a)
    _emit_hits(res, a.format)
    return EXIT_OK


def _emit_hits(res, fmt: str, out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        json.dump({"query": res.query, "matches": res.matches, "matches_capped": res.pool_full, "hits": [_public(h) for h in res.hits]},
                  out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "jsonl":
        for h in res.hits:
            out.write(json.dumps(_public(h), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        out.write(hits_csv(res.hits))
    else:
        _print_hits_text(res, out)


def cmd_export(a) -> int:
    from boardpapers.index.search import POOL

    idx = _open_index(a)
    res = _run_search(idx, a.query, a, related=a.include_related, pool=max(POOL, a.k))
    target = Path(a.output)
    try:
        with open(target, "w", encoding=CSV_FILE_ENCODING if a.format == "csv" else "utf-8", newline="") as f:
            _emit_hits(res, a.format, f)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from None
    related = len(res.related)
    print(f"{matches_line(res)}; wrote {len(res.hits)} hits to {shown_path(target)}"
          + (f" ({related} related, not matches)" if related else ""), file=sys.stderr)
    return EXIT_OK


def cmd_info(a) -> int:
    idx = _open_index(a)
    m = idx.manifest
    docs = idx.store.documents()
    fails = idx.store.failures()
    info = {
        "index": _backend(a).describe()["index"],
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
    }
    if a.check:  # the full check: SQLite's integrity_check and every value of the generation's files
        if not hasattr(idx, "deep_check"):
            raise CliError("--check verifies an index folder; a PostgreSQL store checks its own pages")
        problems = idx.deep_check()
        if problems:
            raise CliError(f"the index at {info['index']} is damaged ({'; '.join(problems)[:300]}); {REBUILD_HINT}")
        info["check"] = "passed"
    if a.format == "json":
        info["documents_list"] = docs
        print(json.dumps(info, ensure_ascii=False, indent=1))
        return EXIT_OK
    for k in ("index", "generation", "model", "documents", "passages", "glossary_terms", "built_at", "check"):
        if k in info:
            print(f"{k:>15}: {info[k]}")
    dense = info["dense_index"] or {}
    if dense.get("nprobe"):
        print(f"{'dense index':>15}: approximate, {dense.get('factory')}, nprobe {dense['nprobe']} "
              f"(calibrated recall@10 {dense.get('calibration', {}).get('recall_at_10')})")
    elif dense:
        print(f"{'dense index':>15}: exact ({dense.get('type')})")
    win = info["windows"] or {}
    if win:
        print(f"{'windows':>15}: {win.get('count')} sentence windows of <= {win.get('words')} words"
              + (f"; {win['missing']} not embedded (run `boardpapers ingest --rebuild ...`)" if win.get("missing") else ""))
    print(f"{'councils':>15}: {', '.join(info['councils'])}")
    print(f"{'bodies':>15}: {', '.join(info['bodies'])}")
    print("documents:")
    for d in docs:
        print(f"  {d['meeting_date'] or '????-??-??'}  {d['doc_type'] or '':<10} {d['council'] or '?'} · {d['body'] or '?'} · {shown_path(Path(d['path']).name)}")
    if fails:
        print("failed files:")
        for f in fails:
            print(f"  {shown_path(Path(f['path']).name)}: {shown_path(f['reason'])}")
    return EXIT_OK


def _read_meetings(path: str, problems: list[str]) -> dict:
    """--meetings FILE: {"trace_meetings": {qid: [{"body", "date"}...]}}. A file that cannot be read or parsed is a
    CliError (with its line); an entry of another shape goes to ``problems`` and is left out."""
    shown = shown_path(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read --meetings {shown}: {exc.strerror or exc}; check the path") from None
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CliError(f"--meetings {shown}, line {line}: not valid UTF-8; save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"--meetings {shown}, line {exc.lineno}: not JSON ({exc.msg} at column {exc.colno}); fix the file") from None
    except RecursionError:
        raise CliError(f"--meetings {shown}: not JSON (nested too deeply); fix the file") from None
    meetings = obj.get("trace_meetings") if isinstance(obj, dict) else None
    if not isinstance(meetings, dict):
        raise CliError(f'--meetings {shown} has no "trace_meetings" object ({{qid: [{{"body", "date"}}...]}}); fix the file')
    out = {}
    for qid, labels in meetings.items():
        if isinstance(labels, list) and all(isinstance(m, dict) and all(isinstance(m.get(k), (str, type(None))) for k in ("body", "date"))
                                            for m in labels):
            out[qid] = labels
        else:
            problems.append(f'{path}: trace_meetings[{json.dumps(qid)}] is not a list of {{"body", "date"}} objects')
    return out


def cmd_eval(a) -> int:
    from boardpapers.index.evaluate import InputError, calibration, evaluate_beir, evaluate_gold, evaluate_judgement

    if bool(a.beir) == bool(a.gold):
        raise CliError("give exactly one of --beir DIR or --gold FILE.jsonl")
    if a.judge and not a.gold:
        raise CliError("--judge needs --gold FILE.jsonl")
    problems: list[str] = []  # bad lines of the input files: reported, skipped, and the exit code is 1
    modes = [a.mode] if a.mode != "all" else ["bm25", "dense", "hybrid"]
    try:
        if a.gold and a.judge:
            if a.judgements and not Path(a.judgements).exists():
                raise CliError(f"cannot read --judgements {shown_path(a.judgements)}: no such file; check the path")
            idx = _open_index(a)
            meetings = _read_meetings(a.meetings, problems) if a.meetings else None
            try:
                result = {"judge": evaluate_judgement(idx, Path(a.gold), meetings=meetings, scope=a.scope, problems=problems),
                          "calibration": calibration(idx, Path(a.gold), Path(a.judgements) if a.judgements else None, a.scope,
                                                     scope=a.scope, problems=problems)}
            except ValueError as exc:
                raise CliError(str(exc)) from None
        elif a.gold:
            idx = _open_index(a)
            result = evaluate_gold(idx, Path(a.gold), modes=modes, fusion=a.fusion, problems=problems)
        else:
            result = evaluate_beir(Path(a.beir), Path(a.index) if a.index_given else None, modes=modes, model=a.model, fusion=a.fusion,
                                   problems=problems)
    except InputError as exc:
        raise CliError(str(exc)) from None
    code = EXIT_PARTIAL if problems else EXIT_OK
    if a.gold and a.judge:
        if a.format == "json":
            print(json.dumps(result, indent=1))
        else:
            r = result["judge"]
            print("[judge] " + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items() if not isinstance(v, (list, dict))))
            for name, block in result["calibration"].items():
                print(f"[calibration, {name}] pairs={block['pairs']} relevant={block['relevant']} brier={block['brier']}")
                for b in block["reliability"]:
                    print(f"   relevance {b['bin']}: n={b['n']:>6}  predicted {b['mean_predicted']:.3f}  observed {b['observed']:.3f}")
    elif a.format == "json":
        out = result if len(result) > 1 else next(iter(result.values()))
        print(json.dumps(out, indent=1))
    else:
        for mode, r in result.items():
            print(f"[{mode}] " + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items() if not isinstance(v, (list, dict))))
    for p in dict.fromkeys(problems):  # the gold file is read by the judge and by the calibration: each line once
        print(f"boardpapers: {shown_path(p)}; skipped", file=sys.stderr)
    return code


def _say(m: str) -> None:
    print(m, file=sys.stderr, flush=True)


def _store_backend(a):
    """import-store / export-store copy between --index DIR and the backend --store names."""
    from boardpapers.index.backend import open_backend

    b = open_backend(a.store or "")
    _OPENED.append(b)
    return b


def cmd_import_store(a) -> int:
    r = _store_backend(a).import_index(Path(a.index), progress=_say)
    print(f"imported {r['documents']} documents, {r['passages']} passages, {r['terms']} BM25 terms in {r['seconds']} s")
    return EXIT_OK


def cmd_export_store(a) -> int:
    r = _store_backend(a).export_index(Path(a.index), progress=_say)
    print(f"exported {r['documents']} documents, {r['passages']} passages to {a.index} (generation {r['generation']}) in {r['seconds']} s")
    return EXIT_OK


def cmd_app(a) -> int:
    import subprocess

    app = Path(__file__).resolve().parent / "app.py"
    env = dict(os.environ, **_backend(a).environment())
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(a.port), "--server.address", a.address,
           "--browser.gatherUsageStats", "false", "--server.headless", "true"]
    return subprocess.call(cmd, env=env)


def _print_answer_text(r: dict, out=None) -> None:
    from boardpapers.index.search import citation

    out = out or sys.stdout
    print(r["answer"], file=out)
    if r["abstained"]:
        if r.get("related"):
            print("\nclosest related passages (not matches):", file=out)
            for i, h in enumerate(r["related"], 1):
                print(f"  - {shown_path(citation(h))}", file=out)
    else:
        print("", file=out)
        for c in r["citations"]:
            badge = " [DECISION]" if c.get("is_decision") else ""
            print(f"[{c['n']}] {shown_path(citation(c))}{badge}", file=out)
    for n in r.get("notes", []):
        print(f"({n})", file=out)


def _ask_obj(r: dict) -> dict:
    out = {k: r[k] for k in ("question", "answer", "abstained", "citations")}
    if r["abstained"]:
        out["related"] = r.get("related", [])
    if r.get("notes"):
        out["notes"] = r["notes"]
    return out


def cmd_ask(a) -> int:
    from boardpapers.index.answer import ask
    from boardpapers.index.search import QueryError

    if not a.question and not a.queries:
        raise CliError("give a QUESTION or --queries FILE")
    idx = _open_index(a)
    filters = _filters(a)

    def run(q: str) -> dict:
        try:
            return ask(idx, q, k=a.k, filters=filters, llm=a.llm, llm_model=a.llm_model)
        except QueryError as exc:
            raise CliError(str(exc)) from None

    if a.queries:
        queries, bad = _read_queries(a.queries, key="query")
        for q in queries:
            try:
                obj = _ask_obj(run(q["query"]))
            except CliError as exc:
                obj = {"question": q["query"], "answer": None, "abstained": True, "citations": [], "error": str(exc)}
            print(json.dumps({"id": q["id"], **obj}, ensure_ascii=False))
        return EXIT_PARTIAL if bad else EXIT_OK
    r = run(a.question)
    if a.format == "json":
        print(json.dumps(_ask_obj(r), ensure_ascii=False, indent=1))
    elif a.format == "jsonl":
        print(json.dumps(_ask_obj(r), ensure_ascii=False))
    else:
        _print_answer_text(r)
    return EXIT_OK


def cmd_trace(a) -> int:
    from boardpapers.index.export import hits_csv, hits_jsonl
    from boardpapers.index.search import QueryError, citation
    from boardpapers.index.trace import trace, trace_rows

    idx = _open_index(a)
    try:
        r = trace(idx, a.topic, filters=_filters(a), per_meeting=0 if a.all else a.per_meeting)
    except QueryError as exc:
        raise CliError(str(exc)) from None
    if a.format in ("csv", "jsonl"):
        rows = trace_rows(r, all_passages=True)
        body = hits_csv(rows, extra=TRACE_COLUMNS) if a.format == "csv" else hits_jsonl(rows)
        if not a.output:
            sys.stdout.write(body)
            return EXIT_OK
        try:
            Path(a.output).write_text(body, encoding=CSV_FILE_ENCODING if a.format == "csv" else "utf-8", newline="")
        except OSError as exc:
            raise CliError(f"cannot write {a.output}: {exc.strerror}") from None
        print(f"wrote {len(rows)} passages from {len(r['meetings'])} meetings to {shown_path(a.output)}", file=sys.stderr)
        return EXIT_OK
    if a.format == "json":
        meetings = [{k: v for k, v in m.items() if k != "further" or a.all} for m in r["meetings"]]
        print(json.dumps({"topic": r["topic"], "matches": r["matches"], "meetings": meetings, "first_mention": r["first_mention"],
                          "latest_mention": r["latest_mention"]}, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not r["meetings"]:
        print(f"No meeting in the index has a passage that matches {a.topic!r}.")
        return EXIT_OK
    first, last = r["first_mention"], r["latest_mention"]
    print(f"{a.topic}: {r['matches']} matching passage(s) in {len(r['meetings'])} meeting(s)"
          + (f"; first mention {first['meeting_date']}, latest {last['meeting_date']}" if first else ""))
    for m in r["meetings"]:
        dec = f", {m['decisions']} decision(s)" if m["decisions"] else ""
        print(f"\n{m['meeting_date'] or '????-??-??'}  {m['council'] or '?'} · {m['body'] or '?'}  "
              f"({m['passages']} matching passage(s){dec})")
        for item in m["items"][:4]:
            print(f"   item: {item}")
        for h in m["hits"] + (m["further"] if a.all else []):
            text = " ".join(h["text"].split())
            print(f"   {'[DECISION] ' if h['is_decision'] else ''}{shown_path(citation(h))}")
            print("     " + (text[:300] + ("…" if len(text) > 300 else "")))
        if m["more"] and not a.all:
            print(f"   … {m['more']} more matching passage(s) (--all shows them)")
    return EXIT_OK


TRACE_COLUMNS = ("meeting", "meeting_council", "meeting_body", "meeting_items")


# ----------------------------------------------------------------- parser
def _add_filters(p) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--council", help="council name (substring, case-insensitive)")
    g.add_argument("--body", help="committee/board name (substring, case-insensitive)")
    g.add_argument("--since", metavar="YYYY-MM-DD", help="meetings on or after this date")
    g.add_argument("--until", metavar="YYYY-MM-DD", help="meetings on or before this date")
    g.add_argument("--type", metavar="DOC_TYPE", type=_doc_type, help="agenda | minutes | report | appendix | supplement | other")
    g.add_argument("--decisions", action="store_true", help="only decision passages (RESOLVED / AGREED ...)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="boardpapers", description="Search and cited answers over council board papers.")
    p.add_argument("--version", action="version", version="boardpapers 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp):
        sp.add_argument("--index", default=None, metavar="DIR", help="index directory (default: $BOARDPAPERS_INDEX or ./.boardpapers)")
        sp.add_argument("--store", default=None, metavar="URL",
                        help="a shared PostgreSQL store, postgresql://... (default: $BOARDPAPERS_STORE; overrides --index)")

    s = sub.add_parser("ingest", help="add PDFs / text files to the index")
    common(s)
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--model", default=None, help="sentence-transformers model name or local path (default all-MiniLM-L6-v2, bundled)")
    s.add_argument("--workers", type=_count(1), default=None, help="parallel parser processes (default: all cores)")
    s.add_argument("--backend", choices=("torch", "onnx", "onnx-int8", "openvino"), default=None,
                   help="how passages are embedded (default: the index's own backend, torch for a new index); "
                   "queries then use the same backend. Non-torch backends need `pip install 'boardpapers[backends]'`")
    s.add_argument("--rebuild", action="store_true", help="build a fresh index beside the live one, then swap it in")
    s.add_argument("--timeout", type=_count(0), default=300, help="per-file time limit in seconds (default 300; 0: no limit)")
    s.add_argument("--max-pages", type=_count(1), default=5000, help="per-file page limit (default 5000)")
    s.add_argument("--max-file-mb", type=_count(1), default=512, help="per-file size limit in MB (default 512)")
    s.add_argument("-q", "--quiet", action="store_true", help="no per-file progress lines")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="ranked, cited passages")
    common(s)
    s.add_argument("query", nargs="?", help='query; "quoted words" must occur verbatim')
    s.add_argument("--queries", metavar="FILE", help="JSON Lines of {id, query}; prints one JSON line per query")
    s.add_argument("-k", type=_count(1), default=10, help="number of hits (default 10)")
    s.add_argument("--sort", choices=("relevance", "newest", "oldest"), default="relevance")
    s.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    s.add_argument("--fusion", choices=("rrf", "linear"), default="rrf", help=argparse.SUPPRESS)
    s.add_argument("--model", default=None, help="must match the index's model")
    s.add_argument("--format", choices=("text", "json", "jsonl", "csv"), default="text")
    _add_filters(s)
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("export", help="write a complete hit list with citations (CSV or JSON Lines)")
    common(s)
    s.add_argument("query")
    s.add_argument("--format", choices=("csv", "jsonl"), required=True)
    s.add_argument("-o", "--output", required=True, metavar="FILE")
    s.add_argument("-k", type=_count(1), default=1000, help="maximum hits (default 1000)")
    s.add_argument("--include-related", action="store_true",
                   help="after the strong matches, fill up to -k with related passages (marked match=related)")
    s.add_argument("--sort", choices=("relevance", "newest", "oldest"), default="relevance")
    s.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    s.add_argument("--fusion", choices=("rrf", "linear"), default="rrf", help=argparse.SUPPRESS)
    s.add_argument("--model", default=None)
    _add_filters(s)
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("eval", help="retrieval quality on gold queries or a BEIR folder")
    common(s)
    s.add_argument("--gold", metavar="FILE.jsonl")
    s.add_argument("--beir", metavar="DIR")
    s.add_argument("--mode", choices=("hybrid", "bm25", "dense", "all"), default="hybrid")
    s.add_argument("--fusion", choices=("rrf", "linear"), default="rrf")
    s.add_argument("--model", default=None)
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument("--judge", action="store_true",
                   help="with --gold: the relevance judge (strong matches, off-topic, abstention, trace) and its calibration")
    s.add_argument("--judgements", metavar="FILE", help="with --judge: annotated candidates ({set, qid, passage_id, label} lines)")
    s.add_argument("--meetings", metavar="FILE", help="with --judge: JSON {\"trace_meetings\": {qid: [{body, date}]}} for trace queries")
    s.add_argument("--scope", metavar="NAME", help="with --judge: the corpus name; off-topic queries scoped to another corpus are skipped; "
                   "also selects that set's lines of --judgements")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("ask", help="a cited answer from the papers (or an honest 'not found')")
    common(s)
    s.add_argument("question", nargs="?")
    s.add_argument("--queries", metavar="FILE", help="JSON Lines of {id, query}; prints one JSON line per question")
    s.add_argument("-k", type=_count(1), default=8, help="passages to read (default 8)")
    s.add_argument("--format", choices=("text", "json", "jsonl"), default="text")
    s.add_argument("--llm", metavar="URL", default=None, help="OpenAI-compatible /v1/chat/completions URL for a generated answer")
    s.add_argument("--llm-model", metavar="NAME", default=None, help="model name (default $BOARDPAPERS_LLM_MODEL)")
    s.add_argument("--model", default=None, help="must match the index's model")
    _add_filters(s)
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("trace", help="every meeting that touched a topic, in date order")
    common(s)
    s.add_argument("topic")
    s.add_argument("--per-meeting", type=_count(1), default=2, help="best passages shown per meeting (default 2; --all: every one)")
    s.add_argument("--all", action="store_true", help="every matching passage of each meeting")
    s.add_argument("--model", default=None, help="must match the index's model")
    s.add_argument("--format", choices=("text", "json", "csv", "jsonl"), default="text",
                   help="csv/jsonl: every matching passage, one row each with its meeting (to -o FILE or stdout)")
    s.add_argument("-o", "--output", metavar="FILE", help="write the csv/jsonl export here")
    _add_filters(s)
    s.set_defaults(func=cmd_trace)

    s = sub.add_parser("info", help="what the index holds")
    common(s)
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument("--check", action="store_true",
                   help="also run the full check: SQLite's integrity_check of the store and every value of the index files")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("import-store", help="copy the index at --index DIR into an empty PostgreSQL --store URL (no re-embedding)")
    common(s)
    s.set_defaults(func=cmd_import_store)

    s = sub.add_parser("export-store", help="copy the PostgreSQL --store URL into a new index directory --index DIR (no re-embedding)")
    common(s)
    s.set_defaults(func=cmd_export_store)

    s = sub.add_parser("app", help="start the Streamlit app")
    common(s)
    s.add_argument("--port", type=_count(1, 65535), default=8501)
    s.add_argument("--address", default="127.0.0.1")
    s.set_defaults(func=cmd_app)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    if not getattr(a, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        _where(a)
        return a.func(a)
    except BoardpapersError as exc:  # bad input, a damaged or locked index, a model that cannot load: one line
        print(f"boardpapers: {shown_path(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.Error as exc:  # the store broke under a command: say so, never a traceback
        from boardpapers.index.store import STORE_FILE, sqlite_message

        print(f"boardpapers: {shown_path(sqlite_message(Path(a.index) / STORE_FILE, exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("boardpapers: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`boardpapers search ... | head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's exit-time flush of stdout must not fail again
        return EXIT_OK
    finally:
        while _OPENED:  # backends: PostgreSQL connection pools
            _OPENED.pop().close()


if __name__ == "__main__":
    sys.exit(main())
