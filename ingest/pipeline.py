"""Ingest files into an index directory: parse in parallel, embed what is new, store, build, switch.

Every input ends up ingested, skipped (unchanged / same content as another path) or failed with a
one-line reason; failures never stop the batch, and the previous index stays live until the new
generation is complete.
"""
from __future__ import annotations

import csv
import errno
import hashlib
import itertools
import multiprocessing
import os
import shutil
import signal
import stat
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from .chunk import chunk_document, heuristic_counter, join_pages, tokenizer_counter, window_texts, with_context
from .display import shown_path
from .loaders import load_document
from .lock import IndexLock, LockedError, worker_init  # noqa: F401 - LockedError is part of ingest's interface
from .model import DOC_TYPES, IngestError, Passage
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
    # where the wall time went (seconds): loading the model, storing documents, building the generation, and
    # the moments (from the start) the first encode began, the last file was parsed and the last encode ended
    load_seconds: float = 0.0
    write_seconds: float = 0.0
    build_seconds: float = 0.0
    timeline: dict = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes if o.status == "ingested")


def _unreadable(p: Path) -> tuple[bool, str | None]:
    """(is a folder, why ``p`` cannot be ingested or None), from ``stat`` alone: a named pipe, socket or device is
    never opened (opening a named pipe blocks until something writes to it)."""
    try:
        mode = os.stat(p).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return False, "symbolic link loop"
        if os.path.islink(p):
            try:
                target = os.readlink(p)
            except OSError:
                target = "?"
            return False, f"broken symbolic link (its target {target} does not exist)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return False, "no such file or directory"
        return False, (exc.strerror or str(exc)).lower()
    if stat.S_ISDIR(mode):
        return True, None
    if stat.S_ISREG(mode):
        return False, None
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode) else "a special file")
    return False, f"not a regular file ({kind})"


def discover(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[FileOutcome], dict[Path, dict]]:
    """Files to ingest under ``paths``, failures for unusable arguments, and sidecar manifest rows.

    A folder with no supported file in it is reported as a failure of its own (nothing was ingested from it)."""
    files: list[Path] = []
    bad: list[FileOutcome] = []
    manifest: dict[Path, dict] = {}
    for raw in paths:
        p = Path(raw)
        is_dir, why = _unreadable(p)
        if why:
            bad.append(FileOutcome(str(p), "failed", why))
            continue
        if is_dir:
            for name in MANIFEST_NAMES:
                if (p / name).is_file():
                    manifest.update(read_manifest(p / name))
            root = p.resolve()
            before = len(files) + len(bad)
            for f in sorted(p.rglob("*")):
                if f.suffix.lower() not in SUPPORTED or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                f_is_dir, why = _unreadable(f)
                if f_is_dir:
                    continue
                if why:
                    bad.append(FileOutcome(str(f), "failed", why))
                    continue
                if f.is_symlink() and root not in f.resolve().parents:
                    bad.append(FileOutcome(str(f), "failed", f"symbolic link to a file outside {p}: not followed (pass the target itself to ingest it)"))
                    continue
                files.append(f)
            if len(files) + len(bad) == before:
                bad.append(FileOutcome(str(p), "failed", "no supported files (.pdf, .txt or .md) in this folder"))
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
        if r in seen:
            continue
        seen.add(r)
        try:
            str(f).encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 in the name: the store and every output need UTF-8
            shown = str(f).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            bad.append(FileOutcome(shown, "failed", "file name is not valid UTF-8: rename the file"))
            continue
        unique.append(f)
    return unique, bad, manifest


