"""The document library (index/library.py, index/libwrite.py) and saved searches with alerts (index/saved.py,
index/alertfeed.py), on the embedded backend and PostgreSQL: a correction by hand changes the citations at once,
without re-embedding, and survives a re-ingest and a --rebuild; a removed document's passages leave search; a saved
search lists the strong matches of papers added after it, and `alerts --format atom` is a valid Atom feed."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import build_index
from pdfgen import make_pdf
from pgfixture import BACKENDS, new_database
from test_app import make_small_corpus, make_small_index

from boardpapers.cli import main
from boardpapers.index.backend import open_backend
from boardpapers.index.library import LibraryError, check_changes, find_document
from boardpapers.index.search import search

ATOM = "{http://www.w3.org/2005/Atom}"
NEW_REPORT = [
    "Leicester City Council",
    "To: Cabinet - 3 April 2017",
    "Report of the Director of Libraries",
    "Zebrafinch library opening hours: the new zebrafinch library hours were reviewed after six months.",
    "The zebrafinch library opening hours review found visits rose by a fifth.",
]


@pytest.fixture
def papers(tmp_path, hash_embedder):
    corpus = make_small_corpus(tmp_path / "corpus")
    build_index([corpus], tmp_path / "index", embedder=hash_embedder)
    return tmp_path / "index", corpus


def on_backend(request, index_dir: Path):
    """The backend named by the test's parameter over the index at ``index_dir`` (PostgreSQL: imported into a new database)."""
    if request.param == "embedded":
        return open_backend(index_dir)
    from boardpapers.index.pgtransfer import import_store

    url = new_database(request.getfixturevalue("pg_server"))
    import_store(index_dir, url)
    b = open_backend(url)
    request.addfinalizer(b.close)
    return b


@pytest.fixture(params=BACKENDS)
def lib(request, papers):
    return on_backend(request, papers[0]), papers[1]


def hits_of(backend, query: str, emb, path_end: str) -> list[dict]:
    return [h for h in search(backend.open(), query, k=20, embedder=emb).hits if h["path"].endswith(path_end)]


def test_a_correction_changes_the_citations_at_once(lib, hash_embedder):
    from boardpapers.index.hits import citation

    backend, _ = lib
    doc = find_document(backend.open().store.documents(), "injected_minutes.txt")
    assert doc["body"] == "Cabinet"
    after = backend.edit_document(doc["doc_id"], check_changes({"body": "Scrutiny Commission", "meeting_date": "2016-12-20"}))
    assert after["body"] == "Scrutiny Commission" and after["sources"]["body"] == "set by hand"
    hits = hits_of(backend, "zebrafinch library", hash_embedder, "injected_minutes.txt")
    assert hits and all(h["body"] == "Scrutiny Commission" and h["meeting_date"] == "2016-12-20" for h in hits)
    assert "Scrutiny Commission · 2016-12-20" in citation(hits[0]) and hits[0]["provenance"]["body"] == "set by hand"
    # the filters follow: the corrected body is a facet, and the old one no longer finds the document
    from boardpapers.index.query import Filters

    ix = backend.open()
    assert "Scrutiny Commission" in ix.facets["body"]
    got = search(ix, "zebrafinch library", k=20, filters=Filters(body="Scrutiny Commission"), embedder=hash_embedder).hits
    assert got and all(h["path"].endswith("injected_minutes.txt") for h in got)
    # an empty value goes back to what the papers say
    back = backend.edit_document(doc["doc_id"], check_changes({"body": ""}))
    assert back["body"] == "Cabinet" and back["sources"]["body"] == "content" and back["meeting_date"] == "2016-12-20"


def test_a_correction_embeds_nothing_and_survives_reingest_and_rebuild(papers, hash_embedder):
    index, corpus = papers
    backend = open_backend(index)

    def embeddings() -> int:
        with sqlite3.connect(index / "store.sqlite") as con:
            return con.execute("SELECT count(*) FROM embeddings").fetchone()[0]

    before = embeddings()
    doc = find_document(backend.open().store.documents(), str(corpus / "cabinet_pack.pdf"))
    backend.edit_document(doc["doc_id"], check_changes({"council": "Testshire County Council", "doc_type": "minutes", "title": "Pack"}))
    assert embeddings() == before  # nothing encoded, nothing new cached
    for rebuild in (False, True):
        report = build_index([corpus], index, embedder=hash_embedder, rebuild=rebuild)
        assert report.count("failed") == 0
        d = find_document(backend.open().store.documents(), "cabinet_pack.pdf")
        assert (d["council"], d["doc_type"], d["title"]) == ("Testshire County Council", "minutes", "Pack"), rebuild
        assert d["sources"]["council"] == "set by hand"
        hits = hits_of(backend, "kingfisher parking charges", hash_embedder, "cabinet_pack.pdf")
        assert hits and {h["council"] for h in hits} == {"Testshire County Council"}


