"""Exact cosine similarity over a dataset's vectors with numpy.

At 100k records × 384 dimensions a brute-force matrix product takes a few milliseconds, so no
approximate index is needed. Each process keeps the normalised matrix of every vector setting in
memory and reloads it only when the dataset's generation number (bumped by every write that
touches vectors, in any process) has moved.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np


@dataclass
class VectorMatrix:
    generation: int
    rids: np.ndarray  # int64, one per row
    unit: np.ndarray  # float32, rows normalised to length 1 (zero rows stay zero)


_cache: dict[str, VectorMatrix] = {}


def encode(value: list[float]) -> bytes:
    return np.asarray(value, dtype=np.float32).tobytes()


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def load(conn: sqlite3.Connection, settings_id: str, generation: int) -> VectorMatrix:
    cached = _cache.get(settings_id)
    if cached is not None and cached.generation == generation:
        return cached
    rows = conn.execute("SELECT rid, value FROM vectors WHERE settings_id = ? ORDER BY rid", (settings_id,)).fetchall()
    rids = np.fromiter((rid for rid, _ in rows), dtype=np.int64, count=len(rows))
    if rows:
        matrix = np.frombuffer(b"".join(value for _, value in rows), dtype=np.float32)
        matrix = matrix.reshape(len(rows), -1)
    else:
        matrix = np.zeros((0, 0), dtype=np.float32)
    loaded = VectorMatrix(generation=generation, rids=rids, unit=_normalise(matrix))
    _cache[settings_id] = loaded
    return loaded


def nearest(
    matrix: VectorMatrix,
    query: list[float],
    k: int,
    allowed: np.ndarray | None = None,
    excluded_rid: int | None = None,
) -> list[tuple[int, float]]:
    """The ``k`` rows most similar to ``query`` as ``(rid, score)``, best first.

    The score is Elasticsearch's for cosine similarity, ``(1 + cos) / 2`` in [0, 1], so that
    thresholds chosen against the production stack mean the same here.
    """
    if len(matrix.rids) == 0 or k <= 0:
        return []
    q = _normalise(np.asarray(query, dtype=np.float32))
    scores = (1.0 + matrix.unit @ q) / 2.0
    keep = np.ones(len(matrix.rids), dtype=bool)
    if allowed is not None:
        keep &= np.isin(matrix.rids, allowed)
    if excluded_rid is not None:
        keep &= matrix.rids != excluded_rid
    candidates = np.flatnonzero(keep)
    if len(candidates) > k:
        top = np.argpartition(-scores[candidates], k - 1)[:k]
        candidates = candidates[top]
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [(int(matrix.rids[i]), float(scores[i])) for i in order]
