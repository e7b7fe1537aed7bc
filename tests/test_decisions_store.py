"""The decision register's storage, read API and CLI (issue 15) on both backends: records stored with their document and
replaced with it, folded duplicates, filters, outcomes, members' votes, query ranking, reports of the same agenda item,
a store made before decisions were recorded, the CLI's formats, and incremental re-ingest end to end."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, HashEmbedder, build_index
from pgfixture import BACKENDS, new_database, open_on_backend

from boardpapers import cli
from boardpapers.index.decisions import DECISION_COLUMNS, VOTE_COLUMNS, decisions_csv, member_matches, register
from boardpapers.index.query import Filters, QueryError
from boardpapers.index.store import Store
from boardpapers.ingest.model import Passage

CABINET = """Minutes of a meeting of the Cabinet of Northshire County Council held on Tuesday, 5 December 2017.

12. LIBRARY STRATEGY (Item 3)
The Cabinet considered the report on the future strategy for the delivery of library services.
Mr Gough moved an amendment to defer the decision. The Chairman put the amendment to the vote and the voting was as follows:
For (2)
Mr Gough, Ms K Constantine
Against (3)
Mr Hill, Mrs Bell, Mr R Lehmann
Amendment lost.
RESOLVED that the library strategy be approved.

13. WINTER GRITTING
RESOLVED that the winter gritting routes report be noted.
"""
COUNCIL = """Minutes of a meeting of the County Council of Northshire County Council held on Thursday, 9 March 2018.

40. PARKS AND OPEN SPACES
The council debated the parks strategy covering play areas, bowling greens and tree planting.
The Chairman put the substantive motion to the vote and the voting was as follows:
For (2)
Ms Constantine, Mr Cole
Against (1)
Mrs Cole
Abstain (1)
Mr R Lehmann
Substantive Motion carried.
RESOLVED that the parks strategy be approved.
"""
REPORT = """Report to the Cabinet of Northshire County Council, 5 December 2017.

