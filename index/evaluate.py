"""Retrieval evaluation: council gold queries (verbatim evidence quotes) and BEIR folders."""
from __future__ import annotations

import json
import math
import re
import tempfile
import time
from pathlib import Path

from .jsonl import InputError, bad_line, lines, objects  # noqa: F401 - InputError: evaluate's errors
from .search import Index, search


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


def _ident(v) -> bool:
    return isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip() != ""


def _meeting_labels_ok(v) -> bool:
    return isinstance(v, dict) and all(isinstance(v.get(k), (str, type(None))) for k in ("body", "date"))


def _gold_problem(q: dict) -> str | None:
    """What makes a gold line unusable (the format of ../shared/eval/README.md), or None."""
    if not _ident(q.get("id")):
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
        return "'evidence' is not a list of {\"file\", \"quote\"} objects with a non-empty quote"
    if kind != "none" and not ev:
        return f"a {kind} query needs at least one evidence quote"
    if q.get("meeting") is not None and not _meeting_labels_ok(q["meeting"]):
        return "'meeting' is not {\"body\", \"date\"} or null"
    ms = q.get("meetings")
    if ms is not None and not (isinstance(ms, list) and all(_meeting_labels_ok(m) for m in ms)):
        return "'meetings' is not a list of {\"body\", \"date\"} objects"
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


def evaluate_gold(index: Index, gold_path: Path, modes=("hybrid",), fusion: str = "rrf", k: int = 100, embedder=None,
                  problems: list[str] | None = None) -> dict:
    """Scores per mode on a council gold file; decision+fact queries give recall/MRR, trace ones coverage.
    Bad lines of the file go to ``problems`` (see load_gold); a query search refuses (only stopwords) finds nothing."""
    from .search import QueryError

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
                per_q.append({"id": q["id"], "kind": q["kind"], "first_hit_rank": next((i + 1 for i, f in enumerate(flags) if f), None), "top_score": top_score})
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


