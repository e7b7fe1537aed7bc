"""The Streamlit app (app.py and its views in ui/) under streamlit.testing: every view, the empty and error
states, and the upload-name sanitiser (ui/add.py). One small real index (two text files and a three-page PDF) per module."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
FIXTURES = ROOT / "tests" / "fixtures"

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest  # noqa: E402

SLOW_FIXTURES = {"small"}  # built with the real model (tests/conftest.py marks their tests slow)

INJECTIONS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))")

INJECTED_TXT = f"""Minutes of a meeting of the Cabinet held at the Town Hall, Leicester on Thursday, 15 December 2016.

45. Library opening hours.

The Cabinet considered a report of the Director on zebrafinch library opening hours. Consultation responses included {INJECTIONS[0]} and {INJECTIONS[1]} and {INJECTIONS[2]} which were recorded verbatim.

RESOLVED:

That the revised zebrafinch library opening hours be approved from 1 April 2017.

46. Any other business.

There was no other business.
"""


def _filler(tag: str, n: int) -> list[str]:
    return [f"{tag} paragraph {i}: the officers reported on budget line {i} and service area {tag.lower()} {i * 7}." for i in range(n)]


def make_small_corpus(folder: Path) -> Path:
    """Minutes excerpt (text), a page of minutes holding the injection strings and a RESOLVED
    decision (text), and a three-page agenda pack (PDF) whose page 2 is about kingfisher parking."""
    from pdfgen import make_pdf

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "minutes_excerpt.txt", folder / "minutes_excerpt.txt")
    (folder / "injected_minutes.txt").write_text(INJECTED_TXT, encoding="utf-8")
    make_pdf(
        folder / "cabinet_pack.pdf",
        [
            [
                "Leicester City Council",
                "Cabinet",
                "Monday, 6 March 2017 at 10.00 am",
                "AGENDA",
                "1. Apologies for absence",
                "2. Parking charges review",
                *_filler("Agenda", 25),
                "Page 1",
            ],
            [
                "2. Parking charges review",
                "Report of the Director of Highways",
                "The review of kingfisher parking charges in the city centre found",
                "that income fell by twelve per cent over the year.",
                *_filler("Highways", 30),
                "Page 2",
            ],
            [
                "3. Decision",
                "RESOLVED:",
                "That the kingfisher parking charges be frozen for a further year.",
                *_filler("Finance", 30),
                "Page 3",
            ],
        ],
        title="Cabinet agenda pack",
    )
    return folder


def make_small_index(root: Path) -> tuple[Path, Path]:
    """(index dir, corpus dir) of the small test index, built with the real bundled model."""
    from boardpapers.index.writer import ingest

    corpus = make_small_corpus(root / "corpus")
    index = root / "index"
    report = ingest([str(corpus)], index, workers=1)
    assert report.count("ingested") == 3, report.outcomes
    return index, corpus


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    index, corpus = make_small_index(root)
    return index, corpus


@pytest.fixture
def app_env(small, monkeypatch):
    index, corpus = small
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(index))
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(corpus))
    return index, corpus


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    return at


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def search(at, query: str, mode: str = "Search") -> AppTest:
    at.radio(key="view").set_value("Search")
    at.radio(key="mode").set_value(mode)
    at.text_input(key="query").set_value(query).run()
    assert not at.exception, at.exception
    return at


# ----------------------------------------------------------------- search


def test_search_shows_cited_highlighted_hits(app_env):
    at = search(run_app(), "zebrafinch library")
    md = markdown_text(at)
    assert re.search(r"\*\*\d+ passages? match(es)?\*\*", md)  # the honest count of matches
    assert '<span class="bp-badge">DECISION</span>' in md
    assert "Cabinet · 2016&#45;12&#45;15" in md  # citation line (escaped)
    assert "<mark>zebrafinch</mark>" in md
    # every copyable citation is a code block with the plain citation
    assert any("Cabinet · 2016-12-15" in c.value for c in at.code)


def test_injected_text_is_inert(app_env):
    at = search(run_app(), "zebrafinch consultation responses")
    md = markdown_text(at)
    assert "&lt;script&gt;alert&#40;1&#41;&lt;/script&gt;" in md
    assert "&lt;img src&#61;x onerror&#61;alert&#40;1&#41;&gt;" in md
    assert "&#91;x&#93;&#40;javascript&#58;alert&#40;1&#41;&#41;" in md
    for bad in ("<script", "<img", "](javascript:", "javascript:"):
        assert bad not in md


def test_search_filters_and_sort(app_env):
    at = run_app()
    at.checkbox(key="f_decisions").check()
    at.selectbox(key="f_sort").set_value("Newest first")
    at = search(at, "library opening hours")
    md = markdown_text(at)
    matches = md.count('<span class="bp-n">')
    cards = matches + md.count("RELATED · NOT A MATCH")  # every hit card: matches (numbered) and related ones (marked)
    assert matches >= 1
    assert md.count('<span class="bp-badge">DECISION</span>') == cards  # decisions only
    at.selectbox(key="f_body").set_value("Cabinet").run()
    assert not at.exception
    at.selectbox(key="f_council").set_value("Leicester City Council").run()
    assert not at.exception
    # the decision is in the text minutes, which carry no council: nothing matches now
    assert any("No passage matches" in i.value for i in at.info)


def test_off_topic_search_says_no_match_and_marks_related(app_env):
    at = search(run_app(), "winter gritting routes for 2016/17")
    assert any("No passage matches" in i.value for i in at.info)
    md = markdown_text(at)
    assert "The closest related passages — not matches" in md
    assert md.count("RELATED · NOT A MATCH") >= 1 and '<span class="bp-n">' not in md  # every card is marked, none numbered
    assert not at.get("download_button")  # nothing to export


def test_a_request_for_a_service_is_told_where_such_an_answer_is(app_env):
    """Nothing matches "how do I ..." here; the app says papers like these don't tell residents how, not "try other
    words" (index/service.py); a question about opening hours says they rarely state them."""
    at = search(run_app(), "how do I apply for a blue badge")
    info = " ".join(i.value for i in at.info)
    assert "No passage matches" in info and "don't tell residents how" in info and "Try other words" not in info
    at = search(at, "library opening hours on Saturday")
    assert any("rarely state opening hours" in i.value for i in at.info)


