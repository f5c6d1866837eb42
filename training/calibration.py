"""Temperature scaling: one number that makes predicted probabilities mean what they say.

Fitted on out-of-fold predictions of the training labels (never on the test set), by
minimising the negative log-likelihood of ``softmax(log p / T)``. T > 1 softens overconfident
models (typical of SetFit heads), T < 1 sharpens timid ones (typical of regularised TF-IDF).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

EPSILON = 1e-12


def _scaled(probs: np.ndarray, temperature: float) -> np.ndarray:
    logits = np.log(np.clip(probs, EPSILON, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass
class HeldOut:
    """Calibrated probabilities of training examples from models that did not see them, and
    their true classes: the evidence for how far a version's suggestions can be trusted."""

    probs: np.ndarray
    targets: np.ndarray

    def to_json(self) -> dict:
        """Each held-out prediction's confidence and whether it was right, most confident first."""
        confidence = self.probs.max(axis=1)
        order = np.argsort(-confidence, kind="stable")
        right = self.probs.argmax(axis=1) == self.targets
        return {"confidence": [round(float(c), 4) for c in confidence[order]], "right": [int(r) for r in right[order]]}


@dataclass
class Calibrator:
    temperature: float = 1.0
    held_out: HeldOut | None = None  # not saved: read once, when the version is registered

    def apply(self, probs: np.ndarray) -> np.ndarray:
        return probs if self.temperature == 1.0 else _scaled(probs, self.temperature)

    @classmethod
    def fit(cls, probs: np.ndarray, targets: np.ndarray) -> "Calibrator":
        """``targets``: the index of the true class of each row of ``probs``."""

        def nll(log_t: float) -> float:
            scaled = _scaled(probs, float(np.exp(log_t)))
            return -float(np.mean(np.log(np.clip(scaled[np.arange(len(targets)), targets], EPSILON, 1.0))))

        best = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
        temperature = float(np.exp(best.x))
        return cls(temperature, HeldOut(_scaled(probs, temperature), targets))


def out_of_fold_proba(estimator, features, targets: np.ndarray, n_classes: int, seed: int) -> np.ndarray | None:
    """Probabilities each training example gets from a model that did not see it (stratified
    k-fold, k ≤ 5); None when a class has fewer than two examples."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    folds = min(5, int(np.bincount(targets, minlength=n_classes)[np.unique(targets)].min()))
    if folds < 2:
        return None
    probs = np.zeros((len(targets), n_classes))
    for train, held_out in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        np.zeros(len(targets)), targets
    ):
        model = clone(estimator).fit(_take(features, train), targets[train])
        probs[np.ix_(held_out, model.classes_)] = model.predict_proba(_take(features, held_out))
    return probs


def _take(features, rows: np.ndarray):
    return [features[i] for i in rows] if isinstance(features, list) else features[rows]


def calibrate(estimator, features, targets: np.ndarray, n_classes: int, seed: int) -> Calibrator:
    probs = out_of_fold_proba(estimator, features, targets, n_classes, seed)
    return Calibrator() if probs is None else Calibrator.fit(probs, targets)


def fold_temperature(head, temperature: float):
    """A copy of a fitted logistic regression whose probabilities are already calibrated:
    ``softmax(z / T)`` is ``softmax(log p / T)`` (and the sigmoid the two-class case of it), so
    dividing the weights by T puts the calibration inside the saved head, where the library's own
    ``predict_proba`` (SetFit's, scikit-learn's) applies it without bucle."""
    from copy import deepcopy

    folded = deepcopy(head)
    folded.coef_ = head.coef_ / temperature
    folded.intercept_ = head.intercept_ / temperature
    return folded
