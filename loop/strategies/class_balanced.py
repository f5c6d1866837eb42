"""Class-balanced selection: give rare labels their share of each batch.

Each class gets batch slots in inverse proportion to how many labels it already has; the slots
are filled with the most uncertain candidates the model predicts as that class (after Aggarwal
et al. (2020), "Active learning for imbalanced datasets", and Ertekin et al. (2007)).
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy, top
from bucle.loop.strategies.uncertainty import margin_scores


class ClassBalanced(QueryStrategy):
    name = "class-balanced"
    paper = "Aggarwal et al. (2020); Ertekin et al. (2007)"

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        probs = candidates.probs
        classes = probs.shape[1]
        counts = np.array([(candidates.labelled_counts or {}).get(c, 0) for c in range(classes)], dtype=float)
        weights = 1.0 / (counts + 1.0)
        slots = np.floor(batch_size * weights / weights.sum()).astype(int)
        for c in np.argsort(-weights, kind="stable")[: batch_size - slots.sum()]:
            slots[c] += 1
        predicted = probs.argmax(axis=1)
        uncertainty = margin_scores(probs)
        chosen: list[int] = []
        for c in range(classes):
            members = np.flatnonzero(predicted == c)
            chosen += members[top(uncertainty[members], slots[c])].tolist()
        if len(chosen) < batch_size:  # a class with too few predicted members: fill by uncertainty
            rest = np.setdiff1d(np.arange(len(probs)), chosen)
            chosen += rest[top(uncertainty[rest], batch_size - len(chosen))].tolist()
        chosen_array = np.array(chosen)
        return chosen_array[np.argsort(-uncertainty[chosen_array], kind="stable")]
