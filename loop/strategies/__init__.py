"""Query strategies, one concept per module, behind ``QueryStrategy`` (``base.py``).

``get(name)`` returns one by the name used in ``bucle.yaml`` (``loop.strategy``). The default is
``density-margin`` (information density: margin weighted by how typical a text is, in the
champion's own space, ``loop.text_space``), chosen on three settings together in the
label-efficiency benchmark (``bench/active_learning.py``, TF-IDF learner, fakenews-es): two
balanced classes, nine skewed topics and one rare topic against the rest. With batches of 32 it
was never below random sampling on any of them and needed 0.77x random's labels to reach 95% of
the full-data macro-F1 on two classes (margin: 1.24x), 0.52x to reach random's final macro-F1 on
nine topics, and under 0.24x on the rare topic (with batches of 16: 0.67x, its first batch below
random's). ``diverse-density-margin`` adds a redundancy penalty: better with batches of 16, worse
with 32 and on rare positives. Pure margin collapses on its first batch with a
young model (typicality keeps density-margin off outliers); ``cluster-margin`` is level with it on
topics but not on two classes. ``hybrid`` suits a good Spanish body on a large pool;
``committee`` sends what the model families (TF-IDF, SetFit, a LoRA LLM) disagree on. Without a
model, ``cold-start`` asks about every label's description in turn (zero-shot).
"""

from __future__ import annotations

from loop.strategies.base import Candidates, Evidence, QueryStrategy
from loop.strategies.class_balanced import ClassBalanced
from loop.strategies.cluster_margin import ClusterMargin, DensityClusterMargin
from loop.strategies.cold_start import ColdStart
from loop.strategies.committee import Committee
from loop.strategies.density_margin import DensityMargin
from loop.strategies.diverse_density_margin import DiverseDensityMargin
from loop.strategies.diversity import Diversity
from loop.strategies.epsilon_margin import EpsilonMargin
from loop.strategies.hedged import Hedged
from loop.strategies.hybrid import Hybrid
from loop.strategies.random_sampling import RandomSampling
from loop.strategies.representative import Representative
from loop.strategies.uncertainty import Entropy, LeastConfidence, Margin

STRATEGIES: dict[str, type[QueryStrategy]] = {
    strategy.name: strategy
    for strategy in (RandomSampling, LeastConfidence, Margin, Entropy, Diversity, Hybrid, ClassBalanced, ColdStart,
                     Committee, ClusterMargin, DensityClusterMargin, DensityMargin, DiverseDensityMargin, EpsilonMargin,
                     Representative, Hedged)
}
DEFAULT = "density-margin"
CHOICES = tuple(sorted(name for name in STRATEGIES if name != ColdStart.name))  # what loop.strategy may name

__all__ = ["Candidates", "Evidence", "QueryStrategy", "STRATEGIES", "CHOICES", "DEFAULT", "get"]


def get(name: str) -> QueryStrategy:
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(sorted(STRATEGIES))}")
    return STRATEGIES[name]()
