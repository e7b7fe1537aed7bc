"""The `boardpapers` argument parser: one function per command's options."""

from __future__ import annotations

import argparse

from .common import count, doc_type

# each command names its function as "module.function" under boardpapers.commands, imported only when it runs:
# `boardpapers info` never loads the search stack, and --help loads nothing but this parser


def add_filters(p) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--council", help="council name (substring, case-insensitive)")
    g.add_argument("--body", help="committee/board name (substring, case-insensitive)")
    g.add_argument("--since", metavar="YYYY-MM-DD", help="meetings on or after this date")
    g.add_argument("--until", metavar="YYYY-MM-DD", help="meetings on or before this date")
    g.add_argument("--type", metavar="DOC_TYPE", type=doc_type, help="agenda | minutes | report | appendix | supplement | other")
    g.add_argument("--decisions", action="store_true", help="only decision passages (RESOLVED / AGREED ...)")


def location_options(sp) -> None:
    sp.add_argument("--index", default=None, metavar="DIR", help="index directory (default: $BOARDPAPERS_INDEX or ./.boardpapers)")
    sp.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="a shared PostgreSQL store, postgresql://... (default: $BOARDPAPERS_STORE; overrides --index)",
    )


def _ingest(sub) -> None:
    s = sub.add_parser("ingest", help="add PDFs / text files to the index")
    location_options(s)
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--model", default=None, help="sentence-transformers model name or local path (default all-MiniLM-L6-v2, bundled)")
    s.add_argument("--workers", type=count(1), default=None, help="parallel parser processes (default: all cores)")
    s.add_argument(
        "--backend",
        choices=("torch", "torch-bf16", "onnx", "onnx-int8", "openvino"),
        default=None,
        help="how passages are embedded (default: the index's own backend; for a new index torch-bf16 on a CPU with "
        "AMX/AVX512-BF16 or a GPU with bfloat16, else torch); "
        "queries then use the same backend. Non-torch backends need `pip install 'boardpapers[backends]'`",
    )
    s.add_argument("--rebuild", action="store_true", help="build a fresh index beside the live one, then swap it in")
    s.add_argument(
        "--keyword-first",
        action="store_true",
        help="make each paper searchable by keyword as soon as every file is parsed, then embed in the background of "
        "the same run, switching to hybrid search passage by passage as vectors land (not with --rebuild)",
    )
    s.add_argument("--timeout", type=count(0), default=300, help="per-file time limit in seconds (default 300; 0: no limit)")
    s.add_argument("--max-pages", type=count(1), default=5000, help="per-file page limit (default 5000)")
    s.add_argument("--max-file-mb", type=count(1), default=512, help="per-file size limit in MB (default 512)")
    s.add_argument(
        "--no-ocr", dest="ocr", action="store_false", help="do not OCR pages without a text layer (scanned pages; OCR needs tesseract-ocr)"
    )
    s.add_argument("--ocr-timeout", type=count(1), default=60, help="OCR time limit per scanned page in seconds (default 60)")
    s.add_argument("-q", "--quiet", action="store_true", help="no per-file progress lines")
    s.set_defaults(func="admin.cmd_ingest")


def _search(sub) -> None:
    s = sub.add_parser("search", help="ranked, cited passages")
    location_options(s)
    s.add_argument("query", nargs="?", help='query; "quoted words" must occur verbatim')
    s.add_argument("--queries", metavar="FILE", help="JSON Lines of {id, query}; prints one JSON line per query")
    s.add_argument("-k", type=count(1), default=10, help="number of hits (default 10)")
    ranking_options(s, model_help="must match the index's model")
    s.add_argument("--format", choices=("text", "json", "jsonl", "csv"), default="text")
    add_filters(s)
    s.set_defaults(func="query.cmd_search")


def ranking_options(s, model_help: str | None = None) -> None:
    """--sort, --mode, --fusion (hidden) and --model: how search and export rank the passages."""
    s.add_argument("--sort", choices=("relevance", "newest", "oldest"), default="relevance")
    s.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    s.add_argument("--fusion", choices=("rrf", "linear"), default="rrf", help=argparse.SUPPRESS)
    s.add_argument("--model", default=None, help=model_help)


def _export(sub) -> None:
    s = sub.add_parser("export", help="write a complete hit list with citations (CSV or JSON Lines)")
    location_options(s)
    s.add_argument("query")
    s.add_argument("--format", choices=("csv", "jsonl"), required=True)
    s.add_argument("-o", "--output", required=True, metavar="FILE")
    s.add_argument("-k", type=count(1), default=1000, help="maximum hits (default 1000)")
    s.add_argument(
        "--include-related",
        action="store_true",
        help="after the strong matches, fill up to -k with related passages (marked match=related)",
    )
    ranking_options(s)
    add_filters(s)
    s.set_defaults(func="query.cmd_export")


