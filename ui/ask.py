"""Ask mode of the Search view: a cited answer built from sentences of the papers, each marked [n] with its source
card; or, when the papers do not answer the question, an abstention with the closest related passages."""

from __future__ import annotations

import re

import streamlit as st

from boardpapers.index.facts import UNSTATED, UNSTATED_HEAD
from boardpapers.ui.render import render_hit
from boardpapers.ui.state import available, run_ask
from boardpapers.ui.text import esc, html_block, query_terms


def view_ask(index, index_key: str, question: str, ft: tuple) -> None:
    if not available("boardpapers.index.answer"):
        st.info("Cited answers are not available in this build yet (index/answer.py is missing). Use Search meanwhile.")
        return
    with st.spinner("Reading the papers…"):
        res = run_ask(index, index_key, question, ft)
    llm = _llm_field()
    if llm and not res.get("abstained"):
        with st.spinner("Phrasing the answer…"):
            res = _phrased(res, llm, f"{index_key}|{question}|{ft}")
    terms = query_terms(question, [n for n in res.get("notes") or [] if str(n).startswith("query expanded: ")])
    if res.get("abstained"):
        st.warning(esc(res.get("answer") or "The papers do not answer this clearly."), icon="🤔")
        if res.get("notes"):
            st.caption("Why: " + esc("; ".join(map(str, res["notes"]))), unsafe_allow_html=True)
        related = res.get("related") or []
        if related and res.get("unstated"):  # matches about the subject, none stating the figure asked: shown as they are
            st.markdown(f"**{esc(UNSTATED_HEAD.format(what=UNSTATED[res['unstated']]))}:**", unsafe_allow_html=True)
            for i, h in enumerate(related):
                render_hit(index, h, terms, key=f"r-{i}-{h['passage_id']}")
        elif related:
            st.markdown("**The closest related passages** — not matches; they do not answer the question:")
            for i, h in enumerate(related):
                render_hit(index, {**h, "match": "related"}, terms, key=f"r-{i}-{h['passage_id']}")
        return
    if res.get("mode") == "generative" or any("generative" in str(n) for n in res.get("notes") or []):
        st.caption(esc("; ".join(map(str, res.get("notes") or []))) or "Phrased by the language model; every sentence cites its source.")
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


def _llm_field() -> str:
    """The optional chat endpoint (OpenAI-compatible, e.g. llama.cpp's or Ollama's) that phrases answers; empty = off."""
    with st.expander("Phrase answers with a language model (optional)"):
        url = st.text_input(
            "Chat completions URL",
            key="llm_url",
            placeholder="http://127.0.0.1:8080/v1/chat/completions",
            help="Off when empty. The model sees only the cited passages; a sentence it writes is kept only when the "
            "passage it cites supports it. If the server fails, the quoted answer is shown.",
        )
    return (url or "").strip()


@st.cache_data(show_spinner=False, max_entries=32)
def _phrased(_res: dict, llm: str, key: str) -> dict:
    from boardpapers.index.answer import phrase

    return phrase(_res, llm, timeout=60.0)
