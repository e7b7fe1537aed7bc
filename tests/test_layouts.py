"""Papers laid out as other councils print them (not the five Leicester packs or Kent's): decision labels in title
case, minutes that name their body first or are headed 'Minutes' alone, minute references ('PC/23/12'), a unitary
council's heading, report cover sheets with 'Report to:' / 'Title:', and a ModernGov pack's '(Pages 5 - 6)'. Each
fails on the parser before it read that layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import parse_text
from pdfgen import make_pdf

from boardpapers.ingest.parse import Limits, parse_file

HEAD = """NORTHSHIRE COUNTY COUNCIL

MINUTES of a meeting of the Cabinet held in the Council Chamber, County Hall, Northtown on Thursday, 9 January 2025.

PRESENT: Cllr A Smith (Chair), Cllr B Jones

"""


def parse(tmp_path: Path, body: str, name: str = "minutes.txt") -> dict:
    return parse_text(tmp_path, HEAD + body, name)


def test_decision_labels_as_other_councils_print_them(tmp_path):
    """Title-case labels ('Resolved:', 'Resolved – that', 'Resolved (unanimously) that', 'Decided: to'), 'It was
    resolved / agreed that' and 'The Committee RESOLVED that' open decision blocks as 'RESOLVED:' does: each is a
    record with its outcome and its passage is a decision; prose that only says something was resolved is not."""
    body = """12. LIBRARY STRATEGY

The Committee considered the draft strategy. Concerns about opening hours had since been resolved.

Resolved: That the draft Library Strategy be approved for consultation.

13. PARKING CHARGES

Members discussed the level of charges at length.

Resolved – that consideration of the charges be deferred to the next meeting.

14. ANNUAL REPORT OF THE SAFEGUARDING BOARD

It was resolved that the annual report be noted.

15. WASTE CONTRACT

The Committee RESOLVED that the contract for waste disposal be awarded to the preferred bidder.

16. HIGHWAYS MAINTENANCE

(a) Resolved (unanimously) that the winter service plan be approved.

17. YOUTH SERVICE

Decided: to approve the youth service restructure.
"""
    res = parse(tmp_path, body)
    got = [(r["minute_number"], r["outcome"]) for r in res["decisions"]]
    assert got == [("12", "carried"), ("13", "deferred"), ("14", "noted"), ("15", "carried"), ("16", "carried"), ("17", "carried")]
    assert res["decisions"][0]["resolution"].startswith("Resolved: That the draft Library Strategy")

    def flag(words: str) -> bool:
        (hit,) = [p for p in res["passages"] if words in " ".join(p["text"].split())]
        return hit["is_decision"]

    for words in (
        "be approved for consultation",
        "be deferred",
        "report be noted",
        "preferred bidder",
        "winter service",
        "youth service restructure",
    ):
        assert flag(words), words
    assert not flag("Members discussed the level")


def test_minutes_that_name_their_body_first(tmp_path):
    """'Minutes of the Cabinet held on ...' (the body named before 'held', no 'meeting of') opens minutes as 'Minutes of
    a meeting of the Cabinet held on ...' does: a standalone file is minutes of that body and date with its decisions,
    and in a pack the minutes printed for approval get their minute numbers and decision passages."""
    res = parse_text(
        tmp_path,
        """NORTHSHIRE COUNTY COUNCIL

Minutes of the Cabinet held at County Hall on Thursday, 30 January 2025.

PRESENT: Cllr A Smith (Chair), Cllr B Jones

41. Revenue Budget Monitoring

Cabinet considered the quarter 3 forecast.

Resolved: That the forecast overspend of £2.1m be noted and the recovery plan be agreed.
""",
        "cabinet-minutes.txt",
    )
    doc = res["meta"]
    assert (doc["doc_type"], doc["body"], doc["meeting_date"]) == ("minutes", "Cabinet", "2025-01-30")
    (rec,) = res["decisions"]
    assert (rec["minute_number"], rec["outcome"]) == ("41", "carried")
    res = parse_text(
        tmp_path,
        """NORTHSHIRE COUNTY COUNCIL
PLANNING COMMITTEE
Agenda for the meeting on 8 June 2016

3. Minutes of the previous meeting

Minutes of the Planning Committee meeting held on 4 May 2016

PRESENT: Cllr A Smith (Chair), Cllr B Jones

12. Land at Mill Lane, Northtown

The Committee considered an application for 40 homes.

Resolved – that planning permission be refused.
""",
        "pack.txt",
    )
    (hit,) = [p for p in res["passages"] if "permission be refused" in p["text"]]
    assert hit["is_decision"] and hit["minute_number"] == "12"


PLANNING_MINUTES = """NORTHSHIRE COUNCIL

