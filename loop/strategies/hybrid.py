"""Hybrid: the most uncertain candidates, then a diverse batch among them.

Uncertainty alone sends near-identical texts in one batch; diversity alone wastes labels on
easy ones. The ``prefilter`` × batch most uncertain candidates (by margin) are shortlisted, and
a core-set is taken among them with each distance weighted by the candidate's uncertainty, after
Zhdanov (2019), "Diverse mini-batch active learning", and Ash et al. (2020), BADGE. Its
diversity is only as good as the body's embedding space; with the offline English body on
Spanish text it did worse than margin alone (``bench/active_learning.py``).
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy, top
from bucle.loop.strategies.diversity import core_set
from bucle.loop.strategies.uncertainty import margin_scores


class Hybrid(QueryStrategy):
    name = "hybrid"
    paper = "Zhdanov (2019); Ash et al. (2020)"
    needs_embeddings = True
    prefilter = 10

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        shortlist = top(margin_scores(candidates.probs), min(len(candidates), self.prefilter * batch_size))
        uncertainty = 1.0 + margin_scores(candidates.probs[shortlist])  # 1 - margin, in [0, 1]
        picked = core_set(
            candidates.embeddings[shortlist], batch_size, candidates.labelled_embeddings, rng, weights=uncertainty
        )
        chosen = shortlist[picked]
        order = np.argsort(-margin_scores(candidates.probs[chosen]), kind="stable")
        return chosen[order]
