"""The base of every error a user can act on, and the one line for a full disk.

The CLI prints them as one line (and the log to read, where there is one), never as a traceback.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class BucleError(Exception):
    """Base of every error that carries a message meant for the person at the keyboard."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message} (log: {self.log})" if self.log else message


class StateError(BucleError):
    """The project's state folder is missing something or holds something unreadable."""


def disk_full(error: BaseException, folder: Path) -> str | None:
    """The one line to print when ``error`` is a full disk (an ``OSError`` with ENOSPC, or
    SQLite's own words for it), naming the folder; None for any other error."""
    if isinstance(error, OSError) and error.errno in DISK_FULL:
        where = Path(error.filename).parent if error.filename else folder
    elif isinstance(error, sqlite3.OperationalError) and any(
        words in str(error) for words in ("database or disk is full", "disk I/O error")
    ):
        where = folder
    else:
        return None
    return (
        f"No space left on the disk of {where}: free some space and run the command again "
        "(nothing was half-written: every step is resumable)"
    )
