"""Stratified sampling for test sets and seeds."""

from collections import Counter

from bucle.loop.splits import split_size, stratified_sample


def test_proportions_and_determinism():
    labels = {f"r{i}": ("a" if i < 80 else "b") for i in range(100)}
    sample = stratified_sample(labels, 20, seed=1)
    assert Counter(labels[i] for i in sample) == {"a": 16, "b": 4}
    assert sample == stratified_sample(labels, 20, seed=1)
    assert sample != stratified_sample(labels, 20, seed=2)


def test_every_label_gets_a_place_when_possible_and_sizes_are_capped():
    labels = {f"r{i}": "rare" if i == 0 else "common" for i in range(50)}
    assert "r0" in stratified_sample(labels, 5, seed=0)
    assert len(stratified_sample(labels, 500, seed=0)) == 50
    assert stratified_sample({}, 5, seed=0) == []
    three = {"a": "x", "b": "y", "c": "z"}
    assert len(stratified_sample(three, 2, seed=0)) == 2


def test_split_size_reads_fractions_and_counts():
    assert split_size(1000, 0.2) == 200
    assert split_size(1000, 150) == 150
    assert split_size(10, 150) == 10
