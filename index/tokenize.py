"""Tokenizer for BM25 over council board papers.

``tokenize(text) -> list[str]`` turns text into index terms.  Documents and
queries MUST go through the same function (``tokenize_query`` is currently an
alias kept as a separate name so query-side expansion can be added later).

Pipeline
--------
1. Text is coerced to ``str`` (``None`` -> ``[]``, ``bytes`` decoded as UTF-8
   with replacement), NFKC-normalised (ligatures "ﬁ" -> "fi", full-width digits
   -> ASCII, non-breaking spaces -> spaces) and case-folded (``str.casefold``,
   so "ß" -> "ss").  Typographic apostrophes (’ ‘ ʼ ′) become ``'``, Unicode
   hyphens (‐ ‑) become ``-``, and invisible format characters that PDF
   extraction leaves inside words (soft hyphen, zero-width space/joiners,
   BOM) are deleted.
2. One regular expression finds raw tokens: number forms first, then words.
   Each distinct raw token is analysed once and the result cached, so
   throughput is dominated by the regex scan (see ``bench.bm25_bench``).

Number forms (never stemmed, never stop-worded)
-----------------------------------------------
* thousands commas are dropped: "1,408" -> "1408", "£1,408.15" -> "£1408.15".
  Only well-formed groups of three digits count ("1,2,3" stays 1 / 2 / 3).
* slash forms are one token: "2017/18", "2020/21", "12/03/2019".
* financial-year ranges are canonicalised to the slash form: "2019-20",
  "2019–20" and "2019/2020" all -> "2019/20" (the 4-digit end is shortened
  only when it is the following year; "2020-2025" -> "2020/2025").
* magnitudes are glued on and normalised ("million" -> "m", "billion" ->
  "bn"): "£4m" and "£4 million" -> "£4m"; "4 million" -> "4m"; "£30.8m",
  "£450m", "£1.2bn" (also "£1.2 bn"), "£500k".  The words may be separated
  by one space; a bare "m"/"k" must touch the number ("4 m" is "4", "m").
* "3.5%", "3.5 per cent", "3.5 percent" -> "3.5%";  "18+" -> "18+".
* DECORATED FORMS ALSO EMIT THE BARE NUMBER: a token with a currency symbol
  (£ $ €) or a %/+ suffix emits the decorated form followed by the bare form
  (currency and %/+ removed, magnitude kept): "£4m" -> ["£4m", "4m"],
  "3.5%" -> ["3.5%", "3.5"], "18+" -> ["18+", "18"], "£1,408.15" ->
  ["£1408.15", "1408.15"].  So a query "4m" matches text "£4m", and a query
  "£4m" (which also yields "4m") ranks "£4m" passages above ones that only
  say "4m", because they match the rarer decorated term as well.  A bare
  "4" does not match "£4m" (the magnitude is part of the meaning).

Words
-----
* A word is a run of letters/digits (any script) with internal apostrophes
  and hyphens.  Underscores and other punctuation separate words.
* Apostrophes: clitics are dropped ("council's" -> "council", "we're" ->
  "we", "members'" -> "member"); "n't" becomes a separate "not" so negation
  survives ("don't" -> "not", "isn't" -> "not"; the base is kept when it is
  not a stopword, "needn't" -> "need", "not"); other apostrophes are
  deleted ("o'clock" -> "oclock").
* Hyphens: the parts are emitted (each subject to stopwords/stemming) AND
  the joined form: "well-being" -> "well", "wellb" ("being" is a stopword;
  "wellb" is the stem of "wellbeing"), so "Well-being" matches "Wellbeing";
  "co-ordinate" -> "co", "ordin", "coordin" matches "coordinate";
  "covid-19" -> "covid", "19", "covid19".  The joined form is not emitted
  twice when it equals a part.
* Stopwords (``STOPWORDS``, an explicit English list close to NLTK's, ~150
  words) are removed on the case-folded surface form before stemming.
  Negations and words with meaning in council papers are deliberately NOT
  stopwords: "not", "no", "nor", "against", "without", "may" (the month),
  "over"/"under", "first"/"last", "bill", "fire", "interest", "system",
  "part", "full" (sklearn's list removes the latter group).  Modal verbs
  ("will", "would", "should", "can") ARE stopwords.
* Purely alphabetic words are stemmed with Snowball English
  (``snowballstemmer``): "meetings" -> "meet", "councils" -> "council".
  Acronyms are stemmed like any word after case folding ("CAMHS" and
  "camhs" -> "camh", "DTOC" -> "dtoc"); this keeps matching
  case-insensitive and identical on both sides, which matters more than
  readable terms.  Words containing digits ("covid19", "m62", "4km",
  "1st") are kept as they are.

Limits
------
* Output tokens longer than ``MAX_TOKEN_LEN`` (64) characters are dropped,
  not truncated (a truncated token would create false matches).
* Never raises on any ``str`` (control characters, lone surrogates, 1 MB
  inputs): lone surrogates are never part of a token because the token
  regex only matches letters and digits.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import snowballstemmer

__all__ = ["STOPWORDS", "MAX_TOKEN_LEN", "tokenize", "tokenize_query"]

MAX_TOKEN_LEN = 64

# English stopwords: NLTK's list without the negations and contractions,
# plus a few function words frequent in formal prose.  Deliberately kept
# OUT: "not", "no", "nor", "against", "without", "may" (the month),
# "over"/"under" (age limits: "over 65s"), "first"/"last", numbers,
# "bill", "fire", "interest", "system", "part", "full" (sklearn's list
# removes those, which hurts council papers).
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again all also am an and any are as at
    be because been before being below between both but by
    can could
    d did do does doing down during
    each eg etc
    few for from further
    had has have having he her here hers herself him himself his how however
    i ie if in into is it its itself
    just
    ll
    m me might more most must my myself
    now
    o of off on once only or other ought our ours ourselves out own
    re
    s same shall she should so some such
    t than that the their theirs them themselves then there therefore
    these they this those through thus to too
    until up upon us
    ve very via
    was we were what when where whereas which while whilst who whom whose
    why will with would
    y you your yours yourself yourselves
    """.split()
)

