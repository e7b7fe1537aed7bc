"""Judge relevance: is a ranked passage about the query? A calibrated probability and a strong / related verdict.

Ranking orders passages; it does not say whether any of them is about the query. Everything that works on a *set*
(counts, date sorts, decisions-only, exports, the trace timeline, abstention) is built on this judgement instead.

Signals, all from what the index already holds (no extra model), for each candidate of a query:

- ``cov``: the share of the query's concepts the passage holds (in its BM25 text: item title, meeting date in words
  and verbatim text), each weighted by its IDF. A concept is a query term; an acronym the papers define counts as
  present when its long form is ("DTOC" / "delayed transfers of care"), and the reverse, as does one the query spells
  out beside it ("integrated locality teams ILTs") and one no paper defines, by a name of its best keyword matches
  with its initials ("LDR" / "Local Digital Roadmap", index/glossary.py); a period of years counts however written ("2025-35"
  / "2025-26 ... 2034-35"), a quarter or an amount as one concept ("Oct-Dec" / "Q3", "£356k" / "£356.0k"), and so does a
  word spelled the other way, a word of its family (index/families.py: "retain" / "retention"), the papers' word for a plain
  one, a statute section however written, a term of art or its plain phrase (index/wording.py: "program" / "programme",
  "biggest" / "largest", "cuts" / "savings", "S151" / "Section 151", "delayed transfers of care" / "delayed discharges"); the
  second word of a plural's possessive counts only written after the first (index/possessive.py: "children's centres",
  not a "centre" anywhere). An acronym of the glossary is read in a lower-case word only when the query is typed all
  in lower case (index/glossary.py ``acronym_words``: "how do I get on the list" is not Kent's GET). A query word the
  index has never seen gets the highest weight: no passage can be about "gritting" when none says it. ``known_cov``:
  the same over the known concepts.
- ``dense``: cosine of the query with the passage's vector or, when higher, one of its sentence windows.
- ``cov_gap`` / ``dense_gap``: how far the passage is below the best candidate of the query on each.
- ``item_cov`` / ``item_dense``: the best of each over the candidates of the same document and agenda item: a
  report's paragraphs are about what its item is about, even the ones that do not repeat the words.
- ``inv_concepts``: 1 / the number of concepts (with one concept, coverage is all or nothing).

A logistic model over these (``judge_model.json``: plain JSON written by ``scripts/judge_data.py fit`` from the
labelled sets in ``eval/``, with the data it was fitted on and its calibration) gives ``relevance``, a probability
that the passage is about the query; ``relevance >= threshold`` is a ``strong`` match, anything else ``related``.
A query that names a place or body (index/unnamed.py: a Title-case word, not a question word, month, acronym or the
nation) none of whose strong matches holds that name, bar matches NAME_GAP below the best, has no match at all
(``unnamed_terms``; each relevance is held 0.01 under the threshold): the passages are about the words, not about
"Medway" or "Rutland".
A passage whose dense similarity is under DENSE_FLOOR is no match, whatever words it shares (no labelled match is).
A passage that carries on the one before it in the same agenda item (it opens in lower case or with "However",
"This", "It" ...) is as relevant as that one when that one is strong (``continued``): the chunker cuts at a size,
not where the subject changes. A resident's request for a service ("how do I apply for a blue badge") is answered
only by a passage that speaks to the public, a question about opening hours only by one that states hours, a rate asked
"per hour" only by one that states a rate per hour (index/service.py): a report about Blue Badge applications is related.
Without a query vector (``--mode bm25``, no model loaded) the ``lexical`` model, fitted on the same pairs without the
dense signals, is used. The threshold is chosen on the labelled sets (docs/BENCHMARKS.md, "Judging relevance").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from boardpapers.errors import BoardpapersError

from .glossary import acronym_words, defined_in, initials_glossary
from .possessive import compound_heads, written_together
from .query import DECISION_INTENT
from .semantic import vector_flags
from .service import service_held
from .tokenize import tokenize_query
from .unnamed import unnamed_terms
from .wording import compounds, held_by, other_words, period_spellings, same_things, section_forms, term_variants

MODEL_FILE = Path(__file__).with_name("judge_model.json")
FEATURES = ("cov", "known_cov", "cov_gap", "item_cov", "inv_concepts", "dense", "dense_gap", "item_dense")
LEXICAL_FEATURES = ("cov", "known_cov", "cov_gap", "item_cov", "inv_concepts")
STRONG, RELATED = "strong", "related"
# A passage whose vector (or best sentence window) is this far from the query's is not about it, whatever words it
# shares: of the 1,300 labelled pairs about their query the lowest cosine is 0.232, while 4,121 of the 65,188 pairs
# not about it sit under 0.1 ("' OR 1=1; DROP TABLE documents; --" shares "table" and "document" with a minute at
# cosine 0.03). Its relevance is held at FLOOR_RELEVANCE, as no labelled pair under the floor is about its query.
DENSE_FLOOR = 0.15
FLOOR_RELEVANCE = 0.01


class JudgeModelError(BoardpapersError, ValueError):
    """The judge's parameter file is missing or malformed."""


