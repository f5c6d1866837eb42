"""Argilla dataset settings built from a plain description of a labelling task.

``annotation`` knows nothing of bucle's project config: the loop turns the config into a
``DatasetSpec`` and this module turns that into Argilla settings, so the same code serves the
example project, tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import argilla as rg

from bucle.annotation.model_metadata import CONFIRM, DECIDE, KIND, PREDICTION, PROBABILITY
from bucle.annotation.http_api import add_metadata_property, add_vector_field
from bucle.annotation.users import ensure_workspace, quietly

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
    model_metadata: bool = False  # PREDICTION, PROBABILITY and KIND: a work queue the model suggests for
    extra_fields: dict[str, str] = field(default_factory=dict)  # Markdown fields shown under the text: name -> title

    def metadata_properties(self) -> list[dict]:
        """Every metadata property as argilla-server's API describes one (name, title, settings)."""
        terms = lambda name, title, values=None: {
            "name": name,
            "title": title,  # noqa: E731
            "settings": {"type": "terms", "values": values},
        }
        number = lambda kind, name: {"name": name, "title": name, "settings": {"type": kind}}  # noqa: E731
        properties = [
            *(terms(name, name) for name in self.metadata_terms),
            *(number("integer", name) for name in self.metadata_integers),
            *(number("float", name) for name in self.metadata_floats),
        ]
        if self.model_metadata:
            properties += [
                terms(KIND, "Tipo: confirmar (el modelo está seguro) o decidir (el modelo duda)", [CONFIRM, DECIDE]),
                terms(PREDICTION, "Predicción del modelo", list(self.labels)),
                {
                    "name": PROBABILITY,
                    "title": "Probabilidad de la predicción",
                    "settings": {"type": "float", "min": 0.0, "max": 1.0},
                },
            ]
        return properties

    def settings(self) -> rg.Settings:
        question_type = rg.MultiLabelQuestion if self.multi_label else rg.LabelQuestion
        return rg.Settings(
            guidelines=self.guidelines,
            fields=[
                rg.TextField(name=TEXT_FIELD, title="Texto", use_markdown=False),
                *(rg.TextField(name=name, title=title, use_markdown=True) for name, title in self.extra_fields.items()),
            ],
            questions=[question_type(name=LABEL_QUESTION, title=self.question, labels=self.labels)],
            metadata=[_sdk_property(p) for p in self.metadata_properties()],
            vectors=[rg.VectorField(name=name, dimensions=dims) for name, dims in self.vector_dimensions.items()],
            distribution=rg.TaskDistribution(min_submitted=self.min_submitted),
        )


def _sdk_property(description: dict) -> rg.MetadataProperty:
    settings = description["settings"]
    common = {"name": description["name"], "title": description["title"]}
    if settings["type"] == "terms":
        return rg.TermsMetadataProperty(**common, options=settings["values"])
    kind = rg.IntegerMetadataProperty if settings["type"] == "integer" else rg.FloatMetadataProperty
    return kind(**common, min=settings.get("min"), max=settings.get("max"))


def find_dataset(client: rg.Argilla, spec: DatasetSpec) -> rg.Dataset | None:
    """The dataset named in ``spec`` if it exists (its workspace too); never creates either."""
    workspace = quietly(lambda: client.workspaces(spec.workspace))
    return None if workspace is None else quietly(lambda: client.datasets(name=spec.name, workspace=workspace))


def ensure_dataset(client: rg.Argilla, spec: DatasetSpec) -> rg.Dataset:
    """The dataset named in ``spec``, created with its settings if it does not exist yet; an
    existing one gets the metadata properties a later bucle added to the spec (Argilla refuses
    records whose metadata it does not know)."""
    workspace = ensure_workspace(client, spec.workspace)
    existing = quietly(lambda: client.datasets(name=spec.name, workspace=workspace))
    if existing is None:
        return rg.Dataset(name=spec.name, workspace=workspace, settings=spec.settings(), client=client).create()
    known = {prop.name for prop in existing.settings.metadata}
    missing = [p for p in spec.metadata_properties() if p["name"] not in known]
    for description in missing:
        add_metadata_property(client, existing, description)
    return client.datasets(name=spec.name, workspace=workspace) if missing else existing


def ensure_vector_field(client: rg.Argilla, dataset: rg.Dataset, name: str, dimensions: int) -> rg.Dataset:
    """``dataset`` with a vector field ``name`` (added to an existing dataset if missing, so that
    annotators can look for similar records in the UI); returned fresh when it changed."""
    if any(vector.name == name for vector in dataset.settings.vectors):
        return dataset

    add_vector_field(client, dataset, name, "Similares", dimensions)
    return client.datasets(name=dataset.name, workspace=dataset.workspace)
