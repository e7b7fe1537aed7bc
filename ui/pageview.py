"""A PDF page as an image with the cited passage marked on it: what the source view shows in every browser.

Chromium will not render a PDF inside Streamlit's sandboxed iframe (the old viewer showed a broken-page icon in
Chrome and Edge), so the app renders the page itself with PDFium (pypdfium2) and sends a plain PNG. The passage is
found on the page by its words, not its exact characters: the stored passage text has had running headers,
spacing and line-end hyphens cleaned (ingest/clean.py), so the page's words and the passage's words are aligned
(difflib) and every run of at least ``MIN_RUN`` words in common is marked. The marked characters become PDFium's
text rectangles, mapped to the rendered image by PDFium itself (rotation and crop box included) and returned as
fractions of the image, so the app can lay them over the image at any width.

No Streamlit here: pure functions the source view caches and the tests call directly.
"""

from __future__ import annotations

import ctypes
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

RENDER_WIDTH = 1200  # pixels across the page image: sharp at the app's width
PALETTE = 96  # colours in the PNG: plenty for text, tables and charts; a third of the bytes of full colour
MIN_RUN = 3  # words in a row that must agree before they are marked (shorter runs are chance agreements)
BRIDGE = 4  # page words between two marked runs that are marked too (a cleaned header, a split hyphen)
_WORD = re.compile(r"\w+")


@dataclass
class PageImage:
    """One rendered page: ``png`` of ``size`` pixels, ``boxes`` (left, top, width, height) as fractions of the image
    for the passage's lines, and ``pages`` in the document."""

    png: bytes
    size: tuple[int, int]
    pages: int
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)


class PageError(Exception):
    """The page cannot be rendered (not a PDF, damaged, encrypted, no such page); the message says why."""


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise PageError(f"{path.name}: {exc}") from exc
    try:
        return len(pdf)
    finally:
        pdf.close()


def render_page(path: Path, page: int, passage: str = "") -> PageImage:
    """Page ``page`` (1-based) of the PDF at ``path`` as a PNG, with the lines holding ``passage`` located."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise PageError(f"{path.name}: {exc}") from exc
    try:
        if not 1 <= page <= len(pdf):
            raise PageError(f"{path.name} has no page {page} (it has {len(pdf)})")
        pg = pdf[page - 1]
        scale = RENDER_WIDTH / max(1.0, pg.get_width())
        image = pg.render(scale=scale, may_draw_forms=True).to_pil()
        buf = io.BytesIO()
        image.quantize(PALETTE).save(buf, format="PNG")  # a palette PNG: a text page in ~200 KB, crisp, in ~0.25 s
        boxes = passage_boxes(pg, image.size, passage) if passage.strip() else []
        return PageImage(png=buf.getvalue(), size=image.size, pages=len(pdf), boxes=boxes)
    finally:
        pdf.close()


def page_text_chars(textpage) -> str:
    """The page's characters, one per PDFium character index (so a position in the text is a character index)."""
    n = textpage.count_chars()
    text = textpage.get_text_range(0, n) if n > 0 else ""
    if len(text) == n:
        return text
    import pypdfium2.raw as pdfium_c  # characters outside the BMP came back as two UTF-16 units: ask one by one

    return "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 32) for i in range(n))


def passage_spans(page_text: str, passage: str) -> list[tuple[int, int]]:
    """(start, end) character spans of ``page_text`` that hold ``passage``: runs of at least MIN_RUN words in
    common (case-insensitive), joined across gaps of up to BRIDGE page words."""
    page_words = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(page_text)]
    want = [w.casefold() for w in _WORD.findall(passage)]
    if not page_words or not want:
        return []
    need = min(MIN_RUN, len(want))
    sm = difflib.SequenceMatcher(None, [w for w, _, _ in page_words], want, autojunk=False)
    runs: list[list[int]] = []
    for a, _b, size in sm.get_matching_blocks():
        if size < need:
            continue
        if runs and a - runs[-1][1] <= BRIDGE:
            runs[-1][1] = a + size
        else:
            runs.append([a, a + size])
    return [(page_words[a][1], page_words[e - 1][2]) for a, e in runs]


def passage_boxes(page, size: tuple[int, int], passage: str) -> list[tuple[float, float, float, float]]:
    """The passage's lines on ``page`` (a pypdfium2 page rendered at ``size``) as image fractions."""
    textpage = page.get_textpage()
    try:
        spans = passage_spans(page_text_chars(textpage), passage)
        boxes = []
        for start, end in spans:
            for i in range(textpage.count_rects(start, end - start)):
                left, bottom, right, top = textpage.get_rect(i)
                boxes.append(_to_image(page, size, left, bottom, right, top))
        return [b for b in boxes if b[2] > 0 and b[3] > 0]
    finally:
        textpage.close()


def _to_image(page, size: tuple[int, int], left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
    """A rectangle in page space as (left, top, width, height) fractions of the rendered image (PDFium's own
    page-to-device mapping, so a rotated page or an offset crop box lands right)."""
    import pypdfium2.raw as pdfium_c

    w, h = size
    xs, ys = [], []
    for px, py in ((left, bottom), (right, top)):
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, w, h, 0, px, py, ctypes.byref(dx), ctypes.byref(dy))
        xs.append(dx.value)
        ys.append(dy.value)
    pad = 2  # pixels around the glyphs' boxes, so the mark reads as a band, not a cut-out
    x0, x1 = max(0, min(xs) - pad), min(w, max(xs) + pad)
    y0, y1 = max(0, min(ys) - pad), min(h, max(ys) + pad)
    return (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h)
