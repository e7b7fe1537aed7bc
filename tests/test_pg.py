"""The PostgreSQL backend on a real server (tests/pgfixture.py): schema and its errors, BM25 and eval parity with
the embedded backend, import/export both ways, the CLI on --store, and several ingest workers with one killed."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import HashEmbedder, build_index, shared_or_skip
from pgfixture import new_database

from boardpapers import cli
from boardpapers.index.embedded import Index
from boardpapers.index.pgindex import PgFilter, PgIndex
from boardpapers.index.pgstore import SCHEMA_VERSION, PgStore, PgStoreError
from boardpapers.index.pgtransfer import export_store, import_store
from boardpapers.index.query import Filters
from boardpapers.index.rank import rank
from boardpapers.index.search import search
from boardpapers.index.tokenize import tokenize_query

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL backend tests need psycopg (pip install -e '.[test]')")

TESTS = Path(__file__).resolve().parent

MINUTES = """Minutes of a meeting of the {body} of {council} held on {day}.

{n}. {title}
{text}
RESOLVED:
That the {topic} report be noted and the {topic} plan be approved.
"""


def write_small(src: Path) -> Path:
    src.mkdir(parents=True, exist_ok=True)
    docs = [
        (
            "Health and Wellbeing Board",
            "Northshire County Council",
            "Thursday, 2 March 2017",
            "DELAYED TRANSFERS OF CARE",
            "Delayed Transfers of Care (DTOC) remained above the national target throughout the winter months.",
            "discharge",
        ),
        (
            "Cabinet",
            "Northshire County Council",
            "Tuesday, 5 December 2017",
            "LIBRARIES",
            "The community managed libraries programme saved £0.3m a year from staffing; DTOC was discussed briefly.",
            "libraries",
        ),
        (
            "Adults Scrutiny Committee",
            "Southshire District Council",
            "Monday, 6 June 2016",
            "PARKS",
            "The parks strategy covered play areas, bowling greens and tree planting across the district.",
            "parks",
        ),
    ]
    for i, (body, council, day, title, text, topic) in enumerate(docs):
        (src / f"doc{i}.txt").write_text(
            MINUTES.format(body=body, council=council, day=day, n=i + 5, title=title, text=text, topic=topic), encoding="utf-8"
        )
    return src


# ----------------------------------------------------------------- schema and errors
def test_schema_is_created_migrated_and_versioned(pg_url):
    PgStore(pg_url).close()
    PgStore(pg_url).close()  # opening again migrates nothing and fails nothing
    with psycopg.connect(pg_url) as con:
        versions = [r[0] for r in con.execute("SELECT version FROM bp_schema ORDER BY version")]
        ext = con.execute("SELECT extversion FROM pg_extension WHERE extname='vector'").fetchone()
        indexes = {r[0] for r in con.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('passages', 'bm25_postings')")}
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert ext and tuple(int(x) for x in ext[0].split(".")[:2]) >= (0, 8)
    assert {"passages_terms", "passages_doc", "bm25_postings_pkey", "bm25_postings_doc"} <= indexes


def test_a_schema_newer_than_the_code_is_refused(pg_url, capsys):
    PgStore(pg_url).close()
    with psycopg.connect(pg_url) as con:
        con.execute("INSERT INTO bp_schema(version, description) VALUES(%s, 'from the future')", (SCHEMA_VERSION + 98,))
    with pytest.raises(PgStoreError, match=f"version {SCHEMA_VERSION + 98}, newer than this boardpapers understands"):
        PgStore(pg_url)
    assert cli.main(["search", "parks", "--mode", "bm25", "--store", pg_url]) == 2
    err = capsys.readouterr().err
    assert "newer than this boardpapers" in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_unreachable_server_is_a_clear_error(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    url = f"postgresql://postgres:secret@127.0.0.1:{port}/boardpapers"
    with pytest.raises(PgStoreError, match=f"cannot reach the PostgreSQL server at postgresql://postgres@127.0.0.1:{port}/boardpapers"):
        PgStore(url)
    assert cli.main(["info", "--store", url]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the PostgreSQL server" in err and "secret" not in err and err.count("\n") == 1


def test_a_server_without_pgvector_is_a_clear_error(pg_server, pg_url):
    # PostgreSQL 18 looks for extensions along extension_control_path: a path with none hides pgvector
    empty = pg_server.root / "no-extensions"
    (empty / "extension").mkdir(parents=True, exist_ok=True)
    for d in (empty, empty / "extension"):
        d.chmod(0o755)
    url = pg_url + f"?options=-c%20extension_control_path%3D{empty}"
    with pytest.raises(PgStoreError, match="does not have the pgvector extension"):
        PgStore(url)


def test_a_role_that_cannot_enable_pgvector_is_told_what_to_ask_for(pg_server, pg_url):
    with psycopg.connect(pg_server.url, autocommit=True) as con:
        con.execute("DROP ROLE IF EXISTS bp_plain")
        con.execute("CREATE ROLE bp_plain LOGIN")
    url = pg_url.replace("postgres@", "bp_plain@")
    with pytest.raises(PgStoreError, match="CREATE EXTENSION vector"):
        PgStore(url)


def test_statement_timeout_is_enforced_and_explained(pg_url):
    store = PgStore(pg_url, statement_timeout_ms=200)
    try:
        with pytest.raises(PgStoreError, match=r"longer than the statement timeout \(0.2 s\)"):
            with store.conn() as con:
                con.execute("SELECT pg_sleep(5)")
        with store.conn() as con:  # the pool is still usable afterwards
            assert con.execute("SELECT 1").fetchone() == (1,)
    finally:
        store.close()


def test_an_empty_store_says_how_to_fill_it(pg_url, capsys):
    assert cli.main(["search", "parks", "--store", pg_url]) == 2
    assert "holds no index yet" in capsys.readouterr().err


# ----------------------------------------------------------------- parity with the embedded backend
@pytest.fixture(scope="module")
def real_pair(real_index, pg_server):
    """The session's real index (two packs, real model), embedded and imported into PostgreSQL."""
    url = new_database(pg_server)
    import_store(real_index, url)
    e, p = Index(real_index), PgIndex(url)
    yield e, p
    p.close()


