"""The command-line contract of DESIGN.md: formats, batch mode, exit codes, cold start, README kept true."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, HashEmbedder, build_index

from boardpapers import cli

HIT_FIELDS = {
    "rank",
    "score",
    "passage_id",
    "text",
    "path",
    "title",
    "council",
    "body",
    "meeting_date",
    "doc_type",
    "item",
    "page",
    "page_end",
    "printed_page",
    "is_decision",
    "also_in",
    "match",
    "relevance",
}
FIXTURE = Path(__file__).parent / "fixtures" / "minutes_excerpt.txt"


@pytest.fixture(scope="module")
def bm25_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    src = d / "src"
    src.mkdir()
    shutil.copy(FIXTURE, src / "minutes.txt")
    (src / "hostile.txt").write_text(
        "Minutes of the Cabinet held on 1 May 2020.\n\n1. FORMULAS\n=HYPERLINK(\"http://evil\") and +cmd|' /C calc'!A0 RESOLVED that formulas be inert.\n"
    )
    build_index([src], d / "idx", HashEmbedder())
    return d / "idx"


def run_cli(args, capsys):
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_search_json_has_every_contract_field(bm25_index, capsys):
    code, out, _ = run_cli(
        ["search", "preventative mental health", "--index", str(bm25_index), "--mode", "bm25", "--format", "json", "-k", "3"], capsys
    )
    assert code == 0
    obj = json.loads(out)
    hits = obj["hits"]
    assert obj["query"] == "preventative mental health" and obj["matches"] >= 1 and 1 <= len(hits) <= 3
    for h in hits:
        assert HIT_FIELDS <= set(h)
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))


def test_jsonl_and_csv_formats(bm25_index, capsys):
    _, out, _ = run_cli(["search", "minutes", "--index", str(bm25_index), "--mode", "bm25", "--format", "jsonl"], capsys)
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines and all(HIT_FIELDS <= set(x) for x in lines)
    _, out, _ = run_cli(["search", "formulas inert", "--index", str(bm25_index), "--mode", "bm25", "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"citation", "meeting_date", "page", "text"} <= set(rows[0])
    for r in rows:
        for v in r.values():
            assert (v or " ")[0] not in "=+-@"


def test_queries_file_batch(bm25_index, tmp_path, capsys):
    qf = tmp_path / "q.jsonl"
    qf.write_text(json.dumps({"id": "a", "query": "libraries"}) + "\n" + json.dumps({"id": "b", "query": "question time"}) + "\n")
    code, out, _ = run_cli(["search", "--queries", str(qf), "--index", str(bm25_index), "--mode", "bm25"], capsys)
    assert code == 0
    got = [json.loads(x) for x in out.splitlines()]
    assert [g["id"] for g in got] == ["a", "b"] and all("hits" in g for g in got)


def test_export_writes_file(bm25_index, tmp_path, capsys):
    out_file = tmp_path / "hits.csv"
    code, _, err = run_cli(
        ["export", "preventative mental health", "--format", "csv", "-o", str(out_file), "--index", str(bm25_index), "--mode", "bm25"],
        capsys,
    )
    assert code == 0 and "wrote" in err and "match" in err
    assert out_file.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel opens it as UTF-8
    assert len(list(csv.DictReader(out_file.open(encoding="utf-8-sig")))) >= 1


def test_info_lists_glossary_and_documents(bm25_index, capsys):
    code, out, _ = run_cli(["info", "--index", str(bm25_index), "--format", "json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["documents"] == 2 and info["passages"] > 3 and "glossary_terms" in info
    code, out, _ = run_cli(["info", "--index", str(bm25_index)], capsys)
    assert "glossary_terms" in out and "minutes.txt" in out


def test_output_closed_early_is_not_an_error(bm25_index, tmp_path, monkeypatch):
    """`boardpapers search ... | head -1`: the reader goes away mid-output; exit 0 and no traceback."""
    sink = open(tmp_path / "sink", "w")

    class Closed:  # a pipe whose reader has gone
        def write(self, _):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

        def fileno(self):
            return sink.fileno()

    monkeypatch.setattr(sys, "stdout", Closed())
    assert cli.main(["search", "preventative mental health", "--index", str(bm25_index), "--mode", "bm25"]) == 0
    sink.close()


def test_usage_errors_exit_2_with_one_line(tmp_path, capsys):
    code, _, err = run_cli(["search", "x", "--index", str(tmp_path / "none")], capsys)
    assert code == 2 and err.startswith("boardpapers: no index") and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(["search", "x", "--index", str(tmp_path), "--since", "March 2017"], capsys)
    assert code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["info"],
        ["search", "libraries", "--mode", "bm25", "--format", "json"],
        ["export", "libraries", "--mode", "bm25", "--format", "csv", "-o", "OUT"],
    ],
)
def test_commands_without_a_model_do_not_import_torch(bm25_index, args, tmp_path):
    args = [str(tmp_path / "hits.csv") if x == "OUT" else x for x in args]
    code = (
        "import sys\nfrom boardpapers import cli\n"
        f"rc = cli.main({args + ['--index', str(bm25_index)]!r})\n"
        "assert rc == 0, rc\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'sentence_transformers' not in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_readme_commands_match_the_cli():
    readme = (ROOT / "README.md").read_text()
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    documented = set(re.findall(r"^boardpapers ([a-z-]+)", readme, re.M))
    assert documented == set(sub.choices), (documented, set(sub.choices))


@pytest.mark.slow
def test_partial_ingest_exits_1(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(FIXTURE, src / "minutes.txt")
    (src / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>>\n")
    r = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "ingest", str(src), "--index", str(tmp_path / "idx"), "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 1, r.stderr[-2000:]
    assert "broken.pdf" in r.stdout and "ingested: 1" in r.stdout


@pytest.mark.slow
def test_hybrid_search_on_real_packs(real_index, capsys):
    code, out, _ = run_cli(["search", "Richmond Fellowship contract", "--index", str(real_index), "--format", "json", "-k", "5"], capsys)
    hits = json.loads(out)["hits"]
    assert code == 0 and hits and all(HIT_FIELDS <= set(h) for h in hits)
    assert any("Richmond Fellowship" in h["text"] for h in hits)


def test_csv_files_open_in_excel_as_utf8_but_stdout_has_no_bom(bm25_index, tmp_path, capsys):
    """Excel reads a double-clicked CSV without a byte-order mark in the legacy code page (£, en dashes and curly
    quotes garbled): CSV files start with one; CSV on standard output (for pipes) does not."""
    out_file = tmp_path / "hits.csv"
    run_cli(
        ["export", "preventative mental health", "--format", "csv", "-o", str(out_file), "--index", str(bm25_index), "--mode", "bm25"],
        capsys,
    )
    data = out_file.read_bytes()
    assert data.startswith("\ufeff".encode("utf-8")) and data.count(b"\xef\xbb\xbf") == 1
    assert data.decode("utf-8-sig").splitlines()[0].startswith("rank,")
    _, out, _ = run_cli(["search", "preventative mental health", "--index", str(bm25_index), "--mode", "bm25", "--format", "csv"], capsys)
    assert out.startswith("rank,")
