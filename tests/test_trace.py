"""Trace: meetings touching a topic, grouped and in date order, unrelated meetings left out; CLI json shape; how many
passages each meeting shows and which (spread over what differs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import build_index
from pgfixture import BACKENDS, open_on_backend

from boardpapers import cli
from boardpapers.index.trace import COPY_COS, SHOW_TOTAL, event_prior, show_counts, spread, trace

SLOW_FIXTURES = {"idx_dir"}  # built with the real model (tests/conftest.py marks their tests slow)

MEETINGS = {
    "hwb_2017_09.txt": (
        "Minutes of a meeting of the Health and Wellbeing Board held at County Hall on Thursday, 21 September 2017.",
        "Delayed transfers of care (DTOC) remained high; the board agreed a trajectory to reduce delayed transfers of care to 3.5% of bed days.",
    ),
    "hwb_2016_03.txt": (
        "Minutes of a meeting of the Health and Wellbeing Board held at County Hall on Thursday, 10 March 2016.",
        "The board received a report on delayed transfers of care from hospital and the causes of delayed discharges.",
    ),
    "scrutiny_2016_11.txt": (
        "Minutes of a meeting of the Scrutiny Commission held at City Hall on Tuesday, 8 November 2016.",
        "Members questioned officers about delayed transfers of care and delays in discharge from hospital wards.",
    ),
    "cabinet_2017_01.txt": (
        "Minutes of a meeting of the Cabinet held at County Hall on Tuesday, 10 January 2017.",
        "The Cabinet approved the resurfacing programme for rural roads and footpaths across the county.",
    ),
}


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("trace")
    src = d / "src"
    src.mkdir()
    for name, (head, body) in MEETINGS.items():
        (src / name).write_text(f"{head}\n\n5. Business.\n\n{body}\n", encoding="utf-8")
    build_index([src], d / "idx")
    return d / "idx"


@pytest.fixture(scope="module", params=BACKENDS)
def index(request, idx_dir):
    return open_on_backend(request, idx_dir)


def test_trace_orders_and_groups_meetings(index):
    r = trace(index, "delayed transfers of care")
    dates = [m["meeting_date"] for m in r["meetings"]]
    assert dates == sorted(dates)
    assert dates == ["2016-03-10", "2016-11-08", "2017-09-21"]  # the roads meeting is not listed
    for m in r["meetings"]:
        assert {"council", "body", "meeting_date", "hits", "decisions"} <= set(m)
        assert 1 <= len(m["hits"]) <= 2
        assert all(h["meeting_date"] == m["meeting_date"] for h in m["hits"])
    assert r["first_mention"]["meeting_date"] == "2016-03-10"
    assert r["latest_mention"]["meeting_date"] == "2017-09-21"


def test_trace_unrelated_topic_is_empty(index):
    assert trace(index, "fluoridation of drinking water")["meetings"] == []


def test_cli_trace_json(idx_dir, capsys):
    code = cli.main(["trace", "delayed transfers of care", "--index", str(idx_dir), "--format", "json"])
    obj = json.loads(capsys.readouterr().out)
    assert code == 0 and obj["topic"] == "delayed transfers of care"
    assert obj["aspects"] == []  # one thing, no aspects (tests/test_aspects.py)
    assert [m["meeting_date"] for m in obj["meetings"]] == sorted(m["meeting_date"] for m in obj["meetings"])
    assert all({"council", "body", "meeting_date", "hits"} <= set(m) for m in obj["meetings"])
    code = cli.main(["trace", "delayed transfers of care", "--index", str(idx_dir)])
    assert code == 0 and "2017-09-21" in capsys.readouterr().out


def test_show_counts_share_ten_lines_in_search_order():
    """Each meeting shows its best match; the other lines of SHOW_TOTAL go down search's order of the matches (the
    meeting of each), so the meetings search puts near the top show more and a score of the first ten lines sees them."""
    assert SHOW_TOTAL == 10
    assert show_counts([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1], 2) == [4, 6]  # meeting 1 leads search: more of its
    assert show_counts([0] * 20 + [1], 2) == [9, 1]  # a meeting whose one match is far down still shows it
    assert show_counts(list(range(12)), 12) == [1] * 12  # many meetings: one each, even past SHOW_TOTAL
    assert show_counts([0, 1, 1, 1, 0, 0], 2) == [3, 3]  # never more than a meeting has
    assert show_counts([2, 0, 2, 1], 3, total=4) == [1, 1, 2]  # meeting 2 comes first and again before the total
    assert show_counts([], 0) == []


def test_spread_passes_over_a_near_copy_of_a_shown_passage():
    hits = [
        {"relevance": 0.95, "doc_id": "a", "item": "5. Plan"},
        {"relevance": 0.93, "doc_id": "a", "item": "5. Plan"},  # the same paragraph again
        {"relevance": 0.80, "doc_id": "a", "item": "6. Carers"},
    ]
    vecs = np.array([[1.0, 0.0], [0.999, 0.045], [0.6, 0.8]], dtype=np.float32)
    assert spread(hits, vecs, 2) == [0, 2]
    assert spread(hits, vecs, 3) == [0, 2, 1] and spread(hits, vecs, 0) == []
    # no stored vectors (keyword-first ingest): relevance decides, a new agenda item breaks a near tie
    tie = [{**hits[0]}, {**hits[1], "relevance": 0.90}, {**hits[2], "relevance": 0.88}]
    assert spread(tie, np.zeros((3, 2), dtype=np.float32), 2) == [0, 2]


def test_a_near_copy_is_shown_only_when_nothing_else_is_left():
    """Packs reprint a plan, a motion, the last meeting's minutes (chunked at other places): a near copy of a passage
    shown, in this meeting or an earlier one of the trace, comes after every other, however relevant."""
    motion = {"relevance": 0.92, "doc_id": "m", "item": "3. Devolution", "is_decision": True}
    again = {"relevance": 0.91, "doc_id": "m", "item": "3. Devolution", "is_decision": False}  # the motion as amended
    letter = {"relevance": 0.55, "doc_id": "l", "item": None, "is_decision": False}
    vecs = np.array([[1.0, 0.0], [0.97, 0.243], [0.5, 0.866]], dtype=np.float32)
    assert float(vecs[1] @ vecs[0]) >= COPY_COS
    assert spread([motion, again, letter], vecs, 2) == [0, 2]  # relevance less similarity alone would take the copy
    assert spread([motion, again, letter], vecs, 3) == [0, 2, 1]
    earlier = np.array([[1.0, 0.0]])  # the motion was shown at the meeting before: the letter leads, then the amendment
    assert spread([motion, again, letter], vecs, 2, earlier) == [2, 1]
    assert spread([motion, again, letter], vecs, 3, earlier) == [2, 1, 0]


def test_event_prior_puts_a_minute_of_what_happened_before_a_plan_paragraph():
    """A timeline is what happened at each meeting: after the meeting's lead (search's first of it), a minute narrated
    in the past tense with a date goes before a more relevant paragraph of a plan or a table (future tense, no date)."""
    plan = {
        "relevance": 0.80,
        "doc_id": "a",
        "item": "5. Plan",
        "doc_type": "report",
        "is_decision": False,
        "text": "The service will promote reablement and independence through a new outcomes-based model.",
    }
    minute = {
        "relevance": 0.62,
        "doc_id": "m",
        "item": "7. Update",
        "doc_type": "minutes",
        "is_decision": False,
        "text": "It was reported that the new service went live on 7th November 2016 after a provider withdrew.",
    }
    table = {**plan, "relevance": 0.78, "text": "Total Integrated Housing Support .0 .0 4,223.9 4,223.9"}
    assert event_prior(plan) == 0.0 and event_prior(table) == 0.0
    report = {**minute, "doc_type": "report"}
    assert event_prior(minute) == pytest.approx(0.5) and event_prior(report) == pytest.approx(0.3)  # minute, past, date
    assert event_prior({**report, "text": "went live in 2016"}) == pytest.approx(0.1)
    vecs = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.44]], dtype=np.float32)
    assert spread([plan, minute, table], vecs, 1) == [0]  # the lead is what search lists first of the meeting
    assert spread([plan, minute, table], vecs, 2) == [0, 1]  # then the minute of what happened, not the table
    assert spread([table, plan, minute], vecs[[2, 0, 1]], 2) == [0, 2]


MULTI_ASPECT = "safeguarding boards business plans and Help to Live at Home domiciliary care"


def every_hits(every: dict, meeting: dict) -> list[dict]:
    return next(m for m in every["meetings"] if m["meeting_date"] == meeting["meeting_date"])["hits"]


def test_trace_shows_differing_passages_of_a_meeting_with_many_matches(real_index, monkeypatch):
    """Two real packs: the 2015-06-02 scrutiny meeting holds dozens of matches, most from one long review report; the
    passages shown are fewer than its matches, and less alike than the same number taken in search's order. (The topic judged
    as one: what its aspects add is tests/test_aspects.py's.)"""
    from boardpapers.index import trace as trace_mod
    from boardpapers.index.backend import open_index

    monkeypatch.setattr(trace_mod, "aspects", lambda *a, **k: [])

    idx = open_index(real_index)
    r, every = trace(idx, MULTI_ASPECT), trace(idx, MULTI_ASPECT, per_meeting=0)
    assert sum(len(m["hits"]) for m in r["meetings"]) <= max(SHOW_TOTAL, len(r["meetings"]))
    big = max(r["meetings"], key=lambda m: m["passages"])
    by_search = every_hits(every, big)[: len(big["hits"])]  # every match of a meeting: in search's order
    shown = len(big["hits"])
    assert big["passages"] > 20 and 1 < shown < big["passages"] and big["more"] == big["passages"] - shown
    assert by_search[0]["passage_id"] in {h["passage_id"] for h in big["hits"]}  # search's first of it is shown
    assert all(m["hits"] == sorted(m["hits"], key=lambda h: not h["is_decision"]) for m in r["meetings"])  # decisions first
    assert [h["passage_id"] for h in big["hits"]] != [h["passage_id"] for h in by_search]

    def alike(hits):
        v = idx.vectors_at(idx.rows_for_passage_ids([h["passage_id"] for h in hits]))
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        return float(((v @ v.T).sum() - len(hits)) / (len(hits) ** 2 - len(hits)))

    assert alike(big["hits"]) < alike(by_search)
    assert sum(map(event_prior, big["hits"])) > sum(map(event_prior, by_search))  # more records of what happened
    shown = {h["passage_id"] for h in big["hits"]}
    assert (
        shown.isdisjoint(h["passage_id"] for h in big["further"])
        and len(shown | {h["passage_id"] for h in big["further"]}) == big["passages"]
    )
    assert set(big["hits"][0]) == set(big["further"][0])  # shown and further passages: one shape
    shown_so_far = np.zeros((0, idx.vectors_at([0]).shape[1]))
    for m in r["meetings"]:  # where a meeting had a choice, nothing it shows is a near copy of a passage shown before
        v = idx.vectors_at(idx.rows_for_passage_ids([h["passage_id"] for h in m["hits"]]))
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        if m["more"]:
            sims = np.vstack([shown_so_far, v]) @ v.T
            assert all(sims[: len(shown_so_far) + i, i].max(initial=0) < COPY_COS for i in range(len(v)))
        shown_so_far = np.vstack([shown_so_far, v])
    assert all(len(m["hits"]) <= 2 for m in trace(idx, MULTI_ASPECT, per_meeting=2)["meetings"])


