"""Soak: repeated ingest / kill / search cycles on a copy of corpus/, counting wrong citations and stuck locks.

    python scripts/soak.py --minutes 30 [--work /tmp/soak] [--seed 1]

Each cycle changes the source folder (a random subset of the demo packs, plus a new small set of minutes and
sometimes an edited one), runs the real CLI `boardpapers ingest` in its own session, and -- in most cycles -- kills
it at a random moment: the main process alone (SIGKILL to its pid, as `kill -9 PID` does) or its whole process
group. Then it checks:

- **stuck locks**: the parse workers of a killed main process are gone within 20 s, and the next ingest never
  says "another ingest is running";
- **wrong citations**: every hit of a fixed set of queries (BM25 and hybrid), read through the live index,
  carries exactly the text of the passage with its id, as the source file reads when parsed now (ground truth,
  independent of the index), and every BM25 hit contains a word of its query;
- after an uninterrupted ingest, the index is complete: every passage of every file in the folder is live, every
  live passage is one some version of a file had, and no path has two versions live (ingest adds and updates what
  it is given; a file taken out of the folder stays indexed as last read).

Prints one line per cycle and a JSON summary at the end; exit 1 if anything was wrong.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = [
    "Better Care Fund",
    "delayed transfers of care",
    "RESOLVED budget",
    "health and wellbeing strategy",
    "library opening hours",
    "children's centres",
    "minutes of the previous meeting",
]


def truth_of(path: Path, cache: dict, tok_dir) -> dict[str, str]:
    """passage_id -> text of a source file as the parser reads it now (what any citation of it must say)."""
    from boardpapers.ingest.parse import Limits, parse_file

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest not in cache:
        res = parse_file(str(path), Limits(), tok_dir)
        cache[digest] = {f"{digest[:16]}-{seq:05d}": p["text"] for seq, p in enumerate(res["passages"])} if res["ok"] else {}
    return cache[digest]


def minutes(i: int, rng: random.Random) -> str:
    topics = [
        "library opening hours",
        "parking charges",
        "adult social care contracts",
        "flood defences",
        "school transport",
        "recycling centres",
        "budget monitoring",
    ]
    t = rng.choice(topics)
    return f"Minutes of a meeting of the Cabinet of Soaktest Borough Council held on {1 + i % 27} March 2021.\n\n" + "".join(
        f"{k}. {t.upper()} {i}-{k}\nThe Cabinet considered {t} in ward {i}-{k}; members asked about costs "
        f"and timescales.\nRESOLVED: That the report on {t} {i}-{k} be noted.\n"
        for k in range(1, 8)
    )


def check_index(idx: Path, truth: dict[str, str], emb) -> tuple[int, int, str]:
    """(hits checked, wrong citations, note) for the live index; the index may legitimately not exist yet."""
    from boardpapers.index.build import bm25_text
    from boardpapers.index.embedded import Index
    from boardpapers.index.errors import IndexError_
    from boardpapers.index.glossary import expand_query
    from boardpapers.index.rank import bm25_query_tokens
    from boardpapers.index.search import search
    from boardpapers.index.tokenize import tokenize

    try:
        ix = Index(idx)
    except IndexError_ as exc:
        return 0, 0, f"no usable index ({str(exc)[:80]})"
    checked = wrong = 0
    try:
        for q in QUERIES:
            for mode in ("bm25", "hybrid"):
                words = set(bm25_query_tokens(q, expand_query(q, ix.glossary)[0]))
                for h in search(ix, q, k=10, mode=mode, embedder=emb).hits:
                    checked += 1
                    ok = truth.get(h["passage_id"]) == h["text"]
                    if mode == "bm25":  # the row BM25 scored is the passage cited: it holds a word of the query
                        ok = ok and bool(
                            words
                            & set(tokenize(bm25_text({"item": h.get("item"), "meeting_date": h.get("meeting_date"), "text": h["text"]})))
                        )
                    if not ok:
                        wrong += 1
                        print(f"  WRONG CITATION {mode} {q!r}: {h['passage_id']} {h['text'][:80]!r}", flush=True)
    finally:
        ix.store.close()
    return checked, wrong, ""


def live_state(idx: Path) -> tuple[set[str], dict[str, int]]:
    """The live generation's passage ids, and how many documents of each path it holds."""
    from boardpapers.index.embedded import Index

    ix = Index(idx)
    try:
        rows = ix.store.passages_by_pid([int(p) for p in ix.pids]).values()
        docs: dict[str, set[str]] = {}
        for r in rows:
            docs.setdefault(r["path"], set()).add(r["doc_id"])
        return {r["passage_id"] for r in rows}, {p: len(d) for p, d in docs.items()}
    finally:
        ix.store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--work", default="/tmp/boardpapers-soak")
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    from boardpapers.index.embed import get_embedder, model_tokenizer_dir
    from boardpapers.index.lock import process_children, process_running

    rng = random.Random(a.seed)
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    pool, src, idx = work / "pool", work / "src", work / "index"
    pool.mkdir(parents=True)
    src.mkdir()
    for f in sorted(Path(a.corpus).glob("*.pdf")):
        shutil.copy(f, pool / f.name)
    emb = get_embedder(None)
    tok_dir = model_tokenizer_dir(None)
    cache: dict = {}
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    stats = {
        "cycles": 0,
        "kills_main_only": 0,
        "kills_group": 0,
        "uninterrupted": 0,
        "hits_checked": 0,
        "wrong_citations": 0,
        "stuck_locks": 0,
        "orphaned_workers": 0,
        "failed_ingests": 0,
        "completeness_checks": 0,
        "incomplete": 0,
    }
    est = 60.0  # running estimate of an uninterrupted ingest's length
    t_end = time.monotonic() + a.minutes * 60
    n = 0
    while time.monotonic() < t_end:
        n += 1
        # change the source folder: packs in or out, a new set of minutes, sometimes one edited
        for f in pool.iterdir():
            want = rng.random() < 0.6
            if want and not (src / f.name).exists():
                shutil.copy(f, src / f.name)
            elif not want and (src / f.name).exists():
                (src / f.name).unlink()
        (src / f"minutes_{n:04d}.txt").write_text(minutes(n, rng), encoding="utf-8")
        old = sorted(src.glob("minutes_*.txt"))
        if len(old) > 6:
            gone = rng.choice(old[:-1])
            gone.unlink()
            old.remove(gone)
        if rng.random() < 0.3:
            with open(rng.choice(old), "a", encoding="utf-8") as fh:
                fh.write(f"\nAddendum {n}: the Chair thanked officers.\n")
        mode = rng.choices(["none", "main", "group"], weights=[1, 2, 2])[0]
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "ingest", str(src), "--index", str(idx), "-q"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        workers: list[int] = []
        killed_at = None
        if mode != "none":
            when = t0 + rng.uniform(0.2, est)
            while time.monotonic() < when and proc.poll() is None:
                workers = sorted(set(workers) | set(process_children(proc.pid)))
                time.sleep(0.02)
            if proc.poll() is None:
                workers = sorted(set(workers) | set(process_children(proc.pid)))
                os.kill(proc.pid, signal.SIGKILL) if mode == "main" else os.killpg(proc.pid, signal.SIGKILL)
                killed_at = time.monotonic() - t0
                stats["kills_main_only" if mode == "main" else "kills_group"] += 1
        try:
            _, err = proc.communicate(timeout=900)
        except subprocess.TimeoutExpired:  # a killed main process whose workers hold the pipes
            err = "(output pipes held past 900 s)"
        if killed_at is not None and mode == "main":
            deadline = time.monotonic() + 20
            while any(process_running(p) for p in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            orphans = [p for p in workers if process_running(p)]
            if orphans:
                stats["orphaned_workers"] += 1
                print(f"  ORPHANED WORKERS {orphans}", flush=True)
                for p in orphans:
                    os.kill(p, signal.SIGKILL)
        if "another ingest is running" in err:
            stats["stuck_locks"] += 1
            print(f"  STUCK LOCK: {err.strip()[:200]}", flush=True)
        if killed_at is None:
            stats["uninterrupted"] += 1
            est = 0.7 * est + 0.3 * (time.monotonic() - t0)
            if proc.returncode not in (0, 1):
                stats["failed_ingests"] += 1
                print(f"  INGEST FAILED ({proc.returncode}): {err.strip()[-300:]}", flush=True)
        truth: dict[str, str] = {}
        for f in src.iterdir():
            truth.update(truth_of(f, cache, tok_dir))
        # ground truth of files that were in the folder before this cycle's changes: a killed ingest leaves the
        # previous generation live, whose passages may come from them
        for t in cache.values():
            for k, v in t.items():
                truth.setdefault(k, v)
        checked, wrong, note = check_index(idx, truth, emb)
        stats["hits_checked"] += checked
        stats["wrong_citations"] += wrong
        exact = ""
        if killed_at is None and proc.returncode in (0, 1):
            # ingest adds and updates what it is given; a file taken out of the folder stays indexed as last read.
            # So: every passage of every file now in the folder is live, every live passage is a passage some
            # version of a file had, and no path has two versions live.
            current: set[str] = set()
            for f in src.iterdir():
                current |= set(truth_of(f, cache, tok_dir))
            live, versions = live_state(idx)
            stats["completeness_checks"] += 1
            ok = current <= live and live <= set(truth) and all(v == 1 for v in versions.values())
            stats["incomplete"] += not ok
            exact = (
                " complete"
                if ok
                else (
                    f" NOT COMPLETE: {len(current - live)} missing, {len(live - set(truth))} unknown, "
                    f"{sum(v > 1 for v in versions.values())} paths with two versions"
                )
            )
        stats["cycles"] += 1
        print(
            f"cycle {n:3d} {mode:5s} "
            f"{f'killed at {killed_at:.1f}s' if killed_at is not None else f'ran {time.monotonic() - t0:.1f}s exit {proc.returncode}'}"
            f"; {checked} hits checked, {wrong} wrong{exact} {note}",
            flush=True,
        )
    print(json.dumps(stats))
    bad = stats["wrong_citations"] + stats["stuck_locks"] + stats["orphaned_workers"] + stats["failed_ingests"] + stats["incomplete"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
