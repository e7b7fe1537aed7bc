"""End to end: `streamlit run app.py` over the small test index, driven by headless Chromium.

Uses the system Chromium (/usr/bin/chromium; never downloads a browser). Skipped when it is missing.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from appserver import CHROMIUM, ROOT, chromium, retry_until, running_app, settle

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from test_app import make_small_index

    root = tmp_path_factory.mktemp("browser")
    index, corpus = make_small_index(root)
    with running_app(index, corpus, root / "streamlit.log") as url:
        yield url, root


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(server[0])
    pg.get_by_label("Search the papers").wait_for(timeout=60_000)
    yield pg
    ctx.close()


def run_query(page, text: str, label: str = "Search the papers") -> None:
    box = page.get_by_label(label)
    box.fill(text)
    box.press("Enter")
    page.locator(".bp-n").first.wait_for(timeout=60_000)
    settle(page)


def test_search_citation_badge_and_csv(page, tmp_path):
    run_query(page, "zebrafinch library")
    cite = page.locator(".bp-cite .bp-cite").first.inner_text()
    assert "Cabinet · 2016-12-15" in cite and "Minutes of the Cabinet, 15 December 2016" in cite  # the title, not the file name
    badge = page.locator(".bp-badge").first
    assert badge.inner_text() == "DECISION"
    page.locator("mark", has_text="zebrafinch").first.wait_for(timeout=30_000)  # the query's words marked in the hits
    shown = page.locator(".bp-n").count()
    with page.expect_download() as dl:
        page.get_by_role("button", name="⬇ CSV").click()
    path = tmp_path / "hits.csv"
    dl.value.save_as(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel, double-clicked, reads it as UTF-8
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert len(rows) >= shown
    assert rows[0]["citation"] and "Cabinet" in rows[0]["citation"]
    assert any(r["is_decision"] == "True" for r in rows)
    with page.expect_download() as dl2:
        page.get_by_role("button", name="⬇ JSON Lines").click()
    assert dl2.value.suggested_filename.endswith(".jsonl")
    assert page.dialogs == []


def test_counts_matches_and_marks_related_passages(page):
    run_query(page, "zebrafinch library")
    assert page.locator("strong", has_text=re.compile(r"^\d+ passages? match(es)?$")).count() == 1
    assert page.locator(".bp-related").count() == 0 or page.get_by_text("not judged matches").count() == 1
    box = page.get_by_label("Search the papers")
    box.fill("winter gritting routes for 2016/17")
    box.press("Enter")
    page.get_by_text("No passage matches this search").wait_for(timeout=60_000)
    page.get_by_text("The closest related passages — not matches").wait_for(timeout=30_000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    related = page.locator(".bp-related")
    assert related.count() >= 1 and related.first.inner_text() == "RELATED · NOT A MATCH"
    # the previous search's cards leave the page as this run ends: no numbered (matching) card, nothing to export
    sync_api.expect(page.locator(".bp-n")).to_have_count(0, timeout=30_000)
    sync_api.expect(page.get_by_role("button", name="⬇ CSV")).to_have_count(0, timeout=30_000)
    assert page.dialogs == []


def test_injected_text_renders_as_text(page):
    run_query(page, "zebrafinch consultation responses")
    text = page.locator(".bp-text").all_inner_texts()
    joined = "\n".join(text)
    assert "<script>alert(1)</script>" in joined
    assert "<img src=x onerror=alert(1)>" in joined
    assert "[x](javascript:alert(1))" in joined
    assert page.locator(".bp-text script, .bp-text img, .bp-text a[href^='javascript']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    # open the text source of the hit that holds the injection (other passages may rank above it):
    # the whole document, the passage marked, still inert
    hit = page.locator("[class*='st-key-hit-']").filter(has=page.locator(".bp-text", has_text="<script>alert(1)</script>")).first
    hit.get_by_role("button", name="Open source").click()
    page.locator("#bp-cited").wait_for(timeout=30_000)
    assert "<script>alert(1)</script>" in page.locator(".bp-doc").inner_text()
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_ask_answers_with_citations(page):
    page.locator('[data-testid="stRadio"]').get_by_text("Ask", exact=True).click()
    page.get_by_label("Ask a question").wait_for()
    box = page.get_by_label("Ask a question")
    box.fill("What was decided about zebrafinch library opening hours?")
    box.press("Enter")
    answer = page.locator(".bp-answer")
    answer.wait_for(timeout=60_000)
    assert "[1]" in answer.inner_text()
    assert "zebrafinch" in answer.inner_text()
    page.locator(".bp-n", has_text="[1]").first.wait_for(timeout=30_000)  # the source cards render after the answer
    assert page.dialogs == []


def test_open_pdf_source_at_page(page, server):
    from test_app import pdf_hit

    q = "kingfisher income fell by twelve per cent"
    hit = pdf_hit(server[1] / "index", q)
    run_query(page, q)
    card = page.locator(f".st-key-hit-s-{hit['passage_id']}")
    card.get_by_role("button", name="Open source").click()
    card.locator(".bp-page img").wait_for(timeout=30_000)  # the page as an image, inside the hit's card
    link = card.get_by_role("link", name=re.compile(r"Open the PDF at page"))
    assert link.get_attribute("href").endswith(f"#page={hit['page']}")  # the original, served by the app, at the page
    assert page.locator("iframe[src^='data:application/pdf']").count() == 0
    card.get_by_role("tab", name=re.compile(r"Pages? .* text")).click()
    doc = card.locator(".bp-doc")
    doc.wait_for()
    assert "twelve per cent" in doc.inner_text()
    assert page.dialogs == []


def test_trace_view(page):
    page.locator('[data-testid="stSidebar"]').get_by_text("Trace", exact=True).click()
    box = page.get_by_role("textbox", name="Topic")
    box.wait_for()
    box.fill("library opening hours")
    box.press("Enter")
    if not (ROOT / "index" / "trace.py").exists():
        page.get_by_text("Trace is not available").wait_for(timeout=30_000)
        return
    page.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]').first.wait_for(timeout=60_000)
    assert page.get_by_text("Meetings").count() >= 1
    # a timeline with one match: the meeting's related passage follows it, under a heading and marked
    box.fill("kingfisher parking charges - income fall and freeze")
    box.press("Enter")
    page.get_by_text("Related passages at this meeting — not judged matches").wait_for(timeout=60_000)
    # the cards are drawn after their heading (a script run streams its elements): wait for one, do not count at once
    page.get_by_text("RELATED · NOT A MATCH").first.wait_for(timeout=60_000)
    assert page.get_by_text("RELATED · NOT A MATCH").count() >= 1


def test_add_papers_upload_then_search(page, tmp_path):
    page.locator('[data-testid="stSidebar"]').get_by_text("Add papers", exact=True).click()
    page.get_by_text("50 MB per file").wait_for()
    paper = tmp_path / "new report.txt"
    paper.write_text(
        "Minutes of a meeting of the Cabinet held on Tuesday, 2 May 2017.\n\n12. Quokka sanctuary.\n\n"
        "The Cabinet considered the quokka sanctuary proposal.\n\nRESOLVED:\n\nThat the quokka sanctuary be funded.\n",
        encoding="utf-8",
    )
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(paper))
    page.get_by_text("new report.txt").first.wait_for()
    page.get_by_role("button", name="Add and index").click()
    page.get_by_text("updated the index").wait_for(timeout=120_000)
    page.locator('[data-testid="stSidebar"]').get_by_text("Search", exact=True).click()
    run_query(page, "quokka sanctuary")
    assert "quokka" in page.locator(".bp-text").first.inner_text().lower()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The app over test_hostile's corpus: a PDF with a JavaScript open action, a javascript: link, HTML and
    markdown in its text and metadata, a 20,000-character token; and Markdown minutes with the same payloads."""
    from test_hostile import hostile_corpus

    from boardpapers.index.writer import ingest

    root = tmp_path_factory.mktemp("browser-hostile")
    corpus = hostile_corpus(root / "corpus")
    report = ingest([str(corpus)], root / "index", workers=1)
    assert report.count("ingested") == 2 and not report.failed, report.outcomes
    with running_app(root / "index", corpus, root / "streamlit.log") as url:
        yield url


