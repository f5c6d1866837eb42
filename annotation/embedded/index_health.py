"""Deciding at start-up whether the search index must be rebuilt from the database.

The index is a cache: if it is missing, or SQLite finds it damaged (a crash mid-write on a
filesystem that lied about fsync, a truncated copy), it is moved aside and rebuilt with
argilla-server's own ``search-engine reindex``; beside a new database it starts empty. Uses only
the standard library, so that the supervisor needs nothing from the server venv.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from bucle.common.sqlite_files import is_sound, move_aside


def needs_rebuild(index: Path, say: Callable[[str], None], new_database: bool = False) -> bool:
    """Whether ``index`` must be rebuilt from the database. A new database has nothing to index:
    its index starts empty (the engine creates its tables on first use), and an index left from
    an earlier database is moved aside rather than served or rebuilt (a reindex is a fresh
    interpreter importing the whole server: seconds of every first start)."""
    if new_database:
        if index.exists():
            aside = move_aside(index, "earlier")
            say(f"a new database: moved the search index of an earlier one to {aside}; it starts empty")
        else:
            say("a new database: its search index starts empty")
        return False
    if not index.exists():
        say(f"search index {index} is missing; rebuilding it from the database")
        return True
    if is_sound(index):
        return False
    aside = move_aside(index)
    say(f"search index {index} is damaged; moved it to {aside} and rebuilding it from the database")
    return True
