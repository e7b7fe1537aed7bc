"""Line-oriented input files (queries, gold, judgements, BEIR): each line on its own, bad lines reported by number.

A bad line -- not UTF-8, not JSON, not a JSON object -- is noted in the caller's ``problems`` list as
"FILE, line N: why" and skipped (the command reports it and exits 1), or raised as ValueError when the caller passes
no list. A file that cannot be opened or read at all raises InputError (one line; exit 2).
"""

from __future__ import annotations

import json
import sys

from boardpapers.errors import BoardpapersError


class InputError(BoardpapersError, ValueError):
    """An input that cannot be used at all (a missing file or folder, nothing usable in it): one line."""


def bad_line(problems: list[str] | None, where, n: int, why: str) -> None:
    """A bad line: noted in ``problems`` (the caller reports it and goes on), or raised when there is no list."""
    if problems is None:
        raise ValueError(f"{where}, line {n}: {why}")
    problems.append(f"{where}, line {n}: {why}")


def lines(path, problems: list[str] | None, what: str, where=None):
    """(line number, text) of each non-blank line of ``path`` ("-": standard input); a line that is not UTF-8 is a
    bad line. ``where`` is how the file is named in messages (default: its path)."""
    where = where if where is not None else ("standard input" if str(path) == "-" else path)
    try:
        f = getattr(sys.stdin, "buffer", sys.stdin) if str(path) == "-" else open(path, "rb")
        try:
            for n, raw in enumerate(f, 1):
                try:
                    line = raw if isinstance(raw, str) else raw.decode("utf-8-sig" if n == 1 else "utf-8")
                except UnicodeDecodeError:
                    bad_line(problems, where, n, "not valid UTF-8")
                    continue
                if line.strip():
                    yield n, line
        finally:
            if str(path) != "-":
                f.close()
    except OSError as exc:  # missing, a folder, or a read error part-way
        raise InputError(f"cannot read {what} {where}: {exc.strerror or exc}; check the path") from None


def objects(path, problems: list[str] | None, what: str, where=None, key: str | None = None):
    """(line number, object) of each JSON-object line of ``path`` (with a string field ``key``, when given); other
    lines are bad lines."""
    where = where if where is not None else ("standard input" if str(path) == "-" else path)
    for n, line in lines(path, problems, what, where):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            bad_line(problems, where, n, f"not JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            bad_line(problems, where, n, "not JSON (nested too deeply)")
            continue
        if key is not None and not (isinstance(obj, dict) and isinstance(obj.get(key), str)):
            bad_line(problems, where, n, f"not a JSON object with a string {key!r}")
            continue
        if not isinstance(obj, dict):
            bad_line(problems, where, n, "not a JSON object")
            continue
        yield n, obj
