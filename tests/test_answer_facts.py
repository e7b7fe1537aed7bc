"""Fact questions (index/facts.py), table rows with their heads, sentence vectors from the index's windows
(index/sentvec.py), citations of strong matches only, and the generative path's support check (index/generate.py).

The index here is two small text files built with the real model (the relevance judge is fitted to it, so an answer
needs it); the real packs' answers are in tests/test_answer_real.py."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import build_index
from fakellm import chat_server

from boardpapers.index import sentvec
from boardpapers.index.answer import READ, ask
from boardpapers.index.embedded import Index
from boardpapers.index.facts import fact_kind, is_table_row, owner, show_row, states, table_heads
from boardpapers.index.generate import supported
from boardpapers.index.sentences import quotable

# the layout pdftotext gives the Better Care Fund table of the Leicestershire HWB pack (corpus/001, page 31-32):
# the heads on lines of their own, the rows as label + cells
BCF_REPORT = """Minutes of a meeting of the Health and Wellbeing Board held at County Hall on Thursday, 21 September 2017.

14. Better Care Fund Plan 2017/18 - 2018/19

The Board considered a report of the Director of Adults and Communities on the Better Care Fund Plan.
The Board noted that the integration programme is overseen by the Integration Executive and that the plan was
submitted to NHS England on 11 September 2017 after consultation with the district councils and the voluntary sector.
The Board was told that the plan had been shaped by the views of carers, patients and providers across the county.
Members asked about the governance of the plan and the role of the Integration Finance and Performance Group.
The Better Care Fund is a pooled budget of the County Council and the two clinical commissioning groups.
The BCF expenditure plan totals £52m in 2017/18 and £56m in 2018/19. The table below provides a summary of the
allocations, setting out the source of funds for the two year period:
Better Care Fund Funding 2017/18 and 2018/19
Funding Source 2017/18
£000
2018/19
£000
CCG Minimum Contributions
East Leicestershire & Rutland CCG* 15,838 16,139
West Leicestershire CCG* 20,843 21,239
Disabled Facilities Grants 3,350 3,632
Total BCF Funding 52,120 55,993
* Inclusive of Care Act Funding 1,388 1,388

