"""Query strategies on hand-made probability matrices and embeddings."""

import numpy as np
import pytest

from bucle.loop.strategies import DEFAULT, STRATEGIES, Candidates, get

PROBS = np.array(
    [
        [0.98, 0.01, 0.01],  # 0: sure
        [0.40, 0.35, 0.25],  # 1: least confident, highest entropy
        [0.50, 0.49, 0.01],  # 2: smallest margin
        [0.70, 0.20, 0.10],  # 3
        [0.336, 0.333, 0.331],  # 4: flattest of all
    ]
)


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
    assert get(DEFAULT).name == "hedged"


def test_class_balanced_gives_the_rare_label_its_share():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.55, 0.45], [0.3, 0.7], [0.45, 0.55]])
    candidates = Candidates(probs, labelled_counts={0: 50, 1: 2})
    chosen = get("class-balanced").select(candidates, 2)
    assert any(probs[i].argmax() == 1 for i in chosen)
    assert 5 in chosen, "the most uncertain text predicted as the rare class"


def test_cold_start_asks_about_every_label_in_turn_from_the_descriptions():
    from bucle.loop.strategies.cold_start import zero_shot_probs

    descriptions = unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    texts = unit([[0.9, 0.1, 0], [0.95, 0.05, 0], [0.8, 0.2, 0.1], [0.1, 0.9, 0], [0.2, 0.1, 0.7], [0.3, 0.3, 0.3]])
    probs = zero_shot_probs(texts, descriptions)
    assert np.allclose(probs.sum(axis=1), 1) and probs[1].argmax() == 0 and probs[4].argmax() == 2
    chosen = get("cold-start").select(Candidates(probs), 4)
    assert chosen == [1, 3, 4, 0], "the best fit of each description, then the next of the first"
    assert get("cold-start").select(Candidates(probs, labelled_counts={0: 5, 1: 5}), 1) == [4], (
        "the uncovered label first"
    )
    with pytest.raises(ValueError, match="zero-shot probabilities"):
        get("cold-start").select(Candidates(None, texts), 2)


def test_representatives_go_to_the_largest_clusters_no_label_covers():
    rng = np.random.default_rng(0)
    centres = unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    sizes = [20, 12, 6]
    points = unit(
        np.vstack([np.repeat(c[None], n, axis=0) for c, n in zip(centres, sizes)])
        + rng.normal(scale=0.05, size=(sum(sizes), 3))
    )
    group = np.repeat([0, 1, 2], sizes)
    first = get("representative").select(Candidates(None, points), 1, seed=0)
    assert group[first[0]] == 0, "the largest cluster first"
    assert sorted(group[get("representative").select(Candidates(None, points), 3, seed=0)]) == [0, 1, 2]
    covered = get("representative").select(Candidates(None, points, labelled_embeddings=unit([[1, 0.01, 0]])), 2)
    assert sorted(group[covered]) == [1, 2], "a label already covers the largest cluster"


def test_cluster_margin_asks_about_different_confusions():
    probs = np.array([[0.5, 0.5], [0.505, 0.495], [0.51, 0.49], [0.52, 0.48], [0.9, 0.1], [0.99, 0.01]])
    embeddings = unit([[1, 0], [1, 0.001], [1, 0.002], [-1, 0], [-1, 0.05], [-1, 0.1]])
    chosen = get("cluster-margin").select(Candidates(probs, embeddings), 2, seed=0)
    assert chosen[0] == 0 and chosen[1] == 3, "the most uncertain, then the most uncertain elsewhere, not its twins"


def test_density_margin_prefers_an_uncertain_text_with_neighbours_over_an_outlier():
    probs = np.array([[0.5, 0.5], [0.52, 0.48], [0.9, 0.1], [0.91, 0.09], [0.92, 0.08]])
    embeddings = unit([[-1, 0.1], [1, 0], [1, 0.05], [1, 0.1], [1, 0.02]])
    assert get("density-margin").select(Candidates(probs, embeddings), 1) == [1]


