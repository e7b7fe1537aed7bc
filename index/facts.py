"""Fact questions: the kind of fact a question asks for, the sentences that state one, table rows shown with their
column heads and unit, and whose figure it is.

"How much was the Better Care Fund pooled budget?" is answered by a sentence that states an amount ("a pooled budget
totalling £52m"), said as the council's, plan's and year's figure; a bare table row ("Total BCF Funding 52,120
55,993") is shown with the heads of its columns ("2017/18, £000") found above it in the passage or the one before, and
only leads when no running sentence states the fact (index/answer.py, docs/ANSWERS.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from boardpapers.ingest.dates import date_words
from boardpapers.ingest.votes import TITLES

from .asking import counted_thing

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_NUM = r"[£$]?\(?-?\d[\d,]*(?:\.\d+)?\)?%?"
_CELL = rf"(?:{_NUM}|Nil|nil|N/A|n/a|-|–)"
_FEW = "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"

# (kind, what the question says, what a sentence stating that kind of fact holds); the first kind the question names
KINDS: list[tuple[str, re.Pattern, re.Pattern]] = [
    (
        "percentage",
        re.compile(r"\b(?:percentage|proportion|per\s?cent|rate|share)\b|%", re.I),
        re.compile(r"\d\s?%|\bper\s?cent\b", re.I),
    ),
    (
        "amount",
        re.compile(
            r"\b(?:how much|cost\w*|budget\w*|spen[dt]\w*|fund(?:ing|ed)?|amount|savings?|saved?|price|value|worth|grant|allocat\w*|deficit|overspend|£)",
            re.I,
        ),
        re.compile(r"£\s?(?!['’]?000s?\b)\d|\b\d+(?:\.\d+)?\s?(?:m|bn|k|million|billion)\b|\b\d[\d,]*\s?pounds\b", re.I),
    ),
    (
        "count",
        re.compile(r"\b(?:how many|number of|count of)\b", re.I),
        # '29 of 36 communities', '122 personal health budgets', 'the number of providers (61' (not '... of referrals led to a
        # 24%'); not a paragraph number ('39 It is') or a range's end ('18-25 section'); a small count written in words, as
        # papers write them ('The Panel met on six occasions', 'the first two Mockingbird home hubs'; not a name's 'Five Year
        # Forward View')
        re.compile(
            r"\b\d{1,3}(?:,\d{3})+\b|(?<![\d/£.\-–])(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?\s+[a-z]"
            r"|\bnumber of\b[^.;\d]{1,60}?(?<![\d/£])(?!(?:19|20)\d\d\b)\d[\d,]*(?![\d,.]*\s?%)"
            rf"|\b(?i:{_FEW})\s+(?!(?:of|or|and|to|per)\b)[a-z]{{3,}}|\b(?:{_FEW})\s+[A-Z][a-z]{{2,}}"
        ),
    ),
    (
        "date",
        re.compile(r"^\s*when\b|\b(?:what|which)\s+(?:date|day|month|year)\b|\bby when\b|\bdeadline\b", re.I),
        re.compile(
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b|\b{_MONTH}\s+(?:19|20)\d\d\b|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b(?:in|by|from|until)\s+(?:19|20)\d\d\b"
        ),
    ),
    (
        "duration",  # how long: a length of time ('a six-week period', 'within 20 working days', 'for a minimum period of 18
        # months', '1 minute 7 seconds'), since when ('existed since 1889') or until when ('extended ... to 31 March 2026')
        re.compile(r"\bhow long\b", re.I),
        re.compile(
            rf"\b(?:\d+(?:\.\d+)?|an?|one|{_FEW}|eighteen|thirty|several|few)[\s-]+(?:working[\s-]+|calendar[\s-]+)?"
            r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b"
            rf"|\bsince\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{_MONTH}\s+)?(?:1[89]|20)\d\d\b"
            rf"|\b(?:until|till|to|up to|ending|ends|end|by)\s+(?:the\s+)?(?:end\s+of\s+)?(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}|(?:19|20)\d\d)\b",
            re.I,
        ),
    ),
    (
        "body",  # which committee, board or panel: a sentence naming one ('the ... Joint Health Scrutiny Committee', 'this Commission')
        re.compile(r"\bwhich (?:\w+ )?(?:body|committee|board|commission|panel|partnership|forum)\b", re.I),
        re.compile(
            r"\b(?:[A-Z][\w'’\-]*\s+(?:(?:and|of|for|&)\s+)?)+(?:Committee|Board|Commission|Panel|Partnership|Forum|Executive)\b"
            r"|\b(?:this|the) (?:Committee|Board|Commission|Panel)\b"
        ),
    ),
    (
        "name",
        re.compile(
            r"^\s*who\b|\b(?:whom|which (?:organisation|company|provider|officer|member|councillor)|name of|chair\w*|led by)\b", re.I
        ),
        re.compile(
            # a titled member ('Mr G Cooke'), a body of three or more capitalised words (not a sentence's opening 'The'), or a person
            # named in apposition or as the agent (', Jenny Myers,' 'chaired by Tony Crane')
            rf"\b{TITLES}\.?\s+[A-Z][\w'’\-]+|\b(?!The\b)[A-Z][a-z]+(?:\s+(?:of|and|for|&)?\s*[A-Z][a-z]+){{2,}}"
            r"|(?:,|\bby)\s+[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z'’\-]+\b(?!\s+[A-Z])"
        ),
    ),
]
FACT_KINDS = tuple(k for k, _, _ in KINDS)
ROW = re.compile(rf"^\s*(?P<label>.*?[A-Za-z)*].*?)\s+(?P<cells>{_CELL}(?:\s+{_CELL})+)\s*$")
_PERIOD = re.compile(r"\b(?:(?:19|20)\d\d\s?[/\-–]\s?\d{2,4}|(?:19|20)\d\d|Q[1-4]|Actual|Budget|Forecast|Outturn|Target|Variance|Plan)\b")
_UNIT = re.compile(r"£\s?['’]?000s?|£k\b|£m\b|£bn\b|\(%\)|%|\bNo\.?(?=\s|$)|\bFTE\b|\bnumbers?\b", re.I)
HEAD_LINES = 30  # how far above a row its column heads are looked for
_SENTENCE = re.compile(r"[a-z]{3,}[.!?](?:\s|$)")  # a sentence ends here: running text, not a row or a figure's labels


# what a question says it asks ('How many schools were in deficit?', 'Who has to approve spending from the reserve?',
# 'When did the council last overspend?'): its asking words decide before the words of its subject, which KINDS also
# reads ('deficit', 'budget', 'spending', the Better Care *Fund* say money; 'rate' says percentage); of two asked, the first
_NAMED = {kind: asks for kind, asks, _ in KINDS}
_ASKING: dict[str, re.Pattern] = {
    "percentage": re.compile(r"\b(?:what|which)\s+(?:percentage|proportion|share)\b", re.I),
    "amount": re.compile(r"\bhow much\b", re.I),
    "count": re.compile(r"\bhow many\b|(?<!\ba )\bnumber of\b", re.I),  # not 'a number of changes'
    "date": _NAMED["date"],
    "duration": _NAMED["duration"],
    "body": _NAMED["body"],
    "name": re.compile(r"^\s*who\b|\bwhom\b|\bname of\b", re.I),
}


def fact_kind(question: str) -> str | None:
    """The kind of fact asked for ('amount', 'percentage', 'count', 'date', 'body', 'name'), or None: the first the
    question asks in so many words (_ASKING), else the first kind its words name."""
    asked = [(m.start(), kind) for kind, rx in _ASKING.items() if (m := rx.search(question))]
    if asked:
        return min(asked)[1]
    for kind, asks, _ in KINDS:
        if asks.search(question):
            return kind
    return None


# what ``ask`` says no match states, and the heading of those matches (CLI and app)
UNSTATED = {"count": "how many", "amount": "how much", "percentage": "what share", "date": "when", "duration": "how long"}
UNSTATED_HEAD = "The passages that match — about the subject; none says {what}"
# a quantity named as money: 'how much' then asks for an amount in money, not a change in a rate or a count
_MONEY = re.compile(
    r"\b(?:money|cost\w*|pay\w*|paid|price\w*|worth|spen[dt]\w*|fund\w*|grants?|budget\w*|sav(?:e|ed|ing|ings)|fees?|fines?|charg\w*|income|raise[ds]?|£)",
    re.I,
)


# when something happens, said as papers say it besides a calendar date: 'within 10-14 days', 'in the autumn', 'by the
# end of March', 'during 2025-26', 'in 25-26' (a financial year written short), 'annually', 'later this year' (not 'in
# Quarter 3': a report's period, not when)
_WHEN = re.compile(
    rf"\b(?:within|after|before|every|each|by|from|until|in|during|at|over)\s+(?:the\s+)?(?:(?:first|next|last|coming|end of|start"
    rf" of|beginning of|middle of|\d+(?:\s?[-–]\s?\d+)?)\s+)?(?:days?|weeks?|months?|years?|spring|summer|autumn"
    rf"|winter|{_MONTH}|(?:19|20)\d\d)\b|\b(?:annually|quarterly|monthly|weekly|(?:later |early |next |this )(?:this )?(?:year|month|spring"
    rf"|summer|autumn|winter))\b|\b(?:in|by|from|until|during)\s+(?:the\s+)?(?:end of\s+)?[1-3]\d\s?[/\-–]\s?[1-3]\d\b(?!\s*(?:days?|weeks?|months?|years?)\b)",
    re.I,
)
# a share said in words: 'one in five', 'half of', 'two thirds of', 'a quarter of'
_SHARE = re.compile(
    r"\b(?:one|\d+) in (?:every )?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twenty|a hundred)\b"
    r"|\b(?:half|(?:a|one|two) thirds?|(?:a|one|three) quarters?|(?:a|one) fifth) of\b",
    re.I,
)
_CELLS_END = re.compile(rf"(?<!\S){_NUM}(?:\s+{_NUM})+\s*$")


def states_figure(kind: str, question: str, quote: str, table: bool) -> bool:
    """Does the sentence (or table row, ``table``) state the figure ``kind`` asked by ``question``? A table row of
    figures, or a line ending in two or more figures ('... Member accommodation in Invicta House 3,000 3,000'), may
    state an amount, count or share (its column heads say which); 'how much' that names no money asks for any
    quantity ('how much did it improve?': a percentage or a count answers it)."""
    row = (table and bool(re.search(r"\d", quote))) or bool(_CELLS_END.search(quote))
    said = {"date": _WHEN, "percentage": _SHARE}.get(kind)
    return states_asked(kind, question, quote) or (row and kind not in ("date", "duration")) or bool(said and said.search(quote))


def states_asked(kind: str | None, question: str, quote: str) -> bool:
    """Does the sentence state the kind of fact ``question`` asks? As ``states``, but 'how much' naming no money asks
    for any quantity: 'how much is the council putting council tax up by' is answered by '4.99%'."""
    if states(kind, quote, question):
        return True
    quantity = kind == "amount" and bool(_ASKING["amount"].search(question)) and not _MONEY.search(question)
    return quantity and (states("percentage", quote) or states("count", quote, question))


def states(kind: str | None, quote: str, question: str = "") -> bool:
    """Does the sentence state a fact of ``kind``? A count is of things (``counts``)."""
    for k, _, holds in KINDS:
        if k == kind:
            return any(counts(m, quote, question) for m in holds.finditer(quote)) if k == "count" else bool(holds.search(quote))
    return False


# what a number is when it is no count of things: money ('£1,408.15'), a label ('Year 4 funding', 'Level 3 sanction',
# 'Appendix 2 sets out'), a rate's base ('per 1,000 people', 'one in four people') -- and a length of time or a measure
# ('over the last 14 years', 'due to run for eight weeks', 'two million miles'), unless the question counts in that unit
_NOT_COUNTED_BEFORE = re.compile(
    r"(?:[£$]|\b(?:Year|Quarter|Phase|Stage|Level|Tier|Band|Section|Schedule|Appendix|Annex|Paragraph|Para|Table|Figure|Item"
    r"|Minute|Option|Priority|Round|Tranche|Wave|Part|Step|Chapter|Clause|Article|Regulation|Pages?|Version|Grade|Category"
    r"|per|(?:one|\d+)\s+in(?:\s+every)?)\.?\s+)$",
    re.I,
)
_UNITS = (
    r"(?:days?|weeks?|months?|years?|hours?|minutes?|decades?|miles?|metres?|meters?|km|kilometres?|acres?|hectares?|tonnes?"
    r"|tons?|MW|kW|GW|MWh|kWh)"
)
_UNIT_AFTER = re.compile(
    rf"^(?:\s*(?:[-–]|to)\s*[\d,.]+)?[\s\-–]*(?:(?:million|thousand|hundred|more|fewer|additional|further|extra)\s+)?({_UNITS})\b", re.I
)


def counts(m: re.Match, quote: str, question: str) -> bool:
    """Is the number the count pattern matched at ``m`` a count of things (see _NOT_COUNTED_BEFORE)?"""
    nums = list(re.finditer(r"\d[\d,.]*", m.group(0))) or list(re.finditer(r"[A-Za-z]+", m.group(0)))[:1]
    num = nums[-1] if m.group(0).lower().startswith("number") else nums[0]
    at = m.start() + num.start()
    if _NOT_COUNTED_BEFORE.search(quote[max(0, at - 24) : at]):
        return False
    end = m.start() + num.end()
    unit = _UNIT_AFTER.match(quote[end : end + 40])
    return not unit or bool(re.search(rf"\b{unit.group(1)[:4]}", question, re.I))


_UNIT_KIND = {"amount": re.compile(r"£"), "percentage": re.compile(r"%"), "count": re.compile(r"No\b|number|FTE", re.I)}


def unit_states(kind: str | None, unit: str | None) -> bool:
    """Does a table row whose column unit is ``unit`` ('£000', '%') state a fact of ``kind``?"""
    rx = _UNIT_KIND.get(kind or "")
    return bool(rx and unit and rx.search(unit))


def row_lines(quote: str) -> list[tuple[int, int]]:
    """(start, end) within ``quote`` of its lines that are table rows (a label followed by two or more cells)."""
    out, pos = [], 0
    for line in quote.split("\n"):
        if ROW.match(line) and len(re.findall(r"[A-Za-z]{3,}", line)) <= 12:
            lead = len(line) - len(line.lstrip())
            out.append((pos + lead, pos + len(line.rstrip())))
        pos += len(line) + 1
    return out


def running_text(quote: str) -> bool:
    """Does a sentence end in ``quote`` (running text), or is it a row, a list line or a label?"""
    return bool(_SENTENCE.search(quote))


def is_table_row(quote: str) -> bool:
    """A table fragment rather than running text: every line of it is a row, or it is mostly rows."""
    lines = [x for x in quote.split("\n") if x.strip()]
    rows = row_lines(quote)
    return bool(rows) and len(rows) * 2 >= len(lines) and not _SENTENCE.search(quote)


_CELL_RUN = re.compile(rf"(?<!\S){_NUM}(?:\s+{_NUM}){{2,}}(?!\S)")


def tabular(quote: str) -> bool:
    """Table text that is not cut into rows: no sentence ends in it, and it holds a row among wrapped label lines or a
    run of three or more cells ('Valve Agreement with DfE 0.0 -14,600.0 -11,100.0 Borrowing costs') -- it holds the
    question's words as row labels, not a statement of the fact."""
    if _SENTENCE.search(quote):
        return False
    return bool(_CELL_RUN.search(quote)) or ("\n" in quote.strip() and bool(row_lines(quote)))