def test_remove_takes_the_passages_out_of_search(lib, hash_embedder):
    backend, corpus = lib
    assert hits_of(backend, "kingfisher parking charges", hash_embedder, "cabinet_pack.pdf")
    doc = find_document(backend.open().store.documents(), "cabinet_pack.pdf")
    removed = backend.remove_document(doc["doc_id"])
    assert removed.deleted == [] and (corpus / "cabinet_pack.pdf").exists()  # its file only goes when asked
    ix = backend.open()
    assert not hits_of(backend, "kingfisher parking charges", hash_embedder, "cabinet_pack.pdf")
    assert all(d["doc_id"] != doc["doc_id"] for d in ix.store.documents())
    assert all(x["doc_id"] != doc["doc_id"] for x in ix.store.decisions())
    with pytest.raises(LibraryError, match="no indexed document"):
        find_document(ix.store.documents(), "cabinet_pack.pdf")
    # ingesting its file again stores it again (PostgreSQL: its ingest job went with it)
    report = backend.ingest([str(corpus / "cabinet_pack.pdf")], embedder=hash_embedder, model=hash_embedder.model_id)
    assert report.count("ingested") == 1, report.outcomes
    assert hits_of(backend, "kingfisher parking charges", hash_embedder, "cabinet_pack.pdf")


