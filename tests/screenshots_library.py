"""Take the README screenshots of the Documents library and of a saved search's alerts, at desktop width. Run by hand:

    .venv/bin/python tests/screenshots_library.py [INDEX_DIR] [OUT_DIR]

INDEX_DIR (default $BOARDPAPERS_INDEX or /tmp/ix, an index of the demo corpus) is copied first and never changed. On
the copy a search is saved, then a new report (made with tests/pdfgen.py) is uploaded through the app: the Saved
searches view shows its new matches (screenshot-alerts.png); the report's committee is then set by hand in the
Documents view (screenshot-documents.png). OUT_DIR defaults to docs/. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from appserver import ROOT, chromium, running_app
from pdfgen import make_pdf

QUERY = "delayed transfers of care"
REPORT = [
    "Leicester City Council",
    "To: Health and Wellbeing Board - 9 March 2017",
    "Delayed transfers of care: winter update",
    "Delayed transfers of care from hospital rose again this winter, to 41 a day in January.",
    "The Board is asked to note the action plan to reduce delayed transfers of care: discharge to assess beds,",
    "home care capacity and a trusted assessor for care homes.",
]


def _settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=180_000)
    page.wait_for_timeout(800)


def _view(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(re.compile(rf"^{name}")).click()
    _settle(page)


def main(index: str, out: Path) -> None:
    from boardpapers.index.backend import open_backend

    work = Path(tempfile.mkdtemp())
    shutil.copytree(index, work / "index")
    (work / "corpus").mkdir()
    open_backend(work / "index").saved_searches().save("Delayed transfers of care", QUERY)
    paper = make_pdf(work / "dtoc-winter-update.pdf", [REPORT], title="Delayed transfers of care: winter update")
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)  # the demo index names its files relative to the repository
    try:
        with running_app(work / "index", work / "corpus", work / "streamlit.log") as url, chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_label("Search the papers").wait_for(timeout=60_000)
            _view(page, "Add papers")
            page.get_by_text("50 MB per file").wait_for()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(paper))
            page.get_by_text(re.compile(r"update\.pdf$")).first.wait_for()
            page.get_by_role("button", name="Add and index").click()
            page.get_by_text("updated the index").wait_for(timeout=300_000)
            _view(page, "Saved searches")
            page.get_by_text(re.compile(r"^\d+ new since")).wait_for(timeout=180_000)
            _settle(page)
            page.screenshot(path=str(out / "screenshot-alerts.png"))

            _view(page, "Documents")
            box = page.get_by_role("combobox", name="Document", exact=True)
            box.click()
            page.get_by_role("option", name=re.compile("dtoc-winter-update")).click()
            _settle(page)
            kind = page.get_by_role("combobox", name="Type", exact=True)  # read as 'other': a report, set by hand
            kind.click()
            page.get_by_role("option", name="report", exact=True).click()
            page.get_by_role("button", name="Save changes").click()
            page.get_by_text(re.compile("^Saved Delayed transfers")).wait_for(timeout=180_000)
            _settle(page)
            page.get_by_text("Correct or remove a document").scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, -420)")
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / "screenshot-documents.png"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name in ("alerts", "documents"):
        print(out / f"screenshot-{name}.png")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BOARDPAPERS_INDEX", "/tmp/ix"),
        Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs",
    )
