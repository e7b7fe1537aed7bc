"""The write path of an index directory: parse in parallel (via ingest/), embed what is new, store, build, switch.

Every input ends up ingested, skipped (unchanged / same content as another path) or failed with a
one-line reason; failures never stop the batch, and the previous index stays live until the new
generation is complete. (The PostgreSQL store's write path is index/pgwriter.py; both share discovery,
parsing, the embed queue and the report.)
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from boardpapers.errors import BoardpapersError
from boardpapers.ingest.discovery import FileOutcome, discover, sha256_file, unusable_summary
from boardpapers.ingest.parse import Limits, parse_file
from boardpapers.ingest.structure import PARSER_VERSION

from .backfill import Backfill, KeywordSink, config_dim
from .build import build_generation
from .embed import (
    ModelError,
    check_backend_installed,
    get_embedder,
    model_tokenizer_dir,
    preferred_backend,
    resolve_model,
    space_id,
    split_space_id,
)
from .embedded import Index
from .embedqueue import EmbedQueue, parsed_document, worker_context
from .errors import IndexError_
from .generation import STORE_FILE, current_generation_name, read_manifest
from .library import overrides_of
from .lock import IndexLock, worker_init
from .meetings import refresh_sqlite
from .report import IngestReport, Progress, progress_bar
from .store import REBUILD_HINT, Store, StoreError, sqlite_message
from .storedb import KEPT_TABLES


class IngestRefused(BoardpapersError):
    """An ingest that would do harm (a --rebuild with nothing to ingest) is refused before it starts."""


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
    keyword_first: bool = False,
) -> IngestReport:
    """Ingest ``paths`` into the index at ``index_dir`` and switch to the new generation.

    ``backend`` (torch | torch-bf16 | onnx | onnx-int8 | openvino) is how passages are embedded; None means the
    index's own backend, or for a new index :func:`~.embed.preferred_backend` (bfloat16 where the hardware has it). ``keyword_first``: store each document as soon as it is parsed,
    switch to a generation searchable by keyword once every file is parsed, then embed, switching to a new generation
    every so often as vectors land (index/backfill.py); otherwise the index switches once, with every vector.
    """

    index_dir = Path(index_dir)
    paths = list(paths)
    try:
        if rebuild:
            return _rebuild(paths, index_dir, model, workers, limits, progress, embedder, backend)
        with IndexLock(index_dir):
            _recover(index_dir, progress or (lambda msg: None))
            return _ingest_locked(paths, index_dir, model, workers, limits or Limits(), progress, embedder, backend, keyword_first)
    except sqlite3.Error as exc:  # a full disk, a read-only folder or a damaged store: one line, never a traceback
        raise StoreError(sqlite_message(index_dir / STORE_FILE, exc)) from None


def _rebuild(paths, index_dir: Path, model, workers, limits, progress, embedder, backend) -> IngestReport:
    """Build a fresh index beside the live one (reusing cached embeddings), then swap it in. Refused when there is
    nothing usable to ingest: a rebuild from nothing would swap an empty index in for the live one."""
    with contextlib.redirect_stderr(io.StringIO()):  # the ingest itself warns about manifests
        files, bad, _ = discover(paths)
    if not files:
        raise IngestRefused(
            f"nothing to ingest ({unusable_summary(bad, paths)}); the --rebuild was not started and the index at {index_dir} is unchanged"
        )
    index_dir.mkdir(parents=True, exist_ok=True)
    with IndexLock(index_dir):
        _recover(index_dir, progress or (lambda msg: None))
        fresh = index_dir.parent / f".{index_dir.name}.rebuild-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        try:
            old = Store(index_dir, readonly=True) if (index_dir / STORE_FILE).exists() else None
        except StoreError:
            old = None  # damaged: start from nothing
        new = Store(fresh)
        if old is not None:
            try:
                with new.con:
                    new.con.execute("ATTACH DATABASE ? AS old", (f"file:{old.path}?mode=ro",))
                    new.con.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM old.embeddings")
                for table in KEPT_TABLES:  # fields set by hand, arrivals, saved searches (index/storedb.py)
                    with contextlib.suppress(sqlite3.OperationalError), new.con:  # an older store has no such table
                        new.con.execute(f"INSERT OR IGNORE INTO {table} SELECT * FROM old.{table}")
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


def _ingest_locked(
    paths, index_dir: Path, model, workers, limits: Limits, progress, embedder, backend=None, keyword_first: bool = False
) -> IngestReport:
    run = _Run(index_dir, progress)
    files, bad, manifest = discover(paths)
    run.report.outcomes.extend(bad)
    run.open_store(model, backend, embedder)
    try:
        todo = run.plan(files, manifest)
        queue = EmbedQueue(
            run.store,
            run.model_id,
            run.report,
            embedder,
            t_start=run.t_start,
            load=lambda: (run.say("loading the embedding model…"), get_embedder(run.model_id))[1],
        )
        before = run.store.version()
        publish = (lambda: run.build_if_needed(queue.embedder)) if keyword_first else None
        if todo:  # keyword first: each document written as soon as it is parsed, its vectors encoded afterwards
            # (a long parse publishes what it has now and then, meeting contexts applied so far)
            midway = (
                (lambda: (refresh_sqlite(run.store, files, bump=False), run.build_if_needed(queue.embedder))[1]) if keyword_first else None
            )
            sink = KeywordSink(run.store, run.model_id, run.report, midway) if keyword_first else queue
            run.parse_and_store(todo, manifest, sink, limits, model_tokenizer_dir(model), workers)
        # the meeting of each file's folder (its frontsheet), each path's own; a run that stored nothing else counts
        # this as its change, otherwise it is part of the run's (so one run or two over the same papers count alike)
        refresh_sqlite(run.store, files, bump=run.store.version() == before)
        if publish is not None:
            publish()  # every paper searchable by keyword from here on
            run.report.timeline["keyword_searchable"] = round(time.perf_counter() - run.t_start, 2)
        # the vectors of documents stored without them: this run's (keyword first) or a killed run's
        Backfill(run.store, run.model_id, queue, publish, run.say).run()
        run.build_if_needed(queue.embedder)
        run.report.timeline.setdefault("keyword_searchable", round(time.perf_counter() - run.t_start, 2))
        run.report.passages_total = run.store.con.execute(
            "SELECT count(*) FROM passages p JOIN documents d USING(doc_id) WHERE d.status='active'"
        ).fetchone()[0]
    finally:
        run.store.close()
    run.report.seconds = time.perf_counter() - run.t_start
    return run.report


class _Run:
    """One ingest into an index directory whose lock is held: plan, parse in worker processes, embed, store, build."""

    def __init__(self, index_dir: Path, progress: Progress | None):
        self.index_dir = index_dir
        self.t_start = time.perf_counter()
        self.say = progress or (lambda msg: None)
        self.report = IngestReport()
        self.copies: dict[str, list[tuple[Path, int, float]]] = {}  # content hash -> later files of this run with it
        self.done = 0
        self.total = 0

    def open_store(self, model, backend, embedder) -> None:
        self.store = Store(self.index_dir)
        try:
            # SQLite's quick check before anything is written: damage in the middle of the file is otherwise
            # noticed only by the query that happens to read it
            damage = self.store.check()
            if damage:
                raise StoreError(f"the passage store {self.store.path} is damaged (SQLite's check: {damage[0][:160]}); {REBUILD_HINT}")
            self.model_id = embedding_space(self.store, self.index_dir, model, backend, embedder)
        except Exception:
            self.store.close()
            raise

    def plan(self, files: list[Path], manifest: dict) -> list[tuple[Path, str, int, float]]:
        """The files to parse: unchanged files, files with the content of a stored document and second copies within
        this run are settled here (unless a sidecar manifest row applies to them)."""
        todo = []
        store, report = self.store, self.report
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
            described = f.resolve() in manifest
            if state is not None and state["sha256"] == digest and current and not described:
                report.outcomes.append(FileOutcome(str(f), "unchanged"))
            elif current and not described:
                store.add_path(str(f), digest, st.st_size, st.st_mtime)
                first = store.con.execute("SELECT path FROM documents WHERE doc_id=?", (digest,)).fetchone()
                report.outcomes.append(FileOutcome(str(f), "duplicate", f"same content as {first[0] if first else 'a stored document'}"))
            elif not described and digest in self.copies:  # the same file twice in this run: parse it once
                self.copies[digest].append((f, st.st_size, st.st_mtime))
            else:
                if not described:
                    self.copies[digest] = []
                todo.append((f, digest, st.st_size, st.st_mtime))
        return todo

    def parse_and_store(self, todo, manifest: dict, queue: EmbedQueue | KeywordSink, limits: Limits, tok_dir, workers) -> None:
        """Parse in worker processes. Each parsed document goes to ``queue``: the embed queue, which encodes meanwhile
        and writes a document once all its texts have vectors, or a keyword-first run's sink, which writes it at once."""
        n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        self.total = len(todo)
        self.say(f"parsing {len(todo)} file{'s' * (len(todo) != 1)} with {n_workers} worker process{'es' * (n_workers != 1)}…")
        with ProcessPoolExecutor(
            max_workers=n_workers, mp_context=worker_context(), initializer=worker_init, initargs=(os.getpid(),)
        ) as pool:
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
                    if res["ok"]:
                        self.report.parse_seconds += res["seconds"]
                        self.report.timeline["last_parsed"] = round(time.perf_counter() - self.t_start, 2)
                        hand = overrides_of(self.store.con, digest)  # fields set by hand on this content (index/library.py)
                        queue.add(parsed_document(f, digest, size, mtime, res, manifest.get(f.resolve()), hand))
                    else:
                        self.failed(f, digest, res["reason"])
                queue.encode_some(busy_workers=min(len(pending), n_workers))
                t_write = time.perf_counter()
                ready = queue.write_ready()
                self.report.write_seconds += time.perf_counter() - t_write
                for d in ready:
                    self.stored(d)
        queue.restore_threads()

    def failed(self, f: Path, digest: str, reason: str) -> None:
        self.done += 1
        self.report.outcomes.append(FileOutcome(str(f), "failed", reason))
        self.store.record_failure(str(f), digest, reason)
        self.say(f"{progress_bar(self.done, self.total, self.t_start)} {f.name}: FAILED: {reason}")
        for c, _, _ in self.copies.get(digest, []):
            self.report.outcomes.append(FileOutcome(str(c), "failed", f"{reason} (same content as {f})"))
            self.store.record_failure(str(c), digest, reason)

    def stored(self, d) -> None:
        self.done += 1
        self.report.outcomes.append(FileOutcome(str(d.path), "ingested", "", len(d.passages), d.res["pages"] or 0))
        vectors = f"searchable by keyword; {len(d.need)} texts to embed" if d.deferred else f"{len(d.owned)} newly embedded"
        self.say(f"{progress_bar(self.done, self.total, self.t_start)} {d.path.name}: {len(d.passages)} passages ({vectors})")
        for c, size, mtime in self.copies.get(d.digest, []):
            self.store.add_path(str(c), d.digest, size, mtime)
            self.report.outcomes.append(FileOutcome(str(c), "duplicate", f"same content as {d.path}"))

    def build_if_needed(self, emb) -> float:
        """A new generation unless the live one was built from this very store in its present state; the seconds
        the build took (0.0 without one)."""
        cur = current_generation_name(self.index_dir)
        if cur is not None and _gen_is_current(self.index_dir, cur, self.store):
            self.report.generation = cur
            return 0.0
        dim = emb.dim if emb is not None else stored_dim(self.store, self.model_id) or config_dim(self.model_id)
        if dim is None:
            dim = get_embedder(self.model_id).dim
        self.say("building index generation…")
        t_build = time.perf_counter()
        gen = build_generation(self.store, self.model_id, dim)
        took = time.perf_counter() - t_build
        self.report.build_seconds += took
        self.report.generation = gen.name
        # when the run's first generation went live (searchable), and its first with every vector (fully hybrid)
        live = round(time.perf_counter() - self.t_start, 2)
        self.report.timeline.setdefault("searchable", live)
        if not read_manifest(self.index_dir, gen.name).get("missing_vectors"):
            self.report.timeline.setdefault("fully_hybrid", live)
        self.store.collect_garbage()
        return took


