"""Which suggestions are pre-filled: those of a probability at which the version's own held-out
predictions were right often enough.

A constant threshold means different things for different models (a calibrated 0.7 of a model
trained on 16 labels is a coin flip more often than it says). Each version records the
confidence of every out-of-fold prediction on its training labels and whether it was right
(``training.calibration.HeldOut``); the threshold is the lowest confidence at which the
predictions at or above it reach ``annotation.suggestions.min_precision`` (0.9), counted over at
least ``MIN_EVIDENCE`` of them and never below ``annotation.suggestions.min_probability``. Where
no such confidence exists, nothing is pre-filled: the record shows the prediction as metadata
and the annotator decides.
"""

from __future__ import annotations

import numpy as np

from bucle.training.registry import Registry

MIN_EVIDENCE = 10  # held-out predictions a threshold must rest on: fewer say nothing about precision


def threshold(evidence: dict | None, min_precision: float, floor: float) -> float | None:
    """The pre-fill threshold from a version's held-out evidence; None: never pre-fill."""
    if not evidence or not evidence["confidence"]:
        return None
    confidence, right = np.asarray(evidence["confidence"]), np.asarray(evidence["right"], dtype=float)
    order = np.argsort(-confidence, kind="stable")
    confidence, right = confidence[order], right[order]
    last = np.r_[confidence[1:] != confidence[:-1], True]  # the last of each run of equal confidences
    count = np.arange(1, len(confidence) + 1)
    precision = np.cumsum(right) / count
    ok = last & (count >= MIN_EVIDENCE) & (precision >= min_precision) & (confidence >= floor)
    return float(confidence[np.flatnonzero(ok)[-1]]) if ok.any() else None


def share_above(evidence: dict | None, least: float | None) -> float:
    """The share of held-out predictions that would have been pre-filled."""
    if not evidence or least is None or not evidence["confidence"]:
        return 0.0
    return float(np.mean(np.asarray(evidence["confidence"]) >= least))


def least_for(registry: Registry, version: str | None, header: dict) -> float | None:
    """The threshold from which ``version``'s suggestions were (or are) pre-filled in the round
    whose manifest header is ``header``: a pure function of both, so replays and the confirmation
    count agree with what annotators saw. Rounds recorded before this rule used a constant."""
    if version is None:
        return None
    if "min_precision" not in header:
        return header.get("min_probability", 1.0)
    evidence = registry.metrics(version).get("held_out")  # versions registered before it have none: never
    return threshold(evidence, header["min_precision"], header["min_probability"])
