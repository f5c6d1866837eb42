"""Argilla dataset settings built from a plain description of a labelling task.

``annotation`` knows nothing of bucle's project config: the loop turns the config into a
``DatasetSpec`` and this module turns that into Argilla settings, so the same code serves the
example project, tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import argilla as rg

from annotation.http_api import add_vector_field
from annotation.users import ensure_workspace, quietly

Dataset = rg.Dataset  # what the rest of bucle names, without importing argilla

TEXT_FIELD = "text"
LABEL_QUESTION = "label"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    workspace: str
    labels: dict[str, str]  # label value -> what the annotator sees (Spanish)
    guidelines: str
    question: str = "¿Qué etiqueta corresponde a este texto?"
    multi_label: bool = False
    metadata_terms: tuple[str, ...] = ()
    metadata_integers: tuple[str, ...] = ()
    metadata_floats: tuple[str, ...] = ()
    vector_dimensions: dict[str, int] = field(default_factory=dict)
    min_submitted: int = 1

    def settings(self) -> rg.Settings:
        question_type = rg.MultiLabelQuestion if self.multi_label else rg.LabelQuestion
        return rg.Settings(
            guidelines=self.guidelines,
            fields=[rg.TextField(name=TEXT_FIELD, title="Texto", use_markdown=False)],
            questions=[question_type(name=LABEL_QUESTION, title=self.question, labels=self.labels)],
            metadata=[
                *(rg.TermsMetadataProperty(name=name) for name in self.metadata_terms),
                *(rg.IntegerMetadataProperty(name=name) for name in self.metadata_integers),
                *(rg.FloatMetadataProperty(name=name) for name in self.metadata_floats),
            ],
            vectors=[rg.VectorField(name=name, dimensions=dims) for name, dims in self.vector_dimensions.items()],
            distribution=rg.TaskDistribution(min_submitted=self.min_submitted),
        )


def ensure_dataset(client: rg.Argilla, spec: DatasetSpec) -> rg.Dataset:
    """The dataset named in ``spec``, created with its settings if it does not exist yet."""
    workspace = ensure_workspace(client, spec.workspace)
    existing = quietly(lambda: client.datasets(name=spec.name, workspace=workspace))
    if existing is not None:
        return existing
    return rg.Dataset(name=spec.name, workspace=workspace, settings=spec.settings(), client=client).create()


def ensure_vector_field(client: rg.Argilla, dataset: rg.Dataset, name: str, dimensions: int) -> rg.Dataset:
    """``dataset`` with a vector field ``name`` (added to an existing dataset if missing, so that
    annotators can look for similar records in the UI); returned fresh when it changed."""
    if any(vector.name == name for vector in dataset.settings.vectors):
        return dataset

    add_vector_field(client, dataset, name, "Similares", dimensions)
    return client.datasets(name=dataset.name, workspace=dataset.workspace)