def test_search_bad_query_warns(app_env):
    at = search(run_app(), '"" ...')
    assert at.warning and not at.exception


def test_context_and_open_text_source(app_env):
    at = search(run_app(), "zebrafinch")
    assert any(e.label == "Surrounding passages" for e in at.expander)
    buttons = [b for b in at.button if b.key and b.key.startswith("open-")]
    buttons[0].click().run()
    assert not at.exception, at.exception
    md = markdown_text(at)
    assert 'id="bp-cited"' in md  # the passage inside its document
    assert "46&#46; Any other business" in md  # ...with the rest of the document around it
    at.button(key="close-source").click().run()
    assert 'id="bp-cited"' not in markdown_text(at)


def pdf_hit(index_dir: Path, query: str = "kingfisher income fell by twelve per cent") -> dict:
    """The hit for the PDF passage about kingfisher parking income (on page 2, maybe from page 1)."""
    from boardpapers.index.embedded import Index
    from boardpapers.index.search import search as do_search

    hits = do_search(Index(index_dir), query, k=10).hits
    return next(h for h in hits if h["path"].endswith("cabinet_pack.pdf") and "twelve per cent" in h["text"])


def test_open_pdf_source_at_page(app_env):
    q = "kingfisher income fell by twelve per cent"
    hit = pdf_hit(app_env[0], q)
    page, last = hit["page"], hit["page_end"]
    assert page <= 2 <= last
    at = search(run_app(), q)
    at.button(key=f"open-s-{hit['passage_id']}").click().run()
    assert not at.exception, at.exception
    assert at.session_state.source["page"] == page
    label = f"Page {page}" if last == page else f"Pages {page}–{last}"
    assert [t.label for t in at.tabs][:2] == [f"Page {page} of 3", f"{label} text"]
    assert not at.get("iframe")  # no PDF in a sandboxed frame (Chromium shows none there): the page as an image
    md = markdown_text(at)
    assert '<div class="bp-page"' in md and 'src="data:image/png;base64,' in md
    if page == 2:  # the passage's lines marked on the page image
        assert 'class="bp-hl"' in md
    doc = md[md.index('class="bp-doc"') :]
    doc = doc[: doc.index("</div>")]
    assert "over the year" in doc and "<mark>twelve</mark>" in doc  # the pages' extracted text...
    assert "Highways paragraph 29" in doc and "Finance paragraph" not in doc  # ...of the cited pages only
    assert len(at.get("download_button")) == 3  # the PDF itself (no PDF route under `streamlit run app.py`), beside the two exports
    at.button(key="src-next").click().run()
    assert not at.exception, at.exception
    assert at.session_state.source["page_shown"] == page + 1 and at.query_params["pg"] == str(page + 1)


