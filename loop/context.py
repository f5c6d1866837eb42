"""What a round's steps share, opened once: the pool, the registry, the embedding cache, the
Argilla client and dataset, and the models loaded from the registry (versions are immutable, so
each is loaded at most once). ``bucle train`` and the body's fine-tuning open the same context:
a training by hand is a round's train and gate steps, and nothing builds a second registry or
cache beside the one it was given. Read-only commands (``bucle status``, the publish listing)
open the registry through here too: the model code is imported only once a model is loaded.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from bucle.annotation.client import Client
from bucle.annotation.datasets import Dataset
from bucle.loop.config import ProjectConfig
from bucle.loop.pool import Pool
from bucle.training.embedding_cache import EmbeddingCache
from bucle.training.models.base import TextClassifier
from bucle.training.registry import Registry

if TYPE_CHECKING:
    from bucle.training.models.setfit_model import SetFitClassifier


@dataclass(frozen=True)
class Served:
    """A registry version loaded to score: its name goes into manifests and suggestions."""

    version: str
    model: TextClassifier


def registry(config: ProjectConfig) -> Registry:
    return Registry(config.state.registry)


def embedding_cache(config: ProjectConfig) -> EmbeddingCache:
    return EmbeddingCache(config.state.embeddings)


def load_version(reg: Registry, cache: EmbeddingCache, version: str) -> Served:
    """Registry version ``version`` ready to score, with the embedding cache attached for SetFit."""
    from bucle.training.models.setfit_model import SetFitClassifier

    model = TextClassifier.load(reg.model_folder(version))
    if isinstance(model, SetFitClassifier):
        model.cache = cache
    return Served(version, model)


@dataclass
class RoundContext:
    config: ProjectConfig
    pool: Pool
    registry: Registry
    cache: EmbeddingCache
    client: Client | None = None
    dataset: Dataset | None = None
    _models: dict[str, Served] = field(default_factory=dict)
    _base_body: SetFitClassifier | None = None

    def served(self, version: str) -> Served:
        if version not in self._models:
            self._models[version] = load_version(self.registry, self.cache, version)
        return self._models[version]

    def model(self, version: str) -> TextClassifier:
        return self.served(version).model

    def champion(self) -> Served | None:
        """The served model; None before round 1."""
        name = self.registry.champion()
        return self.served(name) if name is not None else None

    def base_body(self) -> SetFitClassifier:
        """The configured (not fine-tuned) body: one embedding space for the strategies and the
        dataset's vectors, whatever model is champion."""
        from bucle.training.run import configured_setfit

        if self._base_body is None:  # one per context: its encoder is loaded at most once
            self._base_body = configured_setfit(self.config.model, list(self.config.labels), self.registry, self.cache)
        return self._base_body


@contextmanager
def round_context(
    config: ProjectConfig, client: Client | None = None, dataset: Dataset | None = None
) -> Iterator[RoundContext]:
    with Pool(config.state.pool) as pool:
        cache = embedding_cache(config)
        try:
            yield RoundContext(config, pool, registry(config), cache, client, dataset)
        finally:
            cache.close()
