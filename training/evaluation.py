"""Evaluating a model on the frozen test set: quality with a bootstrap interval, calibration,
and the reliability diagram.

Metrics come from the project's own ``evaluate`` modules (``training/metrics/``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from bucle.training import metrics
from bucle.training.models.base import TextClassifier


@dataclass
class Evaluation:
    n: int
    accuracy: float
    macro_f1: float
    macro_f1_low: float
    macro_f1_high: float
    per_class: dict[str, dict[str, float]]
    confusion_matrix: list[list[int]]
    brier: float
    ece: float
    bins: list[dict]

    def to_json(self) -> dict:
        return asdict(self)


def _macro_f1_rows(confusions: np.ndarray) -> np.ndarray:
    """Macro-F1 of each confusion matrix in a stack of shape (samples, k, k)."""
    tp = np.diagonal(confusions, axis1=1, axis2=2).astype(float)
    predicted, actual = confusions.sum(axis=1), confusions.sum(axis=2)
    f1 = np.divide(2 * tp, predicted + actual, out=np.zeros_like(tp), where=(predicted + actual) > 0)
    return f1.mean(axis=1)


def _resampled_macro_f1(predictions: np.ndarray, references: np.ndarray, k: int, draws: np.ndarray) -> np.ndarray:
    """Macro-F1 of ``predictions`` on each resample (a row of test indices) of ``draws``."""
    cells = references[draws] * k + predictions[draws]
    return _macro_f1_rows(np.stack([np.bincount(row, minlength=k * k) for row in cells]).reshape(len(draws), k, k))


def _draws(n: int, samples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(samples, n))


def bootstrap_macro_f1(
    predictions: np.ndarray, references: np.ndarray, k: int, samples: int, seed: int
) -> tuple[float, float]:
    """95% percentile interval of macro-F1 over ``samples`` resamples of the test set."""
    low, high = np.percentile(
        _resampled_macro_f1(predictions, references, k, _draws(len(references), samples, seed)), [2.5, 97.5]
    )
    return float(low), float(high)


def paired_bootstrap_difference(
    first: np.ndarray, second: np.ndarray, references: np.ndarray, k: int, samples: int, seed: int
) -> tuple[float, float, float]:
    """Macro-F1 of ``first`` minus that of ``second`` (predicted class indices for the same
    ``references``) and its 95% interval, both scored on the same resamples of the test set."""
    everything = np.arange(len(references))[None, :]
    point = (
        _resampled_macro_f1(first, references, k, everything)[0]
        - _resampled_macro_f1(second, references, k, everything)[0]
    )
    draws = _draws(len(references), samples, seed)
    differences = _resampled_macro_f1(first, references, k, draws) - _resampled_macro_f1(second, references, k, draws)
    low, high = np.percentile(differences, [2.5, 97.5])
    return float(point), float(low), float(high)


def evaluate_probabilities(
    probs: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    bootstrap: int = 1000,
    seed: int = 42,
    cache_dir: Path | None = None,
) -> Evaluation:
    """``cache_dir``: where ``evaluate`` may create its (empty, in-memory mode) cache folders."""
    references = np.array([list(classes).index(label) for label in labels])
    predictions = probs.argmax(axis=1)
    report = metrics.load("classification_report", cache_dir).compute(
        predictions=predictions, references=references, num_classes=len(classes)
    )
    calibration = metrics.load("calibration_error", cache_dir).compute(
        predictions=probs.tolist(), references=references
    )
    low, high = bootstrap_macro_f1(predictions, references, len(classes), bootstrap, seed)
    per_class = {
        label: {
            "precision": report["precision"][i],
            "recall": report["recall"][i],
            "f1": report["f1"][i],
            "support": report["support"][i],
        }
        for i, label in enumerate(classes)
    }
    return Evaluation(
        n=len(references),
        accuracy=report["accuracy"],
        macro_f1=report["macro_f1"],
        macro_f1_low=low,
        macro_f1_high=high,
        per_class=per_class,
        confusion_matrix=report["confusion_matrix"],
        brier=calibration["brier"],
        ece=calibration["ece"],
        bins=calibration["bins"],
    )


def evaluate_model(
    model: TextClassifier,
    texts: Sequence[str],
    labels: Sequence[str],
    bootstrap: int = 1000,
    seed: int = 42,
    cache_dir: Path | None = None,
) -> tuple[Evaluation, np.ndarray]:
    probs = model.predict_proba(texts)
    return evaluate_probabilities(probs, labels, model.classes, bootstrap, seed, cache_dir), probs


def reliability_diagram(evaluation: Evaluation, path: Path, title: str) -> Path:
    """Confidence against accuracy per bin, with the diagonal of perfect calibration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    filled = [b for b in evaluation.bins if b["count"]]
    figure, axis = plt.subplots(figsize=(4.5, 4.5), dpi=110)
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="calibración perfecta")
    axis.bar(
        [b["low"] for b in filled],
        [b["accuracy"] for b in filled],
        width=[b["high"] - b["low"] for b in filled],
        align="edge",
        alpha=0.7,
        edgecolor="black",
        label="acierto por intervalo",
    )
    axis.plot([b["confidence"] for b in filled], [b["accuracy"] for b in filled], marker="o", color="black")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("confianza / confidence")
    axis.set_ylabel("acierto / accuracy")
    axis.set_title(f"{title}\nECE {evaluation.ece:.3f} · Brier {evaluation.brier:.3f}", fontsize=9)
    axis.legend(loc="upper left", fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
