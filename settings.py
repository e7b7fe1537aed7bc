"""Settings from the environment (``BOARDPAPERS_*``), read in one place and checked.

Read when asked (``settings()``), never at import, so a bad value is a clear message from the command that
needs it ("BOARDPAPERS_PG_POOL must be a whole number >= 1, not 'eight'") instead of a traceback on import.

    BOARDPAPERS_INDEX          the index directory (default ./.boardpapers)
    BOARDPAPERS_STORE          a shared PostgreSQL store, postgresql://... (overrides the index directory)
    BOARDPAPERS_CORPUS         where the app saves uploaded papers (default ./corpus)
    BOARDPAPERS_CACHE          exported model variants (default $XDG_CACHE_HOME/boardpapers or ~/.cache/boardpapers)
    BOARDPAPERS_ANN_THRESHOLD  passages from which dense search uses the approximate index (default: index.ann's)
    BOARDPAPERS_PG_POOL        connections per PostgreSQL pool (default 8)
    BOARDPAPERS_PG_STATEMENT_TIMEOUT_MS   per statement (default 30000)
    BOARDPAPERS_LLM_MODEL, BOARDPAPERS_LLM_KEY   for `ask --llm` (model name, bearer key)
    BOARDPAPERS_FETCH_DELAY    seconds between requests of `fetch` and the app's fetch form (default 1)
    BOARDPAPERS_FETCH_CONTACT  an e-mail or URL added to fetch's User-Agent, so a council can reach whoever fetches
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from boardpapers.errors import BoardpapersError

DEFAULT_INDEX = "./.boardpapers"
DEFAULT_CORPUS = "./corpus"
PG_SCHEMES = ("postgresql://", "postgres://")


class SettingsError(BoardpapersError):
    """An environment variable holds a value boardpapers cannot use."""


@dataclass(frozen=True)
class Settings:
    index: str
    store: str | None
    corpus: str
    cache: Path
    ann_threshold: int | None
    pg_pool: int
    pg_statement_timeout_ms: int
    llm_model: str | None
    llm_key: str | None
    fetch_delay: float
    fetch_contact: str | None


def _env(name: str) -> str | None:
    v = os.environ.get(name, "").strip()
    return v or None


def _number(name: str, default, convert, valid, what: str):
    """The variable's value converted (int or float) when ``valid``; else a SettingsError saying ``what`` it must be."""
    v = _env(name)
    if v is None:
        return default
    try:
        x = convert(v)
    except ValueError:
        x = None
    if x is None or not valid(x):
        raise SettingsError(f"{name} must be {what}, not {v!r}")
    return x


def _whole(name: str, default: int | None, minimum: int) -> int | None:
    return _number(name, default, int, lambda n: n >= minimum, f"a whole number >= {minimum}")


def _seconds(name: str, default: float) -> float:
    return _number(name, default, float, lambda s: 0 <= s <= 3600, "a number of seconds from 0 to 3600")


def store_url(value: str | None, source: str) -> str | None:
    """``value`` when it is a PostgreSQL URL (or empty); anything else is refused, naming where it came from."""
    if value and not value.startswith(PG_SCHEMES):
        raise SettingsError(f"{source} takes a postgresql://... URL, not {value!r} (an index directory goes in --index)")
    return value or None


def settings() -> Settings:
    """The environment's settings, checked; raises SettingsError naming the variable and the bad value."""
    cache = _env("BOARDPAPERS_CACHE")
    base = Path(_env("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Settings(
        index=_env("BOARDPAPERS_INDEX") or DEFAULT_INDEX,
        store=store_url(_env("BOARDPAPERS_STORE"), "BOARDPAPERS_STORE"),
        corpus=_env("BOARDPAPERS_CORPUS") or DEFAULT_CORPUS,
        cache=Path(cache).expanduser() if cache else base / "boardpapers",
        ann_threshold=_whole("BOARDPAPERS_ANN_THRESHOLD", None, 1),
        pg_pool=_whole("BOARDPAPERS_PG_POOL", 8, 1) or 8,
        pg_statement_timeout_ms=_whole("BOARDPAPERS_PG_STATEMENT_TIMEOUT_MS", 30000, 0) or 0,
        llm_model=_env("BOARDPAPERS_LLM_MODEL"),
        llm_key=_env("BOARDPAPERS_LLM_KEY"),
        fetch_delay=_seconds("BOARDPAPERS_FETCH_DELAY", 1.0),
        fetch_contact=_env("BOARDPAPERS_FETCH_CONTACT"),
    )


def where(store: str | None = None, index: str | None = None) -> tuple[str, str | None]:
    """(index directory, store URL or None) from the options given, else the environment. The one place a location
    is resolved: --store URL, else --index DIR, else $BOARDPAPERS_STORE, else $BOARDPAPERS_INDEX, else ./.boardpapers
    (an --index given on the command line wins over $BOARDPAPERS_STORE)."""
    env = settings()
    return index or env.index, store_url(store, "--store") or (None if index else env.store)


def location(store: str | None = None, index: str | None = None) -> str:
    """The store URL in force, else the index directory (see ``where``)."""
    directory, url = where(store, index)
    return url or directory
