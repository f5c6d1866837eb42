"""The model registry: one immutable folder per model version, and an atomic champion pointer.

    registry/
      versions/0003-setfit/   model/, metrics.json, README.md (card), plots, manifest.json, checksums.json
      champion.json           which version is served, since when, why
      decisions.jsonl         every promotion, refusal and rollback
      bodies/body-0002/       sentence-transformer bodies fine-tuned beside the rounds
      bodies/base-…/          the configured body as rounds use it (its sequence length saved)
      bodies.json             the latest fine-tuned body: the one later trainings build on

A version is self-contained (its model folder loads with its library's own call); the bodies
its files share with other versions are hard links to the same bytes, never paths elsewhere.

A version is written in a hidden staging folder and renamed into place when complete; the
champion pointer is written to a temporary file and renamed over the old one. A crash at any
point leaves either the old state or the new one, never half of either. Each version's files are
checksummed; a version whose files no longer match is reported and never served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bucle.common.clock import utc_now
from bucle.common.files import write_json_atomically
from bucle.training.errors import TrainingError

log = logging.getLogger("bucle.training")
CHECKSUMS = "checksums.json"
METRICS = "metrics.json"
MODEL = "model"
LATEST_BODY = "bodies.json"


class RegistryError(TrainingError):
    """A version is missing, damaged, or cannot be promoted."""


@dataclass(frozen=True)
class Evaluated:
    """One evaluated version, as learning curves and baselines read it."""

    name: str
    family: str
    training: int  # the training that produced it (its NNNN prefix)
    labels: int
    macro_f1: float


@dataclass(frozen=True)
class Body:
    """A fine-tuned body: its folder, the id its embeddings are cached under, and the training
    and label count it was tuned at (what decides when to tune again)."""

    folder: Path
    body_id: str
    training: int
    labels: int


@dataclass(frozen=True)
class VersionInfo:
    name: str
    path: Path
    intact: bool
    metrics: dict[str, Any]


# Digests already computed in this process, by file identity and change times: a round checks
# the same 470 MB body (hard-linked into every version) five or six times, about a second each
# on 2 cores. Any write to a file changes its ctime, which no tool can set back, so a damaged
# file is hashed again; bit rot under unchanged metadata is caught by the next process.
_digests: dict[tuple[int, int, int, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if identity not in _digests:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _digests[identity] = digest.hexdigest()
    return _digests[identity]


def _checksums(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != CHECKSUMS
    }


class Registry:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions_dir = root / "versions"
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self.bodies_dir = root / "bodies"

    # -- versions -------------------------------------------------------------------------

    def add(self, name: str, write: Callable[[Path], None]) -> Path:
        """Create version ``name`` (see ``add_all``)."""
        return self.add_all({name: write})[0]

    def add_all(self, writers: dict[str, Callable[[Path], None]]) -> list[Path]:
        """Create the versions named by ``writers``, all or none: each ``write`` fills a staging
        folder, which is checksummed; only when every one is complete are they renamed into
        place, and a failure (a full disk, say) removes any already renamed. Versions are
        immutable: an existing name is an error."""
        for name in writers:
            if (self.versions_dir / name).exists():
                raise RegistryError(f"version {name} already exists")
        staged: dict[str, Path] = {}
        placed: list[Path] = []
        try:
            for name, write in writers.items():
                staging = staged[name] = self.versions_dir / f".staging-{name}-{uuid.uuid4().hex[:8]}"
                staging.mkdir()
                write(staging)
                write_json_atomically(staging / CHECKSUMS, _checksums(staging))
            for name, staging in staged.items():
                staging.rename(self.versions_dir / name)
                placed.append(self.versions_dir / name)
        except BaseException:
            for target in placed:
                shutil.rmtree(target, ignore_errors=True)
            raise
        finally:
            for staging in staged.values():
                shutil.rmtree(staging, ignore_errors=True)
        return placed

    def names(self) -> list[str]:
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def path(self, name: str) -> Path:
        path = self.versions_dir / name
        if not path.is_dir():
            raise RegistryError(f"no version {name!r}; known: {', '.join(self.names()) or 'none'}")
        return path

    def intact(self, name: str) -> bool:
        folder = self.path(name)
        try:
            expected = json.loads((folder / CHECKSUMS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return expected == _checksums(folder)

    def metrics(self, name: str) -> dict[str, Any]:
        try:
            return json.loads((self.path(name) / METRICS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def info(self, name: str) -> VersionInfo:
        return VersionInfo(name, self.path(name), self.intact(name), self.metrics(name))

    def history(self) -> list[Evaluated]:
        """Every evaluated version, oldest first: the one scan behind learning curves, status and
        the demo."""
        rows = []
        for name in self.names():
            metrics = self.metrics(name)
            if "evaluation" in metrics:
                rows.append(
                    Evaluated(
                        name,
                        metrics.get("family", "?"),
                        metrics.get("round", 0),
                        metrics.get("labels", 0),
                        metrics["evaluation"]["macro_f1"],
                    )
                )
        return rows

    def baseline(self, name: str) -> float | None:
        """The baseline of version ``name``: the macro-F1 of the TF-IDF trained in the same
        training, on the same labels (None if there is none)."""
        training = self.metrics(name).get("round")
        return next(
            (row.macro_f1 for row in self.history() if row.family == "tfidf" and row.training == training), None
        )

    def model_folder(self, name: str) -> Path:
        """The model files of an intact version; a damaged one is refused."""
        if not self.intact(name):
            raise RegistryError(f"version {name} is damaged (its files do not match their checksums); it is not served")
        return self.path(name) / MODEL

    def evaluated(self, name: str) -> Evaluated | None:
        """Version ``name`` as the history lists it; None if it has no evaluation."""
        return next((row for row in self.history() if row.name == name), None)

    def next_training(self) -> int:
        """The number of the next training: one more than the newest version's."""
        numbers = [int(name.split("-")[0]) for name in self.names() if name.split("-")[0].isdigit()]
        return max(numbers, default=0) + 1

    # -- bodies -----------------------------------------------------------------------------

    def latest_body(self) -> Body | None:
        """The latest fine-tuned body, or None before the first fine-tune."""
        try:
            entry = json.loads((self.root / LATEST_BODY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        name = entry.get("name") or Path(entry["path"]).name  # older entries held an absolute path
        body = Body(self.bodies_dir / name, entry["body_id"], entry["round"], entry["labels"])
        if not self._body_intact(body.folder):
            log.warning(
                "the fine-tuned body %s is damaged (its files do not match their checksums): trainings use "
                "the configured body until the next fine-tune",
                name,
            )
            return None
        return body

    def add_body(self, save: Callable[[Path], None], body_id: Callable[[str], str], training: int, labels: int) -> Body:
        """Store a fine-tuned body as ``bodies/body-NNNN`` (``save`` fills a staging folder that is
        renamed when complete); ``body_id(name)`` gives its id. It becomes the latest body only
        through ``make_latest``, once what rounds read has been embedded with it."""
        self.bodies_dir.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name.split("-")[1]) for p in self.bodies_dir.glob("body-*") if p.name.split("-")[1].isdigit()]
        name = f"body-{max(numbers, default=0) + 1:04d}"
        self._stage(self.bodies_dir / name, save)
        return Body(self.bodies_dir / name, body_id(name), training, labels)

    def make_latest(self, body: Body) -> None:
        write_json_atomically(
            self.root / LATEST_BODY,
            {
                "name": body.folder.name,
                "body_id": body.body_id,
                "round": body.training,
                "labels": body.labels,
                "at": utc_now(),
            },
        )

    def stored_body(self, body_id: str, save: Callable[[Path], None]) -> Path:
        """The configured body as rounds use it, saved once under ``bodies/`` so that versions
        link its files instead of naming a folder outside the registry."""
        folder = self.bodies_dir / f"base-{hashlib.sha256(body_id.encode()).hexdigest()[:16]}"
        if folder.is_dir() and not self._body_intact(folder):
            log.warning("the stored body %s is damaged; saving it again from the configured body", folder.name)
            folder.rename(folder.with_name(f".damaged-{folder.name}-{uuid.uuid4().hex[:8]}"))
        if not folder.is_dir():
            self.bodies_dir.mkdir(parents=True, exist_ok=True)
            self._stage(folder, save)
        return folder

    @staticmethod
    def _body_intact(folder: Path) -> bool:
        """A body's files against the checksums written when it was stored (versions link the
        same bytes, so a damaged body would damage every version trained on it). Bodies stored by
        an older bucle have no checksums and are taken as they are."""
        if folder.is_dir() and not (folder / CHECKSUMS).exists():
            return True
        try:
            return json.loads((folder / CHECKSUMS).read_text(encoding="utf-8")) == _checksums(folder)
        except (OSError, ValueError):
            return False

    @staticmethod
    def _stage(folder: Path, save: Callable[[Path], None]) -> None:
        staging = folder.with_name(f".staging-{folder.name}-{uuid.uuid4().hex[:8]}")
        try:
            save(staging)
            for path in staging.rglob("*"):
                if path.is_file():
                    path.chmod(0o444)  # shared by hard links: never written in place
            write_json_atomically(staging / CHECKSUMS, _checksums(staging))
            staging.rename(folder)
        except OSError:
            if not folder.is_dir():  # else another process stored the same body first
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -- the champion -----------------------------------------------------------------------

    def champion(self) -> str | None:
        try:
            return json.loads((self.root / "champion.json").read_text(encoding="utf-8"))["version"]
        except (OSError, ValueError, KeyError):
            return None

    def set_champion(self, name: str, kind: str, reason: str, rule: str = "") -> None:
        """Point the champion at ``name`` (``kind``: promote, manual or rollback; ``rule``: the
        gate's rule that promoted it)."""
        if not self.intact(name):
            raise RegistryError(f"version {name} is damaged; it cannot become the champion")
        entry = {
            "version": name,
            "kind": kind,
            **({"rule": rule} if rule else {}),
            "reason": reason,
            "previous": self.champion(),
            "at": utc_now(),
        }
        write_json_atomically(self.root / "champion.json", entry)
        self.record(entry)

    def record(self, decision: dict[str, Any]) -> None:
        with open(self.root / "decisions.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(decision, ensure_ascii=False) + "\n")

    def decisions(self) -> list[dict[str, Any]]:
        path = self.root / "decisions.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
