"""Retrieval evaluation on council gold queries (verbatim evidence quotes): search's recall and MRR, and what the
relevance judge, ask and trace make of the same queries.

The gold file itself is read by index/gold.py, the judge's calibration report is index/calibration.py and BEIR
folders are index/beir_eval.py; their public names are importable from here too (the `eval` command's one module).
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

from .beir_eval import evaluate_beir, read_beir
from .calibration import calibration, load_judgements, query_labels, reliability
from .embedded import Index
from .gold import GOLD_KINDS, gold_rows, load_gold, quote_in
from .jsonl import InputError
from .search import search

__all__ = [
    "GOLD_KINDS",
    "InputError",
    "calibration",
    "evaluate_beir",
    "evaluate_gold",
    "evaluate_judgement",
    "gold_rows",
    "load_gold",
    "load_judgements",
    "meeting_matches",
    "query_labels",
    "quote_in",
    "read_beir",
    "reliability",
]


def _metrics_at(flags: list[bool]) -> dict:
    """Binary relevance flags of the ranked hits -> recall@k, MRR@10, nDCG@10 (one relevant target)."""
    first = next((i for i, f in enumerate(flags) if f), None)
    return {
        "r5": first is not None and first < 5,
        "r10": first is not None and first < 10,
        "r100": first is not None and first < 100,
        "rr10": 1.0 / (first + 1) if first is not None and first < 10 else 0.0,
        "ndcg10": 1.0 / math.log2(first + 2) if first is not None and first < 10 else 0.0,
    }


def evaluate_gold(
    index: Index, gold_path: Path, modes=("hybrid",), fusion: str = "rrf", k: int = 100, embedder=None, problems: list[str] | None = None
) -> dict:
    """Scores per mode on a council gold file; decision+fact queries give recall/MRR, trace ones coverage.
    Bad lines of the file go to ``problems`` (see load_gold); a query search refuses (only stopwords) finds nothing."""
    from .query import QueryError

    gold = load_gold(gold_path, problems)
    out: dict[str, dict] = {}
    for mode in modes:
        per_q = []
        answerable = []
        trace_cov = []
        date_ok = date_total = 0
        t0 = time.perf_counter()
        for q in gold:
            try:
                hits = search(index, q["query"], k=k, mode=mode, fusion=fusion, embedder=embedder).hits
            except QueryError:  # refused with a message ("only stopwords"): nothing found
                hits = []
            top_score = hits[0]["score"] if hits else 0.0
            if q["kind"] in ("decision", "fact"):
                flags = [any(quote_in(e["quote"], h["text"]) for e in q["evidence"]) for h in hits]
                m = _metrics_at(flags)
                answerable.append(m)
                gold_date = (q.get("meeting") or {}).get("date")
                if gold_date:
                    for h, f in zip(hits, flags):
                        if f:
                            date_total += 1
                            date_ok += h["meeting_date"] == gold_date
                per_q.append(
                    {
                        "id": q["id"],
                        "kind": q["kind"],
                        "first_hit_rank": next((i + 1 for i, f in enumerate(flags) if f), None),
                        "top_score": top_score,
                    }
                )
            elif q["kind"] == "trace":
                found = [any(quote_in(e["quote"], h["text"]) for h in hits[:10]) for e in q["evidence"]]
                trace_cov.append(sum(found) / len(found))
                per_q.append({"id": q["id"], "kind": "trace", "coverage": sum(found) / len(found), "top_score": top_score})
            else:
                per_q.append({"id": q["id"], "kind": q["kind"], "top_score": top_score})
        n = max(1, len(answerable))
        out[mode] = {
            "queries": len(gold),
            "answerable": len(answerable),
            "recall@5": sum(m["r5"] for m in answerable) / n,
            "recall@10": sum(m["r10"] for m in answerable) / n,
            "recall@100": sum(m["r100"] for m in answerable) / n,
            "mrr@10": sum(m["rr10"] for m in answerable) / n,
            "ndcg@10": sum(m["ndcg10"] for m in answerable) / n,
            "trace_coverage@10": sum(trace_cov) / max(1, len(trace_cov)),
            "meeting_date_agreement": date_ok / date_total if date_total else float("nan"),
            "seconds_per_query": (time.perf_counter() - t0) / max(1, len(gold)),
            "per_query": per_q,
        }
    return out


# ----------------------------------------------------------------- judgement (strong / related), trace, abstention
_BODY_NOISE = {"council", "county", "city", "the", "of", "and", "meeting", "committee"}


def meeting_matches(label: dict, meeting: dict) -> bool:
    """A labelled meeting {"body", "date"} is the trace's meeting {"council", "body", "meeting_date"}: same date, and
    the label's distinctive body words all in the meeting's council + body (a bare "County Council" is the full
    council: a body with no other name)."""
    if label.get("date") != meeting.get("meeting_date"):
        return False
    have = set(re.findall(r"[a-z]+", f"{meeting.get('council') or ''} {meeting.get('body') or ''}".casefold()))
    want = set(re.findall(r"[a-z]+", (label.get("body") or "").casefold())) - _BODY_NOISE
    if want:
        return want <= have
    body = set(re.findall(r"[a-z]+", (meeting.get("body") or "").casefold()))
    return not (body - _BODY_NOISE) or body <= {"county", "council", "full"}


def evaluate_judgement(
    index, gold_path: Path, meetings: dict | None = None, embedder=None, scope: str | None = None, problems: list[str] | None = None
) -> dict:
    """What the judge makes of a labelled query file: gold passages judged strong, off-topic queries with no strong
    match, ask's abstentions, the trace command's coverage and meeting precision, and recall@5 / MRR@10 of search.

    ``meetings``: {qid: [{"body", "date"}...]} for trace queries (else each query's own "meetings" field);
    ``scope``: the corpus name, so an off-topic query marked for the other corpus only is skipped."""
    gold = [
        q for q in load_gold(gold_path, problems) if not (q["kind"] == "none" and scope and q.get("scope", "both") not in ("both", scope))
    ]
    targets = gold_rows(index, gold)
    tally: dict[str, list] = {k: [] for k in _TALLIES}
    per_q = []
    for q in gold:
        if q["kind"] == "trace":
            labels = (meetings or {}).get(q["id"], q.get("meetings"))
            per_q.append(_judge_trace(index, q, labels, embedder, tally))
        else:
            per_q.append(_judge_query(index, q, targets[q["id"]], embedder, tally))

    def mean(xs):
        return sum(xs) / len(xs) if xs else float("nan")

    t = tally
    return {
        "queries": len(gold),
        "answerable": len(t["strong_gold"]),
        "offtopic": len(t["off_none"]),
        "trace": len(t["tr_shown"]),
        "gold_strong": mean(t["strong_gold"]),
        "offtopic_no_strong": mean(t["off_none"]),
        "ask_abstain_offtopic": mean(t["ask_abst_off"]),
        "ask_false_abstain": mean(t["ask_abst_ans"]),
        "ask_cites_gold": mean(t["ask_cites"]),
        "ask_first_decision": mean(t["ask_first_dec"]),
        "recall@5": mean(t["r5"]),
        "mrr@10": mean(t["mrr"]),
        "trace_coverage_shown": mean(t["tr_shown"]),
        "trace_coverage_shown_matches": mean(t["tr_shown_matches"]),
        "trace_coverage_top10": mean(t["tr_top10"]),
        "trace_coverage_all": mean(t["tr_all"]),
        "trace_meeting_precision": mean(t["tr_prec"]),
        "trace_first_mention": mean(t["tr_first"]),
        "per_query": per_q,
    }


# what evaluate_judgement collects over the queries, one value per query that has it
_TALLIES = (
    "strong_gold",
    "off_none",
    "ask_abst_off",
    "ask_abst_ans",
    "ask_cites",
    "ask_first_dec",
    "r5",
    "mrr",
    "tr_shown",
    "tr_shown_matches",
    "tr_top10",
    "tr_all",
    "tr_prec",
    "tr_first",
)


def _judge_trace(index, q: dict, labels: list[dict] | None, embedder, tally: dict[str, list]) -> dict:
    """A trace query: how much of its evidence the trace command shows (``coverage_shown``: its matches shown and the
    related lines it adds, marked, to a short timeline; ``coverage_shown_matches``: the matches shown alone;
    ``coverage_top10``: in its first ten lines, in output order: meetings by date, each one's matches then related
    lines; ``coverage_all``: in all its matches), and with meeting
    ``labels`` how many of its dated meetings are right and whether its first mention is the earliest labelled one."""
    from .query import QueryError
    from .trace import trace

    rec: dict = {"id": q["id"], "kind": q["kind"]}
    try:
        t = trace(index, q["query"], embedder=embedder)
    except QueryError:  # refused with a message ("only stopwords"): no meeting shown
        t = {"meetings": [], "first_mention": None}
    matches = [h for m in t["meetings"] for h in m["hits"]]  # each meeting's matches shown, then its related lines
    shown = [h for m in t["meetings"] for h in m["hits"] + m.get("related", [])]
    every = matches + [h for m in t["meetings"] for h in m["further"]]

    def share(hits: list[dict]) -> float:
        return sum(any(quote_in(e["quote"], h["text"]) for h in hits) for e in q["evidence"]) / len(q["evidence"])

    rec.update(coverage_shown=share(shown), coverage_shown_matches=share(matches), coverage_top10=share(shown[:10]))
    rec.update(coverage_all=share(every), meetings_shown=len(t["meetings"]), passages_shown=len(shown))
    tally["tr_shown"].append(rec["coverage_shown"])
    tally["tr_shown_matches"].append(rec["coverage_shown_matches"])
    tally["tr_top10"].append(rec["coverage_top10"])
    tally["tr_all"].append(rec["coverage_all"])
    dated = [m for m in t["meetings"] if m["meeting_date"]]
    rec["undated_groups"] = len(t["meetings"]) - len(dated)
    if labels is not None and dated:
        ok = [any(meeting_matches(lab, m) for lab in labels) for m in dated]
        rec["meeting_precision"] = sum(ok) / len(ok)
        rec["wrong_meetings"] = [f"{m['meeting_date']} {m['body']}" for m, k in zip(dated, ok) if not k]
        tally["tr_prec"].append(rec["meeting_precision"])
        first = min((lab["date"] for lab in labels if lab.get("date")), default=None)
        tally["tr_first"].append(bool(t["first_mention"]) and t["first_mention"]["meeting_date"] == first)
    return rec


def _judge_query(index, q: dict, evidence_rows: list[set[int]], embedder, tally: dict[str, list]) -> dict:
    """A decision, fact or off-topic query: the judge's strong matches and ask's answer; for an answerable one also
    whether a gold passage is strong, whether ask cites the evidence, and search's recall@5 / MRR@10."""
    from .answer import ask
    from .query import QueryError
    from .rank import CANDIDATES, judged_ranking

    rec: dict = {"id": q["id"], "kind": q["kind"]}
    try:
        strong = judged_ranking(index, q["query"], CANDIDATES, embedder=embedder)[1].strong_rows()
        answer = ask(index, q["query"], embedder=embedder)
    except QueryError:  # refused with a message ("only stopwords"): nothing is shown as a match
        strong, answer = set(), {"abstained": True, "citations": []}
    abstained = answer["abstained"]
    rec["strong_matches"] = len(strong)
    rec["abstained"] = abstained
    if q["kind"] == "none":
        tally["off_none"].append(not strong)
        tally["ask_abst_off"].append(abstained)
        return rec
    gold_any = set().union(*evidence_rows) if evidence_rows else set()
    rec["gold_strong"] = bool(gold_any & strong)
    tally["strong_gold"].append(rec["gold_strong"])
    tally["ask_abst_ans"].append(abstained)
    cites = any(quote_in(e["quote"], c["text"]) for e in q["evidence"] for c in answer["citations"])
    tally["ask_cites"].append(cites)
    rec["ask_cites_gold"] = cites
    # a decision question whose gold holds a decision block: does the answer's first sentence come from one?
    gold_rows = sorted(gold_any)
    if q["kind"] == "decision" and gold_rows and any(bool(x) for x in index.decisions_of(gold_rows)):
        first = answer["citations"][0] if answer["citations"] else {}
        rec["ask_first_decision"] = bool(first.get("is_decision"))
        tally["ask_first_dec"].append(rec["ask_first_decision"])
    hits = search(index, q["query"], k=10, embedder=embedder).hits
    flags = [any(quote_in(e["quote"], h["text"]) for e in q["evidence"]) for h in hits]
    m = _metrics_at(flags)
    tally["r5"].append(m["r5"])
    tally["mrr"].append(m["rr10"])
    rec["first_hit_rank"] = next((i + 1 for i, f in enumerate(flags) if f), None)
    return rec
