"""Agenda items: the numbered list on an agenda's front pages (title, appendix letter, page range), the divider
pages that open an item's papers, and matching a title against an item's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .headings import smart_title


@dataclass
class AgendaItem:
    """One item of an agenda's list: its number, title, appendix letter and page range."""

    number: int
    title: str
    appendix: str | None = None
    pages: str | None = None
    has_papers: bool = False

    def label(self) -> str:
        s = f"{self.number}. {self.title}"
        if self.appendix:
            s += f" (Appendix {self.appendix})"
        return s


_ITEM_RE = re.compile(r"^\s*(?:[-•]\s*)?(\d{1,2})\.\s+(\S.{2,200})$")
_ITEM_NUM_ONLY_RE = re.compile(r"^\s*(?:[-•]\s*)?(\d{1,2})\.\s*$")
_APPX_RE = re.compile(r"\bAppendix\s+([A-Z])\b")
_PAGES_RE = re.compile(r"\(Pages?\s+(\d+)\s*(?:-\s*(\d+))?", re.I)
_PAPERLESS = re.compile(
    r"apolog|declaration|questions? (from|by|asked)|dates? of (future|next)|any other|urgent|close of meeting|"
    r"election of|appointment of chair|petitions|question time|exclusion of|webcast",
    re.I,
)


def _page_range(m: re.Match) -> str:
    return m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")


def _title_and_pages(title: str) -> tuple[str, str | None]:
    """An item's title without its first sentence's tail, and the '(Pages 5 - 16)' printed on its line (ModernGov's
    layout) as its page range, not its title."""
    own = _PAGES_RE.search(title)
    if own:
        title = (title[: own.start()] + title[own.end() :].lstrip(" )")).strip()
    return re.split(r"(?<=[a-z])\.\s", title)[0].rstrip(". "), _page_range(own) if own else None


_LAST_ITEM = re.compile(r"^\s*any other (urgent )?(items|business)", re.I)


def parse_agenda(lines: list[str], page_of: list[int] | None = None) -> tuple[list[AgendaItem], int]:
    """Agenda items (number, title, appendix letter, page range) and the line index where the agenda ends."""
    items: list[AgendaItem] = []
    expect = 1
    i = 0
    last_page = None
    end = len(lines)
    while i < len(lines):
        line = lines[i]
        if items and _LAST_ITEM.search(items[-1].title):
            end = i
            break
        if items and page_of and last_page is not None and page_of[i] > last_page + 2:
            end = next(j for j in range(len(lines)) if page_of[j] > last_page)
            break
        line = lines[i]
        m = _ITEM_RE.match(line)
        num: int | None = None
        title = ""
        if m and int(m.group(1)) in (expect, expect + 1):
            num, title = int(m.group(1)), m.group(2)
        else:
            m2 = _ITEM_NUM_ONLY_RE.match(line)
            if m2 and int(m2.group(1)) in (expect, expect + 1) and i + 1 < len(lines):
                num, title = int(m2.group(1)), lines[i + 1]
        if num is None:
            i += 1
            continue
        title = title.strip()
        # an upper-case title may run over two lines
        if title.isupper() and i + 1 < len(lines) and lines[i + 1].strip().isupper() and not _ITEM_RE.match(lines[i + 1]):
            nxt = lines[i + 1].strip()
            if not _APPX_RE.search(nxt) and len(nxt) < 80:
                title = f"{title} {nxt}"
        title, pages = _title_and_pages(title)
        items.append(AgendaItem(number=num, title=smart_title(title)[:160], pages=pages))
        if page_of:
            last_page = page_of[i]
        expect = num + 1
        i += 1
        # look ahead (until the next item) for appendix letter and pages
        j = i
        while j < len(lines) and j < i + 14:
            number = _ITEM_RE.match(lines[j]) or _ITEM_NUM_ONLY_RE.match(lines[j])
            if number and int(number.group(1)) == expect:
                break
            am = _APPX_RE.search(lines[j])
            if am and not items[-1].appendix:
                items[-1].appendix = am.group(1)
            pm = _PAGES_RE.search(lines[j])
            if pm and not items[-1].pages:
                items[-1].pages = _page_range(pm)
            j += 1
    for it in items:
        it.has_papers = bool(it.appendix or it.pages) or not _PAPERLESS.search(it.title)
    return items, end


AGENDA_ITEM_MARK_RE = re.compile(r"^\s*agenda\s+item\s+(\d{1,2})\s*$", re.I)
APPENDIX_MARK_RE = re.compile(r"^\s*appendix\s+([A-Z])\s*$", re.I)
WORD_RE = re.compile(r"[a-z0-9]+")
_TITLE_STOP = {"the", "and", "of", "to", "for", "a", "an", "in", "on", "report", "update", "with", "along", "by"}


def title_tokens(title: str) -> set[str]:
    """The words of a title that say what it is about (lower case; small words, 'report', 'update' left out)."""
    return {w for w in WORD_RE.findall(title.lower()) if w not in _TITLE_STOP and len(w) > 1}


def heading_names(item: AgendaItem, window: str, heading: str) -> bool:
    """A report's heading (``window``: it and the lines after it) names ``item`` and not much else (short titles need
    an almost exact heading)."""
    toks = title_tokens(item.title)
    if len(toks) < 2:
        return False
    wtoks = set(WORD_RE.findall(window.lower()))
    line_toks = title_tokens(heading)
    return (
        len(toks & wtoks) >= 0.75 * len(toks)
        and len(line_toks & toks) >= max(2, 0.6 * len(toks))
        and len(line_toks - toks) <= max(2, len(toks) // 2)
    )
