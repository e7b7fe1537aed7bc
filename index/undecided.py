"""A decision question whose matches record no decision: say so, then give what was put to the meeting.

Agenda packs print officers' and panels' reports for a meeting before it is held; the minutes that record what the
meeting decided come in the next meeting's pack, which the index may not hold. So "What did the scrutiny committee
decide about the Help to Live at Home review panel's report?" can have every matching passage from the report and
none from a minute: quoting the report's introduction as if it were the decision misleads. When the question asks what
was decided and no strong match is a decision block or states a decision, the answer says that the papers read hold no
record of a decision and leads with what the report put to the meeting: its recommendations ("The Panel recommends
that ...", "The Health and Wellbeing Board is asked to: ...", "(iii) ENDORSE ...").
"""

from __future__ import annotations

import re

from boardpapers.ingest.dates import date_words
from boardpapers.ingest.minutes import NARRATED_DECISION

from .sentscore import RECOMMENDATION

# the question asks what was decided (not what happened or who holds a power, which DECISION_Q also takes, nor whether
# something 'does decide' a matter): a past form, 'what did ... decide', or a decision on / about something
ASKS_DECIDED = re.compile(
    r"\b(?:decided|agreed|resolved|approved|endorsed|rejected|ratified|signed\s+off)\b"
    r"|\bwhat\s+did\b[^?]*\b(?:decide|agree|resolve|approve|endorse|reject|ratify)\b"
    r"|\b(?:decisions?|resolutions?)\s+(?:on|about|of|to|was|were|taken|made)\b",
    re.I,
)
# what a report puts to its meeting: a recommendation, in the forms council papers write it
PROPOSAL = re.compile(
    r"\b(?:is|are)\s+(?:being\s+)?(?:asked|invited|recommended|requested)\s+to\b|\bit\s+is\s+recommended\b|\brecommends?\s+that\b"
    r"|\bthe\s+recommendations?\s+(?:is|are|was|were)\b",
    re.I,
)
# an item of the list that follows 'The Board is asked to:' ('a. Note that ...', 'b. Receive assurance that ...')
PROPOSAL_ITEM = re.compile(
    r"^\W*(?:\(?[a-z0-9ivx]{1,4}[).]\s*)?"
    r"(?:(?:Note|Agree|Approve|Endorse|Support|Consider)\s+that|Comment\s+on|Receive\s+(?:assurance|the)"
    r"|(?:Approve|Endorse|Agree|Adopt|Delegate)\s+the)\b"
)


PUT_TO_MEETING = {"report", "appendix", "agenda"}  # papers written for a meeting, before it decides

# a decision reported in running text, in any tense a report uses ('The protocol was agreed by the Health Overview and
# Scrutiny Committee', 'the Cabinet also agreed that ...', 'had approved'): then the papers do record one
REPORTED = re.compile(
    r"\b(?:was|were|been|had|has|have)\s+(?:\w+\s+)?(?:agreed|approved|resolved|decided|endorsed|adopted|rejected|ratified|signed\s+off)\b"
    r"|\b(?:agreed|approved|resolved|decided|endorsed|adopted|rejected|ratified)\s+(?:by|that|to|the|a|an|its|this|these)\b"
    r"|(?-i:" + NARRATED_DECISION + ")",
    re.I,
)


def is_proposal(quote: str) -> bool:
    """Does the sentence put something to the meeting (a recommendation or a request to decide)?"""
    return bool(PROPOSAL.search(quote) or RECOMMENDATION.search(quote) or PROPOSAL_ITEM.search(quote))


def no_decision_found(question: str, hits: list[dict], cands: list[dict], gap: float) -> bool:
    """The question asks what was decided, and none of the strong matches read is a decision block, and none of the
    passages within ``gap`` of the best similarity (those that may lead an answer) holds a sentence stating a decision
    (``decision_sent``, index/answer.py; not a report's recommendation, ``_records``) or reporting one (``REPORTED``;
    an agenda's 'items which the Chairman has decided to take as urgent' far below does not count)."""
    if not ASKS_DECIDED.search(question) or any(h.get("is_decision") for h in hits):
        return False
    top = max((c["dense"] for c in cands), default=0.0)
    return not any(_records(c, hits[c["hit"]]) for c in cands if c["dense"] >= top - gap)


def _records(c: dict, hit: dict) -> bool:
    """Does the candidate sentence record a decision? One stating or reporting one does, unless it is a recommendation
    in a paper put to the meeting ('(iii) ENDORSE the Cabinet Member's proposal ...' in a report to Cabinet): that is
    what the meeting was asked to decide, not what it decided."""
    if REPORTED.search(c["quote"]):
        return True
    return bool(c.get("decision_sent")) and not (c.get("proposal") and hit.get("doc_type") in PUT_TO_MEETING)


def proposals(cands: list[dict], top_dense: float, gap: float) -> list[dict]:
    """The recommendations put to the meeting of the best-matching passage, to lead the answer: the proposal sentences
    (``proposal``) of passages within ``gap`` of the best similarity, best first; the lead's passage gives up to three."""
    props = [c for c in cands if c.get("proposal") and c["dense"] >= top_dense - gap and not c.get("below")]
    if not props:
        return []
    lead = props[0]
    return [dict(lead, lead=True)] + [c for c in props[1:] if c["hit"] == lead["hit"]][:2]


def preamble(hit: dict | None) -> str:
    """The words before such an answer: no decision recorded, and (``hit``: the passage of the lead proposal) to
    which meeting the quoted recommendations were put."""
    said = "The matching papers hold no record of a decision on this (no minute or resolution about it)."
    if not hit:
        return f"{said} What they say about it:"
    body = hit.get("body") or "meeting"
    when = date_words(hit.get("meeting_date")) or hit.get("meeting_date")
    return f"{said} What was put to the {body}" + (f" on {when}" if when else "") + ":"
