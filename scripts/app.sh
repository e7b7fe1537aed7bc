#!/usr/bin/env bash
# Set everything up, index corpus/ if there is no index yet, and start the app.
#
# The indexing runs in the background, keyword first: the app opens as soon as corpus/ is searchable by keyword
# (seconds), and switches to hybrid (keyword + meaning) search passage by passage as the vectors land (minutes on
# 2 cores); the page says how far it has got. Stopping the app stops the indexing; the next start resumes it without
# encoding again what was already stored.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BOARDPAPERS_SKIP_SETUP:-}" ]; then  # set by the test of this script, which runs it in the dev venv
  bash scripts/setup.sh
fi
export HF_HUB_OFFLINE=1
BIN=${BOARDPAPERS_BIN:-.venv/bin}
INDEX=${BOARDPAPERS_INDEX:-./.boardpapers}
LOG="$INDEX/ingest.log"

unfinished_corpus_index() {  # an index of corpus/ whose semantic indexing an earlier run left unfinished
  "$BIN/boardpapers" info --index "$INDEX" --format json 2>/dev/null | "$BIN/python" -c '
import json, os, sys
info = json.load(sys.stdin)
corpus = os.path.realpath("corpus")
ours = all(os.path.realpath(d["path"]).startswith(corpus + os.sep) for d in info.get("documents_list", []))
sys.exit(0 if ours and (info.get("semantic") or {}).get("state") == "stopped" else 1)'
}

ingest_pid=""
if [ ! -f "$INDEX/CURRENT" ] || unfinished_corpus_index; then
  echo "Indexing corpus/ in the background, keyword search first (log: $LOG)…"
  mkdir -p "$INDEX"
  "$BIN/boardpapers" ingest corpus --index "$INDEX" --keyword-first >"$LOG" 2>&1 &
  ingest_pid=$!
  trap 'if kill -0 "$ingest_pid" 2>/dev/null; then kill "$ingest_pid"; echo "semantic indexing stopped; it resumes on the next start"; fi' EXIT
  # the app starts once the first index version is live (corpus/ searchable by keyword), or the ingest has ended
  while [ ! -f "$INDEX/CURRENT" ] && kill -0 "$ingest_pid" 2>/dev/null; do
    sleep 0.5
  done
  if [ ! -f "$INDEX/CURRENT" ]; then
    cat "$LOG" >&2
    echo "indexing corpus/ failed (log: $LOG)" >&2
    exit 1
  fi
  echo "corpus/ is searchable by keyword; meaning-based search follows as the vectors land"
fi
"$BIN/boardpapers" app --index "$INDEX" "$@"
