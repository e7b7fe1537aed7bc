"""Who chaired, who was present, who sent apologies: read from minutes as three councils print them
(index/attendance.py). The texts are the packs' own (Kent's PDFs, the Leicester and Leicestershire text extractions in
../shared/corpus, as the index stores them); `ask` on the real packs is in tests/test_answer_real.py."""

from __future__ import annotations

import pytest

from boardpapers.index.attendance import (
    attendance_kind,
    meeting_name,
    meeting_words,
    meetings_asked,
    read_apologies,
    read_chair,
    read_present,
)

KENT = (
    "KENT COUNTY COUNCIL \n \n \nCABINET \n \nMINUTES of a meeting of the Cabinet held in the Council Chamber, Sessions \n"
    "House, County Hall, Maidstone on Thursday, 30 January 2025. \n \nPRESENT: Mr R W Gough (Chairman), Mr N Baker, "
    "Mrs S Chandler, Mr D Jeffrey, \nMr R C Love, OBE, Mr D Murphy, Mr P J Oakford, Mr D Watkins and Mr R J Thomas \n \n"
    "IN ATTENDANCE: Dr A Ghosh (Director of Public Health), Mrs S Hammond \n"
)
KENT_COUNCIL = (
    "IN ATTENDANCE: Mr J Cook (Democratic Services Manager) and Mr B Watts \n(General Counsel) \n \nUNRESTRICTED ITEMS \n"
    " \n \nElection of Chair \n \n1.      Mr Gough proposed, and Mr Brady seconded that Mr G Cooke be elected \nto Chair the "
    "meeting. No other nominations were received. \n"
)
KENT_APOLOGIES = (
    "283.   Apologies for Absence  \n(Item 1) \n \nThe Democratic Services Manager reported apologies from Mr Beaney, Mr \n"
    "Campkin, Miss Carey and Mr Wright. \n \n284.   Declarations of Interest \n"
)
CITY = (
    "Minutes of the Meeting of the HEALTH AND WELLBEING BOARD\nHeld: MONDAY, 10 OCTOBER 2016 at 3:00 pm\nP R E S E N T :\n"
    "Present:\n Councillor Rory Palmer (Chair)\n– Deputy City Mayor, Leicester City Council.\nJohn Adler\n"
    "– Chief Executive, University Hospitals of Leicester NHS Trust.\n26. APOLOGIES FOR ABSENCE\n"
    "Apologies for absence were received from:-\nLord Willy Bach, Leicester Leicestershire and Rutland, Police and Crime "
    "Commissioner.\nFrances Craven, Strategic Director of Children's Services, Leicester City Council.\n"
    "27. DECLARATIONS OF INTEREST\n"
)
COUNTY = (
    "Minutes of a meeting of the Health and Wellbeing Board held at\nCounty Hall, Glenfield on Thursday, 20 July 2017.\n"
    "PRESENT\nLeicestershire County Council\nMr. E. F. White CC (in the Chair)    Paul Meredith\nMr. R. Blunt CC    "
    "Mike Sandys\nIn attendance\nWendy Hoult, NHS England"
)


def test_the_chair_as_each_council_prints_it():
    assert read_chair(KENT) == "Mr R W Gough"
    assert read_chair(CITY) == "Councillor Rory Palmer"
    assert read_chair(COUNTY) == "Mr. E. F. White CC"  # the heading above his name is not part of it
    assert read_chair(KENT_COUNCIL) == "Mr G Cooke"  # elected for the meeting; not "Mr Brady seconded that ..."
    assert read_chair("The Chair thanked officers for the report.") is None


def test_those_present_up_to_the_officers_or_the_first_minute():
    assert read_present(KENT) == (
        "Mr R W Gough (Chairman), Mr N Baker, Mrs S Chandler, Mr D Jeffrey, Mr R C Love, OBE, Mr D Murphy, Mr P J Oakford, "
        "Mr D Watkins and Mr R J Thomas"
    )
    assert read_present(CITY).startswith("Councillor Rory Palmer (Chair) – Deputy City Mayor")
    assert "APOLOGIES" not in read_present(CITY)
    assert (
        read_present(COUNTY) == "Leicestershire County Council Mr. E. F. White CC (in the Chair) Paul Meredith Mr. R. Blunt CC Mike Sandys"
    )
    # 'present' in a sentence is not the list
    assert read_present("Mr Gough said the situation was\npresent in every council's budget.") is None


def test_apologies_from_the_sentence_that_reports_them():
    assert (
        read_apologies(KENT_APOLOGIES)
        == "The Democratic Services Manager reported apologies from Mr Beaney, Mr Campkin, Miss Carey and Mr Wright."
    )
    city = read_apologies(CITY)
    assert city.startswith("Apologies for absence were received from:- Lord Willy Bach") and "Frances Craven" in city
    assert "DECLARATIONS" not in city
    assert read_apologies("76. Apologies \n(Item 1) \nNo apologies were received.") == "No apologies were received."
    assert read_apologies(KENT) is None


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who chaired the Cabinet meeting on 30 January 2025?", "chair"),
        ("who was in the chair at the county health and wellbeing board in July 2017", "chair"),
        ("Which members sent apologies to Cabinet in January 2025?", "apologies"),
        ("Who attended the adults scrutiny committee in March 2015?", "present"),
        ("which councillors were present at full council", "present"),
        # an office held, not a meeting chaired; attendance at services is not a meeting's
        ("Who chairs the Leicester City Children's Improvement Board?", None),
        ("What was school attendance in 2024?", None),
        ("Who is the chair of the health and wellbeing board?", None),
    ],
)
def test_what_the_question_asks(question, kind):
    assert attendance_kind(question) == kind


def test_the_meeting_named_by_body_and_council():
    """Of the meetings of the strong matches (a question naming no date needs nothing else of the index), the ones the
    question names best, in the matches' order."""

    def hit(council, body, date):
        return {"council": council, "body": body, "meeting_date": date}

    kent = [
        hit("Kent County Council", "Cabinet", "2025-03-04"),
        hit("Kent County Council", "County Council", "2025-01-09"),
        hit("Kent County Council", "Cabinet", "2025-01-30"),
    ]
    cabinet = [("Kent County Council", "Cabinet", "2025-03-04"), ("Kent County Council", "Cabinet", "2025-01-30")]
    assert meetings_asked(None, "who chaired cabinet", kent) == (cabinet, False)
    assert meetings_asked(None, "who chaired the full council meeting", kent) == (
        [("Kent County Council", "County Council", "2025-01-09")],
        False,
    )
    city = hit("Leicester City Council", "Health and Wellbeing Board", "2016-10-10")
    county = hit("Leicestershire County Council", "Health and Wellbeing Board", "2017-07-20")
    assert (
        meetings_asked(None, "who chaired the county health and wellbeing board", [city, county])[0][0][0]
        == "Leicestershire County Council"
    )
    assert meeting_words("Who chaired the Cabinet meeting on 30 January 2025?") == "the Cabinet meeting on 30 January 2025"
    assert meeting_name("Kent County Council", "County Council") == "Kent County Council"
    assert meeting_name("Leicester City Council", "Health and Wellbeing Board") == "Leicester City Council’s Health and Wellbeing Board"
