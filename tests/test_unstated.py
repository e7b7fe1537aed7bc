"""A question that asks for a figure ("how many", "how much", "when will", "what percentage") is answered only when a
passage that matches states it; matches that are about the subject but never give the figure are shown as such, and
``ask`` abstains (index/asking.py ``asked_figure``, index/answer.py)."""

from __future__ import annotations

import pytest

from boardpapers.index.asking import asked_figure, counted_thing
from boardpapers.index.facts import stated_elsewhere, states, states_asked, states_figure


@pytest.mark.parametrize(
    "question, figure",
    [
        ("How many on-street EV chargepoints will the LEVI grant pay for in Kent?", "count"),
        ("number of trafficked children identified in Leicestershire 2016/17", "count"),
        ("what is the total number of looked after children", "count"),
        ("how much does a speed awareness course cost in Kent", "amount"),
        ("breastfeeding at 6-8 weeks Leicester - how much did it improve?", "amount"),  # a clause opens with it
        ("What percentage pay award did the Personnel Committee recommend?", "percentage"),
        # the same asked of a cost, a price or an interest rate
        ("What is the total cost of the Oracle Cloud programme?", "amount"),
        ("Invicta House extra member accommodation - what would it cost?", "amount"),
        ("Chilmington Green developer loan - what rate of interest is KCC charging?", "percentage"),
        ("what did the Ernst and Young options appraisal for Help to Live at Home cost the county council", "amount"),
        ("What are the cost pressures in adult social care?", None),
        ("what did the council decide about the cost of the scheme", None),  # the cost, a noun: what was decided
        # how long: a length of time, or since or until when
        ("Household Support Fund - how long will it run?", "duration"),
        ("How long will KCC keep the personal data of young adults on Mosaic?", "duration"),
        ("allotment waiting list how long", None),  # no clause opens with it
        ("When does the consultation start and how long does it run?", "date"),
        ("what is the cost of living payment", None),
        ("When will buses start using the Fastrack Bean Road tunnels?", "date"),
        ("When will the Kingfisher Unit beds open and what will they cost?", "date"),
        ("When were the average speed cameras on the A20 switched on?", "date"),  # a past event: a sentence dates it
        ("When did the council last end a year with a significant overspend?", "date"),
        ("What date will the new pothole reporting tool go live?", "date"),
        # asked inside another question, of the past (its meeting's date answers), or not asked at all
        ("how can I work out how much I'll have to pay towards my care", None),
        ("When did the cabinet approve the plan?", None),  # what a meeting did: the meeting's date, in the citation
        ("When was the library strategy discussed by the scrutiny committee?", None),
        # something else asked first: an answer to it is not refused for want of the figure asked after it
        ("Who was the planning inspector for the plan and when were the hearings?", None),
        ("Where will the new mortuary be built and when will it open?", None),
        ("What happens when a care home closes?", None),
        ("Did the board agree a number of changes to the budget?", None),
        ("Leicestershire BCF pooled fund size 2017/18", None),
        # a query typed as a noun phrase asks by its head noun: it ends the query, or a place, year or preposition
        # follows it; a figure word that qualifies another noun asks nothing
        ("garden waste collection subscription price", "amount"),
        ("weekly fostering allowance rates Kent 2025", "amount"),
        ("register office wedding ceremony fees in Kent", "amount"),
        ("Beaver Road Ashford bus gate fine amount", "amount"),
        ("Active Travel grant allocation Kent 2025", "amount"),
        ("Kent school term dates 2025/26", "date"),
        ("citizenship ceremonies Kent Q3 2024/25 numbers", "count"),
        ("delayed transfers of care figures for Kent hospitals", "count"),
        ("post 16 SEND transport charges budget", None),
        ("adult social care cost pressures", None),
        ("Who chairs the Integration Finance and Performance Group?", None),
    ],
)
def test_the_figure_a_question_asks_for_in_so_many_words(question, figure):
    assert asked_figure(question) == figure


