"""Exact cosine search over cached matrices."""

import sqlite3

import numpy as np

from bucle.annotation.embedded.sqlite_search import vectors
from bucle.annotation.embedded.sqlite_search.schema import SCHEMA


def matrix_of(rows: np.ndarray, generation: int = 1) -> vectors.VectorMatrix:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    conn.executemany(
        "INSERT INTO vectors (settings_id, rid, value) VALUES ('s', ?, ?)",
        [(rid, vectors.encode(row.tolist())) for rid, row in enumerate(rows, start=10)],
    )
    vectors._cache.clear()
    return vectors.load(conn, "s", generation)


def test_nearest_matches_brute_force_and_uses_elasticsearch_scores():
    rows = np.random.default_rng(0).normal(size=(500, 16)).astype(np.float32)
    query = rows[7] + 0.01
    hits = vectors.nearest(matrix_of(rows), query.tolist(), k=5)
    cosine = (rows / np.linalg.norm(rows, axis=1, keepdims=True)) @ (query / np.linalg.norm(query))
    assert [rid for rid, _ in hits] == [int(i) + 10 for i in np.argsort(-cosine)[:5]]
    assert hits[0][0] == 17
    assert all(0.0 <= score <= 1.0 for _, score in hits)
    assert abs(hits[0][1] - (1 + cosine.max()) / 2) < 1e-5


def test_allowed_and_excluded_rows_and_small_k():
    rows = np.eye(4, dtype=np.float32)
    matrix = matrix_of(rows)
    assert [rid for rid, _ in vectors.nearest(matrix, [1, 0, 0, 0], 10, excluded_rid=10)] == [11, 12, 13]
    allowed = np.array([12, 13])
    assert {rid for rid, _ in vectors.nearest(matrix, [1, 0, 0, 0], 10, allowed=allowed)} == {12, 13}
    assert vectors.nearest(matrix, [1, 0, 0, 0], 0) == []


def test_zero_vectors_do_not_produce_nan():
    rows = np.array([[0, 0], [1, 0]], dtype=np.float32)
    hits = vectors.nearest(matrix_of(rows), [1, 0], 2)
    assert hits[0] == (11, 1.0)
    assert hits[1] == (10, 0.5)


def test_cache_reloads_only_when_the_generation_moves():
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO vectors VALUES ('g', 1, ?)", (vectors.encode([1.0, 0.0]),))
    vectors._cache.clear()
    first = vectors.load(conn, "g", 1)
    conn.execute("INSERT INTO vectors VALUES ('g', 2, ?)", (vectors.encode([0.0, 1.0]),))
    assert vectors.load(conn, "g", 1) is first
    assert len(vectors.load(conn, "g", 2).rids) == 2
