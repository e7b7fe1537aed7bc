"""How hits, answers and traces are printed: text for people, JSON / JSON Lines / CSV for programs."""

from __future__ import annotations

import json
import sys

from boardpapers.index.excerpt import excerpt
from boardpapers.index.export import hits_csv
from boardpapers.index.facts import UNSTATED, UNSTATED_HEAD
from boardpapers.index.hits import citation, public_hit
from boardpapers.index.service import why_no_match
from boardpapers.ingest.display import shown_path


def matches_line(res) -> str:
    """'37 passages match' / 'No passage matches ...': the honest size of the result set."""
    n = res.matches
    more = "+" if res.pool_full else ""
    if n == 0:
        why = why_no_match(res.query)
        return f"No passage matches {res.query!r}." + (f" {why}" if why else "")
    return f"{n:,}{more} passage{'s' if n != 1 else ''} match{'es' if n == 1 else ''}"


def print_hits_text(res, out=sys.stdout) -> None:

    if res.notes:
        print("(query expanded: " + "; ".join(res.notes) + ")", file=out)
    if res.keyword_only:
        print(f"({res.keyword_only})", file=out)
    print(matches_line(res) + (f"; showing {len(res.strong)}" if 0 < len(res.strong) < res.matches else ""), file=out)
    if not res.hits:
        print("no passages", file=out)
    heading_done = False
    for h in res.hits:
        if h["match"] != "strong" and not heading_done:
            heading_done = True
            print(
                "\nThe closest related passages (not judged matches):"
                if not res.matches
                else "\nRelated passages (ranked, not judged matches):",
                file=out,
            )
        badge = " [DECISION]" if h["is_decision"] else ""
        print(f"{h['rank']:>3}. {shown_path(citation(h))}{badge}  (relevance {h['relevance']:.2f})", file=out)
        print("     " + excerpt(h["text"], res.query, 400), file=out)
        for x in h["also_in"]:
            print(f"     also in: {shown_path(x['title'])} ({x['meeting_date']}, p. {x['page']})", file=out)


def emit_hits(res, fmt: str, out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        json.dump(
            {
                "query": res.query,
                "matches": res.matches,
                "matches_capped": res.pool_full,
                **({"semantic_indexing": res.keyword_only} if res.keyword_only else {}),
                "hits": [public_hit(h) for h in res.hits],
            },
            out,
            ensure_ascii=False,
            indent=1,
        )
        out.write("\n")
    elif fmt == "jsonl":
        for h in res.hits:
            out.write(json.dumps(public_hit(h), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        out.write(hits_csv(res.hits))
    else:
        print_hits_text(res, out)


def print_answer_text(r: dict, out=None) -> None:

    out = out or sys.stdout
    print(r["answer"], file=out)
    if r["abstained"]:
        if r.get("related"):  # the matches about the subject when none states the figure asked, else the closest
            head = UNSTATED_HEAD.format(what=UNSTATED[r["unstated"]]) if r.get("unstated") else "closest related passages (not matches)"
            print(f"\n{head}:", file=out)
            for h in r["related"]:
                print(f"  - {shown_path(citation(h))}", file=out)
    else:
        print("", file=out)
        for c in r["citations"]:
            badge = " [DECISION]" if c.get("is_decision") else ""
            print(f"[{c['n']}] {shown_path(citation(c))}{badge}", file=out)
    for n in r.get("notes", []):
        print(f"({n})", file=out)


def ask_obj(r: dict) -> dict:
    out = {k: r[k] for k in ("question", "answer", "abstained", "citations")}
    if r["abstained"]:
        out["related"] = r.get("related", [])
    if r.get("unstated"):  # the figure asked ('count', 'amount', 'percentage', 'date') that no match states
        out["unstated"] = r["unstated"]
    if r.get("decision_recorded") is False:  # a decision question whose matches record no decision (index/undecided.py)
        out["decision_recorded"] = False
    if r.get("notes"):
        out["notes"] = r["notes"]
    return out


TRACE_COLUMNS = ("meeting", "meeting_council", "meeting_body", "meeting_items", "aspect", "shown")
