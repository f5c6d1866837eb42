"""The loop's decisions about training: when to train, when to fine-tune the body, when to
train a LoRA LLM challenger, which labels a training gets, and applying the gate's verdict to
the champion. The training itself (fit, evaluate, register) is ``training.run``.

``bucle train`` calls ``train_round``; the loop's rounds call its two halves as separate steps
(``train_versions``, then ``apply_gate``) so that a killed round resumes between them. Each works
in the ``RoundContext`` it is given (``loop.context``): one pool, registry and embedding cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bucle.common.clock import utc_now
from bucle.loop.candidates import stop_set, window
from bucle.loop.config import ProjectConfig
from bucle.loop.adapters import project_facts
from bucle.loop.confirmations import confirmations
from bucle.loop.context import RoundContext, registry, round_context
from bucle.loop.lock import RoundLock
from bucle.loop.manifest import RoundManifest
from bucle.loop.pool import Pool
from bucle.training.body_tuning import fine_tune_body as tune_body
from bucle.training.errors import TrainingError
from bucle.training.models.lora import LoraParams, cuda_available, main_process
from bucle.training.registry import Body, Registry
from bucle.training.outcome import Trained
from bucle.training.run import Labelled, TrainingRun, Workspace


LLM_REGISTER_WAIT_S = 900.0  # an LLM training waits this long for a running round before registering


@dataclass(frozen=True)
class RoundResult:
    round: int
    versions: dict[str, float]  # version -> test macro-F1
    champion: str | None
    promoted: bool
    reason: str
    fine_tuned: bool


def should_fine_tune(config: ProjectConfig, reg: Registry, training: int, labels: int) -> bool:
    """Fine-tune the body once there are enough labels, then every N trainings or after the
    labelled set grew by the configured fraction; other trainings refit only the head."""
    settings = config.model
    if labels < settings.fine_tune_min_labels:
        return False
    last = reg.latest_body()
    if last is None:
        return True
    return (
        training - last.training >= settings.fine_tune_every or labels >= (1 + settings.fine_tune_growth) * last.labels
    )


def fine_tune_due(config: ProjectConfig) -> bool:
    with Pool(config.state.pool) as pool:
        labels = pool.count(split="pool", labelled=True)
    reg = registry(config)
    return should_fine_tune(config, reg, reg.next_training(), labels)


def fine_tune_body(ctx: RoundContext) -> Body:
    """Fine-tune the body on every label so far (``training.body_tuning``), embedding ahead what
    the next rounds read: labels, test set, stop set and the candidates' window."""
    config, pool = ctx.config, ctx.pool
    train = pool.records(split="pool", labelled=True)
    records = pool.records()
    stop = set(stop_set(config, pool))
    unlabelled = [r for r in records if r.split == "pool" and r.label is None]
    ahead = {r.id for r in records if r.label is not None or r.split == "test" or r.id in stop}
    ahead |= {r.id for r in window(unlabelled, config.loop.candidates, config.data.split_seed)}
    return tune_body(
        config.model,
        list(config.labels),
        ctx.registry,
        ctx.cache,
        [r.text for r in train],
        [r.label for r in train],
        [r.text for r in records if r.id in ahead],
    )


def llm_params(config: ProjectConfig) -> LoraParams:
    """``model.llm`` as one LoRA training reads it, the base model resolved against bucle.yaml's
    folder; a clear error when no LLM is configured or no GPU can train it."""
    llm = config.model.llm
    if llm.base_model is None:
        raise TrainingError("no LLM is configured: set model.llm.base_model (a Hub name or local folder) in bucle.yaml")
    if llm.device == "auto" and not cuda_available():
        raise TrainingError(
            "no CUDA device is visible: an LLM trains on a GPU (set model.llm.device: cpu to train a "
            "small one on the CPU anyway)"
        )
    local = config.root / Path(llm.base_model).expanduser()
    base = str(local) if local.exists() else llm.base_model
    fields = llm.model_dump(exclude={"base_model", "min_labels", "retrain_growth"})
    return LoraParams(base_model=base, seed=config.model.seed, **fields)


def free_training_number(config: ProjectConfig, reg: Registry) -> int:
    """The next training number, past the one an interrupted round has reserved (it resumes
    under that number)."""
    unfinished = RoundManifest.unfinished(config.state.rounds)
    reserved = unfinished.data.get("registry_round") if unfinished is not None else None
    return max(reg.next_training(), (reserved or 0) + 1)


