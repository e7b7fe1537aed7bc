#!/usr/bin/env bash
# Set everything up and run every test (unit, integration on the real corpus, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Debian's Chromium for the browser test (never a browser download); skipped if it cannot be installed
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
fi
# poppler's pdftoppm renders a real corpus page for the OCR tests (tests/test_ocr.py draws the page's text without it);
# tesseract-ocr itself is installed by setup.sh
if ! command -v pdftoppm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
    || echo "warning: could not install poppler-utils; the OCR tests will draw the page's text instead" >&2
fi
# PostgreSQL (for the --store backend's tests, started by tests/pgfixture.py) refuses to run as root: as root it runs
# as the system user 'postgres', created here if the machine has none
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin postgres \
    || echo "warning: could not create the 'postgres' user; PostgreSQL backend tests will fail" >&2
fi
# lint, format and type checks first: CI fails on any of them
bash scripts/check.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python -m pytest "$@"