def _gen_is_current(index_dir: Path, name: str, store) -> bool:
    """Whether the live generation was built from this very store in its present state: the same store (its id and
    sampled passages, `Store.binding_problem`) at the same version, with every file of the generation sound. A
    missing, damaged or unbound (older) generation, or one left from a store that was deleted and made again, is
    rebuilt."""

    try:
        manifest = read_manifest(index_dir, name)
        if int(manifest["store"]["version"]) != store.version():  # unbound (older) generations have no "store"
            return False
        Index(index_dir).store.close()  # loads and checks every file of the generation, and its binding to the store
    except (OSError, ValueError, KeyError, TypeError, IndexError_):
        return False
    return True


def stored_dim(store, model_id: str) -> int | None:
    row = store.con.execute("SELECT vec FROM embeddings WHERE model=? LIMIT 1", (model_id,)).fetchone()
    return len(row[0]) // 4 if row else None


def _same_model_backend(old_store, model) -> str | None:
    """The backend an existing index used, when it holds the same model (a plain --rebuild keeps it)."""
    try:
        recorded = old_store.get_meta("model")
    except Exception:  # noqa: BLE001 - a damaged store: nothing to keep
        return None
    if not recorded:
        return None
    base, backend = split_space_id(recorded)
    return backend if base == resolve_model(model)[0] else None


def embedding_space(store, index_dir: Path, model, backend, embedder) -> str:
    """The model id (with its backend) this ingest embeds with; recorded in the store, checked against it."""

    indexed = store.get_meta("model")
    if embedder is not None:
        model_id = getattr(embedder, "model_id", None) or resolve_model(model)[0]
    else:
        base, _ = resolve_model(model)
        if backend is None and indexed and split_space_id(indexed)[0] == base:
            model_id = indexed  # keep the index's backend
        else:  # a new index, unless told otherwise, embeds with what this hardware runs fastest at the same quality
            model_id = space_id(base, backend or (None if indexed else preferred_backend()))
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
