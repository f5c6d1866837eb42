"""Information density: uncertainty weighted by how typical a text is of the pool.

Settles & Craven (2008), "An analysis of active learning strategies for sequence labeling
tasks": margin alone favours outliers (a text unlike any other is uncertain, and labelling it
teaches little). Each candidate's uncertainty (1 − margin) is multiplied by its typicality, the
mean similarity to its nearest candidates in the champion's space.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy, top
from bucle.loop.strategies.uncertainty import margin_scores

NEIGHBOURS = 10
CHUNK = 2048  # rows of the similarity matrix at a time: a 4096-text window in 32 MB


def density(vectors: np.ndarray, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """Mean cosine similarity (clipped at 0) of each unit vector to its ``neighbours`` nearest others."""
    k = min(neighbours, len(vectors) - 1)
    if k < 1:
        return np.ones(len(vectors))
    result = np.empty(len(vectors))
    for start in range(0, len(vectors), CHUNK):
        similarity = vectors[start : start + CHUNK] @ vectors.T
        similarity[np.arange(len(similarity)), np.arange(start, start + len(similarity))] = -np.inf
        result[start : start + CHUNK] = np.partition(similarity, -k, axis=1)[:, -k:].mean(axis=1)
    return np.clip(result, 0.0, None)


def density_margin_scores(candidates: Candidates) -> np.ndarray:
    """Each candidate's uncertainty (1 − margin, in [0, 1]) times its typicality: higher is more worth a label."""
    return (1.0 + margin_scores(candidates.probs)) * density(candidates.embeddings)


class DensityMargin(QueryStrategy):
    name = "density-margin"
    paper = "Settles & Craven (2008), information density"
    needs_embeddings = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return top(density_margin_scores(candidates), batch_size)
