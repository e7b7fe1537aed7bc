"""Take the README screenshots of the app (search, a hit's source, ask, trace, the decision register and a member's
voting record) at desktop width. Run by hand:

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
SOURCE_HIT = 3  # the hit whose source is shown (1-based)
DECISIONS = "English Devolution White Paper"  # the Kent full council of 9 January 2025: four amendments, the motion
DECISION_ROW = 2  # the row shown in full (1-based): on Kent, the substantive motion and its recorded vote
MEMBER = "Ms Constantine"


def _settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(800)


def _select_row(page, n: int) -> None:
    """Tick row ``n`` (1-based) of the first visible table: its selection box, left of the row under the header."""
    grid = page.locator('[data-testid="stDataFrame"]').locator("visible=true").first
    grid.wait_for(timeout=60_000)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 * n + 17)
    hint = page.get_by_text("Select a row to see").locator("visible=true")
    hint.first.wait_for(state="detached", timeout=60_000)  # the row's decision is drawn in its place
    _settle(page)


def source_shot(page, out: Path) -> None:
    """The SOURCE_HIT-th hit's source opened under it: the cited page as an image, the passage marked, in view."""
    card = page.locator("[class*='st-key-hit-s-']").nth(SOURCE_HIT - 1)
    card.scroll_into_view_if_needed()
    card.get_by_role("button", name="Open source").click()
    card.locator(".bp-page .bp-hl").first.wait_for(timeout=120_000)
    _settle(page)
    page.wait_for_timeout(1500)  # the view scrolls itself to the marked passage
    page.screenshot(path=str(out / "screenshot-source.png"))
    card.get_by_role("button", name="Close").click()
    _settle(page)
    page.evaluate("window.scrollTo(0, 0)")


def register_shots(page, out: Path) -> None:
    """The Decisions view searched, one decision in full; then one member's recorded votes, one opened."""
    page.set_viewport_size({"width": 1440, "height": 1400})
    page.locator('[data-testid="stSidebar"]').get_by_text("Decisions", exact=True).click()
    box = page.get_by_label("Search decisions")
    box.wait_for(timeout=60_000)
    box.fill(DECISIONS)
    box.press("Enter")
    page.get_by_text("ranked by relevance").wait_for(timeout=120_000)
    _settle(page)
    _select_row(page, DECISION_ROW)
    page.locator(".bp-dtitle").first.scroll_into_view_if_needed()
    page.screenshot(path=str(out / "screenshot-decisions.png"))
    box.fill("")
    box.press("Enter")
    page.get_by_text("newest meeting first").wait_for(timeout=120_000)
    page.get_by_role("tab", name="Member voting record").click()
    member = page.get_by_role("combobox", name="Member")
    member.click()
    member.fill(MEMBER)
    member.press("Enter")
    page.get_by_text(f"{MEMBER}: ").first.wait_for(timeout=120_000)
    _settle(page)
    _select_row(page, 1)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(out / "screenshot-votes.png"))


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
            source_shot(page, out)

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
            register_shots(page, out)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for name in ("search", "source", "ask", "trace", "decisions", "votes"):
        print(out / f"screenshot-{name}.png")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BOARDPAPERS_INDEX", "/tmp/ix"),
        Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs",
    )
