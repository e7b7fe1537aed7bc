"""End to end in Chromium at 1400x1000, over two real board packs (conftest's real_index) served as `boardpapers app`
serves them (serve.py: the app plus the PDF route): the source view under a hit far down the results, with the
cited passage marked on the page image and in view; links that reopen a search or a passage; Back between searches;
the PDF route; the landing page's example searches.

Uses the system Chromium (/usr/bin/chromium; never downloads a browser). Skipped when it is missing.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from appserver import CHROMIUM, chromium, running_app, settle

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

QUERY = "library services"  # dozens of strong matches in the two packs
OTHER = "preventative mental health"
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def server(real_index, tmp_path_factory):
    log = tmp_path_factory.mktemp("browser-links") / "streamlit.log"
    with running_app(real_index, real_index.parent / "papers", log) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def ctx(browser):
    c = browser.new_context(viewport=VIEWPORT)
    yield c
    c.close()


def open_app(ctx, url: str):
    page = ctx.new_page()
    page.goto(url)
    page.get_by_label("Search the papers").wait_for(timeout=120_000)
    return page


def search(page, text: str, button: bool = False) -> None:
    """Run a search and wait for ITS hits: the previous search's hits stay on the page until the rerun replaces them,
    and the rerun may not have started when the click returns."""
    before = page.locator(".bp-cite .bp-cite").all_inner_texts()
    box = page.get_by_label("Search the papers")
    box.fill(text)
    if button:
        page.get_by_role("button", name="Search", exact=True).click()
    else:
        box.press("Enter")
    sync_api.expect(page.locator(".bp-text mark").first).to_be_visible(timeout=120_000)
    for _ in range(240):
        if citations(page) != before:
            break
        page.wait_for_timeout(500)
    else:
        raise AssertionError(f"the hits did not change after searching {text!r}")
    all_hits_drawn(page)


def all_hits_drawn(page) -> None:
    """Wait until the page holds as many hit cards as its count line says it shows ("showing 1–10"): the cards are
    drawn one by one, and a busy machine can pause between two of them."""
    line = page.get_by_text(re.compile(r"showing 1–\d+")).first
    line.wait_for(timeout=120_000)
    shown = int(re.search(r"showing 1–(\d+)", line.inner_text()).group(1))
    sync_api.expect(page.locator("[class*='st-key-hit-s-']")).to_have_count(shown, timeout=120_000)


def citations(page) -> list[str]:
    """The hits' citations once the page has stopped changing: while Streamlit reruns, the previous run's hits stay
    on the page (faded) beside the new ones, so a single read can hold both lists."""
    last = None
    for _ in range(60):
        settle(page)
        now = page.locator(".bp-cite .bp-cite").all_inner_texts()
        if now == last:
            return now
        last = now
        page.wait_for_timeout(1000)
    raise AssertionError(f"the hits kept changing: {last}")


def marked_passage_in_view(page) -> dict:
    """The first mark of the cited passage on the page image, once it is (and stays) inside the viewport."""
    mark = page.locator(".st-key-bp-source .bp-hl").first
    mark.wait_for(timeout=120_000)
    box = None
    for _ in range(40):
        box = mark.bounding_box()
        if box and 0 <= box["y"] and box["y"] + box["height"] <= VIEWPORT["height"]:
            page.wait_for_timeout(300)
            again = mark.bounding_box()
            if again and 0 <= again["y"] and again["y"] + again["height"] <= VIEWPORT["height"]:
                return again
        page.wait_for_timeout(250)
    raise AssertionError(f"the marked passage is not in view: {box}")


def test_source_far_down_opens_under_its_hit_with_the_passage_marked_in_view(ctx, server):
    page = open_app(ctx, server)
    search(page, QUERY)
    cards = page.locator("[class*='st-key-hit-s-']")
    assert cards.count() >= 8
    eighth = cards.nth(7)
    eighth.scroll_into_view_if_needed()
    assert eighth.bounding_box()["y"] - page.locator("h1").first.bounding_box()["y"] > 2 * VIEWPORT["height"]  # far down
    eighth.get_by_role("button", name="Open source").click()
    img = eighth.locator(".st-key-bp-source .bp-page img")  # inside the eighth hit's own card
    img.wait_for(timeout=120_000)
    page.wait_for_function("img => img.complete && img.naturalWidth === 1200", arg=img.element_handle(), timeout=30_000)
    box = marked_passage_in_view(page)
    assert box["width"] > 50 and box["height"] > 5
    shown = img.bounding_box()
    assert shown["x"] <= box["x"] and box["x"] + box["width"] <= shown["x"] + shown["width"] + 1  # the mark lies on the page
    assert "src=" in page.url  # the opened passage is in the link
    # the page turns, and the original opens at the page in a tab of its own through a real URL the app serves
    link = page.get_by_role("link", name="Open the PDF at page")
    first = int(link.get_attribute("href").rsplit("#page=", 1)[1])
    page.get_by_role("button", name="Next page ▶").click()
    sync_api.expect(link).to_have_attribute("href", f"{link.get_attribute('href').split('#')[0]}#page={first + 1}", timeout=60_000)
    assert f"pg={first + 1}" in page.url
    assert link.get_attribute("target") == "_blank"


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def test_pdf_route_serves_indexed_pdfs_only(ctx, server, real_index):
    from boardpapers.index.embedded import Index

    docs = {d["doc_id"]: Path(d["path"]) for d in Index(real_index).store.documents()}
    page = open_app(ctx, server)
    search(page, QUERY)
    page.locator("[class*='st-key-hit-s-']").first.get_by_role("button", name="Open source").click()
    href = page.get_by_role("link", name="Open the PDF at page").get_attribute("href")
    assert href.startswith("/papers/") and "#page=" in href
    doc_id = href.split("/papers/", 1)[1].split(".pdf", 1)[0]
    status, body, ctype = fetch(server + href.split("#")[0])
    assert status == 200 and ctype == "application/pdf" and body == docs[doc_id].read_bytes()
    for bad in ("/papers/0000.pdf", "/papers/..%2F..%2F..%2Fetc%2Fpasswd.pdf", f"/papers/{doc_id[:-1]}.pdf", "/papers/%2Fetc%2Fpasswd.pdf"):
        status, body, ctype = fetch(server + bad)
        assert ctype != "application/pdf" and b"root:" not in body and not body.startswith(b"%PDF"), bad
        assert status in (400, 404) or "text/html" in ctype, (bad, status)  # refused, or the app's own page


def test_link_reopens_search_and_back_returns_to_the_previous_one(ctx, server):
    page = open_app(ctx, server)
    search(page, OTHER)
    first_url, first_hits = page.url, citations(page)
    assert "q=preventative+mental+health" in first_url
    search(page, QUERY, button=True)  # the Search button, not Enter
    assert "q=library+services" in page.url and citations(page) != first_hits
    second_url, second_hits = page.url, citations(page)
    page.go_back()
    sync_api.expect(page.get_by_label("Search the papers")).to_have_value(OTHER, timeout=60_000)
    settle(page)
    assert page.url == first_url
    sync_api.expect(page.locator(".bp-cite .bp-cite").first).to_have_text(first_hits[0], timeout=60_000)
    page.go_forward()
    sync_api.expect(page.get_by_label("Search the papers")).to_have_value(QUERY, timeout=60_000)
    other = open_app(ctx, second_url)  # the link, in a new page
    sync_api.expect(other.locator(".bp-cite .bp-cite").first).to_have_text(second_hits[0], timeout=120_000)
    settle(other)
    assert citations(other) == second_hits and other.get_by_label("Search the papers").input_value() == QUERY


def test_copy_link_reopens_the_passage_with_its_source(ctx, server):
    page = open_app(ctx, server)
    search(page, QUERY)
    card = page.locator("[class*='st-key-hit-s-']").nth(4)
    pid = card.get_attribute("class").split("st-key-hit-s-", 1)[1].split()[0]
    card.get_by_text("Copy link").click()
    link = card.locator("code").last.inner_text().strip()
    assert link.startswith(server) and f"src={pid}" in link
    other = open_app(ctx, link)
    target = other.locator(f".st-key-hit-s-{pid}")
    target.locator(".st-key-bp-source .bp-page img").wait_for(timeout=120_000)
    assert marked_passage_in_view(other)["width"] > 0


def test_landing_page_examples_search_the_index(ctx, server):
    page = open_app(ctx, server)
    page.get_by_text("Try a search").wait_for(timeout=120_000)
    examples = page.locator("[class*='st-key-example-'] button")
    examples.nth(2).wait_for(timeout=120_000)  # the heading streams in before the buttons under it
    assert examples.count() >= 3
    text = examples.first.inner_text()
    examples.first.click()
    sync_api.expect(page.get_by_label("Search the papers")).to_have_value(text, timeout=60_000)
    page.locator(".bp-n").first.wait_for(timeout=120_000)
    settle(page)
    assert page.locator("strong", has_text="match").first.inner_text().split()[0] != "0"
