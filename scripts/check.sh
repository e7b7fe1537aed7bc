#!/usr/bin/env bash
# Lint (ruff), format check (ruff format) and type check (mypy) -- run by scripts/test.sh before the tests.
# mypy checks the installed import names (boardpapers.ingest, ...): the repository root *is* the package
# (pyproject: package-dir = {"boardpapers" = "."}), so it is checked through a link named boardpapers in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
.venv/bin/ruff check .
.venv/bin/ruff format --check .
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$root" "$tmp/boardpapers"
cd "$tmp"
"$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" --cache-dir "$root/.mypy_cache" \
  -p boardpapers.ingest -p boardpapers.index -p boardpapers.commands -p boardpapers.ui \
  -m boardpapers.cli -m boardpapers.app -m boardpapers.serve -m boardpapers.settings -m boardpapers.errors
