"""Deciding at start-up whether the search index must be rebuilt from the database.

The index is a cache: if it is missing, or SQLite finds it damaged (a crash mid-write on a
filesystem that lied about fsync, a truncated copy), it is moved aside and rebuilt with
argilla-server's own ``search-engine reindex``. Uses only the standard library, so that the
supervisor needs nothing from the server venv.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from common.clock import file_stamp

SQLITE_HEADER = b"SQLite format 3\x00"


def is_sqlite_file(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def _is_healthy(path: Path) -> bool:
    if not is_sqlite_file(path):
        return False
    try:
        with sqlite3.connect(path) as conn:
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False


def needs_rebuild(index: Path, say: Callable[[str], None]) -> bool:
    if not index.exists():
        say(f"search index {index} is missing; rebuilding it from the database")
        return True
    if _is_healthy(index):
        return False
    aside = index.with_name(f"{index.name}.damaged-{file_stamp()}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{index}{suffix}")
        if part.exists():
            part.rename(Path(f"{aside}{suffix}"))
    say(f"search index {index} is damaged; moved it to {aside} and rebuilding it from the database")
    return True
