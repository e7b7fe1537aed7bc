"""documents, searches and alerts: the library of indexed documents (list, correct by hand, remove), saved searches,
and their new strong matches as text, JSON or an Atom feed."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from boardpapers.ingest.display import doc_label, shown_path

from .common import EXIT_OK, CliError, backend, filters, open_index

DOC_COLUMNS = ("doc_id", "path", "title", "council", "body", "meeting_date", "doc_type", "pages", "ingested_at", "source_url")


def cmd_documents(a) -> int:
    from boardpapers.index.library import LibraryError, check_changes, find_document

    b = backend(a)
    docs = open_index(a).store.documents()
    if a.action == "list":
        _print_documents(docs, a.format, sys.stdout)
        return EXIT_OK
    try:
        doc = find_document(docs, a.doc or "")
        if a.action == "set":
            fields = {"title": a.title, "council": a.council, "body": a.body, "meeting_date": a.date, "doc_type": a.doc_type}
            d = b.edit_document(doc["doc_id"], check_changes({k: v for k, v in fields.items() if v is not None}))
            print(
                f"{shown_path(doc_label(d))}: "
                + "; ".join(f"{k} {d.get(k) or '-'} ({(d.get('sources') or {}).get(k, '?')})" for k in fields)
            )
            return EXIT_OK
        r = b.remove_document(doc["doc_id"])
    except LibraryError as exc:
        raise CliError(str(exc)) from None
    print(f"removed {shown_path(r.title or r.doc_id)} ({r.doc_id[:12]}) from the index")
    for p in r.paths:
        if Path(p).exists():
            print(f"  its file {shown_path(p)} is still there: delete it, or an ingest of its folder indexes it again", file=sys.stderr)
    return EXIT_OK


def _print_documents(docs: list[dict], fmt: str, out) -> None:
    rows = [{c: d.get(c) for c in DOC_COLUMNS} | {"sources": d.get("sources") or {}} for d in docs]
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "csv":
        w = csv.DictWriter(out, fieldnames=[*DOC_COLUMNS, "sources"])
        w.writeheader()
        w.writerows([r | {"sources": "; ".join(f"{k}: {v}" for k, v in r["sources"].items())} for r in rows])
    else:
        print(f"{len(docs)} documents", file=out)
        for d in docs:
            src = d.get("sources") or {}

            def f(k: str, d: dict = d, src: dict = src) -> str:
                return f"{d.get(k) or '-'}" + (f" [{src[k]}]" if k in src else "")

            print(f"{d['doc_id'][:12]}  {f('meeting_date')}  {f('doc_type')}  {shown_path(doc_label(d))}", file=out)
            print(f"              {f('council')} · {f('body')} · {shown_path(d.get('path') or '')}", file=out)


def cmd_searches(a) -> int:
    from boardpapers.index.saved import SavedError, filters_line

    saved = backend(a).saved_searches()
    try:
        if a.action == "save":
            if not a.name or not a.query:
                raise CliError("searches save NAME QUERY: give a name and a query")
            s = saved.save(a.name, a.query, filters(a))
            print(f"saved {s.name!r}: {s.query!r}" + (f" ({filters_line(s.filters)})" if s.filters else ""))
        elif a.action == "remove":
            saved.remove(a.name or "")
            print(f"removed the saved search {a.name!r}")
        else:
            rows = saved.entries()
            if a.format == "json":
                print(json.dumps([vars(s) for s in rows], ensure_ascii=False, indent=1))
            else:
                for s in rows:
                    print(f"{s.name}: {s.query!r}" + (f" ({filters_line(s.filters)})" if s.filters else "") + f", seen {s.seen_at[:10]}")
                if not rows:
                    print("no saved searches (boardpapers searches save NAME QUERY [filters])")
    except SavedError as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


def cmd_alerts(a) -> int:
    from boardpapers.index.alertfeed import atom_feed
    from boardpapers.index.hits import citation
    from boardpapers.index.saved import SavedError, alerts

    b = backend(a)
    saved = b.saved_searches()
    names = a.search or None
    try:
        found = alerts(saved, open_index(a), names=names)
    except SavedError as exc:
        raise CliError(str(exc)) from None
    if names and len(found) < len(set(names)):
        raise CliError(f"no saved search is called {sorted(set(names) - {x.search.name for x in found})[0]!r}")
    if a.format == "atom":
        data = atom_feed(found, b.location, a.feed_url)
    elif a.format == "json":
        data = (json.dumps([x.as_json() for x in found], ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    else:
        buf = io.StringIO()
        for x in found:
            print(f"{x.search.name} ({x.search.query!r}): {x.headline()}", file=buf)
            for h in x.hits:
                print(f"  - {shown_path(citation(h))}", file=buf)
                text = " ".join(h["text"].split())
                print("    " + shown_path(text[:300] + ("…" if len(text) > 300 else "")), file=buf)
        if not found:
            print("no saved searches (boardpapers searches save NAME QUERY [filters])", file=buf)
        data = buf.getvalue().encode("utf-8")
    if a.output:
        try:
            Path(a.output).write_bytes(data)
        except OSError as exc:
            raise CliError(f"cannot write {a.output}: {exc.strerror}") from None
        print(f"wrote {sum(len(x.hits) for x in found)} new matches to {shown_path(a.output)}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if a.mark_seen:
        saved.mark_seen([x.search.name for x in found])
    return EXIT_OK
