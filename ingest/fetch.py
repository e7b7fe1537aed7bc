"""`boardpapers fetch`: one committee's meetings and documents from a ModernGov site into a folder ingest reads.

Files land in ``DIR/<committee>/<YYYY-MM-DD>/`` under sanitised names (never outside DIR), ``DIR/manifest.csv``
describes each one (source_url, council, body, meeting_date, title, doc_type, fetched_at: ingest's sidecar manifest),
and ``DIR/.boardpapers-fetch.json`` remembers what was fetched (URL, path, size, ETag), so a second run fetches only
what is new. The site is parsed by ingest/moderngov.py, requests go through ingest/webclient.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from boardpapers.errors import BoardpapersError

from . import moderngov as mg
from .webclient import Client, HttpFailure, Politeness

STATE_FILE = ".boardpapers-fetch.json"
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("path", "source_url", "council", "body", "meeting_date", "title", "doc_type", "fetched_at")
NAME_MAX = 100
FILE_TYPES = (".pdf",)  # what ingest reads of a council site's files; .doc/.docx links are reported and skipped


class FetchError(BoardpapersError):
    """Nothing could be fetched (no such committee, the site does not answer): names the URL and the reason."""


@dataclass
class FetchReport:
    committee: mg.Committee | None = None
    meetings: list[mg.Meeting] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)  # paths relative to DIR
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # 'URL: what happened'
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the web service did not answer, a fallback was used

    @property
    def paths(self) -> list[str]:
        return self.fetched + self.unchanged


def safe_name(name: str, max_len: int = NAME_MAX) -> str:
    """A file or folder name from text the site gave: the last path component only, no control characters, no
    separators or leading dots, characters outside letters, digits and ' .,()&-_' replaced, at most ``max_len``."""
    s = unicodedata.normalize("NFC", unquote(str(name or "")))
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join(c for c in s if unicodedata.category(c)[0] != "C")
    s = re.sub(r"[^\w .,()&-]", "_", s)
    s = re.sub(r"\s+", " ", s).strip().lstrip(".").strip().rstrip(".").strip()
    return s[:max_len].strip() or "document"


def _ext(url: str) -> str | None:
    """The file type a URL gives: .pdf for documents/...pdf and mgConvert2PDF.aspx; None for another type."""
    path = urlsplit(url).path
    suffix = PurePosixPath(unquote(path)).suffix.lower()
    if suffix in FILE_TYPES:
        return suffix
    if suffix == "" or (suffix == ".aspx" and "convert2pdf" in path.lower()):
        return ".pdf"
    return None


class Fetcher:
    """One run: the state file, the folder, the client, the report."""

    def __init__(self, dest: Path, client: Client, council: str, refresh: bool, say: Callable[[str], None]):
        self.dest, self.client, self.council, self.refresh, self.say = Path(dest), client, council, refresh, say
        self.root = self.dest.resolve()
        self.report = FetchReport()
        self.state = self._load_state()

    # ---------------------------------------------------------------- state and manifest

    def _load_state(self) -> dict:
        p = self.dest / STATE_FILE
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else {"files": {}}
        except FileNotFoundError:
            return {"files": {}}
        except (OSError, ValueError) as exc:
            self.say(f"warning: {p}: cannot be read ({exc}); every file is fetched again")
            return {"files": {}}

    def _write_atomic(self, name: str, text: str) -> None:
        tmp = self.dest / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.dest / name)

    def save(self) -> None:
        """The state file and DIR/manifest.csv (every file fetched so far that is still there), written atomically."""
        self._write_atomic(STATE_FILE, json.dumps({"version": 1, "files": self.state["files"]}, indent=1, ensure_ascii=False))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for url, rec in sorted(self.state["files"].items(), key=lambda kv: kv[1].get("path", "")):
            if (self.dest / rec.get("path", "")).is_file():
                w.writerow({**rec, "source_url": url})
        self._write_atomic(MANIFEST, buf.getvalue())

    # ---------------------------------------------------------------- where files go

    def target(self, folder: Path, doc: mg.Document, ext: str) -> Path:
        """The file for ``doc``: the one it had before, else a new name unique in ``folder``. Refuses (FetchError)
        anything that would resolve outside DIR (a planted symbolic link, say)."""
        known = self.state["files"].get(doc.url)
        if known and known.get("path"):
            path = self.dest / known["path"]
        else:
            stem = safe_name(doc.title or PurePosixPath(urlsplit(doc.url).path).stem, NAME_MAX - len(ext) - 4)
            stem = stem[: -len(ext)] if stem.lower().endswith(ext) else stem
            taken = {rec.get("path") for rec in self.state["files"].values()}
            path, n = folder / f"{stem}{ext}", 1
            while path.exists() or str(path.relative_to(self.dest).as_posix()) in taken:
                n += 1
                path = folder / f"{stem}-{n}{ext}"
        if not self.inside(path.parent):
            raise FetchError(f"{path}: outside {self.dest}; not written")
        return path

    def inside(self, folder: Path) -> bool:
        """Whether ``folder`` (followed through any symbolic links) is DIR or under it."""
        real = folder.resolve()
        return real == self.root or self.root in real.parents

    # ---------------------------------------------------------------- one document

    def document(self, meeting: mg.Meeting, folder: Path, doc: mg.Document) -> None:
        ext = _ext(doc.url)
        if ext is None:
            self.report.skipped.append(f"{doc.url}: not a PDF")
            return
        try:
            path = self.target(folder, doc, ext)
        except FetchError as exc:
            self.report.failed.append(f"{doc.url}: {exc}")
            return
        rel = path.relative_to(self.dest).as_posix()
        known = self.state["files"].get(doc.url) or {}
        have = path.is_file() and known.get("size") == path.stat().st_size
        if have and not self.refresh:
            self.report.unchanged.append(rel)
            return
        headers = {}
        if have and known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        elif have and known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        part = path.with_name(f".{path.name}.part")
        try:
            got = self.client.download(doc.url, part, headers)
            if got.status == 304:
                self.report.unchanged.append(rel)
                return
            with open(part, "rb") as fh:
                if ext == ".pdf" and not fh.read(1024).lstrip().startswith(b"%PDF"):
                    raise HttpFailure(doc.url, f"not a PDF (the site sent {got.content_type or 'something else'})")
            os.replace(part, path)
        except (HttpFailure, OSError) as exc:
            part.unlink(missing_ok=True)
            self.report.failed.append(str(exc) if isinstance(exc, HttpFailure) else f"{doc.url}: {exc.strerror or exc}")
            self.say(f"  failed: {self.report.failed[-1]}")
            return
        self.state["files"][doc.url] = {
            "path": rel,
            "size": got.size,
            "etag": got.etag,
            "last_modified": got.last_modified,
            "council": self.council,
            "body": self.report.committee.title if self.report.committee else "",
            "meeting_date": meeting.date,
            "title": doc.title,
            "doc_type": doc.doc_type,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.report.fetched.append(rel)
        self.say(f"  fetched {rel} ({got.size:,} bytes)")


# -------------------------------------------------------------------- the site


def _xml(client: Client, url: str):
    return mg.parse_xml(client.get_bytes(url), url)


def committee_of(client: Client, base: str, wanted: str, report: FetchReport) -> mg.Committee:
    url = mg.service_url(base, "GetCommittees", lDays="0")
    try:
        return mg.find_committee(mg.parse_committees(_xml(client, url)), wanted, url)
    except HttpFailure as exc:
        if wanted.strip().isdigit():
            report.notes.append(f"the committee list did not answer ({exc}); using committee id {wanted.strip()}")
            return mg.Committee(wanted.strip(), f"Committee {wanted.strip()}")
        raise FetchError(f"cannot list the committees: {exc}. Give the committee's id (CId in its page's address)") from None
    except mg.SiteError as exc:
        if wanted.strip().isdigit() and "no committee" not in str(exc):
            report.notes.append(f"{exc}; using committee id {wanted.strip()}")
            return mg.Committee(wanted.strip(), f"Committee {wanted.strip()}")
        raise FetchError(str(exc)) from None


def meetings_of(client: Client, base: str, committee: mg.Committee, since: date, until: date, report: FetchReport):
    """The committee's meetings from ``since`` to ``until`` (both included), oldest first: from GetMeetings, else
    from the committee's meetings page."""
    url = mg.service_url(base, "GetMeetings", lCommitteeId=committee.id, sFromDate=mg.service_date(since), sToDate=mg.service_date(until))
    try:
        found = mg.parse_meetings(_xml(client, url))
    except (HttpFailure, mg.SiteError) as exc:
        page = mg.meetings_page_url(base, committee.id)
        report.notes.append(f"GetMeetings did not answer ({exc}); read {page} instead")
        try:
            found = mg.parse_meetings_page(client.get_bytes(page).decode("utf-8", "replace"), page)
        except HttpFailure as exc2:
            raise FetchError(f"cannot list the meetings: {exc}; and {exc2}") from None
    lo, hi = since.isoformat(), until.isoformat()
    unique = {m.id: m for m in found if lo <= m.date <= hi}
    return sorted(unique.values(), key=lambda m: (m.date, m.id))


