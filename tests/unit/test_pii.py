"""Personal data is masked, and ordinary numbers are not."""

from bucle.loop.ingest.pii import mask


def test_emails_phones_dni_nie_iban_are_masked_and_counted():
    text = (
        "Escribe a ana.garcia@ejemplo.es o llama al +34 612 345 678 o al (55) 1234 5678. "
        "DNI 12345678Z, NIE X1234567L, cuenta ES91 2100 0418 4502 0005 1332."
    )
    masked, counts = mask(text)
    assert "ana.garcia" not in masked and "612" not in masked and "12345678Z" not in masked
    assert "X1234567L" not in masked and "2100 0418" not in masked
    assert counts == {"email": 1, "phone": 2, "dni": 1, "nie": 1, "iban": 1}
    assert "[CORREO]" in masked and "[TELÉFONO]" in masked and "[DNI]" in masked and "[IBAN]" in masked


def test_invalid_check_letters_and_digits_are_left_alone():
    text = "DNI 12345678A y cuenta ES00 2100 0418 4502 0005 1332"
    masked, counts = mask(text)
    assert masked == text
    assert not counts


def test_amounts_years_and_masked_numbers_stay():
    text = "En 2018 se gastaron 150.000.000 pesos; *NUMBER* personas; 3,5 millones; el 12 de mayo."
    masked, counts = mask(text)
    assert masked == text
    assert not counts
