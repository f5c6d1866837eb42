"""The TF-IDF baseline analyses its training texts once: the calibration folds and the final
model are taken from those counts, and the result is what scikit-learn's pipeline fitted on the
texts gives, saved and loaded with skops alone."""

from __future__ import annotations

import json

import numpy as np
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