def test_density_margin_weighs_typicality_of_the_target_where_there_is_one():
    # two equally uncertain texts: one in the pool's dense corner, one like the texts the model is judged on
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1], [0.91, 0.09], [0.92, 0.08]])
    embeddings = unit([[1, 0], [0, 1], [1, 0.02], [1, 0.04], [1, 0.06]])
    target = unit([[0.02, 1], [0.04, 1], [-0.02, 1]])
    assert get("density-margin").select(Candidates(probs, embeddings), 1) == [0], "typical of the pool"
    for name in ("density-margin", "diverse-density-margin", "density-cluster-margin"):
        assert get(name).weighs_typicality
        assert get(name).select(Candidates(probs, embeddings, target=target), 1) == [1], f"{name}: of the target"


def test_typicality_among_other_texts_counts_no_text_as_its_own_neighbour():
    from bucle.loop.strategies.density_margin import density

    vectors = unit([[1, 0], [0, 1]])
    assert density(vectors, neighbours=1).tolist() == [0.0, 0.0], "among themselves: each other only"
    assert np.allclose(density(vectors, neighbours=1, among=vectors), [1.0, 1.0]), "among others: the twin counts"
    assert np.allclose(density(vectors, neighbours=5, among=unit([[1, 0]])), [1.0, 0.0]), "k capped by the target"


def test_diverse_density_margin_does_not_fill_a_batch_with_near_copies():
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [0.51, 0.49], [0.51, 0.49], [0.6, 0.4], [0.6, 0.4], [0.61, 0.39]])
    embeddings = unit([[1, 0], [1, 0.01], [1, 0.02], [1, 0.03], [0, 1], [0.01, 1], [0.02, 1]])
    assert set(get("density-margin").select(Candidates(probs, embeddings), 2)) <= {0, 1, 2, 3}, (
        "near copies, ranked alone"
    )
    chosen = get("diverse-density-margin").select(Candidates(probs, embeddings), 2)
    assert chosen[0] in {0, 1, 2, 3} and chosen[1] in {4, 5, 6}, "the best, then the best unlike it"
    assert len(set(get("diverse-density-margin").select(Candidates(probs, embeddings), 7))) == 7


def test_epsilon_margin_takes_a_seeded_random_share():
    probs = np.linspace([0.5, 0.5], [0.99, 0.01], 40)
    chosen = get("epsilon-margin").select(Candidates(probs), 8, seed=4)
    assert chosen[:6] == list(range(6)), "three quarters by margin"
    assert all(i >= 6 for i in chosen[6:]) and chosen == get("epsilon-margin").select(Candidates(probs), 8, seed=4)


def test_lsa_space_puts_texts_on_one_topic_together():
    from bucle.loop.text_space import lsa_vectors

    texts = [
        "El Banco Central sube los tipos de interés y la inflación baja",
        "La inflación y los tipos de interés preocupan al Banco Central",
        "El equipo ganó el partido de fútbol con un gol en el último minuto",
        "Un gol de cabeza decide el partido de fútbol del domingo",
    ] * 15
    vectors = lsa_vectors(texts)
    assert vectors.shape[0] == 60 and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert lsa_vectors([]).shape[0] == 0 and lsa_vectors(["uno", "dos"]).shape[0] == 2


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
    from bucle.loop.strategies.confident_share import mix

    probs = np.array([[0.5, 0.5], [0.55, 0.45], [0.95, 0.05], [0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.52, 0.48]])
    batch, confident = mix([0, 1, 6, 3], probs, share=0.5, min_probability=0.7, seed=1)
    assert batch[:2] == [0, 1], "the strategy's best stay"
    assert len(batch) == 4 and len(set(batch)) == 4 and batch[2:] == confident
    assert {int(np.argmax(probs[i])) for i in confident} == {0, 1}, "one per predicted class"
    assert all(probs[i].max() >= 0.7 for i in confident)
    assert mix([0, 1, 6, 3], probs, 0.5, 0.7, seed=1) == (batch, confident), "seeded: a replay asks the same"
    assert mix([0, 1, 6, 3], probs, share=0.5, min_probability=0.99, seed=1) == ([0, 1, 6, 3], []), (
        "nothing sure enough: the strategy's batch unchanged"
    )
    assert mix([0, 1], None, 0.5, 0.7, 1) == ([0, 1], []), "no model yet: no confident share"
    assert mix([0, 1, 6, 3], probs, share=0.0, min_probability=0.7, seed=1) == ([0, 1, 6, 3], [])


