"""The example project as benchmarks use it: a copy with settings of their own, or a trained one.

Benchmarks that time what comes after training (the demo, publishing) need a trained project.
Without ``--trained`` a copy of the example is ingested and trained once (TF-IDF and the SetFit
head, both registered); with ``--trained BUCLE_YAML`` a project already trained that way is
copied, state folder included, and nothing is trained: CI's smoke run passes the test session's
trained project, so that the suite trains the example once rather than once per benchmark.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import yaml

from bucle.loop.config import ProjectConfig, load_config
from bucle.loop.ingest.pipeline import ingest
from bucle.loop.train import train_round

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "noticias-falsas"


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trained",
        type=Path,
        metavar="BUCLE_YAML",
        help="a project whose first training registered TF-IDF and SetFit: copy it instead of training the example",
    )


def copy(folder: Path, source: Path = EXAMPLE, rows: int | None = None, **settings: Any) -> ProjectConfig:
    """``source``'s project folder copied to ``folder``, bucle.yaml's top-level sections updated
    with ``settings``. The example is copied without the state a `make run` may have left in it
    (``rows``: only the first rows of each of its data files, which are JSON lines, for smoke runs); another
    project with its state (symlinks kept: a sibling's server folder stays shared)."""
    ignore = shutil.ignore_patterns(".bucle") if source == EXAMPLE else None
    shutil.copytree(source, folder, symlinks=True, ignore=ignore)
    path = folder / "bucle.yaml"
    current = yaml.safe_load(path.read_text(encoding="utf-8"))
    current.update(settings)
    path.write_text(yaml.safe_dump(current, allow_unicode=True, sort_keys=False), encoding="utf-8")
    config = load_config(path)
    for data in (config.root / source.path for source in config.data.sources) if rows is not None else ():
        lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
        data.write_text("".join(lines[:rows]), encoding="utf-8")
    return config


def trained(folder: Path, given: Path | None, model: dict[str, Any], **settings: Any) -> ProjectConfig:
    """A trained project in ``folder``: a copy of ``given`` (its ``model`` settings kept, since its
    versions were trained with them; nothing published yet), or the example with ``model``,
    ingested and trained here."""
    if given is not None:
        config = copy(folder, given.resolve().parent, **settings)
        shutil.rmtree(config.state.publish, ignore_errors=True)
        return config
    config = copy(folder, EXAMPLE, model=model, **settings)
    ingest(config)
    train_round(config, fine_tune=False)
    return config
