"""Index a BEIR corpus (corpus.jsonl) as one passage per document, for `boardpapers eval --beir`."""

from __future__ import annotations

from pathlib import Path

from boardpapers.ingest.model import Passage

from .build import build_generation
from .embed import embed_key, get_embedder
from .store import Store


def build_beir_index(corpus: list[dict], index_dir: Path, model: str | None = None, embedder=None, batch: int = 256) -> None:
    """One document per BEIR doc; its id is kept as the title so evaluation can map hits back."""
    emb = embedder or get_embedder(model)
    store = Store(Path(index_dir))
    store.set_meta("model", emb.model_id)
    store.con.commit()
    for start in range(0, len(corpus), batch):
        chunk = corpus[start : start + batch]
        texts = [(d.get("text") or "").strip() or (d.get("title") or "") for d in chunk]
        contexts = [(d.get("title") or "").strip() for d in chunk]
        embed_texts = [f"{c}\n{t}" if c else t for c, t in zip(contexts, texts)]
        keys = [embed_key(t) for t in embed_texts]
        known = store.known_embeddings(emb.model_id, keys)
        todo = {k: t for k, t in zip(keys, embed_texts) if k not in known}
        vecs = dict(zip(todo, emb.encode(list(todo.values())))) if todo else {}
        for d, text, ctx, key in zip(chunk, texts, contexts, keys):
            did = str(d["_id"])
            p = Passage(
                text=text,
                context=ctx,
                page=None,
                page_end=None,
                printed_page=None,
                item=ctx or None,
                minute_number=None,
                meeting_date=None,
                is_decision=False,
                char_start=0,
                char_end=len(text),
            )
            doc = {"doc_id": f"beir-{did}", "path": f"beir:{did}", "title": did, "doc_type": "other", "sha256": f"beir-{did}"}
            store.add_document(doc, [p], [key], {key: vecs[key]} if key in vecs else {}, emb.model_id)
    build_generation(store, emb.model_id, emb.dim)
    store.close()