RESOLVED:
That the Better Care Fund Plan 2017/18 - 2018/19 be approved.
"""

QUESTION = "What was the Total BCF Funding in each year?"  # the issue's own question is asked of the real pack
SLOW_FIXTURES = {"bcf_index"}  # built with the real model (tests/conftest.py marks their tests slow)


def test_fact_kinds_of_questions_and_sentences():
    assert fact_kind("How much was the Better Care Fund pooled budget?") == "amount"
    assert fact_kind("What percentage of patients were discharged within a day?") == "percentage"
    assert fact_kind("How many libraries became community managed?") == "count"
    assert fact_kind("When was the plan submitted to NHS England?") == "date"
    assert fact_kind("Who chairs the Integration Finance and Performance Group?") == "name"
    assert fact_kind("Why did the board discuss the plan?") is None
    assert states("amount", "The BCF expenditure plan totals £52m in 2017/18.")
    assert not states("amount", "Funding Source 2017/18 £000")  # a unit, not an amount
    assert states("percentage", "Readmissions fell by 3.5% over the year.")
    assert states("count", "Volunteer numbers had grown to 600 across the county.")
    assert not states("count", "The plan runs to 2019.")
    assert states("date", "The plan was submitted to NHS England on 11 September 2017.")
    assert states("name", "The group is chaired by Mr Sinclair, the CCG Director of Finance.")
    assert not states(None, "The BCF expenditure plan totals £52m.")


def test_table_rows_are_quoted_one_by_one_with_their_heads():
    spans = quotable(BCF_REPORT)
    quotes = [BCF_REPORT[s:e] for s, e in spans]
    assert "Total BCF Funding 52,120 55,993" in quotes  # a row of its own, an exact span
    assert any(q.startswith("The BCF expenditure plan totals £52m") for q in quotes)
    for s, e in spans:
        assert BCF_REPORT[s:e] == BCF_REPORT[s:e].strip() and BCF_REPORT[s:e]
    row = "Total BCF Funding 52,120 55,993"
    assert is_table_row(row) and not is_table_row("The BCF expenditure plan totals £52m in 2017/18 and £56m in 2018/19.")
    heads, unit = table_heads(BCF_REPORT[: BCF_REPORT.index(row)], 2)
    assert (heads, unit) == (["2017/18", "2018/19"], "£000")
    assert show_row(row, heads, unit) == "Total BCF Funding: 52,120 (2017/18, £000); 55,993 (2018/19, £000)"
    # running text right above a row, with no heads: nothing to show
    assert table_heads("The Board agreed the following measures for the coming year in detail.\n", 2) == ([], None)


def test_owner_names_council_plan_body_and_date():
    hit = {"council": "Leicestershire County Council", "body": "Health and Wellbeing Board", "meeting_date": "2017-09-21"}
    hit["item"] = "Better Care Fund Plan 2017/18 – 2018/19"
    assert owner(hit) == (
        "Leicestershire County Council, Better Care Fund Plan 2017/18 – 2018/19 (Health and Wellbeing Board, 21 September 2017)"
    )


@pytest.fixture(scope="module")
def bcf_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("facts")
    src = d / "src"
    src.mkdir()
    (src / "hwb_2017-09-21.txt").write_text(BCF_REPORT, encoding="utf-8")
    other = "Minutes of a meeting of the Cabinet held on 14 June 2016.\n\n12. Libraries\n\nThe Cabinet discussed the libraries.\n"
    (src / "cabinet_2016.txt").write_text(other, encoding="utf-8")
    build_index([src], d / "idx")
    return Index(d / "idx")


def test_fact_answer_leads_with_the_running_sentence_and_names_whose_figure(bcf_index):
    r = ask(bcf_index, QUESTION)
    assert not r["abstained"]
    first = r["sentences"][0]
    assert first["display"] == "The BCF expenditure plan totals £52m in 2017/18 and £56m in 2018/19."
    assert first["owner"] == owner(r["citations"][0]) and "Better Care Fund Plan" in first["owner"]
    assert r["answer"].startswith(f"{first['owner']}: The BCF expenditure plan totals £52m")
    cited = {c["n"]: c for c in r["citations"]}
    for s in r["sentences"]:
        assert s["quote"] in cited[s["n"]]["text"]


def test_a_quoted_table_row_is_shown_with_its_heads_and_unit(bcf_index):
    r = ask(bcf_index, QUESTION)
    rows = [s for s in r["sentences"] if s["quote"] == "Total BCF Funding 52,120 55,993"]
    assert rows, r["answer"]
    assert rows[0]["display"] == "Total BCF Funding: 52,120 (2017/18, £000); 55,993 (2018/19, £000)"
    assert rows[0]["heads"] == ["2017/18", "2018/19"] and rows[0]["unit"] == "£000"
    assert "Total BCF Funding: 52,120 (2017/18, £000)" in r["answer"]


def test_citations_are_strong_matches_in_search_order_each_once(bcf_index):
    from boardpapers.index.search import search

    for q in (QUESTION, "What did the Board decide about the Better Care Fund Plan?", "Better Care Fund pooled budget"):
        r = ask(bcf_index, q)
        res = search(bcf_index, q, k=READ, crowd=False)
        strong = [h["passage_id"] for h in res.hits if h["match"] == "strong"]
        ids = [c["passage_id"] for c in r["citations"]]
        assert len(ids) == len(set(ids))  # one passage is cited once
        assert all(c["match"] == "strong" for c in r["citations"])  # never a non-match
        ranked = [p for p in ids if p in strong]
        assert ranked[1:] == sorted(ranked[1:], key=strong.index)  # after the lead: the search's order


def test_sentence_vectors_come_from_stored_windows(bcf_index, monkeypatch):
    """Only sentences no stored window holds are encoded (and then cached); the rest use the index's vectors."""
    from boardpapers.index.rank import embedder_for
    from boardpapers.index.search import search
    from boardpapers.index.sentences import candidate_sentences

    emb = embedder_for(bcf_index)
    res = search(bcf_index, QUESTION, k=8, embedder=emb, crowd=False)
    hits = res.strong
    cands = candidate_sentences(hits)
    encoded: list[str] = []
    real = emb.encode
    monkeypatch.setattr(emb, "encode", lambda texts, batch_size=None: encoded.extend(texts) or real(texts), raising=False)
    sentvec.clear_cache()
    vecs, own = sentvec.sentence_vectors(bcf_index, hits, cands, res.qvec, emb)
    assert vecs.shape == (len(cands), emb.dim) and len(own) == len(cands)
    assert sum(own) == len(encoded) < len(cands)  # most sentences are scored from the stored windows
    rows = bcf_index.rows_for_passage_ids([h["passage_id"] for h in hits])
    stored = np.vstack([w for w in bcf_index.windows_at(rows) if w is not None and len(w)] + [bcf_index.vectors_at(rows)])
    for v, mine in zip(vecs, own):
        if not mine:
            assert np.abs(stored - v).sum(axis=1).min() < 1e-6  # one of the index's own vectors
    encoded.clear()
    sentvec.sentence_vectors(bcf_index, hits, cands, res.qvec, emb)
    assert encoded == []  # asked again: nothing is encoded


def test_support_is_content_words_and_numbers():
    text = "The BCF expenditure plan totals £52m in 2017/18 and £56m in 2018/19."
    assert supported("The expenditure plan totals £52m in 2017/18 [1].", [text])
    assert not supported("The expenditure plan totals £60m in 2017/18 [1].", [text])  # a number not in the passage
    assert not supported("Libraries were closed to save money on staff [1].", [text])


