"""How often the model's confident suggestions were right, as annotators judged them.

Each batch carries a confident share (``loop.strategies.confident_share``): pre-filled predictions
(at the version's own threshold or more, ``loop.prefill``), drawn at random. When annotators label one, their label is
compared with the suggestion Argilla showed at that moment, replayed from the round manifests
(pushes and refreshes in order, answers as each round's pull received them). The share that
agreed is the model's real precision on what it pre-fills: reported by ``bucle status`` and in
the model card, with a Wilson 95% interval.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from bucle.loop.config import ProjectConfig
from bucle.loop.manifest import RoundManifest
from bucle.loop.pool import Pool
from bucle.loop.prefill import least_for
from bucle.loop.step_results import result
from bucle.training.registry import Registry

Z95 = 1.959964


@dataclass(frozen=True)
class Confirmations:
    min_probability: float | None  # the latest push's pre-fill threshold (None: nothing pre-filled)
    answered: int  # confident-share records annotators labelled
    right: int  # ... with the suggested label

    @property
    def precision(self) -> float | None:
        return self.right / self.answered if self.answered else None

    def interval(self) -> tuple[float, float] | None:
        """Wilson's 95% interval: sensible at the few dozen answers a project has early on."""
        n = self.answered
        if not n:
            return None
        p = self.right / n
        centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
        half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def facts(self) -> dict:
        """For the model card."""
        low, high = self.interval() or (None, None)
        return {**asdict(self), "precision": self.precision, "low": low, "high": high}

    def line(self) -> str:
        least = (
            "nothing pre-filled now"
            if self.min_probability is None
            else f"pre-filled from p ≥ {self.min_probability:.2f}"
        )
        if not self.answered:
            return f"{least}; no confident suggestion answered yet"
        low, high = self.interval()
        return (
            f"{least}; {self.right} of {self.answered} confident ones "
            f"confirmed ({self.precision:.0%}, 95% CI {low:.0%}–{high:.0%})"
        )


def confirmations(config: ProjectConfig, pool: Pool) -> Confirmations:
    labels = {r.id: r.label for r in pool.records(split="pool", labelled=True)}
    registry = Registry(config.state.registry)
    latest: float | None = None
    shown: dict[str, str] = {}  # confident-share record -> the suggestion Argilla shows now
    answered = right = 0
    for manifest in RoundManifest.all(config.state.rounds):
        pulled = result(manifest, "pull")
        for record in (pulled.received or []) if pulled else []:
            if record in shown and record in labels:
                answered += 1
                right += labels[record] == shown.pop(record)
        if manifest.done("push"):
            selection = result(manifest, "select")
            suggested = dict(zip(selection.ids, selection.labels))
            shown.update({record: suggested[record] for record in selection.confirm})
            if selection.model is not None:
                latest = least_for(registry, selection.model, manifest.data)
        refreshed = result(manifest, "refresh")
        if refreshed and refreshed.labels is not None:
            least = least_for(registry, refreshed.model, manifest.data)
            for record, label, score in zip(refreshed.ids, refreshed.labels, refreshed.scores):
                if record in shown:  # a suggestion no longer sure is no longer pre-filled, nor counted
                    shown[record] = label
                    if least is None or score < least:
                        del shown[record]
    return Confirmations(latest, answered, right)
