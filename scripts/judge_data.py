"""Labelled data for the relevance judge (index/judge.py): pool passages for annotation, fit the model, report.

    python scripts/judge_data.py pool  --out DIR  SET...          # passages to annotate, one file per set
    python scripts/judge_data.py fit   SET... [--write]            # fit judge_model.json from the labels

A SET is ``NAME=INDEX_DIR:GOLD.jsonl[,GOLD.jsonl...]``: an index and the labelled query files over its papers.
Labels of a (query, passage) pair, strongest first:
  - eval/judgements.jsonl: {"set", "qid", "passage_id", "label"} read by annotators: 2 answers the query, 1 about the
    query's subject, 0 not about it (1 and 2 are "about the query", the judge's positive class);
  - a passage holding an evidence quote of the query is about it;
  - every judged candidate of an off-topic query ("kind": "none") is not about it.
Pairs without a label are not used.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boardpapers.index.embedded import Index  # noqa: E402
from boardpapers.index.evaluate import gold_rows, load_gold, load_judgements, query_labels, quote_in, reliability  # noqa: E402
from boardpapers.index.judge import FEATURES, LEXICAL_FEATURES, MODEL_FILE, feature_matrix  # noqa: E402
from boardpapers.index.query import QueryError  # noqa: E402
from boardpapers.index.rank import POOL, rank  # noqa: E402

JUDGEMENTS = ROOT / "eval" / "judgements.jsonl"
DEPTH = 100


def parse_set(spec: str) -> tuple[str, Path, list[Path]]:
    name, rest = spec.split("=", 1)
    idx, golds = rest.split(":", 1)
    return name, Path(idx), [Path(g) for g in golds.split(",")]


def queries_for(name: str, golds: list[Path]) -> list[dict]:
    out = []
    for g in golds:
        for q in load_gold(g):
            scope = q.get("scope", "both")
            if q["kind"] == "none" and scope not in ("both", name):
                continue
            out.append(q)
    return out


def cmd_pool(a) -> None:
    """For each answerable query: its top 12 candidates and 4 drawn from places 13-60 (trace: top 20 and 6 from
    21-200), without the ones an evidence quote already labels; written for annotators."""
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    for spec in a.sets:
        name, idx_dir, golds = parse_set(spec)
        ix = Index(idx_dir)
        lines = []
        for q in queries_for(name, golds):
            if q["kind"] == "none":
                continue
            r = rank(ix, q["query"], DEPTH, pool=POOL)
            rows = [i for i, _ in r.fused]
            top, deep = (20, 200) if q["kind"] == "trace" else (12, 60)
            extra = 6 if q["kind"] == "trace" else 4
            picked = rows[:top] + rng.sample(rows[top:deep], min(extra, max(0, len(rows[top:deep]))))
            texts = ix.store.passages_by_pid(ix.pid_of(picked))
            for pid in ix.pid_of(picked):
                p = texts.get(pid)
                if p is None or any(quote_in(e["quote"], p["text"]) for e in q.get("evidence", [])):
                    continue
                lines.append(
                    {
                        "set": name,
                        "qid": q["id"],
                        "kind": q["kind"],
                        "query": q["query"],
                        "reference_answer": q.get("answer"),
                        "passage_id": p["passage_id"],
                        "where": f"{p['body']} · {p['meeting_date']} · {p['item'] or ''} · p. {p['page']}",
                        "text": p["text"],
                    }
                )
        (out / f"{name}.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
        print(f"{name}: {len(lines)} pairs to annotate -> {out / (name + '.jsonl')}")


def labelled_pairs(specs: list[str], embedder=None) -> list[dict]:
    """Every labelled (query, candidate) pair of the sets with its features: {"set", "qid", "kind", "x", "xl", "y"}."""
    rows_out = []
    for spec in specs:
        name, idx_dir, golds = parse_set(spec)
        judged = load_judgements(JUDGEMENTS, name)
        ix = Index(idx_dir)
        queries = queries_for(name, golds)
        targets = gold_rows(ix, queries)
        for q in queries:
            try:
                r = rank(ix, q["query"], DEPTH, pool=POOL, embedder=embedder)
            except QueryError:
                continue  # a query of stopwords only is refused before anything is judged
            rows = [i for i, _ in r.fused]
            x, _ = feature_matrix(ix, rows, r.text, r.qvec)
            xl, _ = feature_matrix(ix, rows, r.text, None)
            labels = query_labels(ix, q, rows, targets[q["id"]], judged)
            for j, row in enumerate(rows):
                if row in labels:
                    rows_out.append(
                        {
                            "set": name,
                            "qid": q["id"],
                            "kind": q["kind"],
                            "place": j + 1,
                            "x": x[j].tolist(),
                            "xl": xl[j].tolist(),
                            "y": labels[row],
                        }
                    )
    return rows_out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, weights: np.ndarray | None = None) -> dict:
    """L2-penalised logistic regression on standardised features (scipy L-BFGS); returns the model's parameters."""
    from scipy.optimize import minimize

    mean, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w = np.ones(len(y)) if weights is None else weights

    def loss(theta):
        b, c = theta[0], theta[1:]
        s = z @ c + b
        p = 1.0 / (1.0 + np.exp(-s))
        ll = w * (np.logaddexp(0, s) - y * s)
        grad_s = w * (p - y)
        return ll.sum() + 0.5 * l2 * c @ c, np.concatenate([[grad_s.sum()], z.T @ grad_s + l2 * c])

    res = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
    return {
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": res.x[1:].tolist(),
        "intercept": float(res.x[0]),
        "lo": x.min(0).tolist(),
        "hi": x.max(0).tolist(),
    }