@dataclass(frozen=True)
class Concept:
    """A query term and the other spellings that count as it (each a set of terms that must all be present)."""

    term: str
    alternatives: tuple[tuple[str, ...], ...] = ()
    # other ways of writing the same period ("2025-26 to 2034-35" for 2025-35): they count as it, but the concept keeps
    # the weight of its own spelling (its first and last years, common in tables, are no measure of how rare it is)
    periods: tuple[tuple[str, ...], ...] = ()
    after: str | None = None  # "children's centres": the word written just before it (index/possessive.py)


def concepts(query_text: str, glossary: dict[str, list[str]], known: Callable[[set[str]], set[str]] | None = None) -> list[Concept]:
    """The query's distinct terms with their other spellings: acronym / long form, papers' words, ``compounds`` (given ``known``)."""
    terms = list(dict.fromkeys(tokenize_query(query_text)))
    # "what did the board decide / agree / approve": the papers write decisions as RESOLVED / AGREED blocks, not in
    # the asker's verbs, so those words frame the question (ranking lifts decision passages for them) and are no concept
    framing = {t for w in DECISION_INTENT.findall(query_text) for t in tokenize_query(w)}
    terms = [t for t in terms if t not in framing] or terms
    if not terms:
        return []
    own = defined_in(query_text)  # "integrated locality teams ILTs": the asker's own definition comes first
    if own:
        glossary = {a: own.get(a, []) + list((glossary or {}).get(a, [])) for a in {**own, **(glossary or {})}}
    alts: dict[str, set[tuple[str, ...]]] = {t: set() for t in terms}
    lower_query = " " + re.sub(r"[^a-z0-9&]+", " ", query_text.lower()) + " "
    words = {w.lower() for w in acronym_words(query_text)}
    for acr, exps in (glossary or {}).items():
        acr_terms = _terms(acr)
        if not acr_terms:
            continue
        if acr.lower() in words and len(acr_terms) == 1 and acr_terms[0] in alts:
            # the query uses the acronym: its long forms count as it
            for e in exps[:3]:
                et = _terms(e)
                if et:
                    alts[acr_terms[0]].add(et)
        for e in exps:
            norm = _spaced(e)
            spelled = norm in lower_query if len(norm) > 6 else False
            held = spelled_out(terms, list(_terms(e))) if not spelled else ()
            if spelled or held:
                # the query spells the long form out: the acronym counts for each of its words, and when it names the
                # acronym too ("CAMHS child and adolescent mental health"), the words it spells count for the acronym
                for t in held or _terms(e):
                    if t in alts:
                        alts[t].add(acr_terms)
                if held and acr_terms[0] in alts:
                    alts[acr_terms[0]].add(held)
                break
    for n, short in section_forms(query_text):  # "S151" and "Section 151" are one section
        if short in alts:
            alts[short].add(("section", n))
        for t in (n, "section") if n in alts else ():
            if t in alts:
                alts[t].add((short,))
    for _, term, _, other in other_words(query_text):  # spelled the other way, or the papers' word ("biggest" / "largest")
        if term in alts:
            alts[term].add((other,))
    for phrase, other in term_variants(query_text) + (compounds(query_text, known) if known else []):  # theirs, or two words as one
        for t in _terms(phrase):
            if t in alts:
                alts[t].add(_terms(other))
    for phrase, forms in same_things(query_text):  # "Oct-Dec" / "Q3" / "Quarter 3", "£356k" / "£356.0k": one concept
        written = [t for t in _terms(phrase) if t in alts]
        for t in written[1:]:
            terms.remove(t)
            del alts[t]
        if written:
            alts[written[0]].update([_terms(f) for f in forms] + ([tuple(written)] if len(written) > 1 else []))
    owners = compound_heads(query_text)
    return [Concept(t, tuple(sorted(alts[t])), tuple(period_spellings(t)), owners.get(t)) for t in terms]