def test_export_helpers_are_complete_and_formula_safe(app_env):
    from boardpapers.index.embedded import Index
    from boardpapers.index.search import search as do_search
    from boardpapers.ui.exports import hits_csv, hits_jsonl
    from boardpapers.ui.state import EXPORT_LIMIT, PAGE_SIZE

    ix = Index(app_env[0])
    hits = do_search(ix, "budget officers reported", k=EXPORT_LIMIT).hits
    assert len(hits) > PAGE_SIZE  # the export holds more than the visible page
    hits[0] = dict(hits[0], text='=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(hits_csv(hits))))
    assert len(rows) == len(hits)
    assert rows[0]["text"].startswith("'=")
    assert rows[0]["citation"]
    lines = hits_jsonl(hits).splitlines()
    assert len(lines) == len(hits)
    assert "seq" not in json.loads(lines[0]) and json.loads(lines[0])["citation"]


def test_export_buttons_and_more(app_env):
    at = search(run_app(), "budget officers reported")
    assert len(at.get("download_button")) == 2
    n = markdown_text(at).count('<span class="bp-n">')
    assert n == 10
    at.button(key="more").click().run()
    assert markdown_text(at).count('<span class="bp-n">') > n


# ----------------------------------------------------------------- ask / trace


def test_ask(app_env):
    at = search(run_app(), "What was decided about zebrafinch library opening hours?", mode="Ask")
    if not (ROOT / "index" / "answer.py").exists():
        assert any("not available" in i.value for i in at.info)
        return
    md = markdown_text(at)
    assert 'class="bp-answer"' in md
    assert "<sup>&#91;1&#93;</sup>" in md  # the [n] marker
    assert '<span class="bp-n">&#91;1&#93;</span>' in md  # ...and its source card
    assert '<span class="bp-badge">DECISION</span>' in md
    assert "Sources (" in md


def test_ask_abstains_with_related(app_env):
    at = search(run_app(), "What is the population of Mars?", mode="Ask")
    if not (ROOT / "index" / "answer.py").exists():
        pytest.skip("index/answer.py has not landed yet")
    assert at.warning and "No passage in the indexed papers is about this question" in at.warning[0].value
    assert "Mars" in at.warning[0].value  # the name no passage mentions (index/unnamed.py)
    md = markdown_text(at)
    assert "closest related passages" in md and 'class="bp-answer"' not in md
    assert "RELATED · NOT A MATCH" in md  # each related passage is marked


def test_ask_shows_matches_that_never_give_the_figure_asked(app_env):
    """The minutes are about the zebrafinch opening hours but give no count of responses: the app says so and lists
    them as the matches they are, not as related passages (index/answer.py, "unstated")."""
    at = search(run_app(), "How many consultation responses were there on zebrafinch library opening hours?", mode="Ask")
    assert at.warning and "none of the passages that match says how many" in at.warning[0].value
    md = markdown_text(at)
    assert "about the subject; none says how many" in md and 'class="bp-answer"' not in md
    assert "zebrafinch" in md and "RELATED · NOT A MATCH" not in md  # the minutes, shown as the match they are


def test_trace(app_env):
    at = run_app()
    at.radio(key="view").set_value("Trace").run()
    at.text_input(key="trace_topic").set_value("library opening hours").run()
    assert not at.exception, at.exception
    if not (ROOT / "index" / "trace.py").exists():
        assert any("not available" in i.value for i in at.info)
        return
    assert [m.label for m in at.metric][:1] == ["Meetings"]
    labels = " ".join(e.label for e in at.expander)
    assert "2016-12-15 · " in labels and "Cabinet" in labels
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    # a topic written as a head and its aspects: the view says so (index/aspects.py)
    at.text_input(key="trace_topic").set_value("kingfisher parking charges - income fall and freeze").run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "also judged by aspect&#58; kingfisher parking charges income fall; kingfisher parking charges freeze" in captions
    # its one match leaves room: the meeting's related passage follows, under a heading and a badge saying so
    md = markdown_text(at)
    assert "Related passages at this meeting — not judged matches" in md and "RELATED · NOT A MATCH" in md
    assert md.index("Related passages at this meeting") < md.index("RELATED · NOT A MATCH")


# ----------------------------------------------------------------- documents / add papers


def test_documents_view(app_env):
    at = run_app()
    at.radio(key="view").set_value("Documents").run()
    assert not at.exception, at.exception
    frames = at.dataframe
    assert len(frames) >= 2
    files = set(frames[0].value["file"])
    assert {"minutes_excerpt.txt", "injected_minutes.txt", "cabinet_pack.pdf"} <= files
    assert any("could not be indexed" in m.value for m in at.markdown)


def test_add_papers_view_renders(app_env):
    at = run_app()
    at.radio(key="view").set_value("Add papers").run()
    assert not at.exception, at.exception
    assert "50 MB per file" in markdown_text(at)
    assert at.button(key="add-go").disabled  # nothing chosen yet


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Minutes.PDF", "Minutes.pdf"),
        ("..hidden.pdf", "hidden.pdf"),
        ("a\x00b\x07c\u202e.pdf", "abc.pdf"),
        ("  spaced   name .txt", "spaced name.txt"),
        ("/", None),
        ("evil.exe", None),
        ("...", None),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        (".pdf", None),
    ],
)
def test_safe_filename(raw, expected):
    from boardpapers.ui import add as uploads

    if expected is None:
        with pytest.raises(ValueError):
            uploads.safe_filename(raw)
    else:
        assert uploads.safe_filename(raw) == expected
        assert len(uploads.safe_filename(raw)) <= uploads.NAME_MAX


