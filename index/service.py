"""A resident's request for a council service: "how do I apply for a blue badge", "apply for single person discount on
council tax", "report a broken street light on my road".

Board papers are written by officers to members: they report on services and record decisions, and they do not tell a
resident how to use one. A paper about Blue Badge transactions or the council tax base holds the words of "how do I
apply for a blue badge" without answering it. So when a question asks, in the first person or as an instruction, how
to get a service (``service_question``: "how do / can I ...", "apply for / book a / report a ..."), a passage is a
match only if it speaks to the public the way a leaflet or a web page does ("you can apply", "if you need", a web
address, a telephone number) or says what the public can do, or where ("the general public will be able to comment",
"local people can access the service direct", a website, a self-referral portal, "have your say": ``addresses_reader``);
else the judge holds it under the threshold, and ``ask`` says what papers like these hold and where such an answer is
found instead.

Only "how" asks for the procedure. Whether or where a service is offered ("can I register a birth at my local
gateway?", "where can I go to keep warm this winter") is what papers that change services say, and so is who to ask
("who do I contact about the agenda"). Only "I" counts, never "we": "how can we reduce delayed discharges" is a
member's question the papers answer.

Opening hours are the same kind of resident's information: "what time does the urgent care centre open", "library
opening hours on Saturday" are answered only by a passage that states hours (``hours_question``, ``states_hours``: a
clock time, "opening hours", "open until"), not by one about the place. So is a rate in a unit ("how much does home
care cost per hour", "weekly fostering allowance"): a passage that states no rate per hour does not give it
(``rate_unit``, ``states_rate``).
"""

from __future__ import annotations

import re

import numpy as np

_SERVICE_Q = re.compile(
    r"\bhow (?:do|can|should|would|could) i\b|^\W*(?:apply|book|report|renew|register|pay) (?:for|a|an|my)\b", re.IGNORECASE
)
# "you" as the subject of what the reader can do ("you can apply", "if you need"), "contact us", a web address or a
# telephone number; not "you" in a name ("One You Kent", "Know your neighbourhood") or "thank you"; or the public as
# the subject, and a website or portal
_ADDRESSED = re.compile(
    r"\byou(?:'ll|'re|’ll|’re)|\byou (?:can|could|will|would|may|might|must|should|need|are|have|do|did|want|wish|think|"
    r"feel|get|find|apply|contact|call|visit|book|receive)\b|\bcontact us\b|\bwww\.[a-z]|\b[a-z]+\.gov\.uk\b|"
    r"\btel(?:ephone)?[:.]? ?0\d|"
    # what the public can do, said of them ("the general public will be able to comment", "local people can access
    # the service direct"), and where ("the website", "a self-referral portal", "Have your say")
    r"\b(?:the (?:general )?public|members of the public|local people|people|residents|carers|families|patients|"
    r"applicants) (?:will be able to|are able to|can|may) \w+|\bweb ?site\b|\bportal\b|"
    r"\bself[- ]?referr?\w*|\bhave your say\b",
    re.IGNORECASE,
)


# opening hours: "opening hours / times", "what time does ... open", "open until"; a passage states them with a clock
# time ("9am", "9.30 pm", "17:00"), "opening hours / times" or "open from / until / between"
_HOURS_Q = re.compile(
    r"\bopening (?:hours|times)\b|\bwhat time (?:does|do|is|are|will)\b|\b(?:open|close)s? (?:until|till)\b", re.IGNORECASE
)
_STATES_HOURS = re.compile(
    r"\b\d{1,2}(?:[.:]\d{2})? ?(?:am|pm|a\.m\.|p\.m\.)(?!\w)|\b(?:[01]?\d|2[0-3]):[0-5]\d\b|\bmidday\b|\b24/7\b|"
    r"\b24 hours\b|\bopening (?:hours|times)\b|\bopen (?:from|until|till|between)\b",
    re.IGNORECASE,
)


# why nothing matches, in words (search and ask say it; never a score)
SERVICE_WHY = (
    "Board papers report to councillors on services and record what they decided; they don't tell residents how to "
    "apply, book or report, and no indexed passage about this does. The council's own website is the place to look."
)
HOURS_WHY = (
    "Board papers rarely state opening hours, and no indexed passage about this does; the council's or the service's "
    "own website is the place to look."
)


