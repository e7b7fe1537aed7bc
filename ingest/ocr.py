"""OCR of scanned pages: a PDF page without a text layer is read from its embedded image(s) by Debian's tesseract.

A scanned page is one (or a few) images drawn over the page. ``read_scanned_pages`` takes the pages the loader found
no text on, extracts their images with pypdf (no renderer needed), turns each into a PNG with Pillow and runs the
``tesseract`` command on it as a subprocess, one page at a time, each under a time limit (``OcrSettings.timeout_s``)
and never past ``OcrSettings.deadline``, the point at which the file's own time limit (ingest/parse.py) still leaves
room to structure and chunk what was read. A page that fails, times out or is not reached is named in a warning;
the rest of the file goes on. Tesseract is asked for one thread (``OMP_THREAD_LIMIT=1``): files are parsed in
parallel worker processes already, and its own threads only fight them (4.5 s against 14 s a page on 2 cores).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PACKAGE_HINT", "OcrOutcome", "OcrSettings", "find_tesseract", "has_scan", "read_scanned_pages", "scans"]

PACKAGE_HINT = "install Debian's tesseract-ocr to read scanned pages"
MIN_IMAGE_SIDE = 64  # pixels; smaller images (bullets, logos, rules) are never a scanned page
MAX_IMAGE_PIXELS = 80_000_000  # a bigger image is refused before Pillow decodes it (an A0 scan at 300 dpi is ~70 M)
MIN_SECONDS = 1.0  # a page is not started with less time than this left before the deadline


@dataclass
class OcrSettings:
    """Whether and how long to OCR: ``timeout_s`` per page; no page is started after ``deadline`` (time.monotonic)."""

    enabled: bool = True
    timeout_s: float = 60.0
    deadline: float | None = None


@dataclass
class OcrOutcome:
    """Text of the pages OCR read (page number -> text), and one line for each problem."""

    texts: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class _PageFailed(Exception):
    """OCR of one page failed; the message is the reason shown in the page's warning."""


def find_tesseract() -> str | None:
    """The path of the ``tesseract`` command, or None when it is not installed."""
    return shutil.which("tesseract")


def scans(page) -> list[tuple]:
    """The page's images big enough to be a scan, as (image id, width, height), in the page's order. Sizes of
    images drawn by name are read from their dictionaries (nothing decoded); inline and nested ones are decoded."""
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if resources is not None and hasattr(resources, "get") else None
    xobjects = xobjects.get_object() if xobjects is not None else {}
    out = []
    for key in page.images.keys():
        if isinstance(key, str) and not key.startswith("~") and key in xobjects:
            obj = xobjects[key].get_object()
            width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
        else:
            width, height = page.images[key].image.size
        if width >= MIN_IMAGE_SIDE and height >= MIN_IMAGE_SIDE:
            out.append((key, width, height))
    return out


def has_scan(page) -> bool:
    """Whether a page holds an image big enough to be a scanned page (what OCR could read)."""
    try:
        return bool(scans(page))
    except (RecursionError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - images that cannot be listed cannot be read either
        return False


def read_scanned_pages(pages: dict[int, object], settings: OcrSettings, exe: str) -> OcrOutcome:
    """OCR each of ``pages`` (page number -> pypdf page holding a scan) with the tesseract at ``exe``."""
    out = OcrOutcome()
    numbers = sorted(pages)
    for i, number in enumerate(numbers):
        left = None if settings.deadline is None else settings.deadline - time.monotonic()
        if left is not None and left < MIN_SECONDS:
            rest = numbers[i:]
            out.problems.append(f"{_pages(rest)} not read by OCR: the file's time limit was reached (raise --timeout)")
            break
        limit = settings.timeout_s if left is None else min(settings.timeout_s, left)
        try:
            text = _read_page(pages[number], exe, limit)
        except subprocess.TimeoutExpired:
            out.problems.append(f"page {number}: OCR took longer than {limit:.0f} s; page left without text")
            continue
        except _PageFailed as exc:
            out.problems.append(f"page {number}: OCR failed ({exc}); page left without text")
            continue
        if text.strip():
            out.texts[number] = text
        else:
            out.problems.append(f"page {number}: OCR found no text")
    return out


def _read_page(page, exe: str, limit: float) -> str:
    """The text tesseract reads from the page's scanned images, in the order the page lists them."""
    t_end = time.monotonic() + limit
    texts = []
    try:
        found = scans(page)
        rotation = int(page.rotation or 0) % 360
        width_in = float(page.mediabox.width) / 72
    except (RecursionError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf on a damaged or unsupported image
        raise _PageFailed(f"image unreadable: {_one_line(exc)}") from None
    for key, width, height in found:
        if width * height > MAX_IMAGE_PIXELS:
            raise _PageFailed(f"image of {width}x{height} pixels is over the limit of {MAX_IMAGE_PIXELS:,}")
        png = _png_of(page, key, rotation)
        left = t_end - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(exe, limit)
        across = height if rotation in (90, 270) else width
        dpi = max(70, min(1200, round(across / width_in))) if width_in > 0 else 300
        texts.append(_tesseract(png, exe, left, dpi))
    return "\n\n".join(t for t in texts if t.strip())


def _png_of(page, key, rotation: int) -> bytes:
    """The image as PNG bytes (grey, RGB or bilevel), turned upright for a page shown rotated."""
    from io import BytesIO

    try:
        pil = page.images[key].image
        if pil.mode not in ("1", "L", "RGB"):
            pil = pil.convert("RGB")
        if rotation:
            pil = pil.rotate(-rotation, expand=True)  # /Rotate turns clockwise; Pillow turns anticlockwise
        buf = BytesIO()
        pil.save(buf, "PNG")
    except (RecursionError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - an image Pillow or pypdf cannot decode (e.g. JBIG2 without jbig2dec)
        raise _PageFailed(f"image unreadable: {_one_line(exc)}") from None
    return buf.getvalue()


def _tesseract(png: bytes, exe: str, limit: float, dpi: int) -> str:
    """Run tesseract on one PNG; its text (UTF-8). Tesseract runs in a process group of its own, killed whole at
    ``limit`` seconds (TimeoutExpired) and on any exception raised while it runs (the per-file alarm included)."""
    with tempfile.TemporaryDirectory(prefix="boardpapers-ocr-") as tmp:
        src = Path(tmp) / "page.png"
        src.write_bytes(png)
        try:
            proc = subprocess.Popen(
                [exe, str(src), "stdout", "--dpi", str(dpi)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
                start_new_session=True,
            )
        except OSError as exc:
            raise _PageFailed(f"cannot run {exe}: {exc.strerror or exc}") from None
        try:
            out, err = proc.communicate(timeout=limit)
        except BaseException:
            _kill(proc)
            raise
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise _PageFailed(f"tesseract exited with status {proc.returncode}: {_one_line(lines[-1] if lines else '')}")
    return out.decode("utf-8", "replace").replace("\f", "\n")


def _kill(proc: subprocess.Popen) -> None:
    """Kill the process and whatever it started (its session's process group), and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):  # gone already, or no process groups here
        proc.kill()
    proc.communicate()


def _pages(numbers: list[int]) -> str:
    """'page 4' or 'pages 4-9' (consecutive) or 'pages 4, 7 and 2 more'."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    if numbers[-1] - numbers[0] == len(numbers) - 1:
        return f"pages {numbers[0]}-{numbers[-1]}"
    return f"pages {', '.join(map(str, numbers[:5]))}" + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def _one_line(value: object, limit: int = 120) -> str:
    text = " ".join(str(value).split()) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
