"""How long a cited answer takes: `ask` in-process, and the app's Ask view end to end (Streamlit's AppTest).

    python -m bench.ask_latency --index DIR [--gold FILE.jsonl] [--queries 20]

In-process: the first question timed from a cold start (opening the index, loading the model), then
index.answer.ask one question at a time, with the number of texts the model encodes per question. App: the
real app.py run by streamlit.testing (script run, search, answer and rendering; no browser), in the same process
after the in-process run (the model is loaded once), its first question timed apart (the app's caches are cold). Questions: the gold file's queries (default ../shared/eval/council-dev.jsonl).
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT.parent / "shared" / "eval" / "council-dev.jsonl"


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * q / 100))], 3)


def in_process(index_dir: Path, questions: list[str]) -> dict:
    """Timed from a cold start: the first question includes opening the index and loading the model; then each
    question once (the first again, warm). Also counts the texts the model encodes per question (the cost that does not
    depend on what else the machine is running)."""
    t0 = time.perf_counter()
    from boardpapers.index.answer import ask
    from boardpapers.index.embed import get_embedder
    from boardpapers.index.embedded import Index

    ix = Index(index_dir)
    emb = get_embedder(ix.model_id)
    ask(ix, questions[0], embedder=emb)
    first = time.perf_counter() - t0
    _forget_sentences()
    encoded: list[int] = []
    real = emb.encode
    emb.encode = lambda texts, batch_size=None: encoded.append(len(texts)) or real(texts, batch_size)  # type: ignore[method-assign]
    times = []
    for q in questions:
        t1 = time.perf_counter()
        ask(ix, q, embedder=emb)
        times.append(time.perf_counter() - t1)
    emb.encode = real  # type: ignore[method-assign]
    return {
        "first_with_model_load_s": round(first, 3),
        "p50_s": _pct(times, 50),
        "p95_s": _pct(times, 95),
        "max_s": round(max(times), 3),
        "texts_encoded_per_question": round(sum(encoded) / len(questions), 1),
    }


def _forget_sentences() -> None:
    """Empty the per-process cache of encoded sentences (index/sentvec.py), so no question is timed warm from an
    earlier run of the same question."""
    try:
        from boardpapers.index import sentvec
    except ImportError:  # a version before the cache
        return
    sentvec.clear_cache()


def in_app(index_dir: Path, questions: list[str]) -> dict:
    from streamlit.testing.v1 import AppTest

    _forget_sentences()

    os.environ["BOARDPAPERS_INDEX"] = str(index_dir)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    at.radio(key="mode").set_value("Ask").run()
    times = []
    for q in questions:
        t0 = time.perf_counter()
        at.text_input(key="query").set_value(q).run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError(f"the app failed on {q!r}: {at.exception}")
    first, rest = times[0], times[1:]
    return {"first_s": round(first, 3), "p50_s": _pct(rest, 50), "p95_s": _pct(rest, 95), "max_s": round(max(rest), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", default=os.environ.get("BOARDPAPERS_INDEX", ".boardpapers"))
    ap.add_argument("--gold", default=str(GOLD))
    ap.add_argument("--queries", type=int, default=20)
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    questions = [json.loads(line)["query"] for line in Path(a.gold).read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = questions[: a.queries]
    from bench.bm25_bench import machine_info

    out = {
        "machine": machine_info(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],  # other processes share the cores: say so
        "questions": len(questions),
        "index": a.index,
        "ask_in_process": in_process(Path(a.index), questions),
        "app_ask_view": in_app(Path(a.index), questions),
    }
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
