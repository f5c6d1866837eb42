"""The index's tables and the per-process connection to them.

The index is a cache of argilla-server's database: every row here can be rebuilt with
``argilla_server search-engine reindex``. Several processes (the API server and the rq workers)
write to it, so it runs in WAL mode with a generous busy timeout.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL DEFAULT 0  -- bumped on every vector change, for caches
);
CREATE TABLE IF NOT EXISTS records (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    dataset_id TEXT NOT NULL,
    external_id TEXT,
    status TEXT,
    inserted_at TEXT,
    updated_at TEXT,
    metadata TEXT  -- JSON object
);
CREATE INDEX IF NOT EXISTS records_by_dataset ON records (dataset_id, rid);
CREATE TABLE IF NOT EXISTS texts (
    tid INTEGER PRIMARY KEY,  -- equals the rowid of its row in texts_fts
    rid INTEGER NOT NULL,
    field TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS texts_by_record ON texts (rid);
CREATE VIRTUAL TABLE IF NOT EXISTS texts_fts USING fts5 (
    body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS responses (
    id TEXT PRIMARY KEY,
    rid INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    answers TEXT NOT NULL  -- JSON object: question name -> value
);
CREATE INDEX IF NOT EXISTS responses_by_record ON responses (rid, user_id);
CREATE INDEX IF NOT EXISTS responses_by_user ON responses (user_id, status);
CREATE TABLE IF NOT EXISTS suggestions (
    rid INTEGER NOT NULL,
    question TEXT NOT NULL,
    value TEXT,  -- JSON
    score REAL,  -- the highest score where the suggestion has one per label
    agent TEXT,
    type TEXT,
    PRIMARY KEY (rid, question)
);
CREATE TABLE IF NOT EXISTS vectors (
    settings_id TEXT NOT NULL,
    rid INTEGER NOT NULL,
    value BLOB NOT NULL,  -- float32, native byte order
    PRIMARY KEY (settings_id, rid)
);
CREATE INDEX IF NOT EXISTS vectors_by_record ON vectors (rid);
"""

_connections: dict[tuple[int, str], sqlite3.Connection] = {}
_lock = threading.Lock()


def user_shuffle_key(user_id: str, record_id: str) -> int:
    """A stable pseudo-random rank, so each annotator sees the records in an order of their own
    (what Elasticsearch's seeded ``random_score`` gives argilla-server)."""
    digest = hashlib.blake2b(f"{user_id}:{record_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def connect(path: Path) -> sqlite3.Connection:
    """One connection per process and file: opening costs more than a query, and a forked rq
    worker must never reuse its parent's connection."""
    key = (os.getpid(), str(path))
    with _lock:
        conn = _connections.get(key)
        if conn is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.create_function("user_shuffle_key", 2, user_shuffle_key, deterministic=True)
            conn.executescript(SCHEMA)
            _connections[key] = conn
        return conn


class transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK``): takes the write lock up front so two
    writer processes wait for each other instead of failing half-way."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
