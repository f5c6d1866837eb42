"""Query strategies, one concept per module, behind ``QueryStrategy`` (``base.py``).

``get(name)`` returns one by the name used in ``bucle.yaml`` (``loop.strategy``). The default is
``margin`` (breaking ties): the label-efficiency benchmark (``bench/active_learning.py``) found it
at least as good as the others on Spanish news and topics, it needs no embeddings (so it does not
depend on how well the body represents Spanish: the offline default body is English), and ingest
already removes the near-duplicates a pure uncertainty batch would otherwise repeat. ``hybrid``
suits a good Spanish or multilingual body on a large pool; ``committee`` sends what the model
families (TF-IDF, SetFit, a LoRA LLM) disagree on.
"""

from __future__ import annotations

from loop.strategies.base import Candidates, QueryStrategy
from loop.strategies.class_balanced import ClassBalanced
from loop.strategies.cluster_margin import ClusterMargin, DensityClusterMargin
from loop.strategies.cold_start import ColdStart
from loop.strategies.committee import Committee
from loop.strategies.density_margin import DensityMargin
from loop.strategies.diversity import Diversity
from loop.strategies.epsilon_margin import EpsilonMargin
from loop.strategies.hybrid import Hybrid
from loop.strategies.random_sampling import RandomSampling
from loop.strategies.representative import Representative
from loop.strategies.uncertainty import Entropy, LeastConfidence, Margin

STRATEGIES: dict[str, type[QueryStrategy]] = {
    strategy.name: strategy
    for strategy in (RandomSampling, LeastConfidence, Margin, Entropy, Diversity, Hybrid, ClassBalanced, ColdStart,
                     Committee, ClusterMargin, DensityClusterMargin, DensityMargin, EpsilonMargin, Representative)
}
DEFAULT = "margin"
CHOICES = tuple(sorted(name for name in STRATEGIES if name != ColdStart.name))  # what loop.strategy may name

__all__ = ["Candidates", "QueryStrategy", "STRATEGIES", "CHOICES", "DEFAULT", "get"]


def get(name: str) -> QueryStrategy:
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(sorted(STRATEGIES))}")
    return STRATEGIES[name]()
