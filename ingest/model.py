"""Plain data types shared by the ingestion stages (no behaviour, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from boardpapers.errors import BoardpapersError

# every document type ingest.docmeta assigns (the `--type` filter and a sidecar manifest's doc_type take these)
DOC_TYPES = ("agenda", "minutes", "report", "appendix", "supplement", "other")


class IngestError(BoardpapersError):
    """A file could not be ingested; ``reason`` is one line a user can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Page:
    """One page of a loaded document (1-based ``number``; plain text is one page, number None)."""

    number: int | None
    text: str
    printed_page: str | None = None  # the 'Page N' stamped on the page, when there is one
    ocr: bool = False  # the text was read by OCR from a scanned image (ingest/ocr.py), not from a text layer


@dataclass
class LoadedDocument:
    """What a loader returns: the pages plus whatever the file itself says about it."""

    path: str
    kind: str  # "pdf" | "text"
    pages: list[Page]
    meta: dict = field(default_factory=dict)  # e.g. PDF /Title, /Author, /Subject
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None


@dataclass
class Passage:
    """A citable chunk of a document. ``text`` is verbatim; ``context`` is the heading trail."""

    text: str
    context: str
    page: int | None
    page_end: int | None
    printed_page: str | None
    item: str | None
    minute_number: str | None
    meeting_date: str | None
    is_decision: bool
    char_start: int
    char_end: int
    section_kind: str = "other"  # agenda | minutes | report | appendix | other
    ocr: bool = False  # on a page read by OCR (its words may be misread)
    doc_type: str | None = None  # the passage's own document type: in a pack, the section it sits in (ingest/context.py)
