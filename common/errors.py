"""The base of every error a user can act on.

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
