"""`boardpapers fetch` against a local ModernGov stand-in (http.server on 127.0.0.1, fixtures in
tests/fixtures/moderngov/): committees by name and id, the date window, a missing file, a stalled request retried,
a re-run that downloads nothing, hostile names, the web service's fallback, then ingest and search."""

from __future__ import annotations

import csv
import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import build_index
from pdfgen import make_pdf

from boardpapers.cli import main
from boardpapers.ingest.fetch import MANIFEST, STATE_FILE, FetchError, fetch, safe_name
from boardpapers.ingest.moderngov import SiteError, parse_xml
from boardpapers.ingest.webclient import VERSION, Politeness

FIX = Path(__file__).parent / "fixtures" / "moderngov"
FAST = Politeness(delay=0, timeout=0.5, retries=2, backoff=0)

# path (unquoted, with query) -> lines of the PDF served there
PDFS = {
    "/documents/g4967/Agenda frontsheet 10th-Feb-2026 10.00 Audit Committee.pdf?T=0": ["Audit Committee", "AGENDA", "1. Minutes"],
    "/documents/g4967/Public reports pack 10th-Feb-2026 10.00 Audit Committee.pdf?T=10": ["Audit Committee", "Public reports pack"],
    "/documents/g4967/Printed minutes 10th-Feb-2026 10.00 Audit Committee.pdf?T=1": ["Minutes of the Audit Committee"],
    "/mgConvert2PDF.aspx?ID=60860": ["Minutes of the meeting held on 25 November 2025"],
    "/mgConvert2PDF.aspx?ID=60909": ["Internal Audit Progress Report", "The quokka reconciliation audit found three weaknesses."],
    "/mgConvert2PDF.aspx?ID=60910": ["Appendix A", "Risk Register"],
    "/mgConvert2PDF.aspx?ID=60912": ["A file whose title tries to climb out of the folder"],
    "/documents/g4968/Agenda frontsheet 10th-Mar-2026 14.00 Audit Committee.pdf?T=0": ["Audit Committee", "AGENDA March"],
    "/documents/s61001/Treasury Management Strategy.pdf": ["Treasury Management Strategy 2026/27"],
    "/mgConvert2PDF.aspx?ID=61002": ["Appendix 1", "Prudential Indicators"],
    "/documents/s61003/../../evil2.pdf": ["Another climbing name"],
}
STALLS = {"/mgConvert2PDF.aspx?ID=60909"}  # the first GET of these waits past the client's time limit


