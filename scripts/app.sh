#!/usr/bin/env bash
# Set everything up, index corpus/ if there is no index yet, and start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
INDEX=${BOARDPAPERS_INDEX:-./.boardpapers}
if [ ! -f "$INDEX/CURRENT" ]; then
  echo "No index at $INDEX yet: indexing corpus/ (a few minutes on 2 cores)…"
  .venv/bin/boardpapers ingest corpus --index "$INDEX" || [ $? -eq 1 ]
  .venv/bin/boardpapers info --index "$INDEX"
fi
exec .venv/bin/boardpapers app --index "$INDEX" "$@"
