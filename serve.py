"""The app as served: boardpapers/app.py behind Streamlit's ASGI server, plus the one route of its own,
``/papers/{doc_id}.pdf`` (ui/papers.py), through which the source view links to an indexed PDF at its page.

    streamlit run serve.py        # what `boardpapers app` and scripts/app.sh run
    uvicorn boardpapers.serve:app  # or any ASGI server

``streamlit run app.py`` still serves the app, without the route (the source view then offers the PDF as a
download instead of a link).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from boardpapers.ui import papers

papers.enable()
app = st.App(Path(__file__).resolve().with_name("app.py"), routes=papers.routes())
