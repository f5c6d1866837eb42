"""The baseline every model must beat: word and character n-gram TF-IDF with logistic regression.

Character n-grams (2–5, within word boundaries) make it robust to Spanish inflection and
spelling; class weights are balanced because active learning picks skewed batches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import joblib
import numpy as np
import skops.io
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from training.calibration import calibrate, fold_temperature
from training.errors import TrainingError
from training.models.base import TextClassifier, check_training_data

PIPELINE = "pipeline.skops"  # scikit-learn's pipeline, loadable with skops.io.load and nothing of bucle
LEGACY_PIPELINE = "pipeline.joblib"  # format 1


def build_pipeline(seed: int) -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=200_000)),
                        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                                  min_df=1, max_features=300_000)),
                    ]  # fmt: skip
                ),
            ),
            ("classifier", LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=seed)),
        ]
    )


class TfidfClassifier(TextClassifier):
    family = "tfidf"

    def __init__(self, classes: Sequence[str], seed: int = 42) -> None:
        super().__init__(classes)
        self.seed = seed
        self.pipeline = build_pipeline(seed)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "TfidfClassifier":
        check_training_data(texts, labels, self.classes)
        targets = np.array([self.classes.index(label) for label in labels])
        self.pipeline.fit(list(texts), targets)
        self.temperature = calibrate(build_pipeline(self.seed), list(texts), targets, len(self.classes), self.seed).temperature
        self.pipeline.steps[-1] = ("classifier", fold_temperature(self.pipeline.steps[-1][1], self.temperature))
        return self

    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        probs = np.zeros((len(texts), len(self.classes)))
        probs[:, self.pipeline.classes_] = self.pipeline.predict_proba(list(texts))
        return probs

    def hyperparameters(self) -> dict:
        return {"word_ngrams": "1-2", "char_wb_ngrams": "2-5", "sublinear_tf": True, "C": 10.0,
                "class_weight": "balanced"}  # fmt: skip

    def save_model(self, folder: Path) -> None:
        skops.io.dump(self.pipeline, folder / PIPELINE)

    @classmethod
    def load_model(cls, folder: Path, meta: dict) -> "TfidfClassifier":
        model = cls(meta["classes"])
        if meta.get("format", 1) == 1:  # written by bucle itself before skops
            model.pipeline = joblib.load(folder / LEGACY_PIPELINE)
            return model
        untrusted = skops.io.get_untrusted_types(file=folder / PIPELINE)
        if untrusted:  # never unpickle what a TF-IDF pipeline does not hold
            raise TrainingError(f"{folder / PIPELINE} holds types a TF-IDF pipeline never has: {', '.join(untrusted)}")
        model.pipeline = skops.io.load(folder / PIPELINE)
        return model