def test_llm_answer_drops_the_unsupported_sentence(bcf_index):
    """The fake model returns one sentence its passage supports and one it does not."""
    reply = (
        "The Better Care Fund expenditure plan totals £52m in 2017/18 [1]. "
        "The fund also paid for a new hospital in Loughborough costing £90m [1]."
    )
    with chat_server(lambda body: reply) as (url, seen):
        r = ask(bcf_index, QUESTION, llm=url, llm_model="tiny", timeout=10)
    assert r["mode"] == "generative"
    assert "£52m in 2017/18 [1]" in r["answer"] and "hospital" not in r["answer"]
    assert "1 generated sentence(s) left out" in r["answer"]
    assert any("do not support" in n for n in r["notes"])
    assert [c["n"] for c in r["citations"]] == [1] and r["citations"][0]["match"] == "strong"
    sent = seen[0]["messages"][1]["content"]
    assert seen[0]["model"] == "tiny" and "totals £52m" in sent  # only the extractive answer's passages are sent


def test_fact_sentences_name_counts_people_and_not_paragraph_numbers():
    """The kinds of fact the answer's sentences are scored for (issue 20): a count is a number of things, not a paragraph
    number or a range's end; a person is named in apposition or as the agent; a sentence's opening 'The' is no name."""
    assert states("count", "A very positive response was received with 29 of 36 communities responding by 16 January 2015.")
    assert states("count", "As at 7th February 2017 there are 122 personal health budgets in place or agreed across LLR")
    assert not states("count", "39 It is proposed that the Council holds a second and final round to invite ROIs.")
    assert not states("count", "As of January 2025, the 18-25 section of the Strengthening Independence Service were working.")
    assert states("name", "This report is mainly concerned with the past 12 months, whilst my successor, Jenny Myers, provides the view.")
    assert states("name", "The Improvement Board, set up by the Department for Education and chaired by Tony Crane, met monthly.")
    assert not states("name", "The Independent Chair is a member of LCC")


def test_table_text_not_cut_into_rows_is_recognised():
    """Kent's budget tables reach the answer as label runs with cells in them: they hold the question's words but state
    no fact in a sentence, so a fact question's answer prefers running text (index/facts.py ``tabular``)."""
    from boardpapers.index.facts import tabular

    assert tabular("Valve Agreement with DfE 0.0 -14,600.0 -11,100.0 Borrowing costs, contributions")
    assert tabular(
        "DSG surplus to the schools reserve 0.0 0.0 5,900.0 Schools\nTOTAL CONTRIBUTIONS TO RESERVES 14,200.0 14,200.0\nSafety Valve"
    )
    assert not tabular("This includes annual funding from the DfE, totalling £140m by 2027-28 to pay off part of the deficit.")
    assert not tabular("The BCF expenditure plan totals £52m in 2017/18 and £56m in 2018/19.")


def test_an_acronym_counts_for_the_words_it_stands_for():
    """'PNA' in a sentence holds 'pharmaceutical needs assessment' of the question, through the index's glossary."""
    from boardpapers.index.sentscore import overlap, question_features
    from boardpapers.index.tokenize import tokenize_query

    question = "When does the pharmaceutical needs assessment consultation start?"
    sentence = set(tokenize_query("The PNA is subject to a 60 day consultation which should start on 25th September 2017."))
    with_glossary = question_features(question, [], {"PNA": ["Pharmaceutical Needs Assessment"]})
    without = question_features(question, [], {})
    assert overlap(with_glossary, sentence) == 1.0
    assert overlap(without, sentence) == 2 / 5  # consult and start, of pharmaceut, need, assess, consult, start


def test_each_strong_passage_gives_its_best_sentence_before_any_gives_a_second():
    """Selection reads breadth first: the best sentence of each passage within BREADTH_DROP of the best, then second
    sentences within DROP; never more than MAX_PER_HIT from one passage, at most MAX_SENTENCES."""
    from boardpapers.index.answer import BREADTH_DROP, DROP, MAX_SENTENCES, select_sentences

    def cand(hit, start, score):
        return {"hit": hit, "start": start, "score": score, "quote": f"sentence {hit}-{start} of the passage", "dense": 0.5}

    best = 1.5
    cands = [cand(0, 0, best), cand(0, 50, best - 0.05), cand(0, 90, best - 0.1), cand(1, 0, best - DROP - 0.1)]
    cands += [cand(2, 0, best - BREADTH_DROP - 0.05)]
    chosen = select_sentences(cands)
    got = [(c["hit"], c["start"]) for c in chosen]
    assert got == [(0, 0), (1, 0), (0, 50)]  # passage 1's best (below DROP) comes before passage 0's second
    assert len(chosen) <= MAX_SENTENCES and (2, 0) not in got  # below BREADTH_DROP: left out
