"""Spanish gendered words, maintained in one place: counted in the dataset card's bias section
and swapped in the model's counterfactual bias test.

Each pair is (masculine, feminine). Only words whose gender is unambiguous out of context are
listed (no articles, no "lo"/"la"); names are common given names of both forms.
"""

from __future__ import annotations

import re

PAIRS: tuple[tuple[str, str], ...] = (
    ("él", "ella"),
    ("ellos", "ellas"),
    ("nosotros", "nosotras"),
    ("vosotros", "vosotras"),
    ("hombre", "mujer"),
    ("hombres", "mujeres"),
    ("señor", "señora"),
    ("señores", "señoras"),
    ("padre", "madre"),
    ("padres", "madres"),
    ("hijo", "hija"),
    ("hijos", "hijas"),
    ("niño", "niña"),
    ("niños", "niñas"),
    ("chico", "chica"),
    ("chicos", "chicas"),
    ("hermano", "hermana"),
    ("hermanos", "hermanas"),
    ("abuelo", "abuela"),
    ("abuelos", "abuelas"),
    ("esposo", "esposa"),
    ("novio", "novia"),
    ("tío", "tía"),
    ("rey", "reina"),
    ("príncipe", "princesa"),
    ("presidente", "presidenta"),
    ("ministro", "ministra"),
    ("ministros", "ministras"),
    ("diputado", "diputada"),
    ("diputados", "diputadas"),
    ("senador", "senadora"),
    ("alcalde", "alcaldesa"),
    ("gobernador", "gobernadora"),
    ("director", "directora"),
    ("doctor", "doctora"),
    ("médico", "médica"),
    ("profesor", "profesora"),
    ("maestro", "maestra"),
    ("trabajador", "trabajadora"),
    ("trabajadores", "trabajadoras"),
    ("ciudadano", "ciudadana"),
    ("ciudadanos", "ciudadanas"),
    ("candidato", "candidata"),
    ("secretario", "secretaria"),
    ("actor", "actriz"),
    ("compañero", "compañera"),
    ("amigo", "amiga"),
    ("vecino", "vecina"),
    ("jefe", "jefa"),
    ("juan", "juana"),
    ("josé", "josefina"),
    ("carlos", "carla"),
    ("luis", "luisa"),
    ("antonio", "antonia"),
    ("francisco", "francisca"),
    ("manuel", "manuela"),
    ("pablo", "paula"),
    ("daniel", "daniela"),
    ("alejandro", "alejandra"),
    ("fernando", "fernanda"),
    ("gabriel", "gabriela"),
    ("mario", "maría"),
)

MASCULINE = frozenset(m for m, _ in PAIRS)
FEMININE = frozenset(f for _, f in PAIRS)
WORD = re.compile(r"\w+", re.UNICODE)


def gendered_counts(text: str) -> tuple[int, int, int]:
    """(masculine words, feminine words, all words) in ``text``."""
    words = WORD.findall(text.lower())
    return sum(w in MASCULINE for w in words), sum(w in FEMININE for w in words), len(words)
