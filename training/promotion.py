"""The promotion gate: a challenger replaces the champion only if it is better on the frozen
test set by a margin, so that noise between rounds does not churn the served model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def decide(challenger: str, challenger_f1: float, champion: str | None, champion_f1: float | None,
           margin: float) -> GateDecision:  # fmt: skip
    if champion is None or champion_f1 is None:
        return GateDecision(True, f"{challenger} is the first model (macro-F1 {challenger_f1:.3f})")
    gain = challenger_f1 - champion_f1
    if gain > margin:
        return GateDecision(True, f"{challenger} beats {champion} by {gain:+.3f} macro-F1 (margin {margin:.3f})")
    return GateDecision(
        False, f"{challenger} ({challenger_f1:.3f}) does not beat {champion} ({champion_f1:.3f}) by the margin {margin:.3f}"
    )
