"""The TF-IDF baseline analyses its training texts once: the calibration folds and the final
model are taken from those counts, and the result is what scikit-learn's pipeline fitted on the
texts gives, saved and loaded with skops alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
import skops.io

from tests.helpers import EXAMPLE_DATA
from bucle.training.calibration import out_of_fold_proba
from bucle.training.models.tfidf import PIPELINE, TfidfClassifier, build_pipeline, out_of_fold_texts

ROWS = [json.loads(line) for line in (EXAMPLE_DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()[:60]]
TEXTS, TOPICS = [r["text"][:1500] for r in ROWS], [r["topic"] for r in ROWS]
CLASSES = sorted(set(TOPICS))
TARGETS = np.array([CLASSES.index(topic) for topic in TOPICS])


def test_the_model_fitted_on_counts_is_the_pipeline_fitted_on_the_texts(tmp_path):
    model = TfidfClassifier(CLASSES, seed=3).fit(TEXTS[:40], TOPICS[:40])
    reference = build_pipeline(3).fit(TEXTS[:40], TARGETS[:40])
    # the saved model's probabilities are calibrated: T folded into the weights, same argmax
    assert (model.pipeline.predict(TEXTS[40:]) == reference.predict(TEXTS[40:])).all()
    model.save(tmp_path / "tfidf")
    loaded = skops.io.load(next((tmp_path / "tfidf").rglob(PIPELINE)))
    assert np.allclose(loaded.predict_proba(TEXTS[40:]), model.pipeline.predict_proba(TEXTS[40:]))


def test_out_of_fold_probabilities_match_refitting_the_pipeline_per_fold():
    ours = out_of_fold_texts(TEXTS, TARGETS, len(CLASSES), seed=1)
    theirs = out_of_fold_proba(build_pipeline(1), TEXTS, TARGETS, len(CLASSES), seed=1)
    assert ours is not None and np.abs(ours - theirs).max() < 1e-9


def test_scores_from_the_process_counts_equal_scikit_learns_and_survive_eviction(tmp_path):
    """A model scores from n-gram counts analysed once per process (``training.ngram_counts``):
    the same probabilities as the pipeline's own ``predict_proba``, fresh, cached, after the
    cache dropped texts, and for a model loaded from disk (its terms saved as an array)."""
    from bucle.training.models.base import TextClassifier
    from bucle.training.ngram_counts import COUNTS

    model = TfidfClassifier(CLASSES, seed=0).fit(TEXTS[:40], TOPICS[:40])
    reference = model.pipeline.predict_proba(TEXTS[40:])
    assert np.array_equal(model.raw_proba(TEXTS[40:])[:, model.pipeline.classes_], reference)
    assert np.array_equal(model.raw_proba(TEXTS[40:])[:, model.pipeline.classes_], reference), "from the cache"
    model.save(tmp_path / "tfidf")
    loaded = TextClassifier.load(tmp_path / "tfidf")
    assert np.allclose(loaded.raw_proba(TEXTS[40:]), model.raw_proba(TEXTS[40:]), atol=1e-12)
    limit, COUNTS.max_entries = COUNTS.max_entries, 1  # keeps one text at a time
    try:
        assert np.array_equal(model.raw_proba(TEXTS[40:])[:, model.pipeline.classes_], reference)
    finally:
        COUNTS.max_entries = limit
    assert np.array_equal(model.raw_proba([])[:0], np.zeros((0, len(CLASSES))))


def test_texts_analysed_ahead_are_scored_without_analysing_them_again():
    """What the warm step does for a TF-IDF champion's next window (``analyse_ahead``): the
    scoring only looks the texts up, and gives the pipeline's own probabilities."""
    from bucle.training.models.tfidf import analyse_ahead

    model = TfidfClassifier(CLASSES, seed=0).fit(TEXTS[:40], TOPICS[:40])
    window = [f"{text} (ventana)" for text in TEXTS[40:]]  # not in the process's cache yet
    reference = model.pipeline.predict_proba(window)  # scikit-learn's own analysis
    analyse_ahead(window)
    analysed = []
    for _, branch in model.pipeline.named_steps["features"].transformer_list:
        counts = branch.named_steps["counts"]
        analyse = counts.build_analyzer()
        counts.build_analyzer = lambda analyse=analyse: lambda text: analysed.append(text) or analyse(text)
    assert np.array_equal(model.raw_proba(window)[:, model.pipeline.classes_], reference)
    assert analysed == [], "every text was analysed ahead"


