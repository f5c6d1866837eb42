"""Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix, in one pass."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Single-label classification report: accuracy, macro-F1, per-class P/R/F1, confusion matrix."
_KWARGS_DESCRIPTION = """
Args:
    predictions: predicted class indices.
    references: true class indices.
    num_classes: the number of classes (classes never predicted still get a row).
Returns:
    accuracy, macro_f1, precision, recall, f1 (lists, one per class), support, confusion_matrix
    (rows: true class, columns: predicted class).
"""


class ClassificationReport(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references, num_classes=None):
        predictions, references = np.asarray(predictions), np.asarray(references)
        k = num_classes or int(max(predictions.max(initial=0), references.max(initial=0)) + 1)
        confusion = np.bincount(references * k + predictions, minlength=k * k).reshape(k, k)
        true_positive = np.diag(confusion).astype(float)
        predicted = confusion.sum(axis=0)
        support = confusion.sum(axis=1)
        precision = np.divide(true_positive, predicted, out=np.zeros(k), where=predicted > 0)
        recall = np.divide(true_positive, support, out=np.zeros(k), where=support > 0)
        denominator = precision + recall
        f1 = np.divide(2 * precision * recall, denominator, out=np.zeros(k), where=denominator > 0)
        return {
            "accuracy": float(true_positive.sum() / max(len(references), 1)),
            "macro_f1": float(f1.mean()),
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "f1": f1.tolist(),
            "support": support.tolist(),
            "confusion_matrix": confusion.tolist(),
        }
