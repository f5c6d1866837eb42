"""What the demo tells end users about the model they are trying: version, test metrics beside
the TF-IDF baseline, the learning curve of the models that were served (a refused challenger
never reached users), and the limitations and bias notes of its
model card (read from the card, so the demo never contradicts it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bucle.training.registry import Registry


@dataclass(frozen=True)
class ChampionFacts:
    version: str
    family: str
    labels: int  # training labels
    macro_f1: float
    interval: tuple[float, float]
    accuracy: float
    baseline_macro_f1: float | None
    curve: list[tuple[int, float, str]]  # (labels, macro-F1, version) of every version that was champion
    limitations: str  # Markdown from the card


def _section(card: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", card, flags=re.M | re.S)
    return match.group(1).strip() if match else ""


def model_facts(registry: Registry, version: str) -> ChampionFacts:
    metrics = registry.metrics(version)
    evaluation = metrics["evaluation"]
    served = {d["version"] for d in registry.decisions() if d.get("kind") in ("promote", "manual", "rollback")} | {version}
    curve = [(row.labels, row.macro_f1, row.name) for row in registry.history() if row.name in served]
    baseline = registry.baseline(version)
    card = (registry.path(version) / "README.md").read_text(encoding="utf-8")
    limitations = _section(card, "Limitaciones") + "\n\n" + _section(card, "Sesgos")
    return ChampionFacts(
        version=version, family=metrics.get("family", "?"), labels=metrics.get("labels", 0),
        macro_f1=evaluation["macro_f1"], interval=(evaluation["macro_f1_low"], evaluation["macro_f1_high"]),
        accuracy=evaluation["accuracy"], baseline_macro_f1=baseline, curve=sorted(curve), limitations=limitations.strip(),
    )  # fmt: skip
