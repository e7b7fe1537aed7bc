"""`boardpapers fetch`: a committee's papers from a ModernGov council website into a folder, ready to ingest."""

from __future__ import annotations

from datetime import date

from boardpapers.ingest.display import shown_path

from .common import EXIT_OK, EXIT_PARTIAL, CliError, say


def cmd_fetch(a) -> int:
    from boardpapers.ingest.fetch import FetchError, fetch
    from boardpapers.ingest.webclient import Politeness, user_agent

    try:
        since = date.fromisoformat(a.since) if a.since else None
        until = date.fromisoformat(a.until) if a.until else None
    except ValueError as exc:
        raise CliError(f"--since/--until: {exc} (expected YYYY-MM-DD)") from None
    from boardpapers.settings import settings

    env = settings()
    polite = Politeness(
        delay=env.fetch_delay if a.delay is None else a.delay,
        timeout=a.timeout,
        retries=a.retries,
        user_agent=user_agent(a.contact or env.fetch_contact),
    )
    quiet = getattr(a, "quiet", False)
    try:
        report = fetch(
            a.site_url,
            a.committee,
            a.to,
            since=since,
            until=until,
            council=a.council or "",
            polite=polite,
            refresh=a.refresh,
            say=(lambda m: None) if quiet else (lambda m: say(shown_path(m))),
        )
    except FetchError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{shown_path(a.to)}: {exc.strerror or exc}") from None
    for note in report.notes:
        say(f"note: {shown_path(note)}")
    for failure in report.failed:
        say(f"failed: {shown_path(failure)}")
    print(
        f"{len(report.meetings)} meetings: {len(report.fetched)} files fetched, {len(report.unchanged)} already here, "
        f"{len(report.failed)} failed, {len(report.skipped)} links skipped; manifest: {shown_path(a.to)}/manifest.csv"
    )
    if report.failed:
        print(f"Some files failed; run the same command again to fetch only those (exit code {EXIT_PARTIAL}).")
    return EXIT_PARTIAL if report.failed else EXIT_OK
