"""The pre-fill threshold comes from a version's held-out evidence, not a constant."""

from __future__ import annotations

import numpy as np

from bucle.loop.prefill import MIN_EVIDENCE, share_above, threshold
from bucle.training.calibration import HeldOut


def evidence(confidence: list[float], right: list[int]) -> dict:
    probs = np.array([[c, 1 - c] for c in confidence])
    targets = np.array([0 if r else 1 for r in right])
    return HeldOut(probs, targets).to_json()


def test_the_lowest_confidence_whose_predictions_reach_the_precision():
    confident = [round(0.99 - 0.01 * i, 2) for i in range(20)]  # right
    unsure = [round(0.7 - 0.01 * i, 2) for i in range(10)]  # half wrong
    found = threshold(evidence(confident + unsure, [1] * 20 + [1, 0] * 5), 0.9, 0.5)
    assert 0.6 < found <= 0.8
    top = evidence(confident + unsure, [1] * 20 + [1, 0] * 5)
    assert share_above(top, found) == sum(c >= found for c in confident + unsure) / 30


def test_too_little_or_too_poor_evidence_means_nothing_is_pre_filled():
    assert threshold(evidence([0.99] * (MIN_EVIDENCE - 1), [1] * (MIN_EVIDENCE - 1)), 0.9, 0.5) is None
    assert threshold(evidence([0.9] * 40, [1, 0] * 20), 0.9, 0.5) is None, "a coin flip at any confidence"
    assert threshold(None, 0.9, 0.5) is None and share_above(None, 0.8) == 0.0


def test_ties_are_taken_together_and_the_floor_holds():
    tied = evidence([0.8] * 30, [1] * 28 + [0] * 2)
    assert threshold(tied, 0.9, 0.5) == 0.8
    assert threshold(tied, 0.9, 0.85) is None, "never below min_probability"
