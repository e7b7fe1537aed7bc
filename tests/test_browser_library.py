"""End to end in Chromium (1400x1000) over the real app: the Documents library (a correction by hand changes the hit's
citation; a removed document's passages leave search), a duplicate upload ("already indexed as ...", one file on disk
however often it is clicked), and a saved search that shows "1 new" after a new paper is added -- in the app and in
`boardpapers alerts`.

The tests share one app and index and run in file order (each leaves what the next expects)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from appserver import CHROMIUM, chromium, retry_until, running_app, settle

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

LIBRARY_PDF = [
    "Leicester City Council",
    "To: Cabinet - 3 April 2017",
    "Report of the Director of Libraries",
    "Zebrafinch library opening hours: the new zebrafinch library hours were reviewed after six months.",
    "The zebrafinch library opening hours review found visits rose by a fifth.",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from test_app import make_small_index

    root = tmp_path_factory.mktemp("browser-library")
    index, corpus = make_small_index(root)
    with running_app(index, corpus, root / "streamlit.log") as url:
        yield url, index, corpus, root


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)  # a busy machine: each step waits longer than Playwright's 30 s
    pg.goto(server[0])
    pg.get_by_label("Search the papers").wait_for(timeout=60_000)
    yield pg
    ctx.close()


def view(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(re.compile(rf"^{name}")).click()
    settle(page)


def search_cites(page, query: str) -> list[str]:
    view(page, "Search")
    box = page.get_by_label("Search the papers")
    box.fill(query)
    box.press("Enter")
    page.get_by_text(re.compile(r"passages? match|No passage matches")).first.wait_for(timeout=120_000)
    settle(page)
    return page.locator(".bp-cite .bp-cite").all_inner_texts()


def choose_document(page, file_name: str) -> None:
    view(page, "Documents")
    box = page.get_by_role("combobox", name="Document", exact=True)
    option = page.get_by_role("option", name=re.compile(re.escape(file_name)))
    retry_until(page, box.click, option)
    option.click()
    settle(page)


def test_a_correction_by_hand_changes_the_citation(page):
    assert any("Cabinet · 2016-12-15" in c for c in search_cites(page, "zebrafinch library"))
    choose_document(page, "injected_minutes.txt")
    page.get_by_text("Committee / board:").wait_for()
    body = page.get_by_role("textbox", name="Committee / board")
    body.fill("Library Scrutiny Commission")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text(re.compile("^Saved .*committee / board Library Scrutiny Commission")).wait_for(timeout=120_000)
    page.get_by_text("(set by hand)").first.wait_for(timeout=30_000)
    cites = search_cites(page, "zebrafinch library")
    assert any("Library Scrutiny Commission · 2016-12-15" in c for c in cites), cites
    assert not any("Cabinet · 2016-12-15" in c for c in cites)


def test_a_removed_document_leaves_search(page, server):
    search_cites(page, "kingfisher parking charges")
    assert any("kingfisher" in t.lower() for t in page.locator(".bp-text").all_inner_texts())
    choose_document(page, "cabinet_pack.pdf")
    retry_until(page, page.get_by_role("button", name="Remove from the index…").click, page.get_by_text("This cannot be undone"))
    settle(page)  # a click on "Yes, remove" while the confirmation is still being drawn can be swallowed by the redraw
    page.get_by_role("button", name="Yes, remove").click()
    page.get_by_text(re.compile("^Removed .* from the index")).wait_for(timeout=120_000)
    search_cites(page, "kingfisher parking charges")
    assert not any("kingfisher" in t.lower() for t in page.locator(".bp-text").all_inner_texts())
    assert (server[2] / "cabinet_pack.pdf").exists()  # the file stays unless asked


def test_a_duplicate_upload_is_recognised_and_saved_once(page, server, tmp_path):
    corpus: Path = server[2]
    copy = tmp_path / "minutes copy.txt"
    copy.write_bytes((corpus / "minutes_excerpt.txt").read_bytes())
    before = sorted(p.name for p in corpus.iterdir())
    view(page, "Add papers")
    page.get_by_text("50 MB per file").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(copy))
    page.get_by_text("minutes copy.txt").first.wait_for()
    for _ in range(2):  # a second click on the same upload saves nothing either
        page.get_by_role("button", name="Add and index").click()
        page.get_by_text(re.compile(r"minutes copy\.txt: already indexed as .*\(minutes_excerpt\.txt\)")).wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_text("updated the index").count() == 0
    assert sorted(p.name for p in corpus.iterdir()) == before
    same = [p for p in corpus.iterdir() if p.is_file() and p.read_bytes() == copy.read_bytes()]
    assert [p.name for p in same] == ["minutes_excerpt.txt"]


def test_a_saved_search_shows_one_new_after_a_paper_is_added(page, server, tmp_path):
    from pdfgen import make_pdf

    view(page, "Saved searches")
    page.get_by_role("textbox", name="Name").fill("Zebrafinch hours")
    page.get_by_role("textbox", name="Query").fill("zebrafinch library opening hours")
    page.get_by_role("button", name="Save search").click()
    page.get_by_text("Saved 'Zebrafinch hours'").wait_for(timeout=60_000)
    page.get_by_text(re.compile("^nothing new since")).wait_for(timeout=60_000)
    paper = make_pdf(tmp_path / "library hours review.pdf", [LIBRARY_PDF], title="Library hours review")
    view(page, "Add papers")
    page.get_by_text("50 MB per file").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(paper))
    page.get_by_text(re.compile(r"review\.pdf$")).first.wait_for()  # the uploader shortens long names
    page.get_by_role("button", name="Add and index").click()
    page.get_by_text("updated the index").wait_for(timeout=180_000)
    badge = page.locator('[data-testid="stSidebar"]').get_by_text("Saved searches · 1 new")
    badge.wait_for(timeout=120_000)
    badge.click()
    settle(page)
    page.get_by_text(re.compile(r"^1 new since \d+ \w+ \d{4}$")).wait_for(timeout=60_000)
    assert page.locator(".bp-badge", has_text="1 NEW").count() == 1
    assert "Library hours review" in page.locator(".bp-cite .bp-cite").first.inner_text()
    # the command line says the same of the same index
    env = {**os.environ, "BOARDPAPERS_INDEX": str(server[1]), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "boardpapers", "alerts"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Zebrafinch hours ('zebrafinch library opening hours'): 1 new since" in out.stdout
    page.get_by_role("button", name="Mark seen").click()
    page.get_by_text("Marked 'Zebrafinch hours' as seen.").wait_for(timeout=60_000)
    page.get_by_text(re.compile("^nothing new since")).wait_for(timeout=60_000)
    assert page.locator('[data-testid="stSidebar"]').get_by_text(re.compile(r"\d+ new$")).count() == 0