def documents_of(client: Client, base: str, committee: mg.Committee, meeting: mg.Meeting, report: FetchReport):
    """A meeting's files: its own from the meeting page, the items' from GetMeeting (or the page when it does not
    answer)."""
    docs: list[mg.Document] = []
    items: mg.MeetingFiles | None = None
    url = mg.service_url(base, "GetMeeting", lMeetingId=meeting.id)
    try:
        items = mg.parse_meeting(_xml(client, url), base)
    except (HttpFailure, mg.SiteError) as exc:
        report.notes.append(f"GetMeeting did not answer ({exc}); the meeting page lists its files instead")
    page = mg.meeting_page_url(base, committee.id, meeting.id)
    try:
        html = client.get_bytes(page).decode("utf-8", "replace")
        own = mg.parse_meeting_page(html, page, items_too=items is None)
        docs += own.documents
        report.skipped += own.skipped
    except HttpFailure as exc:
        report.failed.append(str(exc))
    if items is not None:
        report.skipped += items.skipped
        have = {d.url for d in docs}
        docs += [d for d in items.documents if d.url not in have]
    return docs


def fetch(
    site_url: str,
    committee: str,
    dest: str | os.PathLike,
    since: date | None = None,
    until: date | None = None,
    council: str = "",
    polite: Politeness | None = None,
    refresh: bool = False,
    say: Callable[[str], None] = lambda m: None,
    progress: Callable[[int, int], None] | None = None,
) -> FetchReport:
    """Fetch ``committee``'s meetings between ``since`` and ``until`` from the ModernGov site at ``site_url`` into
    ``dest``. A document that cannot be fetched is named in the report (``failed``) and the rest go on; FetchError
    when nothing can be (the site, the committee or its meetings cannot be read)."""
    try:
        base = mg.site_base(site_url)
    except mg.SiteError as exc:
        raise FetchError(str(exc)) from None
    since = since or date(2000, 1, 1)
    until = until or date.today().replace(year=date.today().year + 1)
    if since > until:
        raise FetchError(f"--since {since} is after --until {until}")
    Path(dest).mkdir(parents=True, exist_ok=True)
    client = Client(polite or Politeness(), log=say)
    run = Fetcher(Path(dest), client, council, refresh, say)
    report = run.report
    report.committee = committee_of(client, base, committee, report)
    report.meetings = meetings_of(client, base, report.committee, since, until, report)
    say(f"{report.committee.title} ({report.committee.id}): {len(report.meetings)} meetings from {since} to {until}")
    committee_dir = Path(dest) / safe_name(report.committee.title)
    for n, meeting in enumerate(report.meetings, 1):
        say(f"[{n}/{len(report.meetings)}] {meeting.date} (meeting {meeting.id})")
        folder = committee_dir / meeting.date
        if not run.inside(folder):
            report.failed.append(f"{folder}: outside {dest} (a symbolic link?); meeting {meeting.id} not fetched")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for doc in documents_of(client, base, report.committee, meeting, report):
            run.document(meeting, folder, doc)
        run.save()
        if progress:
            progress(n, len(report.meetings))
    run.save()
    return report
