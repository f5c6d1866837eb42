"""Cold start, zero-shot: before any model, the label descriptions choose the first query.

Dataless classification (Chang, Ratinov, Roth & Srikumar (2008), "Importance of semantic
representation: dataless classification"; with sentence embeddings, Reimers & Gurevych (2019)):
a text's similarity to each label's description in ``bucle.yaml`` stands in for a model's
probabilities (a softmax over cosine similarities). The first batch takes, label by label in
turn, the text that fits each description best, so every label, rare ones included, is asked
about from the start. The rounds pass these probabilities as ``Candidates.probs`` and show the
zero-shot label as the record's prediction, never pre-filled: they are not calibrated.

Measured (``bench/cold_start.py``, fakenews-es, 5 seeds, TF-IDF on the picks): at 32 labels
macro-F1 0.568 on the two-class task and 0.226 with all 9 topics covered, against random's 0.539
and 0.104 (7.2 topics) and LSA representatives' 0.474 and 0.189, even with the English body.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates, QueryStrategy

TEMPERATURE = 0.05  # cosine similarities of one text to short descriptions differ by a few hundredths


def zero_shot_probs(texts: np.ndarray, descriptions: np.ndarray, temperature: float = TEMPERATURE) -> np.ndarray:
    """Rows of class probabilities from unit vectors of texts (n, d) and descriptions (classes, d)."""
    logits = texts @ descriptions.T / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


class ColdStart(QueryStrategy):
    name = "cold-start"
    paper = "Chang et al. (2008), dataless classification"
    zero_shot = True

    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        probs = candidates.probs
        counts = candidates.labelled_counts or {}
        order = sorted(range(probs.shape[1]), key=lambda c: (counts.get(c, 0), c))  # the least covered label first
        ranked = [np.argsort(-probs[:, c], kind="stable") for c in order]
        chosen: list[int] = []
        taken = np.zeros(len(probs), dtype=bool)
        cursors = [0] * len(order)
        while len(chosen) < batch_size:
            for k, ranking in enumerate(ranked):
                while cursors[k] < len(ranking) and taken[ranking[cursors[k]]]:
                    cursors[k] += 1
                if cursors[k] < len(ranking) and len(chosen) < batch_size:
                    chosen.append(int(ranking[cursors[k]]))
                    taken[ranking[cursors[k]]] = True
        return np.array(chosen)