def read_manifest(csv_path: Path) -> dict[Path, dict]:
    """Rows of a sidecar manifest: a `path` column (relative to the CSV) plus any document field.

    Entries only ever describe files found under the CSV's own folder: a path that resolves outside
    it is ignored, so a manifest cannot make ingest read anything the user did not pass.
    A row that cannot be used (no path, a path outside the folder or to no file, bytes that are not
    UTF-8) is left out, and a bad field (a doc_type not in DOC_TYPES, a meeting_date that is not a
    date) is dropped from its row; each is reported on stderr as a warning naming the file and line.
    """
    from .dates import find_dates

    root = csv_path.parent.resolve()
    out: dict[Path, dict] = {}
    shown = shown_path(csv_path)

    def warn(line: int, what: str) -> None:
        print(f"warning: manifest {shown}, line {line}: {what}", file=sys.stderr)

    def utf8(v: str) -> bool:
        try:
            v.encode("utf-8")
            return True
        except UnicodeEncodeError:  # bytes that were not UTF-8 (decoded with surrogateescape)
            return False

    rd = None
    try:
        with open(csv_path, newline="", encoding="utf-8", errors="surrogateescape") as f:
            rd = csv.DictReader(f)
            if rd.fieldnames is None:
                return out
            rd.fieldnames = [(h or "").lstrip("\ufeff").strip() for h in rd.fieldnames]
            if not all(utf8(h) for h in rd.fieldnames):
                warn(1, "not valid UTF-8 (save the file as UTF-8)")
            if "path" not in rd.fieldnames and "file" not in rd.fieldnames:
                warn(1, "no 'path' column; manifest ignored")
                return out
            for row in rd:
                line = rd.line_num
                values = [v for v in row.values() if isinstance(v, str)] + [v for v in row.get(None) or [] if isinstance(v, str)]
                if not all(utf8(v) for v in values):
                    warn(line, "not valid UTF-8; row ignored")
                    continue
                rel = (row.get("path") or row.get("file") or "").strip()
                if not rel:
                    if any(v.strip() for v in values):
                        warn(line, "no path; row ignored")
                    continue
                try:
                    target = (root / rel).resolve()
                except (OSError, ValueError, RuntimeError) as exc:  # NUL byte, name too long, symlink loop
                    why = getattr(exc, "strerror", None) or str(exc)
                    warn(line, f"path {shown_path(rel[:200])} cannot be used ({why}); row ignored")
                    continue
                if root not in target.parents and target != root:
                    warn(line, f"path {shown_path(rel[:200])} is outside the manifest's folder; row ignored")
                    continue
                if not os.path.exists(target):
                    warn(line, f"no file {shown_path(rel[:200])} in the manifest's folder; row ignored")
                    continue
                fields = {k: (v or "").strip() for k, v in row.items() if k in DOC_OVERRIDABLE and (v or "").strip()}
                if "doc_type" in fields:
                    kind = fields["doc_type"].lower()
                    if kind in DOC_TYPES:
                        fields["doc_type"] = kind
                    else:
                        warn(line, f"doc_type '{shown_path(fields.pop('doc_type')[:100])}' is not one of {', '.join(DOC_TYPES)}; field ignored")
                if "meeting_date" in fields:
                    value = fields["meeting_date"]
                    try:
                        fields["meeting_date"] = date.fromisoformat(value).isoformat()
                    except ValueError:
                        found = find_dates(value)
                        if len(found) == 1:  # a written date: "3 May 2022", "03/05/2022"
                            fields["meeting_date"] = found[0][1]
                        else:
                            del fields["meeting_date"]
                            warn(line, f"meeting_date '{shown_path(value[:100])}' is not a date (YYYY-MM-DD); field ignored")
                if fields:
                    out[target] = fields
    except (OSError, csv.Error) as exc:
        where = f", line {rd.line_num}" if rd is not None and rd.line_num else ""
        print(f"warning: manifest {shown}{where}: {getattr(exc, 'strerror', None) or exc}; "
              f"{'the rest of it ' if out else ''}ignored", file=sys.stderr)
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Timeout(BaseException):
    """Raised by the per-file alarm; a BaseException so that no `except Exception` in a parser can swallow it."""


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
    """What the embedding model sees of a passage: the context line, then the verbatim passage."""
    return with_context(p.get("context"), p["text"])


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
    backend: str | None = None,
) -> IngestReport:
    """Ingest ``paths`` into the index at ``index_dir`` and switch to the new generation.

    ``backend`` (torch | onnx | onnx-int8 | openvino) is how passages are embedded; None means the
    index's own backend, or PyTorch for a new index.
    """
    import sqlite3

    from index.store import STORE_FILE, StoreError, sqlite_message

    index_dir = Path(index_dir)
    try:
        if rebuild:
            return _rebuild(paths, index_dir, model, workers, limits, progress, embedder, backend)
        with IndexLock(index_dir):
            _recover(index_dir, progress or (lambda msg: None))
            return _ingest_locked(paths, index_dir, model, workers, limits or Limits(), progress, embedder, backend)
    except sqlite3.Error as exc:  # a full disk, a read-only folder or a damaged store: one line, never a traceback
        raise StoreError(sqlite_message(index_dir / STORE_FILE, exc)) from None


