"""Shared fixtures: paths to the shared material, a fake embedder for fast unit tests, small real indexes."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = ROOT / "corpus"


from pgfixture import pg_server, pg_url  # noqa: E402,F401 - the real PostgreSQL fixtures (tests/pgfixture.py)


def shared_or_skip(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is not available (../shared is absent)")
    return p


class HashEmbedder:
    """A deterministic bag-of-words embedder: fast, lexical, good enough to test the plumbing."""

    model_id = "test-hash-embedder"
    dim = 64

    def encode(self, texts, batch_size=None):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                h = int(hashlib.md5(w.encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1.0 if (h >> 8) & 1 else -1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out

    def encode_query(self, text):
        return self.encode([text])[0]


def parse_text(tmp_path: Path, text: str, name: str = "minutes.txt") -> dict:
    """``text`` written to ``tmp_path / name`` and parsed as ingest would (no index): meta, passages, decisions."""
    from boardpapers.ingest.parse import Limits, parse_file

    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    res = parse_file(str(f), Limits(), None)
    assert res["ok"], res
    return res


@pytest.fixture
def hash_embedder():
    return HashEmbedder()


def build_index(paths, index_dir, embedder=None, **kw):
    from boardpapers.index.writer import ingest

    model = embedder.model_id if embedder is not None else None
    return ingest([str(p) for p in paths], index_dir, model=model, embedder=embedder, workers=1, **kw)


def index_of_texts(tmp_path: Path, papers: dict[str, str]):
    """An index (real model) of plain-text papers {file name: text} written under ``tmp_path``, opened."""
    from boardpapers.index.backend import open_index

    src = tmp_path / "src"
    src.mkdir()
    for name, text in papers.items():
        (src / name).write_text(text + "\n", encoding="utf-8")
    build_index([src], tmp_path / "idx")
    return open_index(tmp_path / "idx")


@pytest.fixture(scope="session")
def real_index(tmp_path_factory):
    """Two real packs (PDF) indexed with the real bundled model; shared by the integration tests."""
    d = tmp_path_factory.mktemp("real")
    src = d / "papers"
    src.mkdir()
    for name in ("004_6f7fe29cf4be1230.pdf", "003_a7b28d8a4ec9b5b9.pdf"):
        shutil.copy(CORPUS / name, src / name)
    report = build_index([src], d / "index")
    assert report.count("ingested") == 2, report.outcomes
    return d / "index"


# ---------------------------------------------------------------- the `slow` marker
# `pytest -m "not slow"` is the unit run (under a minute). A test is slow when it needs what costs seconds: the real
# embedding model, PostgreSQL, a browser. Fixtures that bring those are named here (a test module adds its own in a
# module-level SLOW_FIXTURES); every test depending on one -- directly or through another fixture -- is marked slow,
# as is every test run on the "postgresql" backend parameter. Tests slow for another reason carry the mark themselves.
SLOW_FIXTURES = {"real_index", "pg_server", "pg_url", "browser"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        slow_here = SLOW_FIXTURES | set(getattr(item.module, "SLOW_FIXTURES", ()))
        params = getattr(item, "callspec", None)
        on_pg = params is not None and "postgresql" in params.params.values()
        if on_pg or slow_here & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    """In a unit run, loading the real model is an error that names the fix, so slow tests cannot creep in unmarked."""
    if "not slow" not in (config.option.markexpr or ""):
        return
    from boardpapers.index import embed

    def refuse(self, *args, **kwargs):
        raise RuntimeError("this test loads the real embedding model: mark it @pytest.mark.slow (or use hash_embedder)")

    embed.Embedder.__init__ = refuse  # type: ignore[method-assign]