def test_confirmations_report_precision_with_a_wilson_interval():
    from bucle.loop.confirmations import Confirmations

    assert (
        Confirmations(0.7, 0, 0).precision is None
        and "no confident suggestion answered yet" in Confirmations(0.7, 0, 0).line()
    )
    found = Confirmations(0.7, 20, 18)
    low, high = found.interval()
    assert found.precision == 0.9 and 0.69 < low < 0.70 and 0.97 < high < 0.98  # Wilson, 95%
    assert "18 of 20 confident ones confirmed (90%, 95% CI 70%–97%)" in found.line()
    assert Confirmations(0.7, 5, 5).interval()[1] == 1.0


def test_confident_learning_flags_labels_the_rest_of_the_data_contradicts():
    from bucle.loop.label_issues import label_issues

    economy = [
        "El banco central sube los tipos de interés por la inflación",
        "La bolsa cae y el euro pierde valor",
        "El paro baja y el empleo crece en el sector industrial",
        "Los precios de la vivienda y los alquileres suben",
    ]
    sport = [
        "El equipo ganó el partido con un gol en el último minuto",
        "La selección de fútbol jugará la final del torneo",
        "El tenista ganó el torneo tras un partido de cinco sets",
        "El ciclista lidera la vuelta tras la etapa de montaña",
    ]
    texts = [f"{text} ({i})" for i in range(6) for text in economy + sport]
    labels = ["economía" if j < 4 else "deporte" for _ in range(6) for j in range(8)]
    flipped = {3, 12, 30}
    noisy = [
        ("deporte" if label == "economía" else "economía") if i in flipped else label for i, label in enumerate(labels)
    ]
    issues = label_issues([str(i) for i in range(len(texts))], texts, noisy)
    assert {int(issue.id) for issue in issues[:3]} == flipped
    assert all(issue.predicted != issue.given and issue.probability > 0.5 > issue.quality for issue in issues[:3])
    assert label_issues(["a", "b"], ["uno", "dos"], ["x", "x"]) == [], "one label: nothing to contradict"


def hedged_inputs(seed: int = 4, n: int = 60):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(3), size=n), unit(rng.normal(size=(n, 8)))


def test_hedged_without_evidence_draws_the_batch_random_sampling_draws():
    probs, embeddings = hedged_inputs()
    candidates = Candidates(probs, embeddings)
    assert get("hedged").select(candidates, 8, seed=5) == get("random").select(candidates, 8, seed=5)
    assert get("hedged").explored(candidates, 8) == 8


def test_hedged_trusts_the_uncertainty_as_far_as_the_random_shares_showed_it_points_at_errors():
    from bucle.loop.strategies import Evidence
    from bucle.loop.strategies.density_margin import density_margin_scores
    from bucle.loop.strategies.hedged import FLOOR, random_share

    probs, embeddings = hedged_inputs()
    wrong_when_unsure = Evidence(
        tuple(np.linspace(0.4, 0.6, 20)) + tuple(np.linspace(0.8, 1.0, 60)), (False,) * 20 + (True,) * 60
    )
    wrong_when_sure = Evidence(wrong_when_unsure.confidence, (True,) * 60 + (False,) * 20)
    few = Evidence(wrong_when_unsure.confidence[18:22], wrong_when_unsure.correct[18:22])
    assert random_share(wrong_when_sure) == 1.0, "uncertainty that misses the errors: random sampling"
    assert FLOOR < random_share(wrong_when_unsure) < random_share(few) < 1.0, "the share shrinks as evidence grows"
    hedged = get("hedged")
    trusted = Candidates(probs, embeddings, evidence=wrong_when_unsure, lexical=True)
    k = hedged.explored(trusted, 16)
    assert k == round(random_share(wrong_when_unsure) * 16) and k >= FLOOR * 16
    chosen = hedged.select(trusted, 16, seed=5)
    assert chosen[:k] == get("random").select(trusted, 16, seed=5)[:k], "the random share comes first"
    scores = density_margin_scores(trusted)
    scores[chosen[:k]] = -np.inf
    assert chosen[k:] == np.argsort(-scores, kind="stable")[: 16 - k].tolist(), (
        "among word vectors density-margin takes the rest"
    )