def test_a_sentence_states_the_figure_asked():
    money = "how much money has the bus gate camera raised in fines"
    assert states_figure("amount", money, "Penalty charges raised £412,000 in the first year.", table=False)
    assert not states_figure("amount", money, "Penalty Charge Notices issued fell by 22%.", table=False)
    # 'how much' naming no money asks for any quantity: a share or a count answers it
    improve = "breastfeeding at 6-8 weeks - how much did it improve?"
    assert states_figure("amount", improve, "Breastfeeding at 6-8 weeks – 62.1% compared to the baseline on 54.9%", table=False)
    # a table row of figures may state an amount or count (its column heads say which); never a date
    row = "GET North Thanet Link Creation of a relief road 2,629 1,200"
    assert states_figure("amount", "How much will the North Thanet Link cost?", row, table=True)
    assert not states_figure("date", "When will the North Thanet Link open?", row, table=True)
    # a line ending in figures is a row, however many words its label has
    cells = "DCED Further provision for Member accommodation in Invicta House Further provision 3,000 3,000"
    assert states_figure("amount", "Invicta House - what would it cost?", cells, table=False)
    assert not states_figure("amount", "Invicta House - what would it cost?", "Invicta House was refitted.", table=False)
    assert states_figure("date", "When will the tunnels open?", "The tunnels will open to buses in March 2026.", table=False)
    assert not states_figure("date", "When will the tunnels open?", "Construction of the tunnels continued.", table=False)
    # when, as papers say it besides a calendar date; a report's quarter is its period, not when a thing happens
    visit = "I've just had a baby - when should the health visitor come round?"
    assert asked_figure(visit) == "date"
    assert states_figure("date", visit, "New birth visits are made within 10-14 days of the birth.", table=False)
    assert states_figure("date", "When will the unit open?", "The unit will open in the autumn.", table=False)
    pilots = "when were the selected partners expected to be announced?"  # a date written month first
    assert states_figure("date", pilots, "The partners were expected to be announced on May 17 2017.", table=False)
    assert not states_figure("date", pilots, "The 10 pilots were chosen from 112 bids.", table=False)
    shop = "When will the reuse shop at Allington tip be up and running?"  # a financial year written short
    assert states_figure("date", shop, "The re-use shop at Allington will be operational in 25-26.", table=False)
    assert not states_figure("date", shop, "The shop will be run with 45-50 volunteers.", table=False)
    assert not states_figure("date", "When will Eurostar stop at Ashford?", "Planning applications fell in Quarter 3.", table=False)
    # how long: a length of time, since or until when; not a year something happens in, nor a bare date
    court = "once the plan is adopted how long do people have to challenge it in court"
    assert states_figure("duration", court, "Following adoption there is a six-week period for legal challenges.", table=False)
    assert states_figure("duration", court, "Complaints are answered within 20 working days at stage 1.", table=False)
    assert states_figure("duration", court, "The Fund was extended for a further year to 31 March 2026.", table=False)
    assert states_figure("duration", court, "The Council had existed since 1889.", table=False)
    assert not states_figure("duration", court, "The Council will review the plan in 2026.", table=False)
    assert not states_figure("duration", court, "Staff will continue to use both systems until Mosaic is ready.", table=False)
    assert not states_figure("duration", court, "Legal challenges 2 4", table=True)  # a row's figures are no length of time
    # a share said in words
    alone = "What proportion of older people in Leicester live alone?"
    assert states_figure("percentage", alone, "One in five older people in the city live alone.", table=False)
    assert states_figure("percentage", alone, "Half of older people live alone.", table=False)
    assert not states_figure("percentage", alone, "Older people often live alone.", table=False)


def test_how_much_naming_no_money_is_answered_by_any_quantity_and_such_a_sentence_may_lead():
    tax = "how much is Kent County Council putting council tax up by in 2025-26"
    said = "The CSP assumes 6.2% increase in KCC council tax."
    assert states_asked("amount", tax, said)  # the fact kind ask leads with (index/answer.py score_sentences)
    assert not states_asked("amount", "How much is adult social care spending going up?", said)  # money named: £
    assert states_asked("amount", "How much is adult social care spending going up?", "Spending rises by £80m.")


