"""The round manifest: what each step of a round did, written before the next step starts.

``.bucle/rounds/0003/manifest.json`` holds the round's header (strategy, seed, model version…)
and, per finished step, its result and duration. A round killed at any step is resumed by
running it again: finished steps return their recorded results without running, the step that
was interrupted runs again (steps are idempotent), and a finished round can be replayed from
its manifest. Writes are atomic (temporary file, fsync, rename).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

from bucle.common.clock import utc_now
from bucle.common.files import write_json_atomically

# pull answers · export the labelled dataset and its card · train, evaluate and register the
# candidates in the local registry · gate (promote or refuse) · score the stop set · select ·
# push the selection · refresh the suggestions of records still waiting when the champion changed ·
# publish the champion, the dataset and the Space when the champion changed (publish.when)
# what annotators wait for comes first: after the push, the next candidates' vectors are computed
# ahead (warm) and the stop set is scored (for the stopping signals)
STEPS = ("pull", "export", "train", "gate", "select", "push", "warm", "score", "refresh", "review", "publish")


class RoundManifest:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def load(cls, path: Path) -> "RoundManifest":
        return cls(path, json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def all(cls, rounds_dir: Path) -> list["RoundManifest"]:
        """Every round's manifest, oldest first."""
        return [cls.load(path) for path in sorted(rounds_dir.glob("*/manifest.json"))]

    @classmethod
    def open(cls, rounds_dir: Path, number: int, **header: Any) -> "RoundManifest":
        """The manifest of round ``number``: loaded if the round was started, else created."""
        path = rounds_dir / f"{number:04d}" / "manifest.json"
        if path.exists():
            return cls.load(path)
        manifest = cls(path, {"round": number, **header, "started_at": utc_now(), "steps": {}, "finished_at": None})
        manifest._save()
        return manifest

    @classmethod
    def unfinished(cls, rounds_dir: Path) -> "RoundManifest | None":
        """The latest round that was started and not finished (a crash), if any."""
        manifests = cls.all(rounds_dir)
        return manifests[-1] if manifests and not manifests[-1].finished else None

    @property
    def number(self) -> int:
        return self.data["round"]

    @property
    def finished(self) -> bool:
        return self.data["finished_at"] is not None

    def done(self, step: str) -> bool:
        return step in self.data["steps"]

    def result(self, step: str) -> Any:
        return self.data["steps"][step]["result"]

    def run(self, step: str, action: Callable[[], Any]) -> Any:
        """Run ``step`` unless the manifest already records it; record its JSON-able result."""
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; the steps are {', '.join(STEPS)}")
        if self.done(step):
            return self.result(step)
        started = time.perf_counter()
        result = action()
        self.data["steps"][step] = {
            "result": result,
            "seconds": round(time.perf_counter() - started, 3),
            "at": utc_now(),
        }
        self._save()
        return result

    def remember(self, key: str, compute: Callable[[], Any]) -> Any:
        """A header value computed once and saved, so that a resumed round reuses it (e.g. the
        registry round its training writes to)."""
        if key not in self.data:
            self.data[key] = compute()
            self._save()
        return self.data[key]

    def finish(self) -> None:
        self.data["finished_at"] = utc_now()
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self.path, self.data)
