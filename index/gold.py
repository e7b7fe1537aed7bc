"""Council gold files (../shared/eval/README.md): reading them, and finding their evidence quotes in passages."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .jsonl import InputError, bad_line, objects


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("*", "")).strip().casefold()


def quote_in(quote: str, text: str) -> bool:
    """True when the passage holds the quote, or (quote cut by a boundary) the larger part of it."""
    q, t = _norm(quote), _norm(text)
    if q in t:
        return True
    words = q.split(" ")
    if len(words) < 6:
        return False
    half = (len(words) + 1) // 2 + 1  # more than half, contiguous
    return " ".join(words[:half]) in t or " ".join(words[-half:]) in t


GOLD_KINDS = ("decision", "fact", "trace", "none")


def is_ident(v) -> bool:
    """An id field of an input line: a non-blank string or an integer (not a bool)."""
    return isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip() != ""


def _meeting_labels_ok(v) -> bool:
    return isinstance(v, dict) and all(isinstance(v.get(k), (str, type(None))) for k in ("body", "date"))


def _gold_problem(q: dict) -> str | None:
    """What makes a gold line unusable (the format of ../shared/eval/README.md), or None."""
    if not is_ident(q.get("id")):
        return "no 'id' (a string)"
    if not isinstance(q.get("query"), str) or not q["query"].strip():
        return "no 'query' (a non-empty string)"
    kind = q.get("kind")
    if kind not in GOLD_KINDS:
        return "no 'kind'" if kind is None else f"'kind' is {json.dumps(kind)[:40]}, not one of {', '.join(GOLD_KINDS)}"
    ev = q.get("evidence", [] if kind == "none" else None)
    if ev is None:
        return f"no 'evidence' (a {kind} query needs its quotes)"
    if not isinstance(ev, list) or not all(isinstance(e, dict) and isinstance(e.get("quote"), str) and e["quote"].strip() for e in ev):
        return '\'evidence\' is not a list of {"file", "quote"} objects with a non-empty quote'
    if kind != "none" and not ev:
        return f"a {kind} query needs at least one evidence quote"
    if q.get("meeting") is not None and not _meeting_labels_ok(q["meeting"]):
        return '\'meeting\' is not {"body", "date"} or null'
    ms = q.get("meetings")
    if ms is not None and not (isinstance(ms, list) and all(_meeting_labels_ok(m) for m in ms)):
        return '\'meetings\' is not a list of {"body", "date"} objects'
    return None


def load_gold(path: Path, problems: list[str] | None = None) -> list[dict]:
    """The queries of a gold file (JSON Lines; ../shared/eval/README.md). A line that is not UTF-8, not JSON, or
    lacks a field the evaluation needs (id, query, kind, evidence quotes) is a bad line: noted in ``problems``
    ("FILE, line N: why") and skipped, or without a list raised as ValueError. InputError when the file cannot
    be read or holds no usable query."""
    path = Path(path)
    out: list[dict] = []
    seen: dict[str, int] = {}
    for n, q in objects(path, problems, "gold file"):
        why = _gold_problem(q)
        if why is None and str(q["id"]) in seen:
            why = f"id {json.dumps(str(q['id']))} is already used on line {seen[str(q['id'])]}"
        if why:
            bad_line(problems, path, n, why)
            continue
        q["id"] = str(q["id"])
        seen[q["id"]] = n
        out.append(q)
    if not out:
        raise InputError(f"no usable query in the gold file {path} (one JSON object a line: id, kind, query, evidence)")
    return out


def gold_rows(index, gold: list[dict]) -> dict[str, list[set[int]]]:
    """For each query, per evidence item: the rows whose passage holds the quote (or, cut by a boundary, most of it).
    Candidates are the rows holding at least 60 % of the quote's terms (from the postings), then checked by text."""
    from .tokenize import tokenize_query

    out: dict[str, list[set[int]]] = {}
    for q in gold:
        items = []
        for e in q.get("evidence", []):
            terms = list(dict.fromkeys(tokenize_query(e["quote"])))
            post = index.term_rows(terms)
            counts: dict[int, int] = {}
            for rows in post.values():
                for r in rows.tolist():
                    counts[r] = counts.get(r, 0) + 1
            cand = [r for r, c in counts.items() if c >= 0.6 * len(terms)]
            texts = index.store.passages_by_pid(index.pid_of(cand))
            items.append({r for r, pid in zip(cand, index.pid_of(cand)) if pid in texts and quote_in(e["quote"], texts[pid]["text"])})
        out[q["id"]] = items
    return out
