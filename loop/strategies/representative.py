"""Representatives: the most typical text of each of the largest clusters no label covers yet.

TypiClust (Hacohen, Dekel & Weinshall (2022), "Active learning on a budget: opposite strategies
suit high and low budgets"): with few labels, a model learns most from typical examples of the
regions it has not seen, while uncertain ones are mostly outliers. The candidates and the
labelled texts are clustered together (k-means, k = labels + batch); each pick is the most typical
candidate (highest mean similarity to its nearest neighbours) of the largest cluster holding no
label nor earlier pick. Needs no model, so it is also the cold start.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy

MAX_CLUSTERS = 512  # k-means cost grows with k; beyond a few hundred labels uncertainty leads anyway
NEIGHBOURS = 20


def clusters(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means cluster of each row (mini-batch k-means on large inputs)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    seed = int(rng.integers(1 << 31))
    k = max(1, min(k, len(vectors)))
    if len(vectors) > 5000:
        return MiniBatchKMeans(n_clusters=k, n_init=3, random_state=seed, batch_size=2048).fit_predict(vectors)
    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(vectors)


def typicality(vectors: np.ndarray) -> np.ndarray:
    """Mean cosine similarity of each unit vector to its nearest neighbours among ``vectors``."""
    if len(vectors) == 1:
        return np.ones(1)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    k = min(NEIGHBOURS, len(vectors) - 1)
    return np.sort(similarity, axis=1)[:, -k:].mean(axis=1)


def representatives(vectors: np.ndarray, labelled: np.ndarray | None, k: int, rng: np.random.Generator) -> np.ndarray:
    """Positions (rows of ``vectors``) of ``k`` typical candidates of uncovered clusters, largest first."""
    covered = labelled if labelled is not None else np.zeros((0, vectors.shape[1]), dtype=vectors.dtype)
    assignment = clusters(np.vstack([vectors, covered]), min(len(covered) + k, MAX_CLUSTERS), rng)
    own, theirs = assignment[: len(vectors)], assignment[len(vectors) :]
    sizes = np.bincount(assignment)
    seen = np.zeros(len(sizes), dtype=bool)
    seen[theirs] = True
    chosen: list[int] = []
    taken = np.zeros(len(vectors), dtype=bool)
    while len(chosen) < k:
        open_clusters = [c for c in np.unique(own[~taken]) if not seen[c]]
        if not open_clusters:  # every cluster has a label or a pick: a second round over them, largest first
            seen[:] = False
            continue
        cluster = max(open_clusters, key=lambda c: (sizes[c], -c))
        members = np.flatnonzero((own == cluster) & ~taken)
        pick = int(members[np.argmax(typicality(vectors[members]))])
        chosen.append(pick)
        taken[pick], seen[cluster] = True, True
    return np.array(chosen)


class Representative(QueryStrategy):
    name = "representative"
    paper = "Hacohen et al. (2022), TypiClust"
    needs_model = False
    needs_embeddings = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return representatives(candidates.embeddings, candidates.labelled_embeddings, batch_size, rng)
