"""Labelled data for the relevance judge (index/judge.py): pool passages for annotation, fit the model, report.

    python scripts/judge_data.py pool  --out DIR  SET...          # passages to annotate, one file per set
    python scripts/judge_data.py fit   SET... [--write]            # fit judge_model.json from the labels
    python scripts/judge_data.py fit   SET... --cv 5               # ... and report held-out figures (folds by query)

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


def labelled_pairs(specs: list[str], embedder=None, every: bool = False) -> list[dict]:
    """Every labelled (query, candidate) pair of the sets with its features: {"set", "qid", "kind", "x", "xl", "y"}.

    ``every``: each query's unlabelled candidates too (``y`` None), each with "gold" (it holds an evidence quote),
    "dec" (a decision block) and "group" (its agenda item), and a {"refused": True} line for a query of stopwords
    only -- what ``held_out`` needs to judge a query as ``eval --judge`` does."""
    rows_out: list[dict] = []
    for spec in specs:
        name, idx_dir, golds = parse_set(spec)
        judged = load_judgements(JUDGEMENTS, name)
        ix = Index(idx_dir)
        queries = queries_for(name, golds)
        targets = gold_rows(ix, queries)
        for q in queries:
            head = {"set": name, "qid": q["id"], "kind": q["kind"]}
            try:
                r = rank(ix, q["query"], DEPTH, pool=POOL, embedder=embedder)
            except QueryError:  # a query of stopwords only is refused before anything is judged
                if every:
                    rows_out.append(head | {"refused": True, "y": None})
                continue
            rows = [i for i, _ in r.fused]
            x, _ = feature_matrix(ix, rows, r.text, r.qvec)
            xl, _ = feature_matrix(ix, rows, r.text, None)
            labels = query_labels(ix, q, rows, targets[q["id"]], judged)
            gold = set().union(*targets[q["id"]]) if targets[q["id"]] else set()
            extra = zip(ix.decisions_of(rows), ix.item_groups(rows)) if every else None
            for j, row in enumerate(rows):
                info = next(extra) if extra is not None else None
                if row in labels or every:
                    p = head | {"place": j + 1, "x": x[j].tolist(), "xl": xl[j].tolist(), "y": labels.get(row)}
                    if info is not None:
                        p |= {"gold": row in gold, "dec": bool(info[0]), "group": int(info[1])}
                    rows_out.append(p)
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


def query_weights(pairs: list[dict]) -> np.ndarray:
    """Every query weighs the same: a query with 40 labelled candidates must not outvote one with 5."""
    per_q: dict[tuple, int] = {}
    for p in pairs:
        per_q[(p["set"], p["qid"])] = per_q.get((p["set"], p["qid"]), 0) + 1
    return np.asarray([20.0 / per_q[(p["set"], p["qid"])] for p in pairs])


def held_out(cands: list[dict], folds: int, threshold: float) -> dict:
    """Grouped cross-validation by query: the queries are dealt into ``folds`` folds and each fold's candidates are
    judged by models fitted without its queries; then, per set, what ``eval --judge`` reports from the strong matches
    (decision blocks lifted to their item's best, as ``judge`` does): the share of answerable queries with a gold
    passage strong, and of off-topic queries with no strong match (a refused query has none)."""
    keys = sorted({(p["set"], p["qid"]) for p in cands})
    order = np.random.RandomState(0).permutation(len(keys))
    fold = {keys[i]: n % folds for n, i in enumerate(order)}
    in_fold = np.asarray([fold[(p["set"], p["qid"])] for p in cands])
    out: dict = {}
    for name, key, feats in (("full", "x", FEATURES), ("lexical", "xl", LEXICAL_FEATURES)):
        prob = np.zeros(len(cands))
        live = np.asarray([not p.get("refused") for p in cands])
        x = np.asarray([p[key] if not p.get("refused") else [0.0] * len(feats) for p in cands])
        for k in range(folds):
            train = [i for i, p in enumerate(cands) if in_fold[i] != k and p["y"] is not None]
            m = fit_logistic(
                x[train], np.asarray([cands[i]["y"] for i in train], dtype=np.float64), weights=query_weights([cands[i] for i in train])
            )
            test = (in_fold == k) & live
            prob[test] = _predict(m, x[test])
        out[name] = _strong_tally(cands, prob, threshold)
    return out


def _strong_tally(cands: list[dict], prob: np.ndarray, threshold: float) -> dict:
    """Per set: [gold strong share, answerable queries, off-topic no-strong share, off-topic queries]."""
    from boardpapers.index.judge import group_max

    by_q: dict[tuple, list[int]] = {}
    for i, p in enumerate(cands):
        by_q.setdefault((p["set"], p["qid"]), []).append(i)
    tally: dict[str, dict[str, list[bool]]] = {}
    for (s, _), idx in by_q.items():
        t = tally.setdefault(s, {"gold": [], "off": []})
        kind = cands[idx[0]]["kind"]
        live = [i for i in idx if not cands[i].get("refused")]
        p = prob[live]
        if live:
            dec = np.asarray([cands[i]["dec"] for i in live])
            p = np.where(dec, np.maximum(p, group_max(np.asarray([cands[i]["group"] for i in live]), p)), p)
        strong = p >= threshold
        if kind == "none":
            t["off"].append(not strong.any())
        elif kind in ("decision", "fact"):
            t["gold"].append(bool(any(cands[i]["gold"] and st for i, st in zip(live, strong))))
    return {
        s: [float(np.mean(t["gold"])) if t["gold"] else None, len(t["gold"]), float(np.mean(t["off"])) if t["off"] else None, len(t["off"])]
        for s, t in tally.items()
    }


def cmd_fit(a) -> None:
    cands = labelled_pairs(a.sets, every=a.cv > 0)
    pairs = [p for p in cands if p["y"] is not None]
    y = np.asarray([p["y"] for p in pairs], dtype=np.float64)
    sets = sorted({p["set"] for p in pairs})
    print(f"{len(pairs)} labelled pairs ({int(y.sum())} about the query) from {', '.join(sets)}")
    w = query_weights(pairs)
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
    if a.cv:
        for name, per_set in held_out(cands, a.cv, a.threshold).items():
            for s, (gold, n_gold, off, n_off) in sorted(per_set.items()):
                g = f"{gold:.3f} of {n_gold}" if gold is not None else "-"
                o = f"{off:.3f} of {n_off}" if off is not None else "-"
                print(f"  {name} held-out ({a.cv} folds by query) {s}: gold passage strong {g}; off-topic with no strong match {o}")
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
    p.add_argument("--cv", type=int, default=0, metavar="K", help="also report held-out figures: K folds by query")
    p.set_defaults(fn=cmd_fit)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
