"""Names a question asks about that no matching passage holds (index/unnamed.py)."""

from __future__ import annotations

from boardpapers.index.unnamed import question_names, unnamed


def test_names_are_title_case_words_but_not_question_words_months_acronyms_or_the_nation():
    assert question_names("What did the Cabinet decide about Medway Council council tax in March 2025?") == ["cabinet", "medway", "council"]
    assert question_names("Has the revised protocol between the HWB, HOSC and Healthwatch Leicestershire been agreed?") == [
        "healthwatch",
        "leicestershir",
    ]
    assert question_names("SEND spending in England doubled, OBR says") == []
    assert question_names("how many potholes were filled in 2016") == []
    assert question_names("Delayed Transfers Of Care Figures") == []  # title case (a report title pasted in)
    assert question_names("Leicester Better Care Fund allocation") == ["leicest", "better", "care", "fund"]
    assert question_names("how many people visited Kent libraries Oct-Dec 2024") == ["kent"]  # months, abbreviated
    assert question_names("Sept figures for Maidstone") == ["maidston"]


def test_unnamed_lists_the_question_words_no_hit_holds():
    hits = [
        {"text": "Family Hubs across the county open on Saturdays.", "title": "Budget 2025-26", "council": "Kent County Council"},
        {"text": "Opening times are set by each hub.", "item": "Family Hub opening times"},
    ]
    assert unnamed("Family Hub opening times in Margate", hits) == ["Margate"]
    assert unnamed("Family Hub opening times in Kent", hits) == []  # the council's own name, in a hit's council field
    assert unnamed("Which Family Hub opens on Saturdays?", hits) == []
    assert unnamed("Margate and Medway family hubs", []) == ["Margate", "Medway"]
