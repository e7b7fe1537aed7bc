"""Parse one file into passages (run in worker processes): load, analyse the structure, chunk, mine the glossary.

Never raises: a file that cannot be parsed comes back as {"ok": False, "reason": ...} within the per-file limits.
"""

from __future__ import annotations

import signal
import time
from dataclasses import asdict, dataclass

from .chunk import chunk_document, heuristic_counter, join_pages, tokenizer_counter, with_context
from .context import passage_type
from .decisions import find_decisions, link_passages, vote_spans
from .glossary import mine
from .loaders import load_document
from .model import IngestError
from .ocr import OcrSettings
from .structure import analyse


@dataclass
class Limits:
    """Per-file resource limits (configurable on the command line)."""

    timeout_s: int = 300
    max_pages: int = 5000
    max_file_mb: int = 512
    ocr: bool = True  # read pages without a text layer by OCR (ingest/ocr.py); `--no-ocr` turns it off
    ocr_timeout: float = 60.0  # seconds per page


def ocr_settings(limits: Limits, started: float) -> OcrSettings:
    """OCR within ``limits``: no page is started once the file's time limit, counted from ``started``
    (time.monotonic), leaves less than a tenth of it (at least 5 s) to structure and chunk what was read."""
    deadline = None
    if limits.timeout_s > 0:
        deadline = started + limits.timeout_s - max(5.0, 0.1 * limits.timeout_s)
    return OcrSettings(enabled=limits.ocr, timeout_s=limits.ocr_timeout, deadline=deadline)


class _Timeout(BaseException):
    """Raised by the per-file alarm; a BaseException so that no `except Exception` in a parser can swallow it."""


def _alarm(signum, frame):  # pragma: no cover - runs in worker processes
    raise _Timeout()


def parse_file(path: str, limits: Limits, tokenizer_dir: str | None) -> dict:
    """Load, analyse and chunk one file (runs in a worker process). Never raises."""
    use_alarm = hasattr(signal, "SIGALRM") and limits.timeout_s > 0
    try:
        if use_alarm:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.alarm(limits.timeout_s)
        try:
            t0 = time.perf_counter()
            ocr = ocr_settings(limits, time.monotonic())
            doc = load_document(path, max_pages=limits.max_pages, max_file_mb=limits.max_file_mb, ocr=ocr)
            text, starts = join_pages(doc)
            st = analyse(doc, text, starts)
            count = tokenizer_counter(tokenizer_dir) if tokenizer_dir else heuristic_counter
            decisions = find_decisions(doc, text, starts, st)
            passages = chunk_document(doc, text, starts, st, count, whole=vote_spans(decisions))
            link_passages(decisions, passages)
            mark_ocr(doc, passages)
            for p in passages:
                p.doc_type = passage_type(st.meta.doc_type, p.section_kind)
            glossary = mine(text)
            if not passages:
                raise IngestError("no text to index")
            return {
                "ok": True,
                "meta": asdict(st.meta),
                "pages": len(doc.pages) if doc.kind == "pdf" else None,
                "warnings": list(doc.warnings),
                "encoding": doc.encoding,
                "passages": [asdict(p) for p in passages],
                "glossary": glossary,
                "decisions": decisions,
                "seconds": time.perf_counter() - t0,
            }
        finally:
            if use_alarm:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, old)
    except _Timeout:
        return {"ok": False, "reason": f"took longer than the per-file limit of {limits.timeout_s} s"}
    except IngestError as exc:
        return {"ok": False, "reason": exc.reason}
    except RecursionError:
        return {"ok": False, "reason": "refused: document structure nested too deeply"}
    except MemoryError:
        return {"ok": False, "reason": "refused: ran out of memory reading this file"}
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        return {"ok": False, "reason": f"unexpected error: {type(exc).__name__}: {str(exc)[:200]}"}


def mark_ocr(doc, passages) -> None:
    """Flag the passages on a page read by OCR (their words may be misread: citations say so)."""
    read = {p.number for p in doc.pages if p.ocr}
    for p in passages if read else ():
        if p.page is not None:
            p.ocr = any(n in read for n in range(p.page, (p.page_end or p.page) + 1))


def embed_text(p: dict) -> str:
    """What the embedding model sees of a passage: the context line, then the verbatim passage."""
    return with_context(p.get("context"), p["text"])