def _rebuild(paths, index_dir: Path, model, workers, limits, progress, embedder, backend) -> IngestReport:
    """Build a fresh index beside the live one (reusing cached embeddings), then swap it in."""
    from index.store import Store, StoreError

    index_dir.mkdir(parents=True, exist_ok=True)
    with IndexLock(index_dir):
        _recover(index_dir, progress or (lambda msg: None))
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
            backend = backend or _same_model_backend(old, model)
            old.close()
        new.close()
        report = _ingest_locked(paths, fresh, model, workers, limits or Limits(), progress, embedder, backend)
        _swap_in(index_dir, fresh, index_dir.parent / f".{index_dir.name}.old-{os.getpid()}")
        return report


def _swap_in(index_dir: Path, fresh: Path, trash: Path) -> None:
    """Move the live index into ``trash`` and the complete ``fresh`` one into its place.

    Resumable: a crash part-way leaves ``trash`` (marked once the live entries are all out) and ``fresh``
    beside the index, and running this again with the same folders finishes the swap.
    """
    trash.mkdir(exist_ok=True)
    moved_out = trash / ".moved-out"
    if not moved_out.exists():
        for entry in index_dir.iterdir():
            if not entry.name.startswith(".lock"):
                os.rename(entry, trash / entry.name)
        moved_out.touch()
    for entry in fresh.iterdir():
        if not entry.name.startswith(".lock"):
            os.rename(entry, index_dir / entry.name)
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.rmtree(trash, ignore_errors=True)


def _recover(index_dir: Path, say: Progress) -> None:
    """Under the index lock: finish a `--rebuild` swap a crash interrupted, and drop what a killed rebuild left."""
    parent, name = index_dir.parent, index_dir.name
    if not parent.is_dir():
        return
    for trash in sorted(parent.glob(f".{name}.old-*")):
        fresh = parent / f".{name}.rebuild-{trash.name.rsplit('-', 1)[1]}"
        if fresh.is_dir():
            say(f"finishing the --rebuild of {index_dir} that was interrupted while swapping in")
            _swap_in(index_dir, fresh, trash)
        else:  # the swap was complete; only the old files were left
            shutil.rmtree(trash, ignore_errors=True)
    for fresh in parent.glob(f".{name}.rebuild-*"):  # a rebuild killed before its swap: the live index is intact
        shutil.rmtree(fresh, ignore_errors=True)


