"""Plain-text and Markdown files: bytes decoded (UTF-8, UTF-16 with BOM, cp1252, latin-1), binary content refused,
and the line-break / control-character normalisation every loaded text gets (PDF text too).
"""

from __future__ import annotations

import re

from .model import IngestError, LoadedDocument, Page

# C0 control characters except \t and \n (\r, \f, \v are turned into \n first), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Lone UTF-16 surrogates (a PDF's ToUnicode map can produce them): not encodable as UTF-8, so SQLite,
# JSON files and CSV exports would fail on them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def normalise_text(text: str) -> str:
    """\\r\\n and lone \\r, \\f, \\v -> \\n; NUL and other C0 control characters (bar \\n, \\t) removed;
    lone surrogates -> U+FFFD (the result always encodes as UTF-8)."""
    text = text.replace("\r\n", "\n")
    text = text.translate({0x0D: "\n", 0x0C: "\n", 0x0B: "\n"})
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def load_text_bytes(data: bytes, path: str = "<bytes>") -> LoadedDocument:
    """Decode a plain-text/Markdown file: UTF-8 (BOM optional), UTF-16 with BOM, else cp1252, else latin-1."""
    if not data:
        raise IngestError("empty file (0 bytes)")
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, text = "utf-8-sig", data[3:].decode("utf-8", errors="replace")
        if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
            warnings.append("invalid UTF-8 bytes replaced with U+FFFD")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = data.decode("utf-16", errors="replace")
            warnings.append("invalid UTF-16 data replaced with U+FFFD")
    else:
        kind = _binary_kind(data)
        if kind is not None:
            raise IngestError(f"not a text file (binary content{kind})")
        try:
            encoding, text = "utf-8", data.decode("utf-8")
        except UnicodeDecodeError:
            if _control_share(data) > 0.01:  # real cp1252/latin-1 text has next to no control bytes
                raise IngestError("not a text file (binary content)") from None
            try:
                encoding, text = "cp1252", data.decode("cp1252")
                warnings.append("decoded as cp1252 (not valid UTF-8)")
            except UnicodeDecodeError:
                encoding, text = "latin-1", data.decode("latin-1")
                warnings.append("decoded as latin-1 (not valid UTF-8 or cp1252)")
    text = normalise_text(text.lstrip("\ufeff"))
    if not text.strip():
        raise IngestError("no text")
    return LoadedDocument(path=path, kind="text", pages=[Page(None, text)], warnings=warnings, encoding=encoding)


def _control_share(data: bytes) -> float:
    """Share of NUL and other control bytes (bar tab, newlines, form feed, escape) in the first 64 KB."""
    sample = data[:65536]
    bad = sum(sample.count(b) for b in range(0, 32) if b not in (9, 10, 12, 13, 27))
    return bad / len(sample)


def _binary_kind(data: bytes) -> str | None:
    """None for text; for binary content '' or a detail for the reason ('; looks like ...')."""
    if data.startswith(b"%PDF"):
        return "; looks like a PDF: name it .pdf"
    for magic, what in MAGIC:
        if data.startswith(magic):
            return f"; looks like {what}"
    sample = data[:65536]
    nul = sample.count(0)
    if (nul >= 4 and nul * 100 >= len(sample)) or _control_share(data) > 0.05:
        return ""
    return None


# file signatures of common binary formats (a text file that starts like one is refused; so is a .pdf that does)
MAGIC = [
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive, e.g. .docx/.xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip file"),
]
