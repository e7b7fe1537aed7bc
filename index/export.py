"""Hit lists as files for researchers: formula-safe CSV and JSON Lines, each row with its citation."""

from __future__ import annotations

import csv
import io
import json

from .hits import citation, public_hit

# CSV files (not standard output) start with a UTF-8 byte-order mark: Excel opens a double-clicked CSV without one in
# the machine's legacy code page and garbles £, en dashes and curly quotes; every CSV reader that knows UTF-8 skips it
CSV_FILE_ENCODING = "utf-8-sig"

CSV_FIELDS = (
    "rank",
    "score",
    "match",
    "relevance",
    "passage_id",
    "council",
    "body",
    "meeting_date",
    "doc_type",
    "title",
    "item",
    "minute_number",
    "page",
    "page_end",
    "printed_page",
    "is_decision",
    "path",
    "source_url",
    "also_in",
    "citation",
    "text",
)


def safe_cell(value) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    s = "" if value is None else str(value)
    if s and s[0] in "=+-@\t\r":
        return "'" + s
    return s


def hits_csv(hits: list[dict], extra: tuple[str, ...] = ()) -> str:
    """Hits as CSV: the CSV_FIELDS columns (then ``extra`` ones) with a citation per row, formula-safe."""
    fields = (*extra, *CSV_FIELDS)
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_MINIMAL)
    w.writerow(fields)
    for h in hits:
        row = dict(h)
        row["citation"] = citation(h)
        row["also_in"] = "; ".join(f"{x.get('title')} ({x.get('meeting_date')}, p. {x.get('page')})" for x in h.get("also_in", []))
        w.writerow([safe_cell(row.get(f)) for f in fields])
    return buf.getvalue()


def hits_jsonl(hits: list[dict], with_citation: bool = True) -> str:
    return "".join(
        json.dumps({**public_hit(h), **({"citation": citation(h)} if with_citation else {})}, ensure_ascii=False) + "\n" for h in hits
    )
