"""Errors a user can act on.

The CLI prints them as one line (and the log to read, where there is one), never as a traceback.
"""

from __future__ import annotations

from pathlib import Path


class BucleError(Exception):
    """Base of every error that carries a message meant for the person at the keyboard."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message} (log: {self.log})" if self.log else message


class ServerError(BucleError):
    """The embedded Argilla server could not be started, stopped or reached."""


class StateError(BucleError):
    """The project's state folder is missing something or holds something unreadable."""


class ArgillaError(BucleError):
    """Argilla refused a request or could not be reached."""
