"""Meeting context (ingest/context.py, index/meetings.py): each rule of where a document's meeting comes from, its
provenance in the store, in JSON hits and in `info`; human titles; per-passage document types and the type filter."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import HashEmbedder, build_index

from boardpapers.index.embedded import Index
from boardpapers.index.query import Filters
from boardpapers.index.search import search
from boardpapers.index.store import Store
from boardpapers.ingest.context import Paper, meeting_folder, name_date, passage_type, resolve
from boardpapers.ingest.docmeta import document_meta
from boardpapers.ingest.model import LoadedDocument, Page

FRONTSHEET = """AGENDA
CABINET
Thursday, 30th January, 2025, at 10.00 am
Kent County Council
Members of the Cabinet are summoned to attend. Items of business:
1. Apologies
2. Treasury Management Strategy
"""
FRONTSHEET_MARCH = FRONTSHEET.replace("Thursday, 30th January, 2025", "Tuesday, 4th March, 2025")
APPENDIX = """Appendix L
Treasury Management Strategy 2025-26
The Council holds substantial sums and manages its borrowing prudently. The strategy was first drafted in a
paper dated 18 December 2024 and the borrowing limit applies until 31 March 2026. Zebrafinch lending is capped.
"""
REPORT_OWN_MEETING = """From: Peter Oakford, Cabinet Member for Finance
To: Cabinet – 4 March 2025
Subject: Late changes to the budget
Summary: this paper sets out the late changes to the budget. Quokka reserves are unchanged.
"""
PLAIN = """Capital programme notes
The programme runs to 31 March 2030 and was last reviewed on 16 December 2024. Narwhal projects are listed.
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _meta(text: str):
    return document_meta(LoadedDocument(path="x.txt", kind="text", pages=[Page(None, text)]), text)


def _docs(idx: Path) -> dict[str, dict]:
    s = Store(idx, readonly=True)
    try:
        return {str(Path(d["path"]).relative_to(idx.parent / "papers")): d for d in s.documents()}
    finally:
        s.close()


# --- rules, parse level


def test_a_date_merely_mentioned_in_a_report_is_not_its_meeting():
    m = _meta(APPENDIX)
    assert m.meeting_date is None  # not 2024-12-18, not 2026-03-31
    assert _meta(PLAIN).meeting_date is None
    assert _meta(REPORT_OWN_MEETING).meeting_date == "2025-03-04"  # 'To: Cabinet – 4 March 2025' states it
    assert _meta(FRONTSHEET).meeting_date == "2025-01-30"


def test_a_council_a_paper_mentions_in_passing_is_not_its_council():
    """A county's capital programme lists a district's project twice, 50 pages in: the paper is not that district's
    (Kent's Appendix B was filed under "Folkestone and Hythe District Council"). A council the first pages never name
    is the paper's only when the rest names it throughout."""
    opening = "Appendix B - Capital Investment Summary 2025-26 to 2034-35\n" + "Row 12 Highways maintenance 4,200 1,100\n" * 400
    project = "Town centre works delivered on behalf of Folkestone and Hythe District Council 15,953 5,254\n"
    assert _meta(opening + project * 2).council is None
    assert _meta(opening + project * 3).council == "Folkestone and Hythe District Council"
    assert _meta("Kent County Council\nCabinet - 30 January 2025\n" + opening + project * 2).council == "Kent County Council"


def test_a_paper_its_file_calls_an_appendix_is_cited_by_that_name():
    """Kent's Appendix F is a table whose first line reads as its title ("Headline Description Brief Description
    2025-26"); the agenda calls it Appendix F, as its file name does. An appendix whose content gives its own label,
    and a report, keep the content's title."""
    folder = "/p/cab/2025-01-30/originals/"
    table = Paper(
        folder + "Appendix F List of Budget Templates.pdf", {"title": "Headline Description Brief Description 2025-26", "doc_type": "other"}
    )
    labelled = Paper(
        folder + "Appendix L - TMS.pdf", {"title": "Appendix L - Treasury Management Strategy 2025-26", "doc_type": "appendix"}
    )
    report = Paper(folder + "Appendix A - Planning Inspectors Report.pdf", {"title": "Inspectors Report For MWLP", "doc_type": "report"})
    ctx = resolve([table, labelled, report])
    assert (ctx[table.path].values["title"], ctx[table.path].provenance["title"]) == ("Appendix F List of Budget Templates", "file name")
    assert ctx[labelled.path].values["title"] == "Appendix L - Treasury Management Strategy 2025-26"
    assert ctx[report.path].values["title"] == "Inspectors Report For MWLP"


