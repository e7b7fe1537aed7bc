"""The first run: no index at the location yet. Says what an index is, offers to build one from the corpus folder
(or shows the command line for it), and stops the page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from boardpapers.ui.add import run_ingest


def no_index(backend, corpus_dir: Path) -> None:
    corpus_ok = corpus_dir.is_dir() and any(p.suffix.lower() in (".pdf", ".txt", ".md") for p in corpus_dir.rglob("*") if p.is_file())
    st.info(
        f"There is no index at `{backend.location}` yet. An index holds the passages of your board papers, ready to search. "
        f"Build one from the papers in `{corpus_dir}`"
        + ("" if corpus_ok else " (that folder has no PDF or text files yet: put some there first)")
        + ", or from the command line:",
        icon="📂",
    )
    st.code(f"boardpapers ingest {corpus_dir} --index {backend.location}", language="bash")
    if st.button("Build the index", key="build-index", type="primary", disabled=not corpus_ok):
        from boardpapers.index.report import summary_table

        report = run_ingest(backend, [str(corpus_dir)], None, f"Indexing {corpus_dir}…")
        if report is not None:
            st.session_state.add_report = summary_table(report)
            st.rerun()
    st.stop()
