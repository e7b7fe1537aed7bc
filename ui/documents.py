"""The Documents view: what the index holds (counts, model, build time), every document with where each of its
meeting fields came from, a document corrected by hand or removed (ui/library.py), documents by body and year,
ingest warnings, and the files that could not be indexed."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from boardpapers.ui.library import render_library


def view_documents(index, backend, corpus: Path) -> None:
    st.subheader("Indexed documents")
    docs = index.store.documents()
    m = index.manifest
    c = st.columns(4)
    c[0].metric("Documents", len(docs))
    c[1].metric("Passages", f"{len(index):,}")
    c[2].metric("Model", str(m.get("model")))
    c[3].metric("Built", str(m.get("built_at") or "")[:16].replace("T", " "))
    if not docs:
        st.info("The index holds no documents yet. Add papers to get started.")
    else:
        render_documents(docs, lambda: render_library(docs, backend, corpus))
    render_failures(index.store.failures())


def render_documents(docs: list[dict], tools=None) -> None:
    """The documents table, ``tools`` (drawn under it), documents by body and year, and the ingest warnings."""
    import pandas as pd

    df = pd.DataFrame(
        [
            {
                "meeting date": d.get("meeting_date"),
                "date from": (d.get("sources") or {}).get("meeting_date"),
                "council": d.get("council") or "unknown",
                "body": d.get("body") or "unknown",
                "type": d.get("doc_type"),
                "title": d.get("title"),
                "pages": d.get("pages"),
                "file": Path(d.get("path") or "").name,
                "also at": also_at(d),
                "sources": sources_line(d.get("sources") or {}),
                "warnings": len(d.get("warnings") or []),
                "ingested": d.get("ingested_at"),
                "source url": d.get("source_url"),
            }
            for d in docs
        ]
    )
    st.dataframe(df, hide_index=True, width="stretch", key="docs-table")
    if tools is not None:
        tools()
    st.markdown("**Documents by body and year**")
    df["year"] = df["meeting date"].fillna("").str[:4].replace("", "undated")
    df["body"] = df["body"].fillna("unknown")
    counts = df.pivot_table(index="body", columns="year", values="file", aggfunc="count", fill_value=0)
    st.dataframe(counts, width="stretch", key="docs-counts")
    warn = [{"file": Path(d.get("path") or "").name, "warning": w} for d in docs for w in (d.get("warnings") or [])]
    st.markdown(f"**Ingest warnings ({len(warn)})**")
    if warn:
        st.dataframe(pd.DataFrame(warn), hide_index=True, width="stretch", key="docs-warnings")
    else:
        st.caption("None.")


def sources_line(sources: dict) -> str:
    """'meeting date: frontsheet; council: content; ...' -- where each meeting field came from (ingest/context.py)."""
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sources.items())


def also_at(d: dict) -> str:
    """The document's other paths (the same file in other meetings' folders), each with its own meeting date."""
    return "; ".join(
        f"{Path(p).name} ({c.get('meeting_date') or 'undated'})" for p, c in (d.get("path_contexts") or {}).items() if p != d.get("path")
    )


def render_failures(fails: list[dict]) -> None:
    import pandas as pd

    st.markdown(f"**Files that could not be indexed ({len(fails)})**")
    if fails:
        st.dataframe(
            pd.DataFrame([{"file": Path(f["path"]).name, "reason": f["reason"], "when": f["at"], "path": f["path"]} for f in fails]),
            hide_index=True,
            width="stretch",
            key="docs-failures",
        )
    else:
        st.caption("None — every file given to ingest is indexed.")