def test_names_of_folders_and_files_carry_dates():
    assert name_date("2025-01-30") == "2025-01-30"
    assert name_date("30-Jan-2025") == "2025-01-30"
    assert name_date("Agenda frontsheet 30th-Jan-2025 10.00 Cabinet.pdf") == "2025-01-30"
    assert name_date("Appendix I Budget Risk Register 22.01.25.pdf") is None
    folder, d = meeting_folder("/x/cabinet/2025-01-30/originals/Appendix L.pdf")
    assert (folder.name, d) == ("2025-01-30", "2025-01-30")
    assert meeting_folder("/x/papers/a.pdf") == (Path("/x/papers"), None)


def test_resolve_rules_in_order():
    base = {"council": None, "body": None, "title": "T", "doc_type": "report"}
    front = Paper(
        "/p/cab/2025-01-30/originals/front.pdf",
        {**base, "doc_type": "agenda", "meeting_date": "2025-01-30", "council": "Kent County Council", "body": "Cabinet"},
    )
    app = Paper("/p/cab/2025-01-30/originals/app.pdf", {**base, "meeting_date": None})
    own = Paper("/p/cab/2025-01-30/originals/own.pdf", {**base, "meeting_date": "2025-03-04", "body": "Cabinet"})
    mins = Paper("/p/cab/2025-01-30/originals/mins.pdf", {**base, "doc_type": "minutes", "meeting_date": "2025-01-09"})
    folder = Paper("/p/cab/10-Feb-2025/app.pdf", {**base, "meeting_date": None})
    fname = Paper("/p/misc/Appendix B 12th-Feb-2025 Cabinet.pdf", {**base, "meeting_date": None})
    none = Paper("/p/misc/notes.pdf", {**base, "meeting_date": None})
    fixed = Paper("/p/misc/fixed.pdf", {**base, "meeting_date": "2020-01-01"}, {"meeting_date": ("2021-05-05", "fetched")})
    ctx = resolve([front, app, own, mins, folder, fname, none, fixed])

    def got(p):
        c = ctx[p.path]
        return c.values["meeting_date"], c.provenance.get("meeting_date")

    assert got(front) == ("2025-01-30", "content")
    assert got(app) == ("2025-01-30", "frontsheet")
    assert ctx[app.path].values["council"] == "Kent County Council" and ctx[app.path].provenance["council"] == "frontsheet"
    assert got(own) == ("2025-03-04", "content")  # states its own meeting: kept
    assert got(mins) == ("2025-01-30", "frontsheet")  # earlier minutes in this meeting's papers
    assert got(folder) == ("2025-02-10", "folder")
    assert got(fname) == ("2025-02-12", "file name")
    assert got(none) == (None, None)
    assert got(fixed) == ("2021-05-05", "fetched")


def test_an_undated_folder_of_several_meetings_gives_no_meeting_to_other_papers():
    """A flat folder (corpus/, a user's downloads) is not one meeting's: its packs' meetings are not given to papers
    that state none, and a paper that states its own meeting keeps it -- with no council borrowed from another's."""
    base = {"council": None, "body": None, "title": "T", "doc_type": "report"}
    pack = {**base, "doc_type": "agenda", "council": "Leicester City Council", "body": "Cabinet"}
    jan = Paper("/p/flat/jan.pdf", {**pack, "meeting_date": "2017-01-04"})
    mar = Paper("/p/flat/mar.pdf", {**pack, "meeting_date": "2017-03-06"})
    report = Paper("/p/flat/report.pdf", {**base, "meeting_date": None})
    ctx = resolve([jan, mar, report])
    assert ctx[report.path].values["meeting_date"] is None and ctx[report.path].values["council"] is None
    # one pack in an undated folder: minutes of another meeting keep their own date, and no council is borrowed
    mins = Paper("/p/one/mins.txt", {**base, "doc_type": "minutes", "meeting_date": "2016-12-15", "body": "Cabinet"})
    ctx = resolve([Paper("/p/one/pack.pdf", mar.parsed), mins])
    assert ctx[mins.path].values["meeting_date"] == "2016-12-15" and ctx[mins.path].provenance["meeting_date"] == "content"
    assert ctx[mins.path].values["council"] is None


