"""Query expansion with the glossary mined at ingest (ingest/glossary.py): acronyms the query uses get their
long forms, long forms it spells out get their acronyms."""

from __future__ import annotations

import re


def expand_query(query: str, glossary: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Extra text for the query: expansions of acronyms it uses, and acronyms of long forms it spells out.

    Returns (extra_terms_for_bm25, notes) where notes read like 'DTOC = Delayed Transfers of Care'.
    """
    if not glossary:
        return [], []
    extra: list[str] = []
    notes: list[str] = []
    words = list(
        dict.fromkeys(re.findall(r"[A-Za-z&]+", query))
    )  # in query order: the notes (and the dense query) must not depend on set order
    lower_query = " " + re.sub(r"[^a-z0-9&]+", " ", query.lower()) + " "
    by_lower = {a.lower(): a for a in glossary}
    for w in words:
        acr = by_lower.get(w.lower())
        if acr is None or (w.islower() and len(w) <= 2):
            continue
        exps = glossary[acr][:3]
        extra.extend(exps)
        notes.append(f"{acr} = {exps[0]}")
    for acr, exps in glossary.items():
        for e in exps:
            norm = " " + re.sub(r"[^a-z0-9&]+", " ", e.lower()).strip() + " "
            if len(norm) > 6 and norm in lower_query and acr.lower() not in words:
                extra.append(acr)
                notes.append(f"{acr} = {e}")
                break
    return extra, notes
