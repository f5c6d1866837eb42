"""``bucle status``: the rounds so far and whether it is time to stop."""

from __future__ import annotations

from dataclasses import dataclass

from loop.config import ProjectConfig
from loop.manifest import RoundManifest
from loop.pool import Pool
from loop.stopping import StoppingSignals, signals
from loop.train import registry


@dataclass(frozen=True)
class RoundRow:
    round: int
    finished: bool
    labels: int | None  # labelled records after the round's pull
    new_labels: int | None
    alpha: float | None  # Krippendorff's alpha over every answer so far (None without overlap)
    trained: bool | None
    macro_f1: dict[str, float]  # the round's versions (SetFit, TF-IDF) -> test macro-F1
    champion: str | None
    sent: int | None
    seconds: dict[str, float]


@dataclass(frozen=True)
class Status:
    rounds: list[RoundRow]
    labels: int
    champion: str | None
    champion_macro_f1: float | None
    baseline_macro_f1: float | None
    signals: StoppingSignals


def _get(manifest: RoundManifest, step: str, key: str):
    return manifest.result(step).get(key) if manifest.done(step) else None


def status(config: ProjectConfig) -> Status:
    rows = []
    stop_set_predictions = []
    for manifest in RoundManifest.all(config.state.rounds):
        rows.append(RoundRow(
            round=manifest.number, finished=manifest.finished, labels=_get(manifest, "export", "train"),
            new_labels=_get(manifest, "pull", "new_labels"), alpha=(_get(manifest, "pull", "agreement") or {}).get("alpha"),
            trained=_get(manifest, "train", "trained"), macro_f1=_get(manifest, "train", "versions") or {},
            champion=_get(manifest, "gate", "champion"),
            sent=len(_get(manifest, "select", "ids") or []) if manifest.done("select") else None,
            seconds={step: entry["seconds"] for step, entry in manifest.data["steps"].items()},
        ))  # fmt: skip
        predictions = _get(manifest, "score", "predictions")
        if predictions:
            stop_set_predictions.append(predictions)
    with Pool(config.state.pool) as pool:
        labels = len(pool.records(split="pool", labelled=True))
    reg = registry(config)
    champion = reg.champion()
    f1_by_round: dict[int, float] = {}  # the best version of each training
    for row in reg.history():
        f1_by_round[row.training] = max(f1_by_round.get(row.training, 0.0), row.macro_f1)
    baseline = reg.baseline(champion) if champion else None
    champion_f1 = reg.metrics(champion).get("evaluation", {}).get("macro_f1") if champion else None
    stopping = config.loop.stopping
    advice = signals(stop_set_predictions, labels, config.loop.label_budget, [f1_by_round[k] for k in sorted(f1_by_round)],
                     stopping.kappa, stopping.window, stopping.min_gain)  # fmt: skip
    return Status(rows, labels, champion, champion_f1, baseline, advice)
