"""Minutes: where a meeting's minutes start and end, the numbered minute entries, and decisions recorded in them."""

from __future__ import annotations

import re

# 'Minutes of a meeting of ...', 'MINUTES of the proceedings of ...', and the body named first: 'Minutes of the Cabinet
# held on 30 January 2025', 'MINUTES OF THE HEALTH AND WELLBEING BOARD HELD ON ...', 'Minutes of the Planning Committee
# meeting held on ...', 'Minutes of Council held at ...'
MINUTES_START_RE = re.compile(
    r"^\s*(?:draft\s+)?minutes\s+of\s+(?:(?:the|a|an)\s+)?(?:(?!(?:are|is|was|were|will|be|been|has|have|can|may|must|should)\b)[\w&,'’-]+\s+){0,8}?"
    r"(?:(?:meeting|proceedings)\b|held\s+(?:on|at|in)\b)",
    re.I,
)
MINUTES_LINE_RE = re.compile(r"(?:(?:draft|confirmed|signed|printed|unconfirmed)\s+)?minutes", re.I)  # a line of its own
MINUTES_END_RE = re.compile(
    r"(?:meeting\s+(?:was\s+)?(?:closed|ended|finished|concluded)\s+at|the\s+meeting\s+closed|"
    r"^\s*\d{1,2}[.:]\d{2}\s*(?:am|pm)?\s*[-–]\s*\d{1,2}[.:]\d{2}\s*(?:am|pm)|"
    r"^\s*(?:meeting\s+)?(?:ended|closed)\s+at\s+\d)",
    re.I,
)
# A minute entry: its number, then its title ('283. APOLOGIES FOR ABSENCE', '45 Apologies for Absence'). Some councils
# print a reference instead: the number and the year ('12/23 Apologies'), or a body's letters with the year ('PC/23/12',
# 'CAB/2023/45', 'C.12', 'CAB45'); the entry's number is its count in the meeting (12, 45), its reference as printed.
MINUTE_ENTRY_RE = re.compile(
    r"^\s*(?P<ref>(?P<n>\d{1,4})|(?P<ny>\d{1,3})/(?:\d{4}|\d{2})|[A-Z]{1,6}(?:/(?:\d{4}|\d{2}))?/(?P<p>\d{1,4})|[A-Z]{1,6}\.(?P<d>\d{1,4})"
    r"|[A-Z]{2,6}(?P<c>\d{1,4}))\.?\s{1,8}(?P<title>\S.{1,160}?)\s*$"
)
# The label that opens a decision block, as councils print it. Capitals: 'RESOLVED:', 'AGREED -', 'it was RESOLVED
# that', 'The Committee RESOLVED that'. Title case, which many councils use, only as a label: followed by a colon, a
# dash, 'that', 'to' or nothing ('Resolved: That the report be noted', 'Resolved – that', 'Resolved (unanimously)
# that', 'Decided: to approve'), never 'Resolved issues'. And 'It was resolved / agreed that' opening a line.
_BODIES = r"(?:Board|Committee|Cabinet|Commission|Council|Panel|Sub-Committee|Executive|Forum)"
DECISION_LABEL = (
    r"(?:(?:[Ii]t\s+was\s+)?(?:RESOLVED|AGREED|DECIDED|DECISION)\b"
    r"|(?:Resolved|Agreed|Decided)(?:\s*\((?:unanimously|nem\.?\s?con\.?)\)|\s+unanimously)?\s*(?::|[–—-](?=\s|$)|that\b|to\b|$)"
    r"|It\s+was\s+(?:unanimously\s+)?(?:resolved|agreed)\b"
    r"|(?:The\s+)?" + _BODIES + r"\s+(?:RESOLVED|AGREED)\b)"
)
DECISION_RE = re.compile(
    r"^\s*[-•(a-z0-9).\s]{0,10}" + DECISION_LABEL + r"|taken\s+as\s+read,?\s+confirmed\s+and\s+signed|"
    r"recommendations?\s+(?:were\s+|was\s+)?(?:approved|agreed|endorsed)|^\s*Decision\s*:",
)
# a body's decision narrated in its minutes instead of a RESOLVED block: 'The Board confirmed that it was content for
# the Chief Executive to ... approve the BCF Plan for submission', 'The Board supported a local funding bid ...'
NARRATED_DECISION = r"\b[Tt]he\s+" + _BODIES + r"\s+(?:confirmed|agreed|approved|endorsed|supported|decided|resolved)\b"
NARRATED_DECISION_RE = re.compile(r"^\W*(?:\(?[a-z0-9ivx]{1,4}[).]\s*)?" + NARRATED_DECISION)  # one opening a line
MOTION_WORDS_RE = re.compile(r"\b(?:proposed|seconded|moved)\b")
ITEM_REF_RE = re.compile(r"^\s*\((?:agenda\s+)?item\s+(\d{1,2}[a-z]?)\)\s*$", re.I)


def minute_entry(line: str, following: list[str], last_minute: int) -> tuple[int, str, str] | None:
    """(number, title, reference as printed) when ``line`` opens a minute entry ('283. APOLOGIES FOR ABSENCE',
    'PC/23/12 MINUTES'), else None.

    ``following`` are the next few lines; ``last_minute`` is the number of the last entry in these minutes (0 at their
    start). The title must read like one, and the number must follow on from the last (or a capitalised title or an
    '(Item 4)' line under it says it is an entry); a decision or a motion among the first entries is not a minute title."""
    mm = MINUTE_ENTRY_RE.match(line)
    if not mm:
        return None
    n = int(next(g for g in mm.group("n", "ny", "p", "d", "c") if g))
    title = mm.group("title")
    titleish = (
        not re.match(r"(that|to|the\s+board|it)\b", title, re.I)
        and (title.isupper() or title.endswith(".") or len(title) < 90)
        and re.search(r"[A-Za-z]{3}", title)
    )
    nxt = next((t for t in following if t.strip()), "")
    ok_num = (
        (last_minute == 0 and n >= 1)
        or (last_minute < n <= last_minute + 6)
        or (n > last_minute and (title.isupper() or ITEM_REF_RE.match(nxt)))
    )
    # a decision or a motion among the first entries is a numbered paragraph, not a minute title ('2. RESOLVED that
    # Mr Cooke be elected', '1. Mr Gough proposed, and Mr Brady seconded that ...')
    opening = n < 10 and (DECISION_RE.search(title) or MOTION_WORDS_RE.search(title))
    if titleish and ok_num and not opening:
        return n, title, mm.group("ref")
    return None
