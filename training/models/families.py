"""Model families by name, for loading a saved model of any family."""

from __future__ import annotations

from training.errors import TrainingError


def family(name: str):
    if name == "tfidf":
        from training.models.tfidf import TfidfClassifier

        return TfidfClassifier
    if name == "setfit":
        from training.models.setfit_model import SetFitClassifier

        return SetFitClassifier
    if name == "lora":
        from training.models.lora import LoraClassifier

        return LoraClassifier
    raise TrainingError(f"unknown model family {name!r}")
