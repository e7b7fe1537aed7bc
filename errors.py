"""One base for every error boardpapers reports to a user.

Each layer raises its own subclass (``IngestError``, ``StoreError``, ``IndexError_``, ``QueryError``, ``ModelError``,
``InputError``, ``LockedError``, ``SettingsError`` ...); the command line and the app catch ``BoardpapersError`` once
and show its message, which already names the file and the reason. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class BoardpapersError(Exception):
    """A problem with the user's input, files, index, store or settings: its message is meant for the user."""
