"""Diversity: a batch that covers the embedding space (greedy k-centre core-set).

Sener & Savarese (2018), "Active learning for convolutional neural networks: a core-set
approach": repeatedly take the candidate farthest from everything chosen or already labelled.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy


def core_set(
    embeddings: np.ndarray,
    k: int,
    covered: np.ndarray | None,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy k-centre over unit vectors (cosine distance). With ``weights``, each candidate's
    distance is scaled by its weight (an uncertainty), and the first pick is the heaviest."""
    weights = np.ones(len(embeddings)) if weights is None else weights
    if covered is not None and len(covered):
        distance = 1.0 - (embeddings @ covered.T).max(axis=1)
        chosen: list[int] = []
    else:
        first = int(np.argmax(weights)) if np.ptp(weights) > 0 else int(rng.integers(len(embeddings)))
        chosen = [first]
        distance = 1.0 - embeddings @ embeddings[first]
    while len(chosen) < k:
        distance[chosen] = -np.inf
        pick = int(np.argmax(distance * weights))
        chosen.append(pick)
        distance = np.minimum(distance, 1.0 - embeddings @ embeddings[pick])
    return np.array(chosen[:k])


class Diversity(QueryStrategy):
    name = "diversity"
    paper = "Sener & Savarese (2018), core-set"
    needs_model = False
    needs_embeddings = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return core_set(candidates.embeddings, batch_size, candidates.labelled_embeddings, rng)
