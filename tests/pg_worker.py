"""One ingest worker for tests/test_pg.py's multi-worker test: `python tests/pg_worker.py URL FOLDER MARKERS`.

It ingests FOLDER into the PostgreSQL store at URL with a fake embedder that is slow on purpose (so a document
is still in flight when the test kills a worker) and that writes MARKERS/<pid> when it starts encoding, so the
test knows this worker is in the middle of a document.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from conftest import HashEmbedder  # noqa: E402

from boardpapers.index.pgwriter import ingest_pg  # noqa: E402


class SlowHashEmbedder(HashEmbedder):
    def __init__(self, markers: Path):
        self.markers = markers

    def encode(self, texts, batch_size=None):
        (self.markers / str(os.getpid())).write_text("encoding")
        time.sleep(0.4)
        return super().encode(texts, batch_size)


if __name__ == "__main__":
    url, folder, markers = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    report = ingest_pg([folder], url, embedder=SlowHashEmbedder(markers), worker=f"test-worker-{os.getpid()}")
    for o in report.outcomes:
        print(f"{o.status}\t{Path(o.path).name}\t{o.detail}", file=sys.stderr)
    print(json.dumps({s: report.count(s) for s in ("ingested", "duplicate", "unchanged", "failed")}), flush=True)
    sys.exit(1 if report.failed else 0)