def test_a_short_timeline_fills_its_room_with_related_passages_of_its_meetings(real_index, capsys):
    """Two real packs: "library volunteers business plans" has a handful of matches at one meeting; the lines they
    leave of about ten are the passages of that meeting the judge found related (at least RELATED_FLOOR, under the
    threshold), marked "related", in the ranking's order, never a match's text again. They change no meeting, count or
    mention; with --per-meeting or --all there are none; the CLI marks them and the exports leave them out."""
    from boardpapers.index.backend import open_index
    from boardpapers.index.judge import model_params
    from boardpapers.index.trace import RELATED_FLOOR

    idx = open_index(real_index)
    topic = "library volunteers business plans"
    r = trace(idx, topic)
    keys = {(m["council"], m["body"], m["meeting_date"]) for m in r["meetings"]}
    matches = [h for m in r["meetings"] for h in m["hits"]]
    related = [h for m in r["meetings"] for h in m["related"]]
    assert matches and related and len(matches) + len(related) <= SHOW_TOTAL
    thr = model_params()["threshold"]
    assert all(h["match"] == "related" and RELATED_FLOOR <= h["relevance"] < thr for h in related)
    assert all(h["match"] == "strong" and h["relevance"] >= thr for h in matches)
    assert all((h["council"], h["body"], h["meeting_date"]) in keys for h in related)
    assert not {h["text"] for h in related} & {h["text"] for h in matches}
    assert r["matches"] == sum(m["passages"] for m in r["meetings"])  # the count is of matches only
    every = trace(idx, topic, per_meeting=0)
    assert [m["meeting_date"] for m in every["meetings"]] == [m["meeting_date"] for m in r["meetings"]]
    assert all(not m["related"] for m in every["meetings"] + trace(idx, topic, per_meeting=2)["meetings"])
    assert r["first_mention"] == every["first_mention"] and r["latest_mention"] == every["latest_mention"]

    assert cli.main(["trace", topic, "--index", str(real_index)]) == 0
    out = capsys.readouterr().out
    assert "related at this meeting (not judged matches):" in out and out.count("(related) ") == len(related)
    assert cli.main(["trace", topic, "--index", str(real_index), "--format", "json"]) == 0
    shown = [(h["passage_id"], h["match"]) for m in json.loads(capsys.readouterr().out)["meetings"] for h in m["hits"]]
    assert shown == [(h["passage_id"], h["match"]) for m in r["meetings"] for h in m["hits"] + m["related"]]  # as the text
    assert cli.main(["trace", topic, "--index", str(real_index), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(row["match"] == "strong" for row in rows)
    # the export: the timeline's lines first (as the trace shows them), then every other match; each row says which
    n = len(matches)
    assert [row["passage_id"] for row in rows[:n]] == [h["passage_id"] for h in matches] and len(rows) == r["matches"]
    assert all(row["shown"] for row in rows[:n]) and not any(row["shown"] for row in rows[n:])


def test_a_long_timeline_shows_no_related_passages(index):
    """Every line of a timeline with room for none (SHOW_TOTAL 1 here) is a match."""
    from boardpapers.index import trace as trace_mod

    r = trace(index, "delayed transfers of care")
    assert all(h["match"] == "strong" for m in r["meetings"] for h in m["hits"])
    old = trace_mod.SHOW_TOTAL
    try:
        trace_mod.SHOW_TOTAL = 1
        assert all(not m["related"] for m in trace(index, "delayed transfers of care")["meetings"])
    finally:
        trace_mod.SHOW_TOTAL = old
