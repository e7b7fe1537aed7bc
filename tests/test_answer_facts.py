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


def test_a_questions_asking_words_decide_its_kind_before_its_subjects():
    """'Who has the power to approve Leicestershire's Better Care Fund plan' asks for a name, though 'Fund' names money;
    it was answered with 'more than £14m of the fund will be allocated' (lf023). The words that ask ('who', 'how many',
    'when') decide before the subject's ('budget', 'deficit', 'spending', 'rate'); of two things asked, the first."""
    assert fact_kind("who has the power to approve Leicestershire's Better Care Fund plan") == "name"
    assert fact_kind("Who has to approve spending from the general reserve during the year?") == "name"
    assert fact_kind("How many Kent maintained schools were in deficit at the end of March 2024?") == "count"
    assert fact_kind("number of personal health budgets in LLR") == "count"
    assert fact_kind("Kent birth rate peak 2012 number of births") == "count"
    assert fact_kind("When did Kent County Council last end a year with a significant overspend?") == "date"
    assert fact_kind("Sport England pilots - how much funding nationally and how many areas") == "amount"
    assert fact_kind("children in need - how many and how much of a rise?") == "count"
    assert fact_kind("Did the board agree a number of changes to the budget?") == "amount"  # 'a number of' asks nothing
    # with no asking words, the subject's words still say what is asked
    assert fact_kind("Leicestershire BCF pooled fund size 2017/18") == "amount"
    assert fact_kind("delayed discharge rate per 100,000 population") == "percentage"
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
        res = search(bcf_index, q, k=READ, crowd=False, judged=False)  # the ranking's own order, which ask reads
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


def test_a_form_prompt_and_the_answer_typed_under_it_are_two_sentences():
    """Kent's DPIA screening form (24-00109 Appendix C, page 6) reads, in its PDF text layer, 'The aim of this project is
    to' -- the form's prompt, left unfinished -- then, on the next line, the answer typed under it. A capitalised pronoun
    and its verb never continue a wrapped line, so the line before ended its paragraph: the answer is a sentence of its
    own and the unfinished prompt is no quote."""
    from boardpapers.index.sentences import candidate_sentences, split_sentences

    text = (
        "Question \nNumber \nQuestion Answer \n1 What is your project aim? The aim of this project is to \n"
        "There was a decision made to transfer the 18-25 \nsection of the Strengthening Independence \n"
        "Service (SIS) from the Children Young People and \nEducation directorate to the Adult Social Care \n"
        "and Health directorate from April 2025 including \na transfer of workforce in services. \n \n"
        "Under the current arrangements the Corporate \nDirector Children, Young People, and Education \n"
        "(DCS) is overseeing a group falling outside their \nstatutory role."
    )
    spans = [" ".join(text[s:e].split()) for s, e in split_sentences(text)]
    assert "The aim of this project is to" in spans
    assert any(s.startswith("There was a decision made to transfer the 18-25 section") for s in spans)
    quotes = [" ".join(c["quote"].split()) for c in candidate_sentences([{"text": text}])]
    assert not any("aim of this project" in q for q in quotes), quotes
    assert any(q.startswith("There was a decision made") and q.endswith("workforce in services.") for q in quotes)
    # a wrapped line that goes on with a capitalised name is not cut ('trading as The Education People')
    wrapped = "An agreement was drawn up with EDS ECo, trading as \nThe Education People, for £2.2m to aid the transition."
    assert len(split_sentences(wrapped)) == 1
    assert candidate_sentences([{"text": "The full delivery plan is set out in Appendix A"}])  # 'A' names an appendix


def test_counts_written_in_words_state_a_count():
    """Papers write small counts in words: 'The Panel met on six occasions' states a count; 'one of three or four' and a
    number word before 'of' do not."""
    assert states("count", "The Panel met on six occasions between 14 October 2014 and 19 May 2015")
    assert states("count", "Two events with providers were held in February.")
    assert not states("count", "The Board agreed three of the proposals.")


