"""The baseline every model must beat: word and character n-gram TF-IDF with logistic regression.

Character n-grams (2–5, within word boundaries) make it robust to Spanish inflection and
spelling; class weights are balanced because active learning picks skewed batches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from training.calibration import calibrate
from training.models.base import TextClassifier, check_training_data

PIPELINE = "pipeline.joblib"


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
        self.calibrator = calibrate(build_pipeline(self.seed), list(texts), targets, len(self.classes), self.seed)
        return self

    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        probs = np.zeros((len(texts), len(self.classes)))
        probs[:, self.pipeline.classes_] = self.pipeline.predict_proba(list(texts))
        return probs

    def hyperparameters(self) -> dict:
        return {"word_ngrams": "1-2", "char_wb_ngrams": "2-5", "sublinear_tf": True, "C": 10.0,
                "class_weight": "balanced"}  # fmt: skip

    def save_model(self, folder: Path) -> None:
        joblib.dump(self.pipeline, folder / PIPELINE)

    @classmethod
    def load_model(cls, folder: Path, meta: dict) -> "TfidfClassifier":
        model = cls(meta["classes"])
        model.pipeline = joblib.load(folder / PIPELINE)
        return model
