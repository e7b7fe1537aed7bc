"""The text listings of search and trace show the part of a passage where the query's words are (index/excerpt.py)."""

from __future__ import annotations

import pytest
from conftest import build_index

from boardpapers import cli
from boardpapers.index.excerpt import excerpt

# Leicester City Health and Wellbeing Board, minute 31 (10 October 2016), as the demo corpus holds it: the delays
# in the transfer of care are its last line
MINUTE = (
    "The drop in the England average was 4.3% with Leicester experiencing a 4.9% drop. Leicester also continued to "
    "under-perform against both the England and our comparator averages. Work continued with Public Health England "
    "and National Health England to understand the issues and to consider proposals to address them.\n"
    "Following comments from Members it was noted:-\n - a) The improvements in oral health in children under 5 years "
    "old was included within the strategy and significant improvements had been made in the last 3 years.\n"
    "- b) The Council was now performing well nationally in relation to reducing\n the delays in the transfer of care "
    "from hospital to social care."
)
FLAT = " ".join(MINUTE.split())


def test_the_excerpt_holds_the_query_terms_even_at_the_end_of_a_passage():
    e = excerpt(MINUTE, "delayed transfers of care", 300)
    assert len(e) <= 300 and e.startswith("…") and not e.endswith("…")
    assert "reducing the delays in the transfer of care from hospital to social care." in e  # stemmed terms found
    assert e.strip("…") in FLAT  # verbatim, whitespace folded
    assert FLAT[:300] != e and "4.3%" not in e  # not the first lines


def test_the_excerpt_and_the_highlights_find_the_papers_word_for_the_query_word():
    """ "cuts" is written "savings" or "reduction" in the papers, "adviser" "advisor" (index/wording.py): the excerpt
    opens where they are, and the app marks them."""
    from boardpapers.ui.text import highlight, query_terms

    text = "Background. " + "The plan was noted. " * 30 + "The annual savings from the community libraries were met."
    e = excerpt(text, "library cuts", 120)
    assert "annual savings from the community libraries" in e
    marked = highlight("A 20% reduction and annual savings; our treasury advisor said so.", query_terms("cuts adviser"))
    assert marked.count("<mark>") == 3 and "<mark>reduction</mark>" in marked and "<mark>savings</mark>" in marked
    assert "<mark>advisor</mark>" in marked


def test_the_papers_phrase_for_a_query_phrase_is_highlighted():
    """A term of art or a quarter is read from the query as written: "of" and the dash are part of the phrase."""
    from boardpapers.ui.text import highlight, query_terms

    marked = highlight("Delayed discharges rose in Quarter 3.", query_terms("delayed transfers of care Oct-Dec"))
    assert "<mark>discharges</mark>" in marked and "<mark>Quarter</mark>" in marked


def test_what_the_results_say_the_query_was_expanded_with_is_highlighted():
    """A passage found by an acronym's long form ("query expanded: LDR = Local Digital Roadmap") shows the long form
    marked; a note that is no expansion ("also judged by aspect: ...") marks nothing."""
    from boardpapers.ui.text import highlight, query_terms

    text = "Submit a report on the Local Digital Roadmap to a future meeting of the Board."
    marked = highlight(text, query_terms("LDR - when?", ["query expanded: LDR = Local Digital Roadmap"]))
    assert "<mark>Local Digital Roadmap</mark>" in marked
    assert "<mark>" not in highlight(text, query_terms("LDR - when?", ["also judged by aspect: future meeting; a Board"]))


def test_the_excerpt_begins_at_a_sentence_and_prefers_the_tightest_cluster_of_terms():
    e = excerpt(MINUTE, "oral health children", 300)
    assert "oral health in children under 5" in e
    # "Health" alone is in the third sentence already; the window starts where all three are together, moved back to
    # the start of a sentence while they stay in view
    assert e.startswith("…Following comments from Members") and e.endswith("…")


def test_no_query_term_or_a_short_passage_shows_the_start():
    e = excerpt(MINUTE, "zebra crossings", 300)
    assert e.startswith("The drop in the England average") and e.endswith("…") and len(e) <= 300
    assert excerpt("Short passage.", "anything", 300) == "Short passage."
    assert excerpt(MINUTE, "", 120).startswith("The drop")


@pytest.mark.slow  # builds an index with the real model
def test_search_and_trace_listings_show_the_matching_lines(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "hwb_2016_10.txt").write_text(
        "Minutes of a meeting of the Health and Wellbeing Board held at City Hall on Monday, 10 October 2016.\n\n"
        f"31. Joint Health and Wellbeing Strategy.\n\n{MINUTE}\n",
        encoding="utf-8",
    )
    build_index([src], tmp_path / "idx")
    assert cli.main(["search", "delayed transfers of care", "--index", str(tmp_path / "idx"), "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "delays in the transfer of care from hospital" in out and "…" in out
    assert cli.main(["trace", "delayed transfers of care", "--index", str(tmp_path / "idx")]) == 0
    out = capsys.readouterr().out
    assert "2016-10-10" in out and "delays in the transfer of care from hospital" in out
