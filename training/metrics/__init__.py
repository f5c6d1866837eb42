"""Metric modules the project ships, loaded with ``evaluate.load(<folder>)``: a Hub metric name
would be fetched from the Hub at run time and fails offline."""

from pathlib import Path

import evaluate

FOLDER = Path(__file__).resolve().parent


def load(name: str) -> evaluate.EvaluationModule:
    return evaluate.load(str(FOLDER / name))