def _ingest_locked(paths, index_dir: Path, model, workers, limits: Limits, progress, embedder, backend=None) -> IngestReport:
    from index.build import build_generation, current_generation_name
    from index.embed import get_embedder, model_tokenizer_dir
    from index.store import REBUILD_HINT, Store, StoreError

    t_start = time.perf_counter()
    say = progress or (lambda msg: None)
    report = IngestReport()
    files, bad, manifest = discover(paths)
    report.outcomes.extend(bad)
    store = Store(index_dir)
    try:
        # SQLite's quick check before anything is written: damage in the middle of the file is otherwise
        # noticed only by the query that happens to read it
        damage = store.check()
        if damage:
            raise StoreError(f"the passage store {store.path} is damaged (SQLite's check: {damage[0][:160]}); {REBUILD_HINT}")
        model_id = _embedding_space(store, index_dir, model, backend, embedder)
    except Exception:
        store.close()
        raise

    todo: list[tuple[Path, str, int, float]] = []
    copies: dict[str, list[tuple[Path, int, float]]] = {}  # content hash -> later files of this run with that content
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
        # a document read by an older version of the structure parser is read again (its passages and citations
        # get the fixes); texts that did not change keep their cached embeddings
        current = store.has_doc(digest, PARSER_VERSION)
        if state is not None and state["sha256"] == digest and current and f.resolve() not in manifest:
            report.outcomes.append(FileOutcome(str(f), "unchanged"))
            continue
        if current and f.resolve() not in manifest:
            store.add_path(str(f), digest, st.st_size, st.st_mtime)
            first = store.con.execute("SELECT path FROM documents WHERE doc_id=?", (digest,)).fetchone()
            report.outcomes.append(FileOutcome(str(f), "duplicate", f"same content as {first[0] if first else 'a stored document'}"))
            continue
        if f.resolve() not in manifest:
            if digest in copies:  # the same file twice in this run: parse it once
                copies[digest].append((f, st.st_size, st.st_mtime))
                continue
            copies[digest] = []
        todo.append((f, digest, st.st_size, st.st_mtime))

    tok_dir = model_tokenizer_dir(model)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    queue = _EmbedQueue(store, model_id, report, embedder, load=lambda: (say("loading the embedding model…"), get_embedder(model_id))[1],
                        t_start=t_start)
    t_parse = 0.0
    done = 0
    if todo:
        say(f"parsing {len(todo)} file{'s' * (len(todo) != 1)} with {n_workers} worker process{'es' * (n_workers != 1)}…")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=_worker_context(),
                                 initializer=worker_init, initargs=(os.getpid(),)) as pool:
            pending = {pool.submit(parse_file, str(f), limits, tok_dir): (f, digest, size, mtime) for f, digest, size, mtime in todo}
            while pending or queue.texts:
                # take every parsed file that is ready, but never wait for one while there is text to encode
                finished, _ = wait(pending, timeout=0 if queue.texts else None, return_when=FIRST_COMPLETED)
                for fut in finished:
                    f, digest, size, mtime = pending.pop(fut)
                    try:
                        res = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a crashed worker fails only its file
                        res = {"ok": False, "reason": f"parser process failed: {type(exc).__name__}: {exc}"}
                    if not res["ok"]:
                        done += 1
                        report.outcomes.append(FileOutcome(str(f), "failed", res["reason"]))
                        store.record_failure(str(f), digest, res["reason"])
                        say(f"{_bar(done, len(todo), t_start)} {f.name}: FAILED: {res['reason']}")
                        for c, _, _ in copies.get(digest, []):
                            report.outcomes.append(FileOutcome(str(c), "failed", f"{res['reason']} (same content as {f})"))
                            store.record_failure(str(c), digest, res["reason"])
                        continue
                    t_parse += res["seconds"]
                    report.timeline["last_parsed"] = round(time.perf_counter() - t_start, 2)
                    queue.add(_parsed_document(f, digest, size, mtime, res, manifest.get(f.resolve())))
                queue.encode_some(busy_workers=min(len(pending), n_workers))
                t_write = time.perf_counter()
                ready = queue.write_ready()
                report.write_seconds += time.perf_counter() - t_write
                for d in ready:
                    done += 1
                    report.outcomes.append(FileOutcome(str(d.path), "ingested", "", len(d.passages), d.res["pages"] or 0))
                    say(f"{_bar(done, len(todo), t_start)} {d.path.name}: {len(d.passages)} passages ({len(d.owned)} newly embedded)")
                    for c, size, mtime in copies.get(d.digest, []):
                        store.add_path(str(c), d.digest, size, mtime)
                        report.outcomes.append(FileOutcome(str(c), "duplicate", f"same content as {d.path}"))
        queue.restore_threads()
    emb = queue.embedder
    report.parse_seconds = t_parse
    cur = current_generation_name(index_dir)
    needs_build = cur is None or not _gen_is_current(index_dir, cur, store)
    if needs_build:
        dim = emb.dim if emb is not None else _stored_dim(store, model_id)
        if dim is None:
            emb = emb or get_embedder(model_id)
            dim = emb.dim
        say("building index generation…")
        t_build = time.perf_counter()
        gen = build_generation(store, model_id, dim)
        report.build_seconds = time.perf_counter() - t_build
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


