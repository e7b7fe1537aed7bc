"""Showing names from outside (file names, paths, titles) on a terminal: control and bidi characters made visible."""

from __future__ import annotations

import re

# C0/C1 controls and DEL, lone surrogates (bytes of a name that is not UTF-8), line/paragraph separators, and the
# bidirectional marks, embeddings, overrides and isolates that make a terminal show text in another order
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{n - 0xDC00:02x}"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def shown_path(s: object) -> str:
    """``s`` as one line a terminal shows faithfully: newlines, other controls and bidi overrides as visible escapes
    (``\\n``, ``\\x1b``, ``\\u202e``). For text output only; JSON output is escaped by json.dumps."""
    return _HIDDEN.sub(_escape, str(s))


def doc_label(d: dict) -> str:
    """What a document (or a hit) is called where it is listed: its title, or its file's name when it has none."""
    from .titles import UNTITLED

    title = (d.get("title") or "").strip()
    if title and title != UNTITLED:
        return title
    return (d.get("path") or "").replace("\\", "/").rsplit("/", 1)[-1] or UNTITLED
