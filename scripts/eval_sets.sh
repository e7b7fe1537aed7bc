#!/usr/bin/env bash
# Every labelled set, judged: the thirty-nine lines a change to ranking, the judge, trace or ask is decided on
# (docs/BENCHMARKS.md, "Held-out sets"). `boardpapers eval --judge` on the dev set and our own sets, each over the index
# of its papers; prints one line per set and leaves each run's JSON (per-query records included) in OUT.
#
#   scripts/eval_sets.sh LEICESTER_INDEX KENT_INDEX [OUT]
#
# LEICESTER_INDEX: an index of corpus/ (`boardpapers ingest corpus --index DIR`); KENT_INDEX: an index of
# ../shared/realpdf. OUT defaults to a new temporary folder. About five minutes on two cores. ONLY=REGEX runs only the
# sets whose name matches it (ONLY=facts: the twelve facts sets).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: scripts/eval_sets.sh LEICESTER_INDEX KENT_INDEX [OUT]" >&2
  exit 2
fi
leic=$1 kent=$2 out=${3:-$(mktemp -d)}
dev=../shared/eval/council-dev.jsonl
if [ ! -f "$dev" ]; then
  echo "the dev set $dev is missing (../shared must be beside the repository)" >&2
  exit 2
fi
mkdir -p "$out"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
run() {  # NAME GOLD INDEX SCOPE
  [[ -n ${ONLY:-} && ! $1 =~ $ONLY ]] && return 0
  .venv/bin/python -m boardpapers eval --gold "$2" --index "$3" --judge --meetings eval/meetings.json --scope "$4" \
    --format json >"$out/$1.json"
}
run dev "$dev" "$leic" leicester
run leicester eval/leicester-labelled.jsonl "$leic" leicester
run kent eval/kent-labelled.jsonl "$kent" kent
run leicester-heldout eval/leicester-heldout.jsonl "$leic" leicester
run kent-heldout eval/kent-heldout.jsonl "$kent" kent
run offtopic-leicester eval/offtopic.jsonl "$leic" leicester
run offtopic-kent eval/offtopic.jsonl "$kent" kent
run offtopic-heldout-leicester eval/offtopic-heldout.jsonl "$leic" leicester
run offtopic-heldout-kent eval/offtopic-heldout.jsonl "$kent" kent
run leicester-fresh eval/leicester-fresh.jsonl "$leic" leicester
run kent-fresh eval/kent-fresh.jsonl "$kent" kent
run offtopic-fresh-leicester eval/offtopic-fresh.jsonl "$leic" leicester
run offtopic-fresh-kent eval/offtopic-fresh.jsonl "$kent" kent
run leicester-fresh2 eval/leicester-fresh2.jsonl "$leic" leicester
run kent-fresh2 eval/kent-fresh2.jsonl "$kent" kent
run leicester-fresh3 eval/leicester-fresh3.jsonl "$leic" leicester
run kent-fresh3 eval/kent-fresh3.jsonl "$kent" kent
run leicester-fresh4 eval/leicester-fresh4.jsonl "$leic" leicester
run kent-fresh4 eval/kent-fresh4.jsonl "$kent" kent
run leicester-fresh5 eval/leicester-fresh5.jsonl "$leic" leicester
run kent-fresh5 eval/kent-fresh5.jsonl "$kent" kent
run residents-leicester eval/residents-leicester.jsonl "$leic" leicester
run residents-kent eval/residents-kent.jsonl "$kent" kent
run residents2-leicester eval/residents2-leicester.jsonl "$leic" leicester
run residents2-kent eval/residents2-kent.jsonl "$kent" kent
run facts-leicester eval/facts-leicester.jsonl "$leic" leicester
run facts-kent eval/facts-kent.jsonl "$kent" kent
run facts2-leicester eval/facts2-leicester.jsonl "$leic" leicester
run facts2-kent eval/facts2-kent.jsonl "$kent" kent
run facts3-leicester eval/facts3-leicester.jsonl "$leic" leicester
run facts3-kent eval/facts3-kent.jsonl "$kent" kent
run facts4-leicester eval/facts4-leicester.jsonl "$leic" leicester
run facts4-kent eval/facts4-kent.jsonl "$kent" kent
run facts5-leicester eval/facts5-leicester.jsonl "$leic" leicester
run facts5-kent eval/facts5-kent.jsonl "$kent" kent
run facts6-leicester eval/facts6-leicester.jsonl "$leic" leicester
run facts6-kent eval/facts6-kent.jsonl "$kent" kent
run facts7-leicester eval/facts7-leicester.jsonl "$leic" leicester
run facts7-kent eval/facts7-kent.jsonl "$kent" kent
run facts8-leicester eval/facts8-leicester.jsonl "$leic" leicester
run facts8-kent eval/facts8-kent.jsonl "$kent" kent
run facts9-leicester eval/facts9-leicester.jsonl "$leic" leicester
run facts9-kent eval/facts9-kent.jsonl "$kent" kent
run facts10-leicester eval/facts10-leicester.jsonl "$leic" leicester
run facts10-kent eval/facts10-kent.jsonl "$kent" kent
run residents3-leicester eval/residents3-leicester.jsonl "$leic" leicester
run residents3-kent eval/residents3-kent.jsonl "$kent" kent
.venv/bin/python - "$out" <<'PY'
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
cols = [
    ("gold_strong", "gold strong"),
    ("ask_cites_gold", "ask cites"),
    ("ask_false_abstain", "false abst"),
    ("recall@5", "r@5"),
    ("mrr@10", "MRR@10"),
    ("trace_coverage_shown", "trace shown"),
    ("trace_coverage_shown_matches", "shown matches"),
    ("trace_coverage_all", "trace all"),
    ("trace_meeting_precision", "mtg prec"),
    ("trace_first_mention", "first"),
    ("offtopic_no_strong", "off no strong"),
    ("ask_abstain_offtopic", "ask abstains"),
]
print(f"{'set':27}" + "".join(f"{h:>14}" for _, h in cols))
for f in sorted(out.glob("*.json"), key=lambda p: (p.stem.startswith("offtopic"), p.stem)):
    j = json.loads(f.read_text(encoding="utf-8"))["judge"]
    cells = [j.get(k) for k, _ in cols]
    print(f"{f.stem:27}" + "".join(f"{v:>14.3f}" if isinstance(v, float) and v == v else f"{'-':>14}" for v in cells))
print(f"per-query records: {out}/*.json")
PY
