"""Query strategies on hand-made probability matrices and embeddings."""

import numpy as np
import pytest

from loop.strategies import DEFAULT, STRATEGIES, Candidates, get

PROBS = np.array([
    [0.98, 0.01, 0.01],  # 0: sure
    [0.40, 0.35, 0.25],  # 1: least confident, highest entropy
    [0.50, 0.49, 0.01],  # 2: smallest margin
    [0.70, 0.20, 0.10],  # 3
    [0.336, 0.333, 0.331],  # 4: flattest of all
])  # fmt: skip


def unit(rows):
    rows = np.asarray(rows, dtype=float)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_uncertainty_strategies_by_hand():
    candidates = Candidates(PROBS)
    assert get("least-confidence").select(candidates, 2) == [4, 1]
    assert get("margin").select(candidates, 2) == [4, 2]
    assert get("entropy").select(candidates, 2) == [4, 1]


def test_random_is_seeded_and_needs_no_model():
    candidates = Candidates(None, embeddings=unit(np.eye(5)))
    first = get("random").select(candidates, 3, seed=1)
    assert first == get("random").select(candidates, 3, seed=1)
    assert len(set(first)) == 3


def test_diversity_covers_the_space_and_avoids_what_is_labelled():
    embeddings = unit([[1, 0], [0.99, 0.01], [0, 1], [0.01, 0.99], [-1, 0.05]])
    chosen = get("diversity").select(Candidates(None, embeddings), 3, seed=0)
    assert len(chosen) == 3
    groups = {0: "east", 1: "east", 2: "north", 3: "north", 4: "west"}
    assert {groups[i] for i in chosen} == {"east", "north", "west"}
    labelled = unit([[1, 0]])
    first = get("diversity").select(Candidates(None, embeddings, labelled_embeddings=labelled), 1)
    assert groups[first[0]] == "west"


def test_hybrid_picks_uncertain_and_different():
    probs = np.array([[0.5, 0.5], [0.51, 0.49], [0.52, 0.48], [0.99, 0.01], [0.98, 0.02]])
    embeddings = unit([[1, 0], [1, 0.001], [0, 1], [0.5, 0.5], [-1, 0]])
    chosen = get("hybrid").select(Candidates(probs, embeddings), 2)
    assert set(chosen) == {0, 2} or set(chosen) == {1, 2}, "two uncertain texts, not near-duplicates"
    assert get(DEFAULT).name == "margin"


def test_class_balanced_gives_the_rare_label_its_share():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.55, 0.45], [0.3, 0.7], [0.45, 0.55]])
    candidates = Candidates(probs, labelled_counts={0: 50, 1: 2})
    chosen = get("class-balanced").select(candidates, 2)
    assert any(probs[i].argmax() == 1 for i in chosen)
    assert 5 in chosen, "the most uncertain text predicted as the rare class"


def test_cold_start_picks_one_representative_per_cluster():
    rng = np.random.default_rng(0)
    centres = unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    points = unit(np.repeat(centres, 10, axis=0) + rng.normal(scale=0.05, size=(30, 3)))
    chosen = get("cold-start").select(Candidates(None, points), 3, seed=0)
    assert sorted(i // 10 for i in chosen) == [0, 1, 2]


def test_committee_sends_what_the_families_disagree_on_first():
    tfidf = np.array([[0.9, 0.1], [0.8, 0.2], [0.45, 0.55], [0.6, 0.4], [0.3, 0.7]])
    llm = np.array([[0.95, 0.05], [0.3, 0.7], [0.55, 0.45], [0.52, 0.48], [0.2, 0.8]])
    chosen = get("committee").select(Candidates(tfidf, committee=(tfidf, llm)), 3)
    assert chosen[:2] == [2, 1], "split votes first; of those, the less sure consensus (record 2) leads"
    assert chosen[2] == 3, "then the unanimous record whose consensus is least sure"
    with pytest.raises(ValueError, match="at least two model families"):
        get("committee").select(Candidates(tfidf, committee=(tfidf,)), 2)


def test_every_strategy_returns_distinct_positions_within_the_batch():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(3), size=40)
    embeddings = unit(rng.normal(size=(40, 8)))
    committee = (probs, rng.dirichlet(np.ones(3), size=40))
    for name in STRATEGIES:
        chosen = get(name).select(Candidates(probs, embeddings, labelled_counts={0: 1}, committee=committee), 7, seed=2)
        assert len(chosen) == 7 and len(set(chosen)) == 7 and all(0 <= i < 40 for i in chosen), name
        assert get(name).paper


def test_clear_errors():
    with pytest.raises(ValueError, match="unknown strategy 'smart'"):
        get("smart")
    with pytest.raises(ValueError, match="needs a model's probabilities; use cold-start first"):
        get("margin").select(Candidates(None, unit(np.eye(3))), 2)
    with pytest.raises(ValueError, match="needs the candidates' embeddings"):
        get("hybrid").select(Candidates(PROBS), 2)
    assert get("margin").select(Candidates(PROBS), 0) == []


def test_the_confident_share_replaces_the_tail_of_the_batch_with_sure_predictions_of_every_class():
    from loop.strategies.confident_share import mix

    probs = np.array([[0.5, 0.5], [0.55, 0.45], [0.95, 0.05], [0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.52, 0.48]])
    batch, confident = mix([0, 1, 6, 3], probs, share=0.5, min_probability=0.7, seed=1)
    assert batch[:2] == [0, 1], "the strategy's best stay"
    assert len(batch) == 4 and len(set(batch)) == 4 and batch[2:] == confident
    assert {int(np.argmax(probs[i])) for i in confident} == {0, 1}, "one per predicted class"
    assert all(probs[i].max() >= 0.7 for i in confident)
    assert mix([0, 1, 6, 3], probs, 0.5, 0.7, seed=1) == (batch, confident), "seeded: a replay asks the same"
    assert mix([0, 1, 6, 3], probs, share=0.5, min_probability=0.99, seed=1) == ([0, 1, 6, 3], []), (
        "nothing sure enough: the strategy's batch unchanged")
    assert mix([0, 1], None, 0.5, 0.7, 1) == ([0, 1], []), "no model yet: no confident share"
    assert mix([0, 1, 6, 3], probs, share=0.0, min_probability=0.7, seed=1) == ([0, 1, 6, 3], [])


def test_confirmations_report_precision_with_a_wilson_interval():
    from loop.confirmations import Confirmations

    assert Confirmations(0.7, 0, 0).precision is None and "no confident suggestion answered yet" in Confirmations(0.7, 0, 0).line()
    found = Confirmations(0.7, 20, 18)
    low, high = found.interval()
    assert found.precision == 0.9 and 0.69 < low < 0.70 and 0.97 < high < 0.98  # Wilson, 95%
    assert "18 of 20 confident ones confirmed (90%, 95% CI 70%–97%)" in found.line()
    assert Confirmations(0.7, 5, 5).interval()[1] == 1.0
