"""Bringing a project up: its data, its embedded server (or the team's Argilla it names), its
users, its Argilla dataset and its first round (the seed labels train the first model, whose most useful records are sent to
annotators with suggestions; a project without labels starts cold).

``bucle up`` calls ``bring_up``, then runs the scheduler (``loop.service``) until stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bucle.annotation.credentials import CredentialsFile
from bucle.annotation.datasets import ensure_dataset
from bucle.annotation.embedded import control
from bucle.annotation.users import add_user, join_workspace
from bucle.loop.adapters import dataset_spec, owner_client
from bucle.loop.config import ProjectConfig
from bucle.loop.ingest.pipeline import IngestReport, ingest


@dataclass(frozen=True)
class ProjectUp:
    ingest: IngestReport | None  # None: the project lists no data yet
    first_round: Any  # loop.rounds.RoundReport of the round run now, None if one ran before
    url: str
    credentials: Path
    dataset: str
    workspace: str
    annotators: tuple[str, ...]


def bring_up(config: ProjectConfig) -> ProjectUp:
    report = ingest(config) if config.data.sources else None
    layout = config.server_layout
    if not config.external:
        control.start(layout, timeout_s=config.server.startup_timeout_s)
    client = owner_client(config)
    credentials = CredentialsFile(layout.credentials)
    if config.external:  # the key's own user works in the project's workspace; annotators may exist already
        join_workspace(client, config.workspace, client.me.username)
    else:
        add_user(client, credentials, credentials.owner().username, "owner", workspace=config.workspace)
    for annotator in config.annotation.annotators:
        add_user(client, credentials, annotator, "annotator", workspace=config.workspace, existing_ok=config.external)
    dataset = ensure_dataset(client, dataset_spec(config))
    first_round = None
    if report is not None:
        from bucle.loop.manifest import RoundManifest
        from bucle.loop.rounds import run_round

        manifests = RoundManifest.all(config.state.rounds)
        if not manifests or not manifests[-1].finished:  # no round yet, or one to resume
            first_round = run_round(config)
    return ProjectUp(
        ingest=report,
        first_round=first_round,
        url=config.argilla_url,
        credentials=layout.credentials,
        dataset=dataset.name,
        workspace=config.workspace,
        annotators=tuple(config.annotation.annotators),
    )
