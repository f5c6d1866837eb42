"""Rounds of bucle's query strategies, simulated in memory with the gold labels as annotators.

The pieces are the loop's own: ``loop.strategies`` choose, on the calibrated probabilities of
the learner a round refits (the SetFit head on cached embeddings of the base body, or the TF-IDF
baseline) and on vectors in that learner's space (the body's embeddings, or LSA for TF-IDF),
exactly as ``loop.rounds._choose`` feeds them.
Only Argilla is left out: the gold label of a chosen text is its annotation.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Callable

import numpy as np
from sklearn.metrics import f1_score

from bench.corpus import Corpus
from bench.learning_curves import Curve
from bench.strategy_variants import POOL_SUFFIX, REDRAW_SUFFIX, split
from bucle.loop import strategies
from bucle.loop.text_space import is_lexical
from bucle.training.embedding_cache import EmbeddingCache
from bucle.training.models.base import TextClassifier
from bucle.training.models.setfit_model import SetFitClassifier
from bucle.training.models.tfidf import TfidfClassifier

Learner = Callable[[int], TextClassifier]  # seed -> an unfitted model
REDRAW_OFFSET = 1_000_000  # added to every round's draw seed under REDRAW_SUFFIX (the seed set stays the seed's own)


def learners(classes: list[str], body: str | None, max_seq_length: int, cache: EmbeddingCache) -> dict[str, Learner]:
    return {
        "setfit-head": lambda seed: SetFitClassifier(
            classes, body=body, max_seq_length=max_seq_length, seed=seed, cache=cache
        ),
        "tfidf": lambda seed: TfidfClassifier(classes, seed=seed),
    }


def macro_f1(model: TextClassifier, corpus: Corpus) -> float:
    return float(
        f1_score(
            corpus.test_labels,
            model.predict(corpus.test_texts),
            labels=corpus.classes,
            average="macro",
            zero_division=0,
        )
    )


def full_data_f1(corpus: Corpus, learner: Learner, seed: int) -> float:
    return macro_f1(learner(seed).fit(corpus.pool_texts, corpus.pool_labels), corpus)


def run(
    corpus: Corpus,
    strategy_name: str,
    learner_name: str,
    learner: Learner,
    embeddings: np.ndarray,
    target: np.ndarray | None,
    seed: int,
    seed_set: list[int],
    batch: int,
    budget: int,
) -> Curve:
    """Rounds from ``seed_set`` (pool positions) until ``budget`` labels or an empty pool; the
    random shares a strategy draws become its evidence, labelled by the gold, as the loop's are.
    ``embeddings``: the pool's, in the learner's space; ``target``: the target texts' there (or None)."""
    base, suffix = split(strategy_name)
    strategy = strategies.get(base)
    target = None if suffix == POOL_SUFFIX else target
    draws = REDRAW_OFFSET if suffix == REDRAW_SUFFIX else 0
    curve = Curve(f"bucle · {strategy_name} · {learner_name}", seed)
    labelled = list(seed_set)
    texts, gold = corpus.pool_texts, corpus.pool_labels
    evidence = strategies.Evidence()
    while True:
        start = time.perf_counter()
        model = learner(seed).fit([texts[i] for i in labelled], [gold[i] for i in labelled])
        seconds = time.perf_counter() - start
        f1, n = macro_f1(model, corpus), len(labelled)
        if n >= budget or n == len(texts):
            curve.add(n, f1, seconds)
            return curve
        start = time.perf_counter()
        taken = set(labelled)
        candidates = np.array([i for i in range(len(texts)) if i not in taken])
        probs = model.predict_proba([texts[i] for i in candidates])
        counts = dict(Counter(corpus.classes.index(gold[i]) for i in labelled))
        offered = strategies.Candidates(
            probs,
            embeddings[candidates],
            embeddings[labelled],
            counts,
            evidence=evidence,
            target=target,
            lexical=is_lexical(model.family),
        )
        size = min(batch, budget - n)
        pick = strategy.select(offered, size, draws + seed * 1000 + len(curve.labels) + 1)
        curve.add(n, f1, seconds + time.perf_counter() - start)
        explored = pick[: strategy.explored(offered, size)]
        evidence = strategies.Evidence(
            evidence.confidence + tuple(float(probs[i].max()) for i in explored),
            evidence.correct + tuple(model.classes[int(np.argmax(probs[i]))] == gold[candidates[i]] for i in explored),
        )
        labelled += candidates[pick].tolist()
