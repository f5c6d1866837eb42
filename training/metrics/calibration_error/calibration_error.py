"""Brier score and expected calibration error (ECE) of predicted probabilities, with the bins
of the reliability diagram."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Brier score (multi-class) and expected calibration error over equal-width confidence bins."
_KWARGS_DESCRIPTION = """
Args:
    predictions: one list of class probabilities per example.
    references: true class indices.
    n_bins: confidence bins for ECE (default 10).
Returns:
    brier, ece, and bins: for each bin its confidence range, mean confidence, accuracy and count.
"""


class CalibrationError(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Guo, Pleiss, Sun & Weinberger (2017). On Calibration of Modern Neural Networks. ICML.",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("float64")), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, n_bins=10):
        probs, targets = np.asarray(predictions, dtype=float), np.asarray(references)
        onehot = np.eye(probs.shape[1])[targets]
        brier = float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))
        confidence = probs.max(axis=1)
        correct = probs.argmax(axis=1) == targets
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
        bins, ece = [], 0.0
        for b in range(n_bins):
            mask = which == b
            count = int(mask.sum())
            if count:
                gap = abs(confidence[mask].mean() - correct[mask].mean())
                ece += count / len(targets) * gap
            bins.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "count": count,
                    "confidence": float(confidence[mask].mean()) if count else None,
                    "accuracy": float(correct[mask].mean()) if count else None,
                }
            )
        return {"brier": brier, "ece": float(ece), "bins": bins}