def evaluate_judgement(index, gold_path: Path, meetings: dict | None = None, embedder=None, scope: str | None = None,
                       problems: list[str] | None = None) -> dict:
    """What the judge makes of a labelled query file: gold passages judged strong, off-topic queries with no strong
    match, ask's abstentions, the trace command's coverage and meeting precision, and recall@5 / MRR@10 of search.

    ``meetings``: {qid: [{"body", "date"}...]} for trace queries (else each query's own "meetings" field);
    ``scope``: the corpus name, so an off-topic query marked for the other corpus only is skipped."""
    from .answer import ask
    from .search import CANDIDATES, QueryError, judged_ranking
    from .trace import trace

    gold = [q for q in load_gold(gold_path, problems) if not (q["kind"] == "none" and scope and q.get("scope", "both") not in ("both", scope))]
    targets = gold_rows(index, gold)
    per_q, strong_gold, off_none, ask_abst_off, ask_abst_ans, ask_cites = [], [], [], [], [], []
    r5, mrr, tr_shown, tr_all, tr_prec, tr_first = [], [], [], [], [], []
    for q in gold:
        rec: dict = {"id": q["id"], "kind": q["kind"]}
        if q["kind"] == "trace":
            try:
                t = trace(index, q["query"], embedder=embedder)
            except QueryError:  # refused with a message ("only stopwords"): no meeting shown
                t = {"meetings": [], "first_mention": None}
            shown = [h for m in t["meetings"] for h in m["hits"]]
            every = shown + [h for m in t["meetings"] for h in m["further"]]
            cov_s = [any(quote_in(e["quote"], h["text"]) for h in shown) for e in q["evidence"]]
            cov_a = [any(quote_in(e["quote"], h["text"]) for h in every) for e in q["evidence"]]
            labels = (meetings or {}).get(q["id"], q.get("meetings"))
            rec.update(coverage_shown=sum(cov_s) / len(cov_s), coverage_all=sum(cov_a) / len(cov_a), meetings_shown=len(t["meetings"]))
            tr_shown.append(rec["coverage_shown"])
            tr_all.append(rec["coverage_all"])
            dated = [m for m in t["meetings"] if m["meeting_date"]]
            rec["undated_groups"] = len(t["meetings"]) - len(dated)
            if labels is not None and dated:
                ok = [any(meeting_matches(lab, m) for lab in labels) for m in dated]
                rec["meeting_precision"] = sum(ok) / len(ok)
                rec["wrong_meetings"] = [f"{m['meeting_date']} {m['body']}" for m, k in zip(dated, ok) if not k]
                tr_prec.append(rec["meeting_precision"])
                first = min((lab["date"] for lab in labels if lab.get("date")), default=None)
                tr_first.append(bool(t["first_mention"]) and t["first_mention"]["meeting_date"] == first)
            per_q.append(rec)
            continue
        try:
            strong = judged_ranking(index, q["query"], CANDIDATES, embedder=embedder)[1].strong_rows()
            answer = ask(index, q["query"], embedder=embedder)
        except QueryError:  # refused with a message ("only stopwords"): nothing is shown as a match
            strong, answer = set(), {"abstained": True, "citations": []}
        abstained = answer["abstained"]
        rec["strong_matches"] = len(strong)
        rec["abstained"] = abstained
        if q["kind"] == "none":
            off_none.append(not strong)
            ask_abst_off.append(abstained)
        else:
            gold_any = set().union(*targets[q["id"]]) if targets[q["id"]] else set()
            rec["gold_strong"] = bool(gold_any & strong)
            strong_gold.append(rec["gold_strong"])
            ask_abst_ans.append(abstained)
            cites = any(quote_in(e["quote"], c["text"]) for e in q["evidence"] for c in answer["citations"])
            ask_cites.append(cites)
            rec["ask_cites_gold"] = cites
            hits = search(index, q["query"], k=10, embedder=embedder).hits
            flags = [any(quote_in(e["quote"], h["text"]) for e in q["evidence"]) for h in hits]
            m = _metrics_at(flags)
            r5.append(m["r5"])
            mrr.append(m["rr10"])
            rec["first_hit_rank"] = next((i + 1 for i, f in enumerate(flags) if f), None)
        per_q.append(rec)

    def mean(xs):
        return sum(xs) / len(xs) if xs else float("nan")

    return {
        "queries": len(gold), "answerable": len(strong_gold), "offtopic": len(off_none), "trace": len(tr_shown),
        "gold_strong": mean(strong_gold), "offtopic_no_strong": mean(off_none),
        "ask_abstain_offtopic": mean(ask_abst_off), "ask_false_abstain": mean(ask_abst_ans), "ask_cites_gold": mean(ask_cites),
        "recall@5": mean(r5), "mrr@10": mean(mrr),
        "trace_coverage_shown": mean(tr_shown), "trace_coverage_all": mean(tr_all), "trace_meeting_precision": mean(tr_prec),
        "trace_first_mention": mean(tr_first),
        "per_query": per_q,
    }


def reliability(p, y, bins: int = 10) -> list[dict]:
    """Reliability table: for each band of predicted relevance, how many pairs and how many were truly relevant."""
    import numpy as np

    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if m.any():
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "mean_predicted": round(float(p[m].mean()), 3),
                        "observed": round(float(y[m].mean()), 3)})
    return out


def load_judgements(path: Path | None, set_name: str | None = None, problems: list[str] | None = None) -> dict[tuple[str, str], int]:
    """{(qid, passage_id): label} from a judgements file ({"set", "qid", "passage_id", "label"} lines); a missing or
    None path gives none. Label 1 or 2 is "about the query". A bad line goes to ``problems`` and is skipped (without
    a list: ValueError)."""
    out: dict[tuple[str, str], int] = {}
    if path is None or not Path(path).exists():
        return out
    for n, j in objects(Path(path), problems, "judgements file"):
        label = j.get("label")
        if not (_ident(j.get("qid")) and _ident(j.get("passage_id")) and isinstance(label, int) and not isinstance(label, bool)
                and label in (0, 1, 2)):
            bad_line(problems, Path(path), n, "not a judgement line ({\"set\", \"qid\", \"passage_id\", \"label\": 0, 1 or 2})")
            continue
        if set_name is None or j.get("set") == set_name:
            out[(str(j["qid"]), str(j["passage_id"]))] = label
    return out


