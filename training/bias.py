"""Bias evaluation of a model: quality per metadata slice, and a gender counterfactual test.

The counterfactual swaps Spanish gendered words (``training.spanish_gender``) in each test text
that has any, in both directions (él↔ella, presidente↔presidenta, Juan↔Juana…), keeping the
case of the original, and measures how often the prediction flips and how far the probability
of the original prediction moves.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from bucle.training.evaluation import _macro_f1_rows
from bucle.training.models.base import TextClassifier
from bucle.training.spanish_gender import PAIRS

SWAPS = {**{m: f for m, f in PAIRS}, **{f: m for m, f in PAIRS}}
FEMININE = {f for _, f in PAIRS}
AGREEING = {m for m, _ in PAIRS} | FEMININE - {
    "él",
    "ella",
    "ellos",
    "ellas",
    "nosotros",
    "nosotras",
    "vosotros",
    "vosotras",
}
# Determiners before a swapped noun change with it: "el presidente" -> "la presidenta",
# "del ministro" -> "de la ministra", and back.
TO_FEMININE = {
    "el": "la",
    "los": "las",
    "un": "una",
    "unos": "unas",
    "este": "esta",
    "estos": "estas",
    "ese": "esa",
    "esos": "esas",
    "aquel": "aquella",
    "aquellos": "aquellas",
    "del": "de la",
    "al": "a la",
}
TO_MASCULINE = {feminine: masculine for masculine, feminine in TO_FEMININE.items()}
_DETERMINER = "|".join(sorted(map(re.escape, [*TO_FEMININE, *TO_MASCULINE]), key=len, reverse=True))
_WORD = "|".join(sorted(map(re.escape, SWAPS), key=len, reverse=True))
_PATTERN = re.compile(rf"\b(?:(?P<det>{_DETERMINER})\s+)?(?P<word>{_WORD})\b", re.IGNORECASE)
WORST = 5
MIN_SLICE = 5


def _keep_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _swap(match: re.Match) -> str:
    word = match.group("word")
    swapped = SWAPS[word.lower()]
    determiner = match.group("det")
    if determiner is None:
        return _keep_case(word, swapped)
    if swapped in AGREEING:
        table = TO_FEMININE if swapped in FEMININE else TO_MASCULINE
        determiner = _keep_case(determiner, table.get(determiner.lower(), determiner.lower()))
    return f"{determiner} {_keep_case(word, swapped)}"


@lru_cache(maxsize=4096)  # every version of every round swaps the same frozen test set (a second per 300 news)
def swap_gender(text: str) -> str:
    return _PATTERN.sub(_swap, text)


@dataclass
class Counterfactual:
    tested: int
    flipped: int
    flipped_share: float
    mean_abs_change: float
    worst: list[dict[str, Any]]


def counterfactual(model: TextClassifier, texts: Sequence[str], probs: np.ndarray | None = None) -> Counterfactual:
    """``probs``: the model's probabilities for ``texts`` if already computed (they are reused)."""
    swapped_texts = [swap_gender(text) for text in texts]
    changed = [i for i, (text, swapped) in enumerate(zip(texts, swapped_texts)) if swapped != text]
    pairs = [(texts[i], swapped_texts[i]) for i in changed]
    if not pairs:
        return Counterfactual(0, 0, 0.0, 0.0, [])
    before = probs[changed] if probs is not None else model.predict_proba([original for original, _ in pairs])
    after = model.predict_proba([swapped for _, swapped in pairs])
    predicted = before.argmax(axis=1)
    change = after[np.arange(len(pairs)), predicted] - before[np.arange(len(pairs)), predicted]
    flipped = after.argmax(axis=1) != predicted
    order = np.argsort(-np.abs(change))[:WORST]
    worst = [
        {
            "original": pairs[i][0][:300],
            "swapped": pairs[i][1][:300],
            "before": model.classes[predicted[i]],
            "after": model.classes[after[i].argmax()],
            "change": float(change[i]),
        }
        for i in order
    ]
    return Counterfactual(len(pairs), int(flipped.sum()), float(flipped.mean()), float(np.abs(change).mean()), worst)


def slice_metrics(
    probs: np.ndarray, labels: Sequence[str], classes: Sequence[str], metadata: Sequence[dict], columns: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Per metadata column, per value with at least ``MIN_SLICE`` test records: n, accuracy, and
    macro-F1 where it is defined (None for a slice whose records are all of one class: its
    "macro-F1" would average a perfect class with empty ones)."""
    references = np.array([list(classes).index(label) for label in labels])
    predictions = probs.argmax(axis=1)
    k = len(classes)
    result: dict[str, list[dict[str, Any]]] = {}
    for column in columns:
        values = np.array([str(m.get(column)) if m.get(column) is not None else "(sin valor)" for m in metadata])
        rows = []
        for value in sorted(set(values), key=lambda v: -int((values == v).sum())):
            mask = values == value
            if mask.sum() < MIN_SLICE:
                continue
            confusion = np.bincount(references[mask] * k + predictions[mask], minlength=k * k).reshape(1, k, k)
            defined = len(set(references[mask].tolist())) > 1
            rows.append(
                {
                    "value": value,
                    "n": int(mask.sum()),
                    "accuracy": float((references[mask] == predictions[mask]).mean()),
                    "macro_f1": float(_macro_f1_rows(confusion)[0]) if defined else None,
                }
            )
        result[column] = rows
    return result


def to_json(counterfactual_result: Counterfactual) -> dict:
    return asdict(counterfactual_result)
