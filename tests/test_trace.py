"""Trace: meetings touching a topic, grouped and in date order, unrelated meetings left out; CLI json shape."""

from __future__ import annotations

import json

import pytest
from conftest import build_index
from pgfixture import BACKENDS, open_on_backend

from boardpapers import cli
from boardpapers.index.trace import trace

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
    assert [m["meeting_date"] for m in obj["meetings"]] == sorted(m["meeting_date"] for m in obj["meetings"])
    assert all({"council", "body", "meeting_date", "hits"} <= set(m) for m in obj["meetings"])
    code = cli.main(["trace", "delayed transfers of care", "--index", str(idx_dir)])
    assert code == 0 and "2017-09-21" in capsys.readouterr().out
