"""Ingest into the PostgreSQL store: any number of workers, on any number of machines, over the same inputs.

Every input file becomes a row of ``ingest_jobs`` (path, content hash). A worker claims one pending job with
``SELECT ... FOR UPDATE SKIP LOCKED`` and keeps that row locked while it parses, embeds and writes the document;
the document (passages, vectors, BM25 statistics and postings, glossary, decision records, path) and the job's 'done' mark are committed in
ONE transaction. A worker that dies mid-document leaves nothing: its transaction rolls back, the row lock goes
with its connection, and the job is pending again for the next worker. Two paths with the same content are
serialised on an advisory lock on the content hash, so a document is stored exactly once.

Parsing reuses ingest/ (discover, parse_file, sidecar manifests, per-file limits) and index/embedqueue.py and the embedding
cache is shared through the database: a passage text embedded once by any worker is never embedded again.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

import numpy as np

from boardpapers.ingest.discovery import FileOutcome, discover, sha256_file
from boardpapers.ingest.parse import Limits, parse_file
from boardpapers.ingest.structure import PARSER_VERSION

from .embedqueue import parsed_document
from .library import overrides_of
from .lock import worker_init
from .meetings import refresh_pg
from .report import IngestReport, progress_bar, summary_table

WAIT_S = 0.5  # how often a worker with nothing to claim looks again while other workers still hold jobs


def ingest_pg(
    paths: Iterable[str | os.PathLike],
    url: str,
    model: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[str], None] | None = None,
    embedder=None,
    worker: str | None = None,
    store=None,
    backend: str | None = None,
) -> IngestReport:
    """Ingest ``paths`` into the PostgreSQL store at ``url``, cooperating with any other workers on it."""
    from .pgstore import PgStore

    t_start = time.perf_counter()
    say = progress or (lambda m: None)
    limits = limits or Limits()
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    report = IngestReport()
    files, bad, manifest = discover(paths)
    report.outcomes.extend(bad)
    pg = store or PgStore(url)
    try:
        mine = _enqueue(pg, files, report)
        ctx = _Worker(pg, model, embedder, limits, manifest, report, worker, backend)
        done = 0
        with _parser_pool() as pool:
            ctx.pool = pool
            while True:
                claimed = ctx.claim_and_run(mine)
                if claimed is None:
                    with pg.conn() as con:
                        left = con.execute("SELECT count(*) FROM ingest_jobs WHERE state='pending' AND path = ANY(%s)", (mine,)).fetchone()[
                            0
                        ]
                    if not left:
                        break
                    time.sleep(WAIT_S)  # held by other workers: if one dies, its job comes back to us
                    continue
                done += 1
                o = report.outcomes[-1]
                say(f"{progress_bar(done, len(mine), t_start)} {Path(o.path).name}: {o.status}" + (f": {o.detail}" if o.detail else ""))
        refresh_pg(pg, files)  # the meeting of each file's folder (its frontsheet), each path's own (index/meetings.py)
        report.passages_total = pg.stats()["n_docs"]
    finally:
        if store is None:
            pg.close()
    report.seconds = time.perf_counter() - t_start
    return report


def _enqueue(pg, files: list[Path], report: IngestReport) -> list[str]:
    """Put every readable input in ingest_jobs (a changed file becomes pending again); returns this run's job paths."""
    rows = []
    for f in files:
        try:
            st = f.stat()
            if st.st_size == 0:
                report.outcomes.append(FileOutcome(str(f), "failed", "empty file (0 bytes)"))
                with pg.conn() as con:
                    pg.record_failure(con, str(f), None, "empty file (0 bytes)")
                continue
            rows.append((str(f), sha256_file(f), st.st_size, st.st_mtime))
        except OSError as exc:
            report.outcomes.append(FileOutcome(str(f), "failed", f"cannot read: {exc.strerror or exc}"))
    with pg.conn() as con, con.transaction():
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO ingest_jobs(path, sha256, size, mtime) VALUES(%s, %s, %s, %s) ON CONFLICT(path) DO UPDATE "
                "SET sha256=excluded.sha256, size=excluded.size, mtime=excluded.mtime, state='pending', attempts=0, updated_at=now() "
                "WHERE ingest_jobs.sha256 <> excluded.sha256 OR ingest_jobs.state = 'failed'",
                sorted(rows),
            )
            # a document read by an older structure parser is read again (see index/writer.py)
            cur.execute(
                "UPDATE ingest_jobs j SET state='pending', attempts=0, updated_at=now() FROM documents d "
                "WHERE j.path = ANY(%s) AND j.state = 'done' AND d.doc_id = j.sha256 AND d.parser IS DISTINCT FROM %s",
                ([r[0] for r in rows], PARSER_VERSION),
            )
        states = dict(con.execute("SELECT path, state FROM ingest_jobs WHERE path = ANY(%s)", ([r[0] for r in rows],)).fetchall())
    for r in rows:
        if states.get(r[0]) == "done":
            report.outcomes.append(FileOutcome(r[0], "unchanged"))
    return [r[0] for r in rows if states.get(r[0]) != "done"]


def _parser_pool() -> ProcessPoolExecutor:
    """One parser process, started fresh ('spawn'), never forked: a forked child would inherit this worker's database
    socket, and if the worker were killed that socket would stay open -- its transaction and job lock with it."""
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=worker_init, initargs=(os.getpid(),)
    )  # killed with the worker (index/lock.py)


