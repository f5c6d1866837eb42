"""The TF-IDF baseline analyses its training texts once: the calibration folds and the final
model are taken from those counts, and the result is what scikit-learn's pipeline fitted on the
texts gives, saved and loaded with skops alone."""

from __future__ import annotations

import json

import numpy as np
import skops.io

from tests.helpers import EXAMPLE_DATA
from training.calibration import out_of_fold_proba
from training.models.tfidf import PIPELINE, TfidfClassifier, build_pipeline, out_of_fold_texts

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