def train_llm(config: ProjectConfig) -> RoundResult | None:
    """Train a LoRA challenger and its TF-IDF baseline on the labels so far (minutes, without
    holding the rounds' lock), then register both under the next free number and apply the gate
    under the lock, across families. None in the non-main processes of a multi-GPU run."""
    params = llm_params(config)
    with round_context(config) as ctx:
        data = labelled_data(config, ctx.pool)
        if len(data.texts) < config.model.llm.min_labels:
            raise TrainingError(
                f"{len(data.texts)} labels, fewer than model.llm.min_labels ({config.model.llm.min_labels})"
            )
        run = training_run(ctx)
        main, baseline = run.fit_llm(data, params)
        if not main_process():
            return None
        with RoundLock(config.state.round_lock, timeout_s=LLM_REGISTER_WAIT_S, what="round or training"):
            number = free_training_number(config, ctx.registry)
            trained = run.register(number, main, baseline, data)  # scores the champion too
            champion = apply_gate(ctx.registry, trained)
    return RoundResult(trained.round, trained.versions, champion, trained.promote, trained.reason, False)


def labelled_data(config: ProjectConfig, pool: Pool) -> Labelled:
    """The labels so far and the frozen test set (its annotators' labels, else its gold)."""
    train = pool.records(split="pool", labelled=True)
    test = pool.test_records()
    return Labelled(
        [r.text for r in train],
        [r.label for r in train],
        [r.text for r in test],
        [r.test_label for r in test],
        [r.metadata for r in test],
        list(config.data.metadata),
    )


def training_run(ctx: RoundContext) -> TrainingRun:
    state = ctx.config.state
    workspace = Workspace(ctx.registry, ctx.cache, state.evaluate_cache, state.onnx_export, state.llm_checkpoints)
    confirmed = confirmations(ctx.config, ctx.pool).facts()  # the precision annotators saw so far
    return TrainingRun(ctx.config.model, project_facts(ctx.config), workspace, confirmed)


def train_round(config: ProjectConfig, fine_tune: bool | None = None) -> RoundResult:
    """Train, register and gate in one go (``bucle train``), under the rounds' lock: a training
    by hand never races a round or another training for the registry."""
    with RoundLock(config.state.round_lock, what="round or training"), round_context(config) as ctx:
        trained = train_versions(ctx, fine_tune=fine_tune)
        champion = apply_gate(ctx.registry, trained)
    return RoundResult(trained.round, trained.versions, champion, trained.promote, trained.reason, trained.fine_tuned)


def train_versions(ctx: RoundContext, fine_tune: bool | None = None, training: int | None = None) -> Trained:
    """Train SetFit and the TF-IDF baseline, evaluate both on the frozen test set and register
    them as versions ``NNNN-setfit`` / ``NNNN-tfidf`` with the gate's verdict in their cards.
    The verdict is applied by ``apply_gate``, so that a round killed in between resumes at the
    gate. Given a ``training`` number already registered (a resumed round), nothing is trained
    again."""
    config, reg = ctx.config, ctx.registry
    if config.task != "single-label":
        raise TrainingError("multi-label training is not available yet; use task: single-label")
    data = labelled_data(config, ctx.pool)
    number = reg.next_training() if training is None else training
    fine = should_fine_tune(config, reg, number, len(data.texts)) if fine_tune is None else fine_tune
    if fine and reg.evaluated(f"{number:04d}-setfit") is None:
        fine_tune_body(ctx)
    return training_run(ctx).train(data, number, fine_tuned=fine)


def apply_gate(reg: Registry, trained: Trained) -> str | None:
    """Point the champion at the round's best version if the gate promoted it, else record the
    refusal; idempotent, so a round killed here resumes safely. Returns the champion."""
    if trained.promote:
        if reg.champion() != trained.best:
            reg.set_champion(trained.best, "promote", trained.reason, rule=trained.rule)
    elif not any(d.get("kind") == "refused" and d.get("version") == trained.best for d in reg.decisions()):
        reg.record(
            {
                "version": trained.best,
                "kind": "refused",
                "rule": trained.rule,
                "reason": trained.reason,
                "champion": reg.champion(),
                "at": utc_now(),
            }
        )
    return reg.champion()