_CLITICS = frozenset({"s", "re", "ve", "ll", "d", "m"})
_NEG_BASES = {"ca": "can", "wo": "will", "sha": "shall"}

# Character clean-up applied after NFKC + casefold.
_TRANSLATE = {
    0x2019: "'",
    0x2018: "'",
    0x02BC: "'",
    0x2032: "'",
    0x0060: "'",
    0x2010: "-",
    0x2011: "-",
    0x00AD: None,
    0x200B: None,
    0x200C: None,
    0x200D: None,
    0x2060: None,
    0xFEFF: None,
}

_B = r"(?<![^\W_])"  # not preceded by a letter/digit
_E = r"(?![^\W_])"  # not followed by a letter/digit
_NUM = r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
_MAG = r"(?:\s?(?:million|billion|bn)|m|k)"
_SUF = r"(?:%|\s?per\s?cent|\+)"
_WORD = r"[^\W_]+(?:'[^\W_]+)*(?:-[^\W_]+(?:'[^\W_]+)*)*"

_TOKEN_RE = re.compile(
    rf"{_B}\d+(?:/\d+)+{_E}"  # 2017/18, 12/03/2019
    rf"|{_B}(?:19|20)\d\d[-–](?:\d{{4}}|\d\d){_E}"  # 2019-20, 2019–2020
    rf"|{_B}[£$€]?{_NUM}{_MAG}?{_SUF}?{_E}"  # £1,408.15 £4m 3.5% 18+
    rf"|{_WORD}"
)

_SLASH_RE = re.compile(r"\d+(?:/\d+)+")
_YRANGE_RE = re.compile(r"((?:19|20)\d\d)[-–](\d{4}|\d\d)")
_NUMBER_RE = re.compile(rf"(?P<cur>[£$€]?)(?P<num>{_NUM})(?P<mag>{_MAG}?)(?P<suf>{_SUF}?)")
_MAG_NORM = {"million": "m", "billion": "bn", "bn": "bn", "m": "m", "k": "k", "": ""}