def _sample_queries(e: Index, n: int = 40) -> list[str]:
    """Deterministic queries of 1-4 words drawn from the indexed passages (plus a phrase and an acronym)."""
    rng = np.random.default_rng(7)
    rows = sorted(int(x) for x in rng.choice(len(e), n, replace=False))
    texts = e.store.passages_by_pid(e.pid_of(rows))
    out = []
    for r in rows:
        words = [w for w in texts[int(e.pids[r])]["text"].split() if w.isalpha() and tokenize_query(w)]
        if words:
            out.append(" ".join(rng.choice(words, min(len(words), 1 + len(out) % 4), replace=False)))
    return out + ['"better care fund" plan', "BCF", "health and wellbeing board 2016"]


def test_bm25_rankings_agree_with_the_embedded_backend(real_pair):
    e, p = real_pair
    queries = _sample_queries(e)
    gold = Path(__file__).resolve().parents[2] / "shared" / "eval" / "council-dev.jsonl"
    if gold.exists():
        queries += [json.loads(x)["query"] for x in gold.read_text(encoding="utf-8").splitlines() if x.strip()]
    compared = 0
    for q in queries:
        toks = tokenize_query(q)
        for f in (Filters(), Filters(decisions=True), Filters(since="2017-01-01"), Filters(council="leicestershire")):
            a_rows, a_sc = e.bm25_rank(toks, 100, e.mask(f))
            b_rows, b_sc = p.bm25_rank(toks, 100, p.mask(f))
            assert e.pid_of(a_rows) == b_rows.tolist(), (q, f)
            np.testing.assert_array_equal(a_sc, b_sc)  # the same float32 scores, not merely the same order
            compared += len(a_rows) > 0
        # the whole pipeline too (glossary expansion, phrases, decision boost)
        ra = rank(e, q, 50, mode="bm25").fused
        rb = rank(p, q, 50, mode="bm25").fused
        assert e.pid_of([i for i, _ in ra]) == [i for i, _ in rb] and [s for _, s in ra] == [s for _, s in rb], q
    assert compared >= 3 * len(queries)  # most queries matched something under most filters


