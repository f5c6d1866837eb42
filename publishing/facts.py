"""What the demo and the published Space tell end users about the model they are trying: version,
test metrics beside the TF-IDF baseline, the learning curve of the models that were served (a
refused challenger never reached users), the limitations and bias notes of its model card (read
from the card, so neither contradicts it), and the example texts they offer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bucle.common.errors import BucleError
from bucle.loop.config import ProjectConfig
from bucle.loop.pool import Pool
from bucle.training.registry import Registry

EXAMPLES = 3
EXAMPLE_CHARS = 400
COMPLETE = re.compile(r"[.!?»\"”)]\s*$")  # ends a sentence: not cut mid-way
NOISE = re.compile(r"@\w|https?://|www\.|…\s*$|\.\.\.\s*$")  # handles, links, a trailing ellipsis


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
    served = {d["version"] for d in registry.decisions() if d.get("kind") in ("promote", "manual", "rollback")} | {
        version
    }
    curve = [(row.labels, row.macro_f1, row.name) for row in registry.history() if row.name in served]
    baseline = registry.baseline(version)
    card = (registry.path(version) / "README.md").read_text(encoding="utf-8")
    limitations = _section(card, "Limitaciones") + "\n\n" + _section(card, "Sesgos")
    return ChampionFacts(
        version=version,
        family=metrics.get("family", "?"),
        labels=metrics.get("labels", 0),
        macro_f1=evaluation["macro_f1"],
        interval=(evaluation["macro_f1_low"], evaluation["macro_f1_high"]),
        accuracy=evaluation["accuracy"],
        baseline_macro_f1=baseline,
        curve=sorted(curve),
        limitations=limitations.strip(),
    )


def default_examples(config: ProjectConfig, pool: Pool | None = None) -> list[str]:
    """The configured examples, else three complete pool texts of typical length: no @handles or
    links, ending a sentence, closest to the pool's median length (at most ``EXAMPLE_CHARS``,
    so that the example reads at a glance)."""
    if config.demo.examples:
        return config.demo.examples
    try:
        with Pool.shared(config.state.pool, pool) as pool:  # a round passes its own
            texts = [r.text.strip() for r in pool.records(split="pool")]
    except (OSError, BucleError):
        return []
    if not texts:
        return []
    typical = min(sorted(len(t) for t in texts)[len(texts) // 2], EXAMPLE_CHARS)
    complete = [t for t in texts if 80 <= len(t) <= EXAMPLE_CHARS and COMPLETE.search(t) and not NOISE.search(t)]
    return sorted(complete, key=lambda t: (abs(len(t) - typical), t))[:EXAMPLES]