def test_an_acronym_no_paper_defines_is_spelled_by_the_initials_of_a_name():
    """Kent's minerals plan report writes 'Kent Minerals and Waste Local Plan 2024-39' and, pages later, 'KMWLP', never
    '(KMWLP)': the glossary mined at ingest lacks it, so the answer reads it from the initials of a capitalised name in
    the passages it reads, and a sentence saying 'KMWLP' holds the question's plan words."""
    from boardpapers.index.glossary import spelled_by_initials
    from boardpapers.index.sentscore import overlap, question_features
    from boardpapers.index.tokenize import tokenize_query

    text = "(i) NOTE the Inspector's Report on the examination of the \nKent Minerals and Waste Local Plan 2024-2039;"
    assert spelled_by_initials("soft sand shortfall in the KMWLP", {}, [text]) == {"KMWLP": ["Kent Minerals and Waste Local Plan"]}
    assert spelled_by_initials("soft sand shortfall in the KMWLP", {"KMWLP": ["x"]}, [text]) == {}  # the glossary's own wins
    assert spelled_by_initials("the BCF pooled budget", {}, [text]) == {}  # no name with those initials
    joint = "the HWB, the Health Overview and Scrutiny Committee And the HEALTH OVERVIEW AND SCRUTINY COMMITTEE"
    assert spelled_by_initials("HOSC protocol", {}, [joint]) == {"HOSC": ["Health Overview and Scrutiny Committee"]}
    assert spelled_by_initials("A&E waits", {}, ["Adult's Emergency Duty Team"]) == {}  # "&" stands for "and"
    question = "What was Cabinet asked to do with the KMWLP?"
    sentence = set(tokenize_query("The Kent Minerals and Waste Local Plan 2024-39 is sound."))
    read = question_features(question, [{"text": text}], {})
    assert overlap(read, sentence) > overlap(question_features(question, [], {}), sentence)


def test_passages_read_below_the_top_add_a_sentence_and_never_lead():
    """A fact question reads strong matches ranked below the top READ when one of their sentences states the fact asked
    with one of the question's terms (``stating``); such a sentence may be quoted but does not lead the answer."""
    from boardpapers.index.answer import select_sentences, stating

    hits = [{"text": "The Panel met on six occasions between October and May."}, {"text": "The Panel recommends a review."}]
    assert stating(hits, "count", {"panel"}) == hits[:1]
    assert stating(hits, "count", {"budget"}) == [] and stating(hits, None, {"panel"}) == []

    def cand(hit, score, fact, below):
        return {
            "hit": hit,
            "start": 0,
            "score": score,
            "quote": f"sentence {hit}",
            "dense": 0.5,
            "fact": fact,
            "table": False,
            "below": below,
        }

    chosen = select_sentences([cand(2, 1.3, True, True), cand(0, 1.25, True, False), cand(1, 1.2, False, False)])
    assert chosen[0]["hit"] == 0 and chosen[0].get("lead")  # the fact sentence of a passage read first leads
    assert 2 in [c["hit"] for c in chosen]  # the one read below is still quoted


def test_a_decision_question_leads_with_its_best_sentence_when_that_records_the_decision():
    """'What did the board decide about the Better Care Fund plan?' asks for a decision, and 'Fund' makes it an amount
    question too. The minutes narrate the decision in one sentence ('The Board confirmed that it was content ... to
    approve the BCF Plan for submission') whose passage is far less like the question than the plan's paragraphs
    (0.54 against 0.72, past DECISION_DENSE_GAP), yet it scores best of all: it leads, not the plan's £22m."""
    from boardpapers.index.answer import DECISION_DENSE_GAP, select_sentences

    def cand(hit, score, dense, decision, fact):
        return {"hit": hit, "start": 0, "score": score, "quote": f"sentence {hit}", "dense": dense, "table": False} | {
            "decision_sent": decision,
            "fact": fact,
        }

    top = 0.72
    narrated = cand(2, 1.55, top - DECISION_DENSE_GAP - 0.08, True, False)
    figure = cand(0, 1.54, 0.58, False, True)
    other = cand(1, 1.50, top, False, False)
    chosen = select_sentences([narrated, figure, other])
    assert chosen[0]["hit"] == 2 and chosen[0].get("lead")
    # a decision sentence scoring below the best, and that far from the best passage's similarity, does not lead
    chosen = select_sentences([figure, dict(narrated, score=1.53), other])
    assert chosen[0]["hit"] == 0 and chosen[0].get("lead")


