"""A tiny dependency-free PDF writer for tests (no reportlab).

Main entry point::

    from pdfgen import make_pdf   # tests/ is on sys.path under pytest (rootdir conftest-less layout)
    make_pdf(tmp_path / "pack.pdf", [
        ["Cabinet - 15 December 2016", "1. APOLOGIES", "Page 1"],   # page 1, one string per line
        ["Cabinet - 15 December 2016", "RESOLVED: that ...", "Page 2"],
    ], title="Cabinet agenda pack")

Each page is a list of lines, drawn top-down in Helvetica 11pt on an A4 page,
so ``pypdf``'s ``extract_text()`` returns them one per line. Text is encoded in
WinAnsi (cp1252): ASCII plus latin-1 letters, '£', '–', '—', '‘ ’ “ ”' work;
other characters become '?'. Long lines are not wrapped.

Mind ``ingest.clean`` when checking what the loader returns: a line among the
first/last 3 lines of a page that repeats on >= 40% of pages (>= 3 pages) is
removed as a running header/footer, and a 'Page N' line becomes
``Page.printed_page``. Give short synthetic pages distinct lines.

Helpers for bad inputs: ``make_image_only_pdf``, ``make_truncated_pdf``,
``make_decompression_bomb_pdf``, ``make_deep_nesting_pdf`` (page tree),
``make_nested_array_pdf``, ``make_huge_page_tree_pdf``.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

__all__ = [
    "make_pdf",
    "make_image_only_pdf",
    "make_truncated_pdf",
    "make_decompression_bomb_pdf",
    "make_deep_nesting_pdf",
    "make_huge_page_tree_pdf",
    "make_nested_array_pdf",
    "pdf_string",
]

PAGE_W, PAGE_H = 595, 842  # A4 in points
FONT_SIZE = 11
LEADING = 14
TOP = 800
LEFT = 56


# --------------------------------------------------------------------------- low level


def pdf_string(text: str | bytes) -> bytes:
    """A PDF literal string: WinAnsi bytes with ( ) \\ and non-printables escaped."""
    raw = text if isinstance(text, bytes) else text.encode("cp1252", errors="replace")
    out = bytearray(b"(")
    for b in raw:
        if b in b"()\\":
            out += b"\\" + bytes([b])
        elif 32 <= b < 127:
            out.append(b)
        else:
            out += b"\\%03o" % b
    out += b")"
    return bytes(out)


def _info_string(text: str) -> bytes:
    """A text string for the Info dict: literal if ASCII, else UTF-16BE with BOM (hex)."""
    if all(32 <= ord(c) < 127 for c in text):
        return pdf_string(text)
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(body), extra) + body + b"\nendstream"


class _RawPdf:
    """Objects numbered from 1; ``write`` adds the header, xref table and trailer."""

    def __init__(self) -> None:
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        self.objects.append(None)
        return len(self.objects)

    def set(self, num: int, body: bytes) -> None:
        self.objects[num - 1] = body

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def write(self, path: Path, root: int, info: int | None = None) -> Path:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(self.objects, start=1):
            assert body is not None, f"object {i} reserved but never set"
            offsets.append(len(out))
            out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        for off in offsets:
            out += b"%010d 00000 n \n" % off
        trailer = b"<< /Size %d /Root %d 0 R" % (len(self.objects) + 1, root)
        if info is not None:
            trailer += b" /Info %d 0 R" % info
        out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
        path = Path(path)
        path.write_bytes(bytes(out))
        return path


def _text_content(lines: list[str]) -> bytes:
    ops = [b"BT", b"/F1 %d Tf" % FONT_SIZE, b"%d TL" % LEADING, b"%d %d Td" % (LEFT, TOP)]
    for i, line in enumerate(lines):
        ops.append(pdf_string(line) + (b" Tj" if i == 0 else b" '"))
    ops.append(b"ET")
    return b"\n".join(ops)


def _build(
    path: Path,
    contents: list[bytes],
    *,
    info: dict[str, str] | None = None,
    javascript: str | None = None,
    link_uri: str | None = None,
    content_extra: bytes = b"",
) -> Path:
    pdf = _RawPdf()
    catalog = pdf.reserve()
    pages = pdf.reserve()
    font = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for i, body in enumerate(contents):
        content = pdf.add(_stream(body, content_extra))
        annots = b""
        if link_uri is not None and i == 0:
            link = pdf.add(
                b"<< /Type /Annot /Subtype /Link /Rect [56 40 300 60] /Border [0 0 0] "
                b"/A << /S /URI /URI " + pdf_string(link_uri) + b" >> >>"
            )
            annots = b" /Annots [%d 0 R]" % link
        kids.append(
            pdf.add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R%s >>" % (pages, PAGE_W, PAGE_H, font, content, annots)
            )
        )
    pdf.set(pages, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    cat = b"<< /Type /Catalog /Pages %d 0 R" % pages
    if javascript is not None:
        js = pdf.add(b"<< /S /JavaScript /JS " + pdf_string(javascript) + b" >>")
        cat += b" /OpenAction %d 0 R /Names << /JavaScript << /Names [(js0) %d 0 R] >> >>" % (js, js)
    pdf.set(catalog, cat + b" >>")
    info_num = None
    if info:
        entries = b" ".join(b"/" + k.encode("ascii") + b" " + _info_string(v) for k, v in info.items())
        info_num = pdf.add(b"<< " + entries + b" >>")
    return pdf.write(path, catalog, info_num)


# --------------------------------------------------------------------------- public API


def make_pdf(
    path: str | Path,
    pages: list[list[str]],
    *,
    title: str | None = None,
    author: str | None = None,
    subject: str | None = None,
    encrypt_user_password: str | None = None,
    encrypt_owner_password: str | None = None,
    javascript: str | None = None,
    link_uri: str | None = None,
) -> Path:
    """Write a text PDF: ``pages`` is a list of pages, each a list of lines; returns ``path``.

    ``title``/``author``/``subject`` go into the Info dict. ``javascript`` adds a
    document-open JavaScript action; ``link_uri`` a URI link annotation on page 1.
    Giving either password encrypts the file with pypdf (AES-256): with only an
    owner password the user password is empty, so readers open it without asking.
    """
    path = Path(path)
    info = {k: v for k, v in (("Title", title), ("Author", author), ("Subject", subject)) if v is not None}
    if info:
        info["Producer"] = "boardpapers tests/pdfgen.py"
    _build(path, [_text_content(lines) for lines in pages], info=info, javascript=javascript, link_uri=link_uri)
    if encrypt_user_password is not None or encrypt_owner_password is not None:
        from pypdf import PdfReader, PdfWriter  # only needed for encryption

        writer = PdfWriter(clone_from=PdfReader(path))
        writer.encrypt(
            user_password=encrypt_user_password or "",
            owner_password=encrypt_owner_password,
            algorithm="AES-256",
        )
        with open(path, "wb") as fh:
            writer.write(fh)
    return path


def make_image_only_pdf(path: str | Path, pages: int = 1) -> Path:
    """A 'scanned' PDF: each page holds a filled rectangle and a tiny inline image, no text."""
    body = (
        b"q 0.2 0.2 0.8 rg 72 600 300 150 re f Q\n"
        b"q 200 0 0 200 72 300 cm\n"
        b"BI /W 4 /H 4 /CS /G /BPC 8 ID\n" + bytes(range(0, 256, 16)) + b"\nEI Q"
    )
    return _build(Path(path), [body] * pages)


def make_truncated_pdf(src: str | Path, dst: str | Path, fraction: float = 0.5) -> Path:
    """Copy the first ``fraction`` of ``src`` to ``dst`` (a download cut short)."""
    data = Path(src).read_bytes()
    dst = Path(dst)
    dst.write_bytes(data[: max(1, int(len(data) * fraction))])
    return dst


def _pypdf_zlib_limit() -> int:
    """The FlateDecode output limit the installed pypdf enforces (75 MB in pypdf 7)."""
    try:
        from pypdf import get_configuration

        limit = get_configuration().zlib_maximum_output_length
    except Exception:  # older pypdf: module constant
        try:
            from pypdf.filters import ZLIB_MAX_OUTPUT_LENGTH as limit
        except Exception:
            limit = 75_000_000
    return int(limit) if limit else 75_000_000


@lru_cache(maxsize=2)
def _bomb_payload(size: int) -> bytes:
    """``size`` bytes of spaces, Flate-compressed twice (a ~KB stream that inflates past ``size``)."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    parts = []
    left = size
    while left > 0:
        n = min(left, len(chunk))
        parts.append(comp.compress(chunk[:n]))
        left -= n
    parts.append(comp.flush())
    once = b"".join(parts)
    return zlib.compress(once, 9)


