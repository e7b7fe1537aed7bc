"""What ``ask`` says when it does not answer (index/answer.py): in words a councillor understands, never a score or
a threshold, and always saying what the passages listed below it are -- related, or about the subject but no answer."""

from __future__ import annotations

from .service import HOURS_WHY, SERVICE_WHY, hours_question, service_question

ABSTAIN_TEXT = "The indexed papers don't seem to answer this question."
RELATED_TAIL = "The closest passages are listed below; they are related, not an answer."
UNNAMED_TEXT = (
    "The passages that match this question never mention {names}, so the indexed papers don't seem to answer it. "
    "The closest passages are listed below; they are related, not an answer."
)
UNCITED_NAME_TEXT = (
    "The passages that best answer this question never mention {names}, so the indexed papers don't seem to answer "
    "it. The closest passages are listed below; they are related, not an answer."
)
NO_MATCH_NAMED = (
    "No passage in the indexed papers is about this question: none of those closest to it mentions {names}. "
    "They are listed below; they are related, not matches."
)
UNSTATED_TEXT = (
    "The indexed papers discuss this, but none of the passages that match says {what}, so there is no answer to quote. "
    "They are listed below; they are about the subject, not an answer."
)
UNSTATED_OF_TEXT = (
    "The indexed papers discuss this, but none of the passages that match says {what} for {names}; they say it of other "
    "things, so there is no answer to quote. They are listed below; they are about the subject, not an answer."
)
SERVICE_TEXT = f"This asks how to use a council service. {SERVICE_WHY} {RELATED_TAIL}"
HOURS_TEXT = f"This asks when a place is open. {HOURS_WHY} {RELATED_TAIL}"
NO_MATCH_TEXT = (
    "No passage in the indexed papers is about this question, so there is no answer to quote. "
    "The closest passages are listed below; they are related, not matches."
)


def no_match_text(question: str, missing: list[str], related: bool) -> str:
    """Why nothing answers, in words: a name no close passage mentions, a resident's request for a service the papers
    do not explain (index/service.py), or no passage about the question."""
    if missing:
        return NO_MATCH_NAMED.format(names=and_list(missing))
    if not related:
        return ABSTAIN_TEXT
    return SERVICE_TEXT if service_question(question) else HOURS_TEXT if hours_question(question) else NO_MATCH_TEXT


def and_list(words: list[str]) -> str:
    """'“Kingfisher”', '“Oadby” or “Wigston”': the names a reply says are missing, quoted."""
    quoted = [f"“{w}”" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
