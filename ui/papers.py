"""The app's own route: ``GET /papers/{doc_id}.pdf`` serves the PDF of an indexed document, so the source view can
link to the original at the cited page (``/papers/<id>.pdf#page=12``) in a tab of its own, where every browser's PDF
viewer works (Chromium refuses PDFs inside Streamlit's sandboxed iframes and data: URLs).

Only documents of the app's index are served: the URL names a document id, never a path, and the id is looked up
among the index's documents (an unknown id, a document that is not a PDF, or one whose file is gone is a 404). So
no path from a request ever reaches the file system and nothing outside the index can be fetched.

The route is mounted by boardpapers/serve.py (an ``st.App``); ``served()`` says whether this process runs it, so a
plain ``streamlit run app.py`` offers a download instead of a link that would not answer.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

ROUTE = "/papers/{doc_id}.pdf"
_served = False
_documents: dict[str, list[dict]] = {}  # "location::version" -> the index's documents


def enable() -> None:
    """Called by serve.py as it mounts the route: from now on the app links to PDFs."""
    global _served
    _served = True


def served() -> bool:
    return _served


def paper_url(doc_id: str, page: int | None = None) -> str:
    """The route's URL for a document (absolute path on the app's host), opened at ``page`` by the PDF viewer."""
    return f"/papers/{quote(doc_id, safe='')}.pdf" + (f"#page={int(page)}" if page else "")


def pdf_path(documents: list[dict], doc_id: str) -> Path | None:
    """The file of the indexed document ``doc_id`` when it is a PDF that is still there, else None."""
    for d in documents:
        if d.get("doc_id") != doc_id:
            continue
        for p in [d.get("path"), *(d.get("paths") or [])]:
            path = Path(p or "")
            if p and path.suffix.lower() == ".pdf" and path.is_file():
                return path
        return None
    return None


def _index_documents() -> list[dict]:
    """The documents of the index the app shows (the same cached backend and index the pages use), listed once
    per index version."""
    from boardpapers.settings import location
    from boardpapers.ui.state import load_backend, load_index

    where = location()
    version = load_backend(where).version()
    if version is None:
        return []
    key = f"{where}::{version}"
    if key not in _documents:
        _documents.clear()  # only the live version's list is kept
        _documents[key] = load_index(where, version).store.documents()
    return _documents[key]


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w .()&,-]+", "_", name)[:120] or "paper.pdf"


def pdf_endpoint(request):
    """Starlette endpoint (sync: Starlette runs it in its thread pool, off the event loop)."""
    from starlette.responses import FileResponse, PlainTextResponse

    from boardpapers.errors import BoardpapersError

    doc_id = str(request.path_params.get("doc_id") or "")
    try:
        path = pdf_path(_index_documents(), doc_id)
    except BoardpapersError as exc:
        return PlainTextResponse(str(exc), status_code=503)
    if path is None:
        return PlainTextResponse("No such PDF in the index.", status_code=404)
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=_safe_name(path.name),
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"},
    )


def routes() -> list:
    from starlette.routing import Route

    return [Route(ROUTE, pdf_endpoint, methods=["GET", "HEAD"])]
