"""A share of each batch made of confident predictions, for annotators to confirm quickly.

They are drawn at random among the candidates the model predicts with at least
``min_probability``, taking the predicted classes in turn: the share of them annotators confirm
is then an unbiased estimate of the precision of the model's pre-filled suggestions (the top of
the confidence ranking would flatter it), and it covers every class the model predicts.
"""

from __future__ import annotations

import numpy as np


def confident_picks(
    probs: np.ndarray, k: int, min_probability: float, exclude: set[int], rng: np.random.Generator
) -> list[int]:
    """Up to ``k`` positions predicted with at least ``min_probability``, not in ``exclude``."""
    confident = [i for i in np.flatnonzero(probs.max(axis=1) >= min_probability) if int(i) not in exclude]
    by_class: dict[int, list[int]] = {}
    for i in rng.permutation(confident):
        by_class.setdefault(int(np.argmax(probs[i])), []).append(int(i))
    picks: list[int] = []
    queues = [by_class[c] for c in sorted(by_class)]
    while len(picks) < k and any(queues):
        for queue in queues:
            if queue and len(picks) < k:
                picks.append(queue.pop(0))
    return picks


def mix(
    chosen: list[int], probs: np.ndarray | None, share: float, min_probability: float, seed: int
) -> tuple[list[int], list[int]]:
    """The batch: the strategy's ``chosen`` (best first) with its last ``share`` replaced by
    confident predictions, where there are enough; returns (batch, the confident positions)."""
    k = int(round(len(chosen) * share)) if probs is not None else 0
    if k == 0:
        return chosen, []
    kept = chosen[: len(chosen) - k]
    confident = confident_picks(probs, k, min_probability, set(kept), np.random.default_rng(seed))
    rest = [i for i in chosen[len(kept) :] if i not in confident][: k - len(confident)]
    return kept + rest + confident, confident
