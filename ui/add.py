"""Adding papers: uploads saved into the corpus folder under safe, unique names (never overwriting, never outside
the folder), then indexed with a progress bar through the backend's own ingest."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from boardpapers.errors import BoardpapersError
from boardpapers.ingest.discovery import sha256_file
from boardpapers.ingest.display import doc_label
from boardpapers.ui.state import clear_caches
from boardpapers.ui.text import esc

if TYPE_CHECKING:
    from boardpapers.index.report import IngestReport

UPLOAD_LIMIT_MB = 50  # keep in step with server.maxUploadSize in .streamlit/config.toml
UPLOAD_TYPES = ("pdf", "txt", "md")
NAME_MAX = 120

# ------------------------------------------------------------------ upload names


def safe_filename(name: str, max_len: int = NAME_MAX) -> str:
    """A safe basename for an uploaded file.

    Keeps only the last path component, drops control/format characters (NUL, bidi overrides),
    path separators and leading dots, collapses whitespace, and caps the length at ``max_len``
    while keeping the extension. Raises ValueError for a type we do not ingest.
    """
    s = unicodedata.normalize("NFC", str(name or ""))
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join(c for c in s if unicodedata.category(c)[0] != "C")
    s = re.sub(r"\s+", " ", s).strip().lstrip(".").strip()
    stem, ext = os.path.splitext(s)
    ext = ext.lower()
    if ext.lstrip(".") not in UPLOAD_TYPES:
        raise ValueError(f"{name!r}: only {', '.join('.' + t for t in UPLOAD_TYPES)} files can be added")
    stem = stem.strip().rstrip(".").strip() or "upload"
    return stem[: max(1, max_len - len(ext))] + ext


def unique_target(corpus_dir: Path, name: str, max_len: int = NAME_MAX) -> Path:
    """A path for ``name`` directly inside ``corpus_dir`` that does not exist yet (suffix -1, -2 ...)."""
    root = Path(corpus_dir).resolve()
    stem, ext = os.path.splitext(name)
    cand = root / name
    i = 1
    while cand.exists() or cand.is_symlink():
        sfx = f"-{i}"
        cand = root / (stem[: max(1, max_len - len(ext) - len(sfx))] + sfx + ext)
        i += 1
    if cand.resolve().parent != root or cand.parent != root:
        raise ValueError(f"refusing to write {name!r} outside {root}")
    return cand


def copy_in_folder(corpus_dir: Path, data: bytes) -> Path | None:
    """A file directly inside the corpus folder with exactly these bytes (an earlier upload of them), or None."""
    root = Path(corpus_dir)
    if not root.is_dir():
        return None
    digest = hashlib.sha256(data).hexdigest()
    for f in sorted(root.iterdir()):
        try:
            if f.is_file() and not f.is_symlink() and f.stat().st_size == len(data) and sha256_file(f) == digest:
                return f
        except OSError:
            continue
    return None


def save_upload(corpus_dir: Path, name: str, data: bytes) -> Path:
    """Write one upload into the corpus folder under a sanitised, unique name; never overwrites."""
    Path(corpus_dir).mkdir(parents=True, exist_ok=True)
    target = unique_target(corpus_dir, safe_filename(name))
    with open(target, "xb") as fh:  # exclusive create: no overwrite, no following a planted link
        fh.write(data)
    return target


# ------------------------------------------------------------------ indexing


def run_ingest(backend, paths: list[str], model: str | None, note: str) -> IngestReport | None:
    """Ingest with a progress bar; returns the report, or None after showing the error."""
    bar = st.progress(0.0, text=note)

    def progress(msg: str) -> None:
        m = re.match(r"\[(\d+)/(\d+)\]", msg)
        if m:
            done, total = int(m.group(1)), int(m.group(2))
            bar.progress(min(0.95, 0.9 * done / max(total, 1)), text=msg[:200])
        elif msg.startswith("building"):
            bar.progress(0.95, text="Building the search index…")

    try:
        report = backend.ingest(paths, model=model, progress=progress)
    except BoardpapersError as exc:  # locked by another ingest, the model or the store refused: the message says why
        bar.empty()
        st.error(str(exc))
        return None
    except OSError as exc:
        bar.empty()
        st.error(f"Cannot write the index at {backend.location}: {exc.strerror or exc}. The previous index is unchanged.")
        return None
    bar.progress(1.0, text="Done")
    clear_caches()
    return report


def view_add(index, backend, corpus_dir: Path) -> None:
    st.subheader("Add papers")
    st.markdown(
        f"Upload agenda packs, minutes or reports (PDF, or plain text). Up to **{UPLOAD_LIMIT_MB} MB per file**. "
        f"Files are saved in the corpus folder <code>{esc(str(corpus_dir.resolve()))}</code> and indexed straight away; "
        "they are searchable as soon as indexing finishes.",
        unsafe_allow_html=True,
    )
    files = st.file_uploader(
        "Papers",
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
        key="uploads",
        help=f"PDF, .txt or .md, at most {UPLOAD_LIMIT_MB} MB each",
    )
    if st.button("Add and index", key="add-go", type="primary", disabled=not files):
        add_files(index, backend, corpus_dir, files or [])
    for note in st.session_state.get("add_notes") or []:
        st.info(esc(note))
    if st.session_state.get("add_report"):
        st.success("Saved " + esc(", ".join(st.session_state.get("add_saved") or [])) + " and updated the index.")
        st.code(st.session_state.add_report, language=None)
    view_fetch(index, backend, corpus_dir)


def add_files(index, backend, corpus_dir: Path, files: list) -> None:
    """Save the uploads (each refused one is an error on the page) and index the saved ones."""
    from boardpapers.index.report import summary_table

    saved, errors, notes = [], [], []
    known = {d["doc_id"]: d for d in index.store.documents()} if index is not None else {}  # content hash -> document
    for f in files:
        try:
            if f.size > UPLOAD_LIMIT_MB * 1024 * 1024:
                raise ValueError(f"{f.name!r} is over {UPLOAD_LIMIT_MB} MB")
            data = f.getvalue()
            doc = known.get(hashlib.sha256(data).hexdigest())
            if doc is not None:  # never saved twice, nor indexed twice (a second click on the same upload lands here)
                notes.append(f"{f.name}: already indexed as {doc_label(doc)} ({Path(doc.get('path') or '').name}); not saved again.")
                continue
            here = copy_in_folder(corpus_dir, data)  # saved before but not indexed (its ingest failed): index that copy
            target = here or save_upload(corpus_dir, f.name, data)
            if target not in saved:
                saved.append(target)
        except (ValueError, OSError) as exc:
            errors.append(str(exc))
    for e in errors:
        st.error(esc(e))
    st.session_state.add_notes = notes
    st.session_state.add_report = None  # this click's outcome only: "already indexed" is not "saved and updated"
    if saved:
        report = run_ingest(
            backend,
            [str(p) for p in saved],
            index.model_id if index is not None else None,
            f"Indexing {len(saved)} file{'s' * (len(saved) != 1)}…",
        )
        if report is not None:
            st.session_state.add_report = summary_table(report)
            st.session_state.add_saved = [p.name for p in saved]
            st.rerun()


# ------------------------------------------------------------------ from a council website


def view_fetch(index, backend, corpus_dir: Path) -> None:
    """Add papers → from a council website: a ModernGov site, a committee and dates; fetched into
    ``corpus/fetched/`` (politely, resumably: ingest/fetch.py) and then indexed."""
    st.markdown("#### From a council website")
    st.caption(
        "Councils running ModernGov (most UK councils' committee sites): the committee's agenda frontsheets, "
        "reports packs, reports, appendices and printed minutes are downloaded one at a time, a second apart, "
        "into the corpus folder, and indexed. Files already downloaded are not fetched again."
    )
    with st.form("fetch-form"):
        site = st.text_input("Site address", key="fetch_site", placeholder="https://democracy.example.gov.uk")
        committee = st.text_input("Committee (name or id)", key="fetch_committee", placeholder="Cabinet")
        council = st.text_input("Council name (optional)", key="fetch_council")
        c1, c2 = st.columns(2)
        since = c1.date_input("Meetings from", value=None, key="fetch_since", format="YYYY-MM-DD")
        until = c2.date_input("Meetings until", value=None, key="fetch_until", format="YYYY-MM-DD")
        go = st.form_submit_button("Fetch and index", type="primary")
    if go:
        if not site.strip() or not committee.strip():
            st.error("Give the site's address and the committee.")
        else:
            fetch_and_index(index, backend, corpus_dir, site.strip(), committee.strip(), council.strip(), since, until)
    if st.session_state.get("fetch_summary"):
        st.success(esc(st.session_state.fetch_summary))
        for line in st.session_state.get("fetch_failed") or []:
            st.warning(esc(line))


def fetch_and_index(index, backend, corpus_dir: Path, site: str, committee: str, council: str, since, until) -> None:
    """Fetch with a progress bar (meetings done of all), then ingest what is in the fetch folder."""
    from boardpapers.index.report import summary_table
    from boardpapers.ingest.fetch import fetch

    dest = Path(corpus_dir) / "fetched"
    bar = st.progress(0.0, text=f"Looking up {committee} at {site}…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"Meeting {done} of {total} fetched")

    try:
        report = fetch(site, committee, dest, since=since, until=until, council=council, progress=progress, polite=app_politeness())
    except BoardpapersError as exc:
        bar.empty()
        st.error(esc(str(exc)))
        return
    except OSError as exc:
        bar.empty()
        st.error(esc(f"Cannot write to {dest}: {exc.strerror or exc}"))
        return
    bar.empty()
    summary = (
        f"{report.committee.title if report.committee else committee}: {len(report.meetings)} meetings, "
        f"{len(report.fetched)} files fetched, {len(report.unchanged)} already here, {len(report.failed)} failed."
    )
    st.session_state.fetch_summary, st.session_state.fetch_failed = summary, report.failed[:50]
    if report.paths:
        ingest = run_ingest(backend, [str(dest)], index.model_id if index is not None else None, "Indexing the fetched papers…")
        if ingest is not None:
            st.session_state.fetch_summary = summary + " The index is updated."
            st.session_state.add_report = summary_table(ingest)
            st.session_state.add_saved = [f"{len(report.paths)} papers from {site}"]
    st.rerun()


def app_politeness():
    """The app's request settings: delay and contact from the environment (settings.py; tests set the delay to 0)."""
    from boardpapers.ingest.webclient import Politeness, user_agent
    from boardpapers.settings import settings

    env = settings()
    return Politeness(delay=env.fetch_delay, user_agent=user_agent(env.fetch_contact))
