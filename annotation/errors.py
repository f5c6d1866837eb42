"""Errors a user can act on, on top of the base they share with training (``common.errors``).

The CLI prints them as one line (and the log to read, where there is one), never as a traceback.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from bucle.common.errors import BucleError

DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
__all__ = ["BucleError", "ServerError", "StateError", "ArgillaError", "disk_full"]


class ServerError(BucleError):
    """The embedded Argilla server could not be started, stopped or reached."""


class StateError(BucleError):
    """The project's state folder is missing something or holds something unreadable."""


class ArgillaError(BucleError):
    """Argilla refused a request or could not be reached."""


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
    return (f"No space left on the disk of {where}: free some space and run the command again "
            "(nothing was half-written: every step is resumable)")  # fmt: skip
