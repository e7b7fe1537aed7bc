"""Polite HTTP for `boardpapers fetch`: one request at a time, a pause between requests, an identifying User-Agent,
a time limit per request and retries with exponential backoff; every failure names the URL and what happened.
Standard library only (urllib.request)."""

from __future__ import annotations

import http.client
import importlib.metadata
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    VERSION = importlib.metadata.version("boardpapers")
except importlib.metadata.PackageNotFoundError:  # run from a checkout that is not installed
    VERSION = "dev"
USER_AGENT = f"boardpapers/{VERSION} (council papers fetcher)"
RETRY_STATUS = {408, 429, 500, 502, 503, 504}
CHUNK = 1 << 16


@dataclass
class Politeness:
    delay: float = 1.0  # seconds between the end of one request and the start of the next
    timeout: float = 30.0  # seconds a request may wait for the server (connect, and each read)
    retries: int = 3  # further tries after a timeout, a dropped connection or a 408/429/5xx answer
    backoff: float = 2.0  # seconds before the first retry, doubled for each further one
    user_agent: str = USER_AGENT
    max_bytes: int = 512 * 1024 * 1024  # a file larger than this is refused (ingest's own default limit)


def user_agent(contact: str | None = None) -> str:
    """The User-Agent: the tool and its version, and the contact (e-mail or URL) of whoever fetches, when given."""
    clean = " ".join((contact or "").split())[:200].replace("(", "").replace(")", "")
    return f"boardpapers/{VERSION} (council papers fetcher; +{clean})" if clean else USER_AGENT


class HttpFailure(Exception):
    """A request that did not succeed: ``str()`` is 'URL: what happened'."""

    def __init__(self, url: str, what: str, status: int | None = None):
        super().__init__(f"{url}: {what}")
        self.url, self.what, self.status = url, what, status


@dataclass
class Downloaded:
    status: int  # 200, or 304 (not modified: nothing written)
    size: int = 0
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""


def describe(exc: BaseException) -> str:
    """A failure in words: 'timed out after 30 s', 'connection refused', 'HTTP 404 Not Found'."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"host not found ({reason.strerror or reason})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__


class Client:
    """GETs, one at a time, ``polite.delay`` apart; ``log`` hears of every retry."""

    def __init__(self, polite: Politeness, log: Callable[[str], None] | None = None, sleep=time.sleep):
        self.polite, self.log, self.sleep = polite, log or (lambda m: None), sleep
        self.opener = urllib.request.build_opener()
        self.requests = 0
        self._last = -1e18

    def _pause(self) -> None:
        wait = self.polite.delay - (time.monotonic() - self._last)
        if wait > 0:
            self.sleep(wait)

    def _attempt(self, url: str, headers: dict, consume: Callable[[Any], Any]):
        """(True, result) or (False, (why, retryable, status)) for one try."""
        self._pause()
        self.requests += 1
        req = urllib.request.Request(url, headers={"User-Agent": self.polite.user_agent, **headers})
        try:
            with self.opener.open(req, timeout=self.polite.timeout) as resp:
                return True, consume(resp)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 304:
                return True, Downloaded(304)
            return False, (describe(exc), exc.code in RETRY_STATUS, exc.code)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            return False, (describe(exc), True, None)
        finally:
            self._last = time.monotonic()

    def get(self, url: str, consume: Callable[[Any], Any], headers: dict | None = None):
        """What ``consume(response)`` returns for a GET of ``url``, retried with backoff; HttpFailure otherwise."""
        for attempt in range(self.polite.retries + 1):
            ok, result = self._attempt(url, headers or {}, consume)
            if ok:
                return result
            why, retryable, status = result
            if not retryable or attempt == self.polite.retries:
                tries = f" (after {attempt + 1} tries)" if attempt else ""
                raise HttpFailure(url, why + tries, status)
            wait = self.polite.backoff * 2**attempt
            self.log(f"retrying {url} in {wait:g} s: {why}")
            self.sleep(wait)
        raise AssertionError("unreachable")

    def get_bytes(self, url: str, limit: int = 50 * 1024 * 1024) -> bytes:
        def read(resp) -> bytes:
            body = resp.read(limit + 1)
            if len(body) > limit:
                raise HttpFailure(url, f"answer over {limit // (1024 * 1024)} MB")
            return body

        return self.get(url, read)

    def download(self, url: str, part: Path, headers: dict | None = None) -> Downloaded:
        """The body of ``url`` written to ``part`` (created afresh; the caller renames it into place)."""

        def write(resp) -> Downloaded:
            size = 0
            with open(part, "wb") as fh:
                while block := resp.read(CHUNK):
                    size += len(block)
                    if size > self.polite.max_bytes:
                        raise HttpFailure(url, f"file over {self.polite.max_bytes // (1024 * 1024)} MB; not kept")
                    fh.write(block)
                fh.flush()
                os.fsync(fh.fileno())
            h = resp.headers
            return Downloaded(200, size, h.get("ETag", ""), h.get("Last-Modified", ""), h.get("Content-Type", ""))

        return self.get(url, write, headers)
