"""The UI's text queries become safe FTS5 expressions."""

import sqlite3

import pytest

from bucle.annotation.embedded.sqlite_search.schema import SCHEMA
from bucle.annotation.embedded.sqlite_search.text_query import FtsQuery, to_fts


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("información", FtsQuery('("información")', None)),
        ("agua potable", FtsQuery('("agua" AND "potable")', None)),
        ('"agua potable" río', FtsQuery('("agua potable" AND "río")', None)),
        ("infor*", FtsQuery('("infor" *)', None)),
        ("agua -río", FtsQuery('("agua")', '"río"')),
        ("agua | río", FtsQuery('("agua") OR ("río")', None)),
        ("-río", FtsQuery(None, '"río"')),
        ("", FtsQuery(None, None)),
        ("¿? ... !!", FtsQuery(None, None)),
        ('say "hi', FtsQuery('("say" AND "hi")', None)),
    ],
)
def test_translation(query, expected):
    assert to_fts(query) == expected


@pytest.mark.parametrize("hostile", ["NEAR(a b)", "a AND OR NOT", '"', "body:agua", "a^b", "*", "(((", 'a"b"c'])
def test_no_input_reaches_fts5_as_syntax(hostile):
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO texts_fts (rowid, body) VALUES (1, 'agua río información')")
    fts = to_fts(hostile)
    for expression in (fts.include, fts.exclude):
        if expression is not None:
            conn.execute("SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?", (expression,)).fetchall()


def test_accents_and_case_fold_both_ways():
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO texts_fts (rowid, body) VALUES (1, 'La INFORMACIÓN pública del Año')")
    conn.execute("INSERT INTO texts_fts (rowid, body) VALUES (2, 'informacion publica del ano')")
    for query in ("información", "INFORMACION", "publica", "Pública", "año", "ano"):
        rows = conn.execute("SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?", (to_fts(query).include,))
        assert {row[0] for row in rows} == {1, 2}, query
