"""scripts/judge_data.py: the labelled pairs the judge is fitted on, and the held-out figures of ``fit --cv`` (each
query judged by models fitted without it) -- on two real packs indexed with the real model."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSWERABLE = ("l009", "l010", "l032", "l034", "l035")  # their evidence lies in the two packs of ``real_index``
OFF_TOPIC = ("o001", "o055")  # gritting routes in Sevenoaks; "the" (stopwords only: refused, so no strong match)


@pytest.fixture(scope="module")
def jd():
    spec = importlib.util.spec_from_file_location("judge_data", ROOT / "scripts" / "judge_data.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def set_spec(real_index, tmp_path_factory):
    lines = [
        ln for f in ("leicester-labelled.jsonl", "offtopic.jsonl") for ln in (ROOT / "eval" / f).read_text(encoding="utf-8").splitlines()
    ]
    picked = [ln for ln in lines if ln.strip() and json.loads(ln)["id"] in ANSWERABLE + OFF_TOPIC]
    gold = tmp_path_factory.mktemp("gold") / "gold.jsonl"
    gold.write_text("\n".join(picked) + "\n", encoding="utf-8")
    return f"t={real_index}:{gold}"


def test_every_candidate_mode_keeps_the_labelled_pairs_and_marks_gold_and_refusals(jd, set_spec):
    cands = jd.labelled_pairs([set_spec], every=True)
    labelled = jd.labelled_pairs([set_spec])
    assert [(p["qid"], p["place"], p["x"], p["y"]) for p in cands if p["y"] is not None] == [
        (p["qid"], p["place"], p["x"], p["y"]) for p in labelled
    ]
    assert [p["qid"] for p in cands if p.get("refused")] == ["o055"]
    assert {p["qid"] for p in cands if p.get("gold")} == set(ANSWERABLE)  # each evidence quote found among the candidates
    assert all(p["y"] == 1 for p in cands if p.get("gold"))
    assert all(p["y"] == 0 for p in cands if p["qid"] == "o001")  # every candidate of an off-topic query is "not about it"


def test_held_out_judges_each_query_by_models_fitted_without_it(jd, set_spec, monkeypatch):
    cands = jd.labelled_pairs([set_spec], every=True)
    trained_on: list[set[str]] = []
    weights = jd.query_weights
    monkeypatch.setattr(jd, "query_weights", lambda pairs: trained_on.append({p["qid"] for p in pairs}) or weights(pairs))
    res = jd.held_out(cands, 3, 0.3)
    every = set(ANSWERABLE + OFF_TOPIC) - {"o055"}  # a refused query has no pair to fit on
    assert len(trained_on) == 6  # 3 folds x (full, lexical)
    for model in range(2):
        folds = trained_on[model * 3 : model * 3 + 3]
        assert all(f < every for f in folds)  # each fold leaves queries out ...
        assert set().union(*(every - f for f in folds)) == every  # ... and every query is left out once
        assert sum(len(every - f) for f in folds) == len(every)
    for name in ("full", "lexical"):
        gold, n_gold, off, n_off = res[name]["t"]
        assert (n_gold, n_off) == (5, 2)
        assert 0.0 <= gold <= 1.0 and off in (0.5, 1.0)  # "the" is refused: never a strong match
