"""Split segments into passages that fit the embedding model's window, on sentence/paragraph boundaries."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from .dates import date_words
from .model import LoadedDocument, Passage
from .structure import Segment, Structure

CHUNKER_VERSION = "chunk-2"  # chunk-2: meeting date in words in the context line
MAX_TOKENS = (
    200  # passage text; + context (<= 40) + 2 special tokens stays inside a 256 window (128 measured worse: hybrid MRR 0.676 -> 0.575)
)
CONTEXT_TOKENS = 40
MIN_TOKENS = 24
ORPHAN_TOKENS = 24  # a paragraph's last sentence up to this long stays with it, overfilling the chunk (pack_units)
# Dense sub-passage windows: a passage longer than this many words is also embedded as sentence windows of at most
# this many words (neighbours share a sentence); its dense score is the best of the passage and its windows, so one
# specific sentence in a long passage can still match a question (docs/BENCHMARKS.md: 35 / 50 / 80 words measured).
WINDOW_WORDS = 50

# sentence ends, or a line break before something that starts a new unit (bullet, number, capital after a full stop).
# Not the same rule as index/answer.py's split_sentences, on purpose: a chunk unit also ends at ';' and ':' before a
# capital (packing wants short units) and a paragraph break is _PARA_BREAK's business, while a quoted answer sentence
# ends only at . ! ? or a blank line, so a quote stays a whole readable sentence. Changing either changes the output.
_SENT_END = re.compile(
    r"(?<=[.!?;:])[\"'”’)]*\s+(?=[\"“'(\[]?[A-Z0-9•\-–])|\n(?=\s*(?:[-•–▪●◦]\s|\(?[a-z0-9ivx]{1,4}[.)]\s|[A-Z][A-Z ]{3,}$))", re.M
)
_PARA_BREAK = re.compile(r"\n\s*\n|(?<=[.:!?])\n(?=[A-Z(•\-–])")
_WORDISH = re.compile(r"\w+|[^\w\s]")

TokenCounter = Callable[[list[str]], list[int]]


def heuristic_counter(texts: list[str]) -> list[int]:
    """Word-piece estimate when no tokenizer is at hand (about 1.3 pieces per word-ish token)."""
    return [int(len(_WORDISH.findall(t)) * 1.3) + 1 for t in texts]


@lru_cache(maxsize=4)
def tokenizer_counter(model_path: str) -> TokenCounter:
    """Count word pieces with the model's own tokenizer (tokenizers library; no torch import)."""
    tok_file = Path(model_path) / "tokenizer.json"
    if not tok_file.is_file():
        return heuristic_counter
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tok_file))
    tok.no_truncation()
    tok.no_padding()

    def count(texts: list[str]) -> list[int]:
        return [len(e.ids) - 2 for e in tok.encode_batch(texts)]  # without [CLS]/[SEP]

    return count


def _units(text: str, start: int, end: int, page_starts: list[int] | None = None) -> list[tuple[int, int, bool]]:
    """Sentence-like units (abs_start, abs_end, starts_paragraph) within text[start:end].

    A page break also ends a unit unless the text runs on across it (the last word before it is
    lower-case or ends in a comma or hyphen: a sentence continued on the next page).
    """
    seg = text[start:end]
    cuts = {0}
    for ps in page_starts or ():
        if start < ps < end:
            before = text[start:ps].rstrip()
            if before and not (before[-1].islower() or before[-1] in ",-–("):
                cuts.add(ps - start)
    for m in _SENT_END.finditer(seg):
        cuts.add(m.end())
    paras = {m.end() for m in _PARA_BREAK.finditer(seg)}
    cuts |= paras
    cuts.add(len(seg))
    out = []
    bounds = sorted(cuts)
    for a, b in zip(bounds, bounds[1:]):
        piece = seg[a:b]
        if not piece.strip():
            continue
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        out.append((start + a + lead, start + b - trail, a in paras or a == 0))
    return out


