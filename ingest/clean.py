"""Remove running headers/footers and stamped page numbers from PDF pages.

Two rules, applied in this order:

1. Printed page numbers. A stamped 'Page 23', 'Page 23 of 40', '23 | Page',
   '- 23 -' among the first or last 3 non-empty lines of a page is removed and
   kept as ``Page.printed_page`` ("23"). A lone number ('23') among those lines
   is treated the same way only on pages without such a stamp and when it fits
   the page sequence: a nearby page (up to 2 pages away) carries a lone number
   with the same offset from its PDF page number (or, in a one-page document,
   it is '1'). That keeps table cells, footnote marks and years ('2028' as the
   last line of a table) in the text.
2. Running lines (documents with >= 3 pages that have text). Lines among the
   first 3 (header zone) or last 3 (footer zone) non-empty lines of each page
   are grouped by their normalised form (casefolded, digits -> '#', whitespace
   collapsed). A group sitting in the same zone on at least 40% of the pages
   with text, and on at least 3 of them, is a running line when either one
   exact form of it repeats that often, or (digits varying, and the line says
   'page') a number in it tracks the page number on that many pages
   ('Cabinet 4 March 2025 - Page 7').
   Those lines are removed from that zone. Lines in the body are never
   touched; decision labels and wording / agenda stamps ('RESOLVED:',
   'that the report be noted.', 'Agenda Item 7') and lone numbers are never
   removed by this rule.

``remove_running_lines`` also returns the most common removed header line (as
first printed) because it names the council/body/date on many packs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from .model import Page

__all__ = ["strip_running_lines", "remove_running_lines", "CleanResult", "normalise_line"]

ZONE = 3  # first/last N non-empty lines are header/footer candidates
MIN_SHARE = 0.4  # a running line repeats on >= 40% of pages with text ...
MIN_PAGES = 3  # ... and on at least 3 of them

_ROMAN = r"[ivxlcdm]{1,7}"
# Explicit page stamps: group 'n' is the printed page.
_EXPLICIT_PAGE = [
    re.compile(rf"(?:page|pg\.?|p\.)\s*(?P<n>\d{{1,5}}|{_ROMAN})(?:\s*(?:of|/)\s*\d{{1,5}})?\.?", re.I),
    re.compile(r"(?P<n>\d{1,5})\s*\|\s*p\s?a\s?g\s?e", re.I),  # Word's '3 | P a g e'
    re.compile(r"p\s?a\s?g\s?e\s*\|\s*(?P<n>\d{1,5})", re.I),
    re.compile(r"[-–—]\s*(?P<n>\d{1,5})\s*[-–—]"),  # '- 3 -'
    re.compile(r"(?P<n>\d{1,5})\s+of\s+(?P<m>\d{1,5})", re.I),  # '3 of 12' (n <= m checked)
]
_LONE_NUMBER = re.compile(r"(?P<n>\d{1,4})")
# Never strip these even when they repeat in header/footer positions.
_PROTECTED = re.compile(
    r"^(?:resolved|agreed|recommend\w*|agenda\s+item|item\s+#|that\b|(?:the\s+)?report\s+(?:be|was)\s+noted)",
    re.I,
)
_DIGITS = re.compile(r"\d")
_NUMBER = re.compile(r"\d{1,5}")
_PAGE_WORD = re.compile(r"\bpage\b", re.I)
_SPACE = re.compile(r"\s+")


@dataclass
class CleanResult:
    pages: list[Page]
    running_header: str | None  # most common removed header line, as printed on its first page
    removed_lines: int  # running header/footer lines removed (page-number lines not counted)


def normalise_line(line: str) -> str:
    """Key for comparing header/footer lines across pages."""
    return _SPACE.sub(" ", _DIGITS.sub("#", line)).strip().casefold()


def strip_running_lines(pages: list[Page]) -> list[Page]:
    """Pages with running headers/footers removed and stamped page numbers moved to ``printed_page``."""
    return remove_running_lines(pages).pages


def _zones(lines: list[str]) -> tuple[list[int], list[int]]:
    """Indexes of the first and last ZONE non-empty lines."""
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    return nonempty[:ZONE], nonempty[-ZONE:]


def _explicit_page(line: str) -> str | None:
    s = line.strip()
    for rx in _EXPLICIT_PAGE:
        m = rx.fullmatch(s)
        if m and not ("m" in rx.groupindex and int(m.group("n")) > int(m.group("m"))):
            return m.group("n")
    return None


def _running_in_zone(
    split: list[list[str]],
    zones: list[tuple[list[int], list[int]]],
    drop: list[set[int]],
    with_text: list[int],
    numbers: list[int],
    zone_index: int,
    need: int,
) -> list[tuple[int, int, str]]:
    """(page index, line index, key) of the running lines in the header (0) or footer (1) zone.

    Lines are grouped by ``normalise_line``. A group is running when one exact form
    (case and spacing aside) sits on >= ``need`` pages, or, for lines that say 'page'
    and whose digits vary, when a number in them tracks the page number (same offset)
    on >= ``need`` pages ('Cabinet, 4 March 2025 - Page 7'). Text that merely looks
    alike ('Item 3 ...', 'Item 5 ...', 'Body 1', 'Body 2') is kept.
    """
    groups: dict[str, list[tuple[int, int, str, set[int]]]] = {}
    for pi in with_text:
        for li in zones[pi][zone_index]:
            if li in drop[pi]:
                continue
            line = split[pi][li]
            key = normalise_line(line)
            if not key.strip("#") or _PROTECTED.match(key):
                continue  # lone numbers are rule 1's business; decision labels stay
            exact = _SPACE.sub(" ", line).strip().casefold()
            offsets = {int(n) - numbers[pi] for n in _NUMBER.findall(line)} if _PAGE_WORD.search(line) else set()
            groups.setdefault(key, []).append((pi, li, exact, offsets))
    hits: list[tuple[int, int, str]] = []
    for key, entries in groups.items():
        if len({e[0] for e in entries}) < need:
            continue
        form_pages: dict[str, set[int]] = {}
        offset_pages: dict[int, set[int]] = {}
        for pi, _, exact, offsets in entries:
            form_pages.setdefault(exact, set()).add(pi)
            for off in offsets:
                offset_pages.setdefault(off, set()).add(pi)
        forms = {f for f, pis in form_pages.items() if len(pis) >= need}
        offs = {o for o, pis in offset_pages.items() if len(pis) >= need}
        for pi, li, exact, offsets in entries:
            if exact in forms or offsets & offs:
                hits.append((pi, li, key))
    hits.sort()
    return hits


def _header_hint(split: list[list[str]], hits: list[tuple[int, int, str]]) -> str | None:
    """The most often removed header line that names something (>= 3 letters), as first printed."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, int]] = {}
    for pi, li, key in hits:  # sorted by page, then line
        if sum(c.isalpha() for c in key) >= 3:
            counts[key] += 1
            first.setdefault(key, (pi, li))
    if not counts:
        return None
    best = min(counts, key=lambda k: (-counts[k], first[k]))
    pi, li = first[best]
    return split[pi][li].strip()


