"""What one training run registered and the gate's verdict on its best version: JSON-able, for
the round manifests, and importable without any model code (``bucle status`` reads it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trained:
    round: int
    versions: dict[str, float]  # version -> test macro-F1
    best: str
    promote: bool
    reason: str
    fine_tuned: bool
    rule: str = ""  # the gate's rule that decided (training.promotion); older manifests have none
