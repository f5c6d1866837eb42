"""The promotion gate: challenger and champion scored on the same test records in the same run,
compared by a paired bootstrap of their macro-F1 difference, never against a score the champion
got in an earlier round (a champion that was lucky once would otherwise stay for good).

Two rules, named in every verdict so that ``bucle status`` and the decisions log say which one
decided:
- ``more-labels``: a challenger trained on more labels than the champion replaces it unless it
  is credibly worse (the whole 95% interval of the difference below zero). More labels is the
  better bet; the interval guards against a broken training.
- ``no-more-labels``: a challenger on as many labels or fewer (an LLM trained on an older
  snapshot, a retraining) must be credibly better (the interval above zero) and gain at least
  ``model.promotion_margin`` on average.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from bucle.training.evaluation import paired_bootstrap_difference

FIRST, MORE, NO_MORE, UNREADABLE = "first-model", "more-labels", "no-more-labels", "champion-unreadable"


@dataclass(frozen=True)
class Paired:
    """Challenger minus champion macro-F1 on the same test records: the point difference and its
    95% paired-bootstrap interval."""

    difference: float
    low: float
    high: float


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str
    rule: str
    paired: Paired | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "GateDecision":
        paired = data.get("paired")
        return cls(data["promote"], data["reason"], data["rule"], Paired(**paired) if paired else None)


def compare(
    challenger: np.ndarray, champion: np.ndarray, references: np.ndarray, k: int, samples: int, seed: int
) -> Paired:
    """``challenger`` and ``champion``: class indices predicted for the same ``references``."""
    return Paired(*paired_bootstrap_difference(challenger, champion, references, k, samples, seed))


def decide(
    challenger: str,
    challenger_labels: int,
    champion: str | None,
    champion_labels: int | None,
    paired: Paired | None,
    margin: float,
) -> GateDecision:
    if champion is None:
        return GateDecision(True, f"{challenger} is the first model", FIRST)
    if paired is None:
        return GateDecision(True, f"{challenger} replaces {champion}, which cannot be loaded to compare", UNREADABLE)
    shown = f"{paired.difference:+.3f} macro-F1 (95% paired interval {paired.low:+.3f} to {paired.high:+.3f})"
    labels = f"{challenger_labels} labels against {champion_labels}"
    if champion_labels is None or challenger_labels > champion_labels:
        if paired.high < 0:
            return GateDecision(
                False, f"{challenger} is credibly worse than {champion}: {shown}; {labels}", MORE, paired
            )
        return GateDecision(
            True, f"{challenger} replaces {champion}, not credibly worse: {shown}; {labels}", MORE, paired
        )
    if paired.low > 0 and paired.difference > margin:
        return GateDecision(
            True, f"{challenger} is credibly better than {champion}: {shown}; {labels}", NO_MORE, paired
        )
    return GateDecision(
        False,
        f"{challenger} is not credibly better than {champion} by {margin:.3f}: {shown}; {labels}",
        NO_MORE,
        paired,
    )
