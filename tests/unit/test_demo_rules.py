"""The demo's input rules, rate limit and CSV reading."""

from __future__ import annotations

import pytest

from annotation.errors import BucleError
from demo.app import read_csv_texts
from demo.predictor import DemoInputError, check_text
from demo.rate_limit import RateLimited, RateLimiter


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
    with_header.write_text("id,texto\n1,Hola mundo\n2,\"Con, coma\"\n", encoding="utf-8")
    assert read_csv_texts(str(with_header), 10) == ["Hola mundo", "Con, coma"]
    bare = tmp_path / "b.csv"
    bare.write_bytes("Señal en cp1252\nOtra línea\n".encode("cp1252"))
    assert read_csv_texts(str(bare), 10) == ["Señal en cp1252", "Otra línea"]
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
