"""Ingest end to end with a fast fake embedder: incremental runs, bad input, locking, manifests, CLI summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, HashEmbedder, build_index
from pdfgen import make_decompression_bomb_pdf, make_image_only_pdf, make_pdf, make_truncated_pdf

from boardpapers.index.lock import IndexLock, LockedError
from boardpapers.index.report import summary_table
from boardpapers.index.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "minutes_excerpt.txt"

AGENDA_PAGES = [
    [
        "Example Borough Council",
        "MEETING OF THE LICENSING COMMITTEE",
        "Date: Tuesday, 7 March 2023",
        "AGENDA",
        "1. Apologies for absence",
        "2. Taxi licensing fees",
        "Appendix A",
        "(Pages 3 - 4)",
    ],
    [
        "Minutes of the meeting of the Licensing Committee held on Tuesday, 7 February 2023",
        "12. TAXI LICENSING FEES",
        "The Committee considered a report on hackney carriage fees.",
        "RESOLVED:",
        "That the hackney carriage fees for 2023/24 be increased by 5%.",
    ],
    [
        "13. CLOSE OF MEETING",
        "The meeting closed at 7.15pm.",
        "Report on street trading consents",
        "Street trading consents are renewed every year in April.",
    ],
]


def passage_count(index_dir: Path) -> int:
    s = Store(index_dir, readonly=True)
    try:
        return s.con.execute("SELECT count(*) FROM passages p JOIN documents d USING(doc_id) WHERE d.status='active'").fetchone()[0]
    finally:
        s.close()


@pytest.fixture
def papers(tmp_path):
    d = tmp_path / "papers"
    d.mkdir()
    shutil.copy(FIXTURE, d / "minutes.txt")
    make_pdf(d / "agenda pack 'draft' – Café.pdf", AGENDA_PAGES, title="Example Borough Council Licensing Committee — 7 March 2023")
    return d


@pytest.mark.slow
def test_ingest_then_incremental(tmp_path, papers):
    emb = HashEmbedder()
    idx = tmp_path / "idx"
    r1 = build_index([papers], idx, emb)
    assert r1.count("ingested") == 2 and not r1.failed
    n = passage_count(idx)
    assert n == r1.passages_total > 5
    # unchanged files are skipped and nothing is embedded again
    r2 = build_index([papers], idx, emb)
    assert r2.count("unchanged") == 2 and r2.embedded == 0
    assert passage_count(idx) == n
    # a renamed copy: same content, no parsing, no embedding, nothing duplicated
    shutil.copy(papers / "minutes.txt", papers / "minutes copy.txt")
    r3 = build_index([papers], idx, emb)
    assert r3.count("duplicate") == 1 and r3.embedded == 0
    assert passage_count(idx) == n
    # a changed file replaces its old version: passage count equals a clean build
    (papers / "minutes.txt").write_text(FIXTURE.read_text() + "\n\n99. EXTRA BUSINESS\nRESOLVED: That a new item be noted.\n")
    r4 = build_index([papers], idx, emb)
    assert r4.count("ingested") == 1
    clean = tmp_path / "clean"
    build_index([papers], clean, emb)
    assert passage_count(idx) == passage_count(clean)


@pytest.mark.slow
def test_documents_read_by_an_older_parser_are_read_again(tmp_path, papers):
    """After an upgrade of the structure parser an incremental ingest re-reads stored documents (their items and
    citations get the fixes) without embedding unchanged text again; then they are unchanged."""
    from boardpapers.ingest.structure import PARSER_VERSION

    emb = HashEmbedder()
    idx = tmp_path / "idx"
    build_index([papers], idx, emb)
    n = passage_count(idx)
    s = Store(idx)
    with s.con:
        s.con.execute("UPDATE documents SET parser='structure-0' WHERE path LIKE '%minutes.txt'")
    s.close()
    r = build_index([papers], idx, emb)
    assert (r.count("ingested"), r.count("unchanged"), r.embedded) == (1, 1, 0)
    assert [Path(o.path).name for o in r.outcomes if o.status == "ingested"] == ["minutes.txt"]
    s = Store(idx, readonly=True)
    assert {d["parser"] for d in s.documents()} == {PARSER_VERSION}
    s.close()
    assert passage_count(idx) == n
    assert build_index([papers], idx, emb).count("unchanged") == 2


def test_pdf_structure_through_pipeline(tmp_path, papers):
    idx = tmp_path / "idx"
    build_index([papers / "agenda pack 'draft' – Café.pdf"], idx, HashEmbedder())
    s = Store(idx, readonly=True)
    doc = s.documents()[0]
    assert (doc["council"], doc["body"], doc["meeting_date"], doc["doc_type"]) == (
        "Example Borough Council",
        "Licensing Committee",
        "2023-03-07",
        "agenda",
    )
    rows = [dict(r) for r in s.iter_active_passages()]
    dec = [r for r in rows if "increased by 5%" in r["text"]]
    assert dec and dec[0]["is_decision"] == 1 and dec[0]["meeting_date"] == "2023-02-07" and dec[0]["minute_number"] == "12"
    assert dec[0]["page"] == 2
    assert all(r["page"] >= 1 for r in rows)
    s.close()


@pytest.mark.slow
def test_bad_inputs_are_reported_and_the_batch_goes_on(tmp_path, papers):
    bad = papers
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "photo.pdf").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    make_pdf(bad / "locked.pdf", [["Secret minutes"]], encrypt_user_password="pw")
    make_pdf(
        bad / "owner only.pdf",
        [["Minutes of the meeting of the Cabinet held on 3 May 2022", "RESOLVED: That the plan be approved."]],
        encrypt_owner_password="owner",
    )
    make_truncated_pdf(bad / "agenda pack 'draft' – Café.pdf", bad / "truncated.pdf")
    make_image_only_pdf(bad / "scan.pdf")
    make_decompression_bomb_pdf(bad / "bomb.pdf")
    (bad / "notes.txt").write_bytes(b"Caf\xe9 minutes: RESOLVED that the caf\xe9 be opened.\n")  # cp1252, not UTF-8
    idx = tmp_path / "idx"
    report = build_index([bad], idx, HashEmbedder())
    reasons = {Path(o.path).name: o.detail for o in report.failed}
    assert set(reasons) == {"empty.pdf", "photo.pdf", "locked.pdf", "truncated.pdf", "scan.pdf", "bomb.pdf"}
    assert reasons["empty.pdf"] == "empty file (0 bytes)"
    assert reasons["locked.pdf"] == "encrypted PDF needs a password"
    assert reasons["photo.pdf"].startswith("not a PDF")
    assert reasons["scan.pdf"].startswith("no text layer")
    assert reasons["truncated.pdf"].startswith("damaged PDF")
    assert reasons["bomb.pdf"].startswith("refused")
    ingested = {Path(o.path).name for o in report.outcomes if o.status == "ingested"}
    assert ingested == {"minutes.txt", "agenda pack 'draft' – Café.pdf", "owner only.pdf", "notes.txt"}
    table = summary_table(report)
    for name in reasons:
        assert name in table
    s = Store(idx, readonly=True)
    assert {Path(f["path"]).name for f in s.failures()} == set(reasons)
    s.close()


def test_a_second_ingest_is_refused_while_one_runs(tmp_path, papers):
    idx = tmp_path / "idx"
    with IndexLock(idx):
        with pytest.raises(LockedError, match="another ingest is running"):
            build_index([papers], idx, HashEmbedder())


@pytest.mark.slow
def test_rebuild_reuses_cached_embeddings(tmp_path, papers):
    idx = tmp_path / "idx"
    emb = HashEmbedder()
    r1 = build_index([papers], idx, emb)
    r2 = build_index([papers], idx, emb, rebuild=True)
    assert r2.count("ingested") == 2 and r2.embedded == 0
    assert passage_count(idx) == r1.passages_total


def test_manifest_overrides_document_fields(tmp_path, papers):
    (papers / "manifest.csv").write_text(
        "path,source_url,body\nminutes.txt,https://example.org/minutes.pdf,Adults Scrutiny\n../outside.txt,https://evil.example/,X\n"
    )
    idx = tmp_path / "idx"
    build_index([papers], idx, HashEmbedder())
    s = Store(idx, readonly=True)
    docs = {Path(d["path"]).name: d for d in s.documents()}
    assert docs["minutes.txt"]["source_url"] == "https://example.org/minutes.pdf"
    assert docs["minutes.txt"]["body"] == "Adults Scrutiny"
    assert "outside.txt" not in docs
    s.close()


@pytest.mark.slow
def test_cli_ingest_exit_code_and_summary(tmp_path, papers):
    (papers / "empty.pdf").write_bytes(b"")
    idx = tmp_path / "idx"
    code = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "ingest", str(papers), "--index", str(idx), "--model", str(tmp_path / "no-such-model")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    # an unloadable model is a usage error (2), reported in one line
    assert code.returncode == 2 and "cannot load embedding model" in code.stderr
    assert len(code.stderr.strip().splitlines()) <= 3


_START_METHOD_PROBE = r"""
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
if sys.argv[3] == "torch":
    import torch  # like the app, or any caller that loaded the model before ingesting
    torch.ones(4).sum()
from boardpapers.index import writer
chosen = []
real = writer.worker_context
writer.worker_context = lambda: chosen.append(real()) or chosen[-1]
from conftest import HashEmbedder
r = writer.ingest([sys.argv[2]], sys.argv[2] + "-idx", embedder=HashEmbedder(), workers=2)
print(json.dumps({"method": chosen[0].get_start_method(), "ingested": r.count("ingested")}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("before, method", [("nothing", "fork"), ("torch", "spawn")])
def test_parse_workers_never_fork_a_process_with_native_threads(tmp_path, before, method):
    """Forking a process whose native thread pools (torch, ONNX Runtime, tokenizers) are running can leave a lock
    held forever in the child: parse workers are forked only from a process that has none, spawned otherwise."""
    src = tmp_path / "papers"
    src.mkdir()
    make_pdf(src / "pack.pdf", AGENDA_PAGES)
    shutil.copy(FIXTURE, src / "minutes.txt")
    out = subprocess.run(
        [sys.executable, "-c", _START_METHOD_PROBE, str(ROOT), str(src), before],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res == {"method": method, "ingested": 2}