def test_a_count_said_as_the_number_of_things_then_the_figure():
    assert states("count", "the current number of providers (61 – the figure is well over 100")
    assert not states("count", "The increase in the number of referrals led to a 24% increase in children in need")
    assert not states("count", "the number of births peaked in 2012")
    # a small count in words, before a name as before a plain word; a name that opens with one is no count
    assert states("count", "The scheme launched with the first two Mockingbird home hub constellations now live.")
    assert states("count", "The Panel met on six occasions.")
    assert not states("count", "Implementing the Five Year Forward View is a priority.")


def test_a_count_is_a_number_of_things():
    people = "how many people responded to the consultation"
    assert states("count", "There are 122 personal health budgets in place across LLR.", people)
    assert states("count", "Training was delivered in 45 schools this year.", people)
    # a label, money, a rate's base: numbers, not counts of things
    assert not states("count", "Further information was sought about what the Year 4 additional funding could be used for.")
    assert not states("count", "Within Priority 1 the County Council has committed to maintain its role.")
    assert not states("count", "The City Council's proposed tax for 2017/18 is £1,408.15 an increase of just below 4%.")
    assert not states("count", "With one in four people experiencing a mental health problem at some point.")
    assert not states("count", "The expectation is one to two per 1,000 people in receipt of a budget.")
    # a length of time or a measure counts only what the question counts in that unit
    run = "The public consultation launched on 16th January and was due to run for eight weeks."
    assert not states("count", run, people)
    assert states("count", run, "how many weeks will the consultation run for")
    assert not states("count", "Growth over the last 14 years has stalled.", people)
    assert not states("count", "The gang removed over two million miles from vehicle odometers.", people)
    assert not states("count", "The new requirement for 9 to 36-month provision starts in September.", people)


def test_the_thing_a_count_question_counts():
    assert counted_thing("how many complaints did kent county council get in 2024") == ("complaints", "complaints")
    assert counted_thing("How many new special school (SEND) places does the plan make?")[0] == "places"
    assert counted_thing("How many EU nationals work in adult social care?")[0] == "nationals"
    assert counted_thing("How many people took part in Clean Air Night?")[0] == "people"
    assert counted_thing("number of health visitors employed by Kent") == ("visitors", "health visitors")
    assert counted_thing("When will the road open?") is None


def test_a_count_the_sentences_chosen_do_not_state_is_looked_for_in_a_row_naming_the_thing():
    q = "How many new special school (SEND) places does the plan make?"
    cands = [
        {"quote": "The plan identifies the need for additional places each year as follows.", "fact": False, "table": False},
        {"quote": "Year R temp places 6.3FE 14.3FE A total of up to 120 temporary Year R places", "fact": True, "table": True},
        {
            "quote": "SEND Commissioning Intentions: 0 places 440 places 90 places A total of 530 permanent places",
            "fact": True,
            "table": True,
        },
        {"quote": "Total Complaints 5,647 5,416 1,512 1,047", "fact": True, "table": True},
        {"quote": "There were 18,147 children born in 2012, and 41 special school places.", "fact": True, "table": False},
    ]
    assert stated_elsewhere(q, "count", cands) is cands[2]  # the row that says which places
    assert stated_elsewhere("how many complaints did the council get", "count", cands) is cands[3]
    assert stated_elsewhere("how many dentists are accepting patients", "count", cands) is None
    # running text: a sentence stating a count scores well, so one scored below those chosen is about something else
    assert stated_elsewhere("how many children moved from private schools", "count", cands) is None
    assert stated_elsewhere(q, "amount", cands) is None  # counts only


