"""The demo's input rules, rate limit and CSV reading."""

from __future__ import annotations

import pytest

from bucle.common.errors import BucleError
from bucle.demo.batch import read_csv_texts, safe_cell, write_predictions
from bucle.demo.predictor import DemoInputError, check_text
from bucle.demo.rate_limit import RateLimited, RateLimiter


@pytest.mark.parametrize("text", [None, "", "   \n\t "])
def test_empty_and_whitespace_only_texts_get_a_clear_message(text):
    with pytest.raises(DemoInputError, match="vacío"):
        check_text(text, 100)


def test_over_long_texts_are_refused_not_truncated_and_spaces_are_normalised():
    with pytest.raises(DemoInputError, match="101 caracteres; el máximo es 100"):
        check_text("a" * 101, 100)
    assert check_text("  Hola\n\n  mundo  ", 100) == "Hola mundo"


def test_the_rate_limit_is_per_client_and_refills():
    now = [0.0]
    limiter = RateLimiter(per_minute=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("a")
    with pytest.raises(RateLimited, match="espera 20 s"):
        limiter.check("a")
    limiter.check("b")  # another client is not affected
    now[0] += 20
    limiter.check("a")


def test_csv_texts_come_from_the_text_column_or_the_first_column(tmp_path):
    with_header = tmp_path / "a.csv"
    with_header.write_text('id,texto\n1,Hola mundo\n2,"Con, coma"\n', encoding="utf-8")
    assert read_csv_texts(str(with_header), 10) == [("Hola mundo", None), ("Con, coma", None)]
    bare = tmp_path / "b.csv"
    bare.write_bytes("Señal en cp1252\nOtra línea\n".encode("cp1252"))
    assert read_csv_texts(str(bare), 10) == [("Señal en cp1252", None), ("Otra línea", None)]
    with pytest.raises(BucleError, match="3 filas; el máximo es 2"):
        read_csv_texts(_rows(tmp_path, 3), 2)
    empty = tmp_path / "e.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(BucleError, match="vacío"):
        read_csv_texts(str(empty), 2)


def _rows(folder, n: int) -> str:
    path = folder / "n.csv"
    path.write_text("text\n" + "".join(f"texto {i}\n" for i in range(n)), encoding="utf-8")
    return str(path)


def test_bad_rows_get_a_message_and_keep_their_neighbours(tmp_path):
    path = tmp_path / "mal.csv"
    path.write_text('text\nprimera\n"sin cerrar\ntercera\n' + "x" * 200_000 + "\núltima\n", encoding="utf-8")
    rows = read_csv_texts(str(path), 10)
    assert [text for text, problem in rows if problem is None] == ["primera", "tercera", "x" * 200_000, "última"]
    assert [problem for _, problem in rows if problem] == [
        "Fila 3 ilegible: unreadable CSV row: unexpected end of data (a quote opened on this line is never closed)."
    ]


def test_a_binary_upload_gets_a_spanish_message(tmp_path):
    path = tmp_path / "foto.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(BucleError, match="no parece un CSV de texto"):
        read_csv_texts(str(path), 10)


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised_for_spreadsheets(tmp_path, cell):
    assert safe_cell(cell) == "'" + cell
    import csv

    with open(
        write_predictions([{"text": cell, "p_falsa": 0.25}], tmp_path / "p.csv"), newline="", encoding="utf-8"
    ) as f:
        row = next(csv.DictReader(f))
    assert row["text"] == "'" + cell and row["p_falsa"] == "0.25"
    assert safe_cell("Texto normal") == "Texto normal" and safe_cell(0.5) == 0.5
