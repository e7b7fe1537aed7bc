"""How `ask` quotes a recorded decision (index/recordanswer.py): whole, or cut between clauses, never within one."""

from boardpapers.index.recordanswer import RESOLUTION_CHARS, compose_decision, whole_clauses

# the shape of a County Council resolution: numbered clauses, the last ones often the conditions and delegations
CLAUSES = [
    "(1) Endorses the ongoing joint work between the Council, its neighbouring unitary council and the district and "
    "borough council leaders to respond to the White Paper",
    "(2) Endorses the proposed decision by the Leader of the Council to submit a request to Government, jointly with "
    "the neighbouring council, to be included in the Devolution Priority Programme",
    "(3) Notes that acceptance onto the Programme will commit the area to elections to a new Mayoral Strategic "
    "Authority in May 2026 and implementation of local government reorganisation by April 2028",
    "(4) Notes that acceptance onto the Programme may lead to the County Council elections scheduled for May 2025 "
    "being postponed subject to ministerial decision",
    "(5) Expects there to be as much transparency as possible in this process.",
]


def test_a_resolution_that_fits_is_quoted_whole():
    text = "RESOLVED that the County Council: " + " ".join(CLAUSES)
    assert len(text) <= RESOLUTION_CHARS
    assert whole_clauses(text) == text
    said = compose_decision({"resolution": text, "body": "County Council", "meeting_date": "2025-01-09", "minute_number": "285"})
    assert said.startswith("On 9 January 2025 the County Council resolved (minute 285): that the County Council: (1)")
    assert said.endswith("(5) Expects there to be as much transparency as possible in this process.")


def test_a_long_resolution_is_cut_between_clauses():
    text = "RESOLVED that the County Council: " + " ".join(CLAUSES * 3)
    assert len(text) > RESOLUTION_CHARS
    out = whole_clauses(text)
    assert len(out) <= RESOLUTION_CHARS + 2 and out.endswith(" …")
    kept = out[: -len(" …")]
    # every clause quoted is quoted to its end
    assert any(kept.endswith(c) for c in CLAUSES), kept[-120:]
    assert text.startswith(kept)


def test_lettered_and_dotted_clauses_are_clause_starts_too():
    clauses = [
        f"{m} To DELEGATE authority to the Corporate Director of service {i} " + "to take relevant actions " * 12
        for i, m in enumerate("abcdefgh")
    ]
    lettered = "Decision: Cabinet propose to: " + " ".join(c.replace(c[0], c[0] + ")", 1) for c in clauses)
    out = whole_clauses(lettered, limit=900)
    assert out.endswith("actions …") and out[: -len(" …")] in lettered
    nxt = lettered[len(out) - len(" …") :]
    assert nxt.lstrip().split(" ", 1)[0] in {f"{m})" for m in "abcdefgh"}


def test_one_clause_longer_than_the_limit_is_cut_at_a_word():
    text = "RESOLVED that " + "the report on the council's budget be noted and " * 60
    out = whole_clauses(text, limit=500)
    assert out.endswith(" …") and len(out) <= 502
    assert text.startswith(out[: -len(" …")]) and text[len(out) - len(" …")] == " "
