"""Information density: uncertainty weighted by how typical a text is of where the model is used.

Settles & Craven (2008), "An analysis of active learning strategies for sequence labeling
tasks": margin alone favours outliers (a text unlike any other is uncertain, and labelling it
teaches little). Each candidate's uncertainty (1 − margin) is multiplied by its typicality, the
mean similarity to its nearest texts in the champion's space.

Typical *of what* decides what the labels teach. Settles & Craven measure it among the
candidates, which is right when the texts the model will be judged on look like the pool. When
they do not (newer news than the pool, a source the pool lacks), picks typical of the pool teach
a model about a distribution it will not meet, and on such drift density-margin fell below random
sampling. So where the loop knows where the model is judged (``Candidates.target``: the frozen
test set's texts, never their labels), typicality is measured among those: a candidate counts as
typical when it resembles the texts the model must get right. Where the test set is a random
carve of the same data, the two measure the same thing. Kirsch, Rainforth & Gal (2021), "Test
distribution-aware active learning", make the same move for Bayesian acquisition.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy, top
from bucle.loop.strategies.uncertainty import margin_scores

NEIGHBOURS = 10
CHUNK = 2048  # rows of the similarity matrix at a time: a 4096-text window in 32 MB


def density(vectors: np.ndarray, neighbours: int = NEIGHBOURS, among: np.ndarray | None = None) -> np.ndarray:
    """Mean cosine similarity (clipped at 0) of each unit vector to its ``neighbours`` nearest
    others: among ``vectors`` themselves, or among ``among`` (other texts: none is itself)."""
    reference = vectors if among is None else among
    k = min(neighbours, len(reference) - (among is None))
    if k < 1:
        return np.ones(len(vectors))
    result = np.empty(len(vectors))
    for start in range(0, len(vectors), CHUNK):
        similarity = vectors[start : start + CHUNK] @ reference.T
        if among is None:
            similarity[np.arange(len(similarity)), np.arange(start, start + len(similarity))] = -np.inf
        result[start : start + CHUNK] = np.partition(similarity, -k, axis=1)[:, -k:].mean(axis=1)
    return np.clip(result, 0.0, None)


def density_margin_scores(candidates: Candidates) -> np.ndarray:
    """Each candidate's uncertainty (1 − margin, in [0, 1]) times its typicality (of the target's
    texts where there is one): higher is more worth a label."""
    return (1.0 + margin_scores(candidates.probs)) * density(candidates.embeddings, among=candidates.target)


class DensityMargin(QueryStrategy):
    name = "density-margin"
    paper = "Settles & Craven (2008), information density"
    needs_embeddings = True
    weighs_typicality = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return top(density_margin_scores(candidates), batch_size)