class _CachedEmbedder:
    """The real embedder, with query vectors remembered (both backends are asked the same questions)."""

    def __init__(self, emb):
        self.emb, self.model_id, self.dim, self.cache = emb, emb.model_id, emb.dim, {}

    def encode(self, texts, batch_size=None):
        return self.emb.encode(texts, batch_size)

    def encode_query(self, text):
        if text not in self.cache:
            self.cache[text] = self.emb.encode_query(text)
        return self.cache[text]


def test_council_eval_on_postgresql_matches_the_embedded_backend(real_pair):
    from boardpapers.index.embed import get_embedder, preferred_backend
    from boardpapers.index.evaluate import evaluate_gold

    gold = shared_or_skip("eval", "council-dev.jsonl")
    e, p = real_pair
    emb = _CachedEmbedder(get_embedder(None, preferred_backend()))  # the backend the indexes were built with
    re_ = evaluate_gold(e, gold, modes=("hybrid",), embedder=emb)["hybrid"]
    rp = evaluate_gold(p, gold, modes=("hybrid",), embedder=emb)["hybrid"]
    assert abs(re_["recall@5"] - rp["recall@5"]) <= 0.01
    assert abs(re_["trace_coverage@10"] - rp["trace_coverage@10"]) <= 0.01
    assert abs(re_["mrr@10"] - rp["mrr@10"]) <= 0.01


def test_a_filter_leaving_few_passages_still_returns_them(real_pair):
    """Filters apply before the top-n cut: the 3 passages a filter keeps are found however low they rank."""
    e, p = real_pair
    toks = tokenize_query("council report meeting")
    rows, _ = e.bm25_rank(toks, len(e), None)
    assert len(rows) > 200  # far more candidates than the first batches of the filtered walk check
    few = sorted(e.pid_of(rows[-3:]))  # the three lowest-ranked candidates
    for n in (1, 10, 100):
        a_rows, a_sc = e.bm25_rank(toks, n, np.isin(np.asarray(e.pids), few))
        b_rows, b_sc = p.bm25_rank(toks, n, PgFilter(pids=few))
        assert e.pid_of(a_rows) == b_rows.tolist()
        assert set(b_rows.tolist()) <= set(few) and len(b_rows) == min(n, 3)
        np.testing.assert_array_equal(a_sc, b_sc)


def _postings_match_passages(con) -> None:
    """bm25_postings holds exactly the postings of the stored passages: none stale, none missing."""
    stored = [
        (t, d, *(np.frombuffer(b, dtype=k).tolist() for b, k in ((pids, ">i8"), (tfs, ">i4"), (dls, ">i4"))))
        for t, d, pids, tfs, dls in con.execute("SELECT term, doc_id, pids, tfs, dls FROM bm25_postings ORDER BY term, doc_id")
    ]
    derived = con.execute(
        "SELECT u.term, p.doc_id, array_agg(p.pid ORDER BY p.pid), array_agg(u.tf ORDER BY p.pid), array_agg(p.dl ORDER BY p.pid) "
        "FROM passages p, unnest(p.terms, p.tfs) AS u(term, tf) GROUP BY u.term, p.doc_id ORDER BY 1, 2"
    ).fetchall()
    assert stored and stored == derived