class Site:
    """The stand-in site: fixtures, generated PDFs, a log of (method, path) and optional first-request stalls."""

    def __init__(self, tmp: Path, stalls=frozenset(), service=True):
        self.pdfs = {}
        for n, (path, lines) in enumerate(PDFS.items()):
            self.pdfs[path] = make_pdf(tmp / f"src{n}.pdf", [lines]).read_bytes()
        self.log: list[tuple[str, str]] = []
        self.agents: set[str] = set()
        self.stalls, self.service = set(stalls), service
        self.stalled: set[str] = set()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                site.log.append(("GET", unquote(self.path)))
                site.agents.add(self.headers.get("User-Agent", ""))
                status, ctype, body = site.answer(unquote(self.path), self.headers)
                if unquote(self.path) in site.stalls and unquote(self.path) not in site.stalled:
                    site.stalled.add(unquote(self.path))
                    time.sleep(1.5)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fixture(self, name: str) -> bytes:
        return (FIX / name).read_text(encoding="utf-8").replace("{{SITE}}", self.url).encode()

    def answer(self, path: str, headers) -> tuple[int, str, bytes]:
        parts = urlsplit(path)
        q = parts.query
        if parts.path.startswith("/mgWebService.asmx/"):
            op = parts.path.rsplit("/", 1)[-1]
            if not self.service or (op == "GetMeeting" and "4968" in q):
                return 200, "text/html", b"<!DOCTYPE html><html><body>The web service is not enabled.</body></html>"
            name = {"GetCommittees": "GetCommittees.xml", "GetMeetings": "GetMeetings.xml"}.get(op)
            name = name or (f"GetMeeting-{q.split('=')[-1]}.xml" if op == "GetMeeting" else "")
            return (200, "text/xml", self.fixture(name)) if (FIX / name).is_file() and name else (404, "text/plain", b"")
        if parts.path == "/ieListDocuments.aspx":
            name = f"ieListDocuments-{q.split('MId=')[-1]}.html"
            return (200, "text/html", self.fixture(name)) if (FIX / name).is_file() else (404, "text/html", b"Not found")
        if parts.path == "/ieListMeetings.aspx":
            links = "".join(
                f'<a href="ieListDocuments.aspx?CId=144&amp;MId={m}">{d}</a>'
                for m, d in [(4967, "10 Feb 2026 10.00 am"), (4968, "10 Mar 2026 2.00 pm")]
            )
            return 200, "text/html", f"<html><body>{links}</body></html>".encode()
        if path in self.pdfs:
            return 200, "application/pdf", self.pdfs[path]
        return 404, "text/html", b"<html>Not found</html>"

    def gets(self, prefix: str = "") -> list[str]:
        return [p for m, p in self.log if m == "GET" and p.startswith(prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path, stalls=STALLS)
    yield s
    s.close()


def run(site, dest, committee="Audit Committee", **kw):
    kw.setdefault("since", date(2026, 2, 1))
    kw.setdefault("until", date(2026, 3, 31))
    kw.setdefault("polite", FAST)
    return fetch(site.url, committee, dest, council="Example City Council", **kw)


def manifest_rows(dest: Path) -> dict[str, dict]:
    with open(dest / MANIFEST, newline="", encoding="utf-8") as fh:
        return {r["path"]: r for r in csv.DictReader(fh)}


def every_file(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_fetch_by_name_window_404_timeout_and_hostile_names(site, tmp_path):
    dest = tmp_path / "out" / "papers"
    report = run(site, dest)
    assert report.committee.id == "144" and [m.id for m in report.meetings] == ["4967", "4968"]
    assert not site.gets("/mgWebService.asmx/GetMeeting?lMeetingId=4966")  # January: outside the window
    assert not any("g4966" in p for p in site.gets())
    # the missing file is named with what happened; every other PDF is here
    assert report.failed == [f"{site.url}mgConvert2PDF.aspx?ID=60911: HTTP 404 Not Found"]
    assert len(report.fetched) == 11, report.fetched
    # the stalled request timed out once and was retried
    assert site.gets("/mgConvert2PDF.aspx?ID=60909") == ["/mgConvert2PDF.aspx?ID=60909"] * 2
    # hostile names stay inside DIR, nothing is written beside it
    assert not list(tmp_path.rglob("evil*.pdf")) or all(dest in p.parents for p in tmp_path.rglob("evil*.pdf"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["papers"]
    assert (dest / "Audit Committee" / "2026-02-10" / "evil.pdf").is_file()
    assert (dest / "Audit Committee" / "2026-03-10" / "evil2.pdf").is_file()
    # skipped: the other website's link, the .docx, the other host's PDF
    assert len(report.skipped) == 3, report.skipped
    rows = manifest_rows(dest)
    assert set(rows) == set(report.fetched)
    front = rows["Audit Committee/2026-02-10/Agenda frontsheet.pdf"]
    assert front["doc_type"] == "agenda" and front["body"] == "Audit Committee" and front["meeting_date"] == "2026-02-10"
    assert front["council"] == "Example City Council" and front["source_url"].startswith(f"{site.url}documents/g4967/")
    assert rows["Audit Committee/2026-02-10/Printed minutes.pdf"]["doc_type"] == "minutes"
    assert rows["Audit Committee/2026-02-10/Appendix A - Risk Register.pdf"]["doc_type"] == "appendix"
    assert rows["Audit Committee/2026-03-10/Appendix 1 - Prudential Indicators.pdf"]["doc_type"] == "appendix"
    assert all(r["fetched_at"].endswith("+00:00") for r in rows.values())
    for f in every_file(dest):
        assert f.name in (MANIFEST, STATE_FILE) or f.read_bytes().startswith(b"%PDF"), f


def test_rerun_downloads_nothing_then_fetches_only_the_missing(site, tmp_path):
    dest = tmp_path / "papers"
    first = run(site, dest)
    before = len(site.log)
    second = run(site, dest)
    new = [p for _, p in site.log[before:]]
    assert second.fetched == [] and sorted(second.unchanged) == sorted(first.fetched)
    # the second run asks for the lists and the meeting pages again, and of the files only the one that was missing
    assert [p for p in new if not p.startswith(("/mgWebService.asmx/", "/ieListDocuments.aspx"))] == ["/mgConvert2PDF.aspx?ID=60911"]
    assert second.failed == first.failed
    # a file deleted by hand is fetched again, alone
    (dest / first.fetched[0]).unlink()
    third = run(site, dest)
    assert third.fetched == [first.fetched[0]]


def test_committee_by_id_and_not_found(site, tmp_path):
    assert run(site, tmp_path / "a", committee="144").committee.title == "Audit Committee"
    assert run(site, tmp_path / "b", committee="audit").committee.id == "144"
    with pytest.raises(FetchError, match="no committee 'Planning'"):
        run(site, tmp_path / "c", committee="Planning")
    with pytest.raises(FetchError, match="matches 3 committees"):
        run(site, tmp_path / "d", committee="Committee")


def test_without_the_web_service_the_pages_are_read(tmp_path):
    s = Site(tmp_path, service=False)
    try:
        report = run(s, tmp_path / "papers", committee="144")
    finally:
        s.close()
    assert [m.id for m in report.meetings] == ["4967", "4968"]
    assert any("GetMeetings did not answer" in n for n in report.notes)
    assert "Audit Committee" not in report.committee.title  # no committee list: its id names it
    names = {Path(p).name for p in report.fetched}
    assert {"Agenda frontsheet.pdf", "Printed minutes.pdf", "Treasury Management Strategy.pdf"} <= names


def test_untrusted_xml_and_names():
    with pytest.raises(SiteError, match="DOCTYPE"):
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "http://h/x")
    assert safe_name("../../evil.pdf") == "evil.pdf"
    assert safe_name("..%2F..%2Fx\u202e.pdf") == "x.pdf"
    assert safe_name("a/b\\c:d*e?.pdf") == "c_d_e_.pdf"
    assert safe_name("...") == "document"
    assert len(safe_name("x" * 500)) == 100


def test_cli_exit_codes(tmp_path, monkeypatch, capsys):
    site = Site(tmp_path)  # no stall
    dest = tmp_path / "papers"
    args = ["fetch", site.url, "--committee", "Audit Committee", "--since", "2026-02-01", "--until", "2026-03-31"]
    assert main([*args, "--to", str(dest), "--delay", "0", "--timeout", "5", "-q"]) == 1  # the 404
    assert site.agents == {f"boardpapers/{VERSION} (council papers fetcher)"}
    site.agents.clear()
    assert (
        main(["fetch", site.url, "--committee", "Planning", "--to", str(dest), "--delay", "0", "--contact", "clerk@example.org (x)", "-q"])
        == 2
    )
    assert site.agents == {f"boardpapers/{VERSION} (council papers fetcher; +clerk@example.org x)"}
    monkeypatch.setenv("BOARDPAPERS_FETCH_DELAY", "soon")
    assert main([*args, "--to", str(dest)]) == 2  # a bad setting is a clear message, not a traceback
    assert "BOARDPAPERS_FETCH_DELAY must be a number of seconds" in capsys.readouterr().err
    assert main(["fetch", "not a url", "--committee", "1", "--to", str(dest)]) == 2
    assert main([*args, "--to", str(dest), "--since", "2026-13-01"]) == 2
    site.close()


@pytest.mark.slow  # ingests eleven PDFs (about 1.5 s)
def test_ingest_then_search_carries_the_manifest(site, tmp_path, hash_embedder, capsys):
    dest = tmp_path / "papers"
    run(site, dest)
    report = build_index([dest], tmp_path / "idx", hash_embedder)
    assert report.count("ingested") == 11, report.outcomes
    capsys.readouterr()
    code = main(["search", "quokka reconciliation", "--index", str(tmp_path / "idx"), "--mode", "bm25", "--format", "json"])
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert code == 0 and hits
    top = hits[0]
    assert top["source_url"] == f"{site.url}mgConvert2PDF.aspx?ID=60909"
    assert top["council"] == "Example City Council" and top["body"] == "Audit Committee"
    assert top["meeting_date"] == "2026-02-10" and top["title"] == "Internal Audit Progress Report"


@pytest.mark.slow  # the app's ingest loads the real embedding model
def test_app_form_fetches_and_indexes(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    s = Site(tmp_path)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "seed.txt").write_text("Minutes of the Cabinet held on 3 May 2022. 1. Apologies. None were received.\n")
    build_index([corpus], index)
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(index))
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(corpus))
    monkeypatch.setenv("BOARDPAPERS_FETCH_DELAY", "0")
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=300).run()
        at.session_state["view"] = "Add papers"
        at.run()
        at.text_input(key="fetch_site").input(s.url)
        at.text_input(key="fetch_committee").input("Audit Committee")
        at.text_input(key="fetch_council").input("Example City Council")
        at.date_input(key="fetch_since").set_value(date(2026, 2, 1))
        at.date_input(key="fetch_until").set_value(date(2026, 3, 31))
        at.button[[b.label for b in at.button].index("Fetch and index")].click().run()
    finally:
        s.close()
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.success)
    assert "2 meetings, 11 files fetched" in shown and "The index is updated" in shown, shown
    assert "60911" in " ".join(w.value for w in at.warning)  # the missing file is named
    assert (corpus / "fetched" / MANIFEST).is_file()
    from boardpapers.index.store import Store

    st = Store(index, readonly=True)
    docs = [d for d in st.documents() if d.get("source_url")]
    st.close()
    assert len(docs) == 11 and {d["body"] for d in docs} == {"Audit Committee"}
