"""One training run: the labels so far in, two models out (SetFit and the TF-IDF baseline),
each evaluated on the frozen test set, registered as a version with its card, and the better
one promoted if it beats the champion by the configured margin.

``bucle train`` calls ``train_round``; the loop's rounds call its two halves as separate
steps (``train_candidates``, then ``apply_gate``) so that a killed round resumes between them.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from common.clock import utc_now
from common.files import write_json_atomically
from loop.candidates import stop_set, window
from loop.config import ProjectConfig
from loop.lock import RoundLock
from loop.pool import Pool
from training import bias
from training.carbon import track
from training.embedding_cache import EmbeddingCache
from training.errors import TrainingError
from training.evaluation import Evaluation, evaluate_model, reliability_diagram
from training.model_card import ModelFacts, build_card, validate_offline
from training.models.base import TextClassifier
from training.models.setfit_model import FineTuneSettings, SetFitClassifier
from training.models.tfidf import TfidfClassifier
from training.onnx_body import export_int8
from training.promotion import decide
from training.registry import METRICS, MODEL, Registry

BODIES = "bodies.json"  # the latest fine-tuned body: path, body_id, round, labels
INT8_TOLERANCE = 0.005  # half a point of macro-F1


@dataclass
class Candidate:
    family: str
    model: TextClassifier
    metrics: dict[str, Any]
    probs: Any


@dataclass(frozen=True)
class Trained:
    """What a training run registered and what the gate decided; JSON-able for round manifests."""

    round: int
    versions: dict[str, float]  # version -> test macro-F1
    best: str
    promote: bool
    reason: str
    fine_tuned: bool


@dataclass(frozen=True)
class RoundResult:
    round: int
    versions: dict[str, float]  # version -> test macro-F1
    champion: str | None
    promoted: bool
    reason: str
    fine_tuned: bool


def _evaluate_cache(config: ProjectConfig) -> Path:
    return config.state.evaluate_cache


def registry(config: ProjectConfig) -> Registry:
    return Registry(config.state.registry)


def embedding_cache(config: ProjectConfig) -> EmbeddingCache:
    return EmbeddingCache(config.state.embeddings)


def next_round(reg: Registry) -> int:
    rounds = [int(name.split("-")[0]) for name in reg.names() if name.split("-")[0].isdigit()]
    return max(rounds, default=0) + 1


def latest_body(reg: Registry) -> dict[str, Any]:
    """The latest fine-tuned body (path, body_id, round, labels), or {} before the first."""
    path = reg.root / BODIES
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def should_fine_tune(config: ProjectConfig, reg: Registry, round_number: int, labels: int) -> bool:
    """Fine-tune the body once there are enough labels, then every N rounds or after the
    labelled set grew by the configured fraction; other rounds refit only the head."""
    settings = config.model
    if labels < settings.fine_tune_min_labels:
        return False
    last = latest_body(reg)
    if not last:
        return True
    return round_number - last["round"] >= settings.fine_tune_every or labels >= (1 + settings.fine_tune_growth) * last["labels"]


def fine_tune_due(config: ProjectConfig) -> bool:
    with Pool(config.state.pool) as pool:
        labels = len(pool.records(split="pool", labelled=True))
    reg = registry(config)
    return should_fine_tune(config, reg, next_round(reg), labels)


def _setfit(config: ProjectConfig, reg: Registry, cache: EmbeddingCache) -> SetFitClassifier:
    """A SetFit model on the latest fine-tuned body if there is one, else the configured body."""
    last = latest_body(reg)
    return SetFitClassifier(list(config.labels), body=last.get("path", config.model.body),
                            max_seq_length=config.model.max_seq_length, seed=config.model.seed, cache=cache,
                            body_id=last.get("body_id"))  # fmt: skip


def fine_tune_body(config: ProjectConfig, notice: Callable[[str], None] = print) -> dict[str, Any]:
    """Contrastive fine-tuning of the body on every label so far (minutes on 2 cores, so the
    loop runs it beside the rounds, never inside one). The body is saved under the registry's
    ``bodies/``, what rounds score (labels, test set, stop set, the candidates' window) is
    embedded with it into the cache, and only then does
    it become the body of later rounds, which keep refitting only the head, in seconds."""
    reg = registry(config)
    with Pool(config.state.pool) as pool:
        train = pool.records(split="pool", labelled=True)
        records = pool.records()
    stop = set(stop_set(config))
    unlabelled = [r for r in records if r.split == "pool" and r.label is None]
    # what the next rounds read: labels, test set, stop set and the candidates' window
    needed = {r.id for r in records if r.label is not None or r.split == "test" or r.id in stop}
    needed |= {r.id for r in window(unlabelled, config.loop.candidates, config.data.split_seed)}
    texts = [r.text for r in records if r.id in needed]
    if not train:
        raise TrainingError("there are no labels to fine-tune the body on yet")
    settings = FineTuneSettings(config.model.fine_tune_pairs_per_label, config.model.fine_tune_batch_size,
                                config.model.fine_tune_max_steps, config.model.seed)  # fmt: skip
    bodies = reg.root / "bodies"
    number = 1 + max((int(p.name.split("-")[1]) for p in bodies.glob("body-*") if p.name.split("-")[1].isdigit()), default=0)
    folder = bodies / f"body-{number:04d}"
    cache = embedding_cache(config)
    try:
        model = _setfit(config, reg, cache)
        notice(f"fine-tuning the body on {len(train)} labels (at most {settings.max_steps} steps)…")
        model.fine_tune([r.text for r in train], [r.label for r in train], settings)
        staging = bodies / f".staging-{folder.name}"
        shutil.rmtree(staging, ignore_errors=True)
        model.encoder.save(str(staging))
        staging.rename(folder)
        tuned = SetFitClassifier(model.classes, body=str(folder), max_seq_length=config.model.max_seq_length,
                                 seed=config.model.seed, cache=cache,
                                 body_id=f"fine-tuned:{folder.name}@{config.model.max_seq_length}")  # fmt: skip
        tuned._encoder = model.encoder
        notice(f"embedding {len(texts):,} texts with the new body…")
        tuned.embed(texts)
    finally:
        cache.close()
    entry = {"path": str(folder), "body_id": tuned.body_id, "round": next_round(reg), "labels": len(train),
             "at": utc_now()}  # fmt: skip
    _write_bodies(reg, entry)
    notice(f"the next rounds use {folder.name}")
    return entry


def _train_and_evaluate(config: ProjectConfig, family: str, model: TextClassifier, fit: Callable[[], None],
                        test_texts: list[str], test_labels: list[str], test_meta: list[dict]) -> Candidate:  # fmt: skip
    started = time.perf_counter()
    with track(config.model.country) as footprint:
        fit()
        trained = time.perf_counter()
        evaluation, probs = evaluate_model(model, test_texts, test_labels, config.model.bootstrap_samples,
                                           config.model.seed, _evaluate_cache(config))  # fmt: skip
        slices = bias.slice_metrics(probs, test_labels, model.classes, test_meta, config.data.metadata)
        counterfactual = bias.counterfactual(model, test_texts, probs)
    metrics = {
        "family": family,
        "evaluation": evaluation.to_json(),
        "slices": slices,
        "counterfactual": bias.to_json(counterfactual),
        "carbon": footprint.to_json(),
        "temperature": model.calibrator.temperature,
        "seconds": {"train": round(trained - started, 2), "evaluate": round(time.perf_counter() - trained, 2)},
    }
    return Candidate(family, model, metrics, probs)


def train_round(config: ProjectConfig, fine_tune: bool | None = None, notice: Callable[[str], None] = print) -> RoundResult:
    """Train, register and gate in one go (``bucle train``), under the rounds' lock: a training
    by hand never races a round or another training for the registry."""
    with RoundLock(config.state.round_lock, what="round or training"):
        trained = train_candidates(config, fine_tune=fine_tune, notice=notice)
        champion = apply_gate(config, trained)
    return RoundResult(trained.round, trained.versions, champion, trained.promote, trained.reason, trained.fine_tuned)


def train_candidates(config: ProjectConfig, fine_tune: bool | None = None, notice: Callable[[str], None] = print,
                     round_number: int | None = None) -> Trained:  # fmt: skip
    """Train SetFit and the TF-IDF baseline, evaluate both on the frozen test set and register
    them as versions ``NNNN-setfit`` / ``NNNN-tfidf`` with the gate's verdict in their cards.
    The verdict is applied by ``apply_gate``, so that a round killed in between resumes at the
    gate. Given a ``round_number`` whose versions are already registered (a resumed round),
    nothing is trained again."""
    if config.task != "single-label":
        raise TrainingError("multi-label training is not available yet; use task: single-label")
    reg = registry(config)
    if round_number is not None:
        done = _registered(config, reg, round_number)
        if done is not None:
            return done
    with Pool(config.state.pool) as pool:
        train = pool.records(split="pool", labelled=True)
        test = [r for r in pool.records(split="test") if (r.label if r.label is not None else r.gold) is not None]
    if not test:
        raise TrainingError("there is no labelled frozen test set yet: ingest data with a test source or gold labels")
    texts, labels = [r.text for r in train], [r.label for r in train]
    test_texts = [r.text for r in test]
    test_labels = [r.label if r.label is not None else r.gold for r in test]
    test_meta = [r.metadata for r in test]

    round_number = next_round(reg) if round_number is None else round_number
    fine = should_fine_tune(config, reg, round_number, len(train)) if fine_tune is None else fine_tune
    if fine:
        fine_tune_body(config, notice)
    cache = embedding_cache(config)
    try:
        notice(f"training {round_number}: {len(train)} labels, {len(test)} test texts; TF-IDF baseline…")
        tfidf = TfidfClassifier(list(config.labels), seed=config.model.seed)
        baseline = _train_and_evaluate(config, "tfidf", tfidf, lambda: tfidf.fit(texts, labels),
                                       test_texts, test_labels, test_meta)  # fmt: skip
        setfit = _setfit(config, reg, cache)
        notice(f"training {round_number}: SetFit (head only on {'the new' if fine else 'the latest'} body, cached embeddings)…")
        main = _train_and_evaluate(config, "setfit", setfit, lambda: setfit.fit(texts, labels), test_texts,
                                   test_labels, test_meta)  # fmt: skip
        main.metrics["fine_tuned"] = fine
        main.metrics["body_id"] = setfit.body_id
        if config.model.onnx_int8:
            notice(f"training {round_number}: exporting an int8 ONNX body and checking it on the test set…")
            onnx_dir = config.state.onnx_export(round_number)
            _try_int8(config, main, setfit, onnx_dir, test_texts, test_labels)
        candidates = {f"{round_number:04d}-{c.family}": c for c in (main, baseline)}
        best, gate, champion, champion_metrics = _gate(
            config, reg, {name: c.metrics["evaluation"]["macro_f1"] for name, c in candidates.items()}
        )
        # the training's versions are registered all or none: never a setfit without its tfidf
        reg.add_all({name: _version_writer(config, reg, name, round_number, candidate, len(train), len(test),
                                           baseline.metrics["evaluation"] if candidate is main else None,
                                           (champion, champion_metrics) if champion else None,
                                           gate.reason if name == best else f"not the round's best ({best} is)")
                     for name, candidate in candidates.items() if name not in reg.names()})  # fmt: skip
    finally:
        cache.close()
        if config.model.onnx_int8:
            shutil.rmtree(config.state.onnx_export(round_number), ignore_errors=True)

    notice(gate.reason)
    return Trained(
        round=round_number,
        versions={name: c.metrics["evaluation"]["macro_f1"] for name, c in candidates.items()},
        best=best,
        promote=gate.promote,
        reason=gate.reason,
        fine_tuned=fine,
    )


def _registered(config: ProjectConfig, reg: Registry, round_number: int) -> Trained | None:
    """The outcome of training round ``round_number`` if both its versions are registered."""
    names = [f"{round_number:04d}-{family}" for family in ("setfit", "tfidf")]
    if not all(name in reg.names() for name in names):
        return None
    versions = {name: reg.metrics(name)["evaluation"]["macro_f1"] for name in names}
    best, gate, _, _ = _gate(config, reg, versions)
    return Trained(round_number, versions, best, gate.promote, gate.reason,
                   bool(reg.metrics(names[0]).get("fine_tuned")))  # fmt: skip


def apply_gate(config: ProjectConfig, trained: Trained) -> str | None:
    """Point the champion at the round's best version if the gate promoted it, else record the
    refusal; idempotent, so a round killed here resumes safely. Returns the champion."""
    reg = registry(config)
    if trained.promote:
        if reg.champion() != trained.best:
            reg.set_champion(trained.best, "promote", trained.reason)
    elif not any(d.get("kind") == "refused" and d.get("version") == trained.best for d in reg.decisions()):
        reg.record({"version": trained.best, "kind": "refused", "reason": trained.reason, "champion": reg.champion(),
                    "at": utc_now()})  # fmt: skip
    return reg.champion()


def _gate(config: ProjectConfig, reg: Registry, macro_f1: dict[str, float]):
    """The round's best version and the gate's verdict on it against the current champion."""
    best = max(macro_f1, key=macro_f1.get)
    champion = reg.champion()
    champion_metrics = reg.metrics(champion).get("evaluation") if champion else None
    gate = decide(best, macro_f1[best], champion,
                  champion_metrics["macro_f1"] if champion_metrics else None, config.model.promotion_margin)  # fmt: skip
    return best, gate, champion, champion_metrics


def _try_int8(config: ProjectConfig, candidate: Candidate, setfit: SetFitClassifier, folder: Path,
              test_texts: list[str], test_labels: list[str]) -> None:  # fmt: skip
    """Serve the SetFit candidate with an int8 ONNX body if it loses at most half a point of
    macro-F1 on the test set; record the comparison either way."""
    export_int8(setfit.encoder, folder)
    int8 = setfit.with_int8_body(folder)
    evaluation, _ = evaluate_model(int8, test_texts, test_labels, config.model.bootstrap_samples, config.model.seed,
                                   _evaluate_cache(config))  # fmt: skip
    fp32 = candidate.metrics["evaluation"]["macro_f1"]
    used = evaluation.macro_f1 >= fp32 - INT8_TOLERANCE
    candidate.metrics["onnx_int8"] = {"macro_f1": evaluation.macro_f1, "delta": evaluation.macro_f1 - fp32, "used": used}
    if used:
        candidate.model = int8


def _write_bodies(reg: Registry, entry: dict[str, Any]) -> None:
    write_json_atomically(reg.root / BODIES, entry)


def _curve(reg: Registry, family: str, name: str, labels: int, macro_f1: float) -> list[dict[str, Any]]:
    points = [{"version": row.name, "labels": row.labels, "macro_f1": row.macro_f1} for row in reg.history() if row.family == family]
    return points + [{"version": name, "labels": labels, "macro_f1": macro_f1}]


def _version_writer(config: ProjectConfig, reg: Registry, name: str, round_number: int, candidate: Candidate,
                    n_train: int, n_test: int, baseline: dict | None, champion: tuple[str, dict] | None,
                    decision: str) -> Callable[[Path], None]:  # fmt: skip
    """What fills version ``name``'s folder: the model, metrics, reliability diagram, card and
    manifest (the card is built and checked now, before anything is written)."""
    evaluation = candidate.metrics["evaluation"]
    gain = evaluation["macro_f1"] - champion[1]["macro_f1"] if champion else None
    grams = candidate.metrics["carbon"]["grams_co2eq"]
    metrics = {**candidate.metrics, "version": name, "round": round_number, "labels": n_train, "test_size": n_test,
               "decision": decision, "grams_per_point": grams / (100 * gain) if gain and gain > 0 else None}  # fmt: skip
    hyper = candidate.model.hyperparameters()
    facts = ModelFacts(
        version=name, project=config.name, title=config.title, ods=config.ods, license=config.license,
        family=candidate.family, base_model=hyper.get("base_body"), hyperparameters=hyper,
        temperature=candidate.model.calibrator.temperature, labels=list(config.labels), train_size=n_train,
        test_size=n_test, evaluation=evaluation, baseline=baseline, champion=champion, decision=decision,
        slices=candidate.metrics["slices"], counterfactual=candidate.metrics["counterfactual"],
        carbon=candidate.metrics["carbon"], curve=_curve(reg, candidate.family, name, n_train, evaluation["macro_f1"]),
        grams_per_point=metrics["grams_per_point"], dataset_repo=config.publish.dataset_repo,
        bootstrap=config.model.bootstrap_samples, fine_tuned=bool(candidate.metrics.get("fine_tuned")),
    )  # fmt: skip
    card = build_card(facts)
    validate_offline(card)

    def write(folder: Path) -> None:
        candidate.model.save(folder / MODEL)
        (folder / METRICS).write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        reliability_diagram(Evaluation(**evaluation), folder / "reliability.png", name)
        card.save(str(folder / "README.md"))
        manifest = {"version": name, "round": round_number, "labels": n_train, "test_size": n_test,
                    "seed": config.model.seed, "family": candidate.family}  # fmt: skip
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    return write


def served_model(config: ProjectConfig, version: str) -> tuple[str, TextClassifier]:
    """Registry version ``version`` ready to score, with the embedding cache attached for SetFit."""
    model = TextClassifier.load(registry(config).model_folder(version))
    if isinstance(model, SetFitClassifier):
        model.cache = embedding_cache(config)
    return version, model


def champion_model(config: ProjectConfig) -> tuple[str, TextClassifier] | None:
    """The served model; None before round 1."""
    name = registry(config).champion()
    return served_model(config, name) if name is not None else None