def test_minutes_of_another_body_on_the_same_day_keep_their_body():
    """Kent's Cabinet and County Council both met on 9 January 2025: in one folder with the Council's frontsheet, the
    Cabinet's minutes are still the Cabinet's, while a report that names no body, or one in passing, is the Council's."""
    base = {"council": None, "body": None, "title": "T", "doc_type": "report", "meeting_date": "2025-01-09"}
    front = Paper("/p/jan/front.pdf", {**base, "doc_type": "agenda", "council": "Kent County Council", "body": "County Council"})
    mins = Paper("/p/jan/cabinet minutes.pdf", {**base, "doc_type": "minutes", "body": "Cabinet"})
    report = Paper("/p/jan/report.pdf", {**base, "body": "Cabinet"})
    ctx = resolve([front, mins, report])
    assert ctx[mins.path].values["body"] == "Cabinet" and ctx[mins.path].provenance["body"] == "content"
    assert ctx[mins.path].values["council"] == "Kent County Council"
    assert ctx[report.path].values["body"] == "County Council" and ctx[report.path].provenance["body"] == "frontsheet"


def test_titles_from_content():
    assert _meta(APPENDIX).title == "Appendix L - Treasury Management Strategy 2025-26"
    assert _meta(APPENDIX).doc_type == "appendix"
    assert _meta(FRONTSHEET).title == "Agenda for the Cabinet, 30 January 2025"
    minutes = "KENT COUNTY COUNCIL\nCABINET\nMINUTES of a meeting of the Cabinet held at County Hall on Thursday, 30 January 2025.\nPRESENT: Mr A\n"
    assert _meta(minutes).title == "Minutes of the Cabinet, 30 January 2025"
    assert _meta(REPORT_OWN_MEETING).title == "Late changes to the budget"


def test_passage_types_follow_the_section_of_a_pack():
    assert passage_type("agenda", "minutes") == "minutes"
    assert passage_type("agenda", "appendix") == "appendix"
    assert passage_type("agenda", "agenda") == "agenda"
    assert passage_type("appendix", "report") == "appendix"
    assert passage_type("report", "report") == "report"


# --- through ingest, search and info


def _meeting_papers(tmp_path: Path) -> Path:
    papers = tmp_path / "papers"
    _write(papers / "cabinet/2025-01-30/originals/Agenda frontsheet.txt", FRONTSHEET)
    _write(papers / "cabinet/2025-01-30/originals/Appendix L.txt", APPENDIX)
    _write(papers / "cabinet/2025-01-30/originals/Late changes.txt", REPORT_OWN_MEETING)
    _write(papers / "cabinet/10-Feb-2025/notes.txt", PLAIN)
    _write(papers / "misc/Appendix B 12th-Feb-2025 Cabinet.txt", PLAIN.replace("Narwhal", "Okapi"))
    _write(papers / "misc/undated.txt", PLAIN.replace("Narwhal", "Axolotl"))
    return papers


def test_ingest_gives_each_document_its_meeting_and_provenance(tmp_path):
    papers = _meeting_papers(tmp_path)
    idx = tmp_path / "idx"
    build_index([papers], idx, HashEmbedder())
    docs = _docs(idx)
    app = docs["cabinet/2025-01-30/originals/Appendix L.txt"]
    assert (app["meeting_date"], app["sources"]["meeting_date"]) == ("2025-01-30", "frontsheet")
    assert (app["council"], app["body"]) == ("Kent County Council", "Cabinet")
    assert app["title"] == "Appendix L - Treasury Management Strategy 2025-26"
    own = docs["cabinet/2025-01-30/originals/Late changes.txt"]
    assert (own["meeting_date"], own["sources"]["meeting_date"]) == ("2025-03-04", "content")
    folder = docs["cabinet/10-Feb-2025/notes.txt"]
    assert (folder["meeting_date"], folder["sources"]["meeting_date"]) == ("2025-02-10", "folder")
    fname = docs["misc/Appendix B 12th-Feb-2025 Cabinet.txt"]
    assert (fname["meeting_date"], fname["sources"]["meeting_date"]) == ("2025-02-12", "file name")
    undated = docs["misc/undated.txt"]
    assert undated["meeting_date"] is None and "meeting_date" not in undated["sources"]
    # passages take the document's meeting
    s = Store(idx, readonly=True)
    dates = {r["meeting_date"] for r in s.con.execute("SELECT meeting_date FROM passages WHERE doc_id=?", (app["doc_id"],))}
    s.close()
    assert dates == {"2025-01-30"}
    # JSON hits carry the provenance; the date filter finds the appendix by its inherited date
    ix = Index(idx)
    try:
        hits = search(ix, "zebrafinch lending", embedder=HashEmbedder(), mode="bm25", related=False).hits
        assert hits and hits[0]["meeting_date"] == "2025-01-30"
        assert hits[0]["provenance"]["meeting_date"] == "frontsheet"
        assert hits[0]["title"] == "Appendix L - Treasury Management Strategy 2025-26"
        only = search(
            ix, "zebrafinch", embedder=HashEmbedder(), mode="bm25", related=False, filters=Filters(since="2025-01-30", until="2025-01-30")
        ).hits
        assert only and all(h["meeting_date"] == "2025-01-30" for h in only)
        appendix = search(
            ix, "zebrafinch lending", embedder=HashEmbedder(), mode="bm25", related=False, filters=Filters(doc_type="appendix")
        ).hits
        assert appendix and {h["doc_type"] for h in appendix} == {"appendix"}
        assert not search(
            ix, "quokka reserves", embedder=HashEmbedder(), mode="bm25", related=False, filters=Filters(doc_type="appendix")
        ).hits
        assert search(ix, "quokka reserves", embedder=HashEmbedder(), mode="bm25", related=False, filters=Filters(doc_type="report")).hits
        assert "appendix" in ix.facets["doc_type"]
    finally:
        ix.store.close()


