"""Search behaviour: filters, phrases, duplicate folding, acronyms, sorting, model checks, atomic switch."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import HashEmbedder, build_index
from pgfixture import BACKENDS, open_on_backend

from boardpapers.index.embedded import Index
from boardpapers.index.errors import IndexError_
from boardpapers.index.query import Filters, QueryError, parse_query
from boardpapers.index.rank import bm25_query_tokens, fuse
from boardpapers.index.search import search

SLOW_FIXTURES = {"windowed_dir", "small"}  # built with the real model (tests/conftest.py marks their tests slow)

SHARED_PARAGRAPH = (
    "The Board noted that the community equipment contract had been extended for a further twelve months "
    "while a joint procurement exercise with neighbouring authorities was completed in the autumn."
)


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module", params=BACKENDS)
def small(request, tmp_path_factory):
    d = tmp_path_factory.mktemp("small")
    src = d / "src"
    src.mkdir()
    write(
        src,
        "a.txt",
        f"""Minutes of a meeting of the Health and Wellbeing Board of Northshire County Council held on Thursday, 2 March 2017.

10. DELAYED TRANSFERS OF CARE
Delayed Transfers of Care (DTOC) remained above the national target throughout the winter months.
RESOLVED:
That the improvement plan for hospital discharge be approved.

11. EQUIPMENT
{SHARED_PARAGRAPH}
""",
    )
    write(
        src,
        "b.txt",
        f"""Minutes of a meeting of the Cabinet of Northshire County Council held on Tuesday, 5 December 2017.

40. HOSPITAL DISCHARGE
DTOC figures for October showed 312 delayed days attributable to social care.

41. EQUIPMENT SERVICES
{SHARED_PARAGRAPH}

42. LIBRARIES
The community managed libraries programme saved £0.3m a year from staffing.
RESOLVED:
That the libraries report be noted.
""",
    )
    write(
        src,
        "c.txt",
        """Minutes of a meeting of the Adults Scrutiny Committee of Southshire District Council held on Monday, 6 June 2016.

