"""search, export, ask and trace."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from boardpapers.index.answer import ask
from boardpapers.index.excerpt import excerpt
from boardpapers.index.export import CSV_FILE_ENCODING, hits_csv, hits_jsonl
from boardpapers.index.hits import citation, public_hit
from boardpapers.index.query import QueryError
from boardpapers.index.rank import POOL
from boardpapers.index.search import search
from boardpapers.index.trace import trace, trace_rows
from boardpapers.ingest.display import shown_path

from .common import EXIT_OK, EXIT_PARTIAL, CliError, filters, open_index, read_queries
from .output import TRACE_COLUMNS, ask_obj, emit_hits, matches_line, print_answer_text


def run_search(idx, query: str, a, **kw):

    try:
        return search(idx, query, k=a.k, filters=filters(a), mode=a.mode, sort=a.sort, fusion=a.fusion, **kw)
    except QueryError as exc:
        raise CliError(str(exc)) from None


def cmd_search(a) -> int:
    if not a.query and not a.queries:
        raise CliError("give a QUERY or --queries FILE")
    idx = open_index(a)
    if a.queries:
        queries, bad = read_queries(a.queries)
        for q in queries:
            try:
                res = run_search(idx, q["query"], a)
                print(
                    json.dumps(
                        {"id": q["id"], "query": q["query"], "matches": res.matches, "hits": [public_hit(h) for h in res.hits]},
                        ensure_ascii=False,
                    )
                )
            except CliError as exc:
                print(json.dumps({"id": q["id"], "query": q["query"], "matches": 0, "hits": [], "error": str(exc)}, ensure_ascii=False))
        return EXIT_PARTIAL if bad else EXIT_OK
    res = run_search(idx, a.query, a)
    emit_hits(res, a.format)
    return EXIT_OK


def cmd_export(a) -> int:

    idx = open_index(a)
    res = run_search(idx, a.query, a, related=a.include_related, pool=max(POOL, a.k))
    target = Path(a.output)
    try:
        with open(target, "w", encoding=CSV_FILE_ENCODING if a.format == "csv" else "utf-8", newline="") as f:
            emit_hits(res, a.format, f)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from None
    related = len(res.related)
    print(
        f"{matches_line(res)}; wrote {len(res.hits)} hits to {shown_path(target)}"
        + (f" ({related} related, not matches)" if related else ""),
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_ask(a) -> int:

    if not a.question and not a.queries:
        raise CliError("give a QUESTION or --queries FILE")
    idx = open_index(a)
    wanted = filters(a)

    def run(q: str) -> dict:
        try:
            return ask(idx, q, k=a.k, filters=wanted, llm=a.llm, llm_model=a.llm_model, timeout=a.llm_timeout)
        except QueryError as exc:
            raise CliError(str(exc)) from None

    if a.queries:
        queries, bad = read_queries(a.queries, key="query")
        for q in queries:
            try:
                obj = ask_obj(run(q["query"]))
            except CliError as exc:
                obj = {"question": q["query"], "answer": None, "abstained": True, "citations": [], "error": str(exc)}
            print(json.dumps({"id": q["id"], **obj}, ensure_ascii=False))
        return EXIT_PARTIAL if bad else EXIT_OK
    r = run(a.question)
    if a.format == "json":
        print(json.dumps(ask_obj(r), ensure_ascii=False, indent=1))
    elif a.format == "jsonl":
        print(json.dumps(ask_obj(r), ensure_ascii=False))
    else:
        print_answer_text(r)
    return EXIT_OK


def cmd_trace(a) -> int:

    idx = open_index(a)
    try:
        r = trace(idx, a.topic, filters=filters(a), per_meeting=0 if a.all else a.per_meeting)
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
        # each meeting's lines as the text shows them: its matches, then (a short timeline) its related passages, each
        # marked by "match", as search's hits are
        meetings = [
            {
                **{k: v for k, v in m.items() if k not in ("further", "related") or (k == "further" and a.all)},
                "hits": m["hits"] + m["related"],
            }
            for m in r["meetings"]
        ]
        print(
            json.dumps(
                {
                    "topic": r["topic"],
                    "aspects": r["aspects"],
                    "matches": r["matches"],
                    "meetings": meetings,
                    "first_mention": r["first_mention"],
                    "latest_mention": r["latest_mention"],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return EXIT_OK
    if not r["meetings"]:
        print(f"No meeting in the index has a passage that matches {a.topic!r}.")
        return EXIT_OK
    first, last = r["first_mention"], r["latest_mention"]
    print(
        f"{a.topic}: {r['matches']} matching passage(s) in {len(r['meetings'])} meeting(s)"
        + (f"; first mention {first['meeting_date']}, latest {last['meeting_date']}" if first else "")
    )
    if r["aspects"]:
        print("also judged by aspect: " + "; ".join(r["aspects"]))
    for m in r["meetings"]:
        _print_meeting(m, a.topic, a.all)
    return EXIT_OK


def _print_meeting(m: dict, topic: str, every: bool) -> None:
    """One meeting of a trace as text: its heading, items, passages (``every``: all its matches) and related lines."""
    dec = f", {m['decisions']} decision(s)" if m["decisions"] else ""
    print(f"\n{m['meeting_date'] or '????-??-??'}  {m['council'] or '?'} · {m['body'] or '?'}  ({m['passages']} matching passage(s){dec})")
    for item in m["items"][:4]:
        print(f"   item: {item}")
    for h in m["hits"] + (m["further"] if every else []):
        print(f"   {'[DECISION] ' if h['is_decision'] else ''}{shown_path(citation(h))}")
        print("     " + excerpt(h["text"], h.get("aspect") or topic, 300) + (f"  (aspect: {h['aspect']})" if h.get("aspect") else ""))
    if m["more"] and not every:
        print(f"   … {m['more']} more matching passage(s) (--all shows them)")
    if m.get("related"):  # a short timeline's room: what the judge found related at this meeting, marked
        print("   related at this meeting (not judged matches):")
        for h in m["related"]:
            print(f"   (related) {shown_path(citation(h))}")
            print("     " + excerpt(h["text"], topic, 300))
