"""Cluster-margin: the most uncertain candidates, one per cluster among them.

Citovsky et al. (2021), "Batch active learning at scale": a pure margin batch is full of near
copies of one confusing text. The ``prefilter`` × batch candidates with the smallest margin are
clustered into ``batch`` groups (k-means in the champion's space) and each group gives its most
uncertain member, so a batch asks about as many different confusions as it has records.
``density-cluster-margin`` shortlists by information density instead (``density_margin.py``):
uncertain *and* typical texts, then one per cluster.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy, top
from bucle.loop.strategies.density_margin import density_margin_scores
from bucle.loop.strategies.representative import clusters
from bucle.loop.strategies.uncertainty import margin_scores


class ClusterMargin(QueryStrategy):
    name = "cluster-margin"
    paper = "Citovsky et al. (2021)"
    needs_embeddings = True
    prefilter = 4

    def scores(self, candidates: Candidates) -> np.ndarray:
        """Higher is more worth a label."""
        return margin_scores(candidates.probs)

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        worth = self.scores(candidates)
        shortlist = top(worth, min(len(candidates), self.prefilter * batch_size))
        groups = clusters(candidates.embeddings[shortlist], batch_size, rng)
        chosen = np.array([shortlist[groups == g][0] for g in np.unique(groups)])  # shortlist is best first
        rest = np.setdiff1d(shortlist, chosen)  # fewer groups than asked (identical texts): fill by worth
        chosen = np.concatenate([chosen, rest[top(worth[rest], batch_size - len(chosen))]]).astype(int)
        return chosen[np.argsort(-worth[chosen], kind="stable")]


class DensityClusterMargin(ClusterMargin):
    name = "density-cluster-margin"
    paper = "Settles & Craven (2008); Citovsky et al. (2021)"
    weighs_typicality = True

    def scores(self, candidates: Candidates) -> np.ndarray:
        return density_margin_scores(candidates)