def make_decompression_bomb_pdf(path: str | Path, inflated_bytes: int | None = None) -> Path:
    """A one-page PDF whose content stream (FlateDecode twice) inflates past pypdf's zlib limit.

    The file is a few KB; the second decoding stage would produce ``inflated_bytes``
    (default: pypdf's ``zlib_maximum_output_length`` + 1 MB) of spaces.
    """
    size = inflated_bytes or _pypdf_zlib_limit() + (1 << 20)
    payload = _bomb_payload(size)
    pdf = _RawPdf()
    catalog = pdf.reserve()
    pages = pdf.reserve()
    font = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    content = pdf.add(b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(payload) + payload + b"\nendstream")
    page = pdf.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (pages, font, content)
    )
    pdf.set(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    return pdf.write(Path(path), catalog)


def make_deep_nesting_pdf(path: str | Path, depth: int = 500) -> Path:
    """A PDF whose page tree nests ``depth`` /Pages nodes before the single text page."""
    pdf = _RawPdf()
    catalog = pdf.reserve()
    nodes = [pdf.reserve() for _ in range(depth)]
    font = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    content = pdf.add(_stream(_text_content(["Deep page"])))
    page = pdf.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (nodes[-1], font, content)
    )
    for i, num in enumerate(nodes):
        kid = nodes[i + 1] if i + 1 < depth else page
        parent = b" /Parent %d 0 R" % nodes[i - 1] if i else b""
        pdf.set(num, b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (kid, parent))
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % nodes[0])
    return pdf.write(Path(path), catalog)


def make_nested_array_pdf(path: str | Path, depth: int = 5000) -> Path:
    """A one-page PDF whose page dictionary holds an array nested ``depth`` levels deep."""
    pdf = _RawPdf()
    catalog = pdf.reserve()
    pages = pdf.reserve()
    font = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    content = pdf.add(_stream(_text_content(["Nested page"])))
    nested = b"[" * depth + b"0" + b"]" * depth
    page = pdf.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Junk " % pages
        + nested
        + b" /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, content)
    )
    pdf.set(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    return pdf.write(Path(path), catalog)


def make_huge_page_tree_pdf(path: str | Path, n_pages: int = 6000) -> Path:
    """A small file claiming ``n_pages`` pages: one page object listed ``n_pages`` times in /Kids."""
    pdf = _RawPdf()
    catalog = pdf.reserve()
    pages = pdf.reserve()
    font = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    content = pdf.add(_stream(_text_content(["Repeated page"])))
    page = pdf.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (pages, font, content)
    )
    kids = b" ".join([b"%d 0 R" % page] * n_pages)
    pdf.set(pages, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages))
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    return pdf.write(Path(path), catalog)
