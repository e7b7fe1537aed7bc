"""Trace topics judged by aspect (index/aspects.py): how a topic splits, and what an aspect may add to a timeline."""

from __future__ import annotations

from boardpapers.index import trace as trace_mod
from boardpapers.index.aspects import ASPECT_FLOOR, aspect_relevance, aspects, unframed

GLOSSARY = {"CAMHS": ["child and adolescent mental health services"], "DTOC": ["delayed transfers of care"]}


def test_a_head_and_its_aspects():
    assert aspects("Mental health - prevention, anti-stigma and discharge delays across the papers") == [
        "Mental health prevention",
        "Mental health anti-stigma",
        "Mental health discharge delays",
    ]
    assert aspects("Help to Live at Home domiciliary care - from scrutiny review to launch and problems") == [
        "Help to Live at Home domiciliary care scrutiny review",
        "Help to Live at Home domiciliary care launch",
        "Help to Live at Home domiciliary care problems",
    ]
    assert aspects("general practice resilience: federations, GP hubs") == [
        "general practice resilience federations",
        "general practice resilience GP hubs",
    ]


def test_a_list_without_a_head_keeps_only_parts_that_name_a_topic():
    assert aspects("shared care records, Summary Care Record and digital roadmap across LLR") == [
        "shared care records",
        "Summary Care Record",
        "digital roadmap",
    ]  # "LLR" alone is a place, not an aspect
    assert aspects("safeguarding boards business plans, annual reports and budgets") == [
        "safeguarding boards business plans",
        "annual reports",
    ]


def test_one_thing_has_no_aspects():
    for topic in ("Oracle Cloud programme costs", "delayed transfers of care", "emergency admissions growth Leicestershire and LLR"):
        assert aspects(topic, GLOSSARY) == []


def test_names_periods_and_lone_from_are_not_split():
    # "and" inside a long form the glossary knows; "2015 to 2017" is a period; "from hospital" has no "to"
    assert aspects("CAMHS child and adolescent mental health - what has been reported across the boards?", GLOSSARY) == []
    assert aspects("delayed discharges from hospital - how has the picture changed 2015 to 2017?") == [
        "delayed discharges from hospital 2015 to 2017"
    ]


def test_a_body_name_is_neither_split_nor_an_aspect():
    bodies = ["Health and Wellbeing Board", "Adults and Communities Overview and Scrutiny Committee"]
    assert aspects("Health and Wellbeing Board and obesity strategy", GLOSSARY, bodies) == []  # where, not what
    # without the index's body names the board is cut in two and half of it taken for an aspect
    assert aspects("Health and Wellbeing Board and obesity strategy", GLOSSARY) == ["Wellbeing Board", "obesity strategy"]
    assert aspects("Adults and Communities Overview and Scrutiny Committee - performance and budget monitoring", None, bodies) == [
        "Adults and Communities Overview and Scrutiny Committee performance",
        "Adults and Communities Overview and Scrutiny Committee budget monitoring",
    ]


def test_unframed_drops_the_words_that_ask_for_a_timeline():
    assert unframed("CAMHS - what has been reported across the boards?") == "CAMHS"
    assert unframed("delayed discharges - how has the picture changed since 2015") == "delayed discharges - since 2015"
    assert unframed("SEND high needs deficit and safety valve across the year") == "SEND high needs deficit and safety valve"
    assert unframed("what has been reported") == "what has been reported"  # nothing left: kept as typed


def test_aspect_relevance_needs_a_strong_aspect_and_a_related_whole():
    whole = {1: 0.9, 2: 0.25, 3: 0.05, 4: 0.25}
    judged = {"a one": {2: 0.7, 3: 0.95, 1: 0.5}, "a two": {4: 0.2}}
    rel, via = aspect_relevance(["a one", "a two"], whole, 0.3, judged.__getitem__)
    assert rel[2] == 0.7 and via[2] == "a one"  # strong for an aspect, related to the whole: a match
    assert rel[3] == 0.05 and 3 not in via  # strong for an aspect but not related to the whole (below ASPECT_FLOOR)
    assert rel[4] == 0.25 and 4 not in via  # related to an aspect only: unchanged
    assert rel[1] == 0.9 and 1 not in via  # a match already, by more than the aspect gives
    assert whole == {1: 0.9, 2: 0.25, 3: 0.05, 4: 0.25}  # the input is not changed
    assert 0.05 < ASPECT_FLOOR <= 0.25


TOPIC = "Help to Live at Home - scrutiny review recommendations, provider capacity and the new service launch"


def test_trace_matches_grow_only_by_aspect_matches_related_to_the_whole(real_index, monkeypatch):
    """Two real packs: the aspects add matches, each marked with the aspect that made it one, and take none away."""
    from boardpapers.index.backend import open_index

    idx = open_index(real_index)
    assert len(aspects(TOPIC, idx.glossary)) == 3
    every = trace_mod.trace(idx, TOPIC, per_meeting=0)
    monkeypatch.setattr(trace_mod, "aspects", lambda *a, **k: [])
    plain = trace_mod.trace(idx, TOPIC, per_meeting=0)
    ids = lambda r: {h["passage_id"]: h for m in r["meetings"] for h in m["hits"]}  # noqa: E731
    added = set(ids(every)) - set(ids(plain))
    assert set(ids(plain)) <= set(ids(every)) and added
    assert all(ids(every)[p].get("aspect") in every["aspects"] for p in added)
    assert any("also judged by aspect" in n for n in every["notes"]) and plain["aspects"] == []
    dates = [m["meeting_date"] for m in every["meetings"]]
    assert dates == sorted(dates) and every["first_mention"]["meeting_date"] == min(d for d in dates if d)
