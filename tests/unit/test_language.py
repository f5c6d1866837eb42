"""Offline language identification."""

from bucle.loop.ingest.language import LanguageCheck

check = LanguageCheck("es", 0.8)


def test_spanish_passes_and_other_languages_are_caught():
    assert (
        check.foreign("El gobierno anunció un nuevo plan de agua potable para las comunidades rurales del país.")
        is None
    )
    english = check.foreign(
        "The government announced a new drinking water plan for the rural communities of the country."
    )
    assert english is not None and english[0] == "en"
    portuguese = check.foreign("O governo anunciou um novo plano de água potável para as comunidades rurais do país.")
    assert portuguese is not None and portuguese[0] == "pt"


def test_short_texts_are_not_judged():
    assert check.foreign("OK, thanks!") is None
