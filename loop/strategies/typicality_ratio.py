"""Margin weighted by how much more typical a text is of the test set than of the candidates.

Density-margin weighs uncertainty by typicality among the test texts, which mixes two things:
the test set's pull (where it drifted from the pool, texts like it are where the model is
judged) and how crowded a text's neighbourhood is in any sample (common kinds of text, the big
classes among them). In a sentence encoder's space the second is not worth labels for macro-F1:
beside hedged's random share, density-margin's picks put the mean curve 0.016 ± 0.004 below
random sampling's on nine topics in batches of 16 with the SetFit head on e5 (128 seeds), so
there hedged weighs margin by this ratio instead. The ratio of a text's typicality among the test
texts to its typicality among the candidates keeps the pull and divides out much of the crowding,
which both samples share: on a random carve it stays near 1 and the score is close to margin's;
where the test set drifted, texts that resemble it more than the pool count more. It is a
k-nearest-neighbour stand-in for the importance weight of covariate shift, p_test(x) / p_pool(x)
(Sugiyama et al. (2007), "Covariate shift adaptation by importance weighted cross validation";
Kirsch, Rainforth & Gal (2021) weigh acquisition by the test distribution the same way). A rough
one: both typicalities use the same ten neighbours although the test sample is the smaller, so
a class rarer than ten texts in the test sample reads as less typical there than it is.
"""

from __future__ import annotations

import numpy as np

from bucle.loop.strategies.base import Candidates
from bucle.loop.strategies.density_margin import density
from bucle.loop.strategies.uncertainty import margin_scores


def typicality_ratio(candidates: Candidates) -> np.ndarray:
    """Each candidate's typicality among the target's texts over its typicality among the
    candidates; 1 everywhere without a target."""
    if candidates.target is None:
        return np.ones(len(candidates))
    among_target = density(candidates.embeddings, among=candidates.target)
    return among_target / np.maximum(density(candidates.embeddings), 1e-6)


def shift_margin_scores(candidates: Candidates) -> np.ndarray:
    """Each candidate's uncertainty (1 − margin, in [0, 1]) times its typicality ratio: higher is
    more worth a label."""
    return (1.0 + margin_scores(candidates.probs)) * typicality_ratio(candidates)
