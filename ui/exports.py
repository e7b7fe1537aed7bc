"""Search results as downloads: CSV (formula-safe cells, a BOM so Excel reads UTF-8) and JSON Lines, each hit
with its full citation; related passages are left out."""

from __future__ import annotations

import re

import streamlit as st

from boardpapers.index.export import CSV_FILE_ENCODING
from boardpapers.index.export import hits_csv as csv_of_hits
from boardpapers.index.export import hits_jsonl as jsonl_of_hits
from boardpapers.index.hits import public_hit
from boardpapers.ui.state import EXPORT_LIMIT


def hits_jsonl(hits: list[dict]) -> str:
    return jsonl_of_hits(hits)  # each hit with its citation


def hits_csv(hits: list[dict]) -> str:
    return csv_of_hits([public_hit(h) for h in hits])  # formula-safe cells


def hits_csv_file(hits: list[dict]) -> bytes:
    """The CSV download: ``hits_csv`` with a UTF-8 byte-order mark, so Excel opens it as UTF-8 (index.export)."""
    return hits_csv(hits).encode(CSV_FILE_ENCODING)


def render_exports(hits: list[dict], query: str) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", query.casefold()).strip("-")[:40] or "results"
    c1, c2, c3 = st.columns([1, 1, 3])
    with c1:
        st.download_button(
            "⬇ CSV",
            data=hits_csv_file(hits),
            file_name=f"boardpapers-{slug}.csv",
            mime="text/csv",
            key="dl-csv",
            help=f"All {len(hits)} matching passages (up to {EXPORT_LIMIT}) with full citations",
        )
    with c2:
        st.download_button(
            "⬇ JSON Lines",
            data=hits_jsonl(hits),
            file_name=f"boardpapers-{slug}.jsonl",
            mime="application/jsonl",
            key="dl-jsonl",
            help=f"All {len(hits)} matching passages (up to {EXPORT_LIMIT})",
        )
    with c3:
        st.caption(
            f"Exports hold all {len(hits)} matching passages of this search (up to {EXPORT_LIMIT}), not just this page, "
            "each with its full citation; related passages are left out."
        )