def query_labels(index, q: dict, rows: list[int], evidence_rows: list[set[int]], judgements: dict[tuple[str, str], int]) -> dict[int, int]:
    """{row: 1 about the query / 0 not} for the labelled candidates of one query: every candidate of an off-topic
    query is 0; a passage holding an evidence quote is 1; an annotated candidate takes its label (1 or 2 -> 1)."""
    if q["kind"] == "none":
        return {r: 0 for r in rows}
    lab = {r: 1 for item in evidence_rows for r in item}
    mine = [(pid, v) for (qid, pid), v in judgements.items() if qid == q["id"]]
    for (pid, v), r in zip(mine, index.rows_for_passage_ids([p for p, _ in mine])):
        if r is not None:
            lab[r] = int(v >= 1)
    return lab


def calibration(index, gold_path: Path, judgements: Path | None = None, set_name: str | None = None, embedder=None,
                top: int = 20, scope: str | None = None, problems: list[str] | None = None) -> dict:
    """How well ``relevance`` is calibrated on the labelled pairs of a gold file: passages holding an evidence quote
    (relevant), every candidate of an off-topic query (not), and annotated candidates (``judgements``). Reported on
    the first ``top`` candidates of each query (the ones a user sees) and on all labelled pairs."""
    import numpy as np

    from .search import CANDIDATES, QueryError, judged_ranking

    gold = [q for q in load_gold(gold_path, problems) if not (q["kind"] == "none" and scope and q.get("scope", "both") not in ("both", scope))]
    labels = load_judgements(judgements, set_name, problems)
    targets = gold_rows(index, gold)
    ps, ys, tops = [], [], []
    for q in gold:
        try:
            ranking, verdict = judged_ranking(index, q["query"], CANDIDATES, embedder=embedder)
        except QueryError:
            continue
        rel = verdict.of()
        rows = [i for i, _ in ranking.fused]
        lab = query_labels(index, q, rows, targets[q["id"]], labels)
        for place, r in enumerate(rows):
            if r in lab:
                ps.append(rel[r])
                ys.append(lab[r])
                tops.append(place < top)
    p, y, t = np.asarray(ps), np.asarray(ys, dtype=float), np.asarray(tops, dtype=bool)

    def block(m):
        return {"pairs": int(m.sum()), "relevant": int(y[m].sum()), "brier": round(float(np.mean((p[m] - y[m]) ** 2)), 4) if m.any() else None,
                "reliability": reliability(p[m], y[m])}

    return {f"top{top}": block(t), "all": block(np.ones(len(p), dtype=bool))}


