"""The read side's error for an index that cannot be used (raised by both backends, ranking and the writers)."""

from __future__ import annotations

from boardpapers.errors import BoardpapersError


class IndexError_(BoardpapersError):
    """The index cannot be used; the message says what is wrong and how to fix it."""