def test_a_manifest_row_wins_and_a_fetched_row_says_so(tmp_path):
    papers = _meeting_papers(tmp_path)
    (papers / "cabinet/2025-01-30/originals/manifest.csv").write_text(
        "path,meeting_date,body,fetched_at\nAppendix L.txt,2025-02-02,,\nLate changes.txt,2025-03-05,Cabinet,2025-03-01T10:00:00Z\n"
    )
    idx = tmp_path / "idx"
    build_index([papers / "cabinet/2025-01-30/originals"], idx, HashEmbedder())
    docs = _docs(idx)
    app = docs["cabinet/2025-01-30/originals/Appendix L.txt"]
    assert (app["meeting_date"], app["sources"]["meeting_date"]) == ("2025-02-02", "manifest")
    own = docs["cabinet/2025-01-30/originals/Late changes.txt"]
    assert (own["meeting_date"], own["sources"]["meeting_date"], own["sources"]["body"]) == ("2025-03-05", "fetched", "fetched")


def test_one_file_in_two_meetings_folders_is_one_document_with_each_meeting(tmp_path):
    papers = tmp_path / "papers"
    _write(papers / "cabinet/2025-01-30/Agenda frontsheet.txt", FRONTSHEET)
    _write(papers / "cabinet/2025-03-04/Agenda frontsheet.txt", FRONTSHEET_MARCH)
    _write(papers / "cabinet/2025-01-30/Appendix L.txt", APPENDIX)
    shutil.copy(papers / "cabinet/2025-01-30/Appendix L.txt", papers / "cabinet/2025-03-04/Appendix L.txt")
    idx = tmp_path / "idx"
    build_index([papers], idx, HashEmbedder())
    s = Store(idx, readonly=True)
    docs = [d for d in s.documents() if Path(d["path"]).name == "Appendix L.txt"]
    s.close()
    assert len(docs) == 1 and len(docs[0]["paths"]) == 2
    meetings = {Path(p).parent.name: c["meeting_date"] for p, c in docs[0]["path_contexts"].items()}
    assert meetings == {"2025-01-30": "2025-01-30", "2025-03-04": "2025-03-04"}
    ix = Index(idx)
    try:
        hit = search(ix, "zebrafinch lending", embedder=HashEmbedder(), mode="bm25", related=False).hits[0]
    finally:
        ix.store.close()
    shown = {(Path(hit["path"]).parent.name, hit["meeting_date"])} | {
        (Path(x["path"]).parent.name, x["meeting_date"]) for x in hit["also_in"]
    }
    assert shown == {("2025-01-30", "2025-01-30"), ("2025-03-04", "2025-03-04")}


