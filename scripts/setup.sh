#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install boardpapers with its test extras. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.boardpapers-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # the CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
# Debian's tesseract-ocr reads scanned PDF pages (pages without a text layer); without it they are reported, not read
if ! command -v tesseract >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null) \
      || echo "warning: could not install tesseract-ocr; scanned PDF pages will not be read" >&2
  else
    echo "warning: tesseract is not installed; scanned PDF pages will not be read (install Debian's tesseract-ocr)" >&2
  fi
fi