class _Worker:
    def __init__(self, pg, model, embedder, limits: Limits, manifest: dict, report: IngestReport, worker: str, backend: str | None = None):
        self.pg, self.model, self.embedder, self.limits, self.backend = pg, model, embedder, limits, backend
        self.manifest, self.report, self.worker = manifest, report, worker
        self.pool: ProcessPoolExecutor | None = None
        self.bound = False

    def _embedder(self):
        if self.embedder is None:
            from .embed import get_embedder

            self.embedder = get_embedder(self.model, self.backend)
        if not self.bound:
            self.pg.bind_model(self.embedder.model_id, int(self.embedder.dim))
            self.bound = True
        return self.embedder

    def _parse(self, path: str) -> dict:
        from .embed import model_tokenizer_dir

        assert self.pool is not None, "_parse runs inside run(), which starts the pool"
        try:
            return self.pool.submit(parse_file, path, self.limits, model_tokenizer_dir(self.model)).result()
        except BrokenProcessPool:  # the parser process died (out of memory, a crash): this file fails, the next one gets a new one
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = _parser_pool()
            return {"ok": False, "reason": "parser process died while reading this file"}

    def claim_and_run(self, mine: list[str]) -> str | None:
        """Claim one pending job and finish it in one transaction; None when nothing is claimable now."""
        with self.pg.conn() as con, con.transaction():
            con.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            job = con.execute(
                "SELECT path, sha256, size, mtime FROM ingest_jobs WHERE state='pending' AND path = ANY(%s) "
                "ORDER BY path LIMIT 1 FOR UPDATE SKIP LOCKED",
                (mine,),
            ).fetchone()
            if job is None:
                return None
            path = job[0]
            con.execute(
                "UPDATE ingest_jobs SET attempts = attempts + 1, worker = %s, updated_at = now() WHERE path = %s", (self.worker, path)
            )
            return self._run(con, *job)

    def _run(self, con, path: str, digest: str, size: int, mtime: float) -> str:
        """Parse, embed and write the claimed file inside the job's transaction."""
        pg = self.pg
        f = Path(path)
        try:
            changed = sha256_file(f) != digest
        except OSError as exc:
            return self._fail(con, path, digest, f"cannot read: {exc.strerror or exc}")
        if changed:
            return self._fail(con, path, digest, "the file changed while it was being ingested; run the ingest again")
        con.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (digest,))  # one writer per content
        overrides = self.manifest.get(f.resolve())
        if (
            overrides is None
            and con.execute("SELECT 1 FROM documents WHERE doc_id=%s AND parser = %s", (digest, PARSER_VERSION)).fetchone()
        ):
            first = con.execute("SELECT path FROM documents WHERE doc_id=%s", (digest,)).fetchone()[0]
            pg.add_path(con, path, digest, size, mtime)
            # stored already under this very path (e.g. by import-store): nothing changed
            status, detail = ("unchanged", "") if first == path else ("duplicate", f"same content as {first}")
            self._finish(con, path, "done", detail or "unchanged")
            self.report.outcomes.append(FileOutcome(path, status, detail))
            return path
        res = self._parse(path)
        if not res["ok"]:
            return self._fail(con, path, digest, res["reason"])
        self.report.parse_seconds += res["seconds"]
        d = parsed_document(f, digest, size, mtime, res, overrides, overrides_of(con, digest, "%s"))  # and fields set by hand
        vectors, fresh, model_id = self._vectors(con, d)
        passages = [asdict(p) for p in d.passages]
        decisions = res.get("decisions", [])
        pg.write_document(
            con, d.document_row(), passages, d.keys, vectors, fresh, model_id, res["glossary"], size, mtime, decisions=decisions
        )
        self._finish(con, path, "done", f"{len(d.passages)} passages")
        self.report.outcomes.append(FileOutcome(path, "ingested", "", len(d.passages), res["pages"] or 0))
        return path

    def _vectors(self, con, d) -> tuple[np.ndarray, dict, str]:
        """(the passages' vectors, the newly encoded ones by key, the model id): every text not in the shared
        embeddings cache is encoded once."""
        emb = self._embedder()
        model_id = emb.model_id
        all_keys = d.keys + d.win_keys  # passages, then their sentence windows (stored in the embeddings cache only)
        known = self.pg.known_embeddings(model_id, list(set(all_keys)), con)
        new = {}
        for k, t in zip(all_keys, d.texts + d.win_texts):
            if k not in known and k not in new:
                new[k] = t
        t0 = time.perf_counter()
        vecs = emb.encode(list(new.values())) if new else np.zeros((0, emb.dim), dtype=np.float32)
        self.report.embed_seconds += time.perf_counter() - t0
        self.report.embedded += len(new)
        self.report.reused_embeddings += len(all_keys) - len(new)
        fresh = dict(zip(new, vecs))
        cached = self.pg.vectors_for(model_id, [k for k in d.keys if k not in fresh], int(emb.dim), con)
        it = iter(cached)
        vectors = np.stack([fresh[k] if k in fresh else next(it) for k in d.keys]) if d.keys else np.zeros((0, emb.dim), np.float32)
        return vectors, fresh, model_id

    def _fail(self, con, path: str, digest: str, reason: str) -> str:
        self.pg.record_failure(con, path, digest, reason)
        self._finish(con, path, "failed", reason)
        self.report.outcomes.append(FileOutcome(path, "failed", reason))
        return path

    def _finish(self, con, path: str, state: str, detail: str) -> None:
        con.execute(
            "UPDATE ingest_jobs SET state=%s, detail=%s, worker=%s, updated_at=now() WHERE path=%s", (state, detail, self.worker, path)
        )


def main(argv: list[str] | None = None) -> int:
    """`python -m boardpapers.index.pgwriter URL PATH...` -- one worker (what `boardpapers ingest --store URL` runs)."""

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print("usage: python -m boardpapers.index.pgwriter postgresql://... PATH...", file=sys.stderr)
        return 2
    report = ingest_pg(args[1:], args[0], progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(summary_table(report))
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
