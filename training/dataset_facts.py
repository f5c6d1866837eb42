"""What a dataset card says about the data, computed from plain rows.

``training`` knows nothing of the pool or of Argilla: the loop hands over labelled rows and
the counts it kept, and this module derives the distributions and the bias evaluation (labels
per metadata slice, gendered words per label, markers of Spanish varieties, known gaps).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bucle.training.spanish_gender import WORD, gendered_counts

# Words typical of one variety of Spanish: a rough, documented indicator, not a classifier.
VARIETY_MARKERS: dict[str, frozenset[str]] = {
    "España": frozenset({"vosotros", "vosotras", "ordenador", "ordenadores", "zumo", "móvil", "coche", "coches"}),
    "México y Centroamérica": frozenset(
        {"celular", "celulares", "computadora", "computadoras", "carro", "chamba", "güey", "alberca"}
    ),
    "Río de la Plata": frozenset({"pibe", "pibes", "laburo", "celu", "remera", "colectivos"}),
    "Andes y Caribe": frozenset({"chévere", "guagua", "parcero", "bacán"}),
}
SMALL_SHARE = 0.05
SHORTCUT_SHARE = 0.95  # a slice this pure in one label is a shortcut a model can learn
SHORTCUT_MIN_RECORDS = 10
TOP_SLICES = 10


@dataclass(frozen=True)
class LabelledRow:
    id: str
    text: str
    label: Any  # a string, or a list of strings for multi-label tasks
    metadata: dict[str, Any] = field(default_factory=dict)


def label_counts(rows: list[LabelledRow]) -> Counter:
    counts: Counter = Counter()
    for row in rows:
        counts.update(row.label if isinstance(row.label, list) else [row.label])
    return counts


def slice_table(rows: list[LabelledRow], column: str, labels: list[str]) -> list[dict[str, Any]]:
    """Per value of ``column`` (the most frequent first, the tail as "(otros)"): records and
    the share of each label."""
    by_value: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        value = row.metadata.get(column)
        by_value["(sin valor)" if value in (None, "") else str(value)].update(
            row.label if isinstance(row.label, list) else [row.label]
        )
    ordered = sorted(by_value.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    if len(ordered) > TOP_SLICES:
        tail: Counter = Counter()
        for _value, counts in ordered[TOP_SLICES:]:
            tail.update(counts)
        ordered = ordered[:TOP_SLICES] + [("(otros)", tail)]
    table = []
    for value, counts in ordered:
        total = sum(counts.values())
        table.append({"value": value, "records": total, **{label: counts[label] / total for label in labels}})
    return table


def gender_table(rows: list[LabelledRow], labels: list[str]) -> list[dict[str, Any]]:
    """Per label: masculine and feminine words per 1,000 words, and the feminine share."""
    table = []
    for label in labels:
        masculine = feminine = words = 0
        for row in rows:
            if label == row.label or (isinstance(row.label, list) and label in row.label):
                m, f, n = gendered_counts(row.text)
                masculine, feminine, words = masculine + m, feminine + f, words + n
        table.append(
            {
                "label": label,
                "masculine_per_1000": 1000 * masculine / words if words else 0.0,
                "feminine_per_1000": 1000 * feminine / words if words else 0.0,
                "feminine_share": feminine / (masculine + feminine) if masculine + feminine else None,
            }
        )
    return table


def variety_table(rows: list[LabelledRow]) -> list[dict[str, Any]]:
    counts: Counter = Counter()
    words = 0
    for row in rows:
        tokens = WORD.findall(row.text.lower())
        words += len(tokens)
        for variety, markers in VARIETY_MARKERS.items():
            counts[variety] += sum(token in markers for token in tokens)
    return [
        {
            "variety": variety,
            "markers": counts[variety],
            "per_100k_words": 1e5 * counts[variety] / words if words else 0.0,
        }
        for variety in VARIETY_MARKERS
    ]


def known_gaps(rows: list[LabelledRow], labels: list[str], metadata: list[str]) -> list[str]:
    """Statements a reader should know, derived from the data (in Spanish)."""
    gaps = []
    counts = label_counts(rows)
    total = sum(counts.values())
    for label in labels:
        if total and counts[label] / total < 0.1:
            gaps.append(f"La etiqueta «{label}» tiene pocos ejemplos ({counts[label]} de {total}).")
    for column in metadata:
        table = [e for e in slice_table(rows, column, labels) if e["value"] not in {"(otros)", "(sin valor)"}]
        small = [e["value"] for e in table if e["records"] / max(len(rows), 1) < SMALL_SHARE]
        if small:
            gaps.append(
                f"«{column}»: {len(small)} valores con menos del {SMALL_SHARE:.0%} de los registros "
                f"({', '.join(small[:5])}{', …' if len(small) > 5 else ''}): sus métricas son poco fiables."
            )
        shortcuts = []
        for entry in table:
            share, label = max((entry[label], label) for label in labels)
            if entry["records"] >= SHORTCUT_MIN_RECORDS and share >= SHORTCUT_SHARE:
                shortcuts.append(f"{entry['value']}: {share:.0%} «{label}» de {entry['records']}")
        if shortcuts:
            gaps.append(
                f"«{column}» predice la etiqueta en {len(shortcuts)} valores ({'; '.join(shortcuts[:5])}"
                f"{'; …' if len(shortcuts) > 5 else ''}): un modelo puede aprender «{column}» en vez del contenido."
            )
    if len(rows) < 1000:
        gaps.append(
            f"El conjunto es pequeño ({len(rows)} registros etiquetados): los intervalos de confianza son amplios."
        )
    return gaps