5. PARKS
The parks strategy was discussed at length, covering play areas, bowling greens and tree planting.
""",
    )
    idx = d / "idx"
    report = build_index([src], idx, HashEmbedder())
    assert not report.failed
    return open_on_backend(request, idx)


def run(index, q, **kw):
    return search(index, q, embedder=HashEmbedder(), **kw).hits


def test_filters_apply_before_the_cut(small):
    hits = run(small, "equipment contract", k=10, filters=Filters(body="cabinet"))
    assert hits and all(h["body"] == "Cabinet" for h in hits)
    hits = run(small, "parks", k=10, filters=Filters(council="Southshire"))
    assert hits and all(h["council"] == "Southshire District Council" for h in hits)
    # a filter leaving a single matching passage still returns it, whatever the query
    hits = run(small, "hospital discharge improvement", k=10, filters=Filters(since="2016-01-01", until="2016-12-31"))
    assert len(hits) >= 1 and all(h["meeting_date"].startswith("2016") for h in hits)
    hits = run(small, "plan", k=10, filters=Filters(decisions=True))
    assert hits and all(h["is_decision"] for h in hits)
    assert run(small, "plan", k=10, filters=Filters(doc_type="appendix")) == []


def test_phrase_must_occur_verbatim(small):
    hits = run(small, '"community managed libraries" savings', k=10)
    assert len(hits) == 1 and "community managed libraries" in hits[0]["text"]
    assert run(small, '"managed community libraries"', k=10) == []
    assert parse_query('"a b" c "d').phrases == ["a b"]


def test_duplicates_fold_with_also_in(small):
    hits = run(small, "community equipment contract extended procurement", k=10)
    same = [h for h in hits if "community equipment contract" in h["text"]]
    assert len(same) == 1
    also = same[0]["also_in"]
    assert len(also) == 1 and also[0]["meeting_date"] != same[0]["meeting_date"]


def test_acronym_and_long_form_find_each_other(small):
    assert small.glossary.get("DTOC") == ["Delayed Transfers of Care"]
    res = search(small, "delayed transfers of care", k=10, mode="bm25")
    assert any("DTOC figures for October" in h["text"] for h in res.hits)
    assert any("DTOC" in n for n in res.notes)
    res = search(small, "DTOC", k=10, mode="bm25")
    assert any("Delayed Transfers of Care" in h["text"] for h in res.hits)


def test_acronym_expansion_counts_each_word_once():
    from boardpapers.index.glossary import expand_query

    glossary = {"CAMHS": ["Child and Adolescent Mental Health Service", "Child and Adolescent Mental Health Services"]}
    q = "CAMHS child and adolescent mental health crisis"
    extra, _ = expand_query(q, glossary)
    assert len(extra) == 2  # both spellings offered...
    tokens = bm25_query_tokens(q, extra)
    assert len(tokens) == len(set(tokens))  # ...but no word counted twice
    assert set(tokens) >= {"camh", "child", "adolesc", "mental", "health", "crisi", "servic"}
    assert bm25_query_tokens("DTOC", ["Delayed Transfers of Care"]) == ["dtoc", "delay", "transfer", "care"]


def test_sorting_by_date_orders_the_strong_matches(small):
    """Date sorts order the matches; related passages (when fewer than k match) follow them, marked."""
    for sort, rev in (("newest", True), ("oldest", False)):
        hits = run(small, "delayed transfers of care DTOC equipment contract", k=10, sort=sort)
        strong = [h["meeting_date"] for h in hits if h["match"] == "strong"]
        assert len(set(strong)) > 1 and strong == sorted(strong, reverse=rev)
        kinds = [h["match"] for h in hits]
        assert kinds == sorted(kinds, key=lambda m: m != "strong")  # no related passage above a match


def test_bad_queries_get_clear_messages(small):
    with pytest.raises(QueryError, match="empty"):
        run(small, "   ")
    with pytest.raises(QueryError, match="stopwords"):
        search(small, "the of and", mode="bm25")


def test_model_mismatch_is_an_error(small):
    with pytest.raises(IndexError_, match="built with model"):
        small.check_model("some-other-model")

    class Other(HashEmbedder):
        model_id = "another-model"

    with pytest.raises(IndexError_, match="built with model"):
        search(small, "parks", embedder=Other())


def test_fusion_methods():
    a = (np.array([1, 2, 3]), np.array([3.0, 2.0, 1.0]))
    b = (np.array([3, 1]), np.array([0.9, 0.8]))
    rrf = [i for i, _ in fuse([a, b], "rrf")]
    lin = [i for i, _ in fuse([a, b], "linear")]
    assert rrf[0] == 1 and set(rrf) == {1, 2, 3}
    assert set(lin) == {1, 2, 3}
    with pytest.raises(ValueError):
        fuse([a], "nope")


@pytest.mark.slow
def test_readers_never_see_a_half_built_index(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write(
        src,
        "first.txt",
        "Minutes of the Cabinet held on 1 May 2020.\n\n1. BUDGET\nThe budget was discussed and RESOLVED that it be approved.\n",
    )
    idx = tmp_path / "idx"
    emb = HashEmbedder()
    build_index([src], idx, emb)
    errors: list[BaseException] = []
    stop = threading.Event()
    seen_sizes = set()

    def reader():
        while not stop.is_set():
            try:
                ix = Index(idx)
                hits = search(ix, "budget", embedder=emb).hits
                seen_sizes.add(len(ix))
                assert hits
                ix.store.close()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            write(
                src,
                f"more{i}.txt",
                f"Minutes of the Cabinet held on {i + 2} June 2020.\n\n{i + 2}. BUDGET UPDATE {i}\nThe budget update number {i} was noted.\n",
            )
            build_index([src], idx, emb)
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:1]
    assert len(seen_sizes) > 1


@pytest.mark.slow
def test_real_hybrid_search_finds_decisions(real_index):
    ix = Index(real_index)
    res = search(ix, "Richmond Fellowship preventative mental health contract", k=5)
    assert res.hits
    top = res.hits[0]
    assert top["council"] == "Leicestershire County Council"
    assert any("Richmond Fellowship" in h["text"] for h in res.hits[:3])
    dec = search(ix, "Richmond Fellowship contract", k=5, filters=Filters(decisions=True)).hits
    assert dec and all(h["is_decision"] for h in dec)
    # the resolution itself comes first, dated by the meeting whose minutes hold it (3 March 2015, not the pack's date)
    assert "Richmond Fellowship" in dec[0]["text"] or "preventative" in dec[0]["context"].lower()
    assert dec[0]["meeting_date"] == "2015-03-03"


def test_crowding_keeps_the_first_five_and_spreads_the_first_page():
    from boardpapers.index.rank import CROWD_CAP, CROWD_DEPTH, CROWD_KEEP, CROWD_PAGE, crowded

    # 60 hits best first: the first 40 all from item A of one report, then other items
    hits = [{"passage_id": f"p{i}", "doc_id": "d1", "item": "A" if i < 40 else f"B{i % 3}"} for i in range(60)]
    out = crowded(hits, 60)
    assert [h["passage_id"] for h in out[:CROWD_KEEP]] == [f"p{i}" for i in range(CROWD_KEEP)]  # untouched
    page = out[:CROWD_PAGE]
    # item A already fills the first five: the rest of the first page goes to other items, each at most CROWD_CAP times
    assert all(h["item"] != "A" for h in page[CROWD_KEEP:])
    assert max(sum(h["item"] == it for h in page) for it in ("B0", "B1", "B2")) <= CROWD_CAP
    # the same hits, nothing lost or repeated; past the first page the order is the original one
    assert sorted(h["passage_id"] for h in out) == sorted(h["passage_id"] for h in hits)
    rest = [h["passage_id"] for h in out[CROWD_PAGE:]]
    assert rest == [h["passage_id"] for h in hits if h["passage_id"] not in {x["passage_id"] for x in page}]
    # only the first CROWD_DEPTH hits can move up: with nothing else there, the first page is plain relevance order
    deep = [{"passage_id": f"p{i}", "doc_id": "d1", "item": "A" if i < CROWD_DEPTH else "B"} for i in range(CROWD_DEPTH + 5)]
    assert [h["passage_id"] for h in crowded(deep, 20)] == [f"p{i}" for i in range(20)]
    # read lazily: a first page that keeps the cap reads no further than the page
    mixed = [{"passage_id": f"p{i}", "doc_id": "d1", "item": f"I{i}"} for i in range(CROWD_DEPTH)]
    it = iter(mixed)
    assert [h["passage_id"] for h in crowded(it, CROWD_PAGE)] == [f"p{i}" for i in range(CROWD_PAGE)]
    assert next(it)["passage_id"] == f"p{CROWD_PAGE}"
    # k below the page: only k hits, the first five untouched
    assert [h["passage_id"] for h in crowded(hits, 7)][:CROWD_KEEP] == [f"p{i}" for i in range(CROWD_KEEP)]
    assert len(crowded(hits, 7)) == 7 and len(crowded(hits[:3], 10)) == 3


def test_real_search_first_page_spreads_over_agenda_items(real_index):
    """A long report does not fill the first page: past the fifth hit, one agenda item shows at most twice more."""
    from boardpapers.index.rank import CROWD_CAP, CROWD_KEEP

    ix = Index(real_index)
    q = "Help to Live at Home scrutiny review panel recommendations"
    plain = search(ix, q, k=50, crowd=False).hits
    got = search(ix, q, k=10).hits
    key = lambda h: (h["doc_id"], h["item"])  # noqa: E731
    assert [h["passage_id"] for h in got[:CROWD_KEEP]] == [h["passage_id"] for h in plain[:CROWD_KEEP]]
    before = [key(h) for h in plain[:10]]
    assert max(before.count(x) for x in before) > CROWD_CAP + 2  # this query is dominated by one report
    moved = 0
    for i in range(CROWD_KEEP, 10):
        shown = [key(h) for h in got[:i]]
        ids = {h["passage_id"] for h in got[:i]}
        if shown.count(key(got[i])) >= CROWD_CAP:  # over the cap only when no other item is left in the pool
            assert all(shown.count(key(h)) >= CROWD_CAP for h in plain if h["passage_id"] not in ids)
        moved += got[i]["passage_id"] != plain[i]["passage_id"]
    assert moved  # other items' passages came up
    assert {h["passage_id"] for h in got} <= {h["passage_id"] for h in plain}
    assert [h["rank"] for h in got] == list(range(1, 11))


# ------------------------------------------------------------------ sentence windows

HERON_ITEM = (
    "The Committee received a report on the management of the country parks estate during the year. "
    "Visitor numbers had risen at every site and car parking income was above the budgeted level. "
    "Volunteers had contributed more than four thousand hours to path repairs, litter picking and guided walks. "
    "A new kingfisher heronry boardwalk had opened at Watermead in May. "
    "Members asked about the condition of the play equipment and were told that a replacement programme "
    "would be brought forward in the capital strategy. The report also set out the tree safety inspection regime."
)


def test_dense_windows_cover_the_passage_in_overlapping_sentences():
    from boardpapers.ingest.chunk import WINDOW_WORDS, dense_windows

    assert dense_windows("A short passage. It is its own window.") == []
    wins = dense_windows(HERON_ITEM)
    assert len(wins) >= 3 and all(len(w.split()) <= WINDOW_WORDS for w in wins)
    # every sentence of the passage is whole in some window, and neighbours share their boundary sentence
    sentences = [s if s.endswith(".") else s + "." for s in HERON_ITEM.split(". ")]
    assert all(any(s in w for w in wins) for s in sentences)
    for a, b in zip(wins, wins[1:]):
        last = a.rsplit(". ", 1)[-1]
        assert b.startswith(last), (a, b)
    # a run without sentence ends longer than a window is cut into window-sized pieces
    run = " ".join(f"w{i}" for i in range(3 * WINDOW_WORDS))
    pieces = dense_windows(run)
    assert [len(p.split()) for p in pieces] == [WINDOW_WORDS] * 3 and " ".join(pieces) == run


@pytest.fixture(scope="module")
def windowed_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("windowed")
    src = d / "src"
    src.mkdir()
    write(
        src,
        "parks.txt",
        f"""Minutes of a meeting of the Environment Committee of Northshire County Council held on Monday, 3 April 2017.