# modules that start native thread pools: a process that has imported one must not fork (a lock held by one of
# those threads stays locked forever in the child, which then hangs)
_THREADED_MODULES = ("torch", "onnxruntime", "openvino", "tokenizers", "faiss")


def _worker_context():
    """How parse workers start: ``fork`` (instant) while this process has no native threads -- the CLI parses
    before it loads the model -- and ``spawn`` once it has (the app, or any caller that encoded before)."""
    if multiprocessing.get_start_method(allow_none=True) not in (None, "fork") or sys.platform != "linux":
        return None  # the caller's choice, or the platform default
    if any(m in sys.modules for m in _THREADED_MODULES):
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork")


def _bar(done: int, total: int, t0: float, width: int = 20) -> str:
    """'[#######-------------]  7/20  35%  0:42 left' for the progress line of each finished file."""
    frac = done / total if total else 1.0
    elapsed = time.perf_counter() - t0
    left = elapsed / done * (total - done) if done else 0.0
    fill = int(round(frac * width))
    return f"[{'#' * fill}{'-' * (width - fill)}] {done:>{len(str(total))}}/{total} {frac:4.0%}  {int(left // 60)}:{int(left % 60):02d} left"


def _gen_is_current(index_dir: Path, name: str, store) -> bool:
    """Whether the live generation was built from this very store in its present state: the same store (its id and
    sampled passages, `Store.binding_problem`) at the same version, with every file of the generation sound. A
    missing, damaged or unbound (older) generation, or one left from a store that was deleted and made again, is
    rebuilt."""
    import json

    from index.search import Index, IndexError_

    try:
        manifest = json.loads((index_dir / "gens" / name / "manifest.json").read_text())
        if int(manifest["store"]["version"]) != store.version():  # unbound (older) generations have no "store"
            return False
        Index(index_dir).store.close()  # loads and checks every file of the generation, and its binding to the store
    except (OSError, ValueError, KeyError, TypeError, IndexError_):
        return False
    return True


def _stored_dim(store, model_id: str) -> int | None:
    row = store.con.execute("SELECT vec FROM embeddings WHERE model=? LIMIT 1", (model_id,)).fetchone()
    return len(row[0]) // 4 if row else None


def _same_model_backend(old_store, model) -> str | None:
    """The backend an existing index used, when it holds the same model (a plain --rebuild keeps it)."""
    from index.embed import resolve_model, split_space_id

    try:
        recorded = old_store.get_meta("model")
    except Exception:  # noqa: BLE001 - a damaged store: nothing to keep
        return None
    if not recorded:
        return None
    base, backend = split_space_id(recorded)
    return backend if base == resolve_model(model)[0] else None