_stemmer = snowballstemmer.stemmer("english")
_stem_lock = threading.Lock()  # the pure-Python stemmer object is stateful

_CACHE_MAX = 500_000
_CACHE_RAW_MAX = 256  # raw tokens longer than this are not cached
_cache: dict[str, tuple[str, ...]] = {}


def clear_cache() -> None:
    """Forget the analysed raw tokens (benchmarks time a cold tokenizer this way)."""
    _cache.clear()


def _stem(word: str) -> str:
    if not word.isalpha():
        return word
    try:
        with _stem_lock:
            return _stemmer.stemWord(word)
    except Exception:  # pragma: no cover - defensive: never fail on odd text
        return word


def _year_range(a: str, b: str) -> str:
    if len(b) == 4 and b.isascii() and a.isascii() and int(b) == int(a) + 1:
        b = b[2:]
    return f"{a}/{b}"


def _analyse_number(raw: str) -> tuple[str, ...] | None:
    if _SLASH_RE.fullmatch(raw):
        parts = raw.split("/")
        if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 4:
            return (_year_range(parts[0], parts[1]),)
        return (raw,)
    m = _YRANGE_RE.fullmatch(raw)
    if m:
        return (_year_range(m.group(1), m.group(2)),)
    m = _NUMBER_RE.fullmatch(raw)
    if m is None:
        return None
    num = m.group("num").replace(",", "")
    mag = _MAG_NORM.get(m.group("mag").strip(), "")
    suf = m.group("suf")
    if suf:
        suf = "+" if suf == "+" else "%"
    bare = num + mag
    decorated = m.group("cur") + bare + suf
    if decorated != bare:
        return (decorated, bare)
    return (bare,)


def _analyse_part(part: str, out: list[str]) -> str:
    """Append the tokens of one hyphen-free part; return its joinable form."""
    if "'" in part:
        if part.endswith("n't"):
            base = part[:-3].replace("'", "")
            base = _NEG_BASES.get(base, base)
            if base and base not in STOPWORDS:
                out.append(_stem(base))
            out.append("not")
            return base + "not"
        pieces = [p for p in part.split("'") if p]
        if len(pieces) > 1 and pieces[-1] in _CLITICS:
            pieces.pop()
        part = "".join(pieces)
    if part and part not in STOPWORDS:
        out.append(_stem(part))
    return part


def _analyse_word(raw: str) -> tuple[str, ...]:
    out: list[str] = []
    if "-" not in raw:
        _analyse_part(raw, out)
    else:
        joined = [_analyse_part(p, out) for p in raw.split("-")]
        whole = "".join(joined)
        if whole and whole not in STOPWORDS:
            stem = _stem(whole)
            if stem not in out:
                out.append(stem)
    return tuple(t for t in out if 0 < len(t) <= MAX_TOKEN_LEN)


def _analyse(raw: str) -> tuple[str, ...]:
    res = _analyse_number(raw) if not raw[0].isalpha() else None
    if res is None:
        res = _analyse_word(raw) if "-" in raw or len(raw) <= MAX_TOKEN_LEN else ()
    else:
        res = tuple(t for t in res if len(t) <= MAX_TOKEN_LEN)
    if len(raw) <= _CACHE_RAW_MAX:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[raw] = res
    return res


def _normalise(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    elif not isinstance(text, str):
        raise TypeError(f"tokenize() expects str, got {type(text).__name__}")
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.casefold().translate(_TRANSLATE)


def tokenize(text: str) -> list[str]:
    """Return the BM25 index terms of ``text`` (see the module docstring)."""
    text = _normalise(text)
    out: list[str] = []
    get = _cache.get
    extend = out.extend
    for raw in _TOKEN_RE.findall(text):
        toks = get(raw)
        if toks is None:
            toks = _analyse(raw)
        extend(toks)
    return out


def tokenize_query(text: str) -> list[str]:
    """Tokenize a query.  Identical to :func:`tokenize` for now; kept separate
    so query-side expansion (synonyms, acronyms) can be added later without
    touching the documents' terms."""
    return tokenize(text)
