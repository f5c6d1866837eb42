"""Uncertainty sampling: least confidence, margin (breaking ties) and entropy.

- Least confidence: Lewis & Gale (1994), "A sequential algorithm for training text classifiers".
- Margin / breaking ties: Scheffer, Decomain & Wrobel (2001), "Active hidden Markov models for
  information extraction"; Luo et al. (2005), "Active learning to recognize multiple types of
  plankton".
- Entropy: Settles (2009), "Active learning literature survey", §3.1.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy, top


def least_confidence_scores(probs: np.ndarray) -> np.ndarray:
    return 1.0 - probs.max(axis=1)


def margin_scores(probs: np.ndarray) -> np.ndarray:
    """Higher for a smaller gap between the two most probable classes."""
    ordered = np.sort(probs, axis=1)
    return -(ordered[:, -1] - ordered[:, -2])


def entropy_scores(probs: np.ndarray) -> np.ndarray:
    clipped = np.clip(probs, 1e-12, 1.0)
    return -(clipped * np.log(clipped)).sum(axis=1)


class LeastConfidence(QueryStrategy):
    name = "least-confidence"
    paper = "Lewis & Gale (1994)"

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return top(least_confidence_scores(candidates.probs), batch_size)


class Margin(QueryStrategy):
    name = "margin"
    paper = "Scheffer et al. (2001); Luo et al. (2005), breaking ties"

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return top(margin_scores(candidates.probs), batch_size)


class Entropy(QueryStrategy):
    name = "entropy"
    paper = "Settles (2009), §3.1"

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return top(entropy_scores(candidates.probs), batch_size)