@lru_cache(maxsize=65536)
def _terms(text: str) -> tuple[str, ...]:
    """The distinct terms of a glossary acronym or long form (each query reads the whole glossary: tokenize each once)."""
    return tuple(dict.fromkeys(tokenize_query(text)))


@lru_cache(maxsize=65536)
def _spaced(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9&]+", " ", text.lower()).strip() + " "


def spelled_out(terms: list[str], long_form: list[str]) -> tuple[str, ...]:
    """The words of ``long_form`` (an acronym's long form, as terms) the query ``terms`` spell out, or (): all of them,
    or all but the generic last ("child and adolescent mental health" of "... mental health services"), in a row."""
    for n in (len(long_form), len(long_form) - 1):
        if n < 2 or (n < len(long_form) and n < 3):
            continue
        run = long_form[:n]
        if any(terms[i : i + n] == run for i in range(len(terms) - n + 1)):
            return tuple(run)
    return ()


def _idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def lexical_features(index, rows: np.ndarray, cons: list[Concept]) -> dict[str, np.ndarray]:
    """``cov``: IDF-weighted share of the concepts present; ``known_cov``: the same over the concepts the index knows
    (a query word no passage uses lowers ``cov`` only)."""
    rows = np.asarray(rows, dtype=np.int64)
    zero = np.zeros(len(rows))
    if not cons or not len(rows):
        return {"cov": zero, "known_cov": zero}
    needed = sorted({c.term for c in cons} | {t for c in cons for alt in c.alternatives + c.periods for t in alt})
    postings = index.term_rows(needed)
    n = max(1, len(index))
    present = np.zeros((len(cons), len(rows)), dtype=bool)
    weights = np.zeros(len(cons))
    known = np.zeros(len(cons), dtype=bool)
    for j, c in enumerate(cons):
        own = postings.get(c.term)
        df = 0 if own is None else len(own)
        if own is not None and len(own):
            present[j] |= np.isin(rows, own)
        for alt in c.alternatives + c.periods:
            lists = [postings.get(t) for t in alt]
            if any(x is None or not len(x) for x in lists):
                continue
            if alt in c.alternatives or not df:  # a period written only otherwise weighs as that spelling at most
                df = max(df, min(len(x) for x in lists))
            hit = np.ones(len(rows), dtype=bool)
            for x in lists:
                hit &= np.isin(rows, x)
            present[j] |= hit
        if c.after and present[j].any():  # "children's centres": the two words in a row, not a "centre" anywhere
            heads = {c.term} | {a[0] for a in c.alternatives if len(a) == 1}  # "children's centers": "centres" too
            present[j] = written_together(index, rows, present[j], c.after, heads)
        weights[j] = _idf(df, n)
        known[j] = df > 0
    cov = (weights @ present) / weights.sum()
    kw = weights * known
    known_cov = (kw @ present) / kw.sum() if kw.sum() else zero
    return {"cov": cov, "known_cov": known_cov}


