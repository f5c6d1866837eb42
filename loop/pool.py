"""The pool: every kept record of a project, its split and its labels, in one SQLite file.

``.bucle/pool.sqlite`` is the project's memory of its data. A record's id is stable (the data's
own id, or a hash of its cleaned text), so ingesting a file again adds nothing and a grown file
adds only its new rows. Rejected rows live in the ``quarantine`` table with the reason and the
source line; nothing is dropped silently. The frozen test set is the records whose ``split`` is
``test``; it is carved once and never offered for training or selection.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from bucle.common.errors import StateError

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    metadata TEXT NOT NULL,          -- JSON object
    gold TEXT,                       -- JSON: the data's own label(s), if any
    split TEXT NOT NULL DEFAULT 'pool' CHECK (split IN ('pool', 'test')),
    label TEXT,                      -- JSON: the label used for training (seed, gold or annotators)
    label_source TEXT,               -- seed | gold | annotators
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    signature BLOB,                  -- MinHash, for near-duplicates
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS records_by_split ON records (split);
CREATE TABLE IF NOT EXISTS quarantine (
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    raw TEXT NOT NULL,
    record_id TEXT,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (source, line, reason)
);
CREATE TABLE IF NOT EXISTS metadata_originals (  -- a value as the data spelled it, where the pool shows another
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    original TEXT NOT NULL,
    PRIMARY KEY (id, name)
);
"""


@dataclass(frozen=True)
class PoolRecord:
    id: str
    text: str
    metadata: dict[str, Any]
    gold: Any
    split: str
    label: Any
    label_source: str | None
    source: str
    line: int

    @property
    def test_label(self) -> Any:
        """What a frozen test record is scored against: its annotators' label, else its gold."""
        return self.label if self.label is not None else self.gold


@dataclass(frozen=True)
class Rejection:
    source: str
    line: int
    reason: str
    detail: str
    raw: str
    record_id: str | None = None


def _loads(value: str | None) -> Any:
    return json.loads(value) if value is not None else None


def _dumps(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False) if value is not None else None


