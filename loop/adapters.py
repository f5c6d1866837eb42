"""The project config turned into what ``annotation/`` takes: the Argilla dataset's spec and the
owner's client. Rounds, the scheduler, the service, the demo's feedback and ``bucle up`` all need
them; living here, none of those modules has to import another to get them.
"""

from __future__ import annotations

from annotation.client import Client, connect
from annotation.credentials import CredentialsFile
from annotation.datasets import DatasetSpec
from loop.config import ProjectConfig


def dataset_spec(config: ProjectConfig) -> DatasetSpec:
    return DatasetSpec(
        name=config.name,
        workspace=config.workspace,
        labels=config.labels,
        guidelines=config.guidelines_text(),
        multi_label=config.task == "multi-label",
        metadata_terms=tuple(config.data.metadata),
        min_submitted=config.annotation.overlap,
    )


def owner_client(config: ProjectConfig) -> Client:
    layout = config.server_layout
    owner = CredentialsFile(layout.credentials).owner()
    return connect(layout.url, owner.api_key)
