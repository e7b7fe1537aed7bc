"""Take the README screenshots of the app (search, ask, trace) at desktop width. Run by hand:

    .venv/bin/python tests/screenshots.py [INDEX_DIR] [OUT_DIR]

INDEX_DIR defaults to $BOARDPAPERS_INDEX or /tmp/ix (an index of the demo corpus); OUT_DIR to docs/.
Needs the system Chromium at /usr/bin/chromium (never downloads a browser).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, start_app

SEARCH = "delayed transfers of care"
ASK = "What is the target for delayed transfers of care?"
TRACE = "delayed transfers of care"


def _settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(800)


def main(index: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    proc, url = start_app(Path(index), ROOT / "corpus", Path(tempfile.mkdtemp()) / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            box = page.get_by_label("Search the papers")
            box.wait_for(timeout=60_000)
            box.fill(SEARCH)
            box.press("Enter")
            page.locator(".bp-n").first.wait_for(timeout=120_000)
            _settle(page)
            page.screenshot(path=str(out / "screenshot-search.png"))

            page.locator('[data-testid="stRadio"]').get_by_text("Ask", exact=True).click()
            box = page.get_by_label("Ask a question")
            box.wait_for()
            box.fill(ASK)
            box.press("Enter")
            page.locator(".bp-answer, [data-testid='stAlert']").first.wait_for(timeout=120_000)
            _settle(page)
            page.screenshot(path=str(out / "screenshot-ask.png"))

            page.locator('[data-testid="stSidebar"]').get_by_text("Trace", exact=True).click()
            box = page.get_by_role("textbox", name="Topic")
            box.wait_for()
            box.fill(TRACE)
            box.press("Enter")
            page.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]').first.wait_for(timeout=120_000)
            _settle(page)
            page.screenshot(path=str(out / "screenshot-trace.png"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for name in ("search", "ask", "trace"):
        print(out / f"screenshot-{name}.png")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BOARDPAPERS_INDEX", "/tmp/ix"),
        Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs",
    )