def test_remove_can_delete_the_file_and_its_manifest_row_inside_the_corpus_only(papers, tmp_path):
    index, corpus = papers
    (corpus / "manifest.csv").write_text("path,body\ninjected_minutes.txt,Cabinet\nminutes_excerpt.txt,Scrutiny\n", encoding="utf-8")
    backend = open_backend(index)
    doc = find_document(backend.open().store.documents(), "injected_minutes.txt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = backend.remove_document(doc["doc_id"], elsewhere)  # not the folder it is in: the file stays
    assert r.deleted == [] and (corpus / "injected_minutes.txt").exists()
    doc = find_document(backend.open().store.documents(), "minutes_excerpt.txt")
    r = backend.remove_document(doc["doc_id"], corpus)
    assert r.deleted == [str(corpus / "minutes_excerpt.txt")] and not (corpus / "minutes_excerpt.txt").exists()
    assert (corpus / "manifest.csv").read_text(encoding="utf-8") == "path,body\ninjected_minutes.txt,Cabinet\n"


def test_bad_changes_and_names_are_refused():
    with pytest.raises(LibraryError, match="not one of"):
        check_changes({"doc_type": "memo"})
    with pytest.raises(LibraryError, match="YYYY-MM-DD"):
        check_changes({"meeting_date": "next Tuesday"})
    with pytest.raises(LibraryError, match="cannot be set"):
        check_changes({"pages": "3"})
    assert check_changes({"doc_type": "Minutes", "body": "  Audit   Committee "}) == {"doc_type": "minutes", "body": "Audit Committee"}
    docs = [{"doc_id": "ab" * 32, "path": "/x/a/pack.pdf", "paths": ["/x/a/pack.pdf"]}, {"doc_id": "cd" * 32, "path": "/x/b/pack.pdf"}]
    with pytest.raises(LibraryError, match="names 2 documents"):
        find_document(docs, "pack.pdf")
    assert find_document(docs, "cdcdcd")["path"] == "/x/b/pack.pdf"


def test_saved_search_lists_the_new_strong_matches(lib, hash_embedder, tmp_path):
    from boardpapers.index.saved import alerts

    backend, corpus = lib
    saved = backend.saved_searches()
    saved.save("zebrafinch", "zebrafinch library opening hours")
    saved.save("parking", "kingfisher parking charges")
    assert [a.hits for a in alerts(saved, backend.open(), hash_embedder)] == [[], []]  # nothing new yet
    (tmp_path / "new").mkdir()
    make_pdf(tmp_path / "new" / "library_review.pdf", [NEW_REPORT], title="Library hours review")
    backend.ingest([str(tmp_path / "new")], embedder=hash_embedder, model=hash_embedder.model_id)
    by_name = {a.search.name: a for a in alerts(saved, backend.open(), hash_embedder)}
    new = by_name["zebrafinch"].hits
    assert new and all(h["path"].endswith("library_review.pdf") and h["match"] == "strong" for h in new)
    assert by_name["zebrafinch"].headline().startswith(f"{len(new)} new since ")
    assert by_name["parking"].hits == []
    saved.mark_seen(["zebrafinch"])
    assert [a.hits for a in alerts(saved, backend.open(), hash_embedder)] == [[], []]
    saved.remove("parking")
    assert [s.name for s in saved.entries()] == ["zebrafinch"]


@pytest.mark.slow
def test_alerts_command_prints_text_json_and_a_valid_atom_feed(tmp_path, capsys):
    index, corpus = make_small_index(tmp_path)
    assert main(["searches", "save", "Zebrafinch hours", "zebrafinch library opening hours", "--index", str(index)]) == 0
    (tmp_path / "new").mkdir()
    make_pdf(tmp_path / "new" / "library_review.pdf", [[*NEW_REPORT, "<script>alert(1)</script> & \x0c"]], title="Library hours review")
    assert main(["ingest", str(tmp_path / "new"), "--index", str(index), "-q"]) == 0
    capsys.readouterr()
    assert main(["alerts", "--index", str(index)]) == 0
    text = capsys.readouterr().out
    assert "Zebrafinch hours ('zebrafinch library opening hours'): 1 new since" in text and "Library hours review" in text
    assert main(["alerts", "--index", str(index), "--format", "json"]) == 0
    (one,) = json.loads(capsys.readouterr().out)
    assert one["name"] == "Zebrafinch hours" and one["new"] == 1 and one["hits"][0]["match"] == "strong"
    feed_file = tmp_path / "alerts.atom"
    assert main(["alerts", "--index", str(index), "--format", "atom", "-o", str(feed_file), "--mark-seen"]) == 0
    feed = ET.parse(feed_file).getroot()
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{tag}").text
    (entry,) = feed.findall(f"{ATOM}entry")
    for tag in ("id", "title", "updated", "summary"):
        assert entry.find(f"{ATOM}{tag}").text, tag
    assert entry.find(f"{ATOM}link").get("href").startswith("file://") and entry.find(f"{ATOM}link").get("href").endswith("#page=1")
    summary = entry.find(f"{ATOM}summary").text
    assert "Library hours review" in summary and "p. 1" in summary and "<script>alert(1)</script> &" in summary
    assert b"<script>" not in feed_file.read_bytes()  # escaped in the XML, text again once parsed
    assert main(["alerts", "--index", str(index)]) == 0  # marked seen
    assert "nothing new since" in capsys.readouterr().out


def test_corrections_and_saved_searches_travel_with_import_and_export_store(papers, pg_url, tmp_path):
    from boardpapers.index.pgtransfer import export_store, import_store

    index, _ = papers
    emb = open_backend(index)
    doc = find_document(emb.open().store.documents(), "injected_minutes.txt")
    emb.edit_document(doc["doc_id"], check_changes({"body": "Library Committee"}))
    emb.saved_searches().save("zebrafinch", "zebrafinch library", None)
    import_store(index, pg_url)
    pg = open_backend(pg_url)
    try:
        assert [(s.name, s.seen_seq) for s in pg.saved_searches().entries()] == [("zebrafinch", 3)]
        assert pg.saved_searches().arrivals_after(0).keys() == {d["doc_id"] for d in pg.open().store.documents()}
        export_store(pg_url, tmp_path / "back")
    finally:
        pg.close()
    back = open_backend(tmp_path / "back")
    assert [s.name for s in back.saved_searches().entries()] == ["zebrafinch"]
    with sqlite3.connect(tmp_path / "back" / "store.sqlite") as con:
        assert json.loads(con.execute("SELECT fields FROM doc_overrides").fetchone()[0]) == {"body": "Library Committee"}
        assert con.execute("SELECT max(seq) FROM doc_arrivals").fetchone()[0] == 3
