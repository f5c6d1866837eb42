"""Every path of a project's state folder (``.bucle/`` beside ``bucle.yaml``), named once.

The embedded server's own files (``server/``, ``credentials.json``) are named by
``annotation.embedded.layout.ServerLayout``; everything else bucle writes is named here, so that
"what lives where" reads in one place and deleting the folder resets the project.

    .bucle/
      pool.sqlite            the records, their splits and labels (loop.pool)
      quarantine.jsonl       every rejected row with its reason
      reports/               ingest reports
      backups/               a copy of the pool after each round (the last 3)
      export/                the labelled dataset and its card
      rounds/NNNN/           round manifests; rounds/stop_set.json
      reviews.json           labels sent back for a second look, and what reviewers answered
      round.lock, fine-tune.lock
      registry/              model versions, champion pointer, decisions, bodies
      cache/                 embeddings, evaluate's scratch, int8 ONNX exports
      publish/               the local target's git repositories (model.git, dataset.git, space.git),
                             published.json: what was published last
      scheduler.sqlite       APScheduler's job store
      logs/                  bucle.log, fine-tune.log, fine-tune.failed
      feedback/queue.jsonl   the demo's feedback waiting for Argilla
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StateLayout:
    root: Path

    @property
    def pool(self) -> Path:
        return self.root / "pool.sqlite"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine.jsonl"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def latest_ingest_report(self) -> Path:
        return self.reports / "ingest-latest.json"

    def ingest_report(self, stamp: str) -> Path:
        return self.reports / f"ingest-{stamp}.json"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def pool_backup(self, round_number: int) -> Path:
        return self.backups / f"pool-{round_number:04d}.sqlite"

    @property
    def export(self) -> Path:
        return self.root / "export"

    @property
    def rounds(self) -> Path:
        return self.root / "rounds"

    @property
    def stop_set(self) -> Path:
        return self.rounds / "stop_set.json"

    @property
    def reviews(self) -> Path:
        return self.root / "reviews.json"

    @property
    def round_lock(self) -> Path:
        return self.root / "round.lock"

    def job_lock(self, job: str) -> Path:
        """The lock of a job that runs beside the rounds (``fine-tune``, ``train-llm``)."""
        return self.root / f"{job}.lock"

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def embeddings(self) -> Path:
        return self.cache / "embeddings.sqlite"

    @property
    def evaluate_cache(self) -> Path:
        return self.cache / "evaluate"

    @property
    def llm_checkpoints(self) -> Path:
        return self.cache / "llm-checkpoints"

    def onnx_export(self, training: int) -> Path:
        return self.cache / f"onnx-{training:04d}"

    @property
    def publish(self) -> Path:
        return self.root / "publish"

    @property
    def published(self) -> Path:
        return self.publish / "published.json"

    @property
    def scheduler_store(self) -> Path:
        return self.root / "scheduler.sqlite"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log(self) -> Path:
        return self.logs / "bucle.log"

    def job_log(self, job: str) -> Path:
        return self.logs / f"{job}.log"

    def job_failed(self, job: str) -> Path:
        """Present for an hour after the job failed: it is not retried before."""
        return self.logs / f"{job}.failed"

    def migrate_credentials(self, host: str) -> Path:
        """The annotators ``bucle migrate`` created on the server at ``host`` (mode 0600)."""
        return self.root / "migrate" / f"credentials-{host}.json"

    @property
    def feedback_queue(self) -> Path:
        return self.root / "feedback" / "queue.jsonl"