def test_save_upload_dedupes_and_stays_inside(tmp_path):
    from boardpapers.ui import add as uploads

    corpus = tmp_path / "corpus"
    a = uploads.save_upload(corpus, "../pack.pdf", b"%PDF-1")
    b = uploads.save_upload(corpus, "pack.pdf", b"%PDF-2")
    c = uploads.save_upload(corpus, "sub/dir/pack.pdf", b"%PDF-3")
    assert [p.name for p in (a, b, c)] == ["pack.pdf", "pack-1.pdf", "pack-2.pdf"]
    assert all(p.parent == corpus.resolve() for p in (a, b, c))
    assert a.read_bytes() == b"%PDF-1"  # never overwritten
    long = uploads.save_upload(corpus, "y" * 200 + ".pdf", b"1")
    long2 = uploads.save_upload(corpus, "y" * 200 + ".pdf", b"2")
    assert len(long.name) <= 120 and len(long2.name) <= 120 and long != long2
    (corpus / "link.pdf").symlink_to(tmp_path / "elsewhere.pdf")
    d = uploads.save_upload(corpus, "link.pdf", b"x")
    assert d.name == "link-1.pdf" and not (tmp_path / "elsewhere.pdf").exists()
    assert not (tmp_path / "pack.pdf").exists()


# ----------------------------------------------------------------- empty and error states


@pytest.mark.slow
def test_no_index_offers_to_build(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "minutes_excerpt.txt", corpus / "minutes_excerpt.txt")
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(tmp_path / "none"))
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(corpus))
    at = run_app()
    assert at.info and "no index" in at.info[0].value
    assert any("boardpapers ingest" in c.value for c in at.code)
    btn = at.button(key="build-index")
    assert not btn.disabled
    btn.click().run()
    assert not at.exception, at.exception
    # the index now exists and the app opens on the search view
    assert (tmp_path / "none" / "CURRENT").exists()
    at = run_app()
    assert not at.info or "no index" not in at.info[0].value
    at = search(at, "urgent items")
    assert '<span class="bp-n">' in markdown_text(at)


def test_no_index_and_empty_corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(tmp_path / "none"))
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(tmp_path / "missing"))
    at = run_app()
    assert "put some there first" in at.info[0].value
    assert at.button(key="build-index").disabled