class PoolDamaged(StateError):
    """The pool file is not a sound SQLite database; the message says how to recover."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(
            f"The pool {path} is damaged ({why}): run `bucle pool restore` to put back the copy kept at "
            "the last round (the next round pulls every answer again from Argilla), or delete it and run "
            "`bucle ingest` to rebuild it from the data files"
        )


_checked: set[tuple] = set()  # files that passed quick_check in this process, by identity and version


def _identity(path: Path) -> tuple:
    stat = path.stat()
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


class Pool:
    def __init__(self, path: Path) -> None:
        """Open (or create) the pool. An existing file is checked first (SQLite's quick_check,
        once per process and version of the file): a damaged or emptied pool stops here with a
        way out, instead of tracebacks later or a rebuilt pool without the annotators' labels."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = path
        existed = path.exists()
        if existed and path.stat().st_size == 0:
            raise PoolDamaged(path, "the file is empty")
        self.conn = sqlite3.connect(path, isolation_level=None)
        try:
            self.conn.execute("PRAGMA journal_mode = WAL")
            if existed and _identity(path) not in _checked:
                verdict = self.conn.execute("PRAGMA quick_check").fetchone()[0]
                if verdict != "ok":
                    raise PoolDamaged(path, verdict[:200])
                _checked.add(_identity(path))
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:
            self.conn.close()
            raise PoolDamaged(path, str(error)) from None
        except PoolDamaged:
            self.conn.close()
            raise

    def backup(self, target: Path) -> None:
        """A consistent copy of the pool at ``target`` (SQLite's online backup), written under a
        temporary name and renamed, so that a copy is whole or absent."""
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.unlink(missing_ok=True)
        copy = sqlite3.connect(tmp)
        try:
            self.conn.backup(copy)
        finally:
            copy.close()
        tmp.replace(target)

    def close(self) -> None:
        self.conn.close()

    @staticmethod
    @contextmanager
    def shared(path: Path, pool: "Pool | None") -> Iterator["Pool"]:
        """``pool`` when the caller holds one open (a round opens the pool once for all its
        steps), else the pool at ``path``, opened for the block."""
        if pool is not None:
            yield pool
            return
        with Pool(path) as opened:
            yield opened

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all (a kill -9 included); nested uses
        join the outer transaction."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def add(
        self, records: Iterable[tuple[PoolRecord, str, np.ndarray | None]], rejections: Iterable[Rejection]
    ) -> None:
        """Store one batch of kept records (with content hash and signature) and rejections,
        atomically: a crash mid-ingest leaves whole batches only."""
        with self.transaction():
            self.conn.executemany(
                "INSERT OR IGNORE INTO records (id, text, content_hash, metadata, gold, split, label, label_source, "
                "source, line, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.id,
                        r.text,
                        content_hash,
                        json.dumps(r.metadata, ensure_ascii=False),
                        _dumps(r.gold),
                        r.split,
                        _dumps(r.label),
                        r.label_source,
                        r.source,
                        r.line,
                        signature.tobytes() if signature is not None else None,
                    )
                    for r, content_hash, signature in records
                ],
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO quarantine (source, line, reason, detail, raw, record_id) VALUES (?, ?, ?, ?, ?, ?)",
                [(q.source, q.line, q.reason, q.detail, q.raw, q.record_id) for q in rejections],
            )

    def set_split(self, ids: Iterable[str], split: str) -> None:
        with self.transaction():
            self.conn.executemany("UPDATE records SET split = ? WHERE id = ?", ((split, i) for i in ids))

    def set_labels(self, labels: dict[str, Any], source: str) -> None:
        with self.transaction():
            self.conn.executemany(
                "UPDATE records SET label = ?, label_source = ? WHERE id = ?",
                [(_dumps(label), source, record_id) for record_id, label in labels.items()],
            )

    def set_metadata_values(self, shown: dict[str, dict[str, str]], originals: dict[str, dict[str, str]]) -> None:
        """Show ``shown[name][id]`` as record ``id``'s metadata ``name``, keeping the original
        spelling (``originals``) where it differs; one transaction."""
        with self.transaction():
            rows = self.conn.execute("SELECT id, metadata FROM records").fetchall()
            updates = []
            for record_id, text in rows:
                metadata = json.loads(text)
                new = {**metadata, **{name: values[record_id] for name, values in shown.items() if record_id in values}}
                if new != metadata:
                    updates.append((json.dumps(new, ensure_ascii=False), record_id))
            self.conn.executemany("UPDATE records SET metadata = ? WHERE id = ?", updates)
            self.conn.executemany(
                "INSERT OR IGNORE INTO metadata_originals (id, name, original) VALUES (?, ?, ?)",
                [
                    (record_id, name, original)
                    for name, values in originals.items()
                    for record_id, original in values.items()
                    if shown[name].get(record_id) != original
                ],
            )

    # -- reading ----------------------------------------------------------------------------

    def metadata_originals(self, names: Iterable[str]) -> dict[str, dict[str, str]]:
        """Every record's text value of each metadata ``name`` as the data spelled it."""
        names = list(names)
        originals: dict[str, dict[str, str]] = {name: {} for name in names}
        for record_id, text in self.conn.execute("SELECT id, metadata FROM records"):
            metadata = json.loads(text)
            for name in names:
                if isinstance(metadata.get(name), str):
                    originals[name][record_id] = metadata[name]
        for record_id, name, original in self.conn.execute("SELECT id, name, original FROM metadata_originals"):
            if name in originals and record_id in originals[name]:
                originals[name][record_id] = original
        return originals

    def known(self) -> Iterator[tuple[str, str, str, Any]]:
        """``(id, content hash, source, gold)`` of every record, for checks held in memory."""
        for record_id, content_hash, source, gold in self.conn.execute(
            "SELECT id, content_hash, source, gold FROM records"
        ):
            yield record_id, content_hash, source, _loads(gold)

    def signatures(self) -> Iterator[tuple[str, np.ndarray]]:
        for record_id, blob in self.conn.execute("SELECT id, signature FROM records WHERE signature IS NOT NULL"):
            yield record_id, np.frombuffer(blob, dtype=np.uint32)

    def records(self, split: str | None = None, labelled: bool | None = None) -> list[PoolRecord]:
        sql = "SELECT id, text, metadata, gold, split, label, label_source, source, line FROM records WHERE 1"
        params: list[Any] = []
        if split is not None:
            sql += " AND split = ?"
            params.append(split)
        if labelled is not None:
            sql += " AND label IS NOT NULL" if labelled else " AND label IS NULL"
        rows = self.conn.execute(sql + " ORDER BY rowid", params).fetchall()
        return [
            PoolRecord(r[0], r[1], json.loads(r[2]), _loads(r[3]), r[4], _loads(r[5]), r[6], r[7], r[8]) for r in rows
        ]

    def test_records(self) -> list[PoolRecord]:
        """The frozen test set's records that can be scored: those with a ``test_label``."""
        return [r for r in self.records(split="test") if r.test_label is not None]

    def count(self, split: str | None = None, labelled: bool | None = None) -> int:
        sql, params = "SELECT COUNT(*) FROM records WHERE 1", []
        if split is not None:
            sql, params = sql + " AND split = ?", [split]
        if labelled is not None:
            sql += " AND label IS NOT NULL" if labelled else " AND label IS NULL"
        return self.conn.execute(sql, params).fetchone()[0]

    def has_labels_from(self, source: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM records WHERE label_source = ? LIMIT 1", (source,)).fetchone() is not None
        )

    def quarantine(self) -> list[Rejection]:
        rows = self.conn.execute(
            "SELECT source, line, reason, detail, raw, record_id FROM quarantine ORDER BY source, line, reason"
        ).fetchall()
        return [Rejection(*row) for row in rows]

    def quarantine_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT reason, COUNT(*) FROM quarantine GROUP BY reason ORDER BY reason"))
