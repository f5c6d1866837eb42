"""The interface every model family implements, so the registry, the gate and the demo can
serve a SetFit model, a TF-IDF baseline or (later) a LoRA-tuned LLM the same way."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import Counter
from pathlib import Path
from typing import ClassVar, Sequence

import numpy as np

from bucle.training.calibration import Calibrator, HeldOut
from bucle.training.errors import TrainingError

META = "meta.json"
# 2: each family in its library's own layout, the calibration folded into the saved head;
# 1: the versions of bucle before that (a joblib head, the temperature applied on loading)
FORMAT = 2


def check_training_data(texts: Sequence[str], labels: Sequence[str], classes: Sequence[str]) -> None:
    """Clear errors for data no classifier can learn from."""
    if len(texts) != len(labels):
        raise TrainingError(f"{len(texts)} texts but {len(labels)} labels")
    empty = [i for i, text in enumerate(texts) if not text or not text.strip()]
    if empty:
        raise TrainingError(f"{len(empty)} empty texts (first at position {empty[0]}): clean the data first")
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise TrainingError(f"unknown labels {unknown}; the project's labels are {list(classes)}")
    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingError(
            f"only one class among the {len(labels)} labels ({next(iter(counts), 'none')}): "
            "a classifier needs examples of at least two"
        )


class TextClassifier(ABC):
    family: ClassVar[str]

    def __init__(self, classes: Sequence[str]) -> None:
        self.classes = list(classes)
        self.temperature = 1.0  # fitted on out-of-fold predictions; folded into the head by fit
        self.calibrator = Calibrator()  # the identity, but for versions of format 1
        self.held_out: HeldOut | None = None  # set by fit: calibrated out-of-fold evidence (training.prefill)

    @abstractmethod
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "TextClassifier": ...

    @abstractmethod
    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated class probabilities, columns in ``self.classes`` order."""

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities: what the suggestion scores shown to annotators mean."""
        return self.calibrator.apply(self.raw_proba(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def hyperparameters(self) -> dict:
        return {}

    @abstractmethod
    def save_model(self, folder: Path) -> None: ...

    @classmethod
    @abstractmethod
    def load_model(cls, folder: Path, meta: dict) -> "TextClassifier": ...

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.save_model(folder)
        meta = {
            "family": self.family,
            "format": FORMAT,
            "classes": self.classes,
            "temperature": self.temperature,
            "hyperparameters": self.hyperparameters(),
        }
        (folder / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def load(folder: Path) -> "TextClassifier":
        from bucle.training.models import families

        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        model = families.family(meta["family"]).load_model(folder, meta)
        model.temperature = meta["temperature"]
        if meta.get("format", 1) == 1:
            model.calibrator = Calibrator(meta["temperature"])
        return model