# ----------------------------------------------------------------- BEIR
def read_beir(folder: Path, split: str = "test", problems: list[str] | None = None
              ) -> tuple[list[dict], dict[str, str], dict[str, dict[str, int]]]:
    """corpus.jsonl, queries.jsonl and qrels/SPLIT.tsv of a BEIR folder. A bad line (not UTF-8 or JSON, no _id or
    text, an _id used before, a qrels row that is not query-id<TAB>corpus-id<TAB>score) goes to ``problems`` and is
    skipped (without a list: ValueError); a missing folder or file, or nothing usable, raises InputError."""
    folder = Path(folder)
    need = ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv")
    if not folder.is_dir():
        raise InputError(f"{folder} is {'not a folder' if folder.exists() else 'no such folder'}; --beir takes a BEIR folder "
                         f"({', '.join(need)})")
    for name in need:
        if not (folder / name).is_file():
            raise InputError(f"the BEIR folder {folder} has no {name}; it needs {', '.join(need)}")
    corpus: list[dict] = []
    seen: dict[str, int] = {}
    path = folder / "corpus.jsonl"
    for n, d in objects(path, problems, "BEIR corpus"):
        did = str(d.get("_id")) if _ident(d.get("_id")) else None
        texts = [d.get(k) for k in ("title", "text")]
        if did is None:
            bad_line(problems, path, n, "no '_id'")
        elif not all(isinstance(t, (str, type(None))) for t in texts) or not any((t or "").strip() for t in texts):
            bad_line(problems, path, n, "no 'text' or 'title' (strings)")
        elif did in seen:
            bad_line(problems, path, n, f"_id {json.dumps(did)} is already used on line {seen[did]}")
        else:
            seen[did] = n
            corpus.append(d)
    if not corpus:
        raise InputError(f"no usable document in {path} (one JSON object a line: _id, title, text)")
    queries: dict[str, str] = {}
    qline: dict[str, int] = {}
    path = folder / "queries.jsonl"
    for n, q in objects(path, problems, "BEIR queries"):
        qid = str(q.get("_id")) if _ident(q.get("_id")) else None
        if qid is None:
            bad_line(problems, path, n, "no '_id'")
        elif not isinstance(q.get("text"), str) or not q["text"].strip():
            bad_line(problems, path, n, "no 'text' (a non-empty string)")
        elif qid in queries:
            bad_line(problems, path, n, f"_id {json.dumps(qid)} is already used on line {qline[qid]}")
        else:
            queries[qid], qline[qid] = q["text"], n
    qrels: dict[str, dict[str, int]] = {}
    path = folder / "qrels" / f"{split}.tsv"
    first = True
    for n, line in lines(path, problems, "BEIR qrels"):
        parts = line.rstrip("\r\n").split("\t")
        if first and not parts[-1].strip().lstrip("-").isdigit():  # the header row
            first = False
            continue
        first = False
        try:
            qid, did, rel = parts[0].strip(), parts[1].strip(), int(parts[-1])
            if len(parts) < 3 or not qid or not did:
                raise ValueError
        except (ValueError, IndexError):
            bad_line(problems, path, n, "not a 'query-id<TAB>corpus-id<TAB>score' row (score a whole number)")
            continue
        if rel > 0:
            qrels.setdefault(qid, {})[did] = rel
    if not any(q in queries for q in qrels):
        raise InputError(f"no query of {folder / 'queries.jsonl'} has a relevant document in {path}")
    return corpus, queries, qrels


def _ndcg(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum((2 ** r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def evaluate_beir(folder: Path, index_dir: Path | None, modes=("hybrid",), model: str | None = None, fusion: str = "rrf", embedder=None,
                  problems: list[str] | None = None) -> dict:
    """Index a BEIR corpus (one passage per document) and score retrieval on its test queries (bad lines of its
    files go to ``problems``, see read_beir)."""
    from .beir_index import build_beir_index
    from .search import QueryError

    corpus, queries, qrels = read_beir(folder, problems=problems)
    tmp = None
    if index_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="boardpapers-beir-")
        index_dir = Path(tmp.name)
    try:
        build_beir_index(corpus, index_dir, model, embedder=embedder)
        idx = Index(index_dir)
        out = {}
        for mode in modes:
            nd = r10 = r100 = mrr = 0.0
            qids = [q for q in qrels if q in queries]
            for qid in qids:
                try:
                    hits = search(idx, queries[qid], k=100, mode=mode, fusion=fusion, fold=False, embedder=embedder).hits
                except QueryError:  # refused with a message ("only stopwords"): nothing found
                    hits = []
                ranked = [h["title"] for h in hits]  # BEIR doc id is stored as the title
                rels = qrels[qid]
                nd += _ndcg(ranked, rels)
                r10 += len(set(ranked[:10]) & set(rels)) / len(rels)
                r100 += len(set(ranked[:100]) & set(rels)) / len(rels)
                first = next((i for i, d in enumerate(ranked[:10]) if d in rels), None)
                mrr += 1.0 / (first + 1) if first is not None else 0.0
            n = max(1, len(qids))
            out[mode] = {"queries": len(qids), "ndcg@10": nd / n, "recall@10": r10 / n, "recall@100": r100 / n, "mrr@10": mrr / n}
        return out
    finally:
        if tmp is not None:
            tmp.cleanup()
