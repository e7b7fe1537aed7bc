"""What every command shares: exit codes, the one-line error, where the index is, opening it, filters, query files."""

from __future__ import annotations

import argparse
import sys

from boardpapers.errors import BoardpapersError
from boardpapers.ingest.display import shown_path
from boardpapers.ingest.model import DOC_TYPES

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class CliError(BoardpapersError):
    """A usage or index problem: printed as one line, exit code 2."""


OPENED: list = []  # backends opened by this command (PostgreSQL connection pools), closed when it ends


def resolve_location(a) -> None:
    """a.index and a.store from the options, else the environment (settings.where: an --index given on the command
    line wins over $BOARDPAPERS_STORE)."""
    from boardpapers.settings import where

    a.index_given = a.index is not None
    a.index, a.store = where(getattr(a, "store", None), a.index)


def backend(a):
    """The backend the options and environment name (settings.location), closed when the command ends."""
    from boardpapers.index.backend import open_backend

    if getattr(a, "opened", None) is None:
        a.opened = open_backend(a.store or a.index)
        OPENED.append(a.opened)
    return a.opened


def open_index(a):
    from boardpapers.index.errors import IndexError_

    try:
        idx = backend(a).open()
    except IndexError_ as exc:
        raise CliError(str(exc)) from None
    if getattr(a, "model", None):
        try:
            idx.check_model(a.model)
        except IndexError_ as exc:
            raise CliError(str(exc)) from None
    return idx


def filters(a):
    from boardpapers.index.query import Filters
    from boardpapers.ingest.dates import parse_user_date

    try:
        since = parse_user_date(a.since) if a.since else None
        until = parse_user_date(a.until) if a.until else None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return Filters(council=a.council, body=a.body, since=since, until=until, doc_type=a.type, decisions=a.decisions)


def read_queries(path: str, key: str = "query") -> tuple[list[dict], int]:
    """The queries of a JSON Lines file ("-": standard input) and how many of its lines were bad: a line that is not
    UTF-8, not JSON or not an object with a string ``key`` is reported on stderr with its number and skipped (the
    command then exits 1). A file that cannot be opened or read is a CliError."""
    from boardpapers.index.jsonl import InputError, objects

    where = "standard input" if path == "-" else shown_path(path)
    problems: list[str] = []
    try:
        out = [obj | {"id": obj.get("id", str(n))} for n, obj in objects(path, problems, "queries file", where, key=key)]
    except InputError as exc:
        raise CliError(str(exc)) from None
    for p in problems:
        print(f"boardpapers: {p}; skipped", file=sys.stderr)
    return out, len(problems)


def count(minimum: int = 1, maximum: int | None = None):
    """An argparse type: a whole number in [minimum, maximum] (-k 0 or --workers -5 are refused, exit 2)."""

    def whole(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{s!r} is not a whole number") from None
        if v < minimum or (maximum is not None and v > maximum):
            raise argparse.ArgumentTypeError(
                f"must be {f'{minimum} to {maximum}' if maximum is not None else f'at least {minimum}'}, not {v}"
            )
        return v

    whole.__name__ = "whole number"
    return whole


def doc_type(s: str) -> str:
    """An argparse type for --type: one of DOC_TYPES (any case, or a unique start of one: "min" is minutes)."""
    want = s.strip().casefold()
    hits = [t for t in DOC_TYPES if t == want] or [t for t in DOC_TYPES if want and t.startswith(want)]
    if len(hits) != 1:
        raise argparse.ArgumentTypeError(f"{s!r} is not a document type; use one of {', '.join(DOC_TYPES)}")
    return hits[0]


def say(m: str) -> None:
    print(m, file=sys.stderr, flush=True)
