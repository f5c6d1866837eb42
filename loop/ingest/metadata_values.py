"""One spelling per metadata value: "EL UNIVERSAL", "El Universal" and "El UNIVERSAL" are one
source for the filters annotators use in Argilla and for the bias slices of the model card.

Values that differ only in case, accents, spaces or punctuation share a key; the pool shows the
spelling most of them use (ties: one with accents, then one not in capitals) and keeps every
record's original spelling beside it (``Pool.metadata_originals``). Run after every ingest over
the whole pool, so that a later file cannot split a value again; it is idempotent.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field


def key(value: str) -> str:
    """What spellings of one value share: letters and digits, without case or accents."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if c.isalnum()) or value


def _preference(spelling: str, count: int) -> tuple:
    accented = any(unicodedata.decomposition(c) for c in spelling)
    return (-count, not accented, spelling.isupper(), spelling.islower(), spelling)


def canonical(spellings: Counter) -> str:
    """The spelling shown for every one of ``spellings`` (spelling -> records)."""
    return min(spellings, key=lambda s: _preference(s, spellings[s]))


@dataclass
class Folded:
    """What one normalisation changed, for the ingest report."""

    changed: dict[str, int] = field(default_factory=dict)  # column -> records whose value now reads differently
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # column -> (original, shown)


def fold(originals: dict[str, dict[str, str]]) -> tuple[dict[str, dict[str, str]], Folded]:
    """``originals``: column -> record id -> original text value. Returns column -> record id
    -> the value to show, and what changed."""
    shown: dict[str, dict[str, str]] = {}
    folded = Folded()
    for column, values in originals.items():
        groups: dict[str, Counter] = defaultdict(Counter)
        for value in values.values():
            groups[key(value)][value] += 1
        chosen = {k: canonical(spellings) for k, spellings in groups.items()}
        shown[column] = {record: chosen[key(value)] for record, value in values.items()}
        changes = sorted({(v, shown[column][r]) for r, v in values.items() if v != shown[column][r]})
        if changes:
            folded.changed[column] = sum(v != shown[column][r] for r, v in values.items())
            folded.examples[column] = changes[:3]
    return shown, folded
