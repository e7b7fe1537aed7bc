"""What a ModernGov council site says: its committees, a committee's meetings and each meeting's documents.

Reads the public web service ``mgWebService.asmx`` (GetCommittees, GetMeetings, GetMeeting: plain XML over HTTP GET)
and the meeting page ``ieListDocuments.aspx?CId=..&MId=..`` (HTML), which carries the meeting's own files (agenda
frontsheet, public reports pack, printed minutes: ``documents/g<MId>/...pdf``) and, where the web service does not
answer, the agenda items' files too (``documents/s<id>/...pdf``, ``mgConvert2PDF.aspx?ID=..``). No network here:
the caller fetches, this module parses. Everything from the site is untrusted: XML with a DOCTYPE or entities is
refused, and only links on the site's own host are kept.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin, urlsplit

from boardpapers.errors import BoardpapersError

XML_LIMIT = 50 * 1024 * 1024  # a GetMeeting answer with every item's minutes is a few hundred KB
MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}


class SiteError(BoardpapersError):
    """The site's answer cannot be used (not XML, a DOCTYPE, no such committee): the message names the URL."""


@dataclass
class Committee:
    id: str
    title: str


@dataclass
class Meeting:
    id: str
    date: str  # YYYY-MM-DD
    status: str = ""


@dataclass
class Document:
    url: str
    title: str
    doc_type: str = ""  # one of ingest.model.DOC_TYPES, or "" when the title does not say
    item: str = ""  # the agenda item's title, for an item's file


@dataclass
class MeetingFiles:
    documents: list[Document] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # links not taken, each with why


def site_base(site_url: str) -> str:
    """The site's root ('https://democracy.example.gov.uk/') from any URL on it (a page, the web service, the root).
    Raises SiteError for anything that is not an http(s) URL with a host."""
    parts = urlsplit(site_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SiteError(f"{site_url!r} is not a council website address (expected https://host/...)")
    path = parts.path
    if path and not path.endswith("/"):
        last = path.rsplit("/", 1)[-1]
        path = path[: len(path) - len(last)] if "." in last else path + "/"
    return f"{parts.scheme.lower()}://{parts.netloc}{path or '/'}"


def service_url(base: str, op: str, **params: str) -> str:
    query = "&".join(f"{k}={quote(str(v), safe='/')}" for k, v in params.items())
    return f"{base}mgWebService.asmx/{op}" + (f"?{query}" if query else "")


def meeting_page_url(base: str, committee_id: str, meeting_id: str) -> str:
    return f"{base}ieListDocuments.aspx?CId={quote(committee_id)}&MId={quote(meeting_id)}"


def meetings_page_url(base: str, committee_id: str) -> str:
    return f"{base}ieListMeetings.aspx?CommitteeId={quote(committee_id)}&Year=0"


def service_date(d: date) -> str:
    """The web service's date format (dd/mm/yyyy, as GetMeetings returns them)."""
    return d.strftime("%d/%m/%Y")


# ------------------------------------------------------------------ XML


def parse_xml(body: bytes, url: str) -> ET.Element:
    """The root of an XML answer, tags lower-cased and namespaces dropped. A DOCTYPE or an entity declaration is
    refused before parsing (no entity expansion, no external entities), as is an answer over XML_LIMIT."""
    if len(body) > XML_LIMIT:
        raise SiteError(f"{url}: answer is over {XML_LIMIT // (1024 * 1024)} MB; not read")
    lowered = body.lower()
    if not lowered.lstrip().startswith(b"<") or re.search(rb"<!doctype\s+html|<html[\s>]", lowered[:4096]):
        raise SiteError(f"{url}: not XML (the web service may be switched off on this site)")
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise SiteError(f"{url}: XML with a DOCTYPE or entity declaration is refused")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SiteError(f"{url}: not well-formed XML ({exc})") from None
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = el.tag.rsplit("}", 1)[-1].lower()
    return root


def _text(el: ET.Element, tag: str) -> str:
    found = el.find(tag)
    return (found.text or "").strip() if found is not None else ""


def parse_date(value: str) -> str | None:
    """dd/mm/yyyy (the web service) or yyyy-mm-dd as ISO; None when it is neither."""
    value = value.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def parse_committees(root: ET.Element) -> list[Committee]:
    """GetCommittees: <committees><committee><committeeid/><committeetitle/>... (deleted ones left out)."""
    out = []
    for c in root.iter("committee"):
        cid, title = _text(c, "committeeid"), _text(c, "committeetitle")
        if cid and _text(c, "committeedeleted").lower() != "true":
            out.append(Committee(cid, title or f"Committee {cid}"))
    return out


def find_committee(committees: list[Committee], wanted: str, url: str) -> Committee:
    """The committee whose id is ``wanted``, else whose title is it (any case), else the one title containing it;
    SiteError naming the near misses otherwise."""
    w = wanted.strip().casefold()
    for test in (lambda c: c.id == wanted.strip(), lambda c: c.title.casefold() == w):
        hits = [c for c in committees if test(c)]
        if hits:
            return hits[0]
    hits = [c for c in committees if w and w in c.title.casefold()]
    if len(hits) == 1:
        return hits[0]
    if hits:
        names = "; ".join(f"{c.title} ({c.id})" for c in hits[:8])
        raise SiteError(f"committee {wanted!r} matches {len(hits)} committees at {url}: {names}. Give its id or full name")
    raise SiteError(f"no committee {wanted!r} at {url} ({len(committees)} committees listed)")


def parse_meetings(root: ET.Element) -> list[Meeting]:
    """GetMeetings: <getmeetings><committee>...<committeemeetings><meeting><meetingid/><meetingdate/>..."""
    out = []
    for m in root.iter("meeting"):
        mid, when = _text(m, "meetingid"), parse_date(_text(m, "meetingdate"))
        if mid and when:
            out.append(Meeting(mid, when, _text(m, "meetingstatus")))
    return out


def parse_meeting(root: ET.Element, base: str) -> MeetingFiles:
    """GetMeeting: every agenda item's <linkeddocuments><linkeddoc><title/><url/><isurl/>; a link to another
    website (isurl True) or another host is skipped, a repeated URL kept once."""
    files = MeetingFiles()
    seen: set[str] = set()
    for item in root.iter("agendaitem"):
        item_title = _text(item, "agendaitemtitle")
        for doc in item.iter("linkeddoc"):
            url, title = _text(doc, "url"), _text(doc, "title")
            if not url or url in seen:
                continue
            seen.add(url)
            if _text(doc, "isurl").lower() == "true":
                files.skipped.append(f"{url}: a link to another website")
                continue
            full = urljoin(base, url)
            if not same_host(full, base):
                files.skipped.append(f"{url}: not on the site's host")
                continue
            files.documents.append(Document(full, title or item_title, classify(title, item_title), item_title))
    return files


def same_host(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return a.scheme.lower() in ("http", "https") and (a.hostname or "").lower() == (b.hostname or "").lower()


def classify(title: str, item_title: str = "") -> str:
    """A document type from the site's own words for a file (and its agenda item); "" when they do not say."""
    t = f"{title} {item_title}".casefold() if not title else title.casefold()
    if "minutes" in t:
        return "minutes"
    if re.search(r"\bappendi|\bapp\.? ?[a-z0-9]\b|\bannex", t):
        return "appendix"
    if re.search(r"supplement|addendum|update sheet|late item", t):
        return "supplement"
    if re.search(r"frontsheet|front sheet|agenda|reports pack|public pack", t):
        return "agenda"
    if "decision" in t:
        return "other"
    if "report" in t:
        return "report"
    return ""


# ------------------------------------------------------------------ HTML (the meeting pages)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href") or None
            self._text = []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, re.sub(r"\s+", " ", "".join(self._text)).strip()))
            self._href = None


