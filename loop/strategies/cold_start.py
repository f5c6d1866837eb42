"""Cold start: with no model yet, label the texts that represent the pool's clusters.

k-means over the cached embeddings (k = batch size) and, per cluster, the text nearest its
centre (Zhu et al. (2008), "Active learning with sampling by uncertainty and density"; Yuan et
al. (2020), "Cold-start active learning through self-supervised language modeling").
"""

from __future__ import annotations

import numpy as np

from loop.strategies.base import Candidates, QueryStrategy


class ColdStart(QueryStrategy):
    name = "cold-start"
    paper = "Zhu et al. (2008); Yuan et al. (2020)"
    needs_model = False
    needs_embeddings = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        from sklearn.cluster import KMeans

        embeddings = candidates.embeddings
        kmeans = KMeans(n_clusters=batch_size, n_init=3, random_state=int(rng.integers(1 << 31))).fit(embeddings)
        chosen = []
        for cluster in np.argsort(-np.bincount(kmeans.labels_, minlength=batch_size), kind="stable"):
            members = np.flatnonzero(kmeans.labels_ == cluster)
            if len(members):
                distance = np.linalg.norm(embeddings[members] - kmeans.cluster_centers_[cluster], axis=1)
                chosen.append(int(members[np.argmin(distance)]))
        return np.array(chosen[:batch_size])
