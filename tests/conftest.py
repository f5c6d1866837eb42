"""Shared fixtures: one real embedded Argilla server for the whole test session.

The server runs from a throw-away project folder (its own bucle.yaml, state folder and free
port), exactly as ``bucle up`` runs it for a user; tests drive it through the real ``argilla``
SDK and HTTP.
"""

from __future__ import annotations

import os
from pathlib import Path


def _threads_per_worker() -> None:
    """Each pytest-xdist worker gets its share of the cores for OpenMP (torch), OpenBLAS and MKL,
    set before any of them loads and inherited by the servers and commands the tests start: two
    workers at two threads each on 2 cores oversubscribe them (the suite took 802 s and 841 s so,
    632 s at one thread each, the same commit on the same idle machine)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers:
        share = str(max(1, len(os.sched_getaffinity(0)) // workers))
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, share)


_threads_per_worker()

import pytest  # noqa: E402

from bucle.annotation.client import connect  # noqa: E402
from bucle.annotation.credentials import CredentialsFile  # noqa: E402
from bucle.annotation.embedded import control  # noqa: E402
from bucle.annotation.embedded.ports import free_port  # noqa: E402
from bench import shared_server  # noqa: E402
from bucle.loop.config import ProjectConfig, load_config  # noqa: E402
from tests.helpers import CHROMIUM, FLAGS, SIBLING_ROWS, SMALL_MODEL, with_example_data, write_project  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SESSION_ROWS = 300  # of each example file: the session's project (the test file has 295)
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download weights or data
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


# `make test` runs the suite in two pytest-xdist workers, each with its own session server: the
# modules that read or change the session's own project (or its demo project) run in one worker,
# in the order they are collected, as they always have; the modules whose tests make sibling
# projects run in the other, beside them; unit tests go to whichever worker is free.
SESSION_PROJECT_MODULES = {
    "test_annotation_ui",
    "test_demo_ui",
    "test_bench_smoke",
    "test_demo",
    "test_external_server",
    "test_records",
    "test_rounds",
    "test_search_engine",
    "test_training",
    "test_users_and_cli",
}


def worker_group(nodeid: str) -> str:
    """The unit of work a test belongs to: its own for a unit test, else one of the two groups."""
    path = Path(nodeid.split("::", 1)[0])
    if path.parent.name == "unit":
        return nodeid
    return "session" if path.stem in SESSION_PROJECT_MODULES else "siblings"


def pytest_xdist_make_scheduler(config, log):
    """xdist's scope scheduling over ``worker_group`` (its own ``xdist_group`` marks rename test
    ids, which pytest 9 no longer lets a plugin do)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return ByGroup(config, log)


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> ProjectConfig:
    """The session's project: the example corpus (its first ``SESSION_ROWS`` training rows: its
    rounds and searches, at under half the embedding), small model settings, small batches."""
    folder = tmp_path_factory.mktemp("project")
    data = with_example_data(folder, SESSION_ROWS)
    loop = {"batch_size": 8, "schedule": {"min_new_labels": 4}, "warm_ahead": 64}
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
    and dataset; the server's state folder and credentials shared through symlinks), on the
    first ``rows`` of each of the example's files (None: all of them)."""

    def make(name: str, rows: int | None = SIBLING_ROWS, **overrides) -> ProjectConfig:
        folder = tmp_path_factory.mktemp(name)
        data = with_example_data(folder, rows)
        settings = {
            "name": name,
            "data": data,
            "model": SMALL_MODEL,
            "loop": {"batch_size": 8, "schedule": {"min_new_labels": 4}, "warm_ahead": 64},
            **overrides,
        }
        config = load_config(write_project(folder, project.server.port, **settings))
        shared_server.join(config, project.root / "bucle.yaml")
        return config

    return make


@pytest.fixture(scope="session")
def demo_project(sibling_project):
    """A project with a trained champion that the demo serves (trained once per session)."""
    from bucle.loop.ingest.pipeline import ingest
    from bucle.loop.train import train_round

    config = sibling_project(  # the whole corpus: the demo's default examples are its typical texts
        "demostracion",
        rows=None,
        publish={"model_repo": "somosnlp/prueba-bucle"},
        demo={"rate_limit_per_minute": 1000},
    )
    ingest(config)
    train_round(config, fine_tune=False)
    return config


@pytest.fixture(scope="module")
def running(demo_project):
    """The demo of ``demo_project`` served on a free port: its URL and parts."""
    from bucle.demo.app import build_app, parts

    port = free_port()
    pieces = parts(demo_project)
    app = build_app(demo_project, pieces)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", pieces
    app.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (which never downloads a browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()
