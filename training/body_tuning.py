"""Contrastive fine-tuning of the SetFit body on every label so far: at most
``fine_tune_max_minutes`` (10) whatever the machine, beside the rounds, never inside one
(annotators wait on rounds)."""

from __future__ import annotations

import logging

from bucle.training.embedding_cache import EmbeddingCache
from bucle.training.errors import TrainingError
from bucle.training.registry import Body, Registry
from bucle.training.run import setfit_model
from bucle.training.settings import ModelSettings

log = logging.getLogger("bucle.training")


def fine_tune_body(
    settings: ModelSettings,
    classes: list[str],
    registry: Registry,
    cache: EmbeddingCache,
    texts: list[str],
    labels: list[str],
    ahead: list[str],
) -> Body:
    """Tune the latest body (or the configured one) on ``texts``/``labels`` and store it in the
    registry; ``ahead`` (what the next rounds read) is embedded with it into the cache, and only
    then does it become the latest body, so that later rounds refit only the head, in seconds."""
    if not texts:
        raise TrainingError("there are no labels to fine-tune the body on yet")
    model = setfit_model(settings, classes, registry, cache)
    tuning = settings.fine_tuning
    log.info(
        "fine-tuning the body on %d labels (at most %d steps or %.0f minutes)…",
        len(texts),
        tuning.max_steps,
        settings.fine_tune_max_minutes,
    )
    steps = model.fine_tune(texts, labels, tuning)
    log.info("fine-tuned the body in %d steps", steps)
    body = registry.add_body(
        model.save_body,
        lambda name: f"fine-tuned:{name}@{settings.max_seq_length}",
        registry.next_training(),
        len(texts),
    )
    model.body_saved_as(body.folder, body.body_id)
    log.info("embedding %s texts with the new body…", f"{len(ahead):,}")
    model.embed(ahead)
    registry.make_latest(body)
    log.info("the next trainings use %s", body.folder.name)
    return body