def _embedding_space(store, index_dir: Path, model, backend, embedder) -> str:
    """The model id (with its backend) this ingest embeds with; recorded in the store, checked against it."""
    from index.embed import ModelError, check_backend_installed, resolve_model, space_id, split_space_id

    indexed = store.get_meta("model")
    if embedder is not None:
        model_id = getattr(embedder, "model_id", None) or resolve_model(model)[0]
    else:
        base, _ = resolve_model(model)
        if backend is None and indexed and split_space_id(indexed)[0] == base:
            model_id = indexed  # keep the index's backend
        else:
            model_id = space_id(base, backend)
    if indexed and indexed != model_id:
        (m_old, b_old), (m_new, b_new) = split_space_id(indexed), split_space_id(model_id)
        what = f"backend {b_old!r}, not {b_new!r}" if m_old == m_new else f"model {indexed!r}, not {model_id!r}"
        raise ModelError(
            f"the index at {index_dir} holds embeddings from {what}; vectors of different models or backends are "
            f"never mixed: use --rebuild to re-index (cached embeddings of the old one are kept)"
        )
    if embedder is None:
        check_backend_installed(split_space_id(model_id)[1])
    store.set_meta("model", model_id)
    store.con.commit()
    return model_id


@dataclass
class _Parsed:
    """A parsed document waiting in the embed queue until every new text of it has a vector."""

    path: Path
    digest: str
    size: int
    mtime: float
    res: dict
    meta: dict
    passages: list[Passage]
    texts: list[str]  # embedded text of each passage
    keys: list[str]  # and its cache key (passage-aligned)
    win_texts: list[str] = field(default_factory=list)  # the passages' sentence windows (ingest.chunk.dense_windows)
    win_keys: list[str] = field(default_factory=list)
    need: set[str] = field(default_factory=set)  # keys without a stored vector when it arrived
    owned: set[str] = field(default_factory=set)  # of those, the ones this document put in the queue first


def _parsed_document(f: Path, digest: str, size: int, mtime: float, res: dict, overrides: dict | None) -> _Parsed:
    """A worker's result as passages and embed texts, with sidecar-manifest fields applied."""
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
    win_texts = [t for p in passages for t in window_texts(p.context, p.text)]
    return _Parsed(f, digest, size, mtime, res, meta, passages, texts, [embed_key(t) for t in texts],
                   win_texts, [embed_key(t) for t in win_texts])