def prose_line(line: str) -> bool:
    """A line of running text: ten words or more, where a table's heads or a row's label are fewer."""
    return len(re.findall(r"[A-Za-z]{2,}", line)) >= 10


def table_heads(above: str, cells: int) -> tuple[list[str], str | None]:
    """The column heads (one per cell) and the unit of a table row, from the text ``above`` it: the nearest lines over
    the row that name periods ('2017/18', 'Q1', 'Budget') or units ('£000', '%'). ([], None) when none are found."""
    lines = above.split("\n")[-HEAD_LINES:]
    block: list[str] = []
    for line in reversed(lines):
        row = ROW.match(line)  # a head line may read as a row: 'Service 2023 2024' (its cells are all periods)
        head = bool(_PERIOD.search(line) or _UNIT.search(line)) and (
            not row or all(_PERIOD.fullmatch(c) for c in row.group("cells").split())
        )
        if head:
            block.insert(0, line)
        elif block or prose_line(line):
            break  # the heads end here, or running text comes before any: the row's table has none above it
    if not block:
        return [], None
    text = " ".join(block)
    periods = [" ".join(m.group(0).split()) for m in _PERIOD.finditer(text)]
    units = {" ".join(m.group(0).split()) for m in _UNIT.finditer(text)}
    unit = units.pop() if len(units) == 1 else None
    heads = periods[-cells:] if len(periods) >= cells else []
    return heads, unit