def test_an_old_store_is_migrated_with_its_postings_backfilled(tmp_path, pg_url):
    a = tmp_path / "a"
    src = write_small(tmp_path / "src")
    long_item = " ".join(f"The panel reviewed scheme {i} and noted its progress against the agreed milestones." for i in range(12))
    (src / "long.txt").write_text(
        f"Minutes of a meeting of the Cabinet held on Monday, 3 April 2017.\n\n7. SCHEMES\n{long_item}\n", encoding="utf-8"
    )
    build_index([src], a, HashEmbedder())
    import_store(a, pg_url)
    with psycopg.connect(pg_url) as con:  # make it the schema-1 store an earlier boardpapers wrote
        before = con.execute("SELECT * FROM bm25_postings ORDER BY term, doc_id").fetchall()
        assert con.execute("SELECT count(*) FROM passages WHERE window_keys <> '{}'").fetchone()[0] > 0
        con.execute("DROP TABLE bm25_postings")
        con.execute("ALTER TABLE passages DROP COLUMN window_keys")
        con.execute("ALTER TABLE passages DROP COLUMN ocr")  # schema 4
        con.execute("ALTER TABLE documents DROP COLUMN provenance")  # schema 5
        con.execute("ALTER TABLE doc_paths DROP COLUMN context")
        con.execute("DROP TABLE decisions")  # schema 6
        con.execute("DROP TABLE doc_overrides, doc_arrivals, saved_searches")  # schema 7
        con.execute("DROP FUNCTION bp_doc_arrival() CASCADE")  # and its trigger
        con.execute("DELETE FROM bp_schema WHERE version >= 2")
    with pytest.raises(PgStoreError, match="needs migrating"):
        PgStore(pg_url, migrate=False)
    e, p = Index(a), PgIndex(pg_url)
    try:
        with psycopg.connect(pg_url) as con:
            assert [r[0] for r in con.execute("SELECT version FROM bp_schema ORDER BY 1")] == list(range(1, SCHEMA_VERSION + 1))
            assert con.execute("SELECT * FROM bm25_postings ORDER BY term, doc_id").fetchall() == before
            _postings_match_passages(con)
            # schema 3: passages stored before sentence windows have none; they score by their own vectors
            pids = [r[0] for r in con.execute("SELECT pid FROM passages WHERE window_keys = '{}' ORDER BY pid")]
            # schema 4: passages stored before OCR are not marked as OCR'd
            assert con.execute("SELECT count(*) FROM passages WHERE ocr").fetchone()[0] == 0
            # schema 7: the documents stored before are the arrivals every saved search starts from
            assert (
                con.execute("SELECT count(*) FROM doc_arrivals").fetchone()[0]
                == con.execute("SELECT count(*) FROM documents").fetchone()[0]
            )
        assert len(pids) == len(e)
        qv = HashEmbedder().encode_query("delayed transfers of care")
        np.testing.assert_allclose(p.dense_scores(pids, qv), p.vectors_at(pids) @ qv, atol=1e-5)
        for q in ("delayed transfers of care", "DTOC target", "parks bowling greens", "council"):
            a_rows, a_sc = e.bm25_rank(tokenize_query(q), 10, None)
            b_rows, b_sc = p.bm25_rank(tokenize_query(q), 10, None)
            assert len(a_rows) and e.pid_of(a_rows) == b_rows.tolist(), q
            np.testing.assert_array_equal(a_sc, b_sc)
    finally:
        p.close()


