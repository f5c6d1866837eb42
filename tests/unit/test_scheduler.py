"""The scheduler's jobs persist in SQLite across restarts; webhook bursts become one round."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from bucle.loop.config import load_config
from bucle.loop.scheduler import (
    BESIDE_FUNC,
    FINE_TUNE_JOB,
    INTERVAL_JOB,
    LLM_JOB,
    ROUND_FUNC,
    WATCH_JOB,
    WEBHOOK_JOB,
    LoopScheduler,
    repoint_stored_jobs,
)
from tests.helpers import write_project


@pytest.fixture
def config(tmp_path):
    # long periods: no job fires during the test (they would need a server)
    schedule = {"every_minutes": 600, "watch_seconds": 3600, "debounce_seconds": 600}
    return load_config(write_project(tmp_path, 6999, loop={"schedule": schedule}))


def test_jobs_and_their_next_runs_survive_a_restart(config):
    first = LoopScheduler(config, config.root / "bucle.yaml").start()
    first.on_webhook("response.created")
    before = first.jobs()
    first.stop()
    assert set(before) == {INTERVAL_JOB, WATCH_JOB, WEBHOOK_JOB, FINE_TUNE_JOB, LLM_JOB}
    assert (config.state_dir / "scheduler.sqlite").exists()

    again = LoopScheduler(config, config.root / "bucle.yaml").start()
    try:
        assert again.jobs() == before, "a restart keeps every job and its next run time"
        job = again.scheduler.get_job(INTERVAL_JOB)
        assert job.max_instances == 1 and job.coalesce
    finally:
        again.stop()


def test_jobs_stored_before_the_bucle_namespace_are_repointed_and_keep_their_next_runs(config):
    import contextlib
    import pickle
    import sqlite3

    first = LoopScheduler(config, config.root / "bucle.yaml").start()
    before = first.jobs()
    first.stop()
    store = config.state_dir / "scheduler.sqlite"
    with contextlib.closing(sqlite3.connect(store)) as db, db:  # as a bucle before the namespace stored them
        for job_id, blob in db.execute("SELECT id, job_state FROM apscheduler_jobs").fetchall():
            state = pickle.loads(blob)
            state["func"] = state["func"].removeprefix("bucle.")
            db.execute("UPDATE apscheduler_jobs SET job_state = ? WHERE id = ?", (pickle.dumps(state), job_id))

    again = LoopScheduler(config, config.root / "bucle.yaml").start()
    try:
        assert again.jobs() == before, "every job kept, with its next run time"
        assert {job.func_ref for job in again.scheduler.get_jobs()} == {ROUND_FUNC, BESIDE_FUNC}
    finally:
        again.stop()
    assert repoint_stored_jobs(store) == 0, "nothing left to re-point"


def test_a_changed_interval_replaces_the_stored_job(config):
    LoopScheduler(config, config.root / "bucle.yaml").start().stop()
    changed = config.model_copy(
        update={
            "loop": config.loop.model_copy(
                update={"schedule": config.loop.schedule.model_copy(update={"every_minutes": 5})}
            )
        }
    )
    scheduler = LoopScheduler(changed, config.root / "bucle.yaml").start()
    try:
        assert scheduler.scheduler.get_job(INTERVAL_JOB).trigger.interval == dt.timedelta(minutes=5)
    finally:
        scheduler.stop()


def test_a_burst_of_webhooks_schedules_one_round_check_that_later_events_do_not_postpone(config):
    scheduler = LoopScheduler(config, config.root / "bucle.yaml").start()
    try:
        started = dt.datetime.now(dt.timezone.utc)
        for _ in range(20):
            scheduler.on_webhook("response.created")
        jobs = [job for job in scheduler.scheduler.get_jobs() if job.id == WEBHOOK_JOB]
        assert len(jobs) == 1
        delay = dt.timedelta(seconds=config.loop.schedule.debounce_seconds)
        assert started + delay <= jobs[0].next_run_time <= started + delay + dt.timedelta(seconds=5)
    finally:
        scheduler.stop()


def test_stopping_the_scheduler_stops_a_fine_tune_beside_it(config):
    import subprocess

    from bucle.loop import scheduler as loop_scheduler

    scheduler = LoopScheduler(config, config.root / "bucle.yaml").start()
    child = subprocess.Popen(["sleep", "60"])  # stands in for `bucle fine-tune`
    loop_scheduler._children.add(child)
    try:
        scheduler.stop()
        assert child.wait(timeout=5) < 0, "terminated, not waited for"
    finally:
        loop_scheduler._children.discard(child)
        child.kill()


def test_a_failing_round_is_one_line_on_the_console_and_its_traceback_goes_to_the_log(config):
    import io
    import time

    from rich.console import Console

    from bucle.loop.logs import send_logs
    from bucle.loop.scheduler import ROUND_FUNC

    screen = io.StringIO()
    log_path = send_logs(Console(file=screen, width=2000), config.state.log)
    scheduler = LoopScheduler(config, config.root / "bucle.yaml").start()
    try:
        for _ in range(2):  # no server and no owner yet: each run fails
            job = scheduler.scheduler.add_job(ROUND_FUNC, "date", args=[scheduler.config_path, "watch"])
            deadline = time.monotonic() + 30
            while scheduler.scheduler.get_job(job.id) is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
    finally:
        scheduler.stop()
    lines = [line.strip() for line in screen.getvalue().splitlines() if line.strip()]
    failures = [line for line in lines if "failed" in line]
    assert len(failures) == 2 and all("No owner" in line for line in failures), lines
    assert "Traceback" not in screen.getvalue() and all(len(line) < 400 for line in lines), lines
    assert "Traceback" in log_path.read_text(encoding="utf-8")


def test_a_fine_tune_dies_with_the_bucle_up_that_started_it(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from bucle.common.processes import is_alive

    script = (
        "import sys, time\nfrom loop.scheduler import spawn_beside\n"
        "child = spawn_beside(['sleep', '120'], open(sys.argv[1], 'w'))\nprint(child.pid, flush=True)\ntime.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "log")], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert is_alive(child, "sleep")
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while is_alive(child, "sleep") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not is_alive(child, "sleep"), "a SIGKILLed parent takes its fine-tune along"


def test_a_start_stops_a_fine_tune_that_a_crashed_bucle_up_left_behind(config, tmp_path):
    import subprocess
    import sys
    import time

    from bucle.common.processes import is_alive
    from bucle.loop.scheduler import stop_orphaned

    # as a SIGKILLed bucle up leaves it: its own session, its parent gone, holding the lock
    launcher = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', 'fine-tune'], "
        "start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nprint(child.pid)\n"
    )
    orphan = int(subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True).stdout)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    (config.state_dir / "fine-tune.lock").write_text(f"{orphan}\n")
    try:
        assert is_alive(orphan, "fine-tune")
        assert stop_orphaned(config, "fine-tune") == orphan
        deadline = time.monotonic() + 10
        while is_alive(orphan, "fine-tune") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not is_alive(orphan, "fine-tune")
    finally:
        subprocess.run(["kill", "-9", str(orphan)], capture_output=True)
    (config.state_dir / "fine-tune.lock").write_text(f"{os.getpid()}\n")
    assert stop_orphaned(config, "fine-tune") is None, "not a fine-tune: left alone"
