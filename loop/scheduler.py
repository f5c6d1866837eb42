"""Rounds that start on their own: when annotators have labelled enough, when Argilla says an
answer arrived, and on a timer for stragglers.

APScheduler 3 keeps its jobs in a SQLAlchemy job store on SQLite (``.bucle/scheduler.sqlite``),
so they survive a restart (a pending webhook round still fires; a missed interval run is
coalesced into one). All jobs share one worker thread and ``max_instances=1``, and every round
takes the round lock, so a scheduled round never overlaps another, even one started by hand.

Fine-tuning the body takes minutes on 2 cores, and training a LoRA LLM challenger minutes on a
GPU, so neither runs inside a round: jobs on their own thread check whether one is due and run it
in a niced subprocess (``bucle fine-tune``, ``bucle train-llm``); rounds keep refitting the head
on the current body in seconds, use the new body once it is saved and its embeddings cached, and
serve the LLM once the gate promotes it.

Every round trigger asks ``due`` first, which reads Argilla's progress in one request and applies
``loop.queue_rules``:
- ``min_new_labels`` records completed since the last round's pull: a round now;
- the records still waiting fell to the low-water mark (half a batch by default) and some
  answers are new: a round now, so the next batch arrives before the queue runs dry;
- the interval job: a round if any record was labelled or discarded since the last round.
Otherwise nothing happens, so an idle project does not pile up records in the annotators' queue
(and a round never pushes while a full batch is still waiting).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bucle.common.processes import command_line, dies_with_this_process, is_alive, process_parent, session_leader
from bucle.common.errors import BucleError, disk_full
from bucle.loop.config import ProjectConfig, load_config
from bucle.loop.lock import RoundLock
from bucle.loop.logs import TRACE
from bucle.loop.queue_rules import round_reason, since_pull

INTERVAL_JOB = "ronda-periodica"
WATCH_JOB = "vigilar-progreso"
WEBHOOK_JOB = "ronda-por-webhook"
FINE_TUNE_JOB = "afinar-cuerpo"
LLM_JOB = "entrenar-llm"
ROUND_FUNC = "bucle.loop.scheduler:scheduled_round"
BESIDE_FUNC = "bucle.loop.scheduler:scheduled_beside"
LEGACY_MODULE = "loop.scheduler:"  # where both lived before the bucle namespace
BESIDE_JOBS = {FINE_TUNE_JOB: "fine-tune", LLM_JOB: "train-llm"}  # job id -> the bucle command it runs
BESIDE_RETRY = dt.timedelta(hours=1)  # after a failed job
log = logging.getLogger("bucle.scheduler")


def repoint_stored_jobs(store: Path) -> int:
    """Re-point jobs stored by a bucle before the ``bucle.`` namespace (``loop.scheduler:…``) at
    the functions' new home, keeping their triggers and next run times; APScheduler would
    otherwise fail to import them and drop them. Returns how many were re-pointed."""
    if not store.exists():
        return 0
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'apscheduler_jobs'").fetchone():
            return 0
        stale = []
        for job_id, blob in db.execute("SELECT id, job_state FROM apscheduler_jobs"):
            state = pickle.loads(blob)  # noqa: S301 (the project's own job store, which APScheduler unpickles anyway)
            if state.get("func", "").startswith(LEGACY_MODULE):
                state["func"] = "bucle." + state["func"]
                stale.append((pickle.dumps(state, pickle.HIGHEST_PROTOCOL), job_id))
        db.executemany("UPDATE apscheduler_jobs SET job_state = ? WHERE id = ?", stale)
    return len(stale)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def due(config: ProjectConfig, trigger: str) -> str | None:
    """Why a round should start now, or None. ``trigger``: interval, watch or webhook."""
    from bucle.annotation.datasets import ensure_dataset
    from bucle.annotation.records import progress
    from bucle.loop.manifest import RoundManifest
    from bucle.loop.step_results import result
    from bucle.loop.adapters import dataset_spec, owner_client

    manifests = RoundManifest.all(config.state.rounds)
    if not manifests:
        return "no round has run yet"
    last = manifests[-1]
    if not last.finished:
        return f"round {last.number} was interrupted and resumes"
    client = owner_client(config)
    now = progress(client, ensure_dataset(client, dataset_spec(config)))
    pulled = result(last, "pull")
    queue = since_pull(
        now.pending, now.completed, now.discarded, pulled.completed, pulled.discards, config.annotation.overlap
    )
    schedule = config.loop.schedule
    return round_reason(
        queue, trigger, config.loop.low_water, schedule.min_new_labels, schedule.every_minutes, last.number
    )


def scheduled_round(config_path: str, trigger: str) -> None:
    """The job every trigger runs (referenced by name, so that the job store can keep it)."""
    from bucle.loop.rounds import run_round

    config = load_config(Path(config_path))
    reason = due(config, trigger)
    if reason is None:
        return
    if config.loop.stop_when_signalled:
        from bucle.loop.status import status

        signals = status(config).signals
        if signals.stop:
            log.info("%s: no round: %s (loop.stop_when_signalled)", trigger, signals.advice)
            return
    log.info("%s: %s; starting a round", trigger, reason)
    report = run_round(config)
    log.info(
        f"round {report.round}: {report.new_labels} new labels, {'retrained' if report.trained else 'no retraining'}, "
        f"{len(report.sent)} records sent, champion {report.champion}"
    )


_children: set[subprocess.Popen] = set()  # fine-tunes and LLM trainings running beside the rounds
_stopping = threading.Event()


def spawn_beside(command: list[str], output) -> subprocess.Popen:
    """Start ``command`` niced, in its own session (a Ctrl-C at the terminal is the scheduler's
    to handle), and dying with this process: a ``bucle up`` killed with SIGKILL takes it along
    instead of leaving it to hold its lock for an hour."""
    process = subprocess.Popen(
        command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=dies_with_this_process()
    )
    os.setpriority(os.PRIO_PROCESS, process.pid, 10)
    return process


def beside_lock(config: ProjectConfig, command: str) -> RoundLock:
    """The lock of ``bucle <command>`` (``fine-tune``, ``train-llm``): one of each at a time."""
    return RoundLock(config.state.job_lock(command), what=command)


def stop_orphaned(config: ProjectConfig, command: str) -> int | None:
    """A ``bucle <command>`` that a crashed ``bucle up`` left running (one from before they died
    with their parent) holds its lock for up to an hour: stop it, and return its pid. One started
    by hand (in a terminal) is left alone."""
    pid = beside_lock(config, command).holder()
    if pid is None or not is_alive(pid, command):
        return None
    parent = process_parent(pid)
    if (
        session_leader(pid)
        and parent is not None
        and not any(marker in command_line(parent) for marker in ("bucle.loop.cli", "bin/bucle"))
    ):
        os.kill(pid, signal.SIGTERM)
        return pid
    return None


def _due(config: ProjectConfig, command: str) -> bool:
    from bucle.loop.llm_plan import llm_due
    from bucle.loop.train import fine_tune_due

    return fine_tune_due(config) if command == "fine-tune" else llm_due(config)


def scheduled_beside(config_path: str, command: str) -> None:
    """Run ``bucle <command>`` when it is due, in a niced subprocess beside the rounds (minutes of
    torch; the rounds keep refitting heads in seconds meanwhile)."""
    config = load_config(Path(config_path))
    failed = config.state.job_failed(command)
    if failed.exists() and _now().timestamp() - failed.stat().st_mtime < BESIDE_RETRY.total_seconds():
        return
    holder = beside_lock(config, command).holder()
    if holder is not None and is_alive(holder, command):
        return  # one started by hand is running: not a failure
    if not _due(config, command):
        return
    log_file = config.state.job_log(command)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log.info("running %s beside the rounds (log: %s)", command, log_file)
    with open(log_file, "a", encoding="utf-8") as output:
        process = spawn_beside([sys.executable, "-m", "bucle.loop.cli", "-p", config_path, command], output)
        _children.add(process)
        try:
            code = process.wait()
        finally:
            _children.discard(process)
    if code < 0 and _stopping.is_set():
        log.info("%s was stopped with the scheduler; it starts again next time", command)
    elif code == 0:
        failed.unlink(missing_ok=True)
        log.info("%s finished: the next round uses what it made", command)
    else:
        failed.touch()
        log.error("%s failed (exit %d, log: %s); retrying in an hour", command, code, log_file)


class LoopScheduler:
    """The project's scheduler: its persistent jobs, and webhook bursts turned into one round."""

    def __init__(self, config: ProjectConfig, config_path: Path) -> None:
        self.config = config
        self.config_path = str(config_path.resolve())
        self.store = config.state.scheduler_store
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{self.store}")},
            executors={"default": ThreadPoolExecutor(1), "beside": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone=dt.timezone.utc,
        )
        self.scheduler.add_listener(self._failed, EVENT_JOB_ERROR)
        self._burst_lock = threading.Lock()

    def start(self) -> "LoopScheduler":
        """Start with the stored jobs, adding or updating the interval and watch jobs only where
        the config changed them, so that a restart keeps their next run times."""
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        _stopping.clear()
        for command in BESIDE_JOBS.values():
            orphan = stop_orphaned(self.config, command)
            if orphan is not None:
                log.info(
                    "stopped %s (pid %d) left running by an earlier bucle up; it starts again when due", command, orphan
                )
        if repointed := repoint_stored_jobs(self.store):
            log.info("re-pointed %d stored jobs at bucle.loop.scheduler (stored by an earlier bucle)", repointed)
        self.scheduler.start(paused=True)
        schedule = self.config.loop.schedule
        self._ensure_interval(INTERVAL_JOB, dt.timedelta(minutes=schedule.every_minutes), "interval")
        self._ensure_interval(WATCH_JOB, dt.timedelta(seconds=schedule.watch_seconds), "watch")
        for job_id, command in BESIDE_JOBS.items():
            job = self.scheduler.get_job(job_id)
            if job is None or job.func_ref != BESIDE_FUNC:  # new, or stored by a bucle before train-llm
                self.scheduler.add_job(
                    BESIDE_FUNC,
                    "interval",
                    seconds=schedule.watch_seconds,
                    id=job_id,
                    executor="beside",
                    args=[self.config_path, command],
                    replace_existing=True,
                )
        self.scheduler.resume()
        return self

    def _ensure_interval(self, job_id: str, every: dt.timedelta, trigger: str) -> None:
        job = self.scheduler.get_job(job_id)
        if (
            job is not None
            and getattr(job.trigger, "interval", None) == every
            and job.args == (self.config_path, trigger)
        ):
            return
        self.scheduler.add_job(
            ROUND_FUNC,
            "interval",
            seconds=every.total_seconds(),
            id=job_id,
            replace_existing=True,
            args=[self.config_path, trigger],
        )

    def on_webhook(self, event: str) -> None:
        """Debounce: one round check ``debounce_seconds`` after the first event of a burst; later
        events of the burst join it rather than postpone it, so that an annotator confirming a
        record every second still gets the next batch at the low-water mark (the check is two
        cheap requests; ``due`` decides whether a round starts)."""
        with self._burst_lock:
            if self.scheduler.get_job(WEBHOOK_JOB) is not None:
                return
            run_at = _now() + dt.timedelta(seconds=self.config.loop.schedule.debounce_seconds)
            self.scheduler.add_job(
                ROUND_FUNC,
                "date",
                run_date=run_at,
                id=WEBHOOK_JOB,
                replace_existing=True,
                args=[self.config_path, "webhook"],
            )

    def jobs(self) -> dict[str, dt.datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def _failed(self, event: JobExecutionEvent) -> None:
        """One line on the console; the traceback to the log file only."""
        error = event.exception
        what = f"the {BESIDE_JOBS[event.job_id]} check" if event.job_id in BESIDE_JOBS else "the round"
        why = (
            str(error)
            if isinstance(error, BucleError)
            else disk_full(error, self.config.state_dir) or f"{type(error).__name__}: {error}"
        )
        log.error(f"{event.job_id}: {what} failed: {why}; it resumes at the next trigger")
        logging.getLogger(TRACE).error("%s failed:\n%s", event.job_id, event.traceback or "")

    def stop(self, wait: bool = True) -> None:
        """Stop starting jobs, stop a fine-tune or LLM training (it would hold the exit for
        minutes; it starts again next time), and wait for a running round unless ``wait`` is False."""
        if self.scheduler.running:
            _stopping.set()
            for process in list(_children):
                process.terminate()
            self.scheduler.shutdown(wait=wait)
