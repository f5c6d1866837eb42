"""Helpers the tests share (plain functions and constants; the shared fixtures are in
``conftest.py``): projects written like a user's, the ``bucle`` command run as a user runs it,
the one-line-error check, and simulated annotators."""

from __future__ import annotations

import functools
import logging
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import yaml

from bucle.loop.pool import Pool
from bucle.loop.adapters import owner_client
from bucle.loop.simulate import annotator_clients, answer
from bucle.training.bodies import minilm

BUCLE = [sys.executable, "-m", "bucle.loop.cli"]

EXAMPLE_DATA = Path(__file__).resolve().parents[1] / "examples" / "noticias-falsas" / "data"
# the small English body: tests of the loop time its wiring, not the default body (tests/integration/test_bodies.py)
SMALL_MODEL = {"body": minilm(), "max_seq_length": 64, "bootstrap_samples": 200, "fine_tune_min_labels": 10_000}
SIBLING_ROWS = 150  # a sibling project's pool and test set: what a round does, at a fifth of the cost


def copy_example_data(folder: Path, rows: int | None = None) -> None:
    """The example's two data files in ``folder``, each cut to its first ``rows`` (None: whole)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train.jsonl", "dev.jsonl"):
        lines = (EXAMPLE_DATA / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text("".join(lines[:rows]), encoding="utf-8")


def with_example_data(folder: Path, rows: int | None = None) -> dict:
    """Copy the example corpus into ``folder`` (``rows``: the first rows of each file, for a test
    that needs a training but not the whole corpus); the ``data`` section that reads it."""
    copy_example_data(folder / "data", rows)
    return {
        "sources": [{"path": "data/train.jsonl"}, {"path": "data/dev.jsonl", "role": "test"}],
        "text": ["text"],
        "id": "id",
        "label": "label",
        "metadata": ["topic"],
        "seed_size": 16,
    }


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


def bucle(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The ``bucle`` command as a user runs it, in a process of its own."""
    return subprocess.run([*BUCLE, "--project", str(project), *args], capture_output=True, text=True, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit code 1, one line on stderr holding every fragment, never a traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def interrupt(process: subprocess.Popen, timeout_s: float = 60) -> None:
    """Ctrl-C for ``bucle up``, as a user stops it; killed if it does not stop in ``timeout_s``."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(predicate, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def gold_labels(config) -> dict[str, str]:
    with Pool(config.state.pool) as pool:
        return {r.id: r.gold for r in pool.records(split="pool")}


def dataset_of(config):
    return owner_client(config).datasets(name=config.name, workspace=config.workspace)


def answer_waiting(config) -> int:
    """Answer, from the gold labels, every record waiting for annotators (the queue as bucle
    knows it); how many."""
    from bucle.loop.manifest import RoundManifest
    from bucle.loop.rounds import waiting_ids
    from bucle.loop.step_results import result

    manifests = RoundManifest.all(config.state.rounds)
    with Pool(config.state.pool) as pool:
        ids = sorted(waiting_ids(config, pool, result(manifests[-1], "pull").discarded if manifests else []))
    answer_all(config, ids)
    return len(ids)


def answer_all(config, ids) -> None:
    gold = gold_labels(config)
    answer(
        owner_client(config), annotator_clients(config, ["anotadora-1"]), dataset_of(config), {i: gold[i] for i in ids}
    )


DEMO_TEXT = (
    "El Ayuntamiento aprobó ayer el presupuesto municipal para el próximo año, con más fondos para "
    "escuelas públicas y transporte, según informó la alcaldesa en rueda de prensa."
)


CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def captured_logs(name: str) -> Iterator[list[str]]:
    """The messages logger ``name`` emits inside the block (at INFO and above)."""
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@functools.cache
def python_without_bucle() -> Path:
    """A fresh venv's Python that sees this venv's packages but not bucle: a ``.pth`` line adds
    the site-packages folder to its path, and the ``.pth`` files in that folder (bucle's
    editable install among them) are not run for a folder added that way."""
    import site
    import tempfile
    import venv

    folder = Path(tempfile.mkdtemp(prefix="bucle-bare-venv-"))
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (Path(own) / "packages.pth").write_text(site.getsitepackages()[0] + "\n", encoding="utf-8")
    return python


@contextmanager
def serving_space(folder: Path, model_dir: Path) -> Iterator:
    """The Space in ``folder`` run as the Hub runs it (``python app.py`` in a venv without bucle,
    which its vendored files must stand in for) against the model in ``model_dir``: a
    gradio_client for it."""
    import os

    from gradio_client import Client

    from bucle.annotation.embedded.ports import free_port

    port = free_port()
    env = {**os.environ, "BUCLE_MODEL_DIR": str(model_dir), "GRADIO_SERVER_PORT": str(port), "PYTHONPATH": ""}
    space = subprocess.Popen(
        [str(python_without_bucle()), "app.py"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                if space.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(space.stdout.read() if space.poll() is not None else "the Space did not start")
                time.sleep(1)
        yield client
    finally:
        space.terminate()
        space.wait(timeout=30)