# ----------------------------------------------------------------- import / export, CLI
def test_import_and_export_round_trip_without_re_embedding(tmp_path, pg_url):
    src = write_small(tmp_path / "src")
    a, b = tmp_path / "a", tmp_path / "b"
    assert not build_index([src], a, HashEmbedder()).failed
    r = import_store(a, pg_url)
    assert r["documents"] == 3 and r["passages"] == len(Index(a))
    with pytest.raises(PgStoreError, match="already holds 3 documents"):
        import_store(a, pg_url)
    export_store(pg_url, b)
    with pytest.raises(PgStoreError, match="already holds an index"):
        export_store(pg_url, b)
    ea, p, eb = Index(a), PgIndex(pg_url), Index(b)
    try:
        assert ea.pids.tolist() == eb.pids.tolist()
        assert np.array_equal(np.asarray(ea.vectors), np.asarray(eb.vectors))  # the vectors travelled, bit for bit
        assert (
            [(d["doc_id"], d["paths"], d["council"]) for d in ea.store.documents()]
            == [(d["doc_id"], d["paths"], d["council"]) for d in eb.store.documents()]
            == [(d["doc_id"], d["paths"], d["council"]) for d in p.store.documents()]
        )
        assert ea.glossary == p.glossary == eb.glossary and ea.glossary.get("DTOC")
        for q in ("delayed transfers of care", "DTOC", "parks bowling", '"managed libraries"'):
            for mode in ("bm25", "dense", "hybrid"):
                got = [
                    [(h["passage_id"], h["score"]) for h in search(ix, q, k=5, mode=mode, embedder=HashEmbedder()).hits]
                    for ix in (ea, p, eb)
                ]
                assert got[0] == got[1] == got[2] and got[0], (q, mode)
    finally:
        p.close()
    # the exported index is a normal one: ingesting the same folder again finds nothing to do or to embed
    again = build_index([src], b, HashEmbedder())
    assert again.count("unchanged") == 3 and again.embedded == 0
    # and so is the imported store: ingest --store over the same folder changes nothing, a changed file replaces its document
    from boardpapers.index.pgwriter import ingest_pg

    r = ingest_pg([src], pg_url, embedder=HashEmbedder())
    assert r.count("unchanged") == 3 and r.embedded == 0, r.outcomes
    (src / "doc2.txt").write_text((src / "doc2.txt").read_text(encoding="utf-8").replace("bowling greens", "skate parks"), encoding="utf-8")
    r = ingest_pg([src], pg_url, embedder=HashEmbedder())
    assert r.count("ingested") == 1 and r.count("unchanged") == 2, r.outcomes
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 3  # the old version is gone
        _postings_match_passages(con)  # and so are its postings
        assert (
            con.execute("SELECT n_docs, sum_dl FROM bm25_stats").fetchone()
            == con.execute("SELECT count(*), sum(dl) FROM passages").fetchone()
        )
        assert dict(con.execute("SELECT term, df FROM bm25_terms").fetchall()) == dict(
            con.execute("SELECT t, count(*) FROM passages, unnest(terms) t GROUP BY t").fetchall()
        )
    p = PgIndex(pg_url)
    try:
        assert "skate parks" in search(p, "skate parks", k=1, mode="bm25").hits[0]["text"]
        assert not search(p, '"bowling greens"', k=1, mode="bm25").hits
        assert not p.bm25_rank(tokenize_query("bowling greens"), 10, None)[0].size  # no stale candidate either
    finally:
        p.close()
    # a document read by an older structure parser is read again, with no embedding; then it is unchanged
    from boardpapers.ingest.structure import PARSER_VERSION

    with psycopg.connect(pg_url) as con:
        con.execute("UPDATE documents SET parser='structure-0' WHERE doc_id = (SELECT min(doc_id) FROM documents)")
    r = ingest_pg([src], pg_url, embedder=HashEmbedder())
    assert (r.count("ingested"), r.count("unchanged"), r.embedded) == (1, 2, 0), r.outcomes
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT array_agg(DISTINCT parser) FROM documents").fetchone()[0] == [PARSER_VERSION]
        assert (
            con.execute("SELECT n_docs, sum_dl FROM bm25_stats").fetchone()
            == con.execute("SELECT count(*), sum(dl) FROM passages").fetchone()
        )
    assert ingest_pg([src], pg_url, embedder=HashEmbedder()).count("unchanged") == 3


