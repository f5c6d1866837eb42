"""At start-up the search index is rebuilt from the database only when there is something to
rebuild: beside a new database it starts empty, and an index left from an earlier database is
set aside, never served."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bucle.annotation.embedded.index_health import needs_rebuild


def sound_index(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE records (rid INTEGER PRIMARY KEY, external_id TEXT)")
        conn.execute("INSERT INTO records VALUES (1, 'left from before')")
    return path


def test_a_new_database_starts_with_an_empty_index_and_sets_an_earlier_one_aside(tmp_path):
    said: list[str] = []
    index = tmp_path / "search.sqlite"
    assert not needs_rebuild(index, said.append, new_database=True)
    assert said == ["a new database: its search index starts empty"] and not index.exists()

    sound_index(index)
    assert not needs_rebuild(index, said.append, new_database=True)
    assert not index.exists(), "an index of an earlier database is never served beside a new one"
    [aside] = tmp_path.glob("search.sqlite.earlier-*")
    assert str(aside) in said[-1] and "starts empty" in said[-1]
    with closing(sqlite3.connect(aside)) as conn:
        assert conn.execute("SELECT external_id FROM records").fetchall() == [("left from before",)], (
            "kept, not deleted"
        )


def test_an_existing_database_rebuilds_a_missing_or_damaged_index_and_keeps_a_sound_one(tmp_path):
    said: list[str] = []
    index = tmp_path / "search.sqlite"
    assert needs_rebuild(index, said.append) and "missing; rebuilding it" in said[-1]
    sound_index(index)
    assert not needs_rebuild(index, said.append) and index.exists() and len(said) == 1
    index.write_bytes(b"this is not a database" * 100)
    assert needs_rebuild(index, said.append) and "damaged" in said[-1]
    assert not index.exists() and len(list(tmp_path.glob("search.sqlite.damaged-*"))) == 1
