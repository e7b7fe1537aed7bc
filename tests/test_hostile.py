"""Hostile documents, unsafe paths and uploads, resource limits.

- Hostile content: a PDF with a JavaScript open action, a `javascript:` link and HTML/markdown/formula
  payloads in its text and Info metadata; text with HTML/markdown payloads and a 20,000-character token.
  They ingest as plain text, the app shows them escaped, CSV exports are formula-safe and JSON valid.
- Paths: upload names with traversal, absolute paths, NUL bytes, huge lengths and duplicates are stored
  inside the corpus folder; manifests and symlinks cannot make ingest read outside the folder passed.
- Limits: a 2,000-page PDF ingests within the default limits; the per-file time and page limits stop a
  file with a reason and the batch goes on. (Decompression bombs: tests/test_loaders.py::test_decompression_bomb
  and tests/test_pipeline.py::test_bad_inputs_are_reported_and_the_batch_goes_on.)
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from conftest import HashEmbedder, build_index
from pdfgen import make_pdf

from boardpapers.index.embedded import Index
from boardpapers.index.store import Store
from boardpapers.ingest.parse import Limits

SLOW_FIXTURES = {"hostile"}  # built with the real model (tests/conftest.py marks their tests slow)

FORMULAS = [
    "=cmd|' /C calc'!A0 kestrel",
    "+SUM(1,2) kestrel",
    "-2+3 kestrel",
    "@SUM(A1) kestrel",
    '=HYPERLINK("http://evil.example") kestrel',
]
MARKUP = [
    "<script>alert('kestrel')</script>",
    "<img src=x onerror=alert(2)>",
    "[click](javascript:alert(3))",
    "**kestrel** <b>bold</b>",
    '<iframe src="javascript:alert(4)"></iframe>',
]
LONG_TOKEN = "kestrel" + "x" * 19_993  # 20,000 characters, no break

HOSTILE_MINUTES = "\n".join(
    [
        "Minutes of a meeting of the Cabinet of Kestrel Borough Council held on Monday, 6 March 2017.",
        "",
        "7. KESTREL NESTING SITES",
        "The Cabinet considered the kestrel nesting sites report.",
        *FORMULAS,
        *MARKUP,
        "RESOLVED: That the kestrel nesting sites be protected.",
        "",
        "8. LONG REFERENCE",
        f"The reference {LONG_TOKEN} was read into the record.",
        "",
    ]
)


def hostile_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    make_pdf(
        folder / "hostile pack.pdf",
        [
            [
                "Kestrel Borough Council",
                "Cabinet",
                "Monday, 6 March 2017",
                "AGENDA",
                "1. Kestrel nesting sites",
                "The kestrel survey was presented.",
                *FORMULAS[:2],
                *MARKUP[:3],
            ],
            ["2. Decision", "RESOLVED: That the kestrel survey be noted.", f"Reference {LONG_TOKEN[:3000]}"],
        ],
        title="<script>alert('title')</script> Kestrel pack",
        author='=HYPERLINK("http://evil.example")',
        subject="[x](javascript:alert(5))",
        javascript="app.alert('pwned-by-open-action'); this.submitForm('http://evil.example');",
        link_uri="javascript:alert('pwned-by-link')",
    )
    (folder / "hostile minutes.md").write_text(HOSTILE_MINUTES, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile corpus indexed with the real bundled model (the app needs it)."""
    from boardpapers.index.writer import ingest

    root = tmp_path_factory.mktemp("hostile")
    corpus = hostile_corpus(root / "corpus")
    idx = root / "index"
    report = ingest([str(corpus)], idx, workers=1)
    assert report.count("ingested") == 2 and not report.failed, report.outcomes
    return idx, corpus


def stored_text(idx: Path) -> str:
    s = Store(idx, readonly=True)
    try:
        rows = [dict(r) for r in s.iter_active_passages()]
        docs = s.documents()
    finally:
        s.close()
    return "\n".join(r["text"] + "\n" + r["context"] for r in rows) + "\n" + json.dumps(docs, ensure_ascii=False)


def test_hostile_documents_ingest_as_plain_text(hostile):
    idx, _ = hostile
    text = stored_text(idx)
    assert "pwned-by-open-action" not in text and "pwned-by-link" not in text and "submitForm" not in text
    for payload in FORMULAS[:2] + MARKUP[:3]:
        assert payload in text  # kept verbatim as text: it is what the paper says
    s = Store(idx, readonly=True)
    titles = [d["title"] for d in s.documents()]
    lengths = [len(dict(r)["text"]) for r in s.iter_active_passages()]
    s.close()
    assert any("<script>" in (t or "") for t in titles)  # metadata is data, escaped where shown
    assert max(lengths) < 25_000  # the 20,000-character token is one passage's worth, not a runaway


