"""Feedback from the demo: "the prediction is wrong, it is X" goes to a separate Argilla dataset
as a record whose suggestion is the user's label, for annotators to review. It never reaches
training directly: the loop pulls only the project's own dataset.

Every item is first appended to a queue on disk (fsync'd), then delivered by a background thread;
if Argilla is down the items wait there and are retried, so no feedback is lost and a click never
waits on the network. Record ids are fixed when an item is queued, so a retried delivery upserts
instead of duplicating.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import asdict, dataclass

import httpx

from bucle.annotation.datasets import DatasetSpec, ensure_dataset
from bucle.common.errors import BucleError
from bucle.annotation.records import OutgoingRecord, push
from bucle.common.clock import utc_now
from bucle.common.files import write_atomically
from bucle.loop.config import ProjectConfig
from bucle.loop.adapters import owner_client

log = logging.getLogger("bucle.demo")
AGENT = "demo:persona-usuaria"  # untrusted: a suggestion for review, never a response


@dataclass(frozen=True)
class FeedbackItem:
    id: str
    text: str
    label: str  # what the user says is right
    predicted: str
    version: str
    at: str


def feedback_spec(config: ProjectConfig) -> DatasetSpec:
    return DatasetSpec(
        name=f"{config.name}-correcciones",
        workspace=config.review_workspace,
        labels=config.labels,
        guidelines=(
            "Correcciones enviadas desde la demo pública. La sugerencia es la etiqueta que propuso "
            "la persona usuaria, **no verificada**: revisa el texto con la guía del proyecto y responde "
            "con la etiqueta correcta, o descártalo si no es un texto del proyecto.\n\n" + config.guidelines_text()
        ),
        question="¿Qué etiqueta corresponde de verdad a este texto?",
        metadata_terms=("modelo", "prediccion"),
    )


class FeedbackQueue:
    def __init__(self, config: ProjectConfig, retry_s: float | None = None) -> None:
        self.config = config
        self.path = config.state.feedback_queue
        self.retry_s = retry_s if retry_s is not None else config.demo.feedback_retry_seconds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, text: str, label: str, predicted: str, version: str) -> FeedbackItem:
        if label not in self.config.labels:
            raise BucleError(f"«{label}» no es una etiqueta del proyecto ({', '.join(self.config.labels)})")
        item = FeedbackItem(f"feedback-{uuid.uuid4().hex}", text, label, predicted, version, utc_now())
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        self._wake.set()
        return item

    def pending(self) -> list[FeedbackItem]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [FeedbackItem(**json.loads(line)) for line in lines if line.strip()]

    def flush(self) -> int:
        """Deliver every queued item; returns how many were delivered (0 if Argilla is down)."""
        with self._lock:
            items = self.pending()
            if not items:
                return 0
            try:
                client = owner_client(self.config)
                dataset = ensure_dataset(client, feedback_spec(self.config))
                records = [
                    OutgoingRecord(i.id, i.text, {"modelo": i.version, "prediccion": i.predicted}, i.label)
                    for i in items
                ]
                push(client, dataset, records, agent=AGENT)
            except (BucleError, httpx.HTTPError) as error:
                log.warning("feedback kept on disk (%d items): %s", len(items), error)
                return 0
            delivered = {i.id for i in items}
            rest = [
                line
                for line in self.path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line)["id"] not in delivered
            ]
            write_atomically(self.path, "".join(line + "\n" for line in rest), 0o600)
            return len(items)

    def start(self) -> "FeedbackQueue":
        """Deliver in the background: at once after each submission, and every ``retry_s``."""

        def run() -> None:
            while not self._stop.is_set():
                self._wake.wait(self.retry_s)
                self._wake.clear()
                if not self._stop.is_set():
                    self.flush()

        self._thread = threading.Thread(target=run, name="bucle-feedback", daemon=True)
        self._thread.start()
        self._wake.set()  # deliver what a previous run left
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
