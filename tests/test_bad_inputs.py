"""Bad inputs get a clear, line-numbered report and the rest of the batch runs (README, "Command line": exit 0
success, 1 partial, 2 usage error): queries files, gold / judgement / meetings files, BEIR folders, sidecar
manifests, named pipes and symbolic links given to ingest, nothing to ingest, nonsense option values, and file
names with control or bidi characters on the terminal. A fast fake embedder throughout (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from conftest import HashEmbedder, build_index

from boardpapers import cli
from boardpapers.index.store import Store
from boardpapers.ingest.discovery import discover

FIXTURE = Path(__file__).parent / "fixtures" / "minutes_excerpt.txt"
MINUTES = (
    "Minutes of a meeting of the Cabinet of Northshire County Council held on 3 May 2022.\n\n"
    "7. BUS SERVICES\nRural bus routes were cut after the subsidy ended in March.\nRESOLVED: That the bus review be approved.\n"
)


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def error_line(err: str, *needles: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("boardpapers:")]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad-inputs")
    src = d / "src"
    src.mkdir()
    shutil.copy(FIXTURE, src / "minutes.txt")
    (src / "bus.txt").write_text(MINUTES, encoding="utf-8")
    build_index([src], d / "idx", HashEmbedder())
    return d / "idx"


@pytest.fixture
def fake_model(monkeypatch):
    """Commands that need a query embedding (ask, hybrid search, BEIR) get the fake embedder."""
    import boardpapers.index.beir_index as beir_index
    import boardpapers.index.embed as embed

    monkeypatch.setattr(embed, "get_embedder", lambda *a, **k: HashEmbedder())
    monkeypatch.setattr(beir_index, "get_embedder", lambda *a, **k: HashEmbedder())


@pytest.fixture
def fake_ingest(monkeypatch):
    """`boardpapers ingest` with the fake embedder (one worker)."""
    import boardpapers.index.writer as pipeline

    real = pipeline.ingest

    def ingest(paths, index_dir, **kw):
        kw.update(embedder=HashEmbedder(), model=HashEmbedder.model_id, workers=1)
        return real(paths, index_dir, **kw)

    monkeypatch.setattr(pipeline, "ingest", ingest)


def documents(idx: Path) -> dict[str, dict]:
    s = Store(idx, readonly=True)
    try:
        return {Path(d["path"]).name: d for d in s.documents()}
    finally:
        s.close()


# ----------------------------------------------------------------- queries files (search, ask)
def test_search_queries_file_reports_bad_lines_and_runs_the_rest(index_dir, tmp_path, capsys):
    qf = tmp_path / "q.jsonl"
    qf.write_bytes(
        b'{"id": "a", "query": "bus routes"}\n'
        b'{"id": "b", "query": "caf\xe9 licence"}\n'  # Latin-1, not UTF-8
        b'{"id": "c", "query": \n'
        b'{"id": "d", "q": "no query field"}\n'
        b"\n"
        b'["a list"]\n'
        b'{"id": "e", "query": "mental health"}\n'
    )
    code, out, err = run(capsys, "search", "--queries", qf, "--index", index_dir, "--mode", "bm25")
    assert code == 1
    assert [json.loads(x)["id"] for x in out.splitlines()] == ["a", "e"]
    assert f"{qf}, line 2: not valid UTF-8" in err
    assert f"{qf}, line 3: not JSON" in err
    assert f"{qf}, line 4: not a JSON object with a string 'query'" in err
    assert f"{qf}, line 6: not a JSON object with a string 'query'" in err
    assert len(err.strip().splitlines()) == 4
    # a file that cannot be read at all: exit 2, one line
    for bad in (tmp_path / "missing.jsonl", tmp_path):
        code, out, err = run(capsys, "search", "--queries", bad, "--index", index_dir, "--mode", "bm25")
        assert code == 2 and not out
        error_line(err, "cannot read queries file", str(bad))


def test_ask_queries_file_reports_bad_lines_and_runs_the_rest(index_dir, tmp_path, capsys, fake_model):
    qf = tmp_path / "q.jsonl"
    qf.write_text('{"id": "a", "query": "What was decided about the bus review?"}\nnot json at all\n', encoding="utf-8")
    code, out, err = run(capsys, "ask", "--queries", qf, "--index", index_dir)
    assert code == 1
    assert [json.loads(x)["id"] for x in out.splitlines()] == ["a"]
    assert f"{qf}, line 2: not JSON" in err


# ----------------------------------------------------------------- eval: gold, judgements, meetings, BEIR
GOOD_GOLD = {
    "id": "g1",
    "kind": "decision",
    "query": "bus review approved",
    "evidence": [{"file": "bus.txt", "quote": "That the bus review be approved."}],
    "meeting": {"body": "Cabinet", "date": "2022-05-03"},
}


def test_eval_gold_reports_bad_lines_and_evaluates_the_rest(index_dir, tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(
        (json.dumps(GOOD_GOLD) + "\n").encode()
        + b'{"id": "g2", "query": "no kind here", "evidence": [{"quote": "x y z"}]}\n'
        + b'{"id": "g3", "kind": "fact", "query": \n'
        + b'{"id": "g4", "kind": "fact", "query": "caf\xe9", "evidence": [{"quote": "x"}]}\n'
        + b'{"id": "g5", "kind": "trace", "query": "bus routes", "evidence": []}\n'
        + b'{"id": "g1", "kind": "none", "query": "fluoride"}\n'
        + b'{"id": "g6", "kind": "none", "query": "the"}\n'  # only stopwords: search refuses it, the evaluation goes on
    )
    code, out, err = run(capsys, "eval", "--gold", gold, "--index", index_dir, "--mode", "bm25", "--format", "json")
    assert code == 1
    r = json.loads(out)
    assert r["queries"] == 2 and r["answerable"] == 1 and r["recall@5"] == 1.0
    assert [q["id"] for q in r["per_query"]] == ["g1", "g6"]
    assert f"{gold}, line 2: no 'kind'" in err
    assert f"{gold}, line 3: not JSON" in err
    assert f"{gold}, line 4: not valid UTF-8" in err
    assert f"{gold}, line 5: a trace query needs at least one evidence quote" in err
    assert f'{gold}, line 6: id "g1" is already used on line 1' in err
    assert len(err.strip().splitlines()) == 5


def test_eval_gold_that_cannot_be_used_exits_2(index_dir, tmp_path, capsys):
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text('{"query": "no id or kind"}\n', encoding="utf-8")
    for gold, needle in (
        (tmp_path / "missing.jsonl", "No such file or directory"),
        (tmp_path, "Is a directory"),
        (only_bad, "no usable query"),
    ):
        code, out, err = run(capsys, "eval", "--gold", gold, "--index", index_dir, "--mode", "bm25")
        assert code == 2 and not out
        error_line(err, str(gold), needle)


def test_eval_judge_judgements_and_meetings_files(index_dir, tmp_path, capsys, fake_model):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(GOOD_GOLD)
        + "\n"
        + json.dumps(
            {
                "id": "t1",
                "kind": "trace",
                "query": "rural bus routes",
                "evidence": [{"quote": "Rural bus routes were cut after the subsidy ended in March."}],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    base = ["eval", "--gold", gold, "--index", index_dir, "--judge", "--format", "json"]
    # an explicitly named judgements file that is not there: exit 2 (it was silently ignored)
    code, out, err = run(capsys, *base, "--judgements", tmp_path / "missing.jsonl")
    assert code == 2 and not out
    error_line(err, "--judgements", "missing.jsonl")
    # a bad judgement line and a meetings entry of the wrong shape: reported, skipped, the rest evaluated
    judgements = tmp_path / "judgements.jsonl"
    judgements.write_text('{"set": "x", "qid": "g1", "passage_id": "p-1", "label": 1}\n{"qid": "g1", "label": "high"}\n', encoding="utf-8")
    meetings = tmp_path / "meetings.json"
    meetings.write_text(
        json.dumps({"trace_meetings": {"t1": ["Cabinet 2022-05-03"], "t2": [{"body": "Cabinet", "date": "2022-05-03"}]}}), encoding="utf-8"
    )
    code, out, err = run(capsys, *base, "--judgements", judgements, "--meetings", meetings)
    assert code == 1
    assert json.loads(out)["judge"]["queries"] == 2
    assert f"{judgements}, line 2: not a judgement line" in err
    assert f'{meetings}: trace_meetings["t1"] is not a list' in err
    # a meetings file that is not JSON: exit 2 with its line
    meetings.write_text('{"trace_meetings":\n  {"t1": [}\n}\n', encoding="utf-8")
    code, out, err = run(capsys, *base, "--meetings", meetings)
    assert code == 2
    error_line(err, f"{meetings}, line 2: not JSON")


def make_beir(root: Path, corpus: bytes, queries: bytes, qrels: bytes | None) -> Path:
    root.mkdir()
    (root / "corpus.jsonl").write_bytes(corpus)
    (root / "queries.jsonl").write_bytes(queries)
    if qrels is not None:
        (root / "qrels").mkdir()
        (root / "qrels" / "test.tsv").write_bytes(qrels)
    return root


def test_eval_beir_folders_with_missing_files_and_bad_lines(tmp_path, capsys, fake_model):
    corpus = (
        b'{"_id": "d1", "title": "Libraries", "text": "The council closed four branch libraries."}\n'
        b'{"_id": "d2", "title": "Buses", "text": "Rural bus routes were cut."}\n'
        b'{"title": "no id"}\n'
        b'{"_id": "d3", "text": \n'
        b'{"_id": "d1", "text": "again"}\n'
    )
    queries = b'{"_id": "q1", "text": "branch libraries closed"}\n{"_id": "q2", "text": "rural bus routes"}\n{"_id": "q3"}\n'
    qrels = b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\tvery\nq2\n"
    # no such folder; a folder without qrels: exit 2, one line
    code, _, err = run(capsys, "eval", "--beir", tmp_path / "nothing", "--mode", "bm25")
    assert code == 2
    error_line(err, "no such folder")
    code, _, err = run(capsys, "eval", "--beir", make_beir(tmp_path / "noqrels", corpus, queries, None), "--mode", "bm25")
    assert code == 2
    error_line(err, "has no qrels/test.tsv")
    # bad lines: reported with their numbers, the rest evaluated, exit 1
    folder = make_beir(tmp_path / "beir", corpus, queries, qrels)
    code, out, err = run(capsys, "eval", "--beir", folder, "--index", tmp_path / "idx", "--mode", "bm25", "--format", "json")
    assert code == 1
    r = json.loads(out)
    assert r["queries"] == 1 and r["recall@10"] == 1.0
    c, q, t = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / "test.tsv"
    for needle in (
        f"{c}, line 3: no '_id'",
        f"{c}, line 4: not JSON",
        f'{c}, line 5: _id "d1" is already used on line 1',
        f"{q}, line 3: no 'text'",
        f"{t}, line 3: not a 'query-id",
        f"{t}, line 4: not a 'query-id",
    ):
        assert needle in err, err


# ----------------------------------------------------------------- sidecar manifest
def test_manifest_bad_rows_are_warned_about_with_their_line(tmp_path, capsys):
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "a.txt").write_text(MINUTES, encoding="utf-8")
    (papers / "b.txt").write_text(MINUTES.replace("Cabinet", "Scrutiny Board").replace("bus", "library"), encoding="utf-8")
    (papers / "manifest.csv").write_bytes(
        b"path,doc_type,meeting_date,body\n"
        b"a.txt,Report,3 May 2021,Cabinet Board\n"  # line 2: good (a written date, any case)
        b"../outside.txt,report,,\n"  # line 3: outside the folder
        b"b.txt,bogus,2022-13-45,Scrutiny\n"  # line 4: two bad fields, the body kept
        b"c.txt,minutes,,\n"  # line 5: no such file
        b"a.txt,,,Caf\xe9 Board\n"  # line 6: not UTF-8
        b",minutes,,\n"  # line 7: no path
    )
    build_index([papers], tmp_path / "idx", HashEmbedder())
    err = capsys.readouterr().err
    m = papers / "manifest.csv"
    assert f"manifest {m}, line 3: path ../outside.txt is outside the manifest's folder" in err
    assert f"manifest {m}, line 4: doc_type 'bogus' is not one of agenda, minutes" in err
    assert f"manifest {m}, line 4: meeting_date '2022-13-45' is not a date" in err
    assert f"manifest {m}, line 5: no file c.txt" in err
    assert f"manifest {m}, line 6: not valid UTF-8" in err
    assert f"manifest {m}, line 7: no path" in err
    docs = documents(tmp_path / "idx")
    assert (docs["a.txt"]["doc_type"], docs["a.txt"]["meeting_date"], docs["a.txt"]["body"]) == ("report", "2021-05-03", "Cabinet Board")
    assert docs["b.txt"]["body"] == "Scrutiny" and docs["b.txt"]["doc_type"] != "bogus" and docs["b.txt"]["meeting_date"] == "2022-05-03"


# ----------------------------------------------------------------- named pipes, links, nothing to ingest
@pytest.fixture
def no_hang():
    """Opening a named pipe would block: fail instead of hanging."""

    def boom(*_):
        raise TimeoutError("blocked (a named pipe was opened?)")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_named_pipes_and_symlink_loops_are_named_for_what_they_are(tmp_path, no_hang):
    d = tmp_path / "papers"
    d.mkdir()
    (d / "good.txt").write_text(MINUTES, encoding="utf-8")
    os.mkfifo(d / "inner.pdf")
    (d / "loop-a.txt").symlink_to(d / "loop-b.txt")
    (d / "loop-b.txt").symlink_to(d / "loop-a.txt")
    (d / "gone.md").symlink_to(d / "deleted.md")
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "self.pdf").symlink_to(tmp_path / "self.pdf")
    files, bad, _ = discover([d, tmp_path / "pipe.txt", tmp_path / "pipe", tmp_path / "self.pdf"])
    assert [f.name for f in files] == ["good.txt"]
    got = {Path(o.path).name: o.detail for o in bad}
    assert got == {
        "inner.pdf": "not a regular file (a named pipe)",
        "loop-a.txt": "symbolic link loop",
        "loop-b.txt": "symbolic link loop",
        "gone.md": f"broken symbolic link (its target {d / 'deleted.md'} does not exist)",
        "pipe.txt": "not a regular file (a named pipe)",
        "pipe": "not a regular file (a named pipe)",
        "self.pdf": "symbolic link loop",
    }


@pytest.mark.slow
def test_nothing_to_ingest_is_a_usage_error_and_keeps_the_index(tmp_path, capsys, fake_ingest, no_hang):
    idx = tmp_path / "idx"
    src = tmp_path / "src"
    src.mkdir()
    (src / "bus.txt").write_text(MINUTES, encoding="utf-8")
    build_index([src], idx, HashEmbedder())
    before, current = documents(idx), (idx / "CURRENT").read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.docx").write_text("x")
    os.mkfifo(tmp_path / "pipe.txt")
    for args, needle in (
        ([tmp_path / "does-not-exist"], "does-not-exist: no such file or directory"),
        ([empty], "empty: no supported files (.pdf, .txt or .md) in this folder"),
        ([tmp_path / "pipe.txt"], "pipe.txt: not a regular file (a named pipe)"),
        ([empty, tmp_path / "does-not-exist"], "no supported files"),
    ):
        code, out, err = run(capsys, "ingest", *args, "--index", idx, "-q")
        assert code == 2, (args, out, err)
        error_line(err, "nothing to ingest", needle)
        assert documents(idx) == before and (idx / "CURRENT").read_text() == current
    # with something that works beside it: a partial ingest (exit 1), the empty folder named in the summary
    (tmp_path / "more.txt").write_text(MINUTES.replace("bus", "parks"), encoding="utf-8")
    code, out, err = run(capsys, "ingest", empty, tmp_path / "more.txt", "--index", idx, "-q")
    assert code == 1 and "ingested: 1" in out and "no supported files (.pdf, .txt or .md) in this folder" in out
    assert set(documents(idx)) == {"bus.txt", "more.txt"}


def test_rebuild_from_nothing_is_refused_and_keeps_the_index(tmp_path, capsys, fake_ingest):
    idx = tmp_path / "idx"
    src = tmp_path / "src"
    src.mkdir()
    (src / "bus.txt").write_text(MINUTES, encoding="utf-8")
    build_index([src], idx, HashEmbedder())
    before = documents(idx)
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, "ingest", "--rebuild", tmp_path / "empty", "--index", idx, "-q")
    assert code == 2
    error_line(err, "nothing to ingest", "no supported files", "the index at", "is unchanged")
    assert documents(idx) == before


# ----------------------------------------------------------------- option values
@pytest.mark.parametrize(
    "args,option",
    [
        (["search", "bus", "-k", "0"], "-k"),
        (["search", "bus", "-k", "-5"], "-k"),
        (["ask", "bus review", "-k", "0"], "-k"),
        (["export", "bus", "--format", "csv", "-o", "OUT", "-k", "0"], "-k"),
        (["trace", "bus", "--per-meeting", "-1"], "--per-meeting"),
        (["search", "bus", "--type", "bogus"], "--type"),
        (["ingest", "SRC", "--workers", "0"], "--workers"),
        (["ingest", "SRC", "--timeout", "-1"], "--timeout"),
        (["ingest", "SRC", "--max-pages", "0"], "--max-pages"),
        (["ingest", "SRC", "--max-file-mb", "-2"], "--max-file-mb"),
        (["app", "--port", "0"], "--port"),
    ],
)
def test_nonsense_option_values_are_refused(args, option, index_dir, tmp_path, capsys, fake_ingest, fake_model, monkeypatch):
    import subprocess

    monkeypatch.setattr(subprocess, "call", lambda *a, **k: 0)  # never start the app
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bus.txt").write_text(MINUTES, encoding="utf-8")
    args = [str(tmp_path / "out.csv") if a == "OUT" else str(tmp_path / "src") if a == "SRC" else a for a in args]
    index = tmp_path / "new-idx" if args[0] == "ingest" else index_dir
    if args[0] in ("search", "export"):
        args += ["--mode", "bm25"]
    with pytest.raises(SystemExit) as e:
        cli.main(args + ["--index", str(index)])
    assert e.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


def test_type_filter_takes_any_case_or_a_unique_start():
    parse = cli.build_parser().parse_args
    assert parse(["search", "x", "--type", "Minutes"]).type == "minutes"
    assert parse(["search", "x", "--type", "app"]).type == "appendix"


# ----------------------------------------------------------------- control and bidi characters in file names
def test_control_and_bidi_characters_in_file_names_are_shown_escaped(tmp_path, capsys, fake_ingest):
    from boardpapers.ingest.display import shown_path

    assert shown_path("a\nb\rc\td\x1b[31m\u202eexe.txt\u2066\u200f") == "a\\nb\\rc\\td\\x1b[31m\\u202eexe.txt\\u2066\\u200f"
    src = tmp_path / "src"
    src.mkdir()
    (src / "evil\n\u202etxt.exe.txt").write_text(MINUTES, encoding="utf-8")
    (src / "bad\rname.txt").write_bytes(b"")  # fails: empty file
    idx = tmp_path / "idx"
    code, out, err = run(capsys, "ingest", src, "--index", idx)
    assert code == 1
    for text in (out, err):
        assert "\u202e" not in text and "\r" not in text
    assert "evil\\n\\u202etxt.exe.txt" in err  # the progress line
    assert "bad\\rname.txt" in out  # the summary's failed files
    assert not any(line.startswith("\u202e") or line == "" for line in err.splitlines())
    code, out, _ = run(capsys, "search", "rural bus routes", "--index", idx, "--mode", "bm25")
    # the hit is cited by its title (read from the text), never with the raw control characters of a name
    assert code == 0 and "Minutes of the Cabinet, 3 May 2022" in out and "\u202e" not in out
    code, _, err = run(capsys, "search", "--queries", tmp_path / "no\nsuch\u202e.jsonl", "--index", idx, "--mode", "bm25")
    assert code == 2
    error_line(err, "no\\nsuch\\u202e.jsonl")
