"""The Documents view's library tools: one document's fields with where each came from, a form that corrects them by
hand (index/library.py: kept across re-ingests, applied without re-embedding) and removing a document (after a
confirmation; its file too, when the app saved it in the corpus folder)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from boardpapers.errors import BoardpapersError
from boardpapers.ingest.display import doc_label
from boardpapers.ingest.model import DOC_TYPES
from boardpapers.ui.state import clear_caches
from boardpapers.ui.text import esc

FIELDS = (("title", "Title"), ("council", "Council"), ("body", "Committee / board"), ("meeting_date", "Meeting date"), ("doc_type", "Type"))


def in_folder(path: str, folder: Path) -> bool:
    try:
        return Path(folder).resolve() in Path(path).resolve().parents
    except OSError:
        return False


def _label(d: dict) -> str:
    return f"{d.get('meeting_date') or 'undated'} · {doc_label(d)} · {Path(d.get('path') or '').name}"


def render_library(docs: list[dict], backend, corpus: Path) -> None:
    """Pick a document; see, correct or remove it."""
    st.markdown("#### Correct or remove a document")
    if st.session_state.get("lib_flash"):
        st.success(esc(st.session_state.pop("lib_flash")))
    ids = [d["doc_id"] for d in docs]
    by_id = {d["doc_id"]: d for d in docs}
    doc_id = st.selectbox(
        "Document",
        ids,
        format_func=lambda i: _label(by_id[i]) if i in by_id else i,
        key="lib_doc",
        index=None,
        placeholder="Choose a document",
    )
    if doc_id is None or doc_id not in by_id:
        return
    d = by_id[doc_id]
    src = d.get("sources") or {}
    st.markdown(
        "  \n".join(
            f"**{esc(name)}:** {esc(d.get(f) or 'unknown')} <span class='bp-also'>({esc(src.get(f, 'not found'))})</span>"
            for f, name in FIELDS
        ),
        unsafe_allow_html=True,
    )
    edit_form(d, backend)
    remove_box(d, backend, corpus)


def edit_form(d: dict, backend) -> None:
    k = d["doc_id"][:16]  # each document's own widgets: another document's values never carry over
    with st.form(f"lib-edit-{k}"):
        st.caption("Set a field by hand; leave it empty to go back to what the papers say. Kept when the papers are indexed again.")
        title = st.text_input("Title", value=d.get("title") or "", key=f"lib_title-{k}")
        c1, c2 = st.columns(2)
        council = c1.text_input("Council", value=d.get("council") or "", key=f"lib_council-{k}")
        body = c2.text_input("Committee / board", value=d.get("body") or "", key=f"lib_body-{k}")
        c3, c4 = st.columns(2)
        date = c3.date_input("Meeting date", value=_date(d.get("meeting_date")), key=f"lib_date-{k}", format="YYYY-MM-DD")
        types = list(DOC_TYPES)
        kind = c4.selectbox(
            "Type", types, index=types.index(d["doc_type"]) if d.get("doc_type") in types else len(types) - 1, key=f"lib_type-{k}"
        )
        go = st.form_submit_button("Save changes", type="primary")
    if not go:
        return
    new = {"title": title, "council": council, "body": body, "meeting_date": date.isoformat() if date else "", "doc_type": kind}
    changes = {f: v for f, v in new.items() if (v or "") != (d.get(f) or "")}
    if not changes:
        st.info("Nothing changed.")
        return
    from boardpapers.index.library import check_changes

    try:
        after = backend.edit_document(d["doc_id"], check_changes(changes))
    except BoardpapersError as exc:
        st.error(esc(str(exc)))
        return
    clear_caches()
    names = dict(FIELDS)
    st.session_state.lib_flash = f"Saved {doc_label(after)}: " + ", ".join(
        f"{names[f].lower()} {after.get(f) or 'unknown'}" for f in changes
    )
    st.rerun()


def remove_box(d: dict, backend, corpus: Path) -> None:
    """Remove, with a confirmation step; the file goes too only when it is in the corpus folder and the box is ticked."""
    ours = [p for p in d.get("paths") or [d.get("path")] if p and in_folder(p, corpus)]
    pending = st.session_state.get("lib_remove") == d["doc_id"]
    if not pending:
        if st.button("Remove from the index…", key="lib-remove"):
            st.session_state.lib_remove = d["doc_id"]
            st.rerun()
        return
    st.warning(esc(f"Remove {doc_label(d)} and its passages and decisions from the index? This cannot be undone."))
    delete = (
        st.checkbox(f"Also delete its file from the corpus folder ({', '.join(Path(p).name for p in ours)})", key="lib_delete")
        if ours
        else False
    )
    c1, c2 = st.columns([1, 4])
    if c1.button("Yes, remove", key="lib-remove-yes", type="primary"):
        try:
            r = backend.remove_document(d["doc_id"], corpus if delete else None)
        except BoardpapersError as exc:
            st.error(esc(str(exc)))
            return
        clear_caches()
        st.session_state.lib_remove = None
        st.session_state.lib_flash = (
            f"Removed {r.title or r.doc_id[:12]} from the index"
            + (f" and deleted {', '.join(Path(p).name for p in r.deleted)}" if r.deleted else "")
            + "."
        )
        st.rerun()
    if c2.button("Cancel", key="lib-remove-no"):
        st.session_state.lib_remove = None
        st.rerun()


def _date(iso: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None