def _predict(m: dict, x: np.ndarray) -> np.ndarray:
    from boardpapers.index.judge import probability

    return probability(x, m)


def cmd_fit(a) -> None:
    pairs = labelled_pairs(a.sets)
    y = np.asarray([p["y"] for p in pairs], dtype=np.float64)
    sets = sorted({p["set"] for p in pairs})
    print(f"{len(pairs)} labelled pairs ({int(y.sum())} about the query) from {', '.join(sets)}")
    # every query weighs the same: a query with 40 labelled candidates must not outvote one with 5
    per_q: dict[tuple, int] = {}
    for p in pairs:
        per_q[(p["set"], p["qid"])] = per_q.get((p["set"], p["qid"]), 0) + 1
    w = np.asarray([20.0 / per_q[(p["set"], p["qid"])] for p in pairs])
    models = {}
    for name, key, feats in (("full", "x", FEATURES), ("lexical", "xl", LEXICAL_FEATURES)):
        x = np.asarray([p[key] for p in pairs])
        m = fit_logistic(x, y, weights=w)
        m["features"] = list(feats)
        models[name] = m
        # leave one set out: the model fitted without a set, judged on it
        for s in sets:
            tr = np.asarray([p["set"] != s for p in pairs])
            mo = fit_logistic(x[tr], y[tr], weights=w[tr])
            pr = _predict(mo, x[~tr])
            print(f"  {name} held-out {s}: Brier {np.mean((pr - y[~tr]) ** 2):.4f}, n={int((~tr).sum())}")
    params = {
        "version": 1,
        "threshold": a.threshold,
        "models": models,
        "fitted_on": {
            "sets": {
                s: {"pairs": sum(p["set"] == s for p in pairs), "queries": len({p["qid"] for p in pairs if p["set"] == s})} for s in sets
            },
            "labels": "eval/judgements.jsonl (annotated candidates), evidence quotes, off-topic queries' candidates",
            "command": "python scripts/judge_data.py fit " + " ".join(a.sets) + " --write",
        },
    }
    p_full = _predict(models["full"], np.asarray([p["x"] for p in pairs]))
    params["calibration"] = {"brier": round(float(np.mean((p_full - y) ** 2)), 4), "reliability": reliability(p_full, y)}
    print(json.dumps(params["calibration"], indent=1))
    # the lexical model judges a passage without a vector (--mode bm25, or a keyword-first ingest still embedding)
    p_lex = _predict(models["lexical"], np.asarray([p["xl"] for p in pairs]))
    params["calibration_lexical"] = {"brier": round(float(np.mean((p_lex - y) ** 2)), 4), "reliability": reliability(p_lex, y)}
    print("lexical:", json.dumps(params["calibration_lexical"], indent=1))
    print(
        json.dumps(
            {
                k: {kk: [round(v, 3) for v in vv] if isinstance(vv, list) and kk != "features" else vv for kk, vv in m.items()}
                for k, m in models.items()
            },
            indent=1,
        )
    )
    if a.write:
        MODEL_FILE.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pool")
    p.add_argument("--out", required=True)
    p.add_argument("sets", nargs="+")
    p.set_defaults(fn=cmd_pool)
    p = sub.add_parser("fit")
    p.add_argument("sets", nargs="+")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--write", action="store_true")
    p.set_defaults(fn=cmd_fit)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
