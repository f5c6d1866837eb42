"""Sentence embeddings on disk, keyed by (body id, text hash).

A body that has not changed never embeds the same text twice: most rounds refit only the head
on cached embeddings, and scoring the pool is a matrix product. The body id names exactly the
weights that produced a vector (the base model's name and sequence length, or the registry
version of a fine-tuned body), so a new body never reads stale vectors.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

CHUNK = 500


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (body TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL, "
            "PRIMARY KEY (body, text))"
        )
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        self.conn.close()

    def _get(self, body: str, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            rows = self.conn.execute(
                f"SELECT text, vector FROM embeddings WHERE body = ? AND text IN ({', '.join('?' * len(chunk))})",
                (body, *chunk),
            )
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def missing(self, body: str, texts: Sequence[str]) -> list[str]:
        """The distinct ``texts`` that ``body`` has no cached embedding of, in their order."""
        keys = {text_key(text): text for text in texts}
        found = self._get(body, list(keys))
        return [text for key, text in keys.items() if key not in found]

    def embed(self, body: str, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Embeddings of ``texts`` by ``body``, computing (with ``encode``) only the missing ones."""
        keys = [text_key(text) for text in texts]
        found = self._get(body, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(key for key in keys if key not in found))
        self.hits += len(keys) - sum(1 for key in keys if key not in found)
        self.misses += len(missing)
        if missing:
            first_text = {key: text for key, text in zip(keys, texts)}
            vectors = np.asarray(encode([first_text[key] for key in missing]), dtype=np.float32)
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (body, text, vector) VALUES (?, ?, ?)",
                [(body, key, vector.tobytes()) for key, vector in zip(missing, vectors)],
            )
            self.conn.execute("COMMIT")
            found.update(zip(missing, vectors))
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, 0), dtype=np.float32)