def test_long_token_query_gets_a_short_clear_message_and_its_passage_is_found_by_other_words(hostile):
    from boardpapers.index.query import QueryError
    from boardpapers.index.search import search

    ix = Index(hostile[0])
    with pytest.raises(QueryError) as err:  # words over 64 characters are not indexed (tokenizer limit)
        search(ix, LONG_TOKEN, k=3, mode="bm25")
    assert "words over 64 characters" in str(err.value) and len(str(err.value)) < 200
    hits = search(ix, "long reference read into the record", k=3, mode="bm25").hits
    assert hits and LONG_TOKEN in hits[0]["text"]
    ix.store.close()


def test_exports_are_formula_safe_csv_and_valid_json(hostile, tmp_path, capsys):
    from boardpapers import cli

    idx, _ = hostile
    out_csv, out_jsonl = tmp_path / "hits.csv", tmp_path / "hits.jsonl"
    assert cli.main(["export", "kestrel nesting sites HYPERLINK calc SUM", "--format", "csv", "-o", str(out_csv), "--index", str(idx)]) == 0
    assert (
        cli.main(["export", "kestrel nesting sites HYPERLINK calc SUM", "--format", "jsonl", "-o", str(out_jsonl), "--index", str(idx)])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    lines = out_jsonl.read_text(encoding="utf-8").splitlines()
    assert rows and len(rows) == len(lines)
    cells = [v for r in rows for v in r.values()]
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"], "a cell a spreadsheet would run as a formula"
    objs = [json.loads(line) for line in lines]
    # the neutralised CSV text is the JSON text with a leading quote, nothing else changed
    for r, o in zip(rows, objs):
        assert r["text"] in (o["text"], "'" + o["text"])
        assert r["title"] in (o["title"], "'" + (o["title"] or ""))
    joined = "\n".join(o["text"] for o in objs)
    assert any(f in joined for f in FORMULAS)
    hyper = [r for r in rows if r["text"].lstrip("'").startswith("=HYPERLINK") or "=HYPERLINK" in r["text"]]
    assert all(not r["text"].startswith("=") for r in hyper)
    capsys.readouterr()


def test_app_shows_hostile_text_and_metadata_inert(hostile, monkeypatch):
    pytest.importorskip("streamlit.testing.v1")
    from streamlit.testing.v1 import AppTest

    idx, corpus = hostile
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(idx))
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(corpus))
    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=180).run()
    at.text_input(key="query").set_value("kestrel nesting sites script alert").run()
    assert not at.exception, at.exception
    md = "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)
    assert "&lt;script&gt;" in md
    for bad in ("<script", "<img", "<iframe", "javascript:", "](javascript", "<b>"):
        assert bad not in md, bad
    at.radio(key="view").set_value("Documents").run()
    assert not at.exception, at.exception
    titles = [t for df in at.dataframe for t in (df.value["title"] if "title" in df.value else [])]
    assert any("<script>" in (t or "") for t in titles)  # shown as the literal text in a table cell, not rendered


# ----------------------------------------------------------------- 7. paths and uploads


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/cron.d/job.txt", "job.txt"),
        ("C:\\Windows\\..\\..\\boot.md", "boot.md"),
        ("min\x00utes.pdf", "minutes.pdf"),
        ("\u202egpj.pdf", "gpj.pdf"),
        ("y" * 5000 + ".pdf", "y" * 116 + ".pdf"),
    ],
)
def test_upload_names_are_stored_inside_the_corpus(tmp_path, raw, stored):
    from boardpapers.ui import add as uploads

    corpus = tmp_path / "corpus"
    first = uploads.save_upload(corpus, raw, b"%PDF-1.4 first")
    second = uploads.save_upload(corpus, raw, b"%PDF-1.4 second")  # same name again: a new file, never an overwrite
    assert first.name == stored and second.name != stored and len(second.name) <= uploads.NAME_MAX
    for p in (first, second):
        assert p.parent == corpus.resolve() and p.resolve().parent == corpus.resolve()
    assert first.read_bytes() == b"%PDF-1.4 first" and second.read_bytes() == b"%PDF-1.4 second"
    assert sorted(os.listdir(tmp_path)) == ["corpus"]  # nothing written beside or above the corpus


@pytest.mark.parametrize("raw", ["../../etc/passwd", "/etc/shadow", "\x00", "..", "evil.exe", "report.pdf.exe", "/"])
def test_upload_names_of_other_types_are_refused(tmp_path, raw):
    from boardpapers.ui import add as uploads

    with pytest.raises(ValueError):
        uploads.save_upload(tmp_path / "corpus", raw, b"x")
    assert not (tmp_path / "corpus").exists() or not os.listdir(tmp_path / "corpus")


