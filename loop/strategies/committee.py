"""Query by committee: the records the model families disagree on.

Seung, Opper & Sompolinsky (1992), "Query by committee"; vote entropy as in Dagan & Engelson
(1995), "Committee-based sampling for training probabilistic classifiers". The committee is one
version per family (the champion and the latest of each other family: the TF-IDF baseline,
SetFit, the LoRA LLM), which see text in different ways: where a word-n-gram model and an LLM
vote differently, a label teaches both something. With two or three members vote entropy takes few
values, so ties are broken by the entropy of the members' mean probabilities (consensus entropy).
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy
from bucle.loop.strategies.uncertainty import entropy_scores


def vote_entropy(committee: tuple[np.ndarray, ...]) -> np.ndarray:
    """Entropy of the members' votes per candidate (0: unanimous)."""
    classes = committee[0].shape[1]
    votes = np.stack([probs.argmax(axis=1) for probs in committee])  # (members, candidates)
    shares = np.stack([(votes == c).mean(axis=0) for c in range(classes)], axis=1)
    return np.round(entropy_scores(shares), 9)  # equal vote splits compare equal


class Committee(QueryStrategy):
    name = "committee"
    paper = "Seung et al. (1992); vote entropy: Dagan & Engelson (1995)"
    needs_committee = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        committee = candidates.committee
        consensus = entropy_scores(np.mean(np.stack(committee), axis=0))
        return np.lexsort((-consensus, -vote_entropy(committee)))[:batch_size]  # last key first
