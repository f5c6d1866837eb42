"""small-text, the external baseline, on the same data, body, seed sets, batches and budget.

Two of its learners: ``setfit`` is its SetFit integration (the body is fine-tuned contrastively
and the head refitted every round, as small-text's examples do; ``max_steps`` caps each
fine-tune so a CPU run ends), and ``head`` is a logistic regression on the same cached
embeddings bucle's rounds use, which isolates the query strategy from the learner. Strategies:
breaking ties (small-text's recommended default) and random sampling.

small-text 2.0.0.dev4 is used because 1.4.1, the latest stable release, calls NumPy APIs that
NumPy 2 removed and SetFit's pre-1.0 trainer.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from bench.corpus import Corpus
from bench.learning_curves import Curve

STRATEGIES = ("breaking-ties", "random")
LEARNERS = ("head", "setfit")


def installed() -> str | None:
    try:
        return version("small-text")
    except PackageNotFoundError:
        return None


class SmallText:
    """Builds small-text's datasets and classifier factories once per corpus."""

    def __init__(
        self,
        corpus: Corpus,
        embeddings: np.ndarray,
        test_embeddings: np.ndarray,
        body: str,
        max_seq_length: int,
        setfit_steps: int,
    ) -> None:
        self.corpus, self.body, self.max_seq_length, self.setfit_steps = corpus, body, max_seq_length, setfit_steps
        self.y = np.array([corpus.classes.index(label) for label in corpus.pool_labels])
        self.test_y = np.array([corpus.classes.index(label) for label in corpus.test_labels])
        self.embeddings, self.test_embeddings = embeddings, test_embeddings

    def _data(self, learner: str):
        from small_text import SklearnDataset, TextDataset

        if learner == "head":
            return SklearnDataset(self.embeddings, self.y), SklearnDataset(self.test_embeddings, self.test_y)
        targets = np.arange(len(self.corpus.classes))
        return (
            TextDataset.from_arrays(self.corpus.pool_texts, self.y, target_labels=targets),
            TextDataset.from_arrays(self.corpus.test_texts, self.test_y, target_labels=targets),
        )

    def _factory(self, learner: str, seed: int):
        classes = len(self.corpus.classes)
        if learner == "head":
            from small_text import SklearnClassifierFactory

            return SklearnClassifierFactory(
                LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed), classes
            )
        from small_text.integrations.transformers.classifiers.factories import SetFitClassificationFactory
        from small_text.integrations.transformers.classifiers.setfit import SetFitModelArguments

        arguments = SetFitModelArguments(
            self.body,
            max_length=self.max_seq_length,
            max_steps=self.setfit_steps,
            train_batch_size=16,
            seed=seed,
            show_progress_bar=False,
            output_dir=tempfile.mkdtemp(prefix="bucle-small-text-"),
        )
        return SetFitClassificationFactory(
            arguments, classes, classification_kwargs={"max_length": self.max_seq_length}
        )

    def _f1(self, classifier, test) -> float:
        return float(f1_score(self.test_y, classifier.predict(test), average="macro", zero_division=0))

    def full_data_f1(self, learner: str, seed: int) -> float:
        pool, test = self._data(learner)
        with contextlib.redirect_stdout(io.StringIO()):
            return self._f1(self._factory(learner, seed).new().fit(pool), test)

    def run(self, strategy_name: str, learner: str, seed: int, seed_set: list[int], batch: int, budget: int) -> Curve:
        from small_text import BreakingTies, PoolBasedActiveLearner, RandomSampling

        np.random.seed(seed)  # small-text's random sampling draws from NumPy's global generator
        pool, test = self._data(learner)
        query = BreakingTies() if strategy_name == "breaking-ties" else RandomSampling()
        active = PoolBasedActiveLearner(self._factory(learner, seed), query, pool)
        curve = Curve(f"small-text · {strategy_name} · {learner}", seed)
        with contextlib.redirect_stdout(io.StringIO()):  # the Trainer prints its loss dicts
            start = time.perf_counter()
            active.initialize(np.array(seed_set))
            seconds = time.perf_counter() - start
            while True:
                n = len(active.indices_labeled)
                curve.add(n, self._f1(active.classifier, test), seconds)
                if n >= budget or n == len(self.y):
                    return curve
                start = time.perf_counter()
                queried = active.query(num_samples=min(batch, budget - n))
                active.update(self.y[queried])
                seconds = time.perf_counter() - start
