"""Loaders: one file -> ``LoadedDocument`` (pages of text), or ``IngestError`` with a one-line reason.

``load_document`` is the only entry point the rest of ``ingest/`` needs. It
dispatches on the file suffix (.pdf, .txt, .md; case-insensitive) and turns
every failure, including anything pypdf raises on hostile or broken input,
into ``IngestError(reason)``; the caller prefixes the file name.

The loader reads only the named file (bytes into memory, size-capped): it
follows no references to other files or URLs in a PDF and unpickles nothing.
Text files are decoded by ``textfiles``; this module reads PDFs.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from io import BytesIO
from pathlib import Path

from .clean import remove_running_lines
from .model import IngestError, LoadedDocument, Page
from .ocr import PACKAGE_HINT, OcrSettings, find_tesseract, has_scan, read_scanned_pages
from .textfiles import MAGIC, load_text_bytes, normalise_text

__all__ = ["load_document", "load_pdf_bytes", "load_text_bytes", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md")

PDF_META_KEYS = ("title", "author", "subject", "creator", "producer", "keywords", "creationdate", "moddate")
MAX_PAGE_WARNINGS = 10  # per-page extraction failures listed individually
MAX_PYPDF_WARNINGS = 3  # distinct pypdf log messages copied into warnings


# --------------------------------------------------------------------------- entry point


def load_document(
    path: str | os.PathLike, *, max_pages: int = 5000, max_file_mb: int = 512, ocr: OcrSettings | None = None
) -> LoadedDocument:
    """Load a .pdf, .txt or .md file into pages; any failure raises ``IngestError`` with a one-line reason.

    PDF pages without a text layer are read by OCR (ingest/ocr.py) unless ``ocr`` says not to."""
    try:
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            shown = suffix or "(no suffix)"
            raise IngestError(f"unsupported file type '{_one_line(shown, 20)}'")
        data = _read_capped(p, max_file_mb)
        if suffix == ".pdf":
            return load_pdf_bytes(data, str(path), max_pages=max_pages, ocr=ocr)
        return load_text_bytes(data, str(path))
    except IngestError:
        raise
    except RecursionError:
        raise IngestError("refused: structure nested too deeply") from None
    except MemoryError:
        raise IngestError("refused: not enough memory to load this file") from None
    except Exception as exc:  # last line of defence: never leak another exception type
        raise IngestError(f"unexpected error: {_short(exc)}") from exc


def _read_capped(p: Path, max_file_mb: int) -> bytes:
    """The file's bytes; refuses non-regular files (FIFOs, devices, folders) and files over the cap."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise IngestError("file not found") from None
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or _short(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise IngestError("not a regular file")
    if st.st_size == 0:
        raise IngestError("empty file (0 bytes)")
    limit = max_file_mb * 1024 * 1024
    if st.st_size > limit:
        raise IngestError(f"file too large ({st.st_size / 2**20:.0f} MB > limit {max_file_mb} MB)")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or _short(exc)}") from None
    if not data:
        raise IngestError("empty file (0 bytes)")
    if len(data) > limit:
        raise IngestError(f"file too large (> limit {max_file_mb} MB)")
    return data


# --------------------------------------------------------------------------- PDF


def _not_pdf_reason(data: bytes) -> str:
    head = data[:16]
    reason = f"not a PDF (file starts with {head!r}"
    for magic, what in MAGIC:
        if data.startswith(magic):
            return reason + f"; looks like {what})"
    low = data[:512].lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
        return reason + "; looks like an HTML/XML page, e.g. a saved error page)"
    return reason + ")"