PLANNING COMMITTEE

MINUTES OF THE MEETING HELD ON WEDNESDAY 5 JULY 2023

PRESENT: Councillor P Grey (Chairman)

PC/23/12 MINUTES

Resolved – That the minutes of the meeting held on 7 June 2023 be confirmed as a correct record.

PC/23/13 23/00456/FUL - LAND AT MILL LANE, NORTHTOWN

The Committee considered an application for 40 dwellings. Members raised concerns about highway safety.

Resolved – That planning permission be REFUSED for the reasons set out in the report.
"""

BOARD_MINUTES = """Health and Wellbeing Board
Thursday 12 October 2023

Minutes

Present: Cllr R Red (Chair)

1. Welcome and Introductions
The Chair welcomed everyone to the meeting.

2. Joint Health and Wellbeing Strategy Refresh
The Board received a presentation on the refreshed strategy.
Agreed: the Board endorsed the refreshed strategy for publication.

3. Better Care Fund 2023-25
Agreed:
a) to approve the Better Care Fund plan 2023-25;
b) to delegate sign-off of quarterly returns to the Director of Adult Social Care.
"""


def test_minutes_laid_out_as_other_councils_do(tmp_path):
    """A unitary council's heading ('NORTHSHIRE COUNCIL') is the council and the committee under it the body; minute
    references ('PC/23/12') number the minutes as printed; a paper headed by its body, its date and 'Minutes' alone is
    minutes of that body and date, its numbered entries minutes with their decisions."""
    res = parse_text(tmp_path, PLANNING_MINUTES, "planning.txt")
    meta = res["meta"]
    assert (meta["council"], meta["body"], meta["meeting_date"], meta["doc_type"]) == (
        "Northshire Council",
        "Planning Committee",
        "2023-07-05",
        "minutes",
    )
    got = [(r["minute_number"], r["title"]) for r in res["decisions"]]
    assert got == [("PC/23/12", "Minutes"), ("PC/23/13", "23/00456/FUL - Land at Mill Lane, Northtown")]
    (refused,) = [p for p in res["passages"] if "permission be REFUSED" in p["text"]]
    assert refused["is_decision"] and refused["item"] == "Minute PC/23/13: 23/00456/FUL - Land at Mill Lane, Northtown"
    res = parse_text(tmp_path, BOARD_MINUTES, "board.txt")
    meta = res["meta"]
    assert (meta["body"], meta["meeting_date"], meta["doc_type"]) == ("Health and Wellbeing Board", "2023-10-12", "minutes")
    assert [(r["minute_number"], r["outcome"]) for r in res["decisions"]] == [("2", "carried"), ("3", "carried")]
    assert {p["minute_number"] for p in res["passages"]} >= {"1", "2", "3"}
    assert any(p["is_decision"] and "approve the Better Care Fund plan" in p["text"] for p in res["passages"])


def test_report_cover_sheet_labels_name_the_meeting_and_title(tmp_path):
    """'Report to: Cabinet' names the body, 'Date of meeting:' the date and 'Title:' the report's title, as
    'To: Cabinet – date' and 'Subject:' do on Kent's cover sheets."""
    meta = parse_text(
        tmp_path,
        "Report to: Cabinet\nDate of meeting: 14 March 2023\nReport of: Director of Finance\n"
        "Title: Revenue Budget Monitoring 2022/23 Quarter 3\n\n1. Summary\n\n1.1 The forecast is an overspend of £3.2m.\n",
        "report.txt",
    )["meta"]
    assert (meta["title"], meta["body"], meta["meeting_date"], meta["doc_type"]) == (
        "Revenue Budget Monitoring 2022/23 Quarter 3",
        "Cabinet",
        "2023-03-14",
        "report",
    )


