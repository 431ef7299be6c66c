"""The one exception type users see (no torch)."""

from __future__ import annotations


class NerpipeError(Exception):
    """A problem the user can fix: bad data, a missing file, a bad checkpoint.

    ``str(err)`` is ``path:line: message`` when the location is known, so the CLI
    can print it as it stands.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message, self.path, self.line = message, path, line

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.path, self.line) if p is not None)
        return f"{where}: {self.message}" if where else self.message


class UsageError(NerpipeError, ValueError):
    """The command was asked for something impossible (exit status 2), e.g. an absent device.
    From Python it is a ValueError too: an argument the call cannot take."""