@pytest.mark.parametrize("name, value", [("BOARDPAPERS_STORE", "/not/a/url"), ("BOARDPAPERS_PG_POOL", "eight")])
def test_bad_setting_shows_error(app_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    at = run_app()
    assert at.error and name in at.error[0].value and repr(value) in at.error[0].value
    assert "Traceback" not in at.error[0].value


def test_damaged_manifest_shows_error(small, tmp_path, monkeypatch):
    index, corpus = small
    bad = tmp_path / "index"
    shutil.copytree(index, bad)
    gen = (bad / "CURRENT").read_text().strip()
    (bad / "gens" / gen / "manifest.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(bad))
    at = run_app()
    assert at.error and "unreadable" in at.error[0].value
    assert "Traceback" not in at.error[0].value


def test_other_model_index_shows_error(small, tmp_path, monkeypatch):
    index, _ = small
    bad = tmp_path / "index"
    shutil.copytree(index, bad)
    gen = (bad / "CURRENT").read_text().strip()
    mf = bad / "gens" / gen / "manifest.json"
    m = json.loads(mf.read_text())
    m["model"] = str(tmp_path / "no-such-model")
    mf.write_text(json.dumps(m))
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(bad))
    at = search(run_app(), "zebrafinch")
    assert at.error, [m.value for m in at.markdown]


# ----------------------------------------------------------------- decisions

VOTE_PAGES = [
    [
        "Kent County Council",
        "MINUTES of a meeting of the County Council held in the Council Chamber, Sessions House,",
        "County Hall, Maidstone on Thursday, 9 January 2025.",
        "PRESENT: Mr Baker, Mrs Bell, Ms Constantine, Mr R Lehmann, Mr Sole, Mr Streatfeild",
        "285. English Devolution White Paper",
        "(Item 3)",
        "(1) The Leader introduced the report on the heronsgate devolution priority programme.",
        "(2) Mr Streatfeild proposed and Mr Sole seconded the following amendment:",
        "Add at the end: and asks the Leader to consult residents.",
        "(3) The Chairman put the amendment set out in paragraph 2 to the vote and the voting",
        "was as follows:",
        "For (3)",
        "Mr Baker, Mrs Bell,",
        "Ms Constantine",
        "Against (0)",
        "Abstain (1)",
        "Mr R Lehmann",
        "Amendment carried.",
        "Page 1",
    ],
    [
        "(4) The Chairman put the substantive motion set out in paragraph 1 as amended to the",
        "vote and the voting was as follows:",
        "For (2)",
        "Mr Baker, Mrs Bell",
        "Against (2)",
        "Ms Constantine, Mr Lehmann",
        "Abstain (0)",
        "Substantive Motion carried.",
        "(5) RESOLVED that the County Council endorses joining the heronsgate devolution priority",
        "programme and asks the Leader to consult residents.",
        "286. Osprey library opening hours",
        "(Item 4)",
        f"(1) Mrs Bell proposed and Mr Baker seconded the motion that the osprey library open on Sundays {INJECTIONS[1]}.",
        "(2) The Chairman put the motion to the vote and the voting was as follows:",
        "For (1)",
        "Mrs Bell",
        "Against (3)",
        "Mr Baker, Ms Constantine, Mr Lehmann",
        "Motion lost.",
        "Page 2",
    ],
]


def make_decisions_index(root: Path) -> tuple[Path, Path]:
    """(index dir, corpus dir): two pages of council minutes with three recorded votes (an amendment, the substantive
    motion, a motion lost), indexed with the hash embedder: listing the register needs no model."""
    from conftest import HashEmbedder, build_index
    from pdfgen import make_pdf

    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    make_pdf(corpus / "council_minutes.pdf", VOTE_PAGES, title="Minutes of the County Council, 9 January 2025")
    report = build_index([corpus], root / "index", embedder=HashEmbedder())
    assert report.count("ingested") == 1, report.outcomes
    return root / "index", corpus


@pytest.fixture(scope="module")
def votes_index(tmp_path_factory):
    return make_decisions_index(tmp_path_factory.mktemp("votes"))


@pytest.fixture
def votes_env(votes_index, monkeypatch):
    index, corpus = votes_index
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(index))
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(corpus))
    return index, corpus


def open_decisions(at) -> AppTest:
    at.radio(key="view").set_value("Decisions").run()
    assert not at.exception, at.exception
    return at


def frame(at, column: str):
    """The table of the page with this column (the register has "kind", a member's record "position")."""
    return next(f.value for f in at.dataframe if column in f.value.columns)


def test_decisions_view_lists_the_register_with_vote_counts(votes_env):
    at = open_decisions(run_app())
    if not (ROOT / "index" / "decisions.py").exists():
        assert any("not available" in i.value for i in at.info)
        return
    df = frame(at, "kind")
    assert list(df["minute"]) == ["285", "285", "286"]  # one meeting: in the order of the minutes
    assert list(df["kind"]) == ["amendment", "substantive motion", "motion"]
    assert list(df["outcome"]) == ["carried", "carried", "lost"]
    assert [df["for"][i] for i in range(3)] == [3, 2, 1] and [df["against"][i] for i in range(3)] == [0, 2, 3]
    md = markdown_text(at)
    assert "**3 decisions** · newest meeting first" in md
    # the first decision in full: outcome, citation, mover, who voted which way
    assert '<span class="bp-out bp-out-carried">CARRIED</span>' in md
    assert "Minute 285&#58; English Devolution White Paper · p&#46; 1" in md
    assert "Proposed by Mr Streatfeild, seconded by Mr Sole" in md
    assert "**For (3)**" in md and "Mr Baker, Mrs Bell, Ms Constantine" in md and "**Abstain (1)**" in md
    assert {b.key for b in at.get("download_button")} == {"dl-dec-csv", "dl-dec-jsonl"}
    # the search view's document-type, decisions-only and sort filters do not apply here
    assert at.selectbox(key="f_sort").disabled and at.checkbox(key="f_decisions").disabled
    at.selectbox(key="dec_outcome").set_value("lost").run()
    assert list(frame(at, "kind")["title"]) == ["Osprey library opening hours"]