def test_a_unitary_councils_pack_pdf(tmp_path):
    """A pack laid out as many ModernGov councils print it (a generated PDF): the council's heading and the body under
    it, 'Date:' line, items with '(Pages 5 - 6)' on their own line, the previous minutes opened by 'Minutes of the
    meeting held on ...' under the body's name with a title-case 'Resolved:', and reports with 'Report to:' / 'Title:'
    cover sheets: each passage is cited to its item (without the page range), the minutes to their own date."""
    pages = [
        [
            "Public Document Pack",
            "Northshire Council",
            "Cabinet",
            "Agenda",
            "Date: Tuesday, 14th March, 2023",
            "Time: 10.00 am",
            "Venue: Council Chamber, Town Hall, Northtown",
            "Membership: Councillors J Smith (Chair), A Brown, C Green",
            "1. Apologies for Absence",
            "2. Declarations of Interest",
            "3. Minutes of the previous meeting (Pages 3 - 4)",
            "4. Revenue Budget Monitoring 2022/23 Quarter 3 (Pages 5 - 6)",
            "5. Library Service Review (Pages 7 - 8)",
            "Page 1",
        ],
        ["This page is intentionally left blank", "Page 2"],
        [
            "Agenda Item 3",
            "Cabinet",
            "Minutes of the meeting held on Tuesday, 14th February, 2023 at 10.00 am",
            "Present: Councillor J Smith (Chair), Councillors A Brown and C Green",
            "30 Apologies for Absence",
            "Apologies were received from Councillor D White.",
            "31 Council Tax Base 2023/24",
            "The Cabinet Member for Finance presented the report on the tax base.",
            "Resolved: That the council tax base for 2023/24 be set at 45,678 Band D equivalent properties.",
            "The meeting closed at 11.15 am",
            "Page 3",
        ],
        ["Page 4"],
        [
            "Agenda Item 4",
            "Report to: Cabinet",
            "Date of meeting: 14 March 2023",
            "Report of: Director of Finance",
            "Title: Revenue Budget Monitoring 2022/23 Quarter 3",
            "1. Summary",
            "1.1 The forecast is an overspend of £3.2m, mainly in children's social care placements.",
            "2. Recommendations",
            "2.1 Cabinet is recommended to note the forecast overspend.",
            "Page 5",
        ],
        ["3. Background", "3.1 Placement costs have risen by 14% since April.", "Page 6"],
        [
            "Agenda Item 5",
            "Report to: Cabinet",
            "Date of meeting: 14 March 2023",
            "Report of: Director of Communities",
            "Title: Library Service Review",
            "1. Summary",
            "1.1 The review proposes community-managed libraries in five villages.",
            "2. Recommendations",
            "2.1 Cabinet is recommended to approve a consultation on the proposals.",
            "Page 7",
        ],
        ["3. Consultation", "3.1 The consultation will run for twelve weeks from April 2023.", "Page 8"],
    ]
    make_pdf(tmp_path / "pack.pdf", pages, title="Agenda for Cabinet on Tuesday, 14th March, 2023, 10.00 am")
    res = parse_file(str(tmp_path / "pack.pdf"), Limits(), None)
    meta = res["meta"]
    assert (meta["council"], meta["body"], meta["meeting_date"], meta["doc_type"]) == (
        "Northshire Council",
        "Cabinet",
        "2023-03-14",
        "agenda",
    )

    def at(words: str) -> tuple:
        (p,) = [p for p in res["passages"] if words in " ".join(p["text"].split())]
        return p["item"], p["meeting_date"], p["doc_type"], p["is_decision"]

    minute = "3. Minutes of the previous meeting — Minute 31: Council Tax Base 2023/24"
    assert at("45,678 Band D") == (minute, "2023-02-14", "minutes", True)
    assert at("Placement costs have risen") == ("4. Revenue Budget Monitoring 2022/23 Quarter 3", "2023-03-14", "report", False)
    assert at("twelve weeks") == ("5. Library Service Review", "2023-03-14", "report", False)
    (rec,) = res["decisions"]
    assert (rec["minute_number"], rec["meeting_date"], rec["outcome"]) == ("31", "2023-02-14", "carried")


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("Date: 14.03.2023", "2023-03-14"),
        ("Date: 2023-03-14", "2023-03-14"),
        ("Date: 14/03/2023", "2023-03-14"),
        ("Date: Tuesday, 14th March, 2023", "2023-03-14"),
        ("Date: the 14th day of March 2023", "2023-03-14"),
    ],
)
def test_a_meeting_date_however_it_is_written(tmp_path, written, iso):
    """The date line of a report's cover sheet in the forms councils print; '3.1.16' (a paragraph number) is no date."""
    res = parse_text(tmp_path, f"Report to: Cabinet\n{written}\nTitle: Library Service Review\n\n3.1.16 The review began.\n", "r.txt")
    assert res["meta"]["meeting_date"] == iso
    assert (
        parse_text(tmp_path, "Report to: Cabinet\nTitle: Library Service Review\n\n3.1.16 The review began.\n", "s.txt")["meta"][
            "meeting_date"
        ]
        is None
    )