def test_a_passage_ending_on_an_introduction_is_completed_by_the_next():
    """Kent's call-in report ends a passage on 'the Scrutiny Committee unanimously agreed the following motion:' and the
    motion ('a. That implementation of Decision 24/00093 be postponed ...') opens the next; the minerals plan report's
    recommendations are cut after '(ii) NOTE ...; and,'. The next passage completes the hit: it is read with the hit's
    similarity (index/neighbours.py)."""
    from boardpapers.index.neighbours import introduced_by, introduces_next

    assert introduces_next("6. Following the debate, the Scrutiny Committee unanimously agreed the following \nmotion:")
    assert introduces_next("(ii) NOTE the recommendations of the Sustainability Appraisal of the KMWLP \n(Appendix D); and,")
    assert introduces_next("Recommendation(s):\nCabinet is asked to")
    assert not introduces_next("The decision maker was Mrs Chandler, Cabinet Member for Integrated Children's Services.")
    doc = {"doc_id": "d", "item": None}
    hits = [
        {**doc, "seq": 2, "text": "the Scrutiny Committee unanimously agreed the following motion:"},
        {**doc, "seq": 9, "text": "Comments expressed during the debate are summarised below."},
        {**doc, "seq": 3, "text": "a. That implementation of Decision 24/00093 be postponed pending review."},
        {**doc, "seq": 10, "text": "Members raised concerns."},
        {"doc_id": "e", "item": None, "seq": 3, "text": "Another document."},
    ]
    assert introduced_by(hits) == {2: 0}  # seq 10 follows a passage that ends its sentence; 'e' is another document


def test_a_recommendation_to_act_is_a_decision_sentence_and_one_to_note_is_not():
    """What a body 'was asked to do' is the report's recommendation to act ('(iii) ENDORSE the Cabinet Member's proposal
    ...'); a recommendation only to NOTE a report decides nothing, so it does not lead a decision answer."""
    from boardpapers.index.sentscore import RECOMMENDED_ACTION

    assert RECOMMENDED_ACTION.search("(iii) ENDORSE the Cabinet Member's proposal to recommend the KMWLP (Appendix B)")
    assert RECOMMENDED_ACTION.search("AGREE to submit a request to Government")
    assert not RECOMMENDED_ACTION.search("(i) NOTE the Inspector's Report (see Appendix A) on the examination")


def test_which_body_asks_for_a_body_and_a_sentence_naming_one_states_it():
    """'Which scrutiny body leads on ...' asks for a committee, board, commission or panel (not any Title Case name: STP
    papers' headings are all capitalised)."""
    assert fact_kind("which scrutiny body leads on reviewing the STP primary care model for the city") == "body"
    assert fact_kind("Which committee approved the plan?") == "body" and fact_kind("which meeting was it") is None
    gold = "At the Leicestershire, Leicester and Rutland Joint Health Scrutiny Committee on 14 December 2016 it was agreed"
    assert states("body", gold) and states("body", "it was agreed that this Commission would take the lead")
    assert not states("body", "Delivering the GP Five Year Forward View Primary medical care is the foundation")


def test_a_heading_over_its_first_sentence_is_not_quoted_with_it():
    """The BCF plan (corpus/, 21 Sep 2017, p. 75) reads '11.5 Our Target for improving Delayed Transfers of Care (DTOC)'
    on a line of its own, then 'The most challenging aspect ...': the answer quotes the sentence, not the heading glued
    to it, and the heading alone is no quote. A wrapped line that goes on with a name is left whole."""
    from boardpapers.index.sentences import candidate_sentences, split_sentences

    text = (
        "In addition, the CCGs have allocated £2.5m for the Intensive Community Support Service.\n"
        "11.5    Our Target for improving Delayed Transfers of Care (DTOC)\n"
        "The most challenging aspect of finalising this BCF plan has involved setting the \n"
        "trajectory for improving delayed transfers of care."
    )
    spans = [" ".join(text[s:e].split()) for s, e in split_sentences(text)]
    assert spans[1:] == [
        "11.5 Our Target for improving Delayed Transfers of Care (DTOC)",
        "The most challenging aspect of finalising this BCF plan has involved setting the trajectory for improving "
        "delayed transfers of care.",
    ]
    quotes = [" ".join(c["quote"].split()) for c in candidate_sentences([{"text": text}])]
    assert not any("Our Target" in q for q in quotes), quotes
    assert any(q.startswith("The most challenging aspect") for q in quotes)
    # a first line in lower case is a wrapped sentence, even when a capitalised 'The' opens the next line
    assert len(split_sentences("The plan was agreed with the partners of \nThe Leicester Partnership in March.")) == 1
    # a heading with a figure in it may be a table row: it stays a candidate
    assert candidate_sentences([{"text": "Better Care Fund Budget 2017/18 £52.0m"}])


