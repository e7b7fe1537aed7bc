"""Members' names as minutes write them ("Mr R Lehmann", "Ms Constantine", "Dr Sullivan") and which written names a
name asked for means: the --member side of the decision register (index/decisions.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

POSITIONS = ("for", "against", "abstain")
# titles that tell members apart ("Mr Cole" is not "Mrs Cole"); spellings of one title are one
_TITLES = {
    "mr": "mr",
    "mrs": "mrs",
    "ms": "ms",
    "miss": "miss",
    "mx": "mx",
    "dr": "dr",
    "sir": "sir",
    "dame": "dame",
    "lord": "lord",
    "lady": "lady",
    "baroness": "baroness",
    "prof": "prof",
    "professor": "prof",
    "rev": "rev",
    "revd": "rev",
    "reverend": "rev",
}
_NEUTRAL = {"cllr", "councillor"}  # say nothing of who the member is: "Cllr Cole" may be Mr or Mrs Cole
_HONOURS = {"cbe", "obe", "mbe", "kbe", "dbe", "jp", "dl", "bem", "kc", "qc", "mp"}


@dataclass
class Name:
    title: str | None  # normalised (_TITLES), None when the name gives none
    forenames: list[tuple[str, str | None]]  # (initial, full forename or None for an initial), in order
    surname: str  # case-folded; "" when the name has none


def parse_name(name: str) -> Name:
    """A member's name split into title, forenames or initials, and surname; honours ("CBE") and parentheses dropped."""
    text = re.sub(r"\([^)]*\)", " ", name.replace("’", "'")).replace(".", " ")
    words = [w.strip(";:'") for w in re.split(r"[\s,]+", text)]
    title: str | None = None
    rest: list[str] = []
    for w in words:
        lw = w.casefold()
        if not w or lw in _NEUTRAL or (rest and lw in _HONOURS):
            continue
        if title is None and not rest and lw in _TITLES:
            title = _TITLES[lw]
            continue
        rest.append(w)
    if not rest:
        return Name(title, [], "")
    forenames: list[tuple[str, str | None]] = []
    for w in rest[:-1]:
        if w.isupper() and len(w) <= 3:  # "R", "PJ": initials
            forenames += [(c.casefold(), None) for c in w if c.isalpha()]
        else:
            forenames.append((w[0].casefold(), w.casefold()))
    return Name(title, forenames, rest[-1].casefold())


def member_matches(query_name: str, written_name: str) -> bool:
    """Whether ``written_name`` (as the minutes write it) is the member ``query_name`` asks for: the same surname; the
    same title when both give one ("Mr Cole" is not "Mrs Cole"; "Constantine" or "Cllr Constantine" match any); and
    forenames or initials that agree where both give them ("Ms Constantine" matches "Ms K Constantine", "Mr R Lehmann"
    does not match "Mr J Lehmann")."""
    q, w = parse_name(query_name), parse_name(written_name)
    if not q.surname or q.surname != w.surname:
        return False
    if q.title and w.title and q.title != w.title:
        return False
    for (qi, qf), (wi, wf) in zip(q.forenames, w.forenames):
        if qi != wi or (qf and wf and qf != wf):
            return False
    return True


def member_votes(decisions: list[dict], member: str) -> list[dict]:
    """One row per recorded vote of ``member`` in ``decisions`` (in their order): the decision plus ``member`` (the
    name as the minutes write it) and ``position`` (for / against / abstain)."""
    out = []
    for d in decisions:
        votes: dict = d["votes"] if isinstance(d.get("votes"), dict) else {}
        for pos in POSITIONS:
            held = votes.get(pos)
            names = held.get("names") or [] if isinstance(held, dict) else []
            name = next((n for n in names if isinstance(n, str) and member_matches(member, n)), None)
            if name is not None:
                out.append({**d, "member": name, "position": pos})
    return out