def _eval(sub) -> None:
    s = sub.add_parser("eval", help="retrieval quality on gold queries or a BEIR folder")
    location_options(s)
    s.add_argument("--gold", metavar="FILE.jsonl")
    s.add_argument("--beir", metavar="DIR")
    s.add_argument("--mode", choices=("hybrid", "bm25", "dense", "all"), default="hybrid")
    s.add_argument("--fusion", choices=("rrf", "linear"), default="rrf")
    s.add_argument("--model", default=None)
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument(
        "--judge",
        action="store_true",
        help="with --gold: the relevance judge (strong matches, off-topic, abstention, trace) and its calibration",
    )
    s.add_argument("--judgements", metavar="FILE", help="with --judge: annotated candidates ({set, qid, passage_id, label} lines)")
    s.add_argument("--meetings", metavar="FILE", help='with --judge: JSON {"trace_meetings": {qid: [{body, date}]}} for trace queries')
    s.add_argument(
        "--scope",
        metavar="NAME",
        help="with --judge: the corpus name; off-topic queries scoped to another corpus are skipped; "
        "also selects that set's lines of --judgements",
    )
    s.set_defaults(func="evaluation.cmd_eval")


def _ask(sub) -> None:
    s = sub.add_parser("ask", help="a cited answer from the papers (or an honest 'not found')")
    location_options(s)
    s.add_argument("question", nargs="?")
    s.add_argument("--queries", metavar="FILE", help="JSON Lines of {id, query}; prints one JSON line per question")
    s.add_argument("-k", type=count(1), default=16, help="strong matches to read (default 16)")
    s.add_argument("--format", choices=("text", "json", "jsonl"), default="text")
    s.add_argument("--llm", metavar="URL", default=None, help="OpenAI-compatible /v1/chat/completions URL for a generated answer")
    s.add_argument("--llm-model", metavar="NAME", default=None, help="model name (default $BOARDPAPERS_LLM_MODEL)")
    s.add_argument(
        "--llm-timeout", metavar="SECONDS", type=float, default=60.0, help="give up on the --llm server after this long (default 60)"
    )
    s.add_argument("--model", default=None, help="must match the index's model")
    add_filters(s)
    s.set_defaults(func="query.cmd_ask")


def _trace(sub) -> None:
    s = sub.add_parser("trace", help="every meeting that touched a topic, in date order")
    location_options(s)
    s.add_argument("topic")
    s.add_argument(
        "--per-meeting",
        type=count(1),
        default=None,
        help="passages shown per meeting (default: about 20 in all, shared evenly, at least 1 a meeting, picked to differ; --all: every one)",
    )
    s.add_argument("--all", action="store_true", help="every matching passage of each meeting")
    s.add_argument("--model", default=None, help="must match the index's model")
    s.add_argument(
        "--format",
        choices=("text", "json", "csv", "jsonl"),
        default="text",
        help="csv/jsonl: every matching passage, one row each with its meeting (to -o FILE or stdout)",
    )
    s.add_argument("-o", "--output", metavar="FILE", help="write the csv/jsonl export here")
    add_filters(s)
    s.set_defaults(func="query.cmd_trace")


def _decisions(sub) -> None:
    s = sub.add_parser("decisions", help="the decision and vote register from the minutes: what was decided, how the vote went")
    location_options(s)
    s.add_argument("query", nargs="?", help="only decisions about this (ranked as search ranks passages)")
    s.add_argument("--outcome", choices=("carried", "lost", "noted", "deferred", "withdrawn", "proposed"))
    s.add_argument("--member", metavar="NAME", help='one member\'s recorded votes, as the minutes write the name ("Ms Constantine")')
    s.add_argument("-k", "--limit", type=count(1), default=None, help="at most this many decisions (or votes)")
    s.add_argument("--format", choices=("text", "json", "jsonl", "csv"), default="text")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    s.add_argument("--model", default=None, help="must match the index's model")
    s.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid", help=argparse.SUPPRESS)
    g = s.add_argument_group("filters")
    g.add_argument("--council", help="council name (substring, case-insensitive)")
    g.add_argument("--body", help="committee/board name (substring, case-insensitive)")
    g.add_argument("--since", metavar="YYYY-MM-DD", help="decisions of meetings on or after this date")
    g.add_argument("--until", metavar="YYYY-MM-DD", help="decisions of meetings on or before this date")
    s.set_defaults(func="decisions.cmd_decisions", type=None, decisions=False)


