"""The shipped evaluate metric modules, checked on hand-computed values."""

import evaluate
import numpy as np
import pytest

from bucle.training import metrics
from bucle.training.calibration import Calibrator
from bucle.training.evaluation import bootstrap_macro_f1


def test_classification_report_by_hand(tmp_path):
    report = metrics.load("classification_report", tmp_path).compute(
        predictions=[0, 1, 1, 0, 2], references=[0, 1, 0, 0, 1], num_classes=3
    )
    assert report["accuracy"] == pytest.approx(3 / 5)
    assert report["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 0]]
    assert report["f1"] == pytest.approx([0.8, 0.5, 0.0])
    assert report["macro_f1"] == pytest.approx(1.3 / 3)


def test_calibration_error_by_hand(tmp_path):
    result = metrics.load("calibration_error", tmp_path).compute(
        predictions=[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], references=[0, 1, 1]
    )
    assert result["brier"] == pytest.approx((0.02 + 0.08 + 0.72) / 3)
    # bins: 0.6 (wrong) -> |0.6 - 0|; 0.8 (right) -> |0.8 - 1|; 0.9 (right) -> |0.9 - 1|
    assert result["ece"] == pytest.approx((0.6 + 0.2 + 0.1) / 3)


def test_the_modules_also_load_through_evaluate_load():
    loaded = evaluate.load(str(metrics.FOLDER / "classification_report"))
    assert loaded.compute(predictions=[0, 1], references=[0, 0], num_classes=2)["accuracy"] == 0.5


def test_temperature_scaling_softens_overconfidence():
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, 500)
    correct = rng.random(500) < 0.7  # right 70% of the time, but always 99% sure
    predicted = np.where(correct, targets, 1 - targets)
    probs = np.full((500, 2), 0.01)
    probs[np.arange(500), predicted] = 0.99
    calibrator = Calibrator.fit(probs, targets)
    assert calibrator.temperature > 1.5
    assert calibrator.apply(probs).max(axis=1).mean() == pytest.approx(0.7, abs=0.05)


def test_bootstrap_interval_brackets_the_estimate():
    rng = np.random.default_rng(1)
    references = rng.integers(0, 2, 300)
    predictions = np.where(rng.random(300) < 0.8, references, 1 - references)
    low, high = bootstrap_macro_f1(predictions, references, 2, 500, seed=0)
    assert low < 0.8 < high and high - low < 0.15


@pytest.mark.parametrize("classes", [2, 4])
def test_a_folded_temperature_is_the_temperature_applied_to_the_probabilities(classes):
    from sklearn.linear_model import LogisticRegression

    from bucle.training.calibration import fold_temperature

    rng = np.random.default_rng(classes)
    features, targets = rng.normal(size=(80, 5)), np.arange(80) % classes
    head = LogisticRegression().fit(features, targets)
    for temperature in (0.3, 1.0, 2.5):
        folded = fold_temperature(head, temperature).predict_proba(features)
        assert np.allclose(folded, Calibrator(temperature).apply(head.predict_proba(features)), atol=1e-9)


def test_a_slice_of_one_class_reports_accuracy_but_no_macro_f1():
    import numpy as np

    from bucle.training.bias import MIN_SLICE, slice_metrics

    n = MIN_SLICE
    probs = np.array([[0.9, 0.1]] * n + [[0.2, 0.8]] * n + [[0.7, 0.3]] * n)
    labels = ["a"] * n + ["b"] * n + ["a"] * (n - 1) + ["b"]
    metadata = [{"fuente": "solo-a"}] * n + [{"fuente": "solo-b"}] * n + [{"fuente": "mixta"}] * n
    rows = {row["value"]: row for row in slice_metrics(probs, labels, ["a", "b"], metadata, ["fuente"])["fuente"]}
    assert rows["solo-a"]["accuracy"] == 1.0 and rows["solo-a"]["macro_f1"] is None
    assert rows["solo-b"]["macro_f1"] is None
    assert rows["mixta"]["macro_f1"] is not None and 0 <= rows["mixta"]["macro_f1"] <= 1
