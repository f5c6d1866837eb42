"""What each step of a round returns, typed; the round manifest stores them as JSON under the
same keys (so manifests written by earlier versions of bucle still read, and replay)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from bucle.loop.manifest import RoundManifest
from bucle.training.outcome import Trained

T = TypeVar("T")


@dataclass(frozen=True)
class Pulled:
    answers: int
    new_labels: int
    ties: int = 0
    discarded: list[str] = field(default_factory=list)  # records every annotator discarded
    agreement: dict[str, Any] = field(default_factory=dict)
    # Argilla's counts before the pull (answers after them start the next round); None in older manifests
    completed: int | None = None
    discards: int | None = None
    received: list[str] | None = None  # None in manifests older than replay
    annotators: dict[str, list[int]] | None = None  # [agreed with the final label, answered] per annotator


@dataclass(frozen=True)
class Exported:
    folder: str
    train: int
    test: int


@dataclass(frozen=True)
class Training:
    trained: bool
    reason: str = ""  # why not, when not trained; the gate's verdict when trained
    round: int | None = None  # the registry's training number
    versions: dict[str, float] = field(default_factory=dict)
    best: str | None = None
    promote: bool = False
    fine_tuned: bool = False
    grams_co2eq: dict[str, float] = field(default_factory=dict)
    rule: str = ""  # the gate's rule that decided (training.promotion)

    @classmethod
    def of(cls, trained: Trained, grams: dict[str, float]) -> "Training":
        return cls(
            True,
            trained.reason,
            trained.round,
            trained.versions,
            trained.best,
            trained.promote,
            trained.fine_tuned,
            grams,
            trained.rule,
        )

    def outcome(self) -> Trained:
        return Trained(self.round, self.versions, self.best, self.promote, self.reason, self.fine_tuned, self.rule)


@dataclass(frozen=True)
class Gated:
    champion: str | None
    promoted: bool
    reason: str = ""


@dataclass(frozen=True)
class Scored:
    model: str | None
    predictions: list[str]  # the champion's labels for the stop set


@dataclass(frozen=True)
class Selection:
    ids: list[str]
    labels: list[str | None]
    scores: list[float | None]
    model: str | None
    strategy: str
    committee: list[str] | None = None  # the versions a committee strategy asked
    held: str | None = None  # why nothing was selected: a full batch still waiting in Argilla
    confirm: list[str] = field(default_factory=list)  # the confident share, marked for quick confirmation
    explored: list[str] = field(default_factory=list)  # drawn uniformly at random (a hedged strategy's share)
    # what a hedged strategy weighed: earlier random shares' confidence and correctness (replay reuses it)
    evidence: dict[str, list] | None = None
    target: int | None = None  # how many test texts typicality was measured among (None: the candidates')
    # how the strategy ranked, where that depends on the candidates (``QueryStrategy.variant``: hedged's
    # rest by density-margin or the typicality ratio); None: one way only, or a manifest older than it
    variant: str | None = None
    # how many candidates it chose among (``rounds._window_size``); None: a manifest older than it
    # (``loop.candidates``, as bucle.yaml says now)
    window: int | None = None


@dataclass(frozen=True)
class Pushed:
    pushed: int


@dataclass(frozen=True)
class Warmed:
    embedded: int  # the next candidates' vectors computed ahead of the next push
    stopped: str | None = None  # why it stopped short: the next round was already due (None: it did not)


@dataclass(frozen=True)
class Refreshed:
    ids: list[str]
    model: str | None
    labels: list[str] | None = None  # the new predictions (None in manifests older than them)
    scores: list[float] | None = None


@dataclass(frozen=True)
class Reviewed:
    answered: int = 0  # review answers applied this round (loop.label_review)
    changed: int = 0  # of which gave another label
    flagged: int | None = None  # records confident learning flags now; None: not ranked this round
    sent: list[str] = field(default_factory=list)
    skipped: str = ""  # why nothing was ranked


@dataclass(frozen=True)
class PublishStep:
    reason: str | None = None  # why it published; None: not due
    version: str | None = None
    commits: dict[str, str] = field(default_factory=dict)  # repository kind -> commit
    error: str | None = None  # the target failed: the next round tries again


KINDS: dict[str, type] = {
    "pull": Pulled,
    "export": Exported,
    "train": Training,
    "gate": Gated,
    "score": Scored,
    "select": Selection,
    "push": Pushed,
    "warm": Warmed,
    "refresh": Refreshed,
    "review": Reviewed,
    "publish": PublishStep,
}


def from_json(kind: type[T], data: dict[str, Any]) -> T:
    """``kind`` from a manifest's JSON; keys a later bucle added are left to their defaults."""
    names = {f.name for f in fields(kind)}
    return kind(**{key: value for key, value in data.items() if key in names})


def to_json(result: Any) -> dict[str, Any]:
    return asdict(result)


def result(manifest: RoundManifest, step: str) -> Any:
    """Step ``step``'s recorded result, typed; None if the round did not finish that step."""
    return from_json(KINDS[step], manifest.result(step)) if manifest.done(step) else None
