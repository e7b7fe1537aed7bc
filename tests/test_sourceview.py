"""The source view's parts without a browser: the page image with the passage located on it (ui.pageview), the PDF
route's document lookup (ui.papers), the URL <-> screen state (ui.links), the landing page's example searches
(index.examples), the trace chart's colours, and the CSV files Excel opens as UTF-8."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import HashEmbedder, build_index
from pdfgen import make_pdf

from boardpapers.ui.links import params_of, state_of
from boardpapers.ui.pageview import PageError, passage_spans, render_page
from boardpapers.ui.papers import paper_url, pdf_path

PARKING = "The review of kingfisher parking charges in the city centre found that income fell by twelve per cent over the year."


@pytest.fixture
def pack(tmp_path) -> Path:
    return make_pdf(
        tmp_path / "pack.pdf",
        [
            ["Cabinet", "Monday, 6 March 2017", "AGENDA", "1. Apologies for absence", "Page 1"],
            [
                "2. Parking charges review",
                "Report of the Director of Highways",
                "The review of kingfisher parking charges in the city centre found",
                "that income fell by twelve per cent over the year.",
                *[f"Highways paragraph {i}: the officers reported on budget line {i}." for i in range(30)],
                "Page 2",
            ],
        ],
    )


def test_page_image_marks_the_passage_lines(pack):
    img = render_page(pack, 2, PARKING)
    assert img.png.startswith(b"\x89PNG") and img.pages == 2 and img.size[0] == 1200
    assert len(img.boxes) == 2  # the passage's two lines
    (x0, y0, w0, h0), (x1, y1, w1, h1) = img.boxes
    assert 0 < y0 < y1 < 0.3 and 0 < x0 < 0.2 and 0 < h0 < 0.05  # near the top of the page, one line high each
    assert all(0 <= v <= 1 for b in img.boxes for v in b)
    assert render_page(pack, 1, PARKING).boxes == []  # not on page 1: nothing marked
    assert render_page(pack, 2, "").boxes == []


def test_page_errors_are_messages(pack, tmp_path):
    with pytest.raises(PageError, match="has no page 3"):
        render_page(pack, 3, PARKING)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(PageError, match="bad.pdf"):
        render_page(bad, 1)


def test_passage_found_by_its_words_despite_cleaning():
    page = "Cabinet — 6 March 2017\nThe board agreed the well-\nbeing strategy for 2017 and asked officers to report back in June.\nPage 4"
    passage = "The board agreed the wellbeing strategy for 2017 and asked officers to report back in June."  # header and hyphen cleaned
    spans = passage_spans(page, passage)
    assert len(spans) == 1
    start, end = spans[0]
    assert page[start:end].startswith("The board agreed") and page[start:end].endswith("back in June")
    assert passage_spans(page, "nothing of the sort appears here at all") == []
    assert passage_spans(page, "asked officers whether any parks were sold") == []  # two words in common are chance


def test_route_serves_only_indexed_pdfs(tmp_path, pack):
    text = tmp_path / "minutes.txt"
    text.write_text("minutes")
    docs = [
        {"doc_id": "a1", "path": str(tmp_path / "gone.pdf"), "paths": [str(tmp_path / "gone.pdf"), str(pack)]},
        {"doc_id": "b2", "path": str(text), "paths": [str(text)]},
    ]
    assert pdf_path(docs, "a1") == pack  # the first of its paths still there
    assert pdf_path(docs, "b2") is None  # not a PDF
    for bad in ("zz", "../../etc/passwd", str(pack), ""):
        assert pdf_path(docs, bad) is None
    assert paper_url("a/../b", 7) == "/papers/a%2F..%2Fb.pdf#page=7"


FACETS = {"council": ["Leicester City Council"], "body": ["Health and Wellbeing Board"], "doc_type": ["minutes"]}


def test_url_round_trip_and_untrusted_values():
    state = {
        "view": "Search",
        "mode": "Search",
        "query": "  better care fund ",
        "f_council": "Leicester City Council",
        "f_body": "All bodies",
        "f_type": "minutes",
        "f_since": dt.date(2016, 1, 1),
        "f_until": None,
        "f_decisions": True,
        "f_sort": "Newest first",
        "source": {"passage_id": "abc-00012", "opened_in": "s-abc-00012", "page_shown": 14},
    }
    p = params_of(state)
    assert p == {
        "q": "better care fund",
        "council": "Leicester City Council",
        "type": "minutes",
        "since": "2016-01-01",
        "decisions": "1",
        "sort": "newest",
        "src": "abc-00012",
        "pg": "14",
    }
    back = state_of(p, FACETS)
    assert back["query"] == "better care fund" and back["f_council"] == "Leicester City Council" and back["f_body"] == "All bodies"
    assert back["f_since"] == dt.date(2016, 1, 1) and back["f_until"] is None and back["f_sort"] == "Newest first"
    assert back["source"] == {"passage_id": "abc-00012", "opened_in": None, "page_shown": 14}
    assert params_of({**state, **back}) == p
    hostile = state_of({"view": "nope", "council": "<script>", "since": "2016-13-45", "sort": "x", "pg": "-3", "src": "z"}, FACETS)
    assert hostile["view"] == "Search" and hostile["f_council"] == "All councils" and hostile["f_since"] is None
    assert hostile["f_sort"] == "Relevance" and hostile["source"]["page_shown"] is None
    trace = state_of({"view": "trace", "q": "library opening hours"}, FACETS)
    assert trace["view"] == "Trace" and trace["trace_topic"] == "library opening hours" and "query" not in trace
    assert params_of({"view": "Decisions", "dec_query": "devolution", "source": {"passage_id": "p", "decision_id": "d"}}) == {
        "view": "decisions",
        "q": "devolution",
    }


def test_trace_chart_gives_each_council_and_body_its_own_colour():
    from boardpapers.ui.trace import timeline_chart

    hwb = "Health and Wellbeing Board"
    meetings = [
        {"meeting_date": "2016-12-15", "council": "Leicester City Council", "body": hwb, "passages": 3},
        {"meeting_date": "2017-09-21", "council": "Leicestershire County Council", "body": hwb, "passages": 5},
        {
            "meeting_date": "2017-01-04",
            "council": "Leicester City Council",
            "body": "Health and Wellbeing Scrutiny Commission",
            "passages": 1,
        },
        {"meeting_date": None, "council": "Leicester City Council", "body": hwb, "passages": 1},
    ]
    spec = timeline_chart(meetings).to_dict()
    color = next(layer["encoding"]["color"] for layer in spec["layer"] if "color" in layer.get("encoding", {}))
    domain, colours = color["scale"]["domain"], color["scale"]["range"]
    assert color["field"] == "who" and len(domain) == 3 == len(set(colours))
    assert f"{hwb} · Leicester City Council" in domain and f"{hwb} · Leicestershire County Council" in domain
    assert timeline_chart([{"meeting_date": None, "body": hwb}]) is None
    assert x_axis(spec) == {"format": "%b %Y", "interval": "month"}  # nine months of meetings: one tick a month


def x_axis(spec: dict) -> dict:
    axis = next(layer["encoding"]["x"]["axis"] for layer in spec["layer"] if "x" in layer.get("encoding", {}))
    return {"format": axis["format"], "interval": axis["tickCount"]["interval"]}


def test_trace_chart_of_a_few_weeks_labels_its_ticks_by_day():
    """Two meetings three weeks apart (Kent's devolution trace: 9 and 30 January 2025): labels by month would read
    "Jan 2025" under every tick."""
    from boardpapers.ui.trace import timeline_chart

    meetings = [
        {"meeting_date": "2025-01-09", "council": "Kent County Council", "body": "County Council", "passages": 49},
        {"meeting_date": "2025-01-30", "council": "Kent County Council", "body": "Cabinet", "passages": 4},
    ]
    assert x_axis(timeline_chart(meetings).to_dict()) == {"format": "%d %b %Y", "interval": "week"}
    assert x_axis(timeline_chart(meetings[:1]).to_dict())["format"] == "%d %b %Y"  # one meeting: its day


def test_examples_come_from_the_glossary_and_skip_who_is_who():
    from boardpapers.index.examples import candidates

    class Fake:
        facets = {"council": ["Leicester City Council"], "body": ["Health and Wellbeing Board"]}
        glossary = {
            "BCF": ["Better Care Fund"],
            "UHL": ["University Hospitals of Leicester"],  # a place of the index's council
            "HWB": ["Health and Wellbeing Board"],  # a body of the index
            "ED": ["Emergency Department", "Emergency Dept"],
            "X": ["Xylophone"],  # one word
            "LONG": ["a b c d e f g"],
        }

    assert candidates(Fake()) == ["Better Care Fund", "Emergency Department"]


def test_examples_on_an_index_without_a_glossary_are_none(tmp_path):
    from boardpapers.index.embedded import Index
    from boardpapers.index.examples import example_queries

    src = tmp_path / "src"
    src.mkdir()
    (src / "m.txt").write_text("Minutes of the Cabinet held on 1 May 2020.\n\n1. Parks\n\nThe Cabinet noted the parks report.\n")
    build_index([src], tmp_path / "idx", HashEmbedder())
    assert example_queries(Index(tmp_path / "idx")) == []


def test_examples_return_strong_matches_on_real_packs(real_index):
    from boardpapers.index.embedded import Index
    from boardpapers.index.examples import example_queries
    from boardpapers.index.search import search

    index = Index(real_index)
    examples = example_queries(index)
    assert len(examples) >= 3
    for q in examples:  # as the app runs them: hybrid, the real model, judged
        res = search(index, q, k=10)
        strong = [h for h in res.hits if h["match"] == "strong"]
        assert res.matches >= 3 and len(strong) >= 3, (q, res.matches)


def _bom_csv(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1  # Excel, double-clicked, reads UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_decisions_csv_file_has_a_bom(tmp_path, capsys):
    from boardpapers.cli import main

    src = tmp_path / "src"
    src.mkdir()
    (src / "m.txt").write_text(
        "Minutes of a meeting of the Cabinet held on 2 May 2017.\n\n12. Quokka sanctuary – £40,000 “grant”.\n\n"
        "RESOLVED:\n\nThat the quokka sanctuary be funded at £40,000.\n",
        encoding="utf-8",
    )
    build_index([src], tmp_path / "idx", HashEmbedder())
    out = tmp_path / "decisions.csv"
    assert main(["decisions", "--index", str(tmp_path / "idx"), "--format", "csv", "-o", str(out)]) == 0
    rows = _bom_csv(out)
    assert rows and "£40,000" in rows[0]["resolution"]
    capsys.readouterr()
    assert main(["decisions", "--index", str(tmp_path / "idx"), "--format", "csv"]) == 0
    assert not capsys.readouterr().out.startswith("\ufeff")  # standard output (pipes) has none


def test_trace_csv_file_has_a_bom(real_index, tmp_path):
    from boardpapers.cli import main

    out = tmp_path / "trace.csv"
    assert main(["trace", "library services", "--index", str(real_index), "--format", "csv", "-o", str(out)]) == 0
    rows = _bom_csv(out)
    assert rows and all(r["citation"] for r in rows)


def test_app_csv_download_has_a_bom():
    from boardpapers.ui.exports import hits_csv_file

    hit = {"rank": 1, "passage_id": "p", "text": "£5m – “capital”", "council": "C", "body": "B", "meeting_date": "2017-01-01", "page": 1}
    data = hits_csv_file([hit])
    assert data.startswith(b"\xef\xbb\xbf") and "£5m – “capital”" in data.decode("utf-8-sig")
