"""Publishing the champion: the model, the labelled dataset and the demo Space, each as one
commit (tagged ``round-N``) to its repository, on the Hub or in local git repositories.

The model goes first and the Space is pinned to the commit it got, so a Space never serves a
model revision that was not committed. Every repository is written whole (``publishing/``), so
publishing again after a crash completes the work, and publishing what is already there makes
no commit. ``published.json`` records the last publish; the round's ``publish`` step reads it to
decide whether the champion changed since.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bucle.common.clock import utc_now
from bucle.common.errors import BucleError
from bucle.common.files import write_json_atomically
from bucle.loop.config import ProjectConfig
from bucle.loop.pool import Pool
from bucle.loop.labelled import export_labelled
from bucle.loop.manifest import RoundManifest
from bucle.loop.context import registry
from bucle.publishing.content import dataset_files, listing, model_files, space_files
from bucle.publishing.hub import HubRepository
from bucle.publishing.local_git import LocalRepository, Published
from bucle.training.dataset_export import DATA
from bucle.training.models.base import FORMAT, META

log = logging.getLogger("bucle.publish")
KINDS = ("model", "dataset", "space")
TRAINING_STEPS = ("pull", "export", "train", "gate")
ROUND_HEADER = ("round", "strategy", "seed", "batch_size", "registry_round", "started_at")


@dataclass(frozen=True)
class Publication:
    version: str
    tag: str
    repositories: dict[str, Published]  # kind -> what its commit was


def repo_ids(config: ProjectConfig) -> dict[str, str]:
    """Each repository's id: the configured one, else one named after the project (enough for
    the local target; the Hub needs them set)."""
    publish = config.publish
    configured = {"model": publish.model_repo, "dataset": publish.dataset_repo, "space": publish.space_repo}
    return {kind: repo or f"{config.name}-{kind}" for kind, repo in configured.items()}


def _repository(config: ProjectConfig, kind: str) -> HubRepository | LocalRepository:
    """Where repository ``kind`` (model, dataset or space: the Hub's repository types too) goes."""
    publish = config.publish
    if publish.target == "hub":
        missing = [f"publish.{name}_repo" for name in KINDS if not getattr(publish, f"{name}_repo")]
        if missing:
            raise BucleError(
                f"publishing to the Hub needs {', '.join(missing)} in bucle.yaml (e.g. mi-organizacion/mi-modelo)"
            )
        return HubRepository(repo_ids(config)[kind], kind, publish.private)
    folder = publish.local_dir if publish.local_dir is not None else config.state.publish
    folder = folder if folder.is_absolute() else config.root / folder
    return LocalRepository(folder / f"{kind}.git")


def last_published(config: ProjectConfig) -> dict | None:
    try:
        return json.loads(config.state.published.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _tag(config: ProjectConfig) -> str:
    manifests = RoundManifest.all(config.state.rounds)
    return f"round-{manifests[-1].number if manifests else 0}"


def _folders(config: ProjectConfig, version: str, scratch: Path) -> dict[str, Path]:
    """The model's and the dataset's repository folders (the Space's needs the model's commit).
    The dataset is the round's export (with its agreement report); one is made if there is none."""
    export = config.state.export
    if not (export / "README.md").exists() or not (export / DATA).is_dir():  # none yet, or an older layout
        export = export_labelled(config).folder
    reg = registry(config)
    return {
        "model": model_files(
            reg.path(version), scratch / "model", _trained_in(config, reg.evaluated(version).training)
        ),
        "dataset": dataset_files(export, scratch / "dataset"),
    }


def _trained_in(config: ProjectConfig, training: int) -> dict | None:
    """The record of the round that ran training ``training``, up to its gate (what follows
    changes after the publish, which would make every publish a new commit)."""
    manifest = next(
        (m for m in RoundManifest.all(config.state.rounds) if m.data.get("registry_round") == training), None
    )
    if manifest is None:
        return None
    steps = {step: entry for step, entry in manifest.data["steps"].items() if step in TRAINING_STEPS}
    return {key: value for key, value in manifest.data.items() if key in ROUND_HEADER} | {"steps": steps}


def dry_run(config: ProjectConfig) -> dict[str, dict[str, int]]:
    """What a publish would commit: per repository, its files and their sizes."""
    from bucle.publishing.space import export_space

    version = _champion(config)
    with tempfile.TemporaryDirectory(prefix="bucle-publish-") as scratch:
        folders = _folders(config, version, Path(scratch))
        folders["space"] = space_files(
            export_space(config, Path(scratch) / "space", model_repo=repo_ids(config)["model"])
        )
        return {kind: listing(folder) for kind, folder in folders.items()}


def _champion(config: ProjectConfig) -> str:
    version = registry(config).champion()
    if version is None:
        raise BucleError("there is no champion to publish yet: run a round first")
    reg = registry(config)
    if not reg.intact(version):
        raise BucleError(
            f"the champion {version} is damaged (its files do not match their checksums); it is not published"
        )
    meta = json.loads((reg.model_folder(version) / META).read_text(encoding="utf-8"))
    if meta.get("format", 1) < FORMAT:
        raise BucleError(
            f"the champion {version} was saved by an older bucle, in a format only bucle loads: train a "
            "new version (`bucle train`) and publish that"
        )
    return version


def publish(config: ProjectConfig, pool: Pool | None = None) -> Publication:
    """Publish the champion, the dataset and the Space (in that order) as one commit each; a
    round passes its open ``pool``."""
    from bucle.publishing.space import export_space

    version = _champion(config)
    tag = _tag(config)
    message = f"{version}: {tag} of {config.name}"
    done: dict[str, Published] = {}
    with tempfile.TemporaryDirectory(prefix="bucle-publish-") as scratch:
        folders = _folders(config, version, Path(scratch))
        for kind in ("model", "dataset"):
            log.info("publishing the %s (%s)…", kind, repo_ids(config)[kind])
            done[kind] = _repository(config, kind).publish(folders[kind], tag, message)
        space = export_space(
            config,
            Path(scratch) / "space",
            model_repo=repo_ids(config)["model"],
            model_revision=done["model"].commit,
            pool=pool,
        )
        log.info("publishing the space (%s)…", repo_ids(config)["space"])
        done["space"] = _repository(config, "space").publish(space_files(space), tag, message)
    publication = Publication(version, tag, done)
    config.state.publish.mkdir(parents=True, exist_ok=True)
    write_json_atomically(
        config.state.published, {**asdict(publication), "target": config.publish.target, "at": utc_now()}
    )
    changed = [kind for kind, published in done.items() if published.changed]
    log.info(
        "published %s: %s",
        version,
        ", ".join(f"{kind} {done[kind].commit[:12]}" for kind in changed) or "nothing had changed",
    )
    return publication


def due(config: ProjectConfig) -> str | None:
    """Why the round should publish now (None: it should not), as ``publish.when`` says."""
    when = config.publish.when
    champion = registry(config).champion()
    if when == "manual" or champion is None:
        return None
    if when == "every-round":
        return "every round"
    last = last_published(config) or {}
    if last.get("target", config.publish.target) != config.publish.target:
        return f"publish.target is now {config.publish.target}"
    return None if last.get("version") == champion else f"the champion is {champion}"
