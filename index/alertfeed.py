"""Saved-search alerts (index/saved.py) as an Atom 1.0 feed (RFC 4287) a feed reader can poll from a file or a URL.

One entry per new strong match: its id stable across runs (the same match of the same search keeps its id, so a
reader shows it once), its title the search and the document, its link the source (the paper's URL when ingest
recorded one, else the file at the page), its summary the full citation and the passage. Built with ElementTree,
which escapes text; characters XML 1.0 cannot hold at all (control characters from a PDF) are dropped first.
"""

from __future__ import annotations

import re
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from boardpapers.ingest.display import doc_label

from .hits import citation

ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(s: object) -> str:
    """``s`` as text XML 1.0 can hold (untrusted document text: escaping is ElementTree's)."""
    return _NOT_XML.sub("", str(s if s is not None else ""))


def _id(*parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "boardpapers:" + "\0".join(parts)))


def hit_link(h: dict) -> str:
    """Where a reader opens the match: its source URL (http/https), else the file at its page."""
    url = h.get("source_url") or ""
    if re.match(r"https?://", url):
        return url
    try:
        uri = Path(h.get("path") or "").resolve().as_uri()
    except ValueError:
        return ""
    return uri + (f"#page={h['page']}" if h.get("page") else "")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def atom_feed(alerts: list, where: str, self_url: str | None = None) -> bytes:
    """The feed of ``alerts`` (index/saved.py Alert) for the index at ``where`` (its id is derived from it)."""
    ET.register_namespace("", ATOM)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entries = [(a.search, h) for a in alerts for h in a.hits]
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", _id("feed", where))
    _add(feed, "title", "boardpapers: new matches of saved searches")
    _add(feed, "updated", max([h.get("arrived_at") or now for _, h in entries], default=now))
    _add(_add(feed, "author"), "name", "boardpapers")
    _add(feed, "generator", "boardpapers")
    if self_url:
        _add(feed, "link", rel="self", href=self_url)
    for s, h in entries:
        e = _add(feed, "entry")
        _add(e, "id", _id("match", where, s.name, h["passage_id"]))
        _add(e, "title", f"{s.name}: {doc_label(h)}" + (f" ({h['meeting_date']})" if h.get("meeting_date") else ""))
        _add(e, "updated", h.get("arrived_at") or now)
        link = hit_link(h)
        if link:
            _add(e, "link", rel="alternate", href=link)
        text = " ".join(str(h.get("text") or "").split())
        _add(e, "summary", f"{citation(h)}\n\n{text}", type="text")
        _add(e, "category", term=s.query, label=f"saved search: {s.name}")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
