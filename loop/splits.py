"""Stratified sampling, for the frozen test set and the labelled seed.

Each label gets its share of ``size`` in proportion to its frequency (largest remainders),
at least one where it has records, drawn with a seeded generator so the same data always
gives the same split.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Hashable


def stratified_sample(labels: dict[str, Hashable], size: int, seed: int) -> list[str]:
    """``size`` ids from ``labels`` (id -> label), stratified by label."""
    by_label: dict[Hashable, list[str]] = defaultdict(list)
    for record_id, label in sorted(labels.items()):
        by_label[label].append(record_id)
    total = len(labels)
    size = min(size, total)
    if size == 0:
        return []
    exact = {label: size * len(ids) / total for label, ids in by_label.items()}
    shares = {label: max(1, int(share)) for label, share in exact.items()}
    leftover = size - sum(shares.values())
    for label in sorted(exact, key=lambda lbl: exact[lbl] - int(exact[lbl]), reverse=True):
        if leftover <= 0:
            break
        shares[label] += 1
        leftover -= 1
    while sum(shares.values()) > size:  # more labels than places: drop from the largest shares
        largest = max(shares, key=lambda lbl: shares[lbl])
        shares[largest] -= 1
    rng = random.Random(seed)
    chosen: list[str] = []
    for label in sorted(by_label, key=str):
        chosen += rng.sample(by_label[label], min(shares[label], len(by_label[label])))
    return sorted(chosen)


def split_size(total: int, size: float) -> int:
    """A fraction (< 1) of ``total``, or an absolute count."""
    return round(total * size) if size < 1 else min(int(size), total)