def test_cli_search_info_and_the_store_variable(tmp_path, pg_url, capsys, monkeypatch):
    a = tmp_path / "a"
    build_index([write_small(tmp_path / "src")], a, HashEmbedder())
    assert cli.main(["import-store", "--index", str(a), "--store", pg_url]) == 0
    capsys.readouterr()

    def hits(*extra):
        assert cli.main(["search", "DTOC target", "--mode", "bm25", "--format", "json", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    embedded = hits("--index", str(a))
    assert embedded and hits("--store", pg_url) == embedded
    monkeypatch.setenv("BOARDPAPERS_STORE", pg_url)
    assert hits() == embedded  # $BOARDPAPERS_STORE selects the store
    assert hits("--index", str(a)) == embedded  # an explicit --index still wins over the variable
    assert cli.main(["info", "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["passages"] == len(Index(a)) and info["documents"] == 3 and "postgresql://" in info["index"]
    assert cli.main(["search", "parks", "--store", str(a)]) == 2
    assert "postgresql://" in capsys.readouterr().err


# ----------------------------------------------------------------- many ingest workers
def _make_pdfs(src: Path, n: int) -> None:
    from pdfgen import make_pdf

    src.mkdir(parents=True)
    councils = ["Northshire County Council", "Southshire District Council", "Eastshire Borough Council"]
    for i in range(n):
        make_pdf(
            src / f"pack{i:02d}.pdf",
            [
                [
                    councils[i % 3],
                    "Cabinet",
                    f"Minutes of a meeting held on Tuesday, {i + 1} March 2016",
                    f"{i + 3}. Budget item {i}",
                    f"The cabinet considered the zebraword{i} proposal for the financial year.",
                    "Officers reported that spending was within the approved budget for the period.",
                    "Page 1",
                ],
                [f"{i + 3}. Budget item {i} (continued)", "RESOLVED:", f"That the zebraword{i} proposal be approved.", "Page 2"],
            ],
        )


def test_three_workers_one_killed_ingest_every_document_exactly_once(tmp_path, pg_url):
    n = 24
    src = tmp_path / "inputs"
    _make_pdfs(src, n)
    (src / "copy_of_pack05.pdf").write_bytes((src / "pack05.pdf").read_bytes())  # same content, another path
    markers = tmp_path / "markers"
    markers.mkdir()
    PgStore(pg_url).close()  # schema first, so the three do not all wait on the migration lock
    procs = [
        subprocess.Popen(
            [sys.executable, str(TESTS / "pg_worker.py"), pg_url, str(src), str(markers)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        deadline = time.time() + 120
        by_pid = {str(p.pid): p for p in procs}
        while not (started := [m.name for m in markers.iterdir() if m.name in by_pid]):
            assert time.time() < deadline, [p.communicate() for p in procs]
            time.sleep(0.02)
        victim = by_pid[started[0]]  # the first worker to start encoding: mid-document, its transaction open
        survivors = [p for p in procs if p is not victim]
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)
        outs = [p.communicate(timeout=240) for p in survivors]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert all(p.returncode == 0 for p in survivors), outs
    counts = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    assert sum(c["ingested"] for c in counts) == n, outs  # each document written once, the killed worker's too
    assert sum(c["duplicate"] for c in counts) == 1 and sum(c["failed"] for c in counts) == 0, outs
    with psycopg.connect(pg_url) as con:
        q = lambda sql, *a: con.execute(sql, a).fetchall()  # noqa: E731
        assert q("SELECT count(*), count(DISTINCT sha256) FROM documents")[0] == (n, n)
        assert q("SELECT count(*) FROM doc_paths")[0][0] == n + 1
        assert q("SELECT state, count(*) FROM ingest_jobs GROUP BY state") == [("done", n + 1)]
        assert q("SELECT count(*) FROM ingest_jobs WHERE worker = %s", f"test-worker-{victim.pid}")[0][0] == 0  # it left nothing
        # nothing half-written: the statistics are exactly those of the stored passages
        n_docs, sum_dl = q("SELECT n_docs, sum_dl FROM bm25_stats")[0]
        assert (n_docs, sum_dl) == q("SELECT count(*), sum(dl) FROM passages")[0]
        assert dict(q("SELECT term, df FROM bm25_terms")) == dict(q("SELECT t, count(*) FROM passages, unnest(terms) t GROUP BY t"))
        _postings_match_passages(con)
        seqs = q("SELECT doc_id, array_agg(seq ORDER BY seq) FROM passages GROUP BY doc_id")
        assert len(seqs) == n and all(s == list(range(len(s))) for _, s in seqs)
    p = PgIndex(pg_url)
    try:
        for i in (0, 5, 23):
            hits = search(p, f"zebraword{i}", k=3, mode="bm25").hits
            assert hits and f"zebraword{i}" in hits[0]["text"] and len({h["doc_id"] for h in hits}) == 1
        assert len(p) == n_docs
    finally:
        p.close()


# ----------------------------------------------------------------- the app on --store
def test_the_app_searches_traces_and_lists_documents_from_the_store(tmp_path, pg_url, monkeypatch):
    pytest.importorskip("streamlit.testing.v1")
    from test_app import make_small_index, markdown_text, run_app
    from test_app import search as app_search

    index, corpus = make_small_index(tmp_path)
    import_store(index, pg_url)
    monkeypatch.setenv("BOARDPAPERS_STORE", pg_url)
    monkeypatch.setenv("BOARDPAPERS_INDEX", str(tmp_path / "no-index-here"))  # everything must come from the store
    monkeypatch.setenv("BOARDPAPERS_CORPUS", str(corpus))
    at = app_search(run_app(), "zebrafinch library")
    md = markdown_text(at)
    assert "<mark>zebrafinch</mark>" in md and "Cabinet · 2016&#45;12&#45;15" in md
    at.radio(key="view").set_value("Documents").run()
    assert not at.exception, at.exception
    assert {"minutes_excerpt.txt", "injected_minutes.txt", "cabinet_pack.pdf"} <= set(at.dataframe[0].value["file"])
    at.radio(key="view").set_value("Trace").run()
    at.text_input(key="trace_topic").set_value("library opening hours").run()
    assert not at.exception, at.exception
    assert "2016-12-15 · " in " ".join(e.label for e in at.expander)
