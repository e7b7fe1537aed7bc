"""Measure answer quality + abstention score distributions on a gold file (docs/ANSWERS.md)."""
import sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from index.search import Index
from index.answer import ask, ABSTAIN_THRESHOLD
from index.evaluate import quote_in, load_gold

ix = Index(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ix"))
gold = load_gold(Path(sys.argv[2] if len(sys.argv) > 2 else "/work/shared/eval/council-dev.jsonl"))
thr = ABSTAIN_THRESHOLD
rows = []
t0 = time.perf_counter()
for q in gold:
    if q["kind"] not in ("decision", "fact", "none"):
        continue
    r = ask(ix, q["query"], threshold=-10, k=int(__import__("os").environ.get("K", "8")))
    ok = any(quote_in(e["quote"], c["text"]) for e in q.get("evidence", []) for c in r["citations"])
    ev = r["evidence"]
    rows.append((q["id"], q["kind"], ev["score"], ev["best_sentence_cos"], ev["top_dense"], ok))
    print(f"{q['id']} {q['kind']:8} score={ev['score']:.3f} sent={ev['best_sentence_cos']:.3f} dense={ev['top_dense']:.3f} cite_ok={ok}  {r['answer'][:150]!r}")
dt = time.perf_counter() - t0
ans = [r for r in rows if r[1] != "none"]
none = [r for r in rows if r[1] == "none"]
print("answerable scores:", sorted(round(r[2], 3) for r in ans))
print("none scores:", sorted(round(r[2], 3) for r in none))
print(f"threshold {thr}: cite_ok(no abstain) {sum(r[5] for r in ans)}/{len(ans)}; "
      f"cite_ok & not abstained {sum(r[5] and r[2] >= thr for r in ans)}/{len(ans)}; wrong abstain {sum(r[2] < thr for r in ans)}; "
      f"none abstained {sum(r[2] < thr for r in none)}/{len(none)}; {dt/len(rows):.2f}s/question")
