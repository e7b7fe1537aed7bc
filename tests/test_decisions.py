"""Decision records and recorded votes read from minutes (ingest/decisions.py, ingest/votes.py): the vote layouts of
real minutes, counts checked against names, amendments kept apart from the substantive motion, resolutions and
their outcomes, Record of Decision papers, one passage per vote; and the five packs and the Kent papers."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import parse_text

from boardpapers.ingest.parse import Limits, parse_file
from boardpapers.ingest.votes import split_names, vote_head

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KENT_MINUTES = SHARED / "realpdf/full_council/2025-01-09/originals/Printed minutes 09th-Jan-2025 10.00 County Council.pdf"

HEAD = """KENT COUNTY COUNCIL

MINUTES of a meeting of the County Council held in the Council Chamber, Sessions House, County Hall, Maidstone on
Thursday, 9 January 2025.

PRESENT: Mr N Baker, Mr M Baldock, Ms K Constantine, Mr R Lehmann

"""


def parse(tmp_path: Path, body: str, name: str = "minutes.txt") -> dict:
    return parse_text(tmp_path, HEAD + body, name)


def votes(rec: dict) -> dict:
    return {p: (v["count"], v["names"]) for p, v in (rec["votes"] or {}).items()}


AMENDMENT_THEN_SUBSTANTIVE = """285.   English Devolution White Paper
(Item 3)

5) Mr Gough proposed, and Mr Oakford seconded the motion that

“County Council is asked to endorse the request to join the Devolution Priority Programme.”

6) Mr Hood proposed and Mr Baldock seconded the following amendment to the
substantive motion set out in paragraph 5:

“County Council is asked to prefer the Foundation Strategic Authority route.”

7) Following the debate, the Chairman put the amendment set out in
paragraph 6 to the vote and the voting was as follows:

For (3)

Mr Baldock, Mr Hood, Ms
Constantine

Against (0)

Abstain (1)

Mr R Lehmann

Amendment lost.

8) The Chairman put the substantive motion set out in paragraph 5 to the
vote and the voting was as follows:

For (2)
Mr Baker, Mr Gough
Against (1)
Mr Baldock
Abstain (1)
Ms Constantine
Substantive Motion carried.

9) RESOLVED that the County Council endorses the request to join the Devolution Priority Programme.
"""


def test_amendment_then_substantive_motion(tmp_path):
    res = parse(tmp_path, AMENDMENT_THEN_SUBSTANTIVE)
    recs = res["decisions"]
    assert [(r["kind"], r["motion_type"], r["outcome"]) for r in recs] == [
        ("vote", "amendment", "lost"),
        ("vote", "substantive motion", "carried"),
    ]
    amend, main = recs
    # names over two lines joined; "Against (0)" with no names is a count of 0, not a parsing failure
    assert votes(amend) == {"for": (3, ["Mr Baldock", "Mr Hood", "Ms Constantine"]), "against": (0, []), "abstain": (1, ["Mr R Lehmann"])}
    assert amend["warnings"] == []
    assert (amend["proposer"], amend["seconder"], amend["paragraph"]) == ("Mr Hood", "Mr Baldock", "7")
    assert "Foundation Strategic Authority" in amend["motion"]
    # the substantive motion is the one of paragraph 5; its RESOLVED text is part of the same record
    assert (main["proposer"], main["seconder"]) == ("Mr Gough", "Mr Oakford")
    assert votes(main)["against"] == (1, ["Mr Baldock"])
    assert main["resolution"].startswith("9) RESOLVED that the County Council endorses")
    assert (main["minute_number"], main["agenda_item"], main["title"], main["meeting_date"]) == (
        "285",
        "3",
        "English Devolution White Paper",
        "2025-01-09",
    )
    # each recorded vote is one passage with the paragraph that puts it, marked as a decision; the record's passages
    # include those of the motion it puts, so a search for the motion's words reaches the vote
    ps = res["passages"]
    for r, para in zip(recs, ("7)", "8)")):
        (vote_passage,) = [ps[i] for i in r["passages"] if "Recorded vote on the" in ps[i]["context"]]
        assert vote_passage["text"].lstrip().startswith(para) and vote_passage["is_decision"]
    amend_vote = next(ps[i] for i in amend["passages"] if "Recorded vote" in ps[i]["context"])
    assert "Amendment lost." in amend_vote["text"] and "Mr R Lehmann" in amend_vote["text"]
    assert any("Foundation Strategic Authority" in ps[i]["text"] for i in amend["passages"])
    assert any("join the Devolution Priority Programme.”" in ps[i]["text"] for i in main["passages"])


def test_named_vote_without_counts_and_motion_lost(tmp_path):
    body = """12.   Notice of Motion - Bus Services
(Item 7)