def show_row(row: str, heads: list[str], unit: str | None) -> str:
    """'Total BCF Funding: £52,120 (2017/18, £000); £55,993 (2018/19, £000)' -- a row with its heads and unit."""
    m = ROW.match(row)
    if m is None or (not heads and not unit):
        return " ".join(row.split())
    cells = m.group("cells").split()
    label = " ".join(m.group("label").split())
    if heads and len(heads) == len(cells):
        shown = [f"{c} ({', '.join(x for x in (h, unit) if x)})" for c, h in zip(cells, heads)]
    else:
        shown = [f"{c} ({unit})" if unit else c for c in cells]
    return f"{label}: " + "; ".join(shown)


def owner(hit: dict) -> str:
    """Whose figure it is: 'Leicestershire County Council, Better Care Fund Plan 2017/18 – 2018/19 (Health and
    Wellbeing Board, 21 September 2017)' from the passage's citation fields."""
    what = hit.get("item") or hit.get("title")
    when = date_words(hit.get("meeting_date")) or hit.get("meeting_date")
    where = ", ".join(str(x) for x in (hit.get("body"), when) if x)
    head = ", ".join(str(x) for x in (hit.get("council"), what) if x)
    return head + (f" ({where})" if where else "") if head else where


def said_naming(cands: list[dict], figure: str, question: str, naming: Callable[[dict], bool]) -> dict | None:
    """The best scored of ``cands`` (sentence candidates) that states ``figure`` and is ``naming`` what ``question`` asks
    about (index/answer.py: the figure of the thing named)."""
    return next((c for c in cands if states_figure(figure, question, c["quote"], c["table"]) and naming(c)), None)


