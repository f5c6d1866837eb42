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

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.metrics import cohen_kappa_score

KAPPA_THRESHOLD = 0.99  # Bloodgood & Vijay-Shanker's recommended default
WINDOW = 3
MIN_GAIN = 0.005


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Agreement of two label sequences beyond chance (scikit-learn's), 1.0 when identical
    (where scikit-learn's is undefined: a single class on both sides)."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) == 0 or np.array_equal(a, b):
        return 1.0
    return float(cohen_kappa_score(a, b))


@dataclass(frozen=True)
class History:
    """What the criteria read: each round's predictions on the same stop set (oldest first), the
    labels used, and the champion family's test macro-F1 per round."""

    stop_set_predictions: Sequence[Sequence]
    labels_used: int
    macro_f1_by_round: Sequence[float]


class StoppingCriterion(ABC):
    @abstractmethod
    def reason(self, history: History) -> str | None:
        """Why annotating can stop now, or None."""


@dataclass(frozen=True)
class StabilisingPredictions(StoppingCriterion):
    threshold: float = KAPPA_THRESHOLD
    window: int = WINDOW

    def kappas(self, history: History) -> list[float]:
        runs = history.stop_set_predictions
        return [cohen_kappa(previous, current) for previous, current in zip(runs, runs[1:])]

    def reason(self, history: History) -> str | None:
        kappas = self.kappas(history)
        if len(kappas) >= self.window and all(k >= self.threshold for k in kappas[-self.window :]):
            return f"predictions are stable (kappa ≥ {self.threshold} for {self.window} rounds)"
        return None


@dataclass(frozen=True)
class LabelBudget(StoppingCriterion):
    budget: int

    def reason(self, history: History) -> str | None:
        if history.labels_used >= self.budget:
            return f"the label budget is spent ({history.labels_used}/{self.budget})"
        return None


@dataclass(frozen=True)
class Plateau(StoppingCriterion):
    window: int = WINDOW
    min_gain: float = MIN_GAIN

    def reason(self, history: History) -> str | None:
        f1 = history.macro_f1_by_round
        if len(f1) > self.window and max(f1[-self.window :]) <= max(f1[: -self.window]) + self.min_gain:
            return f"test macro-F1 has not gained {self.min_gain} in {self.window} rounds"
        return None


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
    """The three criteria on one history, and the advice they give together."""
    history = History(stop_set_predictions, labels_used, macro_f1_by_round)
    stable = StabilisingPredictions(threshold, window)
    reasons = [
        criterion.reason(history) for criterion in (stable, LabelBudget(label_budget), Plateau(window, min_gain))
    ]
    given = [reason for reason in reasons if reason]
    advice = "it is time to stop: " + "; ".join(given) if given else "keep annotating"
    return StoppingSignals(
        reasons[0] is not None, stable.kappas(history), reasons[1] is not None, reasons[2] is not None, advice
    )
