"""A question that asks for a figure ("how many", "how much", "when will", "what percentage") is answered only when a
passage that matches states it; matches that are about the subject but never give the figure are shown as such, and
``ask`` abstains (index/facts.py ``asked_figure``, index/answer.py)."""

from __future__ import annotations

import pytest

from boardpapers.index.facts import asked_figure, states, states_asked, states_figure


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
        ("What are the cost pressures in adult social care?", None),
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
    assert not states_figure("date", "When will Eurostar stop at Ashford?", "Planning applications fell in Quarter 3.", table=False)
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
}
KINGFISHER = {
    "kingfisher_2017_01.txt": (
        "Health and Wellbeing Board. Discharge to assess.\n\nThe partners agreed the business case for "
        "the Kingfisher Unit reablement beds, including how much of the cost each partner will meet, and asked officers to "
        "report when the Kingfisher Unit beds are ready to open. The Kingfisher Unit will provide reablement and "
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
