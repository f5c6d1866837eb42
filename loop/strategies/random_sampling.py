"""Random sampling: the baseline every strategy is measured against."""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy


class RandomSampling(QueryStrategy):
    name = "random"
    paper = "the passive-learning baseline (Settles 2009)"
    needs_model = False

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return rng.permutation(len(candidates))[:batch_size]