def test_hedged_shift_draws_hedged_random_share_and_weighs_margin_by_the_test_sets_pull():
    from bucle.loop.strategies import Evidence
    from bucle.loop.strategies.typicality_ratio import typicality_ratio
    from bucle.loop.strategies.uncertainty import margin_scores

    rng = np.random.default_rng(0)
    near, far = rng.normal(size=8), rng.normal(size=8)
    embeddings = unit(np.vstack([far + 0.5 * rng.normal(size=(40, 8)), near + 0.5 * rng.normal(size=(20, 8))]))
    probs = rng.dirichlet(np.ones(3), size=60)
    evidence = Evidence(
        tuple(np.linspace(0.4, 0.6, 20)) + tuple(np.linspace(0.8, 1.0, 60)), (False,) * 20 + (True,) * 60
    )
    alone = Candidates(probs, embeddings, evidence=evidence, lexical=True)
    shift, hedged = get("hedged-shift"), get("hedged")
    k = shift.explored(alone, 16)
    chosen = shift.select(alone, 16, seed=5)
    assert k < 16 and chosen[:k] == hedged.select(alone, 16, seed=5)[:k], "hedged's random share, draw for draw"
    assert chosen != hedged.select(alone, 16, seed=5), "among word vectors hedged keeps density-margin"
    assert np.all(typicality_ratio(alone) == 1.0), "no target: nothing pulls"
    scores = margin_scores(probs).astype(float)
    scores[chosen[:k]] = -np.inf
    assert chosen[k:] == np.argsort(-scores, kind="stable")[: 16 - k].tolist(), "without a target the rest is margin's"

    drifted = Candidates(probs, embeddings, evidence=evidence, target=unit(near + 0.5 * rng.normal(size=(30, 8))))
    ratio = typicality_ratio(drifted)
    assert ratio[40:].mean() > 2 * ratio[:40].mean(), "texts like the test set's count more than the pool's bulk"
    exploited = shift.select(drifted, 16, seed=5)[k:]
    assert sum(i >= 40 for i in exploited) > len(exploited) / 2, "the exploited picks lean toward the test set"
    encoded = Candidates(probs, embeddings, evidence=evidence, target=drifted.target)
    assert hedged.select(encoded, 16, seed=5) == shift.select(encoded, 16, seed=5), "hedged's own among an encoder's"


def test_hedged_names_how_it_ranks_the_rest_and_a_replay_can_ask_for_the_recorded_way():
    from dataclasses import replace

    from bucle.loop.strategies import Evidence

    rng = np.random.default_rng(1)
    near = rng.normal(size=8)
    embeddings = unit(np.vstack([rng.normal(size=(40, 8)), near + 0.5 * rng.normal(size=(20, 8))]))
    target = unit(near + 0.5 * rng.normal(size=(30, 8)))
    evidence = Evidence(
        tuple(np.linspace(0.4, 0.6, 20)) + tuple(np.linspace(0.8, 1.0, 60)), (False,) * 20 + (True,) * 60
    )
    encoded = Candidates(rng.dirichlet(np.ones(3), size=60), embeddings, evidence=evidence, target=target)
    words = replace(encoded, lexical=True)
    hedged, shift = get("hedged"), get("hedged-shift")
    assert hedged.variant(encoded) == "typicality-ratio" and hedged.variant(words) == "density-margin"
    assert shift.variant(words) == "typicality-ratio" and get("margin").variant(encoded) is None
    recorded = replace(encoded, variant="density-margin")  # a round recorded before the split by space
    assert hedged.select(recorded, 16, seed=5) == hedged.select(words, 16, seed=5) != hedged.select(encoded, 16, seed=5)
    assert hedged.unrecorded_variant == "density-margin" and shift.unrecorded_variant == "typicality-ratio"


@pytest.mark.parametrize("family, lexical", [("tfidf", True), ("lora", True), ("setfit", False)])
def test_strategies_compare_texts_by_their_words_for_every_champion_but_setfit(family, lexical):
    from bucle.loop.text_space import is_lexical

    assert not is_lexical(None), "no champion: the body's space"
    assert is_lexical(family) is lexical
