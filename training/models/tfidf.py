"""The baseline every model must beat: word and character n-gram TF-IDF with logistic regression.

Character n-grams (2–5, within word boundaries) make it robust to Spanish inflection and
spelling; class weights are balanced because active learning picks skewed batches.

Saved with skops (``skops.io.load`` gives back scikit-learn's pipeline and never unpickles
arbitrary objects). Each vectorizer is saved with its terms as a fixed ``vocabulary`` array
rather than its fitted ``vocabulary_`` dict, which scikit-learn rebuilds on first use: skops
writes a dict entry by entry, minutes and tens of MB for a large vocabulary, an array in one go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import zipfile

import joblib
import numpy as np
import skops.io
from skops.io.exceptions import UntrustedTypesFoundException
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
                        # words of 2–40 letters: longer ones are noise (hashes, glued URLs) and bloat the vocabulary
                        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=200_000,
                                                  token_pattern=r"(?u)\b\w{2,40}\b")),
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
        calibration = calibrate(build_pipeline(self.seed), list(texts), targets, len(self.classes), self.seed)
        self.temperature, self.held_out = calibration.temperature, calibration.held_out
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
        vectorizers = [vectorizer for _, vectorizer in self.pipeline.named_steps["features"].transformer_list]
        fitted = [vectorizer.vocabulary_ for vectorizer in vectorizers]
        try:
            for vectorizer, vocabulary in zip(vectorizers, fitted):
                terms = sorted(vocabulary, key=vocabulary.__getitem__)
                vectorizer.vocabulary, vectorizer.fixed_vocabulary_ = np.array(terms), True
                del vectorizer.vocabulary_
            skops.io.dump(self.pipeline, folder / PIPELINE, compression=zipfile.ZIP_DEFLATED)
        finally:
            for vectorizer, vocabulary in zip(vectorizers, fitted):
                vectorizer.vocabulary, vectorizer.vocabulary_, vectorizer.fixed_vocabulary_ = None, vocabulary, False

    @classmethod
    def load_model(cls, folder: Path, meta: dict) -> "TfidfClassifier":
        model = cls(meta["classes"])
        if meta.get("format", 1) == 1:  # written by bucle itself before skops
            model.pipeline = joblib.load(folder / LEGACY_PIPELINE)
            return model
        try:
            model.pipeline = skops.io.load(folder / PIPELINE)  # scikit-learn's and NumPy's own types only
        except UntrustedTypesFoundException as error:
            raise TrainingError(f"{folder / PIPELINE} holds types a TF-IDF pipeline never has ({error})") from None
        return model