VOTES = """50 Library Service Review

Councillor Brown moved and Councillor Green seconded that the recommendations be approved.

On being put to the vote the motion was carried (For: 5, Against: 2, Abstentions: 1).

Resolved: That a consultation on community-managed libraries be approved.

51 Parking Charges

An amendment was moved by Councillor White and seconded by Councillor Black that the charges be frozen.

Upon being put to the vote, the amendment was LOST.

For – 3
Against – 6
Abstain – 0

Resolved: That the parking charges for 2023/24 be approved.
"""


def test_vote_counts_in_the_outcome_sentence_or_under_it_are_one_vote(tmp_path):
    """'carried (For: 5, Against: 2, Abstentions: 1)' gives the counts of that vote; counts printed under 'the amendment
    was LOST.' belong to that vote, not to a second one with no motion."""
    recs = parse(tmp_path, VOTES)["decisions"]
    got = [(r["minute_number"], r["kind"], r.get("motion_type"), r.get("proposer"), r["outcome"]) for r in recs]
    assert got == [
        ("50", "vote", "recommendation", "Councillor Brown", "carried"),
        ("51", "vote", "amendment", "Councillor White", "lost"),
        ("51", "resolution", None, None, "carried"),
    ]
    counts = [{p: v["count"] for p, v in (r["votes"] or {}).items()} for r in recs]
    assert counts == [{"for": 5, "against": 2, "abstain": 1}, {"for": 3, "against": 6, "abstain": 0}, {}]


DECISION_NOTICE = """NORTHSHIRE COUNCIL

EXECUTIVE DECISION NOTICE

Decision reference: ED/2023/045

Title: Award of the Highways Maintenance Contract 2023-2030

Decision maker: Cabinet Member for Highways and Transport

Date of decision: 14 March 2023

Decision taken:
To award the highways maintenance contract to Acme Highways Ltd for seven years from 1 April 2023, at an estimated value of £84m.

Reasons for the decision:
Acme Highways Ltd submitted the most economically advantageous tender.

Alternative options considered and rejected:
Extending the current contract was rejected because it does not meet the council's carbon targets.
"""


def test_an_executive_decision_notice_is_a_record(tmp_path):
    """A decision notice as many councils publish one ('EXECUTIVE DECISION NOTICE', 'Decision reference:', 'Title:',
    'Decision maker:', 'Decision taken:') is a record of that decision, as Kent's 'RECORD OF DECISION' is."""
    res = parse_text(tmp_path, DECISION_NOTICE, "notice.txt")
    assert res["meta"]["doc_type"] == "report"
    (rec,) = res["decisions"]
    assert (rec["kind"], rec["decision_no"], rec["title"], rec["body"]) == (
        "record",
        "ED/2023/045",
        "Award of the Highways Maintenance Contract 2023-2030",
        "Cabinet Member for Highways and Transport",
    )
    assert "To award the highways maintenance contract to Acme Highways Ltd" in rec["motion"]
    assert "most economically advantageous" not in rec["motion"]
    assert rec["reasons"] == "Acme Highways Ltd submitted the most economically advantageous tender."
    assert rec["alternatives"] == ("Extending the current contract was rejected because it does not meet the council's carbon targets.")


@pytest.mark.slow
def test_ask_why_or_what_else_is_answered_from_the_record_papers_fields(tmp_path, capsys):
    """'What alternatives ... were rejected?' and 'Why ...?' about a decision with a record paper are answered from
    its 'Alternative options considered and rejected' and 'Reasons for the decision' fields, cited to the passage that
    holds them, not from the decision's own words; a question about what was decided still gets the decision. The
    register lists both fields."""
    from conftest import index_of_texts

    from boardpapers.index.answer import ask

    idx = index_of_texts(tmp_path, {"notice.txt": DECISION_NOTICE})
    a = ask(idx, "What alternatives to awarding the highways maintenance contract were considered and rejected?")
    assert a["answer"].startswith("Record of Decision ED/2023/045") and "Extending the current contract" in a["answer"]
    assert "Extending the current contract" in a["citations"][0]["text"]
    a = ask(idx, "Why was the highways maintenance contract awarded to Acme Highways?")
    assert "most economically advantageous tender" in a["answer"].split("[1]")[0]
    a = ask(idx, "What was decided about the highways maintenance contract?")
    assert "To award the highways maintenance contract to Acme Highways Ltd" in a["answer"].split("[1]")[0]
    from boardpapers import cli

    assert cli.main(["decisions", "--index", str(tmp_path / "idx")]) == 0  # the register shows both fields
    out = capsys.readouterr().out
    assert "reasons: Acme Highways Ltd submitted" in out and "alternatives rejected: Extending the current contract" in out
