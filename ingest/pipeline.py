"""Ingest files into an index directory: parse in parallel, embed what is new, store, build, switch.

Every input ends up ingested, skipped (unchanged / same content as another path) or failed with a
one-line reason; failures never stop the batch, and the previous index stays live until the new
generation is complete.
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import os
import shutil
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .chunk import chunk_document, heuristic_counter, join_pages, tokenizer_counter
from .loaders import load_document
from .model import IngestError, Passage
from .structure import PARSER_VERSION, analyse

SUPPORTED = {".pdf", ".txt", ".md"}
MANIFEST_NAMES = ("manifest.csv", "boardpapers.csv")
DOC_OVERRIDABLE = ("title", "council", "body", "meeting_date", "doc_type", "source_url")


@dataclass
class Limits:
    """Per-file resource limits (configurable on the command line)."""

    timeout_s: int = 300
    max_pages: int = 5000
    max_file_mb: int = 512


@dataclass
class FileOutcome:
    path: str
    status: str  # ingested | unchanged | duplicate | failed
    detail: str = ""
    passages: int = 0
    pages: int = 0


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0
    embedded: int = 0
    reused_embeddings: int = 0
    generation: str | None = None
    passages_total: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes if o.status == "ingested")


class LockedError(Exception):
    """Another ingest holds the index."""


class IndexLock:
    """An exclusive, non-blocking lock on an index directory (released when the process dies)."""

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / ".lock"
        self.fd: int | None = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(self.fd, 64).decode(errors="replace").strip()
            except OSError:
                holder = "?"
            os.close(self.fd)
            self.fd = None
            raise LockedError(
                f"another ingest is running on {self.path.parent} (pid {holder or '?'}); wait for it to finish and try again"
            ) from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def discover(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[FileOutcome], dict[Path, dict]]:
    """Files to ingest under ``paths``, failures for unusable arguments, and sidecar manifest rows."""
    files: list[Path] = []
    bad: list[FileOutcome] = []
    manifest: dict[Path, dict] = {}
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            bad.append(FileOutcome(str(p), "failed", "no such file or directory"))
            continue
        if p.is_dir():
            for name in MANIFEST_NAMES:
                if (p / name).is_file():
                    manifest.update(read_manifest(p / name))
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUPPORTED and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    files.append(f)
        elif p.suffix.lower() in SUPPORTED:
            files.append(p)
        elif p.name in MANIFEST_NAMES:
            manifest.update(read_manifest(p))
        else:
            bad.append(FileOutcome(str(p), "failed", f"unsupported file type '{p.suffix or p.name}' (expected .pdf, .txt or .md)"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique, bad, manifest


def read_manifest(csv_path: Path) -> dict[Path, dict]:
    """Rows of a sidecar manifest: a `path` column (relative to the CSV) plus any document field.

    Entries only ever describe files found under the CSV's own folder: a path that resolves outside
    it is ignored, so a manifest cannot make ingest read anything the user did not pass.
    """
    root = csv_path.parent.resolve()
    out: dict[Path, dict] = {}
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                rel = (row.get("path") or row.get("file") or "").strip()
                if not rel:
                    continue
                target = (root / rel).resolve()
                if root not in target.parents and target != root:
                    continue
                fields = {k: (v or "").strip() for k, v in row.items() if k in DOC_OVERRIDABLE and (v or "").strip()}
                if fields:
                    out[target] = fields
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        print(f"warning: manifest {csv_path} ignored: {exc}", file=sys.stderr)
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - runs in worker processes
    raise _Timeout()


def parse_file(path: str, limits: Limits, tokenizer_dir: str | None) -> dict:
    """Load, analyse and chunk one file (runs in a worker process). Never raises."""
    use_alarm = hasattr(signal, "SIGALRM") and limits.timeout_s > 0
    try:
        if use_alarm:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.alarm(limits.timeout_s)
        try:
            t0 = time.perf_counter()
            doc = load_document(path, max_pages=limits.max_pages, max_file_mb=limits.max_file_mb)
            text, starts = join_pages(doc)
            st = analyse(doc, text, starts)
            count = tokenizer_counter(tokenizer_dir) if tokenizer_dir else heuristic_counter
            passages = chunk_document(doc, text, starts, st, count)
            from index.glossary import mine

            glossary = mine(text)
            if not passages:
                raise IngestError("no text to index")
            return {
                "ok": True,
                "meta": asdict(st.meta),
                "pages": len(doc.pages) if doc.kind == "pdf" else None,
                "warnings": list(doc.warnings),
                "encoding": doc.encoding,
                "passages": [asdict(p) for p in passages],
                "glossary": glossary,
                "seconds": time.perf_counter() - t0,
            }
        finally:
            if use_alarm:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, old)
    except _Timeout:
        return {"ok": False, "reason": f"took longer than the per-file limit of {limits.timeout_s} s"}
    except IngestError as exc:
        return {"ok": False, "reason": exc.reason}
    except RecursionError:
        return {"ok": False, "reason": "refused: document structure nested too deeply"}
    except MemoryError:
        return {"ok": False, "reason": "refused: ran out of memory reading this file"}
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        return {"ok": False, "reason": f"unexpected error: {type(exc).__name__}: {str(exc)[:200]}"}


def embed_text(p: dict) -> str:
    """What the embedding model sees: the context line, then the verbatim passage."""
    return f"{p['context']}\n{p['text']}" if p.get("context") else p["text"]


Progress = Callable[[str], None]


def ingest(
    paths: Iterable[str | os.PathLike],
    index_dir: str | os.PathLike,
    model: str | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    embedder=None,
) -> IngestReport:
    """Ingest ``paths`` into the index at ``index_dir`` and switch to the new generation."""
    index_dir = Path(index_dir)
    if rebuild:
        return _rebuild(paths, index_dir, model, workers, limits, progress, embedder)
    with IndexLock(index_dir):
        return _ingest_locked(paths, index_dir, model, workers, limits or Limits(), progress, embedder)


def _rebuild(paths, index_dir: Path, model, workers, limits, progress, embedder) -> IngestReport:
    """Build a fresh index beside the live one (reusing cached embeddings), then swap it in."""
    from index.store import Store, StoreError

    index_dir.mkdir(parents=True, exist_ok=True)
    with IndexLock(index_dir):
        fresh = index_dir.parent / f".{index_dir.name}.rebuild-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        try:
            old = Store(index_dir, readonly=True) if (index_dir / "store.sqlite").exists() else None
        except StoreError:
            old = None  # damaged: start from nothing
        new = Store(fresh)
        if old is not None:
            try:
                with new.con:
                    new.con.execute("ATTACH DATABASE ? AS old", (f"file:{old.path}?mode=ro",))
                    new.con.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM old.embeddings")
                new.con.execute("DETACH DATABASE old")
            except Exception:  # noqa: BLE001 - a damaged cache is simply not reused
                pass
            old.close()
        new.close()
        report = _ingest_locked(paths, fresh, model, workers, limits or Limits(), progress, embedder)
        trash = index_dir.parent / f".{index_dir.name}.old-{os.getpid()}"
        keep = {".lock"}
        trash.mkdir()
        for entry in index_dir.iterdir():
            if entry.name not in keep:
                os.rename(entry, trash / entry.name)
        for entry in fresh.iterdir():
            if entry.name not in keep:
                os.rename(entry, index_dir / entry.name)
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(trash, ignore_errors=True)
        return report


def _ingest_locked(paths, index_dir: Path, model, workers, limits: Limits, progress, embedder) -> IngestReport:
    from index.build import build_generation, current_generation_name
    from index.embed import get_embedder, model_tokenizer_dir, resolve_model
    from index.store import Store

    t_start = time.perf_counter()
    say = progress or (lambda msg: None)
    report = IngestReport()
    files, bad, manifest = discover(paths)
    report.outcomes.extend(bad)
    store = Store(index_dir)
    model_id, _ = resolve_model(model)
    indexed_model = store.get_meta("model")
    if indexed_model and indexed_model != model_id:
        store.close()
        from index.embed import ModelError

        raise ModelError(
            f"the index at {index_dir} holds embeddings from model {indexed_model!r}, not {model_id!r}; "
            f"use --rebuild to re-index with the new model (cached embeddings of the old one are kept)"
        )
    store.set_meta("model", model_id)
    store.con.commit()

    todo: list[tuple[Path, str, int, float]] = []
    for f in files:
        try:
            st = f.stat()
            if st.st_size == 0:
                report.outcomes.append(FileOutcome(str(f), "failed", "empty file (0 bytes)"))
                store.record_failure(str(f), None, "empty file (0 bytes)")
                continue
            digest = sha256_file(f)
        except OSError as exc:
            report.outcomes.append(FileOutcome(str(f), "failed", f"cannot read: {exc.strerror or exc}"))
            continue
        state = store.path_state(str(f))
        if state is not None and state["sha256"] == digest and store.has_doc(digest) and f.resolve() not in manifest:
            report.outcomes.append(FileOutcome(str(f), "unchanged"))
            continue
        if store.has_doc(digest) and f.resolve() not in manifest:
            store.add_path(str(f), digest, st.st_size, st.st_mtime)
            first = store.con.execute("SELECT path FROM documents WHERE doc_id=?", (digest,)).fetchone()
            report.outcomes.append(FileOutcome(str(f), "duplicate", f"same content as {first[0] if first else 'a stored document'}"))
            continue
        todo.append((f, digest, st.st_size, st.st_mtime))

    tok_dir = model_tokenizer_dir(model)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    emb = embedder
    t_parse = 0.0
    done = 0
    if todo:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            pending = {pool.submit(parse_file, str(f), limits, tok_dir): (f, digest, size, mtime) for f, digest, size, mtime in todo}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    f, digest, size, mtime = pending.pop(fut)
                    done += 1
                    try:
                        res = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a crashed worker fails only its file
                        res = {"ok": False, "reason": f"parser process failed: {type(exc).__name__}: {exc}"}
                    if not res["ok"]:
                        report.outcomes.append(FileOutcome(str(f), "failed", res["reason"]))
                        store.record_failure(str(f), digest, res["reason"])
                        say(f"{_bar(done, len(todo), t_start)} {f.name}: FAILED: {res['reason']}")
                        continue
                    t_parse += res["seconds"]
                    if emb is None:
                        emb = get_embedder(model)
                    n_new = _store_parsed(store, emb, model_id, f, digest, size, mtime, res, manifest.get(f.resolve()), report)
                    say(f"{_bar(done, len(todo), t_start)} {f.name}: {len(res['passages'])} passages ({n_new} newly embedded)")
    report.parse_seconds = t_parse
    cur = current_generation_name(index_dir)
    needs_build = cur is None or _gen_store_version(index_dir, cur) != store.version()
    if needs_build:
        dim = emb.dim if emb is not None else _stored_dim(store, model_id)
        if dim is None:
            emb = emb or get_embedder(model)
            dim = emb.dim
        say("building index generation…")
        gen = build_generation(store, model_id, dim)
        report.generation = gen.name
        store.collect_garbage()
    else:
        report.generation = cur
    report.passages_total = store.con.execute(
        "SELECT count(*) FROM passages p JOIN documents d USING(doc_id) WHERE d.status='active'"
    ).fetchone()[0]
    store.close()
    report.seconds = time.perf_counter() - t_start
    return report


def _bar(done: int, total: int, t0: float, width: int = 20) -> str:
    """'[#######-------------]  7/20  35%  0:42 left' for the progress line of each finished file."""
    frac = done / total if total else 1.0
    elapsed = time.perf_counter() - t0
    left = elapsed / done * (total - done) if done else 0.0
    fill = int(round(frac * width))
    return f"[{'#' * fill}{'-' * (width - fill)}] {done:>{len(str(total))}}/{total} {frac:4.0%}  {int(left // 60)}:{int(left % 60):02d} left"


def _gen_store_version(index_dir: Path, name: str) -> int | None:
    import json

    try:
        return int(json.loads((index_dir / "gens" / name / "manifest.json").read_text())["store_version"])
    except (OSError, ValueError, KeyError):
        return None


def _stored_dim(store, model_id: str) -> int | None:
    row = store.con.execute("SELECT vec FROM embeddings WHERE model=? LIMIT 1", (model_id,)).fetchone()
    return len(row[0]) // 4 if row else None


def _store_parsed(store, emb, model_id, f: Path, digest, size, mtime, res, overrides, report: IngestReport) -> int:
    from index.embed import embed_key

    meta = res["meta"]
    passages = [Passage(**p) for p in res["passages"]]
    if overrides:
        detected_date = meta.get("meeting_date")
        for k, v in overrides.items():
            meta[k] = v
        if "meeting_date" in overrides:
            for p in passages:
                if p.meeting_date == detected_date:
                    p.meeting_date = overrides["meeting_date"]
    texts = [embed_text(asdict(p)) for p in passages]
    keys = [embed_key(t) for t in texts]
    known = store.known_embeddings(model_id, list(set(keys)))
    new_keys: dict[str, str] = {}
    for k, t in zip(keys, texts):
        if k not in known and k not in new_keys:
            new_keys[k] = t
    t0 = time.perf_counter()
    vecs = emb.encode(list(new_keys.values())) if new_keys else []
    report.embed_seconds += time.perf_counter() - t0
    report.embedded += len(new_keys)
    report.reused_embeddings += len(keys) - len(new_keys)
    doc = {
        "doc_id": digest,
        "path": str(f),
        "title": meta.get("title"),
        "council": meta.get("council"),
        "body": meta.get("body"),
        "meeting_date": meta.get("meeting_date"),
        "doc_type": meta.get("doc_type"),
        "pages": res["pages"],
        "sha256": digest,
        "source_url": meta.get("source_url"),
        "warnings": res["warnings"],
        "encoding": res["encoding"],
        "size": size,
        "parser": PARSER_VERSION,
    }
    store.add_document(doc, passages, keys, dict(zip(new_keys, vecs)), model_id, res["glossary"], size, mtime)
    report.outcomes.append(FileOutcome(str(f), "ingested", "", len(passages), res["pages"] or 0))
    return len(new_keys)


def summary_table(report: IngestReport) -> str:
    """The end-of-ingest table: counts, then one line per failure with its reason."""
    lines = [
        f"ingested: {report.count('ingested')}   unchanged: {report.count('unchanged')}   "
        f"same content as another file: {report.count('duplicate')}   failed: {report.count('failed')}",
        f"passages in index: {report.passages_total}   newly embedded: {report.embedded}   "
        f"reused embeddings: {report.reused_embeddings}   pages parsed: {report.pages}",
        f"time: {report.seconds:.1f} s (parse {report.parse_seconds:.1f} s of worker time, embed {report.embed_seconds:.1f} s)"
        + (f"   pages/s: {report.pages / report.seconds:.1f}" if report.seconds and report.pages else ""),
    ]
    if report.failed:
        lines.append("failed files:")
        width = min(60, max(len(Path(o.path).name) for o in report.failed))
        for o in report.failed:
            lines.append(f"  {Path(o.path).name:<{width}}  {o.detail}")
    return "\n".join(lines)