def remove_running_lines(pages: list[Page]) -> CleanResult:
    """Apply both rules (see module doc); input pages are not modified."""
    split = [p.text.split("\n") for p in pages]
    zones = [_zones(lines) for lines in split]
    drop: list[set[int]] = [set() for _ in pages]
    printed: list[str | None] = [p.printed_page for p in pages]
    numbers = _drop_page_numbers(pages, split, zones, drop, printed)
    running_header, removed = _drop_running_lines(split, zones, drop, numbers)

    out = []
    for pi, page in enumerate(pages):
        if drop[pi]:
            kept = [line for li, line in enumerate(split[pi]) if li not in drop[pi]]
            text = "\n".join(kept).strip("\n")
        else:
            text = page.text
        out.append(replace(page, text=text, printed_page=printed[pi]))
    return CleanResult(out, running_header, removed)


def _drop_page_numbers(
    pages: list[Page],
    split: list[list[str]],
    zones: list[tuple[list[int], list[int]]],
    drop: list[set[int]],
    printed: list[str | None],
) -> list[int]:
    """Rule 1, printed page numbers: adds their lines to ``drop`` and their values to ``printed``; returns each
    page's number (its PDF page number, else its position)."""
    lone: list[list[tuple[int, int]]] = [[] for _ in pages]  # (line index, value)
    for pi, (lines, (head, foot)) in enumerate(zip(split, zones)):
        found: str | None = None
        # bottom-up through the footer, then top-down through the header
        for li in list(reversed(foot)) + [i for i in head if i not in foot]:
            n = _explicit_page(lines[li])
            if n is not None:
                drop[pi].add(li)
                found = found or n
                continue
            m = _LONE_NUMBER.fullmatch(lines[li].strip())
            if m:
                lone[pi].append((li, int(m.group("n"))))
        if found is not None:
            printed[pi] = found
            lone[pi] = []  # a stamped page: lone numbers on it are footnotes, cells, or the report's own numbering

    numbers = [p.number if p.number is not None else i + 1 for i, p in enumerate(pages)]
    offsets = [{v - numbers[pi] for _, v in lone[pi]} for pi in range(len(pages))]
    for pi, cands in enumerate(lone):
        for li, v in cands:
            off = v - numbers[pi]
            near = any(off in offsets[pj] for pj in range(max(0, pi - 2), min(len(pages), pi + 3)) if pj != pi)
            if near or (off == 0 and len(pages) == 1):
                drop[pi].add(li)
                if printed[pi] is None:
                    printed[pi] = str(v)
    return numbers


def _drop_running_lines(
    split: list[list[str]],
    zones: list[tuple[list[int], list[int]]],
    drop: list[set[int]],
    numbers: list[int],
) -> tuple[str | None, int]:
    """Rule 2, running headers / footers: adds their lines to ``drop``; returns (the header hint, lines removed)."""
    with_text = [pi for pi, lines in enumerate(split) if any(line.strip() for line in lines)]
    running_header = None
    removed = 0
    if len(with_text) >= MIN_PAGES:
        need = max(MIN_PAGES, math.ceil(MIN_SHARE * len(with_text)))
        for zone_index in (0, 1):
            hits = _running_in_zone(split, zones, drop, with_text, numbers, zone_index, need)
            for pi, li, _ in hits:
                drop[pi].add(li)
            removed += len(hits)
            if zone_index == 0:
                running_header = _header_hint(split, hits)
    return running_header, removed
