"""What every query strategy sees and returns.

A strategy gets the unlabelled candidates' calibrated class probabilities (rows in candidate
order; None before any model exists), their cached embeddings, a committee's probabilities and
the target's vectors (None where a strategy does not need them), and returns the positions of
the ``batch_size`` candidates to send to annotators, most useful first. A strategy that draws part
of a batch at random says how many of its first picks those are (``explored``): with the labels
annotators give them, they are the evidence (``Evidence``) a hedged strategy weighs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np


@dataclass(frozen=True)
class Evidence:
    """Records of earlier random shares, now labelled: the model's confidence in its prediction
    when the record was chosen, and whether annotators gave that label. An unbiased sample of
    what the model had not seen, so it says how well the model's confidence tracked its errors."""

    confidence: tuple[float, ...] = ()
    correct: tuple[bool, ...] = ()

    def __len__(self) -> int:
        return len(self.confidence)

    def to_json(self) -> dict[str, list]:
        return {"confidence": list(self.confidence), "correct": list(self.correct)}

    @classmethod
    def from_json(cls, data: dict[str, list]) -> "Evidence":
        return cls(tuple(data["confidence"]), tuple(data["correct"]))


@dataclass(frozen=True)
class Candidates:
    probs: np.ndarray | None  # (n, classes), calibrated
    embeddings: np.ndarray | None = None  # (n, dims), unit length
    labelled_embeddings: np.ndarray | None = None  # what is already labelled, for coverage
    labelled_counts: dict[int, int] | None = None  # labels so far per class index
    committee: tuple[np.ndarray, ...] | None = None  # each member's probabilities, rows as ``probs``
    evidence: Evidence | None = None  # earlier random shares' outcomes, for strategies that weigh them
    # where the model will be judged and used (the frozen test set's texts, never their labels):
    # typicality is measured among these; None: among the candidates themselves
    target: np.ndarray | None = None
    # the embeddings are LSA of the texts' words (``loop.text_space``: a TF-IDF champion's space),
    # not a sentence encoder's: a sparse region there is an odd text, not a rare class
    lexical: bool = False
    # how a strategy whose ranking depends on the candidates ranks (``QueryStrategy.variant``), as a
    # replayed round recorded it; None: as the strategy decides now
    variant: str | None = None

    def __len__(self) -> int:
        reference = self.probs if self.probs is not None else self.embeddings
        return 0 if reference is None else len(reference)


class QueryStrategy(ABC):
    name: ClassVar[str]
    paper: ClassVar[str]  # where the idea comes from
    needs_model: ClassVar[bool] = True
    needs_embeddings: ClassVar[bool] = False
    needs_committee: ClassVar[bool] = False
    zero_shot: ClassVar[bool] = False  # without a model, ranks on the label descriptions' zero-shot probabilities
    weighs_evidence: ClassVar[bool] = False  # reads ``Candidates.evidence``: earlier random shares' outcomes
    weighs_typicality: ClassVar[bool] = False  # reads ``Candidates.target``: typicality among the target's texts
    variants: ClassVar[tuple[str, ...]] = ()  # the ways ``variant`` names, where it ranks more than one way
    unrecorded_variant: ClassVar[str | None] = None  # ``variant`` in manifests older than its record

    def explored(self, candidates: Candidates, batch_size: int) -> int:
        """How many of the first picks ``rank`` drew uniformly at random (none, unless it says)."""
        return 0

    def variant(self, candidates: Candidates) -> str | None:
        """How it ranks these candidates, where that depends on them (e.g. on the space they are
        compared in); a round's manifest records it, so that a replay ranks the same way after
        the rule has changed. None: one way only."""
        return None

    @abstractmethod
    def rank(self, candidates: Candidates, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """Positions of up to ``batch_size`` candidates, most useful first."""

    def select(self, candidates: Candidates, batch_size: int, seed: int = 0) -> list[int]:
        if batch_size <= 0 or len(candidates) == 0:
            return []
        if self.needs_model and candidates.probs is None:
            if self.zero_shot:
                raise ValueError(f"the {self.name} strategy needs the label descriptions' zero-shot probabilities")
            raise ValueError(f"the {self.name} strategy needs a model's probabilities; use cold-start first")
        if self.needs_embeddings and candidates.embeddings is None:
            raise ValueError(f"the {self.name} strategy needs the candidates' embeddings")
        if self.needs_committee and (candidates.committee is None or len(candidates.committee) < 2):
            raise ValueError(f"the {self.name} strategy needs versions of at least two model families")
        chosen = self.rank(candidates, min(batch_size, len(candidates)), np.random.default_rng(seed))
        return [int(i) for i in chosen]


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first (stable for ties: lower position first)."""
    return np.argsort(-scores, kind="stable")[:k]
