"""The promotion gate: a paired bootstrap on the same test records, and the rule that decided."""

from __future__ import annotations

import numpy as np

from bucle.training.evaluation import paired_bootstrap_difference
from bucle.training.promotion import FIRST, MORE, NO_MORE, UNREADABLE, Paired, compare, decide

RNG = np.random.default_rng(0)
REFERENCES = RNG.integers(0, 2, 300)


def predictions(accuracy: float, seed: int) -> np.ndarray:
    wrong = np.random.default_rng(seed).random(len(REFERENCES)) > accuracy
    return np.where(wrong, 1 - REFERENCES, REFERENCES)


def test_the_paired_difference_of_a_model_with_itself_is_exactly_zero():
    same = predictions(0.7, 1)
    assert paired_bootstrap_difference(same, same, REFERENCES, 2, 200, 0) == (0.0, 0.0, 0.0)


def test_a_much_better_model_has_an_interval_above_zero_and_the_point_inside_it():
    better, worse = predictions(0.9, 1), predictions(0.6, 2)
    point, low, high = paired_bootstrap_difference(better, worse, REFERENCES, 2, 500, 0)
    assert 0 < low <= point <= high
    reverse = compare(worse, better, REFERENCES, 2, 500, 0)
    assert reverse.high < 0 and abs(reverse.difference + point) < 1e-12


def test_more_labels_replace_the_champion_unless_credibly_worse():
    noise = Paired(-0.01, -0.05, 0.03)
    assert decide("0003-setfit", 48, "0001-tfidf", 16, noise, 0.005).promote
    worse = decide("0003-setfit", 48, "0001-tfidf", 16, Paired(-0.12, -0.2, -0.04), 0.005)
    assert not worse.promote and worse.rule == MORE and "credibly worse" in worse.reason


def test_no_more_labels_must_be_credibly_better_by_the_margin():
    assert not decide("0004-lora", 16, "0003-setfit", 48, Paired(0.02, -0.01, 0.05), 0.005).promote
    better = decide("0004-lora", 48, "0003-setfit", 48, Paired(0.06, 0.01, 0.1), 0.005)
    assert better.promote and better.rule == NO_MORE
    assert not decide("0004-lora", 48, "0003-setfit", 48, Paired(0.004, 0.001, 0.01), 0.005).promote


def test_first_model_and_unreadable_champion_rules():
    assert decide("0001-tfidf", 16, None, None, None, 0.005).rule == FIRST
    unreadable = decide("0002-tfidf", 32, "0001-tfidf", 16, None, 0.005)
    assert unreadable.promote and unreadable.rule == UNREADABLE