@pytest.mark.slow
def test_manifest_and_symlinks_cannot_read_outside_the_folder(tmp_path):
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "secret.txt").write_text("Minutes of the Cabinet held on 1 May 2020.\n\n1. SECRET\nThe osprey password is hunter2.\n")
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "minutes.txt").write_text("Minutes of the Cabinet held on 2 May 2020.\n\n1. PARKS\nThe parks plan was approved.\n")
    (papers / "linked.txt").symlink_to(secret / "secret.txt")
    (papers / "manifest.csv").write_text(
        "path,title,source_url\n"
        "../private/secret.txt,Leaked,https://evil.example/\n"
        f"{secret / 'secret.txt'},Leaked absolute,https://evil.example/\n"
        "linked.txt,Via link,https://evil.example/\n"
        "min\x00utes.txt,NUL row,https://evil.example/\n"
        f"{'a/' * 3000}x.txt,Long row,https://evil.example/\n"
        "minutes.txt,Parks minutes,javascript:alert(1)\n",
        encoding="utf-8",
    )
    idx = tmp_path / "idx"
    emb = HashEmbedder()
    report = build_index([papers], idx, emb)
    assert "hunter2" not in stored_text(idx)
    failed = {Path(o.path).name: o.detail for o in report.failed}
    assert failed == {"linked.txt": f"symbolic link to a file outside {papers}: not followed (pass the target itself to ingest it)"}
    s = Store(idx, readonly=True)
    docs = {Path(d["path"]).name: d for d in s.documents()}
    s.close()
    assert set(docs) == {"minutes.txt"} and docs["minutes.txt"]["title"] == "Parks minutes"
    # a path the user passes explicitly is read, wherever it is
    report = build_index([papers, secret / "secret.txt"], idx, emb)
    assert "hunter2" in stored_text(idx)


def test_file_name_that_is_not_utf8_fails_alone(tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "ok.txt").write_text("Minutes of the Cabinet held on 2 May 2020.\n\n1. PARKS\nThe parks plan was approved.\n")
    bad = os.fsdecode(bytes(papers) + b"/minutes\xff.txt")
    Path(bad).write_text("Minutes of the Cabinet held on 3 May 2020.\n\n1. ROADS\nThe roads plan was approved.\n")
    report = build_index([papers], tmp_path / "idx", HashEmbedder())
    assert report.count("ingested") == 1
    assert [o.detail for o in report.failed] == ["file name is not valid UTF-8: rename the file"]
    json.dumps([o.path for o in report.outcomes]).encode("utf-8")


# ----------------------------------------------------------------- 8. resource limits


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    pages = [
        [f"{p}. Highways maintenance schedule, section {p}", f"Resurfacing of road {p} is programmed for week {p % 52 + 1}."]
        for p in range(1, 2001)
    ]
    make_pdf(d / "big.pdf", pages, title="Highways schedule")
    (d / "small.txt").write_text("Minutes of the Cabinet held on 2 May 2020.\n\n1. PARKS\nThe parks plan was approved.\n")
    return d


@pytest.mark.slow
def test_2000_page_pdf_ingests_within_the_default_limits(big_pdf, tmp_path):
    report = build_index([big_pdf / "big.pdf"], tmp_path / "idx", HashEmbedder(), limits=Limits())
    assert not report.failed, report.failed
    [o] = report.outcomes
    assert o.status == "ingested" and o.pages == 2000
    s = Store(tmp_path / "idx", readonly=True)
    pages = {r[0] for r in s.con.execute("SELECT page FROM passages")}
    s.close()
    assert pages == set(range(1, 2001))


@pytest.mark.slow
def test_per_file_time_and_page_limits_stop_one_file_and_the_batch_goes_on(big_pdf, tmp_path):
    emb = HashEmbedder()
    heavy = tmp_path / "heavy"
    heavy.mkdir()
    # 1,500 dense pages: far more than 3 s of text extraction on any machine (500 of them take 7 s on the
    # 2-core dev box); the small file beside it needs milliseconds, leaving a wide margin on a loaded machine
    make_pdf(
        heavy / "dense.pdf",
        [
            [f"Line {n} of page {p}: the committee noted the highways budget for ward {n * p % 97}." for n in range(60)]
            for p in range(1, 1501)
        ],
    )
    (heavy / "small.txt").write_text((big_pdf / "small.txt").read_text())
    report = build_index([heavy], tmp_path / "a", emb, limits=Limits(timeout_s=3))
    assert {Path(o.path).name: (o.status, o.detail) for o in report.outcomes} == {
        "dense.pdf": ("failed", "took longer than the per-file limit of 3 s"),
        "small.txt": ("ingested", ""),
    }
    report = build_index([big_pdf], tmp_path / "b", emb, limits=Limits(max_pages=1000))
    assert report.failed[0].detail == "too many pages (2000 > limit 1000)"
    assert report.count("ingested") == 1
