"""MinHash near-duplicate detection."""

import random

from bucle.loop.ingest.near_duplicates import NearDuplicateIndex, signature, similarity

WORDS = "el gobierno anunció hoy un plan nuevo de agua potable para las comunidades rurales del norte".split()


def text(seed: int, n: int = 120) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(50)) for _ in range(n))


def test_small_edits_are_near_duplicates_and_other_texts_are_not():
    base = text(1)
    edited = base.replace("gobierno3", "Gobierno3", 1) + " fin de la nota"
    index = NearDuplicateIndex(0.8)
    index.add("a", signature(base))
    match = index.match(signature(edited))
    assert match is not None and match[0] == "a" and match[1] >= 0.8
    assert index.match(signature(text(2))) is None


def test_signatures_are_stable_and_fold_case_and_accents():
    assert (signature("Información pública del Año") == signature("informacion PUBLICA del ano")).all()
    assert similarity(signature(text(3)), signature(text(3))) == 1.0


def test_short_texts_have_signatures():
    assert len(signature("hola")) == len(signature("")) == 128
