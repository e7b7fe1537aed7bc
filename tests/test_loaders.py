"""Loaders (file -> pages) and running header/footer removal, incl. every bad input we know of."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

from pdfgen import (  # noqa: E402
    make_decompression_bomb_pdf,
    make_deep_nesting_pdf,
    make_huge_page_tree_pdf,
    make_image_only_pdf,
    make_nested_array_pdf,
    make_pdf,
    make_truncated_pdf,
)

from boardpapers.ingest.clean import remove_running_lines, strip_running_lines  # noqa: E402
from boardpapers.ingest.loaders import load_document  # noqa: E402
from boardpapers.ingest.model import IngestError, LoadedDocument, Page  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS_PDF = SHARED / "corpus-pdf"
REALPDF = SHARED / "realpdf"
FIXTURES = Path(__file__).parent / "fixtures"
EXCERPT = FIXTURES / "minutes_excerpt.txt"  # lines 90-200 of shared/corpus/004_*.txt (UTF-8)

HEADER = "Cabinet — 15 December 2016"


def pack_pages(n: int, header: str = HEADER) -> list[list[str]]:
    """n pages: running header, body, stamped 'Page N' footer."""
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return [[header, f"Body line {words[i - 1]} about libraries.", f"More text on {words[i - 1]}.", f"Page {i}"] for i in range(1, n + 1)]


def reason(path: Path, **kw) -> str:
    with pytest.raises(IngestError) as err:
        load_document(path, **kw)
    msg = err.value.reason
    assert "\n" not in msg and msg == str(err.value)
    return msg


# --------------------------------------------------------------------------- PDFs that load


def test_generated_pdf_pages_meta_and_cleaning(tmp_path):
    path = make_pdf(
        tmp_path / "pack.pdf",
        pack_pages(5),
        title="Cabinet – agenda pack",
        author="Kent County Council",
        subject="Agenda",
    )
    doc = load_document(path)
    assert isinstance(doc, LoadedDocument) and doc.kind == "pdf" and doc.path == str(path)
    assert [p.number for p in doc.pages] == [1, 2, 3, 4, 5]
    assert [p.printed_page for p in doc.pages] == ["1", "2", "3", "4", "5"]
    assert doc.pages[2].text == "Body line three about libraries.\nMore text on three."
    assert doc.meta["title"] == "Cabinet – agenda pack"
    assert doc.meta["author"] == "Kent County Council"
    assert doc.meta["subject"] == "Agenda"
    assert doc.meta["producer"]
    assert doc.meta["running_header"] == HEADER
    assert all(type(k) is str and type(v) is str for k, v in doc.meta.items())
    assert doc.warnings == [] and doc.encoding is None


def test_pdf_text_escapes_and_latin1(tmp_path):
    lines = ["Costs (2016) were £5 \\ unit", "Café – ‘quoted’ “text”", "RESOLVED: that the report be noted."]
    doc = load_document(make_pdf(tmp_path / "a.pdf", [lines]))
    assert doc.pages[0].text.split("\n") == lines


def test_pdf_uppercase_suffix_and_awkward_file_name(tmp_path):
    folder = tmp_path / "dir with spaces"
    folder.mkdir()
    path = make_pdf(folder / "Minutes 'draft' – Café \"v2\".PDF", [["Hello council"]])
    doc = load_document(path)
    assert doc.pages[0].text == "Hello council"
    assert doc.path == str(path)


def test_pdf_with_javascript_and_link_loads_text_only(tmp_path):
    path = make_pdf(tmp_path / "js.pdf", [["Item 1"]], javascript="app.alert('x')", link_uri="https://example.org/(a)")
    doc = load_document(path)
    assert doc.pages[0].text == "Item 1"
    assert not any("javascript" in str(v).lower() for v in doc.meta.values())


def test_some_blank_pages_warn_but_load(tmp_path):
    doc = load_document(make_pdf(tmp_path / "b.pdf", [["Page one text"], [], ["Page three text"], []]))
    assert [p.text for p in doc.pages] == ["Page one text", "", "Page three text", ""]
    assert doc.warnings == ["no extractable text on pages 2, 4 (blank or scanned)"]


def test_owner_password_only_pdf_loads(tmp_path):
    path = make_pdf(tmp_path / "owner.pdf", [["Owner locked but readable"]], title="T", encrypt_owner_password="s3cret")
    assert b"/Encrypt" in path.read_bytes()
    doc = load_document(path)
    assert doc.pages[0].text == "Owner locked but readable"
    assert doc.meta["title"] == "T"


def test_per_page_failure_is_a_warning(tmp_path, monkeypatch):
    import pypdf

    path = make_pdf(tmp_path / "p.pdf", [["good one"], ["bad"], ["good three"]])
    real = pypdf.PageObject.extract_text

    def flaky(self, *a, **kw):
        text = real(self, *a, **kw)
        if text == "bad":
            raise KeyError("/Font")
        return text

    monkeypatch.setattr(pypdf.PageObject, "extract_text", flaky)
    doc = load_document(path)
    assert [p.text for p in doc.pages] == ["good one", "", "good three"]
    assert doc.warnings == ["page 2: text extraction failed ('/Font')"]


def test_every_page_failing_is_an_error(tmp_path, monkeypatch):
    import pypdf

    path = make_pdf(tmp_path / "p.pdf", [["a"], ["b"]])
    monkeypatch.setattr(pypdf.PageObject, "extract_text", lambda self, *a, **k: (_ for _ in ()).throw(ValueError("boom")))
    assert reason(path) == "damaged PDF: text extraction failed on every page (boom)"


def test_control_characters_removed(tmp_path):
    path = make_pdf(tmp_path / "c.pdf", [["A\x00B\x07C\tD"]])
    assert load_document(path).pages[0].text == "ABC\tD"


# --------------------------------------------------------------------------- PDFs that must fail, each with its reason


def test_zero_byte_pdf(tmp_path):
    (tmp_path / "z.pdf").write_bytes(b"")
    assert reason(tmp_path / "z.pdf") == "empty file (0 bytes)"


def test_user_password_pdf(tmp_path):
    path = make_pdf(tmp_path / "locked.pdf", [["secret"]], encrypt_user_password="pw", encrypt_owner_password="own")
    assert reason(path) == "encrypted PDF needs a password"


def test_jpeg_renamed_pdf(tmp_path):
    path = tmp_path / "photo.pdf"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(2000))
    msg = reason(path)
    assert msg.startswith("not a PDF (file starts with b'\\xff\\xd8\\xff")
    assert "JPEG" in msg


def test_zip_renamed_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    # A fixed timestamp: the header's date bytes are in the message, and a
    # date whose bytes include a quote made repr() switch quote marks.
    member = zipfile.ZipInfo("word/document.xml", date_time=(2024, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, "<w:document/>")
    msg = reason(path)
    assert msg.startswith("not a PDF (file starts with b'PK\\x03\\x04")
    assert "ZIP" in msg


def test_html_error_page_saved_as_pdf(tmp_path):
    path = tmp_path / "agenda.pdf"
    path.write_text("<!DOCTYPE html>\n<html><body>404 Not Found</body></html>")
    msg = reason(path)
    assert msg.startswith("not a PDF (file starts with b'<!DOCTYPE html>\\n") and "HTML" in msg


def test_pdf_header_after_junk_is_accepted(tmp_path):
    good = make_pdf(tmp_path / "g.pdf", [["Still readable"]])
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"\x00" * 100 + good.read_bytes())
    doc = load_document(path)
    assert doc.pages[0].text == "Still readable"
    assert doc.warnings[0].startswith("pypdf: invalid pdf header")  # pypdf's log, captured per document


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_pdf(tmp_path, fraction):
    src = make_pdf(tmp_path / "full.pdf", pack_pages(4))
    path = make_truncated_pdf(src, tmp_path / "cut.pdf", fraction)
    assert reason(path).startswith("damaged PDF: file is truncated (no %%EOF marker")


@pytest.mark.skipif(not CORPUS_PDF.is_dir(), reason="shared corpus-pdf absent")
def test_truncated_real_pdf(tmp_path):
    src = sorted(CORPUS_PDF.glob("*.pdf"))[-1]
    path = make_truncated_pdf(src, tmp_path / "cut.pdf", 0.6)
    assert reason(path).startswith("damaged PDF: ")


def test_corrupt_pdf_garbage_body(tmp_path):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    assert reason(path).startswith("damaged PDF: ")


def test_corrupt_pdf_broken_xref_and_objects(tmp_path):
    good = make_pdf(tmp_path / "g.pdf", pack_pages(3)).read_bytes()
    bad = good.replace(b" obj", b" jbo").replace(b"xref", b"fxre")
    path = tmp_path / "broken.pdf"
    path.write_bytes(bad)
    assert reason(path).startswith("damaged PDF: ")


def test_image_only_pdf(tmp_path):
    path = make_image_only_pdf(tmp_path / "scan.pdf", pages=3)
    assert reason(path) == "no text layer (scanned or image-only PDF?); nothing indexed"


def test_decompression_bomb(tmp_path):
    path = make_decompression_bomb_pdf(tmp_path / "bomb.pdf")
    assert path.stat().st_size < 10_000
    assert reason(path).startswith("refused: exceeds decompression limit (")


def test_deep_page_tree(tmp_path):
    path = make_deep_nesting_pdf(tmp_path / "deep.pdf", depth=500)
    assert reason(path).startswith("refused: PDF structure nested too deeply")


def test_deeply_nested_arrays(tmp_path):
    path = make_nested_array_pdf(tmp_path / "nested.pdf", depth=5000)
    msg = reason(path)
    assert msg.startswith(("refused: PDF structure nested too deeply", "damaged PDF: ")), msg


def test_huge_page_tree_over_pypdf_limit(tmp_path):
    path = make_huge_page_tree_pdf(tmp_path / "huge.pdf", n_pages=200_000)
    assert reason(path).startswith("refused: exceeds a PDF safety limit (")


def test_too_many_pages(tmp_path):
    path = make_huge_page_tree_pdf(tmp_path / "many.pdf", n_pages=6000)
    assert reason(path) == "too many pages (6000 > limit 5000)"
    assert reason(make_pdf(tmp_path / "four.pdf", pack_pages(4)), max_pages=3) == "too many pages (4 > limit 3)"


def test_file_too_large(tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b" " * (2 * 1024 * 1024))
    assert reason(path, max_file_mb=1) == "file too large (2 MB > limit 1 MB)"


def test_unsupported_missing_and_directory(tmp_path):
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    assert reason(tmp_path / "sheet.xlsx") == "unsupported file type '.xlsx'"
    (tmp_path / "README").write_text("x")
    assert reason(tmp_path / "README") == "unsupported file type '(no suffix)'"
    assert reason(tmp_path / "missing.pdf") == "file not found"
    (tmp_path / "folder.pdf").mkdir()
    assert reason(tmp_path / "folder.pdf") == "not a regular file"


def test_unexpected_exception_is_wrapped(tmp_path, monkeypatch):
    import pypdf

    path = make_pdf(tmp_path / "p.pdf", [["x"]])
    monkeypatch.setattr(pypdf.PdfReader, "__init__", lambda self, *a, **k: (_ for _ in ()).throw(RecursionError()))
    assert reason(path) == "refused: PDF structure nested too deeply"
    monkeypatch.setattr(pypdf.PdfReader, "__init__", lambda self, *a, **k: (_ for _ in ()).throw(TypeError("odd")))
    assert reason(path) == "damaged PDF: odd"


# --------------------------------------------------------------------------- text files


def test_text_fixture_utf8(tmp_path):
    path = shutil.copy(EXCERPT, tmp_path / "minutes 'excerpt' – Café.txt")
    doc = load_document(path)
    assert doc.kind == "text" and doc.encoding == "utf-8" and doc.warnings == []
    assert len(doc.pages) == 1 and doc.pages[0].number is None and doc.pages[0].printed_page is None
    text = doc.pages[0].text
    assert text.startswith("Minutes of a meeting of the Adults and Communities")
    assert text.count("RESOLVED:") == 3 and "£" in text and "–" in text
    assert text == EXCERPT.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "encoding,prefix,expected_encoding,warning",
    [
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig", None),
        ("utf-16-le", b"\xff\xfe", "utf-16", None),
        ("utf-16-be", b"\xfe\xff", "utf-16", None),
        ("cp1252", b"", "cp1252", "decoded as cp1252 (not valid UTF-8)"),
    ],
)
def test_text_encodings(tmp_path, encoding, prefix, expected_encoding, warning):
    original = EXCERPT.read_text(encoding="utf-8")
    path = tmp_path / "m.md"
    path.write_bytes(prefix + original.encode(encoding))
    doc = load_document(path)
    assert doc.encoding == expected_encoding
    assert doc.pages[0].text == original
    assert doc.warnings == ([warning] if warning else [])


def test_text_latin1_fallback_never_crashes(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(b"Caf\xe9 \x81\x8d\x8f\x90\x9d report")  # bytes cp1252 leaves undefined
    doc = load_document(path)
    assert doc.encoding == "latin-1"
    assert doc.pages[0].text == "Café \x81\x8d\x8f\x90\x9d report"
    assert doc.warnings == ["decoded as latin-1 (not valid UTF-8 or cp1252)"]


def test_text_newlines_and_controls(tmp_path):
    path = tmp_path / "crlf.TXT"
    path.write_bytes(b"line one\r\nline\x00 two\r\n\tindented\x1b\rold mac\x0cpage")
    assert load_document(path).pages[0].text == "line one\nline two\n\tindented\nold mac\npage"


def test_text_empty_and_blank(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"")
    assert reason(tmp_path / "e.txt") == "empty file (0 bytes)"
    (tmp_path / "w.txt").write_bytes(b" \r\n\t\n  ")
    assert reason(tmp_path / "w.txt") == "no text"
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf\n")
    assert reason(tmp_path / "bom.txt") == "no text"


def test_text_binary_junk(tmp_path):
    import random

    rng = random.Random(7)
    (tmp_path / "junk.txt").write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    assert reason(tmp_path / "junk.txt") == "not a text file (binary content)"
    (tmp_path / "nuls.md").write_bytes(b"abc\x00\x00\x00def" * 100)
    assert reason(tmp_path / "nuls.md") == "not a text file (binary content)"
    (tmp_path / "utf16-no-bom.txt").write_bytes("hello council".encode("utf-16-le"))
    assert reason(tmp_path / "utf16-no-bom.txt") == "not a text file (binary content)"


def test_text_that_is_really_a_pdf_or_zip(tmp_path):
    pdf = make_pdf(tmp_path / "x.pdf", [["x"]])
    shutil.copy(pdf, tmp_path / "x.txt")
    assert reason(tmp_path / "x.txt").startswith("not a text file (binary content; looks like a PDF")
    with zipfile.ZipFile(tmp_path / "d.md", "w") as zf:
        zf.writestr("a", "b")
    assert reason(tmp_path / "d.md").startswith("not a text file (binary content; looks like a ZIP")


# --------------------------------------------------------------------------- running lines


def P(n: int, *lines: str) -> Page:
    return Page(n, "\n".join(lines))


def test_strip_running_lines_keeps_repeated_body_text():
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    pages = [
        P(
            i,
            "Leicester City Health and Wellbeing Board — 15 December 2016",
            "RESOLVED:",
            f"{i + 10}. Item {t}",
            "body text",
            "more body",
            "RESOLVED:",
            "that the report be noted.",
            f"end of {t}",
            f"Page {i}",
        )
        for i, t in enumerate(names, start=1)
    ]
    out = strip_running_lines(pages)
    assert [p.printed_page for p in out] == ["1", "2", "3", "4", "5"]
    for p, t in zip(out, names):
        assert p.text == (f"RESOLVED:\n{p.number + 10}. Item {t}\nbody text\nmore body\nRESOLVED:\nthat the report be noted.\nend of {t}")
    assert pages[0].text.startswith("Leicester")  # input untouched


def test_header_needs_40_percent_and_3_pages():
    def body(i):
        return [f"body {w} {i * 7 % 5}" for w in ("alpha", "beta", "gamma", "delta")]

    intros = ["Introduction", "Background", "Options", "Risks", "Finance", "Legal", "Equalities", "Next steps"]
    pages = [P(i, "Appendix L" if i <= 3 else intros[i - 1], *body(i)) for i in range(1, 9)]
    res = remove_running_lines(pages)
    assert [p.text for p in res.pages] == [p.text for p in pages]  # 3 of 8 < 40%
    assert res.running_header is None and res.removed_lines == 0
    pages = [P(i, "Appendix L" if i <= 4 else intros[i - 1], *body(i)) for i in range(1, 9)]
    res = remove_running_lines(pages)
    assert [p.text for p in res.pages[:4]] == ["\n".join(body(i)) for i in range(1, 5)]
    assert res.running_header == "Appendix L" and res.pages[4].text.startswith("Finance")
    two = [P(1, "Header", "a"), P(2, "Header", "b")]
    assert [p.text for p in strip_running_lines(two)] == ["Header\na", "Header\nb"]  # < 3 pages


def test_running_header_digits_normalised_and_first_form_kept():
    pages = [P(i, f"Cabinet  4  March 2025 –  page {i + 1}", f"x{i}", f"y{i}", f"z{i}", f"w{i}") for i in range(1, 5)]
    res = remove_running_lines(pages)
    assert res.running_header == "Cabinet  4  March 2025 –  page 2"
    assert [p.text for p in res.pages] == [f"x{i}\ny{i}\nz{i}\nw{i}" for i in range(1, 5)]
    # numbered lines that track the page but do not say 'page' stay (short synthetic pages)
    pages = [P(i, f"Item {i}", f"x{i}", f"y{i}", f"z{i}", f"w{i}") for i in range(1, 5)]
    assert [p.text for p in strip_running_lines(pages)] == [p.text for p in pages]
    # same shape, but the number does not follow the pages: body text, kept
    pages = [P(i, f"{n}. Item", f"x{i}", f"y{i}", f"z{i}", f"w{i}") for i, n in zip(range(1, 6), [3, 9, 4, 12, 6])]
    assert [p.text for p in strip_running_lines(pages)] == [p.text for p in pages]


def test_printed_page_forms():
    forms = {"Page 23": "23", "Page 23 of 40": "23", "page iv": "iv", "23 | P a g e": "23", "- 23 -": "23", "23 of 40": "23"}
    for stamp, expected in forms.items():
        [out] = strip_running_lines([P(7, "Body", "more body", stamp)])
        assert out.printed_page == expected and out.text == "Body\nmore body", stamp
    for not_a_stamp in ["2024/25", "12/2016", "40 of 23", "Pages 3"]:
        [out] = strip_running_lines([P(7, "Body", "more body", not_a_stamp)])
        assert out.printed_page is None and out.text.endswith(not_a_stamp), not_a_stamp


def test_lone_numbers_need_a_sequence():
    # page numbers at the top (as Word/Aspose exports extract): a sequence with constant offset
    pages = [P(i, f" {i + 2} ", f"Body {i}", f"text {i * 3 % 4}", "2028") for i in range(1, 5)]
    out = strip_running_lines(pages)
    assert [p.printed_page for p in out] == ["3", "4", "5", "6"]
    assert [p.text for p in out] == [f"Body {i}\ntext {i * 3 % 4}\n2028" for i in range(1, 5)]  # the year stays
    # isolated numbers that do not continue a sequence stay in the text
    pages = [P(1, "Total", "4"), P(2, "Risk", "4"), P(3, "Score", "3"), P(4, "x", "9")]
    out = strip_running_lines(pages)
    assert [p.printed_page for p in out] == [None] * 4 and [p.text for p in out] == [p.text for p in pages]
    [single] = strip_running_lines([P(1, "Only page", "1")])
    assert single.printed_page == "1" and single.text == "Only page"


def test_lone_numbers_on_stamped_pages_are_footnotes():
    pages = [
        P(i, "Board — 21 September 2017", f"text {w}", str(i - 98), f"more {w}", f"Page {i}")
        for i, w in zip(range(99, 103), ["a", "b", "c", "d"])
    ]
    out = strip_running_lines(pages)
    assert [p.printed_page for p in out] == ["99", "100", "101", "102"]
    assert [p.text.split("\n")[1] for p in out] == ["1", "2", "3", "4"]


def test_explicit_page_stamp_wins_over_agenda_stamp_below_it():
    pages = [P(i + 2, "Report text", f"line {i}", f"Page {i}", "Agenda Item 7") for i in range(1, 4)]
    out = strip_running_lines(pages)
    assert [p.printed_page for p in out] == ["1", "2", "3"]
    assert all(p.text.endswith("Agenda Item 7") for p in out)  # the item stamp is kept for structure


# --------------------------------------------------------------------------- the real corpus


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_PDF.is_dir(), reason="shared corpus-pdf absent")
def test_corpus_pdf_pages_header_and_printed_page():
    path = CORPUS_PDF / "004_6f7fe29cf4be1230.pdf"
    doc = load_document(path)
    assert len(doc.pages) == 48
    assert [p.number for p in doc.pages] == list(range(1, 49))
    assert [p.printed_page for p in doc.pages] == [str(n) for n in range(1, 49)]
    header = "Leicestershire County Council Adults and Communities Overview and Scrutiny Committee — 2 June 2015"
    assert doc.meta["running_header"] == header
    assert doc.meta["title"] == header and doc.meta["subject"] == "Agenda pack, 2 June 2015"
    assert not any(header in p.text for p in doc.pages)
    assert not any(line.startswith("Page ") for p in doc.pages for line in p.text.split("\n")[-1:])
    assert doc.pages[3].text.startswith("Minutes of a meeting of the Adults and Communities")
    assert sum(p.text.count("RESOLVED") for p in doc.pages) >= 3


@pytest.mark.slow
@pytest.mark.skipif(not REALPDF.is_dir(), reason="shared realpdf absent")
def test_every_real_pdf_loads_or_fails_cleanly():
    """All 57 Kent PDFs (751 pages): about 17 s on the 2-core dev box (~45 pages/s)."""
    files = sorted(REALPDF.rglob("*.pdf"))
    assert files
    loaded = 0
    start = time.perf_counter()
    for path in files:
        try:
            doc = load_document(path)
        except IngestError as exc:
            assert exc.reason and "\n" not in exc.reason
            continue
        loaded += 1
        assert doc.pages and any(p.text.strip() for p in doc.pages), path
        assert [p.number for p in doc.pages] == list(range(1, len(doc.pages) + 1))
    assert loaded == len(files)  # today every real file loads
    assert time.perf_counter() - start < 300


@pytest.mark.skipif(not REALPDF.is_dir(), reason="shared realpdf absent")
def test_real_public_pack_page_stamps():
    [path] = REALPDF.glob("full_council/*/public_packs/Item 3 Supplement*.pdf")
    doc = load_document(path)
    assert doc.pages[2].printed_page == "1"
    assert doc.pages[2].text.rstrip().endswith("Agenda Item 3")
    assert doc.pages[3].printed_page == "2" and "Page 2" not in doc.pages[3].text


# --------------------------------------------------------------------------- speed without changing the text


@pytest.mark.slow
def test_fonts_are_built_once_per_document_with_the_same_text(monkeypatch):
    """pypdf rebuilds every font of a page on every page; the loader shares them across the pages of one
    document (ingest/loaders.py). The text must be exactly what pypdf gives without the sharing."""
    from pypdf.generic._font import Font

    import boardpapers.ingest.loaders as loaders

    pdf = REPO / "corpus" / "004_6f7fe29cf4be1230.pdf"
    built = []
    original = Font.from_font_resource.__func__

    def counting(cls, pdf_font_dict):
        built.append(id(pdf_font_dict))
        return original(cls, pdf_font_dict)

    monkeypatch.setattr(Font, "from_font_resource", classmethod(counting))
    shared = load_document(pdf)
    shared_builds = len(built)
    assert shared_builds and shared_builds == len(set(built))  # each font dictionary once
    assert loaders.shared_fonts.cache is None  # the cache lives only while a document is read

    built.clear()
    monkeypatch.setattr(loaders, "share_fonts_across_pages", lambda: None)
    monkeypatch.setattr(loaders.shared_fonts, "cache", None, raising=False)
    from pypdf import _page

    monkeypatch.setattr(_page, "Font", Font)  # pypdf as shipped
    plain = load_document(pdf)
    assert len(built) > 5 * shared_builds  # one build per font per page
    assert [(p.number, p.text) for p in shared.pages] == [(p.number, p.text) for p in plain.pages]
    assert shared.meta == plain.meta and shared.warnings == plain.warnings
