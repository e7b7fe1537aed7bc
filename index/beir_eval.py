"""BEIR folders (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv): reading them, and scoring retrieval on them."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from .embedded import Index
from .gold import is_ident
from .jsonl import InputError, bad_line, lines, objects
from .search import search


def read_beir(
    folder: Path, split: str = "test", problems: list[str] | None = None
) -> tuple[list[dict], dict[str, str], dict[str, dict[str, int]]]:
    """corpus.jsonl, queries.jsonl and qrels/SPLIT.tsv of a BEIR folder. A bad line (not UTF-8 or JSON, no _id or
    text, an _id used before, a qrels row that is not query-id<TAB>corpus-id<TAB>score) goes to ``problems`` and is
    skipped (without a list: ValueError); a missing folder or file, or nothing usable, raises InputError."""
    folder = Path(folder)
    _check_folder(folder, split)
    corpus = _read_corpus(folder / "corpus.jsonl", problems)
    queries = _read_queries(folder / "queries.jsonl", problems)
    path = folder / "qrels" / f"{split}.tsv"
    qrels = _read_qrels(path, problems)
    if not any(q in queries for q in qrels):
        raise InputError(f"no query of {folder / 'queries.jsonl'} has a relevant document in {path}")
    return corpus, queries, qrels


def _check_folder(folder: Path, split: str) -> None:
    need = ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv")
    if not folder.is_dir():
        raise InputError(
            f"{folder} is {'not a folder' if folder.exists() else 'no such folder'}; --beir takes a BEIR folder ({', '.join(need)})"
        )
    for name in need:
        if not (folder / name).is_file():
            raise InputError(f"the BEIR folder {folder} has no {name}; it needs {', '.join(need)}")


def _read_corpus(path: Path, problems: list[str] | None) -> list[dict]:
    corpus: list[dict] = []
    seen: dict[str, int] = {}
    for n, d in objects(path, problems, "BEIR corpus"):
        did = str(d.get("_id")) if is_ident(d.get("_id")) else None
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
    return corpus


def _read_queries(path: Path, problems: list[str] | None) -> dict[str, str]:
    queries: dict[str, str] = {}
    qline: dict[str, int] = {}
    for n, q in objects(path, problems, "BEIR queries"):
        qid = str(q.get("_id")) if is_ident(q.get("_id")) else None
        if qid is None:
            bad_line(problems, path, n, "no '_id'")
        elif not isinstance(q.get("text"), str) or not q["text"].strip():
            bad_line(problems, path, n, "no 'text' (a non-empty string)")
        elif qid in queries:
            bad_line(problems, path, n, f"_id {json.dumps(qid)} is already used on line {qline[qid]}")
        else:
            queries[qid], qline[qid] = q["text"], n
    return queries


def _read_qrels(path: Path, problems: list[str] | None) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
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
    return qrels


def _ndcg(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def evaluate_beir(
    folder: Path,
    index_dir: Path | None,
    modes=("hybrid",),
    model: str | None = None,
    fusion: str = "rrf",
    embedder=None,
    problems: list[str] | None = None,
) -> dict:
    """Index a BEIR corpus (one passage per document) and score retrieval on its test queries (bad lines of its
    files go to ``problems``, see read_beir)."""
    from .beir_index import build_beir_index
    from .query import QueryError

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
