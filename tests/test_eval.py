"""Evaluation commands: BEIR folders and council gold files, on tiny generated data."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import HashEmbedder, build_index

from boardpapers.index.embedded import Index
from boardpapers.index.evaluate import evaluate_beir, evaluate_gold, quote_in

DOCS = {
    "d1": ("Library closures", "The council closed four branch libraries to save money in 2016."),
    "d2": ("Bus services", "Rural bus routes were cut after the subsidy ended."),
    "d3": ("Adult social care", "Home care providers struggled to recruit staff across the county."),
    "d4": ("Parks", "Play areas in the parks were refurbished with lottery funding."),
    "d5": ("Schools", "Three primary schools were expanded to meet demand for places."),
}
QUERIES = {
    "q1": ("library closures save money", "d1"),
    "q2": ("home care recruitment staff", "d3"),
    "q3": ("school places expansion", "d5"),
}


def make_beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    with open(root / "corpus.jsonl", "w") as f:
        for did, (title, text) in DOCS.items():
            f.write(json.dumps({"_id": did, "title": title, "text": text}) + "\n")
    with open(root / "queries.jsonl", "w") as f:
        for qid, (text, _) in QUERIES.items():
            f.write(json.dumps({"_id": qid, "text": text}) + "\n")
    with open(root / "qrels" / "test.tsv", "w") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for qid, (_, did) in QUERIES.items():
            f.write(f"{qid}\t{did}\t1\n")
    return root


def test_beir_evaluation_end_to_end(tmp_path):
    folder = make_beir(tmp_path / "beir")
    res = evaluate_beir(folder, tmp_path / "idx", modes=["bm25", "hybrid"], embedder=HashEmbedder())
    for mode in ("bm25", "hybrid"):
        r = res[mode]
        assert r["queries"] == 3
        assert set(r) >= {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
        assert r["recall@10"] == 1.0 and r["mrr@10"] == 1.0


def test_gold_evaluation_counts_quotes(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "m.txt").write_text(
        "Minutes of a meeting of the Cabinet of Northshire County Council held on 3 May 2022.\n\n"
        "7. BUS SERVICES\nRural bus routes were cut after the subsidy ended in March.\nRESOLVED: That the bus review be approved.\n"
    )
    build_index([src], tmp_path / "idx", HashEmbedder())
    gold = tmp_path / "gold.jsonl"
    rows = [
        {
            "id": "a",
            "kind": "decision",
            "query": "bus review approved",
            "evidence": [{"file": "m.txt", "quote": "That the bus review be approved."}],
            "meeting": {"body": "Cabinet", "date": "2022-05-03"},
        },
        {
            "id": "b",
            "kind": "trace",
            "query": "rural bus routes",
            "evidence": [{"file": "m.txt", "quote": "Rural bus routes were cut after the subsidy ended in March."}],
            "meeting": None,
        },
        {"id": "c", "kind": "none", "query": "fluoride in water", "evidence": [], "meeting": None},
    ]
    gold.write_text("\n".join(json.dumps(r) for r in rows))
    res = evaluate_gold(Index(tmp_path / "idx"), gold, modes=["bm25"], embedder=HashEmbedder())["bm25"]
    assert res["recall@5"] == 1.0 and res["trace_coverage@10"] == 1.0
    assert res["meeting_date_agreement"] == 1.0


def test_quote_matching_tolerates_boundaries():
    q = "one two three four five six seven eight nine ten"
    assert quote_in(q, "xx one two three four five six seven eight nine ten yy")
    assert quote_in(q, "one two three four five six seven | cut")
    assert not quote_in(q, "one two three | cut")
