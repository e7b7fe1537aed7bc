"""Names a question asks about that no matching passage holds (index/unnamed.py)."""

from __future__ import annotations

import pytest

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


def test_the_town_an_asker_says_they_live_or_work_in_is_not_what_they_ask_about():
    # a personal preamble's place: the asker's, not the subject; a county's papers answer for all its towns
    assert question_names("I'm a parent in Maidstone - by when should every primary school offer wraparound care?") == []
    assert question_names("I live in Lutterworth - are they closing the beds at Feilding Palmer hospital?") == ["feild", "palmer"]
    assert question_names("I commute from Aylesford into Maidstone - is the Coldharbour Roundabout finished?") == [
        "coldharbour",
        "roundabout",
    ]
    assert question_names("I volunteer with a farm group near Ashford - when will the lottery decide?") == ["ashford"]  # the group's
    # a place named as where the thing asked about is, and any question without a first-person preamble, keep theirs
    assert question_names("My daughter is in the unit at Coalville - when will the new unit at Glenfield open?") == [
        "coalvill",
        "glenfield",
    ]
    assert question_names("Maidstone - by when should every primary school offer wraparound care?") == ["maidston"]
    hits = [{"text": "All primary schools are to offer wraparound care by September 2026.", "title": "Integrated Care Strategy"}]
    assert unnamed("I'm a parent in Maidstone - by when should every primary school offer wraparound care?", hits) == []
    assert unnamed("wraparound care in Maidstone primary schools", hits) == ["Maidstone"]


@pytest.mark.slow  # index_of_texts builds with the real model
def test_ask_answers_an_asker_who_says_where_they_live_from_county_wide_papers(tmp_path):
    from conftest import index_of_texts

    from boardpapers.index.answer import ask

    papers = {
        "cabinet_2025_01.txt": (
            "Cabinet, 30 January 2025. Integrated Care Strategy delivery plan.\n\nIncrease opportunity for parents to work: "
            "all primary schools are to offer wraparound care, before and after school, by September 2026."
        ),
        "cabinet_2025_02.txt": "Cabinet, 30 January 2025. Highways.\n\nThe winter service gritted 1,200 miles of primary routes.",
        "cabinet_2025_03.txt": "Cabinet, 4 March 2025. Transport.\n\nThe Maidstone bus station improvements were completed in December.",
    }
    ix = index_of_texts(tmp_path, papers)
    out = ask(ix, "I'm a parent in Maidstone - by when should every primary school offer wraparound care?")
    assert not out["abstained"] and "September 2026" in out["answer"]
    out = ask(ix, "When should every primary school in Maidstone offer wraparound care?")  # Maidstone asked about
    assert out["abstained"]


def test_an_acronym_names_the_places_of_its_long_form():
    from boardpapers.index.unnamed import by_acronym

    glossary = {"LLR": ["Leicester Leicestershire and Rutland"], "HOSC": ["Health Overview and Scrutiny Committee"]}
    assert by_acronym({"across", "llr", "gp"}, glossary) == {"leicest", "leicestershir", "rutland"}
    assert by_acronym({"across", "gp"}, glossary) == set()


@pytest.mark.slow  # index_of_texts builds with the real model
def test_a_passage_saying_llr_answers_a_question_naming_leicester_leicestershire_and_rutland(tmp_path):
    from conftest import index_of_texts

    from boardpapers.index.answer import ask

    papers = {  # the acronym defined in one paper, used alone in another
        "footprint_2016_10.txt": (
            "Health and Wellbeing Board, 10 October 2016. Footprint.\n\nThe Leicester, Leicestershire and Rutland (LLR) health "
            "and care system serves a population of one million."
        ),
        "stp_2016_12.txt": (
            "Health and Wellbeing Board, 15 December 2016. Sustainability and Transformation Plan.\n\nAcross LLR 10% of GP "
            "practices inspected were rated as Requires Improvement by the CQC and 3% are rated as Inadequate."
        ),
        "budget_2017_01.txt": "Scrutiny Commission, 4 January 2017. Budget.\n\nThe council tax will rise by 3.99% in 2017/18.",
    }
    ix = index_of_texts(tmp_path, papers)
    out = ask(ix, "What share of GP practices across Leicester, Leicestershire and Rutland has the CQC rated inadequate?")
    assert not out["abstained"] and "3% are rated as Inadequate" in out["answer"]
    out = ask(ix, "What share of GP practices in Nottinghamshire has the CQC rated inadequate?")
    assert out["abstained"]


def test_a_question_s_first_word_is_a_name_only_when_the_papers_write_it_capitalised(tmp_path):
    from conftest import index_of_texts

    from boardpapers.index.answer import ask
    from boardpapers.index.unnamed import opening_common_word

    papers = {
        "cabinet_2025_03.txt": (
            "Cabinet, 4 March 2025. Quarterly Performance Report.\n\nYouth justice. The number of first-time entrants to "
            "the youth justice system in Kent was 284 young people in the year to December 2024, and the number of "
            "young people re-offending fell. Kent Youth Justice Partnership reviews the number each quarter."
        ),
        "cabinet_2025_01.txt": "Cabinet, 30 January 2025. Highways.\n\nThe winter service gritted 1,200 miles of primary routes.",
    }
    ix = index_of_texts(tmp_path, papers)
    assert opening_common_word(ix, "Number of young people in Kent") == {"number"}  # the papers write 'the number'
    assert opening_common_word(ix, "Kent youth justice entrants") == set()  # 'Kent', always capitalised: a name
    assert opening_common_word(ix, "Medway youth justice entrants") == set()  # never used: a name no paper holds
    out = ask(ix, "Number of young people in Kent who entered the youth justice system for the first time in 2024")
    assert not out["abstained"] and "284 young people" in out["answer"]
    out = ask(ix, "Medway number of young people who entered the youth justice system for the first time in 2024")
    assert out["abstained"]  # Medway is a name no paper holds
