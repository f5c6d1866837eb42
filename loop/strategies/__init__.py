"""Query strategies, one concept per module, behind ``QueryStrategy`` (``base.py``).

``get(name)`` returns one by the name used in ``bucle.yaml`` (``loop.strategy``). The default,
``hybrid``, is kept until the label-efficiency benchmark chooses by the numbers.
"""

from __future__ import annotations

from loop.strategies.base import Candidates, QueryStrategy
from loop.strategies.class_balanced import ClassBalanced
from loop.strategies.cold_start import ColdStart
from loop.strategies.diversity import Diversity
from loop.strategies.hybrid import Hybrid
from loop.strategies.random_sampling import RandomSampling
from loop.strategies.uncertainty import Entropy, LeastConfidence, Margin

STRATEGIES: dict[str, type[QueryStrategy]] = {
    strategy.name: strategy
    for strategy in (RandomSampling, LeastConfidence, Margin, Entropy, Diversity, Hybrid, ClassBalanced, ColdStart)
}
DEFAULT = "hybrid"

__all__ = ["Candidates", "QueryStrategy", "STRATEGIES", "DEFAULT", "get"]


def get(name: str) -> QueryStrategy:
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(sorted(STRATEGIES))}")
    return STRATEGIES[name]()
