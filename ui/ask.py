"""Ask mode of the Search view: a cited answer built from sentences of the papers, each marked [n] with its source
card; or, when the papers do not answer the question, an abstention with the closest related passages."""

from __future__ import annotations

import re

import streamlit as st

from boardpapers.ui.render import render_hit
from boardpapers.ui.state import available, run_ask
from boardpapers.ui.text import esc, html_block, query_terms


def view_ask(index, index_key: str, question: str, ft: tuple) -> None:
    if not available("boardpapers.index.answer"):
        st.info("Cited answers are not available in this build yet (index/answer.py is missing). Use Search meanwhile.")
        return
    with st.spinner("Reading the papers…"):
        res = run_ask(index, index_key, question, ft)
    terms = query_terms(question)
    if res.get("abstained"):
        st.warning(esc(res.get("answer") or "The papers do not answer this clearly."), icon="🤔")
        if res.get("notes"):
            st.caption("Why: " + esc("; ".join(map(str, res["notes"]))), unsafe_allow_html=True)
        related = res.get("related") or []
        if related:
            st.markdown("**The closest related passages** — not matches; they do not answer the question:")
            for i, h in enumerate(related):
                render_hit(index, {**h, "match": "related"}, terms, key=f"r-{i}-{h['passage_id']}")
        return
    answer = res.get("answer") or ""
    pieces = re.split(r"(\[\d+\])", answer)
    body = "".join(f"<sup>{esc(p)}</sup>" if re.fullmatch(r"\[\d+\]", p) else esc(p) for p in pieces)
    with st.container(border=True):
        st.caption("Answer — sentences taken from the papers, each with its source")
        html_block(body, "bp-answer")
    cits = res.get("citations") or []
    if cits:
        st.markdown(f"**Sources ({len(cits)})**")
        for h in cits:
            render_hit(index, h, terms, key=f"a-{h.get('n')}-{h['passage_id']}", label=f"[{h.get('n')}]")
