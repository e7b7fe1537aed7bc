"""What a query asks: its words, "quoted phrases" and filters, and the rules they are matched by.

The lowest layer of the read side: ranking (index/rank.py), both backends (index/embedded.py, index/pgindex.py), hit
formatting (index/hits.py) and the judge use these; none of them is needed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from boardpapers.errors import BoardpapersError

# A query that asks what was decided: a fixed list of decision verbs. Ranking lifts decision passages for it
# (index/rank.py, DECISION_BOOST); the judge reads these words as framing, not as a concept (index/judge.py).
DECISION_INTENT = re.compile(r"\b(?:decid\w*|decision\w*|agree\w*|resolv\w*|resolution\w*|approv\w*|endors\w*)\b", re.I)


class QueryError(BoardpapersError, ValueError):
    """The query cannot be run as given (empty, all stopwords...)."""


@dataclass
class Filters:
    council: str | None = None
    body: str | None = None
    since: str | None = None
    until: str | None = None
    doc_type: str | None = None
    decisions: bool = False

    def active(self) -> bool:
        return any([self.council, self.body, self.since, self.until, self.doc_type, self.decisions])


@dataclass
class ParsedQuery:
    text: str  # the query without quote marks
    phrases: list[str] = field(default_factory=list)


def parse_query(query: str) -> ParsedQuery:
    """Split out "quoted phrases"; an unmatched quote is treated as plain text."""
    q = query.replace("“", '"').replace("”", '"')
    phrases = [p.strip() for p in re.findall(r'"([^"]+)"', q) if p.strip()]
    text = re.sub(r"\s+", " ", q.replace('"', " ")).strip()
    return ParsedQuery(text=text, phrases=phrases)


def normalise_text(s: str) -> str:
    """Whitespace runs collapsed and case folded: how phrases, duplicates and repeated passages are compared."""
    return re.sub(r"\s+", " ", s).strip().casefold()


def facet_codes(values: list[str], wanted: str) -> list[int]:
    """Positions of the facet values a filter matches: equal to it or containing it, case aside."""
    want = wanted.casefold().strip()
    return [i for i, v in enumerate(values) if v and (v.casefold() == want or want in v.casefold())]


_GENERIC = {"and", "of", "the", "for", "county", "city", "council"}  # words of a body's name that name no body alone


def names_body(question: str, body: str | None, council: str | None = None) -> bool:
    """Does ``question`` name the body ``body``: its whole name ("County Council", "Health and Wellbeing Board"), a
    one-word name ("Cabinet"), the last word of its name with another of its own ("scrutiny committee"), or "full
    council" for a council's own meeting? Not as a word of another thing's name ("the county council elections", "a
    Cabinet Member"); the council's name ("Kent County Council") names no body of it, and "the board" or "the
    council" alone names none. ``ask`` answers a decision (index/recordanswer.py) or who attended (index/attendance.py)
    from the body named."""
    if not body:
        return False
    q = " ".join(question.lower().split())
    if council:
        q = re.sub(rf"\b{re.escape(council.lower())}\b", " ", q)
    words = body.lower().split()
    own = [w for w in words[:-1] if w not in _GENERIC]

    def said(text: str) -> bool:
        return bool(re.search(rf"\b{re.escape(text)}\b(?!\s+(?:elections?|members?)\b)", q))

    if said(body.lower()) or (words[-1] == "council" and said("full council")):
        return True
    return words[-1] != "council" and said(words[-1]) and any(map(said, own))
