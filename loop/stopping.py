"""Signals that it is time to stop annotating, computed every round and shown to the owner.

- Stabilising predictions (Bloodgood & Vijay-Shanker 2009, "A method for stopping active
  learning based on stabilizing predictions and the need for user-adjustable stopping"): Cohen's
  kappa between successive models' predictions on a fixed stop set stays at or above a threshold
  for ``window`` rounds in a row.
- The label budget is spent.
- Test macro-F1 has reached a plateau: its best over the last ``window`` rounds is no more than
  ``min_gain`` above the best before them.

The loop only advises: it stops by itself only when the project says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

KAPPA_THRESHOLD = 0.99  # Bloodgood & Vijay-Shanker's recommended default
WINDOW = 3
MIN_GAIN = 0.005


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Agreement of two label sequences beyond chance (1.0 when identical)."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) == 0:
        return 1.0
    labels = np.union1d(a, b)
    observed = float(np.mean(a == b))
    expected = float(sum(np.mean(a == label) * np.mean(b == label) for label in labels))
    return 1.0 if expected == 1.0 else (observed - expected) / (1.0 - expected)


@dataclass(frozen=True)
class StoppingSignals:
    stabilised: bool
    kappas: list[float]  # between each pair of successive rounds' predictions on the stop set
    budget_spent: bool
    plateau: bool
    advice: str

    @property
    def stop(self) -> bool:
        return self.stabilised or self.budget_spent or self.plateau


def signals(
    stop_set_predictions: Sequence[Sequence],
    labels_used: int,
    label_budget: int,
    macro_f1_by_round: Sequence[float],
    threshold: float = KAPPA_THRESHOLD,
    window: int = WINDOW,
    min_gain: float = MIN_GAIN,
) -> StoppingSignals:
    """``stop_set_predictions``: each round's predictions on the same stop set, oldest first."""
    kappas = [cohen_kappa(previous, current) for previous, current in zip(stop_set_predictions, stop_set_predictions[1:])]
    stabilised = len(kappas) >= window and all(k >= threshold for k in kappas[-window:])
    budget_spent = labels_used >= label_budget
    plateau = len(macro_f1_by_round) > window and max(macro_f1_by_round[-window:]) <= max(
        macro_f1_by_round[:-window]
    ) + min_gain
    reasons = []
    if stabilised:
        reasons.append(f"predictions are stable (kappa ≥ {threshold} for {window} rounds)")
    if budget_spent:
        reasons.append(f"the label budget is spent ({labels_used}/{label_budget})")
    if plateau:
        reasons.append(f"test macro-F1 has not gained {min_gain} in {window} rounds")
    advice = "it is time to stop: " + "; ".join(reasons) if reasons else "keep annotating"
    return StoppingSignals(stabilised, kappas, budget_spent, plateau, advice)