7. COUNTRY PARKS
{HERON_ITEM}

8. LIBRARIES
The community managed libraries programme saved £0.3m a year from staffing.
""",
    )
    report = build_index([src], d / "idx", HashEmbedder())
    assert not report.failed
    return d / "idx"


@pytest.fixture(scope="module", params=BACKENDS)
def windowed(request, windowed_dir):
    return open_on_backend(request, windowed_dir)


def test_a_long_passage_is_scored_by_its_best_sentence_window(windowed):
    from boardpapers.ingest.chunk import window_texts, with_context

    idx = windowed
    emb = HashEmbedder()
    query = "kingfisher heronry boardwalk Watermead"
    hits = search(idx, query, k=3, mode="dense", embedder=emb).hits
    top = hits[0]
    assert "heronry" in top["text"] and len(top["text"].split()) > 50
    q = emb.encode_query(query)
    passage = float(emb.encode([with_context(top["context"], top["text"])])[0] @ q)
    windows = emb.encode(window_texts(top["context"], top["text"])) @ q
    assert len(windows) >= 2 and float(windows.max()) > passage + 0.1
    row = idx.rows_for_passage_ids([top["passage_id"]])[0]
    assert float(idx.dense_scores([row], q)[0]) == pytest.approx(float(windows.max()), abs=1e-5)
    assert top["score"] == pytest.approx(float(windows.max()), abs=1e-5)
    # a passage with no windows (short) scores by its own vector
    short = next(h for h in search(idx, "libraries staffing", k=3, mode="dense", embedder=emb).hits if "libraries" in h["text"])
    srow = idx.rows_for_passage_ids([short["passage_id"]])[0]
    own = float(emb.encode([with_context(short["context"], short["text"])])[0] @ emb.encode_query("libraries staffing"))
    assert float(idx.dense_scores([srow], emb.encode_query("libraries staffing"))[0]) == pytest.approx(own, abs=1e-5)


def test_generation_files_of_windows_are_checked(windowed_dir, tmp_path):
    import json
    import shutil

    idx = Index(windowed_dir)
    copy = tmp_path / "idx"
    shutil.copytree(windowed_dir, copy)
    gen = copy / "gens" / (copy / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    assert manifest["windows"]["count"] >= 2 and manifest["windows"]["missing"] == 0
    # a generation written before windows existed still opens; passages score by their own vectors
    q = HashEmbedder().encode_query("kingfisher heronry boardwalk Watermead")
    with_windows = Index(copy).dense_scores(np.arange(len(idx)), q)
    offsets = np.load(gen / "window_offsets.npy")
    (gen / "window_offsets.npy").rename(gen / "offsets.bak")
    old = Index(copy)
    assert old.window_offsets is None
    plain = old.dense_scores(np.arange(len(old)), q)
    assert np.allclose(plain, old.vectors_at(np.arange(len(old))) @ q) and with_windows.max() > plain.max()
    # window files that disagree with the passages are a damaged index, not wrong scores
    np.save(gen / "window_offsets.npy", offsets[:-1], allow_pickle=False)
    with pytest.raises(IndexError_, match="window files"):
        Index(copy)


@pytest.mark.slow
def test_windows_missing_from_the_cache_are_left_out_and_counted(tmp_path):
    """An index ingested before windows existed: the rebuilt generation holds the windows it has vectors for."""
    import json

    from boardpapers.index.build import build_generation
    from boardpapers.index.store import Store

    src = tmp_path / "src"
    src.mkdir()
    write(src, "parks.txt", f"Minutes of a meeting of the Cabinet held on Monday, 3 April 2017.\n\n7. COUNTRY PARKS\n{HERON_ITEM}\n")
    idx_dir = tmp_path / "idx"
    assert not build_index([src], idx_dir, HashEmbedder()).failed
    full = Index(idx_dir)
    n_windows = len(full.window_vectors)
    assert n_windows >= 3
    store = Store(idx_dir)
    row = store.con.execute("SELECT context, text FROM passages WHERE text LIKE '%heronry%'").fetchone()
    from boardpapers.index.embed import embed_key
    from boardpapers.ingest.chunk import window_texts

    gone = embed_key(window_texts(row[0], row[1])[0])
    with store.con:
        store.con.execute("DELETE FROM embeddings WHERE key=?", (gone,))
    build_generation(store, HashEmbedder.model_id, HashEmbedder.dim)
    store.close()
    idx = Index(idx_dir)
    gen = idx_dir / "gens" / idx.gen_name
    assert json.loads((gen / "manifest.json").read_text())["windows"] == {"words": 50, "count": n_windows - 1, "missing": 1}
    assert len(idx.window_vectors) == n_windows - 1 and int(idx.window_offsets[-1]) == n_windows - 1
    assert np.array_equal(np.asarray(idx.window_vectors), np.asarray(full.window_vectors)[1:])  # the first one went


def test_a_resolution_is_not_folded_under_the_recommendation_it_repeats(tmp_path, hash_embedder):
    """Kent's Cabinet resolved its budget monitoring report's recommendations word for word; folded into the report as
    a near copy, the RESOLVED block (what a councillor asks for) was not shown. A reprint of the resolution still
    folds into it."""
    words = (
        "note the forecast revenue overspend of £23.3m excluding schools, note the forecast capital underspend of "
        "£111.6m, note the progress on the delivery of savings and agree the capital budget changes"
    )
    src = tmp_path / "src"
    src.mkdir()
    write(src, "report.txt", f"Budget Monitoring Report\n\nRecommendations:\nCabinet is asked to {words}.\n")
    for name, lead in (("minutes.txt", ""), ("pack.txt", "Agenda pack, 1 April 2025: minutes of the last meeting\n\n")):
        write(
            src,
            name,
            f"{lead}Minutes of a meeting of the Cabinet of Northshire County Council held on Tuesday, 4 March 2025.\n\n"
            f"88. BUDGET MONITORING\nThe Cabinet discussed the forecast.\nRESOLVED that Cabinet agree to {words}.\n",
        )
    build_index([src], tmp_path / "idx", embedder=hash_embedder)
    hits = search(Index(tmp_path / "idx"), "forecast revenue overspend capital underspend", k=10, mode="bm25").hits
    decisions = [h for h in hits if h["is_decision"]]
    assert len(decisions) == 1 and "RESOLVED" in decisions[0]["text"]  # shown, its reprint folded into it
    assert any("Recommendations" in h["text"] for h in hits)