Councillor Smith moved and Councillor Jones seconded that the Council calls for the restoration of rural bus routes.

A recorded vote was taken:
FOR: Cllr A Smith, Cllr Jones and Cllr Patel
AGAINST: Cllr Brown, Cllr Green, Cllr White, Cllr Black
ABSTAIN: none

Motion lost.
"""
    (rec,) = parse(tmp_path, body)["decisions"]
    assert rec["outcome"] == "lost" and rec["motion_type"] == "motion"
    assert votes(rec)["for"] == (None, ["Cllr A Smith", "Cllr Jones", "Cllr Patel"])
    assert len(votes(rec)["against"][1]) == 4 and votes(rec)["abstain"] == (0, [])
    assert rec["warnings"] == []  # the outcome is the "Motion lost." line, not read from the names
    assert (rec["proposer"], rec["seconder"]) == ("Councillor Smith", "Councillor Jones")
    assert "restoration of rural bus routes" in rec["motion"]


def test_count_that_differs_from_the_names_is_a_warning_not_a_guess(tmp_path):
    body = """40.   Council Tax Setting
(Item 5)

3) The Chairman put the recommendations to the vote and the voting was as follows:

For (3)
Mr Baker, Mr Gough

Against (1)
Mr Baldock

Recommendations agreed.
"""
    (rec,) = parse(tmp_path, body)["decisions"]
    assert votes(rec)["for"] == (3, ["Mr Baker", "Mr Gough"])  # as printed: 3, two names
    assert rec["warnings"] == ["For (3) lists 2 names"]
    assert rec["outcome"] == "carried" and rec["motion_type"] == "recommendation"


def test_outcome_read_from_counts_when_no_outcome_line(tmp_path):
    body = """41.   Parking Strategy
(Item 6)

2) The motion was put to the vote.
For: 2
Against: 5
Abstain: 0

3) The Chairman thanked officers for the report.
"""
    (rec,) = parse(tmp_path, body)["decisions"]
    assert votes(rec) == {"for": (2, []), "against": (5, []), "abstain": (0, [])}
    assert rec["outcome"] == "lost" and "outcome not stated; read from the counts" in rec["warnings"]


def test_resolutions_and_their_outcomes(tmp_path):
    body = """27. DECLARATIONS OF INTEREST

No declarations were made.

28. MINUTES OF THE PREVIOUS MEETING

AGREED:

That the Minutes of the previous meeting of the Board held on 18th August 2016 be confirmed as a correct record.

29. SUSTAINABILITY AND TRANSFORMATION PLAN

The Board considered a report, marked 'Agenda Item 6', on the plan.

AGREED:

1. That the Senior Responsible Officer be thanked for the representation.
2. That the Board recognises its role in the governance of the STP.

There was a discussion about timescales which the Chair summed up.

30. HEALTHWATCH ANNUAL REPORT

RESOLVED:
That the annual report be noted.

31. CARE HOME FEES

RESOLVED: That consideration of the fee levels be deferred to the next meeting.
"""
    recs = parse(tmp_path, body)["decisions"]
    got = [(r["minute_number"], r["outcome"], r["agenda_item"]) for r in recs]
    assert got == [("28", "carried", None), ("29", "carried", "6"), ("30", "noted", None), ("31", "deferred", None)]
    assert "2. That the Board recognises" in recs[1]["resolution"] and "timescales" not in recs[1]["resolution"]


def test_a_decision_narrated_in_minutes_is_flagged(tmp_path):
    """Minutes that record an outcome in running text ('The Board confirmed that ...', 'The Committee agreed ...')
    flag that passage as a decision (search's decisions-only, the judge's decision lift); a line that merely opens
    with the same words in a report's papers does not, nor a body that only noted something."""
    body = """18. POSITION STATEMENT FROM THE CHAIRMAN

A presentation on the planning guidance was circulated at the meeting. The target had to be submitted to NHS
England on 21 July; work was taking place with all partners to finalise the submission.

The Board confirmed that it was content for the Chief Executive to use the delegation agreed at the meeting in March
and approve the Plan for submission.

19. RADIO WELLBEING

The Board noted the progress made with the campaign and the actions that were planned.
"""
    passages = parse(tmp_path, body)["passages"]

    def flag(words: str) -> bool:
        (hit,) = [p for p in passages if words in " ".join(p["text"].split())]
        return hit["is_decision"]

    assert flag("The Board confirmed that it was content") and not flag("A presentation on the planning guidance")
    assert not flag("The Board noted the progress")
    report = tmp_path / "report.txt"  # an officer's report, no minutes: its history of decisions is not one
    report.write_text("REPORT OF THE DIRECTOR OF FINANCE\n\n1. The Council approved a new approach in November 2015.\n", encoding="utf-8")
    res = parse_file(str(report), Limits(), None)
    assert res["ok"] and not any(p["is_decision"] for p in res["passages"])