def _split_long(text: str, s: int, e: int, count: TokenCounter, limit: int) -> list[tuple[int, int]]:
    """Split one over-long unit at line breaks, then at word boundaries."""
    pieces: list[tuple[int, int]] = []
    words = [(m.start() + s, m.end() + s) for m in re.finditer(r"\S+", text[s:e])]
    if not words:
        return []
    cur_start = words[0][0]
    cur_end = words[0][1]
    cur_words = 1
    # estimate by words first (cheap), then verify with the tokenizer
    step = max(8, int(limit / 1.6))
    for ws, we in words[1:]:
        if cur_words >= step:
            pieces.append((cur_start, cur_end))
            cur_start, cur_words = ws, 0
        cur_end = we
        cur_words += 1
    pieces.append((cur_start, cur_end))
    fixed: list[tuple[int, int]] = []
    for a, b in pieces:
        n = count([text[a:b]])[0]
        if n > limit and b - a > 20:
            mid = text.rfind(" ", a, a + (b - a) // 2) if text.rfind(" ", a, a + (b - a) // 2) > a else a + (b - a) // 2
            fixed.extend(_split_long(text, a, mid, count, limit) + _split_long(text, mid, b, count, limit))
        else:
            fixed.append((a, b))
    return fixed


def with_context(context: str | None, text: str) -> str:
    """What the embedding model sees: the context line, then the verbatim text."""
    return f"{context}\n{text}" if context else text


def dense_windows(text: str, words: int = WINDOW_WORDS) -> list[str]:
    """Sentence windows of a passage longer than ``words`` words (``[]`` for a shorter one: it is its own window).

    Whole sentences are packed into windows of at most ``words`` words; each window starts with the last sentence of
    the one before, so a fact split across two sentences is whole in one window. A sentence longer than a window
    (a table row run, a list without stops) is cut into ``words``-word pieces."""
    if len(text.split()) <= words:
        return []
    pieces: list[list[str]] = []
    for sentence in _SENT_END.split(text):
        w = (sentence or "").split()
        pieces.extend(w[i : i + words] for i in range(0, len(w), words))
    out: list[str] = []
    cur: list[list[str]] = []
    size = 0
    for piece in pieces:
        if cur and size + len(piece) > words:
            out.append(" ".join(" ".join(x) for x in cur))
            last = cur[-1]
            cur, size = ([last], len(last)) if len(last) + len(piece) <= words else ([], 0)
        cur.append(piece)
        size += len(piece)
    if cur:
        out.append(" ".join(" ".join(x) for x in cur))
    return out


def window_texts(context: str | None, text: str) -> list[str]:
    """The embedded texts of a passage's windows (each with the passage's context line)."""
    return [with_context(context, w) for w in dense_windows(text)]


def make_context(meta, seg: Segment) -> str:
    """The heading trail a passage needs to be understood alone (kept apart from the verbatim text)."""
    parts = []
    who = " ".join(x for x in (meta.council, meta.body) if x)
    if who:
        parts.append(who)
    if seg.meeting_date:
        # '3 March 2015': the embedding model matches a query's "March 2015" far better than an ISO date (and it reads
        # better in the context line shown with a hit); a date that is not ISO is kept as written
        parts.append(date_words(seg.meeting_date) or seg.meeting_date)
    if seg.item:
        parts.append(seg.item)
    if seg.heading and (not seg.item or seg.heading.lower() not in seg.item.lower()):
        parts.append(seg.heading)
    if seg.is_decision:
        parts.append("Decision")
    return " — ".join(parts)


_Unit = tuple[int, int, bool, int]  # (abs_start, abs_end, starts_paragraph, tokens)


def chunk_document(
    doc: LoadedDocument,
    text: str,
    page_starts: list[int],
    structure: Structure,
    count: TokenCounter = heuristic_counter,
    max_tokens: int = MAX_TOKENS,
    whole: list[tuple[int, int, str]] = (),  # type: ignore[assignment]
) -> list[Passage]:
    """Passages for every segment; never crosses a segment (item / minute / decision) boundary. Each ``whole`` span
    (start, end, label) -- a recorded vote with the paragraph that puts it -- is one passage however long, with the
    label on its context line (a vote's names split over three passages would match no question about the vote)."""
    passages: list[Passage] = []
    page_numbers = [p.number for p in doc.pages]
    printed = [p.printed_page for p in doc.pages]

    def page_of(off: int) -> int:
        return max(0, bisect.bisect_right(page_starts, off) - 1)

    for seg in structure.segments:
        units = _units(text, seg.start, seg.end, page_starts)
        if not units:
            continue
        expanded = _counted_units(text, units, count, max_tokens, whole)
        chunks = _fold_fragments(pack_units(expanded, page_of, max_tokens), max_tokens)
        base = make_context(structure.meta, seg)
        for ch in chunks:
            a, b = ch[0][0], ch[-1][1]
            body = text[a:b]
            if not re.search(r"[A-Za-z0-9]{2}", body):
                continue
            p0, p1 = page_of(a), page_of(max(a, b - 1))
            label = next((w[2] for w in whole if w[0] <= a and b <= w[1]), None)
            passages.append(
                Passage(
                    text=body,
                    context=_fitted_context(f"{base} — {label}" if label else base, count),
                    page=page_numbers[p0],
                    page_end=page_numbers[p1],
                    printed_page=printed[p0],
                    item=seg.item,
                    minute_number=seg.minute_number,
                    meeting_date=seg.meeting_date,
                    is_decision=seg.is_decision or label is not None,  # a recorded vote decides the motion
                    char_start=a,
                    char_end=b,
                    section_kind=seg.kind,
                )
            )
    return passages


def _counted_units(
    text: str,
    units: list[tuple[int, int, bool]],
    count: TokenCounter,
    max_tokens: int,
    whole: list[tuple[int, int, str]] = (),  # type: ignore[assignment]
) -> list[_Unit]:
    """The units with their token counts, an over-long unit split into pieces that fit (the first keeps its
    paragraph start). The units inside a ``whole`` span become one unit counted as a full chunk, so that packing
    gives it a passage of its own."""
    counts = count([text[a:b] for a, b, _ in units])
    expanded: list[_Unit] = []
    inside: tuple[int, int, str] | None = None
    for (a, b, para), n in zip(units, counts):
        w = next((x for x in whole if x[0] <= a and b <= x[1]), None)
        if w is not None:
            if w is inside and expanded:
                expanded[-1] = (expanded[-1][0], b, True, max_tokens)
            else:
                expanded.append((a, b, True, max_tokens))
            inside = w
            continue
        inside = None
        if n > max_tokens:
            subs = _split_long(text, a, b, count, max_tokens)
            sub_counts = count([text[x:y] for x, y in subs])
            expanded.extend((x, y, para and i == 0, c) for i, ((x, y), c) in enumerate(zip(subs, sub_counts)))
        else:
            expanded.append((a, b, para, n))
    return expanded


def pack_units(expanded: list[_Unit], page_of: Callable[[int], int], max_tokens: int) -> list[list[_Unit]]:
    """Greedy packing: close a chunk when full, at a paragraph start once 60% full, and at every page break
    (a sentence running over a page break stays whole), so a passage's page is the page its words are on.
    A short last sentence of a paragraph may overfill a chunk by up to ORPHAN_TOKENS rather than open the next one
    alone: a report's 'This contributes to £8.6m of the CYPE underspend.' stays with the paragraph it ends. With the
    context line, no passage of corpus/ or the Kent papers reaches the model's 256 word pieces because of it."""
    chunks: list[list[_Unit]] = []
    cur: list[_Unit] = []
    cur_n = 0
    for i, u in enumerate(expanded):
        n = u[3] + 1
        new_page = bool(cur) and page_of(u[0]) != page_of(cur[-1][0])
        ends_paragraph = i + 1 == len(expanded) or expanded[i + 1][2]
        orphan = not u[2] and ends_paragraph and n <= ORPHAN_TOKENS and cur_n + n <= max_tokens + ORPHAN_TOKENS
        if cur and ((cur_n + n > max_tokens and not orphan) or (u[2] and cur_n >= 0.6 * max_tokens) or new_page):
            chunks.append(cur)
            cur, cur_n = [], 0
        cur.append(u)
        cur_n += n
    if cur:
        chunks.append(cur)
    return chunks


def _fold_fragments(chunks: list[list[_Unit]], max_tokens: int) -> list[list[_Unit]]:
    """Chunks shorter than MIN_TOKENS folded into the chunk before them where they fit."""
    folded: list[list[_Unit]] = []
    for ch in chunks:
        n = sum(x[3] + 1 for x in ch)
        if folded and n < MIN_TOKENS and sum(x[3] + 1 for x in folded[-1]) + n <= max_tokens:
            folded[-1].extend(ch)
        else:
            folded.append(ch)
    return folded


def _fitted_context(context: str, count: TokenCounter) -> str:
    """The context line cut (with '…') to about CONTEXT_TOKENS word pieces."""
    ctx_n = count([context])[0] if context else 0
    if ctx_n > CONTEXT_TOKENS:
        context = context[: int(len(context) * CONTEXT_TOKENS / ctx_n)].rstrip() + "…"
    return context


def join_pages(doc: LoadedDocument) -> tuple[str, list[int]]:
    """The document text with pages joined by newlines, and each page's start offset."""
    starts, parts, pos = [], [], 0
    for p in doc.pages:
        t = p.text if p.text.endswith("\n") else p.text + "\n"
        starts.append(pos)
        parts.append(t)
        pos += len(t)
    return "".join(parts), starts