def test_info_counts_sources_and_lists_provenance(tmp_path, capsys):
    from boardpapers.cli import main

    papers = _meeting_papers(tmp_path)
    idx = tmp_path / "idx"
    build_index([papers], idx, HashEmbedder())
    assert main(["info", "--index", str(idx), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["meeting_sources"]["meeting_date"] == {"content": 2, "frontsheet": 1, "folder": 1, "file name": 1, "unknown": 1}
    by_name = {Path(d["path"]).name: d for d in info["documents_list"]}
    assert by_name["Appendix L.txt"]["provenance"]["meeting_date"] == "frontsheet"
    assert main(["info", "--index", str(idx)]) == 0
    text = capsys.readouterr().out
    assert "Appendix L - Treasury Management Strategy 2025-26" in text and "2025-01-30 (frontsheet)" in text


PACK_PAGES = [
    ["AGENDA", "CABINET", "Thursday, 30th January, 2025, at 10.00 am", "Kent County Council",
     "Members of the Cabinet are summoned to attend. Items of business:", "1. Apologies",
     "2. Minutes of the meeting held on 9 January 2025 (Pages 2 - 2)", "3. Treasury Management Strategy (Pages 3 - 4)"],
    ["MINUTES of a meeting of the Cabinet held at County Hall on Thursday, 9 January 2025.", "PRESENT: Mr A (Chairman), Mr B",
     "1. Apologies", "Apologies were received from Mr C about the gibbon survey.", "RESOLVED that the gibbon survey be noted.",
     "The meeting closed at 11.00 am."],
    ["Agenda Item 3", "From: Peter Oakford, Cabinet Member for Finance", "To: Cabinet - 30 January 2025",
     "Subject: Treasury Management Strategy", "Summary: the strategy on borrowing and the tapir fund."],
    ["Appendix A", "Prudential indicators", "The pangolin limits for borrowing are listed here."],
]  # fmt: skip


def test_a_packs_passages_have_their_own_types_and_the_type_filter_uses_them(tmp_path):
    from pdfgen import make_pdf

    papers = tmp_path / "papers"
    folder = papers / "cabinet/2025-01-30/public_packs"
    folder.mkdir(parents=True)
    make_pdf(
        folder / "Public reports pack 30th-Jan-2025 10.00 Cabinet.pdf",
        PACK_PAGES,
        title="(Public Pack)Agenda Document for Cabinet, 30/01/2025 10:00",
    )
    idx = tmp_path / "idx"
    build_index([papers], idx, HashEmbedder())
    ix = Index(idx)
    try:
        assert {"agenda", "minutes", "report", "appendix"} <= set(ix.facets["doc_type"])

        def found(q, kind):
            return search(ix, q, embedder=HashEmbedder(), mode="bm25", related=False, filters=Filters(doc_type=kind)).hits

        gibbon = found("gibbon survey", "minutes")
        assert gibbon and gibbon[0]["meeting_date"] == "2025-01-09"  # minutes of the earlier meeting keep its date
        assert not found("gibbon survey", "report")
        assert found("tapir fund", "report") and not found("tapir fund", "minutes")
        pangolin = found("pangolin limits", "appendix")
        assert pangolin and pangolin[0]["meeting_date"] == "2025-01-30"
        assert pangolin[0]["title"] == "Agenda for the Cabinet, 30 January 2025"
    finally:
        ix.store.close()


def test_meeting_context_on_postgresql(tmp_path, pg_url):
    """The PostgreSQL write path gives the same meetings, provenance and per-path contexts (slow: pg_url)."""
    from boardpapers.index.pgindex import PgIndex
    from boardpapers.index.pgwriter import ingest_pg

    papers = _meeting_papers(tmp_path)
    shutil.copy(papers / "cabinet/2025-01-30/originals/Appendix L.txt", papers / "cabinet/10-Feb-2025/Appendix L.txt")
    ingest_pg([papers], pg_url, embedder=HashEmbedder())
    p = PgIndex(pg_url)
    try:
        docs = {Path(d["path"]).relative_to(papers).as_posix(): d for d in p.store.documents()}
        app = (
            docs["cabinet/10-Feb-2025/Appendix L.txt"]
            if "cabinet/10-Feb-2025/Appendix L.txt" in docs
            else docs["cabinet/2025-01-30/originals/Appendix L.txt"]
        )
        contexts = {Path(k).relative_to(papers).as_posix(): c for k, c in app["path_contexts"].items()}
        assert contexts["cabinet/2025-01-30/originals/Appendix L.txt"]["meeting_date"] == "2025-01-30"
        assert contexts["cabinet/2025-01-30/originals/Appendix L.txt"]["provenance"]["meeting_date"] == "frontsheet"
        assert contexts["cabinet/10-Feb-2025/Appendix L.txt"]["meeting_date"] == "2025-02-10"
        own = docs["cabinet/2025-01-30/originals/Late changes.txt"]
        assert (own["meeting_date"], own["sources"]["meeting_date"]) == ("2025-03-04", "content")
        hit = search(p, "zebrafinch lending", embedder=HashEmbedder(), mode="bm25", related=False).hits[0]
        assert hit["provenance"]["meeting_date"] in ("frontsheet", "folder") and hit["doc_type"] == "appendix"
        assert {x["meeting_date"] for x in hit["also_in"]} | {hit["meeting_date"]} == {"2025-01-30", "2025-02-10"}
        assert "appendix" in p.facets["doc_type"]
    finally:
        p.close()