class _EmbedQueue:
    """Texts of parsed documents wait here to be encoded in large batches; each distinct text is encoded once.

    A text whose vector is in the store's embedding cache is never encoded; a text that occurs in
    several documents of the run (or twice in one) is encoded once. A document is written, in its own
    transaction with the vectors it needs, as soon as all its texts have vectors.
    """

    BATCH = 256  # texts per encode call once every file is parsed
    # While parse workers run, the encoder gets the cores they leave free, fixed for the length of a call; short
    # calls then let it take a freed core back soon after a worker finishes (a 256-text call on one thread runs
    # ~20 s here, long after the last file is parsed, with the other core idle).
    BATCH_WHILE_PARSING = 32
    # A call's texts come from the WINDOW oldest waiting texts, longest first: the model pads each of its batches
    # to its longest text, so texts of like length go together. Taken in arrival order instead, the padded work on
    # corpus/ is 1.07x the minimum for 256-text calls and 1.45x for 32-text calls (a 2,048 window: 1.02x); the
    # window keeps documents completing (and being written) soon after they are parsed.
    WINDOW = 2048

    def __init__(self, store, model_id: str, report: IngestReport, embedder=None, load: Callable | None = None,
                 t_start: float | None = None):
        self.store, self.model_id, self.report = store, model_id, report
        self.t_start = time.perf_counter() if t_start is None else t_start  # report.timeline counts from here
        self.embedder = embedder
        self._load = load  # loads the embedder, the first time something needs encoding
        self.texts: dict[str, str] = {}  # key -> text, waiting to be encoded
        self.vectors: dict[str, object] = {}  # key -> vector, encoded but not yet stored
        self.docs: list[_Parsed] = []  # waiting for vectors, in arrival order
        self._threads: int | None = None

    def _get_embedder(self):
        if self.embedder is None:
            t0 = time.perf_counter()
            self.embedder = self._load()
            self.report.load_seconds += time.perf_counter() - t0
        return self.embedder

    def add(self, doc: _Parsed) -> None:
        keys, texts = doc.keys + doc.win_keys, doc.texts + doc.win_texts
        unseen = [k for k in dict.fromkeys(keys) if k not in self.texts and k not in self.vectors]
        stored = self.store.known_embeddings(self.model_id, unseen)
        doc.need = {k for k in keys if k not in stored}
        for k, t in zip(keys, texts):
            if k in doc.need and k not in self.texts and k not in self.vectors:
                self.texts[k] = t
                doc.owned.add(k)
        self.docs.append(doc)

    def encode_some(self, busy_workers: int = 0) -> None:
        """Encode the next batch of waiting texts (``busy_workers`` parse workers are running meanwhile)."""
        if not self.texts:
            return
        window = list(itertools.islice(self.texts.items(), self.WINDOW))
        window.sort(key=lambda kv: len(kv[1]), reverse=True)
        batch = dict(window[: self.BATCH_WHILE_PARSING if busy_workers else self.BATCH])
        emb = self._get_embedder()
        self.threads_for_encoding(busy_workers)
        t0 = time.perf_counter()
        self.report.timeline.setdefault("first_encode", round(t0 - self.t_start, 2))
        vecs = emb.encode(list(batch.values()))
        t1 = time.perf_counter()
        self.report.embed_seconds += t1 - t0
        self.report.timeline["last_encode_end"] = round(t1 - self.t_start, 2)
        self.report.embedded += len(batch)
        for k, v in zip(batch, vecs):
            del self.texts[k]
            self.vectors[k] = v
        # (vectors stay here until the documents that need them are written)

    def write_ready(self) -> list[_Parsed]:
        """Store every waiting document whose texts all have vectors; returns them."""
        ready = [d for d in self.docs if all(k in self.vectors for k in d.need)]
        for d in ready:
            self._store(d)
            self.docs.remove(d)
            self.report.reused_embeddings += len(d.keys) + len(d.win_keys) - len(d.owned)
        if ready:
            still = {k for d in self.docs for k in d.need}
            self.vectors = {k: v for k, v in self.vectors.items() if k in still}
        return ready

    def _store(self, d: _Parsed) -> None:
        meta = d.meta
        doc = {
            "doc_id": d.digest,
            "path": str(d.path),
            "title": meta.get("title"),
            "council": meta.get("council"),
            "body": meta.get("body"),
            "meeting_date": meta.get("meeting_date"),
            "doc_type": meta.get("doc_type"),
            "pages": d.res["pages"],
            "sha256": d.digest,
            "source_url": meta.get("source_url"),
            "warnings": d.res["warnings"],
            "encoding": d.res["encoding"],
            "size": d.size,
            "parser": PARSER_VERSION,
        }
        vectors = {k: self.vectors[k] for k in d.need}
        self.store.add_document(doc, d.passages, d.keys, vectors, self.model_id, d.res["glossary"], d.size, d.mtime)

    def threads_for_encoding(self, busy_workers: int) -> None:
        """PyTorch threads = the cores the parse workers leave free (at least one), so encoding and parsing
        do not oversubscribe the CPU (measured in bench/ingest_bench.py)."""
        if getattr(self.embedder, "backend", None) != "torch":
            return
        import torch

        if self._threads is None:
            self._threads = torch.get_num_threads()
        want = max(1, min(self._threads, (os.cpu_count() or 1) - busy_workers))
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)

    def restore_threads(self) -> None:
        if self._threads is not None:
            import torch

            torch.set_num_threads(self._threads)


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
        names = [shown_path(Path(o.path).name) for o in report.failed]  # a name may hold newlines or bidi overrides
        width = min(60, max(len(n) for n in names))
        for name, o in zip(names, report.failed):
            lines.append(f"  {name:<{width}}  {shown_path(o.detail)}")
    return "\n".join(lines)