def test_a_running_header_or_a_titles_year_is_no_quote():
    """Kent's Treasury Management Strategy (Cabinet, 30 January 2025) runs the header 'Treasury Management Strategy' with
    its page number over each page; an answer on the council's treasury adviser quoted it as a sentence. A year or
    financial year in a title ('Flexible use of Capital Receipts Strategy 2025-26') makes it no statement either. A
    label with one figure after a single space may be a table row ('Older People Residential 12'), and stays."""
    from boardpapers.index.sentences import candidate_sentences

    text = (
        "Treasury Management Strategy  11\n"
        "11.1 The Council's treasury management takes account of the medium term interest rate forecasts from Link "
        "Group, the Council's appointed treasury advisors."
    )
    quotes = [" ".join(c["quote"].split()) for c in candidate_sentences([{"text": text}])]
    assert quotes == [
        "11.1 The Council's treasury management takes account of the medium term interest rate forecasts from Link "
        "Group, the Council's appointed treasury advisors."
    ], quotes
    for title in ("Flexible use of Capital Receipts Strategy 2025-26", "Proposed Flexible Use of Capital Receipts in 2025-26"):
        assert not candidate_sentences([{"text": title}]), title
    for row in ("Older People Residential Care Placements 12", "Better Care Fund Budget 2017/18 £52.0m"):
        assert candidate_sentences([{"text": row}]), row


def test_a_long_tables_wrapped_cell_is_quoted_whole():
    """A budget template's rows in PDF text run to one 'sentence' of over 600 characters, cut at line ends to stay
    readable. A cell's text wraps in its column ('... operational costs of Produced in Kent, the' / 'county's food ...'):
    an answer quoted the wrapped tail, opening in lower case. A line that stops on 'the', or whose next line goes on in
    lower case, is not a place to cut."""
    from boardpapers.index.sentences import candidate_sentences

    rows = "".join(
        f"Policy GET Cabinet Member Service {n} Increase income from service {n} -120.0 -130.0 0.0 Other Services\nCore\n" for n in range(6)
    )
    text = (
        rows + "Policy GET Derek Murphy Regeneration & Economic Development - \nProduced in Kent\n"
        "Reduction of KCC funding to support the operational costs of Produced in Kent, the \n"
        "county's food & drink sector business membership organisation and promotional \nagency."
    )
    assert len(text) > 600
    quotes = [" ".join(c["quote"].split()) for c in candidate_sentences([{"text": text}])]
    assert not [q for q in quotes if q[0].islower()], quotes
    assert any(
        q.endswith(
            "Reduction of KCC funding to support the operational costs of Produced in Kent, the county's food & drink "
            "sector business membership organisation and promotional agency."
        )
        for q in quotes
    ), quotes


def test_a_table_rows_figures_line_ends_the_row():
    """The BCF plan's metrics table (corpus/, 21 Sep 2017, p. 55) in its PDF text: the metric, then its target, actual
    and RAG rating on a line of their own, then the commentary cell. The row and the commentary are two quotes, not
    one run-on 'sentence'; a line that starts with a figure and goes on in words is prose."""
    from boardpapers.index.sentences import split_sentences

    text = (
        "Metric 3: Delayed transfers of\ncare (DTOC) from hospital per\n100,000 population\n312.19 377.10 R\n"
        "BCF DTOC targets are measured quarterly - the\n312.19 target covers the period Jan-Mar 2017\n(Q4)."
    )
    assert [" ".join(text[s:e].split()) for s, e in split_sentences(text)] == [
        "Metric 3: Delayed transfers of care (DTOC) from hospital per 100,000 population 312.19 377.10 R",
        "BCF DTOC targets are measured quarterly - the 312.19 target covers the period Jan-Mar 2017 (Q4).",
    ]


def test_a_sentence_of_the_passage_the_judge_finds_about_the_question_scores_higher():
    """Two sentences alike in every other respect (similarity, terms, place, what they state): the one whose passage the
    judge finds more about the question scores higher by W_RELEVANCE times the difference. The Time to Change plan's
    "We propose that the Health and Wellbeing Board will have oversight of the Hub" (relevance 0.9) then beats a
    campaign paragraph the ranking put first (0.4): ask cites gold rose on five of the nine labelled sets
    (docs/BENCHMARKS.md, "The judge's relevance in the answer")."""
    from boardpapers.index.sentscore import W_RELEVANCE, question_features, score_sentence

    q = question_features("what role will the HWB have in Time to Change Leicester", [], {})
    quote = "We propose that the Health and Wellbeing Board will have oversight of the Hub."
    cand = {"quote": quote, "cos": 0.5, "overlap": 0.4, "hit": 3, "fact": False, "table": False}
    low = score_sentence(cand, {"relevance": 0.4}, q, 0.6)
    high = score_sentence(cand, {"relevance": 0.9}, q, 0.6)
    assert high - low == pytest.approx(W_RELEVANCE * 0.5) and W_RELEVANCE > 0
    assert score_sentence(cand, {}, q, 0.6) == pytest.approx(low - W_RELEVANCE * 0.4)  # a hit the judge never scored
