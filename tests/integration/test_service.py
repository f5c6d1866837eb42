"""``bucle up`` keeps the scheduler running: answers submitted in Argilla reach bucle as signed
webhooks and start the next round; Ctrl-C stops it cleanly and disables the webhook."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

import pytest

from bucle.loop.manifest import RoundManifest
from bucle.loop.adapters import owner_client
from bucle.loop.service import webhook_name
from tests.helpers import interrupt, answer_all

pytestmark = pytest.mark.integration


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.25)


def finished_rounds(config) -> int:
    return sum(m.finished for m in RoundManifest.all(config.state.rounds))


def test_submitted_answers_start_a_round_through_signed_webhooks(sibling_project):
    # the progress watcher and the timer are far away: only a webhook can start round 2
    schedule = {"min_new_labels": 4, "watch_seconds": 3600, "every_minutes": 600, "debounce_seconds": 1}
    config = sibling_project("programada", loop={"batch_size": 8, "schedule": schedule})
    process = subprocess.Popen(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(config.root / "bucle.yaml"), "up"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()

    def seen(fragment: str) -> bool:
        while not lines.empty():
            output.append(lines.get())
        return any(fragment in line for line in output)

    try:
        wait_for(lambda: seen("listening for Argilla's webhooks") or process.poll() is not None, 300, "the service")
        assert process.poll() is None, "".join(output)
        first = RoundManifest.all(config.state.rounds)[0]
        assert first.finished

        answer_all(config, first.result("select")["ids"])
        wait_for(lambda: finished_rounds(config) == 2, 180, "a round started by the webhook")
        wait_for(lambda: seen("records sent"), 30, "the round's summary line")
        second = RoundManifest.all(config.state.rounds)[1]
        assert second.result("pull")["new_labels"] == 8
        assert seen("webhook:"), "the round was started by the webhook trigger"
        assert not seen("webhook rejected")
    finally:
        interrupt(process)
    seen("")
    assert process.returncode == 0, "".join(output)
    assert seen("stopped"), "".join(output)
    assert finished_rounds(config) == 2, "one burst of eight answers started one round"
    hooks = [hook for hook in owner_client(config).webhooks if hook.description == webhook_name(config)]
    assert len(hooks) == 1 and not hooks[0].enabled, "no deliveries to a port nobody listens on"
    assert all(hook.secret not in "".join(output) for hook in hooks), "the secret is never printed"