# (papers about a subject that never give the figure, the question asking for it, a paper that states it, its words)
FIGURES = {
    "date": (
        "When will the Kingfisher Unit reablement beds open?",
        "Health and Wellbeing Board, 2 March 2017. Kingfisher Unit.\n\nThe Kingfisher Unit reablement beds will open in "
        "September 2017, once the ward has been refurbished.",
        "September 2017",
    ),
    "amount": (
        "How much will the Kingfisher Unit reablement beds cost?",
        "Health and Wellbeing Board, 2 March 2017. Kingfisher Unit.\n\nThe Kingfisher Unit reablement beds will cost "
        "£1.4m a year, met from the Better Care Fund.",
        "£1.4m",
    ),
    "duration": (
        "How long will the Kingfisher Unit reablement beds be open for?",
        "Health and Wellbeing Board, 2 March 2017. Kingfisher Unit.\n\nThe Kingfisher Unit reablement beds will stay open "
        "for 18 months, met from the Better Care Fund until March 2019.",
        "18 months",
    ),
}
KINGFISHER = {
    "kingfisher_2017_01.txt": (
        "Health and Wellbeing Board. Discharge to assess.\n\nThe partners agreed the business case for "
        "the Kingfisher Unit reablement beds, including how much of the cost each partner will meet, and asked officers to "
        "report when the Kingfisher Unit beds are ready to open and how long they will be open for. The Kingfisher Unit "
        "will provide reablement and "
        "assessment beds for city and county patients leaving hospital."
    ),
}


@pytest.mark.slow  # index_of_texts builds with the real model
@pytest.mark.parametrize("figure", sorted(FIGURES))
def test_matches_that_never_give_the_figure_asked_are_no_answer(tmp_path, figure):
    from conftest import index_of_texts

    from boardpapers.commands.output import ask_obj, print_answer_text
    from boardpapers.index.answer import ask
    from boardpapers.index.search import search

    asked, stated, said = FIGURES[figure]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ix = index_of_texts(tmp_path / "a", KINGFISHER)
    assert search(ix, asked, k=3).matches >= 1  # the report is about the unit: a match for search
    out = ask(ix, asked)
    assert out["abstained"] and out["unstated"] == figure and not out["citations"]
    assert "none of the passages that match says" in out["answer"]
    assert out["related"] and all(h["match"] == "strong" for h in out["related"])  # shown as the matches they are
    assert ask_obj(out)["unstated"] == figure
    import io

    text = io.StringIO()
    print_answer_text(out, text)
    assert "about the subject; none says" in text.getvalue() and "not matches" not in text.getvalue()
    ix = index_of_texts(tmp_path / "b", {**KINGFISHER, "kingfisher_2017_03.txt": stated})
    out = ask(ix, asked)
    assert not out["abstained"] and said in out["answer"]


COMPLAINTS = {
    "cabinet_2025_03_04.txt": (
        "Cabinet, 4 March 2025. Quarterly Performance Report.\n\n"
        "Customer feedback. The number of complaints received by the council fell over the last year. Most complaints "
        "were received by the Growth, Environment and Transport Directorate, who responded to 90% of them within "
        "timescale. Complaints typically decline in the third quarter, and the level of complaints this quarter is "
        "comparable to previous years.\n\n"
        "Complaints received\nService 2023 2024\nHighways and Transportation 2,902 2,355\nAdult Social Services 969 1,066\n"
        "Total Complaints 5,647 5,416\n\nContact Point received 19% fewer calls than the previous quarter."
    ),
    "cabinet_2025_01_30.txt": (
        "Cabinet, 30 January 2025. Commissioning Plan for Education Provision.\n\nThe plan sets out how the council "
        "will provide enough school places. Additional provision will be secured by expanding existing schools and "
        "opening new ones. Cabinet agreed the plan."
    ),
}


