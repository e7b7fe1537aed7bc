"""Metadata and structure found from the content of the real packs (no embedding involved)."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from conftest import CORPUS, shared_or_skip

from boardpapers.index.embed import default_model_path
from boardpapers.ingest.agenda import parse_agenda
from boardpapers.ingest.chunk import chunk_document, join_pages, tokenizer_counter
from boardpapers.ingest.headings import smart_title
from boardpapers.ingest.loaders import load_document
from boardpapers.ingest.structure import analyse

EXPECTED = {
    "000_f2458a1a6d162554.pdf": ("Leicester City Council", "Health and Wellbeing Board", "2016-12-15", "agenda"),
    "001_418e79fd6130f93b.pdf": ("Leicestershire County Council", "Health and Wellbeing Board", "2017-09-21", "agenda"),
    "002_932f3f7f4997683a.pdf": ("Leicester City Council", "Health and Wellbeing Scrutiny Commission", "2017-01-04", "agenda"),
    "003_a7b28d8a4ec9b5b9.pdf": ("Leicester City Council", "Health and Wellbeing Board", "2017-06-19", "agenda"),
    "004_6f7fe29cf4be1230.pdf": (
        "Leicestershire County Council",
        "Adults and Communities Overview and Scrutiny Committee",
        "2015-06-02",
        "agenda",
    ),
}


@cache
def parsed(name: str):
    doc = load_document(CORPUS / name)
    text, starts = join_pages(doc)
    st = analyse(doc, text, starts)
    passages = chunk_document(doc, text, starts, st, tokenizer_counter(default_model_path()))
    return doc, text, starts, st, passages


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pack_metadata(name):
    _, _, _, st, _ = parsed(name)
    council, body, date, dtype = EXPECTED[name]
    assert (st.meta.council, st.meta.body, st.meta.meeting_date, st.meta.doc_type) == (council, body, date, dtype)


@pytest.mark.parametrize("name", ["000_f2458a1a6d162554.pdf", "004_6f7fe29cf4be1230.pdf"])
def test_metadata_without_pdf_hints(name):
    """Council, body and date come from the page text even with no PDF title or running header."""
    doc, text, starts, _, _ = parsed(name)
    bare = type(doc)(doc.path, doc.kind, doc.pages, {}, doc.warnings, doc.encoding)
    st = analyse(bare, text, starts)
    council, body, date, _ = EXPECTED[name]
    assert (st.meta.council, st.meta.body, st.meta.meeting_date) == (council, body, date)


def test_earlier_minutes_inside_pack_carry_their_own_date():
    _, _, _, st, passages = parsed("000_f2458a1a6d162554.pdf")
    assert "2016-10-10" in st.minutes_dates
    stp = [p for p in passages if p.minute_number == "29"]
    assert stp and all(p.meeting_date == "2016-10-10" for p in stp)
    assert all("Sustainability and Transformation Plan" in p.item for p in stp)
    # the STP report itself (agenda item 4) belongs to the December meeting
    report = [p for p in passages if p.item and p.item.startswith("4. Sustainability") and p.minute_number is None]
    assert report and all(p.meeting_date == "2016-12-15" for p in report)


def test_agenda_items_with_appendix_and_pages():
    _, _, _, st, _ = parsed("000_f2458a1a6d162554.pdf")
    items = {i.number: i for i in st.items}
    assert items[4].title == "Sustainability and Transformation Plan"
    assert (items[4].appendix, items[4].pages) == ("B", "13-96")
    assert (items[3].appendix, items[3].pages) == ("A", "1-12")
    assert [i.number for i in st.items] == list(range(1, 11))


def test_decision_blocks_flagged():
    _, _, _, _, passages = parsed("001_418e79fd6130f93b.pdf")
    dec = [p for p in passages if "becomes a work stream of the Unified" in " ".join(p.text.split())]
    assert dec and all(p.is_decision for p in dec)
    assert dec[0].minute_number == "26" and dec[0].meeting_date == "2017-07-20"
    confirmed = [p for p in passages if "taken as read, confirmed" in " ".join(p.text.split())]
    assert confirmed and confirmed[0].is_decision
    # discussion before the RESOLVED block is not a decision
    assert any(p.minute_number == "26" and not p.is_decision for p in passages)
    # a decision the minutes narrate instead of a RESOLVED block (Minute 18, 20 July 2017: the only place the papers
    # record who approves the BCF Plan) is one; the discussion above it in the same minute is not
    narrated = [p for p in passages if "The Board confirmed that it was content" in " ".join(p.text.split())]
    assert narrated and narrated[0].is_decision and narrated[0].minute_number == "18"
    assert any(p.minute_number == "18" and not p.is_decision and "DTOC" in p.text for p in passages)


def test_every_passage_is_verbatim_and_within_one_segment():
    for name in EXPECTED:
        _, text, _, st, passages = parsed(name)
        bounds = [(s.start, s.end) for s in st.segments]
        for p in passages:
            assert text[p.char_start : p.char_end] == p.text
            assert any(a <= p.char_start and p.char_end <= b for a, b in bounds), (name, p.text[:60])


def test_passages_fit_the_model_window():
    count = tokenizer_counter(default_model_path())
    for name in EXPECTED:
        passages = parsed(name)[4]
        n = count([p.context + "\n" + p.text for p in passages])
        assert max(n) <= 254, name  # 256 minus [CLS] and [SEP]
        assert sum(n) / len(n) > 60  # not shredded into fragments


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("*", "")).strip()


@pytest.mark.slow
def test_every_gold_quote_lies_in_one_passage_on_its_page():
    gold = shared_or_skip("eval", "council-dev.jsonl")
    checked = 0
    for line in gold.read_text().splitlines():
        q = json.loads(line)
        for ev in q["evidence"]:
            name = ev["file"].replace(".txt", ".pdf")
            doc, text, starts, _, passages = parsed(name)
            quote = _norm(ev["quote"])
            holders = [p for p in passages if quote in _norm(p.text)]
            assert holders, (q["id"], quote[:60])
            # the page the quote starts on, found independently in the page texts
            first_words = quote[:40]
            pages = [pg.number for pg in doc.pages if first_words in _norm(pg.text)]
            assert pages, (q["id"], "quote start not found on any page")
            # the passage's (first) page is the page the quote is on
            assert any(h.page in pages for h in holders), (q["id"], [h.page for h in holders], pages)
            checked += 1
    assert checked >= 50


def test_plain_text_minutes_fixture():
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "minutes_excerpt.txt"
    doc = load_document(path)
    text, starts = join_pages(doc)
    st = analyse(doc, text, starts)
    assert st.meta.doc_type == "minutes"
    assert st.meta.meeting_date == "2015-03-03"
    assert st.meta.body == "Adults and Communities Overview and Scrutiny Committee"
    passages = chunk_document(doc, text, starts, st)
    assert {p.minute_number for p in passages} >= {"68", "69", "70"}
    assert all(p.page is None for p in passages)
    assert any(p.is_decision for p in passages)


def test_parse_agenda_two_line_items():
    lines = [
        "AGENDA",
        "1.",
        "Apologies for absence",
        "2. MINUTES OF THE LAST MEETING",
        "Appendix A",
        "(Pages 1 - 4)",
        "3. BUDGET 2017/18",
        "Appendix B",
        "(Pages 5 - 20)",
        "4. ANY OTHER BUSINESS",
        "Report text 5. not an item",
    ]
    items, end = parse_agenda(lines)
    assert [(i.number, i.appendix, i.pages) for i in items] == [(1, None, None), (2, "A", "1-4"), (3, "B", "5-20"), (4, None, None)]
    assert end == 10


def test_smart_title():
    assert smart_title("HEALTH AND WELLBEING BOARD") == "Health and Wellbeing Board"
    assert smart_title("Adults and Communities Overview") == "Adults and Communities Overview"


@pytest.mark.slow
def test_real_kent_pdfs_get_metadata():
    root = shared_or_skip("realpdf")
    minutes = next(root.rglob("Printed minutes 09th-Jan-2025*.pdf"))
    doc = load_document(minutes)
    text, starts = join_pages(doc)
    st = analyse(doc, text, starts)
    assert st.meta.council == "Kent County Council"
    assert st.meta.meeting_date == "2025-01-09"
    assert st.meta.doc_type == "minutes"
    passages = chunk_document(doc, text, starts, st)
    assert any(p.is_decision for p in passages)
    assert {"285"} <= {p.minute_number for p in passages}


def test_headings_and_heading_runs():
    from boardpapers.ingest.headings import is_heading

    assert is_heading("DELAYED TRANSFERS OF CARE")
    assert is_heading("4. Budget Overview")
    assert not is_heading("PART A")
    assert not is_heading("1. The purpose of this report is to update the Cabinet on the revised targets")
    assert not is_heading("The Board noted the report.")
    # a title block of capitalised lines does not become passages of its own
    for name in EXPECTED:
        passages = parsed(name)[4]
        tiny = [p for p in passages if len(p.text) < 40 and p.text.isupper()]
        assert len(tiny) <= 0.02 * len(passages), (name, [p.text for p in tiny][:5])


def _item_of(name: str, needle: str) -> str:
    passages = parsed(name)[4]
    holder = [p for p in passages if needle in " ".join(p.text.split())]
    assert holder, needle
    return holder[0].item or ""


def test_report_cover_sheets_start_their_agenda_items():
    """A report's cover sheet (meeting name, then 'Subject: <title>' or the title in capitals) starts the papers of
    the next agenda item even when its title is worded differently from the agenda's."""
    # 'Loneliness and social isolation' is agenda item 6 'Loneliness and Isolation Evidence Review'
    assert _item_of("000_f2458a1a6d162554.pdf", "This paper aims to provide information about the risks").startswith("6. Loneliness")
    # 'LSCB Annual Report' is item 7 'Local Children's Safeguarding Annual Report'; its budget table belongs to it
    assert _item_of("000_f2458a1a6d162554.pdf", "Leicester City Council 129,030 52.5").startswith("7. Local Children's Safeguarding")
    assert _item_of("000_f2458a1a6d162554.pdf", "The Autism Act became law in 2009").startswith("5. The 2016 Adult Autism")
    # '2015 CQC INSPECTION ACTION PLAN PROGRESS REPORT' (title in capitals under the meeting line) is item 8
    assert _item_of("002_932f3f7f4997683a.pdf", "Following the Care Quality Commission (CQC) comprehensive").startswith("8. Cqc Inspection")
    assert _item_of("002_932f3f7f4997683a.pdf", "The Council is in the middle of the most severe period").startswith(
        "7. Public Health Budget"
    )


