"""Retrieval evaluation: council gold queries (verbatim evidence quotes) and BEIR folders."""
from __future__ import annotations

import json
import math
import re
import tempfile
import time
from pathlib import Path

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


def load_gold(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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


def evaluate_gold(index: Index, gold_path: Path, modes=("hybrid",), fusion: str = "rrf", k: int = 100, embedder=None) -> dict:
    """Scores per mode on a council gold file; decision+fact queries give recall/MRR, trace ones coverage."""
    gold = load_gold(gold_path)
    out: dict[str, dict] = {}
    for mode in modes:
        per_q = []
        answerable = []
        trace_cov = []
        date_ok = date_total = 0
        t0 = time.perf_counter()
        for q in gold:
            res = search(index, q["query"], k=k, mode=mode, fusion=fusion, embedder=embedder)
            hits = res.hits
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


# ----------------------------------------------------------------- BEIR
def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_beir(folder: Path, split: str = "test") -> tuple[list[dict], dict[str, str], dict[str, dict[str, int]]]:
    corpus = _read_jsonl(folder / "corpus.jsonl")
    queries = {str(q["_id"]): q["text"] for q in _read_jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as f:
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if i == 0 and not parts[-1].lstrip("-").isdigit():
                continue
            qid, did, rel = parts[0], parts[1], int(parts[-1])
            if rel > 0:
                qrels.setdefault(qid, {})[did] = rel
    return corpus, queries, qrels


def _ndcg(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum((2 ** r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def evaluate_beir(folder: Path, index_dir: Path | None, modes=("hybrid",), model: str | None = None, fusion: str = "rrf", embedder=None) -> dict:
    """Index a BEIR corpus (one passage per document) and score retrieval on its test queries."""
    from .beir_index import build_beir_index

    corpus, queries, qrels = read_beir(folder)
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
                res = search(idx, queries[qid], k=100, mode=mode, fusion=fusion, fold=False, embedder=embedder)
                ranked = [h["title"] for h in res.hits]  # BEIR doc id is stored as the title
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