@pytest.mark.slow  # index_of_texts builds with the real model
def test_a_count_only_a_table_row_states_is_quoted_with_its_column_heads(tmp_path, monkeypatch):
    from conftest import index_of_texts

    import boardpapers.index.answer as answer

    ix = index_of_texts(tmp_path, COMPLAINTS)
    question = "number of complaints received by the council in 2024"
    out = answer.ask(ix, question)
    assert not out["abstained"]
    assert out["answer"].split(" [1]")[0].endswith("Total Complaints: 5,647 (2023); 5,416 (2024)")  # the row leads, heads shown
    assert out["citations"][0]["meeting_date"] == "2025-03-04"
    # without the row, the sentences about complaints give no count: ask would say none of them does
    monkeypatch.setattr(answer, "stated_elsewhere", lambda *a: None)
    out = answer.ask(ix, question)
    assert out["abstained"] and out["unstated"] == "count"


def test_a_figure_answers_only_when_said_of_something_the_question_names():
    from boardpapers.index.unnamed import figure_of_named

    question = "When does the consultation on EV charging in Otter Street close?"
    updates = {"text": "Cabinet Member updates. Family Hub awareness survey - closes 31st March 2025.", "title": "Minutes"}
    assert not figure_of_named(question, updates, len(updates["text"]))  # a date of something else
    street = {"text": "Otter Street EV charging. The consultation closes on 14 February 2025.", "title": "Minutes"}
    assert figure_of_named(question, street, len(street["text"]))  # named before the sentence, in its passage
    later = {"text": "The consultation closes on 14 February 2025. Otter Street is next.", "title": "Minutes"}
    assert not figure_of_named(question, later, later["text"].index(" Otter"))  # only after it: another thing
    titled = {"text": "The consultation closes on 14 February 2025.", "title": "Otter Street EV charging"}
    assert figure_of_named(question, titled, len(titled["text"]))  # the paper's title names it
    assert figure_of_named("when does the ev charging consultation close", updates, 10)  # it names nothing


DISTRICTS = {
    "hwb_2017_09_21.txt": (
        "Health and Wellbeing Board, 21 September 2017. Better Care Fund Plan.\n\n"
        "Disabled Facilities Grant allocations 2017/18. The BCF policy framework requires upper tier authorities to "
        "passport the Disabled Facilities Grant (DFG) allocation in full to each District Council, which decides how "
        "much grant each disabled resident gets for adaptations. Releasing the DFG monies held back in 2016/17 places a "
        "£1m recurrent pressure on the 2017/18 BCF. The Family Hub awareness survey closes on 31 March "
        "2018.\n\nThe Disabled Facilities Grant allocations for each District Council are -\n2017/18 2018/19\n"
        "Blaby £499,481 £542,165\n"
        "Charnwood £846,293 £920,160\nMelton £259,427 £281,543\nHarborough £385,744 £418,476\n"
    ),
    "hwb_2017_07_20.txt": (
        "Health and Wellbeing Board, 20 July 2017. Unified Prevention Board.\n\nThe Board approved the strategic "
        "direction of the Unified Prevention Board and the outcomes it will report on. Members asked that the social "
        "prescribing offer be explained to GP practices across the county."
    ),
}


@pytest.mark.slow  # index_of_texts builds with the real model
def test_a_figure_said_of_other_things_is_no_answer_but_a_row_naming_the_thing_is(tmp_path):
    from conftest import index_of_texts

    from boardpapers.index.answer import ask

    ix = index_of_texts(tmp_path, DISTRICTS)
    out = ask(ix, "How much disabled facilities grant money does Melton get in 2017/18?")
    assert not out["abstained"]
    assert out["answer"].split(" [1]")[0].endswith("Melton: £259,427 (2017/18); £281,543 (2018/19)")  # its own row
    out = ask(ix, "How much disabled facilities grant money does Rutland get in 2017/18?")
    assert out["abstained"]  # not a district of the table: no figure is Rutland's
    out = ask(ix, "When does the disabled facilities grant consultation in Melton close?")
    assert out["abstained"] and out["unstated"] == "date" and "says when for “Melton”; they say it of other things" in out["answer"]


