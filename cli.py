"""`boardpapers` command line: the entry point (see README for the contract).

The parser and the commands live in commands/; each command's module is imported only when it runs. Every
user-facing problem is a BoardpapersError: printed here as one line, exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import sys
from pathlib import Path

from boardpapers.commands.common import EXIT_OK, EXIT_USAGE, OPENED, resolve_location
from boardpapers.commands.parser import build_parser
from boardpapers.errors import BoardpapersError
from boardpapers.ingest.display import shown_path


def _command(name: str):
    module, function = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"boardpapers.commands.{module}"), function)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    if not getattr(a, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        resolve_location(a)
        return _command(a.func)(a)
    except BoardpapersError as exc:  # bad input, a damaged or locked index, a model that cannot load: one line
        print(f"boardpapers: {shown_path(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.Error as exc:  # the store broke under a command: say so, never a traceback
        from boardpapers.index.store import STORE_FILE, sqlite_message

        print(f"boardpapers: {shown_path(sqlite_message(Path(a.index) / STORE_FILE, exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("boardpapers: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`boardpapers search ... | head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's exit-time flush of stdout must not fail again
        return EXIT_OK
    finally:
        while OPENED:  # backends: PostgreSQL connection pools
            OPENED.pop().close()


if __name__ == "__main__":
    sys.exit(main())