def test_hostile_pdf_and_metadata_render_inert(browser, hostile_server):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = ctx.new_page()
    dialogs, requests = [], []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda r: requests.append(r.url))
    try:
        pg.goto(hostile_server)
        pg.get_by_label("Search the papers").wait_for(timeout=60_000)
        run_query(pg, "kestrel survey nesting sites script alert")
        shown = "\n".join(pg.locator(".bp-text").all_inner_texts())
        assert "<script>alert('kestrel')</script>" in shown or "<img src=x onerror=alert(2)>" in shown
        assert pg.locator(".bp-text script, .bp-text img, .bp-text iframe, .bp-text b").count() == 0
        assert pg.locator("a[href^='javascript'], iframe[src^='javascript']").count() == 0
        # the PDF's title metadata (<script>…) is shown as text wherever it appears
        assert pg.locator("script", has_text="alert('title')").count() == 0
        # open the PDF source: it is embedded as data, its open action never runs in the app page
        pg.get_by_role("button", name="Open source").first.click()
        pg.wait_for_timeout(1500)
        settle(pg)
        documents = pg.locator('[data-testid="stSidebar"]').get_by_text("Documents", exact=True)
        retry_until(pg, documents.click, pg.locator('[data-testid="stDataFrame"]'))  # the documents table, hostile metadata in it
        pg.wait_for_timeout(500)
        assert pg.locator("a[href^='javascript']").count() == 0
        assert dialogs == []
        assert not [u for u in requests if "evil.example" in u]
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def votes_server(tmp_path_factory):
    """The app over test_app's council minutes with three recorded votes (hash embedder: the register needs no model)."""
    from test_app import make_decisions_index

    root = tmp_path_factory.mktemp("browser-votes")
    index, corpus = make_decisions_index(root)
    with running_app(index, corpus, root / "streamlit.log") as url:
        yield url


