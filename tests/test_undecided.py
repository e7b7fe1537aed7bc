"""A decision question whose matches record no decision (index/undecided.py): which questions ask what was decided,
which sentences put something to a meeting, which report a decision, and the words that say so."""

from __future__ import annotations

from boardpapers.index.sentscore import REPORTED_DECISION
from boardpapers.index.undecided import ASKS_DECIDED, REPORTED, is_proposal, no_decision_found, preamble, proposals


def test_which_questions_ask_what_was_decided():
    assert ASKS_DECIDED.search("What did the scrutiny committee decide about the Help to Live at Home review panel's report?")
    assert ASKS_DECIDED.search("Was the revised protocol agreed by scrutiny?")
    assert ASKS_DECIDED.search("Cabinet decision on the MTFS in June 2017")
    assert not ASKS_DECIDED.search("does adopting the minerals plan decide the Oaken Wood hard rock quarry")
    assert not ASKS_DECIDED.search("What happened to the Help to Live at Home launch?")


def test_proposals_are_what_a_report_puts_to_its_meeting():
    assert is_proposal("The Panel recommends that the Help to Live at Home Project Team commissions only from providers.")
    assert is_proposal("2. The Health and Wellbeing Board is asked to:")
    assert is_proposal("The Board is requested to note the content of the report and disseminate key messages.")
    assert is_proposal("Members are being asked to approve the revised protocol.")
    assert is_proposal("a. Note that, in line with approved delegation, the Board had authorised the Chief Executive.")
    assert is_proposal("(iii) ENDORSE the Cabinet Member's proposal to postpone the decision.")
    assert is_proposal("It is recommended that the Cabinet approves the revised targets.")
    assert not is_proposal("This report sets out the conclusions and recommendations arising from the Scrutiny Review Panel.")
    assert not is_proposal("Note the figures in the table are provisional.")


def test_a_decision_reported_in_running_text_counts_as_recorded():
    assert REPORTED.search("The protocol was agreed by the Health Overview and Scrutiny Committee on 6th September.")
    assert REPORTED.search("At its meeting on 23 June the Cabinet also agreed that the Medium Term Financial Strategy be updated.")
    assert not REPORTED.search("The Panel recommends that the County Council satisfies itself that all providers meet the rules.")
    confirmed = "The Board confirmed that it was content for the Chief Executive to use the delegation and approve the BCF Plan."
    assert REPORTED.search(confirmed) and REPORTED_DECISION.search(confirmed)  # narrated in the minutes: recorded
    assert not REPORTED.search("The Board noted the progress of the strategy.")
    assert not REPORTED.search("the board confirmed its attendance")  # a body is named with a capital in minutes
    q = "What did the committee decide about the panel's report?"
    cand = {"dense": 0.6, "quote": "The Panel recommends that contracts give providers certainty.", "proposal": True, "hit": 0}
    far = {"dense": 0.3, "quote": "Any other items which the Chairman has decided to take as urgent.", "hit": 1}
    assert no_decision_found(q, [{}, {}], [cand, far], 0.1)  # the agenda's boilerplate far below does not count
    told = {**far, "dense": 0.58, "quote": "The report was approved by the Cabinet on 10 June."}
    assert not no_decision_found(q, [{}, {}], [cand, told], 0.1)
    assert not no_decision_found(q, [{"is_decision": True}, {}], [cand], 0.1)  # a decision block among the matches
    assert not no_decision_found("What did the panel say about the workforce?", [{}], [cand], 0.1)
    assert proposals([cand, far], 0.6, 0.1) == [dict(cand, lead=True)]


def test_a_recommendation_in_a_report_is_what_was_put_not_what_was_decided():
    """'(iii) ENDORSE ...' states a decision in a record of decision or a minute, and is a recommendation in a report
    to the meeting (the Kent Minerals and Waste Local Plan report to Cabinet, 4 March 2025)."""
    q = "What did Cabinet decide about the KMWLP?"
    rec = {"dense": 0.6, "quote": "(iii) ENDORSE the Cabinet Member's proposal to recommend the KMWLP.", "hit": 0}
    rec |= {"proposal": True, "decision_sent": True}
    assert no_decision_found(q, [{"doc_type": "report"}], [rec], 0.1)
    assert no_decision_found(q, [{"doc_type": "appendix"}], [rec], 0.1)
    assert not no_decision_found(q, [{"doc_type": "minutes"}], [rec], 0.1)
    assert not no_decision_found(q, [{"doc_type": "other"}], [rec], 0.1)  # e.g. a record of decision
    reported = {**rec, "quote": "(iii) The Plan was adopted by the County Council on 13 March 2025."}
    assert not no_decision_found(q, [{"doc_type": "report"}], [reported], 0.1)  # a report telling of a decision


def test_the_preamble_names_the_body_and_the_date_of_the_meeting():
    hit = {"body": "Adults and Communities Overview and Scrutiny Committee", "meeting_date": "2015-06-02"}
    assert preamble(hit) == (
        "The matching papers hold no record of a decision on this (no minute or resolution about it). "
        "What was put to the Adults and Communities Overview and Scrutiny Committee on 2 June 2015:"
    )
    assert preamble(None).endswith("What they say about it:")