def why_no_match(question: str) -> str | None:
    """What papers like these hold, when ``question`` asks what they rarely give (a service's procedure, opening
    hours) and nothing matches; None otherwise."""
    return SERVICE_WHY if service_question(question) else HOURS_WHY if hours_question(question) else None


def service_question(question: str) -> bool:
    """Whether ``question`` asks how to get or use a council service, in the first person or as an instruction."""
    return bool(_SERVICE_Q.search(" ".join(question.split())))


def hours_question(question: str) -> bool:
    """Whether ``question`` asks when a place is open."""
    return bool(_HOURS_Q.search(" ".join(question.split())))


def addresses_reader(text: str) -> bool:
    """Whether a passage speaks to the public ("you" doing something, "contact us", a web address, a telephone
    number)."""
    return bool(_ADDRESSED.search(text))


def states_hours(text: str) -> bool:
    """Whether a passage states opening hours (a clock time, "opening hours", "open until")."""
    return bool(_STATES_HOURS.search(text))


# a rate asked "per hour" / "weekly" / "a tonne" is stated in that unit: "£12.71/hour", "£712 per week", "weekly"
_RATE_Q = re.compile(r"\b(?:per|an|a|each|every) (hour|week|month|day|tonne)\b|\b(hour|week|month|dai)ly\b", re.IGNORECASE)
_RATE_WORDS = {"hour": "hour|hr", "week": "week|wk", "month": "month", "day": "day", "dai": "day", "tonne": "tonne|ton"}


def rate_unit(question: str) -> str | None:
    """The unit of the rate ``question`` asks for ("hour" for "per hour" or "hourly"), or None."""
    m = _RATE_Q.search(" ".join(question.split()))
    return None if m is None else _RATE_WORDS[(m.group(1) or m.group(2)).lower()].split("|")[0]


def states_rate(unit: str):
    """A test of whether a passage states a rate per ``unit`` ("per week", "a week", "/week", "weekly")."""
    words = _RATE_WORDS[unit]
    adjective = "daily" if unit == "day" else f"{unit}ly"
    rx = re.compile(rf"(?:\b(?:per|an|a|each|every) ?|/ ?)(?:{words})s?\b|\b{adjective}\b", re.IGNORECASE)
    return lambda text: bool(rx.search(text))


def needed(question: str) -> list:
    """What a strong match of ``question`` must do beside being about it (see module doc): speak to the public, state
    opening hours, state a rate in the unit asked."""
    out = [f for q, f in ((service_question, addresses_reader), (hours_question, states_hours)) if q(question)]
    unit = rate_unit(question)
    return out + [states_rate(unit)] if unit else out


# the strong candidates read for what the question needs, the most relevant first; the rest are held. Reading and
# testing 1,000 passages costs 35 ms on this project's 2-core machine, 200 about 7: the judge's cost stays within its
# budget at 100k passages (docs/BENCHMARKS.md, nineteenth session), and a request's few public-facing passages rank high.
READ_MAX = 200


def service_held(index, rows: np.ndarray, p: np.ndarray, thr: float, question: str) -> np.ndarray:
    """``p`` with each strong match that does not do what ``question`` needs (``needed``: speak to the public, state
    opening hours, state a rate in the unit asked) held under ``thr`` (see module doc)."""
    strong = np.flatnonzero(p >= thr)
    needs = needed(question)
    if not len(strong) or not needs:
        return p
    out = p.copy()
    strong = strong[np.argsort(-p[strong], kind="stable")]
    out[strong[READ_MAX:]] = np.minimum(out[strong[READ_MAX:]], thr - 0.01)  # a bound on the cost (READ_MAX)
    strong = strong[:READ_MAX]
    pids = index.pid_of(rows[strong])
    got = index.store.passages_by_pid(pids)
    for i, pid in zip(strong, pids):
        text = (got.get(pid) or {}).get("text", "")
        if not all(f(text) for f in needs):
            out[i] = min(out[i], thr - 0.01)
    return out
