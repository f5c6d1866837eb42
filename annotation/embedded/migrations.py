"""Deciding at start-up whether the database needs argilla-server's migration.

``argilla_server database migrate`` is a fresh interpreter that imports the whole server: about
three seconds of every start, though it changes nothing once the database is at the installed
server's newest revision. After each migration the revision it left the database at is recorded
beside the database with the server's version; a start that finds the database at that revision,
under that same version, skips it. A new argilla-server, a database restored from elsewhere or a
missing record all migrate as before. Uses only the standard library, like the rest of the
supervisor.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from bucle.annotation.embedded.layout import ServerLayout


def server_version(layout: ServerLayout) -> str | None:
    """The argilla-server version installed in the server venv, from its wheel's metadata folder."""
    venv = layout.server_python.parent.parent
    found = sorted(venv.glob("lib/python3*/site-packages/argilla_server-*.dist-info"))
    return found[0].name.removeprefix("argilla_server-").removesuffix(".dist-info") if found else None


def revision(database: Path) -> str | None:
    """The alembic revision the database is at; None for no database or one without it."""
    if not database.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _record_path(layout: ServerLayout) -> Path:
    return layout.home / "migrated.json"


def _now(layout: ServerLayout) -> dict[str, str | None]:
    """The installed server's version and the database's revision: what a record holds."""
    return {"argilla_server": server_version(layout), "revision": revision(layout.database)}


def up_to_date(layout: ServerLayout) -> str | None:
    """Why no migration is needed (the database's revision and the server's version), or None."""
    try:
        recorded = json.loads(_record_path(layout).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    now = _now(layout)
    if None in now.values() or recorded != now:
        return None
    return f"database at revision {now['revision']} of argilla-server {now['argilla_server']}"


def record(layout: ServerLayout) -> None:
    """After a migration: what it left the database at, for the next start to compare."""
    _record_path(layout).write_text(json.dumps(_now(layout)), encoding="utf-8")
