"""Labels that are probably wrong, found by confident learning, for a second look by a person.

Northcutt, Jiang & Chuang (2021), "Confident learning: estimating uncertainty in dataset labels"
(the ``cleanlab`` package): every labelled text gets the probabilities of a model that did not see
it (out-of-fold TF-IDF, the family that needs no body and reads Spanish as it is), per-class
thresholds estimate the joint distribution of given and true labels, and the texts the noise
estimate points at are ranked by how little probability the model gives their label. Nothing is
changed here: the round's review step (``loop.label_review``) sends the ranked records back to
annotators, who decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class LabelIssue:
    id: str
    given: str
    predicted: str  # what the out-of-fold model says instead
    probability: float  # its probability for ``predicted``
    quality: float  # its probability for the given label (self-confidence): lower is more suspect


def label_issues(ids: Sequence[str], texts: Sequence[str], labels: Sequence[str], seed: int = 0) -> list[LabelIssue]:
    """The labelled records confident learning flags, most suspect first; empty when a label has
    fewer than two examples (no out-of-fold model can be trained for it)."""
    from cleanlab.filter import find_label_issues

    from bucle.training.models.tfidf import out_of_fold_texts  # the model code, only when a review runs

    classes = sorted(set(labels))
    if len(classes) < 2:
        return []
    targets = np.array([classes.index(label) for label in labels])
    probs = out_of_fold_texts(texts, targets, len(classes), seed)
    if probs is None:
        return []
    flagged = find_label_issues(targets, probs, return_indices_ranked_by="self_confidence")
    return [
        LabelIssue(
            ids[i], labels[i], classes[int(np.argmax(probs[i]))], float(np.max(probs[i])), float(probs[i, targets[i]])
        )
        for i in flagged
    ]