def test_cover_sheet_rules():
    from boardpapers.ingest.model import LoadedDocument, Page

    def item_holding(body: list[list[str]], needle: str) -> str | None:
        agenda = [
            "EXAMPLE CITY COUNCIL",
            "CABINET",
            "Date: 4 May 2023",
            "AGENDA",
            "1. APOLOGIES FOR ABSENCE",
            "2. LIBRARY OPENING HOURS",
            "Appendix A",
            "3. WINTER GRITTING ROUTES",
            "Appendix B",
        ]
        pages = [Page(1, "\n".join(agenda)), *(Page(i + 2, "\n".join(b)) for i, b in enumerate(body))]
        doc = LoadedDocument(path="pack.pdf", kind="pdf", pages=pages)
        text, starts = join_pages(doc)
        st = analyse(doc, text, starts)
        return next(s.item for s in st.segments if needle in text[s.start : s.end])

    cover = ["EXAMPLE CITY CABINET", "DATE 4th May 2023", "Subject:"]
    first = [*cover, "Library opening hours", "Author:", "A. Officer", "The libraries will open at nine."]
    assert item_holding([["Appendix A"], first], "open at nine").startswith("2. Library Opening Hours")
    # the next report's title shares no word with any agenda title: it is the next item's paper all the same
    second = [*cover, "Highways maintenance in cold weather", "Author:", "B. Officer", "Salt stocks are full."]
    assert item_holding([["Appendix A"], first, second], "Salt stocks are full.").startswith("3. Winter Gritting Routes")
    # a second cover sheet that repeats the current item's words stays in that item
    again = [*cover, "Library opening hours: consultation responses", "Author:", "C. Officer", "Most replies agreed."]
    assert item_holding([["Appendix A"], first, again], "Most replies agreed.").startswith("2. Library Opening Hours")


