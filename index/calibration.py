"""How well the judge's relevance is calibrated: labelled (query, passage) pairs and a reliability table per band."""

from __future__ import annotations

from pathlib import Path

from .gold import gold_rows, is_ident, load_gold
from .jsonl import bad_line, objects


def reliability(p, y, bins: int = 10) -> list[dict]:
    """Reliability table: for each band of predicted relevance, how many pairs and how many were truly relevant."""
    import numpy as np

    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if m.any():
            out.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": int(m.sum()),
                    "mean_predicted": round(float(p[m].mean()), 3),
                    "observed": round(float(y[m].mean()), 3),
                }
            )
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
        if not (
            is_ident(j.get("qid"))
            and is_ident(j.get("passage_id"))
            and isinstance(label, int)
            and not isinstance(label, bool)
            and label in (0, 1, 2)
        ):
            bad_line(problems, Path(path), n, 'not a judgement line ({"set", "qid", "passage_id", "label": 0, 1 or 2})')
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
    for (_pid, v), r in zip(mine, index.rows_for_passage_ids([p for p, _ in mine])):
        if r is not None:
            lab[r] = int(v >= 1)
    return lab


def calibration(
    index,
    gold_path: Path,
    judgements: Path | None = None,
    set_name: str | None = None,
    embedder=None,
    top: int = 20,
    scope: str | None = None,
    problems: list[str] | None = None,
) -> dict:
    """How well ``relevance`` is calibrated on the labelled pairs of a gold file: passages holding an evidence quote
    (relevant), every candidate of an off-topic query (not), and annotated candidates (``judgements``). Reported on
    the first ``top`` candidates of each query (the ones a user sees) and on all labelled pairs."""
    import numpy as np

    from .query import QueryError
    from .rank import CANDIDATES, judged_ranking

    gold = [
        q for q in load_gold(gold_path, problems) if not (q["kind"] == "none" and scope and q.get("scope", "both") not in ("both", scope))
    ]
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
        return {
            "pairs": int(m.sum()),
            "relevant": int(y[m].sum()),
            "brier": round(float(np.mean((p[m] - y[m]) ** 2)), 4) if m.any() else None,
            "reliability": reliability(p[m], y[m]),
        }

    return {f"top{top}": block(t), "all": block(np.ones(len(p), dtype=bool))}