def page_links(html: str) -> list[tuple[str, str]]:
    """(href, link text) of every <a href> on a page."""
    p = _Links()
    p.feed(html)
    p.close()
    return p.links


MEETING_DOC = re.compile(r"(?:^|/)documents/g\d+/", re.I)
ITEM_DOC = re.compile(r"(?:^|/)documents/s\d+/|mgConvert2PDF\.aspx\?", re.I)


def parse_meeting_page(html: str, page_url: str, items_too: bool) -> MeetingFiles:
    """The files linked from a meeting page: the meeting's own (frontsheet, reports pack, printed minutes), and with
    ``items_too`` the agenda items' files (when GetMeeting did not answer). Link text like 'Agenda frontsheet PDF 89
    KB' is the title (its size note dropped)."""
    files = MeetingFiles()
    seen: set[str] = set()
    for href, text in page_links(html):
        if not (MEETING_DOC.search(href) or (items_too and ITEM_DOC.search(href))):
            continue
        full = urljoin(page_url, href.strip().replace(" ", "%20"))
        if full in seen:
            continue
        seen.add(full)
        if not same_host(full, page_url):
            files.skipped.append(f"{href}: not on the site's host")
            continue
        title = re.sub(r"\s*(PDF|DOC|DOCX)?\s*\d[\d.,]*\s*[KM]B\s*$", "", text, flags=re.I).strip()
        title = title or unquote(urlsplit(full).path.rsplit("/", 1)[-1]).rsplit(".", 1)[0]
        files.documents.append(Document(full, title, classify(title)))
    return files


def parse_meetings_page(html: str, page_url: str) -> list[Meeting]:
    """Meetings listed on ieListMeetings.aspx: links to ieListDocuments.aspx?..MId=N whose text starts with a date
    ('10 Feb 2026 10.00 am'), used when GetMeetings does not answer."""
    out, seen = [], set()
    for href, text in page_links(html):
        mid = re.search(r"ieListDocuments\.aspx\?.*\bMId=(\d+)", href, re.I)
        when = re.match(r"(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3})[a-z]*,? (\d{4})", text)
        if not (mid and when) or mid.group(1) in seen or when.group(2).lower() not in MONTHS:
            continue
        try:
            iso = date(int(when.group(3)), MONTHS[when.group(2).lower()], int(when.group(1))).isoformat()
        except ValueError:
            continue
        seen.add(mid.group(1))
        out.append(Meeting(mid.group(1), iso))
    return out
