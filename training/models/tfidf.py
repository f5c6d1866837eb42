"""The baseline every model must beat: word and character n-gram TF-IDF with logistic regression.

Character n-grams (2–5, within word boundaries) make it robust to Spanish inflection and
spelling; class weights are balanced because active learning picks skewed batches.

The training texts' n-gram counts are taken once per fit (``Counts``): the calibration folds and
the final model take rows and columns of those counts, as fitting the pipeline on each fold's
texts would, without splitting long news into character n-grams six times. Fitting and scoring
take their counts from the process's n-gram cache (``training.ngram_counts``): a text is analysed
once per process, not once per model and round, whether it is scored (the test set, the
candidates, the stop set) or trained on (last round's labels and the new batch).

Saved with skops (``skops.io.load`` gives back scikit-learn's pipeline and never unpickles
arbitrary objects). Each vectorizer is saved with its terms as a fixed ``vocabulary`` array
rather than its fitted ``vocabulary_`` dict, which scikit-learn rebuilds on first use: skops
writes a dict entry by entry, minutes and tens of MB for a large vocabulary, an array in one go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import zipfile

import joblib
import numpy as np
import scipy.sparse as sp
import skops.io
from skops.io.exceptions import UntrustedTypesFoundException
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bucle.training.calibration import calibrate, fold_temperature, out_of_fold_proba
from bucle.training.errors import TrainingError
from bucle.training.ngram_counts import COUNTS, VocabularyLookup
from bucle.training.models.base import TextClassifier, check_training_data

PIPELINE = "pipeline.skops"  # scikit-learn's pipeline, loadable with skops.io.load and nothing of bucle
LEGACY_PIPELINE = "pipeline.joblib"  # format 1
BRANCHES = {
    # words of 2–40 letters: longer ones are noise (hashes, glued URLs) and bloat the vocabulary
    "words": {"ngram_range": (1, 2), "token_pattern": r"(?u)\b\w{2,40}\b", "max_features": 200_000},
    "chars": {"analyzer": "char_wb", "ngram_range": (2, 5), "max_features": 300_000},
}


def _classifier(seed: int) -> LogisticRegression:
    return LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=seed)


def _weighting() -> TfidfTransformer:
    return TfidfTransformer(sublinear_tf=True)


def build_pipeline(seed: int) -> Pipeline:
    """The model as scikit-learn runs it on texts: per branch, n-gram counts then TF-IDF
    weights (what ``TfidfVectorizer`` is), the branches side by side, logistic regression."""
    branches = [
        (name, Pipeline([("counts", CountVectorizer(**params)), ("tfidf", _weighting())]))
        for name, params in BRANCHES.items()
    ]
    return Pipeline([("features", FeatureUnion(branches)), ("classifier", _classifier(seed))])


class Counts:
    """The training texts analysed once: per branch, a fitted ``CountVectorizer`` and the texts'
    count rows; ``stacked`` puts the branches side by side for row-wise slicing."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.vectorizers = [CountVectorizer(**params) for params in BRANCHES.values()]
        blocks = [COUNTS.fit_counts(name, vectorizer, texts) for name, vectorizer in zip(BRANCHES, self.vectorizers)]
        self.widths = tuple(block.shape[1] for block in blocks)
        self.stacked = sp.hstack(blocks, format="csr")


def fit_in_row_space(
    classifier: LogisticRegression, features: sp.csr_matrix, targets: np.ndarray
) -> LogisticRegression:
    """``classifier`` fitted on ``features`` through coordinates of its n training rows instead
    of its hundreds of thousands of n-gram columns: the same optimum, ten times sooner with nine
    classes (most of a TF-IDF round's time went to L-BFGS over a weight per n-gram and class).

    With an L2 penalty the weights lie in the span of the training rows: writing the rows as
    ``U S Vᵀ``, fitting on ``U S`` (each row's coordinates in the orthonormal basis ``V``) and
    mapping the weights back by ``V`` minimises the same loss over the same weights, and L-BFGS
    takes the same steps, only its stopping test differs (the largest gradient entry in either
    basis). The returned classifier is scikit-learn's own, with weights over ``features``' columns.
    """
    gram = (features @ features.T).toarray()
    values, vectors = np.linalg.eigh(gram)
    keep = values > max(values.max(), 0.0) * 1e-10  # directions the rows do not span carry no weight
    if not keep.any():  # no row has a feature: one zero coordinate, the intercept alone
        coordinates, back = np.zeros((len(targets), 1)), np.zeros((len(targets), 1))
    else:
        scale = np.sqrt(values[keep])
        coordinates, back = vectors[:, keep] * scale, vectors[:, keep] / scale
    classifier.fit(coordinates, targets)
    classifier.coef_ = np.ascontiguousarray((features.T @ (back @ classifier.coef_.T)).T)
    classifier.n_features_in_ = features.shape[1]
    return classifier


