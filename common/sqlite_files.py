"""SQLite files that may be damaged: telling a sound one, and setting a damaged (or stale) one aside.

Used for the search index at server start and for the pool and its copies; both keep the
damaged file (and its WAL and shared-memory files) for whoever wants to look, never delete it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bucle.common.clock import file_stamp

SQLITE_HEADER = b"SQLite format 3\x00"
COMPANIONS = ("", "-wal", "-shm")  # the database and the files SQLite keeps beside it


def is_sqlite_file(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def is_sound(path: Path) -> bool:
    """A SQLite file that passes ``PRAGMA quick_check``."""
    if not is_sqlite_file(path):
        return False
    try:
        with closing(sqlite3.connect(path)) as conn:
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False


def move_aside(path: Path, why: str = "damaged") -> Path:
    """Rename ``path`` and its WAL/SHM files to ``<name>.<why>-<stamp>``; returns the new path."""
    aside = path.with_name(f"{path.name}.{why}-{file_stamp()}")
    for suffix in COMPANIONS:
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.rename(Path(f"{aside}{suffix}"))
    return aside
