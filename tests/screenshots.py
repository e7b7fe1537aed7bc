"""Take the README screenshots of the app (search, ask, trace) at desktop width. Run by hand:

    .venv/bin/python tests/screenshots.py [INDEX_DIR] [OUT_DIR]

INDEX_DIR defaults to $BOARDPAPERS_INDEX or /tmp/ix (an index of the demo corpus); OUT_DIR to docs/.
Needs the system Chromium at /usr/bin/chromium (never downloads a browser).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]

SEARCH = "delayed transfers of care"
ASK = "What is the target for delayed transfers of care?"
TRACE = "delayed transfers of care"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(800)


def main(index: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    port = _port()
    env = dict(os.environ, BOARDPAPERS_INDEX=index, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
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
