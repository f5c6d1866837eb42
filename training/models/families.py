"""Model families by name, for loading a saved model of any family."""

from __future__ import annotations

from bucle.training.errors import TrainingError


def family(name: str):
    if name == "tfidf":
        from bucle.training.models.tfidf import TfidfClassifier

        return TfidfClassifier
    if name == "setfit":
        from bucle.training.models.setfit_model import SetFitClassifier

        return SetFitClassifier
    if name == "lora":
        from bucle.training.models.lora import LoraClassifier

        return LoraClassifier
    raise TrainingError(f"unknown model family {name!r}")
