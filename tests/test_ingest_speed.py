"""Ingestion does as little encoding as it can: each distinct text once, cached texts never, and the
embedding backend is part of what an index records (issue 8)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, HashEmbedder, build_index
from pdfgen import make_pdf

from boardpapers.index.embed import ModelError, get_embedder, missing_backend_packages, space_id, split_space_id
from boardpapers.index.store import Store
from boardpapers.index.writer import ingest


class CountingEmbedder(HashEmbedder):
    """HashEmbedder that records every text it is asked to encode, call by call."""

    def __init__(self, model_id: str = HashEmbedder.model_id, fail_after: int | None = None):
        self.model_id = model_id
        self.calls: list[list[str]] = []
        self.fail_after = fail_after

    def encode(self, texts, batch_size=None):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RuntimeError("simulated crash while encoding")
        self.calls.append(list(texts))
        return super().encode(texts, batch_size)

    @property
    def encoded(self) -> Counter:
        return Counter(t for call in self.calls for t in call)


def window_count(index_dir: Path) -> tuple[int, int]:
    """(sentence windows of the active passages, texts in the embedding cache)."""
    from boardpapers.ingest.chunk import window_texts

    s = Store(index_dir, readonly=True)
    try:
        rows = s.con.execute("SELECT context, text FROM passages JOIN documents d USING(doc_id) WHERE d.status='active'").fetchall()
        return sum(len(window_texts(c, t)) for c, t in rows), s.con.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    finally:
        s.close()


def counts(index_dir: Path) -> tuple[int, int, int]:
    """(active documents, their passages, distinct embed keys of those passages)."""
    s = Store(index_dir, readonly=True)
    try:
        docs = s.con.execute("SELECT count(*) FROM documents WHERE status='active'").fetchone()[0]
        p, k = s.con.execute(
            "SELECT count(*), count(DISTINCT embed_key) FROM passages JOIN documents d USING(doc_id) WHERE d.status='active'"
        ).fetchone()
        return docs, p, k
    finally:
        s.close()


SHARED_MINUTES = [
    "Minutes of the meeting of the Licensing Committee held on Tuesday, 7 February 2023",
    "12. TAXI LICENSING FEES",
    "The Committee considered a report on hackney carriage fees and the consultation responses received.",
    "RESOLVED:",
    "That the hackney carriage fees for 2023/24 be increased by 5%.",
]


def _pack(path: Path, date: str, extra: list[str]) -> None:
    make_pdf(
        path,
        [
            [
                "Example Borough Council",
                "MEETING OF THE LICENSING COMMITTEE",
                f"Date: Tuesday, {date}",
                "AGENDA",
                "1. Apologies for absence",
                "2. Minutes of the previous meeting",
            ],
            SHARED_MINUTES,  # the previous meeting's minutes, reprinted in each pack
            extra,
        ],
    )


def test_repeated_text_is_encoded_once_across_and_within_documents(tmp_path):
    src = tmp_path / "papers"
    src.mkdir()
    _pack(src / "march.pdf", "7 March 2023", ["13. STREET TRADING", "Street trading consents are renewed every year in April."])
    _pack(src / "april.pdf", "4 April 2023", ["14. SEX ESTABLISHMENTS", "The policy on sex establishment venues was reviewed."])
    (src / "notes.txt").write_text("Boilerplate paragraph about data protection.\n\nBoilerplate paragraph about data protection.\n")
    shutil.copy(src / "march.pdf", src / "march (sent to cabinet).pdf")  # the same file twice in one run
    (src / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    shutil.copy(src / "broken.pdf", src / "broken copy.pdf")
    emb = CountingEmbedder()
    report = build_index([src], tmp_path / "idx", emb)
    assert report.count("ingested") == 3
    # the copy is parsed once and recorded as a second path of the same document; a broken file's copy fails with it
    assert [o.path for o in report.outcomes if o.status == "duplicate"] == [str(src / "march.pdf")]
    assert sorted(Path(o.path).name for o in report.failed) == ["broken copy.pdf", "broken.pdf"]
    s = Store(tmp_path / "idx", readonly=True)
    assert len(s.con.execute("SELECT path FROM doc_paths").fetchall()) == 4
    s.close()
    docs, passages, distinct = counts(tmp_path / "idx")
    assert docs == 3 and passages == report.passages_total
    # the reprinted minutes and the repeated paragraph are stored in full but encoded once
    assert distinct < passages
    assert max(emb.encoded.values()) == 1, [t for t, n in emb.encoded.items() if n > 1]
    assert sum(emb.encoded.values()) == distinct == report.embedded
    assert report.reused_embeddings == passages - distinct


@pytest.mark.slow
def test_crash_while_encoding_keeps_previous_index_and_next_run_completes(tmp_path):
    from boardpapers.index.embedded import Index

    src = tmp_path / "papers"
    src.mkdir()
    _pack(src / "march.pdf", "7 March 2023", ["13. STREET TRADING", "Street trading consents are renewed every year in April."])
    idx = tmp_path / "idx"
    first = build_index([src], idx, HashEmbedder())
    for i in range(4):
        (src / f"report{i}.txt").write_text(f"Report {i} on the licensing budget line {i}.\n\nParagraph two of report {i} about fees.\n")
    crashing = CountingEmbedder(fail_after=1)  # the first encode call works, the second raises
    # one document per encode call, so the crash comes after something was written
    from boardpapers.index.embedqueue import EmbedQueue

    old_batch = EmbedQueue.BATCH
    EmbedQueue.BATCH = 2
    try:
        with pytest.raises(RuntimeError, match="simulated crash"):
            build_index([src], idx, crashing)
    finally:
        EmbedQueue.BATCH = old_batch
    # the live generation is still the one before the crash
    assert Index(idx).manifest["passages"] == first.passages_total
    # every document the crashed run stored is complete (its own transaction)
    s = Store(idx, readonly=True)
    stored = {r[0]: r[1] for r in s.con.execute("SELECT d.path, count(*) FROM documents d JOIN passages USING(doc_id) GROUP BY d.path")}
    s.close()
    written = [p for p in stored if p.endswith(".txt")]
    assert 1 <= len(written) < 4
    # the next run embeds exactly what is missing and ends equal to a clean build
    emb = CountingEmbedder()
    again = build_index([src], idx, emb)
    assert not again.failed and again.count("unchanged") == 1 + len(written)
    assert max(emb.encoded.values()) == 1
    clean = build_index([src], tmp_path / "clean", HashEmbedder())
    assert counts(idx) == counts(tmp_path / "clean")
    assert again.passages_total == clean.passages_total
    s = Store(tmp_path / "clean", readonly=True)
    clean_counts = {
        Path(r[0]).name: r[1] for r in s.con.execute("SELECT d.path, count(*) FROM documents d JOIN passages USING(doc_id) GROUP BY d.path")
    }
    s.close()
    assert all(n == clean_counts[Path(p).name] for p, n in stored.items())  # what the crashed run stored was complete


@pytest.mark.slow
def test_reingest_corpus_with_renamed_and_resaved_copies_embeds_nothing(tmp_path):
    """The five demo packs, then again with a renamed copy and a re-saved copy (different bytes, same
    text) of each: the second pass parses the re-saved copies and encodes nothing."""
    packs = sorted(CORPUS.glob("*.pdf"))
    assert len(packs) == 5
    emb = CountingEmbedder()
    idx = tmp_path / "idx"
    first = ingest([str(CORPUS)], idx, model=emb.model_id, embedder=emb, workers=2)
    assert first.count("ingested") == 5 and not first.failed
    docs1, passages1, distinct1 = counts(idx)
    assert docs1 == 5 and passages1 == first.passages_total > 2000
    # every distinct text -- passage or sentence window -- encoded once, and all of them in the cache
    windows1, cached1 = window_count(idx)
    assert sum(emb.encoded.values()) == first.embedded == cached1 > distinct1 and max(emb.encoded.values()) == 1
    assert windows1 > passages1

    copies = tmp_path / "copies"
    copies.mkdir()
    for p in packs:
        shutil.copy(p, copies / f"renamed {p.name}")
        data = p.read_bytes() + b"\n% re-saved copy\n"  # a different file (new content hash), the same text
        (copies / f"resaved {p.name}").write_bytes(data)
    emb2 = CountingEmbedder()
    second = ingest([str(CORPUS), str(copies)], idx, model=emb2.model_id, embedder=emb2, workers=2)
    assert second.count("unchanged") == 5
    assert second.count("duplicate") == 5  # renamed copies: recognised by content hash, not even parsed
    assert second.count("ingested") == 5 and not second.failed  # re-saved copies: parsed only
    assert second.embedded == 0 and emb2.calls == []
    assert second.reused_embeddings == passages1 + windows1
    assert window_count(idx)[1] == cached1
    docs2, passages2, distinct2 = counts(idx)
    assert (docs2, passages2, distinct2) == (10, 2 * passages1, distinct1)


def test_space_ids_record_the_backend():
    assert space_id("all-MiniLM-L6-v2", None) == "all-MiniLM-L6-v2"
    assert space_id("all-MiniLM-L6-v2", "torch") == "all-MiniLM-L6-v2"
    assert space_id("all-MiniLM-L6-v2", "onnx-int8") == "all-MiniLM-L6-v2@onnx-int8"
    assert split_space_id("all-MiniLM-L6-v2@onnx-int8") == ("all-MiniLM-L6-v2", "onnx-int8")
    assert split_space_id("/models/me@work/minilm") == ("/models/me@work/minilm", "torch")
    with pytest.raises(ModelError, match="unknown embedding backend 'tensorrt'.*torch, torch-bf16, onnx, onnx-int8, openvino"):
        space_id("all-MiniLM-L6-v2", "tensorrt")


@pytest.mark.slow
def test_backend_mismatch_is_refused_before_any_work(tmp_path):
    src = tmp_path / "papers"
    src.mkdir()
    (src / "a.txt").write_text("Report on the licensing budget.\n")
    idx = tmp_path / "idx"
    build_index([src], idx, HashEmbedder())
    (src / "b.txt").write_text("Another report on taxi fees.\n")
    onnx_ids = CountingEmbedder(model_id=f"{HashEmbedder.model_id}@onnx-int8")
    with pytest.raises(ModelError, match="holds embeddings from backend 'torch', not 'onnx-int8'.*--rebuild"):
        ingest([str(src)], idx, embedder=onnx_ids, workers=1)
    assert onnx_ids.calls == []
    # --rebuild re-indexes with the new backend; the cache keeps both backends' vectors apart
    report = ingest([str(src)], idx, embedder=onnx_ids, workers=1, rebuild=True)
    assert report.embedded == 2 and not report.failed
    s = Store(idx, readonly=True)
    assert s.get_meta("model") == f"{HashEmbedder.model_id}@onnx-int8"
    by_model = dict(s.con.execute("SELECT model, count(*) FROM embeddings GROUP BY model").fetchall())
    s.close()
    assert by_model == {HashEmbedder.model_id: 1, f"{HashEmbedder.model_id}@onnx-int8": 2}


def test_default_model_index_refuses_another_backend(tmp_path):
    """Without an embedder: the recorded model 'all-MiniLM-L6-v2' (PyTorch) against --backend onnx."""
    idx = tmp_path / "idx"
    s = Store(idx)
    s.set_meta("model", "all-MiniLM-L6-v2")
    s.con.commit()
    s.close()
    (tmp_path / "a.txt").write_text("text\n")
    with pytest.raises(ModelError, match="backend 'torch', not 'onnx'"):
        ingest([str(tmp_path / "a.txt")], idx, backend="onnx")
    with pytest.raises(ModelError, match="unknown embedding backend 'bogus'"):
        ingest([str(tmp_path / "a.txt")], tmp_path / "fresh", backend="bogus")


@pytest.mark.slow
def test_bf16_backend_gives_unit_vectors_close_to_fp32():
    """torch-bf16 is the same model with bfloat16 weights: its own embedding space (never mixed with fp32 vectors),
    unit-length float32 vectors, and the same neighbours."""
    import numpy as np

    texts = [
        "The Better Care Fund pooled budget totalled £52m in 2015/16.",
        "RESOLVED that the Health and Wellbeing Board approves the Joint Health and Wellbeing Strategy.",
        "Delayed transfers of care from hospital rose over the winter.",
    ]
    fp32, bf16 = get_embedder(None, "torch"), get_embedder(None, "torch-bf16")
    assert bf16.model_id == "all-MiniLM-L6-v2@torch-bf16" != fp32.model_id
    a, b = fp32.encode(texts), bf16.encode(texts)
    assert b.dtype == np.float32 and np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.99
    q = fp32.encode_query("pooled budget"), bf16.encode_query("pooled budget")
    assert int(np.argmax(a @ q[0])) == int(np.argmax(b @ q[1])) == 0


@pytest.mark.skipif(not missing_backend_packages("onnx-int8"), reason="the ONNX backend's packages are installed here")
@pytest.mark.slow  # builds an index with the real model
def test_missing_backend_packages_are_named(tmp_path):
    (tmp_path / "a.txt").write_text("text\n")
    with pytest.raises(ModelError, match="needs the package\\(s\\) .*(onnxruntime|optimum-onnx).*boardpapers\\[backends\\]"):
        ingest([str(tmp_path / "a.txt")], tmp_path / "idx", backend="onnx-int8")
    # a query against an index recorded as onnx-int8 asks for that backend too, never silently PyTorch
    with pytest.raises(ModelError, match="backend 'onnx-int8' needs"):
        get_embedder("all-MiniLM-L6-v2@onnx-int8")
    # a plain --rebuild of an onnx-int8 index keeps its backend (here: asks for its missing packages)
    idx = tmp_path / "int8"
    s = Store(idx)
    s.set_meta("model", "all-MiniLM-L6-v2@onnx-int8")
    s.con.commit()
    s.close()
    with pytest.raises(ModelError, match="backend 'onnx-int8' needs"):
        ingest([str(tmp_path / "a.txt")], idx, rebuild=True)
    assert Store(idx, readonly=True).get_meta("model") == "all-MiniLM-L6-v2@onnx-int8"


def test_cli_backend_option(tmp_path):
    import subprocess
    import sys

    (tmp_path / "a.txt").write_text("text\n")
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "cli.py"),
            "ingest",
            str(tmp_path / "a.txt"),
            "--index",
            str(tmp_path / "idx"),
            "--backend",
            "tensorrt",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2 and "--backend" in r.stderr and "onnx-int8" in r.stderr


def test_short_encode_calls_while_files_are_still_parsing(tmp_path):
    """While parse workers run, the encoder gets the cores they leave free for the whole of a call; calls are
    then short, so it takes a freed core back soon after; with no parsing left, calls are long (less padding)."""
    from boardpapers.index.embedqueue import EmbedQueue, ParsedDocument
    from boardpapers.index.report import IngestReport

    store = Store(tmp_path / "idx")
    try:
        emb = CountingEmbedder()
        queue = EmbedQueue(store, emb.model_id, IngestReport(), emb)
        texts = [f"passage number {i} about the libraries budget" for i in range(600)]
        queue.add(
            ParsedDocument(
                path=tmp_path / "a.pdf",
                digest="d",
                size=1,
                mtime=0.0,
                res={},
                meta={},
                passages=[],
                texts=texts,
                keys=[f"k{i}" for i in range(600)],
            )
        )
        queue.encode_some(busy_workers=2)
        queue.encode_some(busy_workers=1)
        queue.encode_some(busy_workers=0)
        assert [len(c) for c in emb.calls] == [EmbedQueue.BATCH_WHILE_PARSING] * 2 + [EmbedQueue.BATCH]
        assert len(queue.texts) == 600 - 2 * EmbedQueue.BATCH_WHILE_PARSING - EmbedQueue.BATCH
    finally:
        store.close()


def test_encode_calls_group_texts_of_like_length(tmp_path):
    """The model pads each batch to its longest text: a call takes the longest of the oldest waiting texts."""
    from boardpapers.index.embedqueue import EmbedQueue, ParsedDocument
    from boardpapers.index.report import IngestReport

    store = Store(tmp_path / "idx")
    try:
        emb = CountingEmbedder()
        queue = EmbedQueue(store, emb.model_id, IngestReport(), emb)
        queue.WINDOW = 100
        texts = [("word " * (5 + (i * 37) % 200)).strip() + f" {i}" for i in range(300)]  # lengths in no order
        queue.add(
            ParsedDocument(
                path=tmp_path / "a.pdf",
                digest="d",
                size=1,
                mtime=0.0,
                res={},
                meta={},
                passages=[],
                texts=texts,
                keys=[f"k{i}" for i in range(300)],
            )
        )
        queue.encode_some(busy_workers=1)
        call = emb.calls[0]
        assert sorted(call, key=len, reverse=True) == sorted(texts[:100], key=len, reverse=True)[: len(call)]
        while queue.texts:  # everything is encoded in the end, each text once
            queue.encode_some(busy_workers=0)
        assert sorted(t for c in emb.calls for t in c) == sorted(texts)
    finally:
        store.close()


def test_new_index_uses_bf16_only_where_the_hardware_has_it(tmp_path, monkeypatch):
    """A new index without --backend embeds in bfloat16 only on a CPU with AMX/AVX512-BF16 or a GPU with bf16;
    elsewhere fp32 (emulated bf16 would be slower). An existing index keeps the backend it was built with."""
    import torch

    from boardpapers.index import embed
    from boardpapers.index.writer import embedding_space

    monkeypatch.setattr(embed, "_best_device", lambda: "cpu")
    for has, want in ((True, "torch-bf16"), (False, "torch")):
        monkeypatch.setattr(embed, "cpu_has_bf16", lambda has=has: has)
        assert embed.preferred_backend() == want
        s = Store(tmp_path / want)
        try:
            assert split_space_id(embedding_space(s, tmp_path / want, None, None, None)) == ("all-MiniLM-L6-v2", want)
            assert split_space_id(s.get_meta("model"))[1] == want  # recorded: queries use the same backend
        finally:
            s.close()
    # an index built in fp32 stays fp32 on a bf16 machine
    s = Store(tmp_path / "old")
    s.set_meta("model", "all-MiniLM-L6-v2")
    s.con.commit()
    assert embedding_space(s, tmp_path / "old", None, None, None) == "all-MiniLM-L6-v2"
    s.close()
    # a GPU: bf16 where torch says the device supports it
    monkeypatch.setattr(embed, "_best_device", lambda: "cuda")
    for ok, want in ((True, "torch-bf16"), (False, "torch")):
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda ok=ok: ok)
        assert embed.preferred_backend() == want


@pytest.mark.slow  # builds an index with the real model
def test_plain_ingest_records_this_machines_preferred_backend(tmp_path):
    """End to end, unpatched: what a new index records is what this machine prefers, and it answers a search."""
    from boardpapers.index import embed
    from boardpapers.index.backend import open_index
    from boardpapers.index.search import search

    (tmp_path / "a.txt").write_text("The Health and Wellbeing Board approved the Better Care Fund plan.\n")
    ingest([str(tmp_path / "a.txt")], tmp_path / "idx")
    s = Store(tmp_path / "idx")
    recorded = s.get_meta("model")
    s.close()
    assert split_space_id(recorded) == ("all-MiniLM-L6-v2", embed.preferred_backend())
    hits = search(open_index(tmp_path / "idx"), "Better Care Fund plan", k=1).hits
    assert hits and "Better Care Fund" in hits[0]["text"]
