"""Decoding and cleaning texts."""

import pytest

from bucle.loop.ingest.text_cleaning import clean_text, decode

SPANISH = "Información pública: el niño comió piña en Córdoba. ¿Por qué? ¡Sí!"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (SPANISH.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + SPANISH.encode("utf-8"), "utf-8-sig"),
        (SPANISH.encode("utf-16"), "utf-16"),
        ((SPANISH + " “comillas” — guion").encode("cp1252"), "cp1252"),
        (SPANISH.encode("latin-1"), None),
    ],
)
def test_each_encoding_decodes_to_the_same_text(encoded, encoding):
    text, used = decode(encoded)
    assert text.startswith(SPANISH)
    if encoding:
        assert used == encoding
    else:
        assert used in {"cp1252", "latin_1", "iso8859_15"}


def test_mojibake_is_repaired():
    broken = SPANISH.encode("utf-8").decode("cp1252")
    assert "Ã³" in broken
    assert clean_text(broken) == SPANISH
    assert clean_text("â€œHolaâ€\x9d, dijo") == "“Hola”, dijo"


def test_nfc_html_controls_and_whitespace():
    decomposed = "informacio\u0301n"
    assert clean_text(decomposed) == "información"
    html = "<p>Hola&nbsp;<b>mundo</b></p><script>alert(1)</script><p>Segundo   párrafo</p>"
    assert clean_text(html) == "Hola mundo\n\nSegundo párrafo"
    assert clean_text("a\u0000b\u200bc\u0007d") == "abcd"
    assert clean_text("  uno \t dos\r\n\r\n\r\n tres  ") == "uno dos\n\ntres"
    assert clean_text("5 &lt; 6 &amp; 7") == "5 < 6 & 7"


def test_clean_text_leaves_clean_text_alone():
    assert clean_text(SPANISH) == SPANISH
    assert clean_text("Precio: 3 < 4 y ¿vale 5 €?") == "Precio: 3 < 4 y ¿vale 5 €?"