def test_a_figure_in_a_row_naming_what_the_chosen_sentences_leave_out_leads():
    """Leicester's public health budget report (corpus pack 000): the sentence that best answers comes from a passage
    that never says "Checks"; a row of the budget table, in another strong match, states the figure and names them."""
    from boardpapers.index.answer import half_answered

    prose = "6.8 The budget ceiling of the division has been reduced by £0.7m in 2017/18 for cuts to the public health grant."
    table = "2.3 City Public Health Sexual Health 4,390.6 0.0 0.0 4,390.6 NHS Health Checks 521.0 0.0 0.0 521.0"
    council = "Leicester City Council"
    hits = [{"text": prose, "council": council, "match": "strong"}, {"text": table, "council": council, "match": "strong"}]
    said = {"hit": 0, "start": 0, "end": len(prose), "quote": prose, "table": False, "lead": True}
    row = {"hit": 1, "start": 0, "end": len(table), "quote": table, "table": True}
    chosen = [said]
    question = "Leicester city public health budget 2017/18 - how much for NHS Health Checks?"
    assert half_answered(None, question, chosen, [said, row], hits, None, {}) is None  # no abstention
    assert chosen[0]["quote"] == table and chosen[0]["lead"] and not chosen[1]["lead"]  # the row leads


@pytest.mark.parametrize(
    "query, thing",
    [
        ("Thanet Parkway station passenger numbers since it opened", ("passenger", "passenger numbers")),
        ("A229 Bluebell Hill junction upgrade total cost", ("upgrade", "upgrade total cost")),  # 'total' says which
        ("citizenship ceremonies Kent Q3 2024/25 numbers", ("ceremonies", "ceremonies Kent Q3 2024/25 numbers")),
        ("Solar Together Kent number of installations", None),  # the thing follows 'of'
        ("BCF section 75 agreement - extended? deadline for sign off", None),  # nothing before it in its clause
        ("How much is the Kent fostering allowance?", None),  # asking words: the names and the judge say what of
    ],
)
def test_the_thing_a_query_typed_as_a_noun_phrase_asks_the_figure_of(query, thing):
    from boardpapers.index.asking import figure_thing

    assert figure_thing(query) == thing


def test_a_figure_of_another_thing_than_the_head_noun_says_is_no_answer():
    """'weekly fostering allowance rates Kent 2025' is not answered by a council tax rise of 31 pence a week; a table
    row under the column head 'Indicative implementation date' does answer 'Countesthorpe community library
    implementation date'."""
    from types import SimpleNamespace

    from boardpapers.index.answer import half_answered
    from boardpapers.index.unnamed import of_thing

    tax = "Each 1% increase in the Council Tax rate generates £9.5m, an extra 31 pence per week for a band D property."
    hits = [{"text": tax, "council": "Kent County Council", "match": "strong"}]
    said = {"hit": 0, "start": 0, "end": len(tax), "quote": tax, "table": False, "lead": True}
    out: dict = {}
    res = SimpleNamespace(strong=hits, hits=hits)
    assert half_answered(None, "weekly fostering allowance rates Kent 2025", [said], [said], hits, res, out) is not None
    assert out["unstated"] == "amount" and "how much for “fostering allowance rates”;" in out["answer"]  # not “Kent”: it is held
    table = "Library Current status Indicative implementation date\nAnstey Transition plan October 2015\nCountesthorpe Transition plan August 2015"
    query = "Countesthorpe community library implementation date"
    assert of_thing(query, {"text": table}, len(table))  # the column heads above the row hold it
    assert not of_thing(query, {"text": "Countesthorpe library opened in August 2015."}, 45)
    # a running sentence holds the thing itself; a list line takes it from the lines over it, up to running text
    text = "The medium term financial plan was agreed in the spring after a long consultation with every school.\n"
    bullet = "• Strategy for the Future of Education in Kent 2025-2030 (Due for publication in 2025)"
    assert not of_thing("Kent school term dates 2025/26", {"text": text + bullet}, len(text + bullet), start=len(text), row=True)
    lines = "Library Current status Indicative implementation date\nCountesthorpe Transition plan August 2015"
    assert of_thing(query, {"text": text + lines}, len(text + lines), start=len(text) + 54, row=True)  # heads over a row
