"""OCR of scanned pages (ingest/ocr.py): a real corpus page rendered into an image-only PDF is ingested, found by a
sentence from it and cited as OCR'd; `--no-ocr`, a missing tesseract and a page over its time limit are reported."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from io import BytesIO
from pathlib import Path

import pytest
from conftest import CORPUS, HashEmbedder, build_index

from boardpapers import cli
from boardpapers.ingest.loaders import load_document
from boardpapers.ingest.model import IngestError
from boardpapers.ingest.ocr import PACKAGE_HINT, OcrSettings
from boardpapers.ingest.parse import Limits, parse_file

TESSERACT = shutil.which("tesseract")
needs_tesseract = pytest.mark.skipif(
    TESSERACT is None, reason="tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-eng)"
)

PACK = CORPUS / "000_f2458a1a6d162554.pdf"
TEXT_PAGE, SCANNED_PAGE = 2, 3  # pages of PACK: one kept with its text layer, one turned into a scan
SENTENCE = "There are induction loop facilities in City Hall meeting rooms"  # on SCANNED_PAGE
HANG_S = "29.75"  # how long the fake tesseract sleeps (an odd number, to find its process)
REFUSAL = "no text layer (scanned or image-only PDF?); nothing indexed"


def _page_image(number: int):
    """The page as a greyscale image: rendered by poppler's pdftoppm when it is installed, else its text drawn."""
    from PIL import Image, ImageDraw, ImageFont

    if shutil.which("pdftoppm"):
        png = subprocess.run(
            ["pdftoppm", "-f", str(number), "-l", str(number), "-r", "150", "-gray", "-png", str(PACK)],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        return Image.open(BytesIO(png)).convert("L")
    from pypdf import PdfReader

    text = PdfReader(PACK).pages[number - 1].extract_text()
    img = Image.new("L", (1240, 1754), 255)
    draw, font = ImageDraw.Draw(img), ImageFont.load_default(size=20)
    for i, line in enumerate(text.splitlines()[:60]):
        draw.text((60, 60 + 27 * i), line[:95], fill=0, font=font)
    return img


def _scanned_pdf(path: Path, pages: int = 1) -> Path:
    """An image-only PDF: ``pages`` copies of SCANNED_PAGE as a 150 dpi picture, no text layer."""
    img = _page_image(SCANNED_PAGE)
    img.save(path, "PDF", resolution=150, save_all=True, append_images=[img] * (pages - 1))
    return path


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> dict[str, Path]:
    """'scan': one scanned page; 'mixed': PACK's TEXT_PAGE with its text layer, then the scanned page."""
    from pypdf import PdfReader, PdfWriter

    d = tmp_path_factory.mktemp("scans")
    scan = _scanned_pdf(d / "scan.pdf")
    writer = PdfWriter()
    writer.add_page(PdfReader(PACK).pages[TEXT_PAGE - 1])
    writer.append(str(scan))
    with open(d / "mixed.pdf", "wb") as fh:
        writer.write(fh)
    return {"scan": scan, "mixed": d / "mixed.pdf"}


@pytest.fixture
def fake_tesseract(tmp_path, monkeypatch):
    """A `tesseract` on PATH that never finishes (as a page that hangs OCR would)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "tesseract"
    exe.write_text(f"#!/bin/sh\n{shutil.which('sleep')} {HANG_S}\n")  # not exec'd: its child must be killed too
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return exe


def run_cli(args, capsys):
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def ocr_index(scans, tmp_path_factory):
    if TESSERACT is None:
        pytest.skip("tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-eng)")
    idx = tmp_path_factory.mktemp("ocr") / "idx"
    report = build_index([scans["mixed"]], idx, HashEmbedder())
    assert report.count("ingested") == 1, report.outcomes
    return idx


@needs_tesseract
@pytest.mark.slow
def test_scanned_page_is_read_and_marked(scans):
    doc = load_document(scans["mixed"])
    text_page, scanned = doc.pages
    assert not text_page.ocr and scanned.ocr
    assert SENTENCE in " ".join(scanned.text.split())
    assert "page 2 read by OCR" in doc.warnings


@needs_tesseract
@pytest.mark.slow
def test_ocr_passage_is_found_and_cited_as_ocr(ocr_index, capsys):
    code, out, _ = run_cli(["search", SENTENCE, "--index", str(ocr_index), "--mode", "bm25", "--format", "json", "-k", "3"], capsys)
    assert code == 0
    top = json.loads(out)["hits"][0]
    assert SENTENCE in " ".join(top["text"].split())
    assert top["page"] == 2 and top["ocr"] is True

    code, out, _ = run_cli(["search", SENTENCE, "--index", str(ocr_index), "--mode", "bm25", "-k", "1"], capsys)
    assert code == 0
    cite = next(line for line in out.splitlines() if line.startswith("  1. "))
    assert " · p. 2 " in cite and " · text from OCR" in cite, out
    from boardpapers.ui.render import cite as app_cite

    assert " · text from OCR" in app_cite(top)  # the app's citation of the hit

    # a passage from the page with a text layer is not marked
    code, out, _ = run_cli(
        ["search", "Health and Wellbeing Board", "--index", str(ocr_index), "--mode", "bm25", "--format", "json"], capsys
    )
    by_page = {h["page"]: h["ocr"] for h in json.loads(out)["hits"]}
    assert by_page.get(1) is False and by_page.get(2) is True


@needs_tesseract
@pytest.mark.slow
def test_ocr_document_says_so_in_its_warnings(ocr_index):
    from boardpapers.index.store import Store

    store = Store(ocr_index, readonly=True)
    try:
        (doc,) = store.documents()
        n_ocr = store.con.execute("SELECT count(*) FROM passages WHERE ocr = 1").fetchone()[0]
    finally:
        store.close()
    assert "page 2 read by OCR" in doc["warnings"] and n_ocr >= 1


@needs_tesseract
@pytest.mark.slow
def test_a_page_shown_rotated_is_read_upright(tmp_path):
    """A scan stored sideways in a page with /Rotate 90 (as scanners write landscape-fed pages) is turned upright."""
    from pypdf import PdfWriter

    _page_image(SCANNED_PAGE).rotate(90, expand=True).save(tmp_path / "sideways.pdf", "PDF", resolution=150)
    writer = PdfWriter()
    writer.append(str(tmp_path / "sideways.pdf"))
    writer.pages[0].rotate(90)
    writer.write(tmp_path / "rotated.pdf")
    doc = load_document(tmp_path / "rotated.pdf")
    assert SENTENCE in " ".join(doc.pages[0].text.split()) and doc.pages[0].ocr


def test_no_ocr_gives_the_refusal(scans, tmp_path, monkeypatch, capsys):
    import boardpapers.index.writer as pipeline

    real, seen = pipeline.ingest, {}

    def ingest(paths, index_dir, **kw):
        seen["limits"] = kw["limits"]
        kw.update(embedder=HashEmbedder(), model=HashEmbedder.model_id, workers=1)
        return real(paths, index_dir, **kw)

    monkeypatch.setattr(pipeline, "ingest", ingest)
    t0 = time.perf_counter()
    code, out, _ = run_cli(["ingest", str(scans["scan"]), "--index", str(tmp_path / "idx"), "--no-ocr", "-q"], capsys)
    assert seen["limits"].ocr is False
    assert code == 1 and REFUSAL in out
    assert time.perf_counter() - t0 < 30  # refused without OCR (tesseract would take seconds)
    with pytest.raises(IngestError) as err:
        load_document(scans["scan"], ocr=OcrSettings(enabled=False))
    assert err.value.reason == REFUSAL


def test_missing_tesseract_names_the_package(scans, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract here
    with pytest.raises(IngestError) as err:
        load_document(scans["scan"])
    assert err.value.reason == f"{REFUSAL}; {PACKAGE_HINT}"
    assert "tesseract-ocr" in PACKAGE_HINT
    doc = load_document(scans["mixed"])  # the page with a text layer is kept; the scan is named with the package
    assert doc.warnings == [f"no extractable text on page 2 (blank or scanned; {PACKAGE_HINT})"]
    assert not any(p.ocr for p in doc.pages)


def test_page_over_its_time_limit_is_a_warning(scans, fake_tesseract):
    t0 = time.perf_counter()
    doc = load_document(scans["mixed"], ocr=OcrSettings(timeout_s=1))
    assert time.perf_counter() - t0 < 10  # the hanging tesseract was killed at the page's limit
    assert "page 2: OCR took longer than 1 s; page left without text" in doc.warnings
    assert doc.pages[0].text.strip() and not doc.pages[1].text.strip()
    assert not _running(f"sleep {HANG_S}")  # the sleep the fake tesseract started was killed with it


def test_no_page_is_started_past_the_files_deadline(scans, fake_tesseract):
    doc = load_document(scans["mixed"], ocr=OcrSettings(deadline=time.monotonic()))
    assert "page 2 not read by OCR: the file's time limit was reached (raise --timeout)" in doc.warnings


@pytest.mark.slow
def test_hanging_ocr_keeps_the_per_file_limit(tmp_path, fake_tesseract):
    # 8 s for the file leaves OCR 3 s (5 s are kept to structure and chunk): the first page is cut short there, the
    # second is not started, and the file is reported well within its limit (the alarm never has to fire)
    scan = _scanned_pdf(tmp_path / "two.pdf", pages=2)
    t0 = time.perf_counter()
    res = parse_file(str(scan), Limits(timeout_s=8, ocr_timeout=60), None)
    assert 2 < time.perf_counter() - t0 < 8
    assert not res["ok"]
    assert res["reason"] == "no text layer (scanned or image-only PDF?) and OCR read no text; nothing indexed"
    assert not _running(str(fake_tesseract)) and not _running(f"sleep {HANG_S}")  # killed together


def _running(pattern: str) -> list[str]:
    """Processes whose command line holds ``pattern``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if pattern in cmd and proc.name.isdigit():
            found.append(cmd)
    return found


@needs_tesseract
def test_ocr_flag_on_postgresql_ingest_import_and_export(scans, ocr_index, tmp_path, pg_server, pg_url):
    """The flag is stored by a PostgreSQL ingest, and travels with import-store and export-store."""
    from pgfixture import new_database

    from boardpapers.index.embedded import Index
    from boardpapers.index.pgindex import PgIndex
    from boardpapers.index.pgtransfer import export_store, import_store
    from boardpapers.index.pgwriter import ingest_pg
    from boardpapers.index.search import search

    def flags(index) -> dict:
        return {h["page"]: h["ocr"] for h in search(index, SENTENCE + " Health and Wellbeing Board", k=10, mode="bm25").hits}

    report = ingest_pg([scans["mixed"]], pg_url, embedder=HashEmbedder())
    assert report.count("ingested") == 1, report.outcomes
    p = PgIndex(pg_url)
    try:
        assert flags(p) == {1: False, 2: True}
    finally:
        p.close()

    url2 = new_database(pg_server)
    import_store(ocr_index, url2)
    p = PgIndex(url2)
    try:
        assert flags(p) == {1: False, 2: True}
    finally:
        p.close()
    export_store(url2, tmp_path / "back")
    assert flags(Index(tmp_path / "back")) == {1: False, 2: True}
