"""Adding papers: uploads saved into the corpus folder under safe, unique names (never overwriting, never outside
the folder), then indexed with a progress bar through the backend's own ingest."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from boardpapers.errors import BoardpapersError
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
        f"Files are saved in the corpus folder `{esc(str(corpus_dir.resolve()))}` and indexed straight away; "
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
    if st.session_state.get("add_report"):
        st.success("Saved " + esc(", ".join(st.session_state.get("add_saved") or [])) + " and updated the index.")
        st.code(st.session_state.add_report, language=None)


def add_files(index, backend, corpus_dir: Path, files: list) -> None:
    """Save the uploads (each refused one is an error on the page) and index the saved ones."""
    from boardpapers.index.report import summary_table

    saved, errors = [], []
    for f in files:
        try:
            if f.size > UPLOAD_LIMIT_MB * 1024 * 1024:
                raise ValueError(f"{f.name!r} is over {UPLOAD_LIMIT_MB} MB")
            saved.append(save_upload(corpus_dir, f.name, f.getvalue()))
        except (ValueError, OSError) as exc:
            errors.append(str(exc))
    for e in errors:
        st.error(esc(e))
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
