"""Fuzzing (hypothesis, bounded: a fixed number of examples per property, no deadline).

The query parser, the tokenizer and search itself get arbitrary Unicode, quotes, control characters and
very long inputs; the text and PDF loaders get arbitrary bytes; exports and the upload-name sanitiser
get arbitrary strings. No exception other than the documented one (QueryError, IngestError,
ValueError) may escape, and what comes out must be usable (UTF-8 encodable, parseable CSV/JSON).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

hypothesis = pytest.importorskip("hypothesis")
from conftest import HashEmbedder, build_index  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from boardpapers.index.embedded import Index  # noqa: E402
from boardpapers.index.export import CSV_FIELDS, hits_csv, hits_jsonl  # noqa: E402
from boardpapers.index.query import QueryError, parse_query  # noqa: E402
from boardpapers.index.search import search  # noqa: E402
from boardpapers.index.tokenize import tokenize, tokenize_query  # noqa: E402
from boardpapers.ingest.loaders import load_pdf_bytes, load_text_bytes, normalise_text  # noqa: E402
from boardpapers.ingest.model import IngestError  # noqa: E402

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# text with everything awkward: any code point (surrogates included), quotes, controls, RTL marks, long runs
AWKWARD = st.sampled_from(
    [
        '"',
        "“",
        "”",
        "'",
        "\x00",
        "\x07",
        "\r",
        "\n",
        "\t",
        "\u202e",
        "\u200b",
        "\ufeff",
        "\ud800",
        "\\",
        "*",
        "_",
        "[",
        "](",
        "<script>",
        "=",
        "-",
        "+",
        "@",
        " ",
        "the",
        "of",
        "and",
        "AND",
        "OR",
    ]
)
QUERY_TEXT = st.lists(st.one_of(st.text(max_size=30), AWKWARD), max_size=25).map("".join)
LONG_TEXT = st.tuples(st.text(min_size=1, max_size=8), st.integers(2_000, 20_000)).map(lambda t: (t[0] * t[1])[:40_000])
ANY_QUERY = st.one_of(QUERY_TEXT, LONG_TEXT)


@pytest.fixture(scope="module")
def fuzz_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    src = d / "src"
    src.mkdir()
    (src / "a.txt").write_text(
        'Minutes of the Cabinet held on 1 May 2020.\n\n1. BUDGET\nThe budget "for libraries" was discussed.\n'
        "RESOLVED: That the budget be approved.\n\n2. PARKING\nParking charges (Café zone) rose by 5%.\n",
        encoding="utf-8",
    )
    idx = d / "idx"
    build_index([src], idx, HashEmbedder())
    return Index(idx)


@pytest.mark.slow
@FUZZ
@given(ANY_QUERY)
def test_query_parser_and_tokenizer_never_fail(q):
    pq = parse_query(q)
    assert isinstance(pq.text, str) and all(isinstance(p, str) and p for p in pq.phrases)
    assert '"' not in pq.text
    for toks in (tokenize(q), tokenize_query(q), tokenize_query(pq.text)):
        assert all(isinstance(t, str) and t for t in toks)


@pytest.mark.slow
@FUZZ
@given(q=ANY_QUERY, mode=st.sampled_from(["hybrid", "bm25", "dense"]))
def test_search_returns_hits_or_a_clear_message(fuzz_index, q, mode):
    try:
        res = search(fuzz_index, q, k=5, mode=mode, embedder=HashEmbedder())
    except QueryError as exc:
        msg = str(exc)
        assert any(w in msg for w in ("empty", "stopwords", "no words", "words over 64 characters")), msg
        assert len(msg) < 300, "the message repeats a long query in full"
        assert len(msg.splitlines()) == 1
        return
    for h in res.hits:
        assert h["passage_id"] and h["text"]
    json.dumps([{k: v for k, v in h.items()} for h in res.hits], ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("q", ["", "   ", "\x00\x01", '""', "“”", "the of and", "What was it?", "!!! ???", "\u200b\ufeff"])
def test_empty_and_stopword_queries_get_a_clear_message(fuzz_index, q):
    for mode in ("hybrid", "bm25", "dense"):
        with pytest.raises(QueryError, match="empty|stopwords|no words"):
            search(fuzz_index, q, mode=mode, embedder=HashEmbedder())


def _check_loaded(doc) -> None:
    for p in doc.pages:
        p.text.encode("utf-8")  # never a lone surrogate: SQLite, JSON and CSV all need valid UTF-8
        assert "\x00" not in p.text and "\r" not in p.text


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=4096),
        st.text(max_size=2000).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.text(max_size=500).map(lambda s: s.encode("utf-16", "surrogatepass")),
        st.binary(max_size=64).map(lambda b: b"\xef\xbb\xbf" + b),
    )
)
def test_text_loader_takes_any_bytes(data):
    try:
        doc = load_text_bytes(data, "fuzz.txt")
    except IngestError as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    _check_loaded(doc)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=2048).map(lambda b: b"%PDF-1.4\n" + b),
        st.binary(max_size=512).map(lambda b: b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + b + b"\n%%EOF"),
    )
)
def test_pdf_loader_takes_any_bytes(data):
    try:
        doc = load_pdf_bytes(data, "fuzz.pdf", max_pages=50)
    except IngestError as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    _check_loaded(doc)


@FUZZ
@given(st.text())
def test_normalised_text_is_always_valid_utf8(s):
    out = normalise_text(s)
    out.encode("utf-8")
    assert not any(c in out for c in "\x00\r\x0b\x0c\x7f")


CELL = st.one_of(
    st.text(max_size=40), AWKWARD, st.sampled_from(["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x", '=HYPERLINK("http://x")'])
)


@FUZZ
@given(st.lists(st.fixed_dictionaries({f: CELL for f in ("text", "title", "council", "body", "item", "path", "passage_id")}), max_size=5))
def test_exports_stay_valid_and_formula_free(rows):
    hits = [
        {**r, "rank": i + 1, "score": 0.5, "page": 1, "page_end": 1, "meeting_date": "2020-05-01", "also_in": [], "seq": 0}
        for i, r in enumerate(rows)
    ]
    text = hits_csv(hits)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(CSV_FIELDS) and len(parsed) == len(hits) + 1
    for row in parsed[1:]:
        assert len(row) == len(CSV_FIELDS)
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", cell
    for r, row in zip(hits, parsed[1:]):
        got = row[CSV_FIELDS.index("text")]
        assert got in (r["text"], "'" + r["text"])  # the text itself, or neutralised with a leading quote
    lines = hits_jsonl(hits).split("\n")
    assert lines[-1] == "" and len(lines) == len(hits) + 1
    for line, h in zip(lines, hits):
        assert json.loads(line)["text"] == h["text"]


@FUZZ
@given(
    st.one_of(
        st.text(max_size=300),
        st.sampled_from(
            [
                "../../etc/passwd",
                "/etc/passwd.pdf",
                "a\x00b.pdf",
                "..\\..\\x.pdf",
                "x" * 5000 + ".pdf",
                "CON.pdf",
                ".pdf",
                " .pdf",
                "\u202egpj.pdf",
            ]
        ),
    )
)
def test_upload_names_are_safe_or_refused(name):
    from boardpapers.ui import add as uploads

    try:
        safe = uploads.safe_filename(name)
    except ValueError:
        return
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe and not safe.startswith(".")
    assert 0 < len(safe) <= uploads.NAME_MAX and safe.rsplit(".", 1)[1] in uploads.UPLOAD_TYPES
    safe.encode("utf-8")  # no lone surrogates or other unencodable characters reach the file system
