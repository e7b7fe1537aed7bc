"""What a heading looks like in council papers: capitalised titles put into title case, capitalised lines, and the
short section headings inside a report."""

from __future__ import annotations

import re

_SMALL = {"and", "of", "the", "for", "in", "on", "to", "a", "an", "with", "at", "by", "or", "upon"}


def smart_title(s: str) -> str:
    """'HEALTH AND WELLBEING BOARD' -> 'Health and Wellbeing Board' (mixed-case input kept)."""
    s = re.sub(r"\s+", " ", s).strip(" .:-–—,")
    if not s:
        return s
    letters = [c for c in s if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) < 0.8:
        return s
    words = s.lower().split(" ")
    printed = s.split(" ")
    out = []
    for i, w in enumerate(words):
        if "/" in w and any(c.isdigit() for c in w):  # a reference keeps its letters: '23/00456/FUL'
            out.append(printed[i])
        elif i and w in _SMALL:
            out.append(w)
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


def is_caps_line(t: str) -> bool:
    """A line (3-120 characters, 3+ letters) in capitals, bar a few lower-case letters."""
    t = t.strip()
    letters = [c for c in t if c.isalpha()]
    return 3 <= len(t) <= 120 and len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) > 0.9


def is_heading(line: str) -> bool:
    """A section heading inside a report: a short capitalised line, or a short numbered title."""
    if not 3 < len(line) < 90 or line.endswith((",", ";", ".", ":")):
        return line.isupper() and 3 < len(line) < 90 and line.endswith(":") and len(re.findall(r"[A-Za-z]{3,}", line)) >= 2
    if line.isupper():
        return len(re.findall(r"[A-Za-z]{3,}", line)) >= 2
    m = re.match(r"^\d+(?:\.\d+)*\.?\s+([A-Z].*)$", line)
    return m is not None and len(m.group(1).split()) <= 8 and not re.search(r"\b(is|are|was|were|will|has|have|be)\b", m.group(1))