class OnCounts(ClassifierMixin, BaseEstimator):
    """TF-IDF + logistic regression fitted on rows of ``Counts.stacked``: the pipeline fitted on
    those rows' texts, up to ties among equally frequent n-grams at a branch's cap (each branch
    keeps the columns its rows contain, at most ``max_features`` of them, most frequent first)."""

    def __init__(self, widths: tuple[int, ...] = (), seed: int = 0) -> None:
        self.widths = widths
        self.seed = seed

    def _blocks(self, counts: sp.csr_matrix) -> list[sp.csr_matrix]:
        edges = np.cumsum((0, *self.widths))
        return [counts[:, edges[i] : edges[i + 1]] for i in range(len(self.widths))]

    def fit(self, counts: sp.csr_matrix, targets: np.ndarray) -> "OnCounts":
        self.columns_, self.weights_ = [], []
        for block, params in zip(self._blocks(counts), BRANCHES.values()):
            frequency = np.asarray(block.sum(axis=0)).ravel()
            present = np.flatnonzero(frequency)
            if len(present) > params["max_features"]:
                present = np.sort(present[np.argsort(-frequency[present], kind="stable")[: params["max_features"]]])
            self.columns_.append(present)
            self.weights_.append(_weighting().fit(block[:, present]))
        self.classifier_ = fit_in_row_space(_classifier(self.seed), self._features(counts), targets)
        self.classes_ = self.classifier_.classes_
        return self

    def _features(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        return sp.hstack(
            [
                weights.transform(block[:, columns])
                for block, columns, weights in zip(self._blocks(counts), self.columns_, self.weights_)
            ],
            format="csr",
        )

    def predict_proba(self, counts: sp.csr_matrix) -> np.ndarray:
        return self.classifier_.predict_proba(self._features(counts))


def analyse_ahead(texts: Sequence[str]) -> None:
    """Split ``texts`` into every branch's n-grams in the process's cache now, so that a TF-IDF
    model scoring them later (a lexical champion choosing among the window) only looks them up."""
    for name, params in BRANCHES.items():
        COUNTS.analyse(name, CountVectorizer(**params).build_analyzer(), texts)


def out_of_fold_texts(texts: Sequence[str], targets: np.ndarray, n_classes: int, seed: int) -> np.ndarray | None:
    """``calibration.out_of_fold_proba`` of the TF-IDF model on ``texts``, analysed once."""
    counts = Counts(texts)
    return out_of_fold_proba(OnCounts(counts.widths, seed), counts.stacked, targets, n_classes, seed)


ANALYSIS_FREE = {"vocabulary", "max_features", "min_df", "max_df"}  # what changes the vocabulary, not the analysis


def _lookups(union: FeatureUnion) -> list[tuple[Callable[[str], list[str]], VocabularyLookup]]:
    """Per branch, its analyser and vocabulary, if every branch counts n-grams as ``BRANCHES``
    says (the cache is shared by analysis); else none."""
    found = []
    for (name, branch), params in zip(union.transformer_list, BRANCHES.values()):
        vectorizer = branch.named_steps.get("counts") if isinstance(branch, Pipeline) else None
        if vectorizer is None or name not in BRANCHES or len(union.transformer_list) != len(BRANCHES):
            return []
        theirs = {k: v for k, v in vectorizer.get_params().items() if k not in ANALYSIS_FREE}
        ours = {k: v for k, v in CountVectorizer(**params).get_params().items() if k not in ANALYSIS_FREE}
        if theirs != ours:
            return []
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        if vocabulary is None:  # loaded: the terms as saved, in column order (``save_model``)
            vocabulary = {term: column for column, term in enumerate(vectorizer.vocabulary)}
        found.append((vectorizer.build_analyzer(), VocabularyLookup(vocabulary)))
    return found


class TfidfClassifier(TextClassifier):
    family = "tfidf"

    def __init__(self, classes: Sequence[str], seed: int = 42) -> None:
        super().__init__(classes)
        self.seed = seed
        self.pipeline = build_pipeline(seed)
        self._lookups: list | None = None  # per branch: its analyser and vocabulary lookup, once fitted

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "TfidfClassifier":
        check_training_data(texts, labels, self.classes)
        targets = np.array([self.classes.index(label) for label in labels])
        counts = Counts(texts)
        full = OnCounts(counts.widths, self.seed).fit(counts.stacked, targets)
        calibration = calibrate(
            OnCounts(counts.widths, self.seed), counts.stacked, targets, len(self.classes), self.seed
        )
        self.temperature, self.held_out = calibration.temperature, calibration.held_out
        # every column is present in the full set: the fitted vectorizers and weights are the pipeline's
        branches = [
            (name, Pipeline([("counts", vectorizer), ("tfidf", weights)]))
            for name, vectorizer, weights in zip(BRANCHES, counts.vectorizers, full.weights_)
        ]
        self.pipeline = Pipeline(
            [("features", FeatureUnion(branches)), ("classifier", fold_temperature(full.classifier_, self.temperature))]
        )
        self._lookups = None
        return self

    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        probs = np.zeros((len(texts), len(self.classes)))
        if len(texts):
            probs[:, self.pipeline.classes_] = self.pipeline.steps[-1][1].predict_proba(self._features(list(texts)))
        return probs

    def _features(self, texts: list[str]) -> sp.csr_matrix:
        """The pipeline's features of ``texts``, their n-gram counts from the process's cache
        (``training.ngram_counts``) where the vectorizers analyse as ``BRANCHES`` says."""
        union = self.pipeline.named_steps["features"]
        if self._lookups is None:
            self._lookups = _lookups(union)
        if not self._lookups:  # an older layout (TfidfVectorizer) or another analysis: scikit-learn's own way
            return union.transform(texts)
        blocks = [
            branch.named_steps["tfidf"].transform(COUNTS.matrix(name, analyse, texts, lookup))
            for (name, branch), (analyse, lookup) in zip(union.transformer_list, self._lookups)
        ]
        return sp.hstack(blocks, format="csr")

    def hyperparameters(self) -> dict:
        return {
            "word_ngrams": "1-2",
            "char_wb_ngrams": "2-5",
            "sublinear_tf": True,
            "C": 10.0,
            "class_weight": "balanced",
        }

    def save_model(self, folder: Path) -> None:
        vectorizers = [
            branch.named_steps["counts"] if isinstance(branch, Pipeline) else branch  # older: TfidfVectorizer
            for _, branch in self.pipeline.named_steps["features"].transformer_list
        ]
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
