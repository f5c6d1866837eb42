"""Shared fixtures: one real embedded Argilla server for the whole test session.

The server runs from a throw-away project folder (its own bucle.yaml, state folder and free
port), exactly as ``bucle up`` runs it for a user; tests drive it through the real ``argilla``
SDK and HTTP.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from annotation.client import connect
from annotation.credentials import CredentialsFile
from annotation.embedded import control
from annotation.embedded.ports import free_port
from loop.config import ProjectConfig, load_config

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download weights or data
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


EXAMPLE_DATA = Path(__file__).resolve().parents[1] / "examples" / "noticias-falsas" / "data"
SMALL_MODEL = {"max_seq_length": 64, "bootstrap_samples": 200, "fine_tune_min_labels": 10_000}


def with_example_data(folder: Path) -> dict:
    """Copy the example corpus into ``folder``; the ``data`` section that reads it."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for name in ("train.jsonl", "dev.jsonl"):
        (folder / "data" / name).write_bytes((EXAMPLE_DATA / name).read_bytes())
    return {
        "sources": [{"path": "data/train.jsonl"}, {"path": "data/dev.jsonl", "role": "test"}],
        "text": ["text"], "id": "id", "label": "label", "metadata": ["topic"], "seed_size": 16,
    }  # fmt: skip


def write_project(folder: Path, port: int, **overrides) -> Path:
    """A minimal project like the example's, in ``folder``; returns its bucle.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "name": "pruebas",
        "ods": [16],
        "labels": {"falsa": "Falsa", "verdadera": "Verdadera"},
        "guidelines": "# Guía\n\nElige la etiqueta correcta.",
        "annotation": {"annotators": ["anotadora-1", "anotador-2"]},
        "server": {"port": port},
        **overrides,
    }
    path = folder / "bucle.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> ProjectConfig:
    """The session's project: the example corpus, small model settings, small batches."""
    folder = tmp_path_factory.mktemp("project")
    data = with_example_data(folder)
    loop = {"batch_size": 8, "schedule": {"min_new_labels": 4}}
    return load_config(write_project(folder, free_port(), data=data, model=SMALL_MODEL, loop=loop))


@pytest.fixture(scope="session")
def server(project: ProjectConfig):
    """The running embedded server's layout; stopped when the session ends."""
    layout = project.server_layout
    control.start(layout, timeout_s=project.server.startup_timeout_s)
    yield layout
    control.stop(layout)


@pytest.fixture(scope="session")
def credentials(server) -> CredentialsFile:
    return CredentialsFile(server.credentials)


@pytest.fixture(scope="session")
def owner(server, credentials):
    return connect(server.url, credentials.owner().api_key)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def sibling_project(project, server, tmp_path_factory):
    """A factory of further projects on the session's server (their own pool, rounds, registry
    and dataset; the server's state folder and credentials shared through symlinks)."""

    def make(name: str, **overrides) -> ProjectConfig:
        folder = tmp_path_factory.mktemp(name)
        data = with_example_data(folder)
        settings = {"name": name, "data": data, "model": SMALL_MODEL,
                    "loop": {"batch_size": 8, "schedule": {"min_new_labels": 4}}, **overrides}  # fmt: skip
        config = load_config(write_project(folder, project.server.port, **settings))
        config.state_dir.mkdir(parents=True, exist_ok=True)
        (config.state_dir / "server").symlink_to(project.state_dir / "server")
        (config.state_dir / "credentials.json").symlink_to(project.state_dir / "credentials.json")
        return config

    return make