def test_decision_selected_is_shown_inert_and_opens_its_page(votes_env):
    at = open_decisions(run_app())
    if not (ROOT / "index" / "decisions.py").exists():
        pytest.skip("index/decisions.py has not landed yet")
    at.session_state["dec-table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    md = markdown_text(at)
    assert '<div class="bp-dtitle">Osprey library opening hours</div>' in md
    assert '<span class="bp-out bp-out-lost">LOST</span>' in md
    assert "&lt;img src&#61;x onerror&#61;alert&#40;1&#41;&gt;" in md and "<img" not in md  # the motion, as text
    assert "**Abstain** · not recorded" in md  # no Abstain line in the minutes: nothing invented
    at.session_state["dec-table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    (button,) = [b for b in at.button if b.key and b.key.startswith("open-dec-")]
    button.click().run()
    assert not at.exception, at.exception
    assert at.session_state.source["page"] == 2
    assert any(t.label.startswith("Page 2 of ") for t in at.tabs), [t.label for t in at.tabs]  # the minute at the page of the vote
    assert 'class="bp-hl"' in markdown_text(at)  # the resolution marked on the page image
    doc = markdown_text(at)
    doc = doc[doc.index('class="bp-doc"') :]
    assert '<span style="background:#fef9c3">' in doc and "RESOLVED that the County Council endorses" in doc


def test_member_voting_record(votes_env):
    at = open_decisions(run_app())
    if not (ROOT / "index" / "decisions.py").exists():
        pytest.skip("index/decisions.py has not landed yet")
    box = at.selectbox(key="dec_member")
    assert {"Mr Baker", "Mrs Bell", "Ms Constantine", "Mr R Lehmann"} <= set(box.options)  # names from the votes
    box.set_value("Ms Constantine").run()
    assert not at.exception, at.exception
    votes = frame(at, "position")
    assert list(votes["position"]) == ["for", "against", "against"]
    assert list(votes["motion"]) == ["amendment", "substantive motion", "motion"]
    assert "**Ms Constantine: 3 recorded votes** · For 1 · Against 2 · Abstain 0" in markdown_text(at)
    assert {"dl-votes-csv", "dl-votes-jsonl"} <= {b.key for b in at.get("download_button")}
    at.session_state["votes-table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    md = markdown_text(at)
    assert "Ms Constantine" in md and "<mark>Ms Constantine</mark>, Mr Lehmann" in md  # her name marked in the list
    assert [b.key for b in at.button if b.key and b.key.startswith("open-vote-")]  # the minute opens from here too


def test_decision_downloads_are_excel_csv_and_jsonl(votes_index):
    from boardpapers.index.decisions import register
    from boardpapers.index.embedded import Index
    from boardpapers.ui.decisions import csv_file, rows_jsonl

    reg = register(Index(votes_index[0]), member="Mr Lehmann")  # "Mr Lehmann" is also "Mr R Lehmann"
    assert [v["member"] for v in reg.votes] == ["Mr R Lehmann", "Mr Lehmann", "Mr Lehmann"]
    data = csv_file(reg.votes, "votes")
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["position"] for r in rows] == ["abstain", "against", "against"] and all(r["citation"] for r in rows)
    lines = rows_jsonl(reg.decisions).splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["votes"]["for"]["count"] == 3


def test_decisions_search_ranks_the_register(app_env):
    at = open_decisions(run_app())
    if not (ROOT / "index" / "decisions.py").exists():
        pytest.skip("index/decisions.py has not landed yet")
    at.text_input(key="dec_query").set_value("zebrafinch library opening hours").run()
    assert not at.exception, at.exception
    titles = list(frame(at, "kind")["title"])
    assert titles and "Library opening hours" in titles[0]
    assert "ranked by relevance to" in markdown_text(at)
    at.text_input(key="dec_query").set_value("winter gritting routes for 2016/17").run()
    assert any("No decision matches" in i.value for i in at.info)
