"""Margin with a random share (ε-greedy): most of a batch by margin, ``share`` of it at random.

Uncertainty sampling trusts the model's own view of what it does not know; early on that view is
wrong, and margin keeps asking about one region. A random share keeps the labelled set an
unbiased sample of the pool too (Bouneffouf et al. (2014); Osugi, Kim & Scott (2005)).
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy, top
from bucle.loop.strategies.uncertainty import margin_scores


class EpsilonMargin(QueryStrategy):
    name = "epsilon-margin"
    paper = "Bouneffouf et al. (2014); Osugi et al. (2005)"
    share = 0.25

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        uncertain = top(margin_scores(candidates.probs), batch_size - int(round(self.share * batch_size)))
        rest = np.setdiff1d(np.arange(len(candidates)), uncertain)
        explore = rng.choice(rest, size=min(len(rest), batch_size - len(uncertain)), replace=False)
        return np.concatenate([uncertain, explore]).astype(int)
