"""Recorded votes in minutes: the For / Against / Abstain lists under a motion put to the vote, and the names in them.

The shapes these follow (Kent County Council, 9 January 2025, and the usual ModernGov minute layouts)::

    25) The Chairman put the substantive motion set out in paragraph 15 to the
    vote and the voting was as follows:
    For (39)
    Mr Baker, Mr Bartlett, Mrs Bell, ... Ms Wright          <- names over several lines
    Against (19)
    ...
    Abstain (1)
    Ms Constantine
    Substantive Motion carried.

Also "For: 12", "Against - 0" (no names), "FOR: Mr A, Mr B and Ms C" (a named vote without counts), "Abstentions (2)".
A count that differs from the names listed is kept as printed and reported as a warning, never corrected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

POSITIONS = ("for", "against", "abstain")

# "For (39)", "Against: 0", "Abstain (1) Ms Constantine", "FOR:", "Abstentions - 2"; the word alone on its line, or
# followed by a count or a colon (so prose such as "For example" or "Against this background" is not a header)
VOTE_HEAD_RE = re.compile(
    r"^\s*(?P<pos>for|against|abstain(?:ed|ing)?|abstentions?)\b"
    r"(?:\s*(?:\(\s*(?P<n1>\d{1,3})\s*\)|[:\-–]\s*(?P<n2>\d{1,3})\b|\s+(?P<n3>\d{1,3})\b))?"
    r"(?P<colon>\s*[:\-–])?\s*(?P<rest>.*)$",
    re.I,
)
# "Amendment lost.", "Substantive Motion carried.", "The motion was carried unanimously", "Recommendations agreed"
OUTCOME_RE = re.compile(
    r"^\s*(?:the\s+)?(?P<what>(?:substantive|original|amended)\s+motion|amendment|motion|recommendations?|proposal)s?\s+"
    r"(?:was\s+|were\s+|is\s+|are\s+)?(?P<how>not\s+carried|carried|lost|agreed|approved|defeated|fell|falls|rejected|withdrawn)\b",
    re.I,
)
# a vote taken: "put the amendment set out in paragraph 17 to the vote", "a recorded vote was taken", "voting was as follows"
VOTE_EVENT_RE = re.compile(
    r"\bto\s+(?:the\s+|a\s+)?(?:recorded\s+)?vote\b|\brecorded\s+vote\b|\bvoting\s+was\b|\bvotes?\s+(?:was|were)\s+cast", re.I
)
TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Cllr|Councillor|Sir|Dame|Lord|Lady|Baroness|Prof|Professor|Rev|Revd)"
_TITLE_RE = re.compile(rf"^{TITLES}\.?$", re.I)
_HONOURS = {"CBE", "OBE", "MBE", "KBE", "DBE", "JP", "DL", "BEM", "KC", "QC", "MP"}
_NAME_TOKEN = re.compile(r"^[A-Z][A-Za-z'’\-.]*$")
_PAGE_LINE = re.compile(r"^\s*(?:page\s+)?\d{1,4}\s*$", re.I)


@dataclass
class VoteBlock:
    """One recorded vote: where its lists run (char offsets), the counts and names per position, the outcome line."""

    start: int
    end: int
    counts: dict[str, int | None] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)
    outcome: str | None = None  # carried | lost | withdrawn, from the outcome line after the lists
    warnings: list[str] = field(default_factory=list)

    def as_record(self) -> dict:
        return {p: {"count": self.counts.get(p), "names": self.names.get(p, [])} for p in POSITIONS if p in self.counts or p in self.names}


def position_of(word: str) -> str:
    w = word.lower()
    return "for" if w == "for" else "against" if w == "against" else "abstain"


def vote_head(line: str) -> tuple[str, int | None, str] | None:
    """(position, count or None, names written on the same line) when ``line`` heads a vote list, else None."""
    m = VOTE_HEAD_RE.match(line)
    if not m:
        return None
    n = m.group("n1") or m.group("n2") or m.group("n3")
    rest = m.group("rest").strip()
    if re.fullmatch(r"(?:none|nil|nobody|no\s+one|-|–)\.?", rest, re.I):
        rest, n = "", n if n is not None else "0"  # "Abstain: none": nobody, a count of 0
    if n is None and not m.group("colon") and rest:
        return None  # "For the avoidance of doubt", "Against this background"
    if rest and not looks_like_names(rest):
        return None
    return position_of(m.group("pos")), int(n) if n is not None else None, rest


def outcome_word(how: str) -> str:
    h = how.lower()
    if h in ("carried", "agreed", "approved"):
        return "carried"
    return "withdrawn" if h == "withdrawn" else "lost"


def split_names(text: str) -> list[str]:
    """The member names of a list as the minutes write them: 'Mr Baker, Mr R Lehmann and Dr Sullivan'."""
    text = re.sub(r"-\s*\n\s*", "-", text)  # 'Barrington-' / 'King' over a line break
    text = re.sub(r"\s+", " ", text).strip().rstrip(".;")
    parts = re.split(r"\s*[,;]\s*|\s+and\s+|\s*&\s*", text)
    out = []
    for p in parts:
        p = p.strip(" .")
        if not p or p.upper().replace(".", "") in _HONOURS:
            continue
        out.append(p)
    return out


def looks_like_names(text: str) -> bool:
    """A line of a name list: comma-separated entries of 1-5 capitalised words, most starting with a title."""
    names = split_names(text)
    if not names:
        return False
    good = 0
    for n in names:
        toks = n.split()
        if 1 <= len(toks) <= 5 and all(_NAME_TOKEN.match(t) for t in toks):
            good += 1
    titled = sum(1 for n in names if _TITLE_RE.match(n.split()[0]))
    return good == len(names) and (titled * 2 >= len(names) or len(names) == 1 and len(names[0].split()) <= 3)


def parse_vote_block(lines: list[tuple[int, int, str]], k: int) -> tuple[VoteBlock, int] | None:
    """The vote whose first list header is ``lines[k]`` ((start, end, text) per line); (block, index after it)."""
    head = vote_head(lines[k][2])
    if head is None:
        return None
    block = VoteBlock(lines[k][0], lines[k][1])
    pos: str | None = None
    buf: list[str] = []

    def close() -> None:
        if pos is not None:
            block.names[pos] = split_names("\n".join(buf))

    i = k
    while i < len(lines):
        s, e, t = lines[i]
        h = vote_head(t)
        if h is not None and (h[0] not in block.counts or pos == h[0]) and h[0] != pos:
            close()
            pos, buf = h[0], [h[2]] if h[2] else []
            block.counts[pos] = h[1]
            block.end = e
        elif not t.strip() or _PAGE_LINE.match(t):
            pass
        elif (m := OUTCOME_RE.match(t)) is not None:
            block.outcome, block.end = outcome_word(m.group("how")), e
            i += 1
            break
        elif pos is not None and looks_like_names(t):
            buf.append(t)
            block.end = e
        else:
            break
        i += 1
    close()
    if len(block.counts) < 2 and not any(block.names.values()):
        return None  # a lone "For:" line is not a vote
    _check_counts(block)
    return block, i


def _check_counts(block: VoteBlock) -> None:
    for p in POSITIONS:
        n, names = block.counts.get(p), block.names.get(p, [])
        if n is not None and names and n != len(names):
            label = {"for": "For", "against": "Against", "abstain": "Abstain"}[p]
            block.warnings.append(f"{label} ({n}) lists {len(names)} name{'s' if len(names) != 1 else ''}")
        elif n is not None and n > 0 and not names and any(block.names.values()):
            label = {"for": "For", "against": "Against", "abstain": "Abstain"}[p]
            block.warnings.append(f"{label} ({n}) lists no names")


def vote_outcome(block: VoteBlock) -> tuple[str | None, bool]:
    """(outcome, inferred): the outcome line's, else from the counts (more For than Against carries)."""
    if block.outcome:
        return block.outcome, False
    f = block.counts.get("for")
    a = block.counts.get("against")
    f = f if f is not None else len(block.names.get("for", [])) if "for" in block.names else None
    a = a if a is not None else len(block.names.get("against", [])) if "against" in block.names else None
    if f is None or a is None:
        return None, False
    return ("carried" if f > a else "lost"), True