def test_decisions_view_row_source_and_member_record(browser, votes_server, tmp_path):
    if not (ROOT / "index" / "decisions.py").exists():
        pytest.skip("index/decisions.py has not landed yet")
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        pg.goto(votes_server)
        pg.get_by_label("Search the papers").wait_for(timeout=60_000)
        pg.locator('[data-testid="stSidebar"]').get_by_text("Decisions", exact=True).click()
        title = pg.locator(".bp-dtitle").first
        title.wait_for(timeout=60_000)
        assert title.inner_text() == "English Devolution White Paper"  # the first row, shown until one is selected
        grid = pg.locator('[data-testid="stDataFrame"]').first.bounding_box()
        pg.mouse.click(grid["x"] + 15, grid["y"] + 35 * 3 + 17)  # the third row's selection box (under the header)
        sync_api.expect(title).to_have_text("Osprey library opening hours", timeout=30_000)
        # the rerun replaces the panel element by element: the first row's names may still be on screen
        # for a moment after the new title, so wait for the selected vote's names rather than read at once
        pg.locator(".bp-names", has_text="Mr Baker, Ms Constantine, Mr Lehmann").first.wait_for(timeout=30_000)
        # the motion, as text (a tag would have no such text); waited for too: the old panel's text may still come first
        motion = pg.locator(".bp-text", has_text="<img src=x onerror=alert(1)>").first
        motion.wait_for(timeout=30_000)
        assert "<img src=x onerror=alert(1)>" in motion.inner_text()
        # ... and for the old panel's button to go: while the rerun lasts both panels' "Open source" are on the page
        source = pg.get_by_role("button", name="Open source")
        sync_api.expect(source).to_have_count(1, timeout=30_000)
        source.click()
        link = pg.get_by_role("link", name=re.compile(r"Open the PDF at page"))
        link.wait_for(timeout=30_000)
        assert link.get_attribute("href").endswith("#page=2")  # the minute at the page of the vote
        pg.locator(".bp-page .bp-hl").first.wait_for(timeout=30_000)  # the resolution marked on the page image
        pg.get_by_role("tab", name="Member voting record").click()
        box = pg.get_by_role("combobox", name="Member")
        box.click()
        box.fill("Lehmann")  # a name as typed, not one of the suggestions: any title, any initials
        box.press("Enter")
        pg.get_by_text("Lehmann: 3 recorded votes").wait_for(timeout=30_000)
        with pg.expect_download() as dl:
            pg.get_by_role("button", name="⬇ CSV").click()  # the visible tab's: the member's votes
        path = tmp_path / "votes.csv"
        dl.value.save_as(path)
        assert dl.value.suggested_filename == "boardpapers-votes-lehmann.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
        assert [r["position"] for r in rows] == ["abstain", "against", "against"]
        assert pg.locator(".bp-text img, .bp-names img").count() == 0 and dialogs == []
    finally:
        ctx.close()
