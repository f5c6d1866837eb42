"""Information density with a redundancy penalty: typical, uncertain and unlike each other.

Density-margin (``density_margin.py``) ranks each candidate on its own, so a young model's batch
can be many near copies of one typical, uncertain text. Here the batch is built greedily, as in
maximal marginal relevance (Carbonell & Goldstein 1998) and ranked batch-mode active learning
(Cardoso et al. 2017): each next pick maximises its density-margin score minus ``PENALTY`` times
its highest similarity to the texts already in the batch.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy
from bucle.loop.strategies.density_margin import density_margin_scores

PENALTY = 0.5  # in units of the score, which lies in [0, 1]; cosine similarity is too


class DiverseDensityMargin(QueryStrategy):
    name = "diverse-density-margin"
    paper = "Settles & Craven (2008); Cardoso et al. (2017), ranked batch-mode"
    needs_embeddings = True
    weighs_typicality = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        vectors = candidates.embeddings
        worth = density_margin_scores(candidates)
        closest = np.zeros(len(worth))  # each candidate's highest similarity to the batch so far
        chosen: list[int] = []
        for _ in range(batch_size):
            score = worth - PENALTY * closest
            score[chosen] = -np.inf
            pick = int(np.argmax(score))
            chosen.append(pick)
            closest = np.maximum(closest, vectors @ vectors[pick])
        return np.array(chosen, dtype=int)