def test_fitting_in_the_row_space_reaches_the_optimum_over_every_column():
    """``fit_in_row_space`` (logistic regression on the training rows' coordinates, weights
    mapped back to the n-gram columns) minimises the same loss as scikit-learn's fit on the
    columns: with a tight tolerance both give the same weights, two classes and several."""
    from sklearn.linear_model import LogisticRegression

    from bucle.training.models.tfidf import fit_in_row_space

    features = build_pipeline(0).named_steps["features"].fit_transform(TEXTS)
    assert features.shape[1] > 10 * len(TEXTS), "many more columns than rows: the case it is for"
    for targets in (TARGETS, (TARGETS == TARGETS[0]).astype(int)):
        tight = dict(C=10.0, class_weight="balanced", tol=1e-10, max_iter=10_000)
        direct = LogisticRegression(**tight).fit(features, targets)
        ours = fit_in_row_space(LogisticRegression(**tight), features, targets)
        assert ours.coef_.shape == direct.coef_.shape and ours.n_features_in_ == features.shape[1]
        assert np.abs(ours.coef_ - direct.coef_).max() < 1e-5 * np.abs(direct.coef_).max()
        assert np.allclose(ours.predict_proba(features), direct.predict_proba(features), atol=1e-6)
    blank = fit_in_row_space(LogisticRegression(), sp.csr_matrix((4, 7)), np.array([0, 1, 0, 1]))
    assert not blank.coef_.any() and np.allclose(blank.predict_proba(sp.csr_matrix((1, 7))), 0.5), (
        "rows without n-grams"
    )


def _same_fit(ours, theirs, our_counts, their_counts) -> bool:
    arrays = ("indptr", "indices", "data")
    return (
        our_counts.shape == their_counts.shape
        and all(np.array_equal(getattr(our_counts, a), getattr(their_counts, a)) for a in arrays)
        and list(ours.vocabulary_.items()) == list(theirs.vocabulary_.items())
        and ours.fixed_vocabulary_ is theirs.fixed_vocabulary_ is False
    )


def test_fitting_from_the_process_counts_is_scikit_learns_fit_array_for_array():
    """``NgramCounts.fit_counts``: the vocabulary and counts ``CountVectorizer.fit_transform``
    gives, every array and the vocabulary's order the same, as a round's texts grow by a batch
    (only the batch analysed again), with a vocabulary cut to its most frequent n-grams, and after
    the lexicon of terms was emptied for room."""
    from sklearn.feature_extraction.text import CountVectorizer

    from bucle.training.models.tfidf import BRANCHES
    from bucle.training.ngram_counts import NgramCounts

    cache = NgramCounts()
    for texts, cut in ((TEXTS[:30], None), (TEXTS[:45], None), (TEXTS, 300), (TEXTS[::-1], 7)):
        for name, params in BRANCHES.items():
            params = dict(params, max_features=cut or params["max_features"])
            theirs, ours = CountVectorizer(**params), CountVectorizer(**params)
            assert _same_fit(ours, theirs, cache.fit_counts(name, ours, texts), theirs.fit_transform(texts))
    analysed, fresh = [], NgramCounts()
    for texts in (TEXTS[:45], TEXTS[:50]):
        words = CountVectorizer(**BRANCHES["words"])
        analyse = words.build_analyzer()
        words.build_analyzer = lambda analyse=analyse: lambda text: analysed.append(text) or analyse(text)
        fresh.fit_counts("words", words, texts)
    assert analysed == TEXTS[:50], "each text analysed once: the second fit analyses only the five added"
    small = NgramCounts(max_terms=500)
    for texts in (TEXTS[:20], TEXTS[:40]):
        theirs, ours = CountVectorizer(**BRANCHES["chars"]), CountVectorizer(**BRANCHES["chars"])
        assert _same_fit(ours, theirs, small.fit_counts("chars", ours, texts), theirs.fit_transform(texts))
    with pytest.raises(ValueError, match="empty vocabulary"):
        cache.fit_counts("words", CountVectorizer(**BRANCHES["words"]), ["1 2 3", "a e i"])