def test_record_of_decision_paper(tmp_path):
    text = """KENT COUNTY COUNCIL – PROPOSED RECORD OF DECISION

DECISION TO BE TAKEN BY:
Cabinet
   DECISION NO:
24/00115

Subject Matter / Title of Decision: Adoption of the Integrated Care Strategy –
Delivery Plan

Decision: Cabinet propose to:
a) To ADOPT the Integrated Care Strategy Delivery Plan on behalf of Kent County Council

Reason for Decision:
To adopt the plan.
"""
    f = tmp_path / "24-00115 - PROD.txt"
    f.write_text(text, encoding="utf-8")
    (rec,) = parse_file(str(f), Limits(), None)["decisions"]
    assert (rec["kind"], rec["outcome"], rec["decision_no"], rec["body"]) == ("record", "proposed", "24/00115", "Cabinet")
    assert rec["title"] == "Adoption of the Integrated Care Strategy – Delivery Plan"
    assert "To ADOPT the Integrated Care Strategy" in rec["motion"] and "To adopt the plan" not in rec["motion"]


def test_vote_heads_and_names():
    assert vote_head("For (39)") == ("for", 39, "")
    assert vote_head("Abstentions - 2") == ("abstain", 2, "")
    assert vote_head("Against: Mr Brady, Dr Sullivan") == ("against", None, "Mr Brady, Dr Sullivan")
    for prose in ("For the avoidance of doubt, the report was noted.", "Against this background the Board agreed", "For example:"):
        assert vote_head(prose) is None, prose
    assert split_names("Mr Barrington-\nKing, Sir Paul Carter, CBE, Mrs Dean and Mr R Lehmann.") == [
        "Mr Barrington-King",
        "Sir Paul Carter",
        "Mrs Dean",
        "Mr R Lehmann",
    ]


@pytest.mark.slow  # parses the five packs (14 s)
def test_five_packs_every_resolved_and_agreed_block_is_a_record():
    """Counted by hand in ../shared/corpus (RESOLVED / AGREED labels and 'taken as read, confirmed and signed')."""
    expected = {"000": 5, "001": 10, "002": 0, "003": 5, "004": 3}
    for pdf in sorted((ROOT / "corpus").glob("*.pdf")):
        res = parse_file(str(pdf), Limits(), None)
        assert len(res["decisions"]) == expected[pdf.name[:3]], pdf.name
        assert all(r["kind"] == "resolution" and r["resolution"] and r["passages"] for r in res["decisions"])


@pytest.mark.skipif(not KENT_MINUTES.exists(), reason="../shared/realpdf is not here")
def test_kent_full_council_recorded_votes():
    res = parse_file(str(KENT_MINUTES), Limits(), None)
    recs = res["decisions"]
    recorded = [r for r in recs if r["votes"]]
    assert [r["paragraph"] for r in recorded] == ["18", "20", "22", "24", "25"]
    for r in recorded:
        assert not r["warnings"], r["warnings"]
        for p, v in r["votes"].items():
            assert v["count"] == len(v["names"]), (r["paragraph"], p)
    assert [r["outcome"] for r in recorded] == ["lost", "lost", "lost", "lost", "carried"]
    assert sum(1 for r in recs if r["resolution"]) == 2  # the two RESOLVED blocks: election of the chair, the motion
    constantine = [(r["paragraph"], p) for r in recorded for p, v in r["votes"].items() if "Ms Constantine" in v["names"]]
    assert constantine == [("18", "for"), ("20", "for"), ("22", "abstain"), ("24", "abstain"), ("25", "abstain")]


def test_item_number_on_the_minute_heading_line(tmp_path):
    body = """12.   LIBRARY STRATEGY (Item 3)

The Committee considered the draft strategy.

RESOLVED: That the draft Library Strategy be approved for consultation.
"""
    (rec,) = parse(tmp_path, body)["decisions"]
    assert (rec["agenda_item"], rec["title"], rec["outcome"]) == ("3", "Library Strategy", "carried")


def test_motion_text_without_quote_marks(tmp_path):
    body = """44.   Highways Maintenance
(Item 8)

1) Mr Hook proposed and Mr Passmore seconded the following amendment:

That the pothole budget be increased by £2m, funded from reserves.

2) The Chairman put the amendment to the vote and it was lost.
"""
    (rec,) = parse(tmp_path, body)["decisions"]
    assert (rec["motion_type"], rec["outcome"], rec["proposer"]) == ("amendment", "lost", "Mr Hook")
    assert rec["motion"] == "That the pothole budget be increased by £2m, funded from reserves."
