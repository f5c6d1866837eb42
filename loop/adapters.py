"""The project config turned into what ``annotation/`` and the cards take: the Argilla dataset's
spec, the owner's client and the project's facts. Rounds, the scheduler, the service, the demo's feedback and ``bucle up`` all need
them; living here, none of those modules has to import another to get them.
"""

from __future__ import annotations

import os

from bucle.annotation.client import Client, connect
from bucle.annotation.credentials import CredentialsFile
from bucle.annotation.datasets import DatasetSpec
from bucle.annotation.errors import ArgillaError
from bucle.loop.config import ProjectConfig
from bucle.training.project_facts import ProjectFacts

OWNER_KEY = "ARGILLA_API_KEY"  # an external server's owner key: from the environment, never a file or a log
HF_TOKEN = "HF_TOKEN"  # a private Space lets in only requests that carry a Hugging Face token


def project_facts(config: ProjectConfig) -> ProjectFacts:
    """What the model and dataset cards say of the project."""
    publish = config.publish
    return ProjectFacts(
        config.name,
        config.title,
        list(config.ods),
        config.license,
        dict(config.labels),
        publish.dataset_repo,
        publish.model_repo,
        publish.code_url,
    )


def dataset_spec(config: ProjectConfig) -> DatasetSpec:
    return DatasetSpec(
        name=config.name,
        workspace=config.workspace,
        labels=config.labels,
        guidelines=config.guidelines_text(),
        multi_label=config.task == "multi-label",
        metadata_terms=tuple(config.data.metadata),
        model_metadata=True,
        min_submitted=config.annotation.overlap,
    )


def owner_key(config: ProjectConfig) -> str:
    """The owner's API key: the embedded server's from the credentials file, an external
    server's from ``ARGILLA_API_KEY``."""
    if not config.external:
        return CredentialsFile(config.server_layout.credentials).owner().api_key
    key = os.environ.get(OWNER_KEY, "").strip()
    if not key:
        raise ArgillaError(
            f"server.mode is external: set {OWNER_KEY} to the API key of an owner of {config.argilla_url} "
            "(Argilla UI → My settings → API key); bucle never writes it to a file or a log"
        )
    return key


def space_headers(config: ProjectConfig) -> dict[str, str]:
    """An external server's extra headers: the Hugging Face token a private Space asks for."""
    token = os.environ.get(HF_TOKEN, "").strip() if config.external else ""
    return {"Authorization": f"Bearer {token}"} if token else {}


def owner_client(config: ProjectConfig) -> Client:
    source = (
        f"{OWNER_KEY}" if config.external else "the credentials file, which does not belong to this server's database"
    )
    return connect(config.argilla_url, owner_key(config), source=source, headers=space_headers(config))
