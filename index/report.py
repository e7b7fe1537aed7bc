"""What an ingest reports: one outcome per file, counts and where the time went, and the end-of-ingest table."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from boardpapers.ingest.discovery import FileOutcome
from boardpapers.ingest.display import shown_path

Progress = Callable[[str], None]


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


def progress_bar(done: int, total: int, t0: float, width: int = 20) -> str:
    """'[#######-------------]  7/20  35%  0:42 left' for the progress line of each finished file."""
    frac = done / total if total else 1.0
    elapsed = time.perf_counter() - t0
    left = elapsed / done * (total - done) if done else 0.0
    fill = int(round(frac * width))
    return (
        f"[{'#' * fill}{'-' * (width - fill)}] {done:>{len(str(total))}}/{total} {frac:4.0%}  {int(left // 60)}:{int(left % 60):02d} left"
    )


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