def group_max(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each row, the best of ``values`` over its group (``index.item_groups``: rows of one agenda item)."""
    uniq, inv = np.unique(groups, return_inverse=True)
    best = np.full(len(uniq), -np.inf)
    np.maximum.at(best, inv, values)
    return best[inv]


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    try:
        params = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JudgeModelError(f"the relevance model {path} is unreadable ({exc}); reinstall boardpapers") from None
    try:
        for name, feats in (("full", FEATURES), ("lexical", LEXICAL_FEATURES)):
            m = params["models"][name]
            if list(m["features"]) != list(feats) or not all(len(m[k]) == len(feats) for k in ("mean", "scale", "coef", "lo", "hi")):
                raise ValueError(f"model {name!r} does not match the features {feats}")
            float(m["intercept"])
        thr = float(params["threshold"])
        if not 0.0 < thr < 1.0:
            raise ValueError("threshold outside (0, 1)")
    except (KeyError, TypeError, ValueError) as exc:
        raise JudgeModelError(f"the relevance model {path} is malformed ({exc}); reinstall boardpapers") from None
    return params


def model_params(path: Path | None = None) -> dict:
    """The judge's parameters (plain JSON; never a pickle)."""
    return _load(str(path or MODEL_FILE))


def probability(x: np.ndarray, m: dict) -> np.ndarray:
    """Logistic model ``m`` on the feature matrix ``x`` (rows x features, in ``m['features']`` order). Each feature is
    first held to the range seen in fitting (``lo``..``hi``): a one-word query is judged like the shortest fitted
    queries, never by extrapolating a weight far outside the data."""
    if "lo" in m:
        x = np.clip(x, np.asarray(m["lo"]), np.asarray(m["hi"]))
    z = (x - np.asarray(m["mean"])) / np.asarray(m["scale"])
    return 1.0 / (1.0 + np.exp(-(z @ np.asarray(m["coef"]) + float(m["intercept"]))))


def features(index, rows, query_text: str, qvec: np.ndarray | None, glossary: dict | None = None) -> dict[str, np.ndarray]:
    """Every signal the judge can use for ``rows`` (the candidates of one query), by name; dense ones need ``qvec``.
    ``glossary``: the acronyms to read (default: the index's, with the query's unknown ones spelled by initials)."""
    rows = np.asarray(rows, dtype=np.int64)
    cons = concepts(query_text, initials_glossary(index, query_text) if glossary is None else glossary, held_by(index))
    f = lexical_features(index, rows, cons)
    f["inv_concepts"] = np.full(len(rows), 1.0 / max(1, len(cons)))
    if not len(rows):
        return f | {k: np.zeros(0) for k in ("groups", "cov_gap", "item_cov", "dense", "dense_gap", "item_dense")}
    groups = index.item_groups(rows)
    f["groups"] = groups
    f["cov_gap"] = f["cov"].max() - f["cov"]
    f["item_cov"] = group_max(groups, f["cov"])
    if qvec is not None:
        # a passage without its vector yet (index/semantic.py) has no dense signal: the gaps and item bests are taken
        # over the passages that have one, and it is judged by the lexical model (``judge``)
        has = vector_flags(index, rows)
        f["has_vector"] = has
        d = np.asarray(index.dense_scores(rows, qvec), dtype=np.float64)
        f["dense"] = d
        f["dense_gap"] = (d[has].max() if has.any() else 0.0) - d
        best = group_max(groups, np.where(has, d, -np.inf))
        f["item_dense"] = np.where(np.isfinite(best), best, d)
    return f


def feature_matrix(index, rows, query_text: str, qvec: np.ndarray | None, names: tuple[str, ...] | None = None):
    """The columns ``names`` (default: the full model's, or the lexical model's without ``qvec``) for ``rows``."""
    return _columns(features(index, rows, query_text, qvec), len(rows), names or (FEATURES if qvec is not None else LEXICAL_FEATURES))


def _columns(f: dict, n: int, names: tuple[str, ...]):
    return (np.column_stack([f[k] for k in names]) if n else np.zeros((0, len(names)))), names


@dataclass
class Judgement:
    """Relevance of each candidate row of one query."""

    rows: np.ndarray
    relevance: np.ndarray
    threshold: float
    model: str  # "full", "lexical", or "mixed" (the lexical model for the passages without a vector yet)
    spelled: tuple[str, ...] = ()  # "LDR = Local Digital Roadmap": unknown acronyms read as names with their initials

    def of(self) -> dict[int, float]:
        return {int(r): float(p) for r, p in zip(self.rows, self.relevance)}

    def strong_rows(self) -> set[int]:
        return {int(r) for r, p in zip(self.rows, self.relevance) if p >= self.threshold}


def judge(index, rows, query_text: str, qvec: np.ndarray | None, params: dict | None = None) -> Judgement:
    """Calibrated relevance of each of ``rows`` to the query (see the module doc). A decision passage (a RESOLVED /
    AGREED block) is as relevant as the best passage of the minute or item it closes: "That the report be noted"
    rarely repeats what the item was about."""
    params = params or model_params()
    rows = np.asarray(rows, dtype=np.int64)
    glossary = initials_glossary(index, query_text)
    f = features(index, rows, query_text, qvec, glossary)
    has = f.get("has_vector", np.zeros(len(rows), dtype=bool))
    name = "lexical" if qvec is None else "full" if has.all() else "mixed" if has.any() else "lexical"
    p = np.zeros(len(rows))
    if has.any():  # the full model where the passage has its vector, the lexical one (fitted without dense) elsewhere
        p[has] = probability(_columns(f, len(rows), FEATURES)[0][has], params["models"]["full"])
    if not has.all():
        p[~has] = probability(_columns(f, len(rows), LEXICAL_FEATURES)[0][~has], params["models"]["lexical"])
    if has.any():  # meaning too far from the query's for any words shared to make it a match (DENSE_FLOOR)
        p = np.where(has & (f["dense"] < DENSE_FLOOR), np.minimum(p, FLOOR_RELEVANCE), p)
    if len(rows):
        dec = np.asarray(index.decisions_of(rows), dtype=bool)
        p = np.where(dec, np.maximum(p, group_max(f["groups"], p)), p)
    thr = float(params["threshold"])
    p = continued(index, rows, p, thr)
    if unnamed_terms(index, rows, p, thr, query_text):  # the place or body asked about is in no good match: none is one
        p = np.minimum(p, thr - 0.01)  # under the threshold as shown too (two decimals: 0.29, not 0.30)
    p = service_held(index, rows, p, thr, query_text)
    spelled = tuple(f"{a} = {' / '.join(v)}" for a, v in glossary.items() if a not in (index.glossary or {}))
    return Judgement(rows=rows, relevance=p, threshold=thr, model=name, spelled=spelled)


_CONTINUES = re.compile(
    r"(?:[a-z]|(?:In any event|However|Nevertheless|Nonetheless|Therefore|Thus|Hence|Furthermore|Moreover|In addition|"
    r"Additionally|As a result|Consequently|Accordingly|Instead|Otherwise|Similarly|Likewise|Even so|This|These|Those|"
    r"Such|It|They)\b)"
)


def continued(index, rows: np.ndarray, p: np.ndarray, thr: float) -> np.ndarray:
    """A passage that carries on the sentence or argument of the strong match just before it, in the same agenda item,
    is as relevant as that match. The chunker cuts at a size, not where the subject changes: "This contributes to
    £8.6m of the CYPE underspend." or "However, the overspend was offset ..." opens a passage that names nothing of the
    query, yet says what the one before it was about. One step only: the passage after a continuation is judged on
    its own words."""
    weak = np.flatnonzero(p < thr)
    if not len(weak) or not (p >= thr).any():
        return p
    pids = index.pid_of(rows)
    strong_at = {pids[i]: i for i in np.flatnonzero(p >= thr)}
    pairs = [(int(j), strong_at[pids[j] - 1]) for j in weak if pids[j] - 1 in strong_at]
    if not pairs:
        return p
    got = index.store.passages_by_pid([pids[j] for j, _ in pairs] + [pids[i] for _, i in pairs])
    out = p.copy()
    for j, i in pairs:
        a, b = got.get(pids[i]), got.get(pids[j])
        if a and b and a["doc_id"] == b["doc_id"] and a["item"] == b["item"] and b["seq"] == a["seq"] + 1:
            if _CONTINUES.match(" ".join(b["text"][:40].split())):
                out[j] = p[i]
    return out
