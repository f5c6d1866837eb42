"""The champion, served: hot-reloaded when the loop promotes a new one, with input rules a person
can read.

The registry's champion pointer is checked (one ``stat``) on every request; when it changed, the
new version is loaded before the next prediction, so the demo never needs a restart.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from bucle.common.errors import BucleError
from bucle.training.models.base import TextClassifier
from bucle.training.registry import Registry


class DemoInputError(BucleError):
    """A text the demo refuses, with a message for the person who typed it (Spanish)."""


class NoModelYet(BucleError):
    """The project has no champion yet."""


@dataclass(frozen=True)
class Prediction:
    version: str
    probabilities: dict[str, float]  # label -> calibrated probability, all labels

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)


def check_text(text: str | None, max_chars: int) -> str:
    """The text to classify, or a ``DemoInputError`` that says what is wrong."""
    if text is None or not text.strip():
        raise DemoInputError("Escribe o pega un texto en español: el campo está vacío.")
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > max_chars:
        raise DemoInputError(
            f"El texto tiene {len(text):,} caracteres; el máximo es {max_chars:,}. Acórtalo, por favor."
        )
    return text


class ChampionPredictor:
    def __init__(self, registry: Registry, max_chars: int, prepare=lambda model: model) -> None:
        self.registry = registry
        self.max_chars = max_chars
        self._prepare = prepare  # e.g. attach the embedding cache
        self._lock = threading.Lock()
        self._loaded: tuple[str, float, TextClassifier] | None = None  # version, pointer mtime, model

    def _pointer(self) -> Path:
        return self.registry.root / "champion.json"

    def model(self) -> tuple[str, TextClassifier]:
        """The current champion, reloaded if the pointer changed since the last request."""
        try:
            mtime = self._pointer().stat().st_mtime
        except FileNotFoundError:
            raise NoModelYet("Todavía no hay ningún modelo entrenado: vuelve tras la primera ronda.") from None
        with self._lock:
            if self._loaded is None or self._loaded[1] != mtime:
                version = self.registry.champion()
                if version is None:
                    raise NoModelYet("Todavía no hay ningún modelo entrenado: vuelve tras la primera ronda.")
                if self._loaded is None or self._loaded[0] != version:
                    model = self._prepare(TextClassifier.load(self.registry.model_folder(version)))
                else:
                    model = self._loaded[2]
                self._loaded = (version, mtime, model)
            return self._loaded[0], self._loaded[2]

    def predict(self, texts: list[str]) -> list[Prediction]:
        cleaned = [check_text(text, self.max_chars) for text in texts]
        version, model = self.model()
        probs = model.predict_proba(cleaned)
        return [Prediction(version, {label: float(p) for label, p in zip(model.classes, row)}) for row in probs]
