"""One spelling per metadata value, the most common one, with the originals kept."""

from collections import Counter

from bucle.loop.ingest.metadata_values import canonical, fold, key


def test_spellings_that_differ_in_case_accents_spaces_or_punctuation_share_a_key():
    assert key("EL UNIVERSAL") == key("El Universal") == key("El UNIVERSAL")
    assert key("Animal Político") == key("Animal Politico") == key("animal político")
    assert key("CNNespañol") == key("CNN español") and key("Modo Noticia") == key("Modonoticia")
    assert key("ABC") != key("ABC Noticias") and key("—") == "—", "different words stay apart; no letters: itself"


def test_the_most_common_spelling_wins_then_one_with_accents_then_one_not_in_capitals():
    assert canonical(Counter({"El país": 67, "El País": 8, "El Pais": 5})) == "El país"
    assert canonical(Counter({"Animal Politico": 1, "Animal Político": 1})) == "Animal Político"
    assert canonical(Counter({"HUFFPOST": 1, "Huffpost": 1})) == "Huffpost"


def test_fold_shows_one_value_per_key_and_says_what_changed():
    originals = {"source": {"a": "EL UNIVERSAL", "b": "El Universal", "c": "El Universal", "d": "Proceso"}}
    shown, folded = fold(originals)
    assert shown == {"source": {"a": "El Universal", "b": "El Universal", "c": "El Universal", "d": "Proceso"}}
    assert folded.changed == {"source": 1} and folded.examples == {"source": [("EL UNIVERSAL", "El Universal")]}
    assert fold({"source": {}}) == ({"source": {}}, folded.__class__())
