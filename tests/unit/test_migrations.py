"""A start skips argilla-server's migration only when the database is where the last one left it,
under the same server version."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bucle.annotation.embedded import migrations
from bucle.annotation.embedded.layout import ServerLayout


def layout_with(tmp_path: Path, version: str, revision: str | None) -> ServerLayout:
    """A layout whose server venv has argilla-server ``version`` and whose database is at ``revision``."""
    venv = tmp_path / "venv"
    for old in venv.glob("lib/python3.11/site-packages/argilla_server-*.dist-info"):
        old.rmdir()
    (venv / "lib" / "python3.11" / "site-packages" / f"argilla_server-{version}.dist-info").mkdir(parents=True)
    layout = ServerLayout(tmp_path / "state", server_python=venv / "bin" / "python")
    layout.make_dirs()
    if revision is not None:
        with closing(sqlite3.connect(layout.database)) as conn, conn:
            conn.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num TEXT NOT NULL)")
            conn.execute("DELETE FROM alembic_version")
            conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    return layout


def test_the_first_start_migrates_and_the_next_one_does_not(tmp_path):
    layout = layout_with(tmp_path, "2.8.0", None)
    assert migrations.up_to_date(layout) is None, "no database yet"
    layout = layout_with(tmp_path, "2.8.0", "580a6553186f")  # what the migration did
    assert migrations.up_to_date(layout) is None, "no record of a migration"
    migrations.record(layout)
    assert migrations.up_to_date(layout) == "database at revision 580a6553186f of argilla-server 2.8.0"


def test_a_new_server_or_another_database_migrates_again(tmp_path):
    layout = layout_with(tmp_path, "2.8.0", "580a6553186f")
    migrations.record(layout)
    assert migrations.up_to_date(layout_with(tmp_path, "2.9.0", "580a6553186f")) is None, "a new argilla-server"
    migrations.record(layout_with(tmp_path, "2.8.0", "580a6553186f"))
    assert migrations.up_to_date(layout_with(tmp_path, "2.8.0", "0123456789ab")) is None, "a database from elsewhere"
    layout.database.write_bytes(b"not a database" * 100)
    assert migrations.up_to_date(layout) is None, "a damaged database: the migration reports it"
    layout.database.unlink()
    assert migrations.up_to_date(layout) is None
