"""The document text as lines, each with its character offsets, its page and its place among the page's lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Line:
    """One line of the document text (``text`` without its line break)."""

    start: int  # char offsets into the document text
    end: int
    text: str
    page_idx: int
    pos_in_page: int  # index of the line within its page (0 = first)
    page_lines: int


def split_lines(text: str, page_starts: list[int]) -> list[Line]:
    """The lines of ``text`` (the pages joined, page i starting at page_starts[i])."""
    out: list[Line] = []
    pos = 0
    pi = 0
    for raw in text.splitlines(keepends=True):
        while pi + 1 < len(page_starts) and pos >= page_starts[pi + 1]:
            pi += 1
        out.append(Line(pos, pos + len(raw), raw.rstrip("\n"), pi, 0, 0))
        pos += len(raw)
    # position within page, counting non-empty lines only
    by_page: dict[int, list[Line]] = {}
    for ln in out:
        if ln.text.strip():
            by_page.setdefault(ln.page_idx, []).append(ln)
    for lst in by_page.values():
        for k, ln in enumerate(lst):
            ln.pos_in_page = k
            ln.page_lines = len(lst)
    return out