def test_a_paragraphs_short_last_sentence_stays_with_it():
    """Packing units (start, end, starts_paragraph, tokens): a chunk that is full when its paragraph's last sentence
    comes takes that sentence when it is short (up to ORPHAN_TOKENS, overfilling by as much), instead of opening the
    next chunk with it alone. A longer last sentence, or one the paragraph goes on after, opens the next chunk."""
    from boardpapers.ingest.chunk import ORPHAN_TOKENS, pack_units

    def page(_):
        return 0

    def packed(units):
        return [[u[0] for u in ch] for ch in pack_units(units, page, 200)]

    short_end = [(0, 1, True, 69), (2, 3, True, 49), (4, 5, False, 69), (6, 7, False, 15), (8, 9, True, 30)]
    assert packed(short_end) == [[0, 2, 4, 6], [8]]
    long_end = [(0, 1, True, 69), (2, 3, True, 49), (4, 5, False, 69), (6, 7, False, ORPHAN_TOKENS + 1), (8, 9, True, 30)]
    assert packed(long_end) == [[0, 2, 4], [6, 8]]
    mid_paragraph = [(0, 1, True, 69), (2, 3, True, 49), (4, 5, False, 69), (6, 7, False, 15), (8, 9, False, 30)]
    assert packed(mid_paragraph) == [[0, 2, 4], [6, 8]]


def test_kent_budget_paragraph_stays_in_one_passage():
    """Kent's budget monitoring report (Cabinet 30 Jan 2025), paragraph 2.3: the sentence that gives the CYPE figure,
    'This contributes to £8.6m of the CYPE underspend.', is in the passage with the home to school transport sentence
    it is about, not alone at the top of the next one."""
    root = shared_or_skip("realpdf")
    doc = load_document(root / "cabinet/2025-01-30/originals/24-00108 - Revenue and Capital Budget Monitoring Report November 2024-25.pdf")
    text, starts = join_pages(doc)
    passages = chunk_document(doc, text, starts, analyse(doc, text, starts), tokenizer_counter(default_model_path()))
    [p] = [p for p in passages if "contributes to £8.6m of the CYPE underspend" in p.text]
    assert "Home to School & College Transport costs have been lower" in p.text