def _fetch(sub) -> None:
    s = sub.add_parser("fetch", help="download a committee's papers from a ModernGov council website into a folder")
    s.add_argument("site_url", metavar="SITE_URL", help="the council's ModernGov site, e.g. https://democracy.example.gov.uk")
    s.add_argument("--committee", required=True, metavar="NAME_OR_ID", help="committee name (or a unique part of it) or id")
    s.add_argument("--since", metavar="YYYY-MM-DD", help="meetings on or after this date (default 2000-01-01)")
    s.add_argument("--until", metavar="YYYY-MM-DD", help="meetings on or before this date (default a year from today)")
    s.add_argument("--to", required=True, metavar="DIR", help="folder the papers and manifest.csv are written to")
    s.add_argument("--council", default=None, help="council name recorded in the manifest (default: none; ingest reads it from the papers)")
    s.add_argument("--delay", type=seconds, default=None, help="seconds between requests (default $BOARDPAPERS_FETCH_DELAY or 1)")
    s.add_argument(
        "--contact",
        metavar="EMAIL_OR_URL",
        help="added to the User-Agent so the council can reach you (default $BOARDPAPERS_FETCH_CONTACT)",
    )
    s.add_argument("--timeout", type=seconds, default=30.0, help="seconds to wait for each request (default 30)")
    s.add_argument("--retries", type=count(0, 10), default=3, help="retries after a timeout or server error, with backoff (default 3)")
    s.add_argument("--refresh", action="store_true", help="ask the site whether files already here changed (ETag / Last-Modified)")
    s.add_argument("-q", "--quiet", action="store_true", help="no per-file progress lines")
    s.set_defaults(func="fetch.cmd_fetch", index=None, store=None)  # no index: resolve_location still looks


def _documents(sub) -> None:
    s = sub.add_parser("documents", help="the indexed documents: list them, correct their metadata by hand, remove one")
    location_options(s)
    s.add_argument("action", nargs="?", choices=("list", "set", "remove"), default="list")
    s.add_argument("doc", nargs="?", metavar="PATH_OR_ID", help="for set / remove: the document's path, file name or id")
    s.add_argument("--format", choices=("text", "json", "csv"), default="text", help="for list")
    g = s.add_argument_group("set (an empty value goes back to what the papers say)")
    g.add_argument("--title")
    g.add_argument("--council")
    g.add_argument("--body", help="committee / board")
    g.add_argument("--date", metavar="YYYY-MM-DD", help="meeting date")
    g.add_argument("--type", dest="doc_type", metavar="DOC_TYPE", help="agenda | minutes | report | appendix | supplement | other")
    s.set_defaults(func="library.cmd_documents")


def _searches(sub) -> None:
    s = sub.add_parser("searches", help="saved searches (alerts list their new matches)")
    location_options(s)
    s.add_argument("action", nargs="?", choices=("list", "save", "remove"), default="list")
    s.add_argument("name", nargs="?", metavar="NAME")
    s.add_argument("query", nargs="?", metavar="QUERY", help="for save: the query (with the filters given)")
    s.add_argument("--format", choices=("text", "json"), default="text", help="for list")
    add_filters(s)
    s.set_defaults(func="library.cmd_searches")


def _alerts(sub) -> None:
    s = sub.add_parser("alerts", help="new strong matches of the saved searches since they were saved or last seen")
    location_options(s)
    s.add_argument("--format", choices=("text", "json", "atom"), default="text", help="atom: an Atom 1.0 feed")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    s.add_argument("--search", action="append", metavar="NAME", help="only this saved search (repeatable)")
    s.add_argument("--mark-seen", action="store_true", help="then mark the searches listed as seen")
    s.add_argument("--feed-url", metavar="URL", help="the URL the Atom feed is served at (its rel=self link)")
    s.set_defaults(func="library.cmd_alerts")


def seconds(s: str) -> float:
    """An argparse type: a number of seconds, 0 or more."""
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a number of seconds") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {s}")
    return v


def _info(sub) -> None:
    s = sub.add_parser("info", help="what the index holds")
    location_options(s)
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument(
        "--check",
        action="store_true",
        help="also run the full check: SQLite's integrity_check of the store and every value of the index files",
    )
    s.set_defaults(func="admin.cmd_info")


def _import_store(sub) -> None:
    s = sub.add_parser("import-store", help="copy the index at --index DIR into an empty PostgreSQL --store URL (no re-embedding)")
    location_options(s)
    s.set_defaults(func="admin.cmd_import_store")


def _export_store(sub) -> None:
    s = sub.add_parser("export-store", help="copy the PostgreSQL --store URL into a new index directory --index DIR (no re-embedding)")
    location_options(s)
    s.set_defaults(func="admin.cmd_export_store")


def _app(sub) -> None:
    s = sub.add_parser("app", help="start the Streamlit app")
    location_options(s)
    s.add_argument("--port", type=count(1, 65535), default=8501)
    s.add_argument("--address", default="127.0.0.1")
    s.set_defaults(func="admin.cmd_app")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="boardpapers", description="Search and cited answers over council board papers.")
    p.add_argument("--version", action="version", version="boardpapers 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_ingest, _fetch, _search, _export, _eval, _ask, _trace, _decisions, _documents, _searches, _alerts, _info) + (
        _import_store,
        _export_store,
        _app,
    ):
        add(sub)
    return p
