"""One ingest per index: the `.lock` file, who holds it, and parse workers that die with their ingest.

The lock is an exclusive ``flock`` on ``INDEX/.lock``: the kernel releases it when every file descriptor of
the open file is closed, which is when the holder dies -- provided no other process inherited the descriptor.
Parse workers started by ``fork`` inherit every descriptor, so a worker outliving a killed ingest would keep the
lock forever. Hence:

- workers close their copy of the lock at start and are killed by the kernel when their parent dies
  (`worker_init`: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` on Linux);
- the lock file records its holder (pid, process start time, host); a lock whose holder process is gone is
  broken with a message saying so, by unlinking the file under a guard lock and locking a new one (whatever still
  holds the old file -- an orphan of an older version -- no longer blocks anyone).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from boardpapers.errors import BoardpapersError

_HELD: set[int] = set()  # descriptors of locks this process holds (closed by forked workers at start)
PR_SET_PDEATHSIG = 1


class LockedError(BoardpapersError):
    """Another ingest holds the index."""


def _stat(pid: int) -> list[str]:
    """Fields 3.. of /proc/PID/stat (state, ppid, ...); empty where there is no /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _start_time(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (tells a live holder from a new process given its pid)."""
    f = _stat(pid)
    return f[19] if len(f) > 19 else None


def _state(pid: int) -> str | None:
    f = _stat(pid)
    return f[0] if f else None


def process_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie -- dead, not yet reaped -- is not)."""
    return _state(pid) not in (None, "Z")


def process_children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from /proc; empty where there is none)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        f = _stat(int(stat.parent.name))
        if len(f) > 1 and f[1] == str(pid):
            out.append(int(stat.parent.name))
    return out


def _holder(fd: int) -> dict:
    """What the lock file says of its holder: {"pid", "start", "host", "since"}; {"pid": N} for the older plain
    form; {} when unreadable."""
    try:
        raw = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        return {}
    try:
        obj = json.loads(raw)
    except ValueError:
        return {"pid": int(raw)} if raw.isdigit() else {}
    if isinstance(obj, int):
        return {"pid": obj}
    return obj if isinstance(obj, dict) else {}


def this_process() -> dict:
    """Who this process is, as a lock file records its holder (`holder_gone` tells later whether it still runs)."""
    return {
        "pid": os.getpid(),
        "start": _start_time(os.getpid()),
        "host": socket.gethostname(),
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def holder_gone(holder: dict) -> bool:
    """True only when the holder is known to be dead: its pid runs no process on this host, or runs another one
    (a different start time). Unknown holders, and holders on another host, count as alive."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0 or (holder.get("host") and holder["host"] != socket.gethostname()):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    if _state(pid) == "Z":  # killed, not yet reaped by its parent
        return True
    start = holder.get("start")
    return bool(start) and sys.platform == "linux" and _start_time(pid) not in (None, start)


class IndexLock:
    """An exclusive, non-blocking lock on an index directory, released when its holder dies however it dies."""

    def __init__(self, index_dir: Path, say: Callable[[str], None] | None = None):
        self.path = Path(index_dir) / ".lock"
        self.say = say or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
        self.fd: int | None = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                if holder_gone(holder) and self._break(fd, holder):
                    os.close(fd)
                    continue
                os.close(fd)
                raise LockedError(
                    f"another ingest is running on {self.path.parent} (pid {holder.get('pid', '?')}); wait for it to finish and try again"
                ) from None
            if not self._is_current(fd):  # broken by another ingest between our open and our lock: take the new one
                os.close(fd)
                continue
            me = this_process()
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode(), 0)
            self.fd = fd
            _HELD.add(fd)
            return self
        raise LockedError(f"could not take the lock on {self.path.parent}: it changed hands repeatedly; try again")

    def _is_current(self, fd: int) -> bool:
        try:
            return os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def _break(self, fd: int, holder: dict) -> bool:
        """Remove the stale lock file ``fd`` refers to, unless another ingest already replaced it."""
        guard = os.open(str(self.path) + ".break", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(guard, fcntl.LOCK_EX)
            if self._is_current(fd):
                self.say(
                    f"the lock on {self.path.parent} was held by pid {holder.get('pid')}, which is no longer "
                    "running (an ingest that was killed); breaking it"
                )
                self.path.unlink()
            return True
        except OSError:
            return False
        finally:
            os.close(guard)

    def __exit__(self, *exc):
        if self.fd is not None:
            _HELD.discard(self.fd)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def worker_init(parent: int) -> None:  # pragma: no cover - runs in worker processes
    """Start of a parse worker: give up the inherited lock descriptors, and die with the ingest that started it."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()
    if sys.platform == "linux":
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
