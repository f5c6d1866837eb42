"""Metric modules the project ships: ``evaluate.Metric`` subclasses, one folder each, laid out so
that ``evaluate.load("<folder>")`` also loads them (a Hub metric name would be fetched from the
Hub at run time and fails offline).

bucle instantiates them directly instead of through ``evaluate.load``, which copies the module's
code into ``~/.cache/huggingface/modules``; with ``keep_in_memory`` and a ``cache_dir`` inside the
project's state folder, nothing is written outside it.
"""

from __future__ import annotations

from pathlib import Path

import evaluate

from bucle.training.metrics.calibration_error.calibration_error import CalibrationError
from bucle.training.metrics.classification_report.classification_report import ClassificationReport

FOLDER = Path(__file__).resolve().parent
MODULES = {"classification_report": ClassificationReport, "calibration_error": CalibrationError}


def load(name: str, cache_dir: Path | None = None) -> evaluate.EvaluationModule:
    return MODULES[name](keep_in_memory=True, cache_dir=str(cache_dir) if cache_dir else None)