Future strategy for library services. The library strategy proposes community managed libraries and saves money.
"""


def rec(**kw) -> dict:
    """A decision record as ingest writes it (the contract's fields), with ``kw`` over the defaults."""
    names = ("motion_type", "minute_number", "item", "agenda_item", "meeting_date", "paragraph", "motion", "resolution", "proposer")
    names += ("seconder", "votes", "decision_no", "body", "page", "page_end", "printed_page", "title")
    fixed = {"kind": "resolution", "outcome": "carried", "unanimous": False, "char_start": 0, "char_end": 1, "passages": [], "warnings": []}
    return dict.fromkeys(names) | fixed | kw


def votes(**positions) -> dict:
    return {p: {"count": len(names), "names": names} for p, names in positions.items()}


def seq_of(con, doc_id: str, needle: str) -> int:
    """The passage of the document holding ``needle`` (so the tests follow however the chunker splits the minutes)."""
    rows = con.execute("SELECT seq FROM passages WHERE doc_id=? AND text LIKE ? ORDER BY seq", (doc_id, f"%{needle}%")).fetchall()
    assert rows, (doc_id, needle)
    return int(rows[0][0])


def cabinet_records(con, doc_id: str) -> list[dict]:
    m12 = {"minute_number": "12", "item": "Minute 12: Library Strategy", "title": "Library Strategy", "meeting_date": "2017-12-05"}
    return [
        rec(**m12, kind="vote", motion_type="amendment", paragraph="4", outcome="lost", motion="to defer the decision",
            votes=votes(**{"for": ["Mr Gough", "Ms K Constantine"], "against": ["Mr Hill", "Mrs Bell", "Mr R Lehmann"]})
            | {"abstain": {"count": 0, "names": []}},
            passages=[seq_of(con, doc_id, "For (2)")]),
        rec(**m12, agenda_item="3", resolution="RESOLVED that the library strategy be approved.",
            passages=[seq_of(con, doc_id, "library strategy be approved")]),
        rec(minute_number="13", item="Minute 13: Winter Gritting", title="Winter Gritting", meeting_date="2017-12-05",
            outcome="noted", resolution="RESOLVED that the winter gritting routes report be noted.",
            passages=[seq_of(con, doc_id, "winter gritting routes")]),
    ]  # fmt: skip


def council_records(con, doc_id: str) -> list[dict]:
    m40 = {
        "minute_number": "40",
        "item": "Minute 40: Parks and Open Spaces",
        "title": "Parks and Open Spaces",
        "meeting_date": "2018-03-09",
    }
    return [
        rec(**m40, kind="vote", motion_type="substantive motion", motion="that the parks strategy be approved",
            votes=votes(**{"for": ["Ms Constantine", "Mr Cole"], "against": ["Mrs Cole"], "abstain": ["Mr R Lehmann"]}),
            passages=[seq_of(con, doc_id, "For (2)")]),
        rec(**m40, resolution="RESOLVED that the parks strategy be approved.", passages=[seq_of(con, doc_id, "parks strategy be approved")]),
    ]  # fmt: skip


def set_records(store_dir: Path) -> dict[str, str]:
    """Replace the stored records with the ones above (the reprint in the next pack holds the cabinet's again), date the
    pack at its own meeting and make the report a paper of the cabinet's item 3. Returns doc_id by file name."""
    st = Store(store_dir)
    con = st.con
    ids = {Path(p).name: d for p, d in con.execute("SELECT path, doc_id FROM doc_paths")}
    with con:
        con.execute("DELETE FROM decisions")
        plan = [("cabinet.txt", cabinet_records), ("a_pack.txt", cabinet_records), ("council.txt", council_records)]
        for name, make in plan:
            rows = [(ids[name], i, json.dumps(r)) for i, r in enumerate(make(con, ids[name]))]
            con.executemany("INSERT INTO decisions(doc_id, seq, record) VALUES(?,?,?)", rows)
        con.execute("UPDATE documents SET meeting_date='2018-01-09' WHERE doc_id=?", (ids["a_pack.txt"],))
        con.execute(
            "UPDATE documents SET council='Northshire County Council', body='Cabinet', meeting_date='2017-12-05', doc_type='report' "
            "WHERE doc_id=?",
            (ids["report.txt"],),
        )
        con.execute(
            "UPDATE passages SET item='3. Library Strategy (Appendix A)', meeting_date='2017-12-05', doc_type='report' WHERE doc_id=?",
            (ids["report.txt"],),
        )
        st.bump_version()
    st.close()
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("decisions")
    src = d / "src"
    src.mkdir()
    (src / "cabinet.txt").write_text(CABINET, encoding="utf-8")
    (src / "a_pack.txt").write_text(CABINET + "\nSigned as a correct record at the meeting of 9 January 2018.\n", encoding="utf-8")
    (src / "council.txt").write_text(COUNCIL, encoding="utf-8")
    (src / "report.txt").write_text(REPORT, encoding="utf-8")
    report = build_index([src], d / "idx", HashEmbedder())
    assert report.count("ingested") == 4, report.outcomes
    ids = set_records(d / "idx")
    return d / "idx", ids


@pytest.fixture(scope="module", params=BACKENDS)
def reg_index(request, built):
    """(the index on the backend, the CLI's location options, doc ids by file name)."""
    index_dir, ids = built
    idx = open_on_backend(request, index_dir)
    where = ["--index", str(index_dir)] if request.param == "embedded" else ["--store", idx.url]
    return idx, where, ids


# ------------------------------------------------------------------ member names
@pytest.mark.parametrize(
    "asked, written, same",
    [
        ("Ms Constantine", "Ms Constantine", True),
        ("Ms Constantine", "Ms K Constantine", True),
        ("Mr Lehmann", "Mr R Lehmann", True),
        ("Mr Cole", "Mrs Cole", False),
        ("Constantine", "Ms K Constantine", True),
        ("constantine", "Ms Constantine", True),
        ("Mr R Lehmann", "Mr J Lehmann", False),
        ("Mr R Lehmann", "Mr R. J. Lehmann", True),
        ("Cllr Cole", "Mrs Cole", True),
        ("Ms Karen Constantine", "Ms K Constantine", True),
        ("Ms Kate Constantine", "Ms Karen Constantine", False),
        ("Mr King", "Mr Barrington-King", False),
        ("Sir Paul Carter", "Sir Paul Carter CBE", True),
        ("Mr Baker", "Mr Bartlett", False),
        ("Mr P Cole", "Mr J Cole", False),
        ("Mr Smith", "Mr Smithson", False),
    ],
)
def test_member_matches(asked, written, same):
    assert member_matches(asked, written) is same


# ------------------------------------------------------------------ the SQLite store
def _passage(text: str) -> Passage:
    return Passage(text, "", 1, 1, None, "Minute 5: Parks", "5", "2017-03-02", True, 0, len(text))


def _doc(doc_id: str, path: str) -> dict:
    return {"doc_id": doc_id, "path": path, "title": "Minutes", "council": "Northshire", "body": "Cabinet", "meeting_date": "2017-03-02"}


def _add(st: Store, doc_id: str, path: str, decisions: list[dict]) -> None:
    doc = _doc(doc_id, path) | {"doc_type": "minutes", "pages": 1, "sha256": doc_id}
    st.add_document(doc, [_passage("RESOLVED that the parks plan be approved.")], ["k"], {}, "m", decisions=decisions)


def test_records_are_stored_with_their_document_and_replaced_with_it(tmp_path):
    st = Store(tmp_path)
    _add(st, "a" * 64, "/p/minutes.txt", [rec(title="Parks", passages=[0]), rec(title="Budget", outcome="noted")])
    rows = st.decisions()
    assert [(r["seq"], r["record"]["title"]) for r in rows] == [(0, "Parks"), (1, "Budget")]
    assert rows[0]["record"]["passages"] == [0] and rows[0]["path"] == "/p/minutes.txt" and rows[0]["body"] == "Cabinet"
    _add(st, "a" * 64, "/p/minutes.txt", [rec(title="Parks again")])  # read again: its records replaced
    assert [r["record"]["title"] for r in st.decisions()] == ["Parks again"]
    _add(st, "b" * 64, "/p/minutes.txt", [rec(title="Changed")])  # the file changed: the old document is superseded
    assert [(r["doc_id"][0], r["record"]["title"]) for r in st.decisions()] == [("b", "Changed")]
    assert st.con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 2  # kept for the live generation ...
    st.collect_garbage()
    assert st.con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1  # ... until it is collected
    _add(st, "b" * 64, "/p/minutes.txt", [])
    assert st.decisions() == []
    st.close()


def test_a_store_made_before_decisions_were_recorded(tmp_path, built, capsys):
    st = Store(tmp_path)
    _add(st, "a" * 64, "/p/minutes.txt", [])
    st.con.execute("DROP TABLE decisions")
    st.con.commit()
    st.close()
    ro = Store(tmp_path, readonly=True)
    assert ro.decisions() == [] and ro.meeting_papers(["2017-03-02"])
    ro.close()
    st = Store(tmp_path)  # opened to write: the table is made
    assert st.decisions() == [] and st.con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
    st.close()
    old = tmp_path / "old-index"
    shutil.copytree(built[0], old)
    with sqlite3.connect(old / "store.sqlite") as con:
        con.execute("DROP TABLE decisions")
    assert cli.main(["decisions", "--index", str(old)]) == 0
    assert capsys.readouterr().out == "no decisions match\n"


# ------------------------------------------------------------------ the register, both backends
def test_the_register_folds_reprints_newest_first_with_reports(reg_index):
    idx, _, ids = reg_index
    reg = register(idx)
    got = [(d["meeting_date"], d["minute_number"], d["kind"]) for d in reg.decisions]
    assert got == [
        ("2018-03-09", "40", "vote"),
        ("2018-03-09", "40", "resolution"),
        ("2017-12-05", "12", "vote"),
        ("2017-12-05", "12", "resolution"),
        ("2017-12-05", "13", "resolution"),
    ]
    assert reg.matches == 5 and reg.query is None and reg.votes == []
    amendment, resolved, gritting = reg.decisions[2:]
    assert amendment["doc_id"] == ids["cabinet.txt"] and amendment["decision_id"] == f"{ids['cabinet.txt'][:16]}-d000"
    assert [x["path"].rsplit("/", 1)[-1] for x in amendment["also_in"]] == ["a_pack.txt"]  # the reprint, folded
    assert (amendment["for_count"], amendment["against_count"], amendment["abstain_count"]) == (2, 3, 0)
    assert amendment["passage_id"] == amendment["passage_ids"][0] and amendment["passage_id"].startswith(ids["cabinet.txt"][:16])
    assert [r["doc_id"] for r in resolved["reports"]] == [ids["report.txt"]]  # the paper of item 3 of that meeting
    assert gritting["reports"] == [] and gritting["council"] == "Northshire County Council" and gritting["body"] == "Cabinet"
    assert "Minute 12: Library Strategy, paragraph 4" in amendment["citation"] and "2017-12-05" in amendment["citation"]
    assert not {"char_start", "char_end", "passages", "seq"} & set(amendment)


def test_filters_outcomes_and_limit(reg_index):
    idx, _, _ = reg_index

    def n(**kw) -> int:
        outcome = kw.pop("outcome", None)
        return len(register(idx, filters=Filters(**kw), outcome=outcome).decisions)

    assert n(body="cabinet") == 3 and n(body="COUNTY COUNCIL") == 2 and n(council="southshire") == 0
    assert n(since="2018-01-01") == 2 and n(until="2017-12-31") == 3 and n(since="2017-12-05", until="2017-12-05") == 3
    assert n(outcome="noted") == 1 and n(outcome="lost") == 1 and n(outcome="carried", body="cabinet") == 1
    reg = register(idx, limit=2)
    assert len(reg.decisions) == 2 and reg.matches == 5
    with pytest.raises(QueryError, match="unknown outcome"):
        register(idx, outcome="won")


def test_a_members_recorded_votes(reg_index):
    idx, _, _ = reg_index
    reg = register(idx, member="Ms Constantine")
    assert [(v["meeting_date"], v["member"], v["position"], v["motion_type"]) for v in reg.votes] == [
        ("2018-03-09", "Ms Constantine", "for", "substantive motion"),
        ("2017-12-05", "Ms K Constantine", "for", "amendment"),
    ]
    assert reg.matches == 2 and [d["minute_number"] for d in reg.decisions] == ["40", "12"]
    assert [v["position"] for v in register(idx, member="Mr Cole").votes] == ["for"]
    assert [v["position"] for v in register(idx, member="Mrs Cole").votes] == ["against"]
    assert [v["position"] for v in register(idx, member="Mr Lehmann").votes] == ["abstain", "against"]
    assert register(idx, member="Mr Nobody").votes == []
    assert len(register(idx, member="Lehmann", filters=Filters(body="cabinet")).votes) == 1
    with pytest.raises(QueryError, match="surname"):
        register(idx, member="Mr")


def test_a_query_ranks_decisions_by_their_strong_matches(reg_index):
    idx, _, _ = reg_index
    reg = register(idx, "library strategy", mode="bm25", embedder=HashEmbedder())
    assert reg.decisions and reg.matches == len(reg.decisions)
    assert {d["minute_number"] for d in reg.decisions} == {"12"}
    assert any(d["kind"] == "resolution" for d in reg.decisions)
    parks = register(idx, "parks strategy", mode="bm25", embedder=HashEmbedder(), outcome="carried")
    assert [d["minute_number"] for d in parks.decisions] == ["40", "40"]
    assert register(idx, "zebra crossings", mode="bm25", embedder=HashEmbedder()).decisions == []
    with pytest.raises(QueryError):
        register(idx, "   ", mode="bm25")


def run_cli(args, capsys):
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_formats(reg_index, capsys, tmp_path):
    _, where, _ = reg_index
    code, out, _ = run_cli(["decisions", *where], capsys)
    assert code == 0 and out.startswith("5 decisions\n")
    assert (
        "2017-12-05  Cabinet · Minute 12, paragraph 4: Library Strategy" in out and "amendment: lost  (For 2, Against 3, Abstain 0)" in out
    )
    assert "RESOLVED that the library strategy be approved." in out and "also in: " in out and "reports: " in out
    code, out, _ = run_cli(["decisions", *where, "--format", "json", "--body", "cabinet", "-k", "2"], capsys)
    obj = json.loads(out)
    assert code == 0 and obj["matches"] == 3 and len(obj["decisions"]) == 2 and obj["query"] is None and obj["member"] is None
    code, out, _ = run_cli(["decisions", *where, "--format", "jsonl", "--outcome", "carried"], capsys)
    assert [json.loads(x)["outcome"] for x in out.splitlines()] == ["carried"] * 3
    code, out, _ = run_cli(["decisions", *where, "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == DECISION_COLUMNS and len(rows) == 5 and not out.startswith("\ufeff")
    assert rows[2]["for_names"] == "Mr Gough; Ms K Constantine" and rows[2]["against_count"] == "3"
    code, out, _ = run_cli(["decisions", "library strategy", "--mode", "bm25", *where], capsys)
    assert code == 0 and "match 'library strategy'" in out.splitlines()[0]
    target = tmp_path / "votes.csv"
    code, out, err = run_cli(["decisions", *where, "--member", "Ms Constantine", "--format", "csv", "-o", str(target)], capsys)
    data = target.read_bytes()
    assert code == 0 and out == "" and "wrote 2 votes" in err and data.startswith("\ufeff".encode())
    assert tuple(next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == VOTE_COLUMNS


def test_cli_member_text_json_and_usage_errors(reg_index, capsys):
    _, where, _ = reg_index
    code, out, _ = run_cli(["decisions", *where, "--member", "Ms Constantine"], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "Ms Constantine — 2 recorded votes"
    assert lines[1].startswith("2018-03-09  County Council  Minute 40  substantive motion: Parks and Open Spaces — for")
    assert "Minute 12, paragraph 4  amendment: Library Strategy — for (Ms K Constantine; lost)" in lines[2]
    obj = json.loads(run_cli(["decisions", *where, "--member", "Mrs Cole", "--format", "json"], capsys)[1])
    assert obj["member"] == "Mrs Cole" and obj["matches"] == 1 and obj["votes"][0]["position"] == "against" and "decisions" not in obj
    assert run_cli(["decisions", *where, "--member", "Mr Nobody"], capsys)[1] == "Mr Nobody — no recorded votes match\n"
    assert run_cli(["decisions", *where, "--council", "southshire"], capsys)[1] == "no decisions match\n"
    for bad in (["--member", "Mr"], ["", "--mode", "bm25"], ["--since", "not a date"]):
        code, out, err = run_cli(["decisions", *where, *bad], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("boardpapers: "), (bad, err)
    with pytest.raises(SystemExit) as exc:
        cli.main(["decisions", *where, "--outcome", "won"])
    assert exc.value.code == 2


def test_decisions_without_a_query_load_no_model(built):
    code = (
        "import sys\nfrom boardpapers import cli\n"
        f"rc = cli.main(['decisions', '--format', 'json', '--index', {str(built[0])!r}])\n"
        "assert rc == 0, rc\nassert 'torch' not in sys.modules, 'torch imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_csv_cells_cannot_run_as_formulas():
    buf = io.StringIO()
    decisions_csv([{"title": "=HYPERLINK(1)", "motion": "+cmd", "votes": {"for": {"names": ["@x"]}}}], buf)
    row = list(csv.DictReader(io.StringIO(buf.getvalue())))[0]
    assert (row["title"], row["motion"], row["for_names"]) == ("'=HYPERLINK(1)", "'+cmd", "'@x")


# ------------------------------------------------------------------ end to end: ingest's records, both backends
E2E_COUNCIL = """Minutes of a meeting of the County Council of Northshire County Council held on Thursday, 9 January 2025.

285. ENGLISH DEVOLUTION WHITE PAPER
1) The Leader moved the recommendations set out in the report. Mr Streatfeild proposed, and Mr Sole seconded, an amendment.
2) The Chairman put the amendment to the vote and the voting was as follows:
For (3)
Mr Streatfeild, Mr Sole,
Ms Constantine
Against (0)
Abstain (0)
Amendment carried.
3) The Chairman put the substantive motion to the vote and the voting was as follows:
For (4)
Mr Baker, Mr Bartlett,
Mrs Bell, Mr R Lehmann
Against (2)
Mr Baldock, Dr Sullivan
Abstain (1)
Ms Constantine
Substantive Motion carried.
4) RESOLVED that the County Council endorses the application to join the Devolution Priority Programme.

286. PARKING CHARGES
The Chairman put the motion to the vote and the voting was as follows:
For (1)
Mr Baker
Against (5)
Mr Bartlett, Mrs Bell, Mr R Lehmann, Mr Baldock, Dr Sullivan
Motion lost.

287. BUS SERVICES
Mr Baldock moved and Dr Sullivan seconded that the Council calls for the restoration of rural bus routes.
A recorded vote was taken:
FOR: Mr Baldock, Dr Sullivan and Ms Constantine
AGAINST: Mr Baker, Mr Bartlett, Mrs Bell
ABSTAIN: none
Motion lost.
"""
E2E_CABINET = """Minutes of a meeting of the Cabinet of Northshire County Council held on Tuesday, 14 January 2025.

7. LIBRARY STRATEGY
The Cabinet considered the future strategy for the delivery of library services.
RESOLVED that the library strategy be {verb}.
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_ingested_minutes_give_records_and_a_changed_file_replaces_only_its_own(backend, tmp_path, request):
    from boardpapers.index.backend import open_backend

    src = tmp_path / "src"
    src.mkdir()
    (src / "council.txt").write_text(E2E_COUNCIL, encoding="utf-8")
    (src / "cabinet.txt").write_text(E2E_CABINET.format(verb="approved"), encoding="utf-8")
    location = str(tmp_path / "idx") if backend == "embedded" else new_database(request.getfixturevalue("pg_server"))
    be = open_backend(location)
    request.addfinalizer(be.close)
    emb = HashEmbedder()
    assert not be.ingest([src], model=emb.model_id, embedder=emb, workers=1).failed
    reg = register(be.open())
    council = [d for d in reg.decisions if d["body"] == "County Council"]
    assert [(d["minute_number"], d["motion_type"], d["outcome"]) for d in council] == [
        ("285", "amendment", "carried"),
        ("285", "substantive motion", "carried"),
        ("286", "motion", "lost"),
        ("287", "motion", "lost"),
    ]
    # the named vote without counts (287): counts are the names listed, the lists as written
    assert [(d["for_count"], d["against_count"], d["abstain_count"]) for d in council] == [(3, 0, 0), (4, 2, 1), (1, 5, None), (3, 3, 0)]
    assert council[3]["votes"]["for"] == {"count": None, "names": ["Mr Baldock", "Dr Sullivan", "Ms Constantine"]}
    assert (council[3]["proposer"], council[3]["seconder"]) == ("Mr Baldock", "Dr Sullivan")
    for d in council:  # the counts are the names listed
        assert all(v["count"] in (None, len(v["names"])) for v in d["votes"].values()) and not d["warnings"]
    assert "Devolution Priority Programme" in (council[1]["resolution"] or "")
    constantine = register(be.open(), member="Ms Constantine").votes
    assert sorted((v["minute_number"], v["motion_type"], v["position"]) for v in constantine) == [
        ("285", "amendment", "for"),
        ("285", "substantive motion", "abstain"),
        ("287", "motion", "for"),
    ]
    assert sorted(v["position"] for v in register(be.open(), member="Mr Lehmann").votes) == ["against", "for"]
    (cabinet,) = [d for d in reg.decisions if d["body"] == "Cabinet"]
    assert cabinet["resolution"] == "RESOLVED that the library strategy be approved." and cabinet["meeting_date"] == "2025-01-14"

    # `ask` on a vote answers from the record: counts, outcome, and the names of the position asked about
    from boardpapers.index.answer import ask

    res = ask(be.open(), "who voted against the substantive motion on the English Devolution White Paper?", embedder=emb)
    assert res["mode"] == "vote record" and not res["abstained"], res
    assert "For 4, Against 2, Abstain 1. The substantive motion was carried." in res["answer"]
    assert "Against (2): Mr Baldock, Dr Sullivan." in res["answer"] and res["answer"].endswith("[1]")
    (cited,) = res["citations"]
    assert "Recorded vote on the substantive motion" in cited["context"] and "Mr Baldock, Dr Sullivan" in cited["text"]
    res = ask(be.open(), "How did Ms Constantine vote on the amendment?", embedder=emb)
    assert "Ms Constantine voted for." in res["answer"] and "For 3, Against 0, Abstain 0" in res["answer"]

    (src / "cabinet.txt").write_text(E2E_CABINET.format(verb="deferred"), encoding="utf-8")
    report = be.ingest([src], model=emb.model_id, embedder=emb, workers=1)
    assert report.count("ingested") == 1 and report.count("unchanged") == 1, report.outcomes
    again = register(be.open())
    assert [d["decision_id"] for d in again.decisions if d["body"] == "County Council"] == [d["decision_id"] for d in council]
    (changed,) = [d for d in again.decisions if d["body"] == "Cabinet"]
    assert changed["resolution"] == "RESOLVED that the library strategy be deferred." and changed["doc_id"] != cabinet["doc_id"]
    if backend == "postgresql":  # and out again into an index folder: the records travel
        from boardpapers.index.embedded import Index
        from boardpapers.index.pgtransfer import export_store

        export_store(location, tmp_path / "exported")
        exported = register(Index(tmp_path / "exported"))
        assert [d["decision_id"] for d in exported.decisions] == [d["decision_id"] for d in again.decisions]
