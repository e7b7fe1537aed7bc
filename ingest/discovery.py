"""Which files an ingest takes: folders walked, unusable arguments named, sidecar manifests (manifest.csv) read.

Every argument ends up as a file to parse or a FileOutcome that says why not; a sidecar manifest can only describe
files under its own folder.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .display import shown_path
from .model import DOC_TYPES

SUPPORTED = {".pdf", ".txt", ".md"}
MANIFEST_NAMES = ("manifest.csv", "boardpapers.csv")
DOC_OVERRIDABLE = ("title", "council", "body", "meeting_date", "doc_type", "source_url")
# read with a row but not a document field: when `boardpapers fetch` downloaded the file (its fields are then
# recorded as 'fetched' rather than 'manifest', ingest/context.py)
MANIFEST_EXTRA = ("fetched_at",)


@dataclass
class FileOutcome:
    path: str
    status: str  # ingested | unchanged | duplicate | failed
    detail: str = ""
    passages: int = 0
    pages: int = 0


def unreadable(p: Path) -> tuple[bool, str | None]:
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
    kind = (
        "a named pipe"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a character device"
        if stat.S_ISCHR(mode)
        else "a block device"
        if stat.S_ISBLK(mode)
        else "a special file"
    )
    return False, f"not a regular file ({kind})"


def discover(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[FileOutcome], dict[Path, dict]]:
    """Files to ingest under ``paths``, failures for unusable arguments, and sidecar manifest rows.

    A folder with no supported file in it is reported as a failure of its own (nothing was ingested from it)."""
    files: list[Path] = []
    bad: list[FileOutcome] = []
    manifest: dict[Path, dict] = {}
    for raw in paths:
        p = Path(raw)
        is_dir, why = unreadable(p)
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
                f_is_dir, why = unreadable(f)
                if f_is_dir:
                    continue
                if why:
                    bad.append(FileOutcome(str(f), "failed", why))
                    continue
                if f.is_symlink() and root not in f.resolve().parents:
                    bad.append(
                        FileOutcome(
                            str(f), "failed", f"symbolic link to a file outside {p}: not followed (pass the target itself to ingest it)"
                        )
                    )
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
    root = csv_path.parent.resolve()
    out: dict[Path, dict] = {}
    shown = shown_path(csv_path)

    def warn(line: int, what: str) -> None:
        print(f"warning: manifest {shown}, line {line}: {what}", file=sys.stderr)

    rd = None
    try:
        with open(csv_path, newline="", encoding="utf-8", errors="surrogateescape") as f:
            rd = csv.DictReader(f)
            if rd.fieldnames is None:
                return out
            rd.fieldnames = [(h or "").lstrip("\ufeff").strip() for h in rd.fieldnames]
            if not all(_is_utf8(h) for h in rd.fieldnames):
                warn(1, "not valid UTF-8 (save the file as UTF-8)")
            if "path" not in rd.fieldnames and "file" not in rd.fieldnames:
                warn(1, "no 'path' column; manifest ignored")
                return out
            for row in rd:
                entry = _manifest_entry(row, rd.line_num, root, warn)
                if entry is not None:
                    out[entry[0]] = entry[1]
    except (OSError, csv.Error) as exc:
        where = f", line {rd.line_num}" if rd is not None and rd.line_num else ""
        print(
            f"warning: manifest {shown}{where}: {getattr(exc, 'strerror', None) or exc}; {'the rest of it ' if out else ''}ignored",
            file=sys.stderr,
        )
    return out


def _is_utf8(v: str) -> bool:
    try:
        v.encode("utf-8")
        return True
    except UnicodeEncodeError:  # bytes that were not UTF-8 (decoded with surrogateescape)
        return False


def _manifest_entry(row: dict, line: int, root: Path, warn: Callable[[int, str], None]) -> tuple[Path, dict] | None:
    """(the file, its document fields) for one manifest row, or None (with a warning) when the row cannot be used."""
    values = [v for v in row.values() if isinstance(v, str)] + [v for v in row.get(None) or [] if isinstance(v, str)]
    if not all(_is_utf8(v) for v in values):
        warn(line, "not valid UTF-8; row ignored")
        return None
    rel = (row.get("path") or row.get("file") or "").strip()
    if not rel:
        if any(v.strip() for v in values):
            warn(line, "no path; row ignored")
        return None
    try:
        target = (root / rel).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL byte, name too long, symlink loop
        why = getattr(exc, "strerror", None) or str(exc)
        warn(line, f"path {shown_path(rel[:200])} cannot be used ({why}); row ignored")
        return None
    if root not in target.parents and target != root:
        warn(line, f"path {shown_path(rel[:200])} is outside the manifest's folder; row ignored")
        return None
    if not os.path.exists(target):
        warn(line, f"no file {shown_path(rel[:200])} in the manifest's folder; row ignored")
        return None
    fields = {k: (v or "").strip() for k, v in row.items() if k in DOC_OVERRIDABLE and (v or "").strip()}
    _check_fields(fields, line, warn)
    if not fields:
        return None
    fields.update({k: (row.get(k) or "").strip() for k in MANIFEST_EXTRA if (row.get(k) or "").strip()})
    return target, fields


def _check_fields(fields: dict, line: int, warn: Callable[[int, str], None]) -> None:
    """Normalise a row's doc_type and meeting_date in place; a value that is not one is dropped with a warning."""
    from .dates import find_dates

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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def nothing_given(outcomes, paths) -> bool:
    """True when nothing was ingested, unchanged or found a duplicate, and every failure is an argument that is not a
    supported file at all (missing, a named pipe, a link loop, an unsupported type, a folder with no supported file).
    A supported file that fails to parse is a failed input of a partial batch instead (exit 1)."""
    if any(o.status != "failed" for o in outcomes):
        return False
    args = {str(Path(p)) for p in paths}
    for o in outcomes:
        if o.path not in args:  # a file found in a folder
            return False
        try:
            if os.path.isfile(o.path) and Path(o.path).suffix.lower() in SUPPORTED:
                return False
        except (OSError, ValueError):
            pass
    return True


def unusable_summary(outcomes, paths) -> str:
    """'PATH: why; PATH: why' for the first failures (one line), or what was given when nothing failed."""
    parts = [f"{shown_path(o.path)}: {shown_path(o.detail)}" for o in outcomes if o.status == "failed"]
    if not parts:
        return f"{', '.join(shown_path(p) for p in paths)}: no .pdf, .txt or .md file"
    return "; ".join(parts[:3]) + (f"; and {len(parts) - 3} more" if len(parts) > 3 else "")