def stated_elsewhere(question: str, figure: str | None, cands: list[dict]) -> dict | None:
    """For a count the sentences chosen do not state: a table row or figure among the candidates (strong matches only;
    no sentence ends in it) that states a count and names the thing counted ('Total Complaints 5,647 5,416 1,512 1,047'
    for 'how many complaints ...'), holding most of the words that say which ('SEND ... 530 permanent places' before
    'Year R places'), the best scored of those; else None. A row is short and its words are few, so it scores below
    running text about the subject that gives no count; a sentence that does give one scores well, so one far down is
    about something else."""
    thing = counted_thing(question) if figure == "count" else None
    if thing is None:
        return None
    head, phrase = _words(thing[0]), _words(thing[1])
    fit = [
        (len(phrase & w), -i, c)
        for i, c in enumerate(cands)
        if c.get("fact") and not _SENTENCE.search(c["quote"]) and head <= (w := _words(c["quote"]))
    ]
    return max(fit, key=lambda f: f[:2])[2] if head and fit else None


def _words(text: str) -> set[str]:
    """Lower-case words, a plural's 's' dropped: 'Complaints' and 'complaint' alike."""
    return {re.sub(r"(?<=[a-z]{3})s$", "", w) for w in re.findall(r"[a-z]+", text.lower().replace("'s", ""))}