class _PypdfLogCapture(logging.Handler):
    """Collects pypdf's log warnings for the thread that is loading a document (thread-safe)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._local = threading.local()

    def start(self) -> list[str]:
        self._local.records = []
        return self._local.records

    def stop(self) -> None:
        self._local.records = None

    def emit(self, record: logging.LogRecord) -> None:
        records = getattr(self._local, "records", None)
        if records is not None and len(records) < 100:
            try:
                records.append(_one_line(record.getMessage(), 160))
            except Exception:  # a bad format string must not break loading
                pass


_capture = _PypdfLogCapture()
_pypdf_logger = logging.getLogger("pypdf")
if not any(isinstance(h, _PypdfLogCapture) for h in _pypdf_logger.handlers):
    # Also keeps pypdf's chatter off stderr unless the application configures logging.
    _pypdf_logger.addHandler(_capture)


def load_pdf_bytes(data: bytes, path: str = "<bytes>", *, max_pages: int = 5000, ocr: OcrSettings | None = None) -> LoadedDocument:
    """Extract text page by page (1-based numbers), drop running headers/footers, keep Info metadata."""
    if not data:
        raise IngestError("empty file (0 bytes)")
    if data[:1024].find(b"%PDF") < 0:
        raise IngestError(_not_pdf_reason(data))
    truncated = data[-2048:].find(b"%%EOF") < 0
    logs = _capture.start()
    try:
        doc = _load_pdf(data, path, max_pages, ocr or OcrSettings())
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(_pdf_reason(exc, truncated)) from None
    finally:
        _capture.stop()
    if truncated:
        doc.warnings.insert(0, "no %%EOF marker at the end (file may be truncated); loaded what could be read")
    seen: list[str] = []
    for msg in logs:
        if msg not in seen:
            seen.append(msg)
    doc.warnings.extend(f"pypdf: {m}" for m in seen[:MAX_PYPDF_WARNINGS])
    return doc


shared_fonts = threading.local()  # .cache: id(font dict) -> (font dict, Font) while one PDF is read on this thread


def share_fonts_across_pages() -> None:
    """Make pypdf build each font of a document once, not once per page.

    ``PageObject.extract_text`` rebuilds every font of a page's resources (decoding its /ToUnicode CMap) on every
    page, though the pages of a pack share the same font objects: a third of all extraction time on council packs.
    While ``shared_fonts.cache`` is set (inside ``_load_pdf``), a font dictionary seen before on this thread returns
    the Font built from it; elsewhere pypdf behaves as shipped. If pypdf's internals differ from what this expects, it
    is left alone (slower, same text)."""
    try:
        from pypdf import _page
        from pypdf.generic._font import Font
    except ImportError:
        return
    if getattr(_page, "Font", None) is not Font or not callable(getattr(Font, "from_font_resource", None)):
        return

    class _SharedFont(Font):
        @classmethod
        def from_font_resource(cls, pdf_font_dict):
            cache = getattr(shared_fonts, "cache", None)
            if cache is None:
                return super().from_font_resource(pdf_font_dict)
            hit = cache.get(id(pdf_font_dict))
            if hit is not None and hit[0] is pdf_font_dict:
                return hit[1]
            font = super().from_font_resource(pdf_font_dict)
            cache[id(pdf_font_dict)] = (pdf_font_dict, font)  # holds the dict, so its id is not reused meanwhile
            return font

    _page.Font = _SharedFont  # type: ignore[misc]  # pypdf's module attribute, replaced on purpose


def _load_pdf(data: bytes, path: str, max_pages: int, ocr: OcrSettings) -> LoadedDocument:
    from pypdf import PdfReader  # imported here so text-only use never needs pypdf

    share_fonts_across_pages()
    shared_fonts.cache = {}
    try:
        return _read_pdf(PdfReader(BytesIO(data), strict=False), path, max_pages, ocr)
    finally:
        shared_fonts.cache = None


def _read_pdf(reader, path: str, max_pages: int, ocr: OcrSettings) -> LoadedDocument:
    warnings: list[str] = []
    if reader.is_encrypted:
        if not reader.decrypt(""):
            raise IngestError("encrypted PDF needs a password")
    n = len(reader.pages)
    if n == 0:
        raise IngestError("damaged PDF: no pages")
    if n > max_pages:
        raise IngestError(f"too many pages ({n} > limit {max_pages})")
    meta = _pdf_meta(reader, warnings)

    pages: list[Page] = []
    failures: list[tuple[int, str]] = []
    for number in range(1, n + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:
            if _is_limit(exc):
                raise
            failures.append((number, _short(exc, 100)))
            text = ""
        pages.append(Page(number, normalise_text(text)))

    if len(failures) == n:
        raise IngestError(f"damaged PDF: text extraction failed on every page ({failures[0][1]})")
    for number, why in failures[:MAX_PAGE_WARNINGS]:
        warnings.append(f"page {number}: text extraction failed ({why})")
    if len(failures) > MAX_PAGE_WARNINGS:
        warnings.append(f"text extraction failed on {len(failures) - MAX_PAGE_WARNINGS} more pages")
    failed = {f[0] for f in failures}
    empty = [p.number for p in pages if p.number is not None and not p.text.strip() and p.number not in failed]
    hint, ran = _read_by_ocr(reader, pages, empty, ocr, warnings) if empty and ocr.enabled else ("", False)
    empty = [p.number for p in pages if p.number is not None and not p.text.strip() and p.number not in failed]
    if len(empty) + len(failed) == n:
        read = " and OCR read no text" if ran else ""
        raise IngestError(f"no text layer (scanned or image-only PDF?){read}; nothing indexed" + (f"; {hint}" if hint else ""))
    if empty:
        why = f"blank or scanned; {hint}" if hint else "blank or scanned"
        warnings.append(f"no extractable text on page{'s' if len(empty) > 1 else ''} {_ranges(empty)} ({why})")

    cleaned = remove_running_lines(pages)
    if cleaned.running_header:
        meta["running_header"] = cleaned.running_header
    return LoadedDocument(path=path, kind="pdf", pages=cleaned.pages, meta=meta, warnings=warnings)


def _read_by_ocr(reader, pages: list[Page], empty: list[int], ocr: OcrSettings, warnings: list[str]) -> tuple[str, bool]:
    """OCR the scanned pages among ``empty`` into ``pages`` (marked ``ocr``), saying so in ``warnings``. Returns the
    hint to show when there are scans to read but no tesseract to read them (else ""), and whether OCR ran."""
    scanned = {number: reader.pages[number - 1] for number in empty if has_scan(reader.pages[number - 1])}
    if not scanned:
        return "", False
    exe = find_tesseract()
    if exe is None:
        return PACKAGE_HINT, False
    outcome = read_scanned_pages(scanned, ocr, exe)
    for number, text in outcome.texts.items():
        pages[number - 1] = Page(number, normalise_text(text), ocr=True)
    if outcome.texts:
        read = sorted(outcome.texts)
        warnings.append(f"page{'s' if len(read) > 1 else ''} {_ranges(read)} read by OCR")
    warnings.extend(outcome.problems[:MAX_PAGE_WARNINGS])
    if len(outcome.problems) > MAX_PAGE_WARNINGS:
        warnings.append(f"{len(outcome.problems) - MAX_PAGE_WARNINGS} more OCR problems not listed")
    return "", True


def _pdf_meta(reader, warnings: list[str]) -> dict:
    """The Info dict as plain ``str`` values, keys lowercased without the slash."""
    meta: dict[str, str] = {}
    try:
        info = reader.metadata
        if not info:
            return meta
        for key in list(info.keys()):
            name = str(key).lstrip("/").lower()
            if name not in PDF_META_KEYS:
                continue
            value = info[key]  # DictionaryObject.__getitem__ resolves indirect objects
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if not isinstance(value, str):
                continue
            value = _one_line(normalise_text(str(value)), 500).strip()
            if value:
                meta[name] = value
    except (RecursionError, MemoryError):
        raise
    except Exception as exc:
        if _is_limit(exc):
            raise
        warnings.append(f"document info unreadable ({_short(exc, 80)})")
    return meta


def _is_limit(exc: BaseException) -> bool:
    from pypdf.errors import LimitReachedError

    return isinstance(exc, LimitReachedError)


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 20:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _pdf_reason(exc: BaseException, truncated: bool) -> str:
    """One line for a PDF that pypdf could not read."""
    from pypdf.errors import DependencyError, EmptyFileError, FileNotDecryptedError, LimitReachedError

    chain = _chain(exc)
    if any(isinstance(e, RecursionError) for e in chain):
        return "refused: PDF structure nested too deeply"
    if any(isinstance(e, MemoryError) for e in chain):
        return "refused: not enough memory to read this PDF"
    if isinstance(exc, LimitReachedError):
        msg = _short(exc, 100)
        low = msg.lower()
        if "decompress" in low or "decod" in low:
            return f"refused: exceeds decompression limit ({msg})"
        if "depth" in low or "nest" in low:
            return f"refused: PDF structure nested too deeply ({msg})"
        return f"refused: exceeds a PDF safety limit ({msg})"
    if isinstance(exc, FileNotDecryptedError):
        return "encrypted PDF needs a password"
    if isinstance(exc, DependencyError):
        return f"encrypted PDF cannot be decrypted here ({_short(exc, 100)})"
    if isinstance(exc, EmptyFileError):
        return "empty file (0 bytes)"
    if truncated:
        return f"damaged PDF: file is truncated (no %%EOF marker; {_short(exc, 80)})"
    return f"damaged PDF: {_short(exc, 120)}"


# --------------------------------------------------------------------------- helpers


def _one_line(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(exc: BaseException, limit: int = 120) -> str:
    msg = _one_line(str(exc), limit)
    return msg or type(exc).__name__


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7' (at most 8 groups shown)."""
    groups: list[list[int]] = []
    for n in sorted(numbers):
        if groups and n == groups[-1][1] + 1:
            groups[-1][1] = n
        else:
            groups.append([n, n])
    parts = [f"{a}-{b}" if a != b else str(a) for a, b in groups]
    return ", ".join(parts[:8]) + (f" and {len(parts) - 8} more ranges" if len(parts) > 8 else "")
