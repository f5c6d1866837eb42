"""The long-running half of ``bucle up``: the scheduler and the webhook endpoint, until Ctrl-C.

Argilla's webhook is pointed at a local endpoint each time the service starts and disabled when
it stops; the scheduler's jobs persist in between. Stopping waits for a running round to reach
the end (a second Ctrl-C stops at once; the round then resumes at its step next time).
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from bucle.annotation.webhooks import WebhookReceiver, disable_webhook, ensure_webhook
from bucle.loop.config import ProjectConfig
from bucle.loop.adapters import owner_client
from bucle.loop.scheduler import LoopScheduler

log = logging.getLogger("bucle.service")


def webhook_name(config: ProjectConfig) -> str:
    return f"bucle:{config.workspace}/{config.name}"


def serve(config: ProjectConfig, config_path: Path, stop: threading.Event | None = None) -> None:
    """Run the project's scheduler (and webhook endpoint) until ``stop`` is set or SIGINT/SIGTERM."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: _second_signal() if stop.is_set() else stop.set())
    scheduler = LoopScheduler(config, config_path).start()
    receiver = None
    schedule = config.loop.schedule
    try:
        if schedule.webhooks and config.external and not schedule.webhook_url:
            log.info(
                "no webhooks: Argilla at %s cannot reach this machine's receiver without "
                "loop.schedule.webhook_url; the progress watch and the timer start rounds",
                config.argilla_url,
            )
        elif schedule.webhooks:
            client = owner_client(config)
            receiver = WebhookReceiver(
                "",
                scheduler.on_webhook,
                schedule.webhook_host,
                schedule.webhook_port,
                on_rejected=lambda why: log.warning("webhook rejected (%s)", why),
            )
            address = schedule.webhook_url or receiver.url
            receiver.secret = ensure_webhook(client, address, webhook_name(config))
            receiver.start()
            log.info("listening for Argilla's webhooks at %s (Argilla posts to %s)", receiver.url, address)
        log.info(
            "scheduler running: a round when %d records are labelled or the annotators' queue is down to %d "
            "(checked every %gs), or every %g min if any are; Ctrl-C stops",
            schedule.min_new_labels,
            config.loop.low_water,
            schedule.watch_seconds,
            schedule.every_minutes,
        )
        stop.wait()
        log.info("stopping: waiting for a running round to finish (Ctrl-C again to stop now)")
    finally:
        if receiver is not None:
            receiver.stop()
            disable_webhook(owner_client(config), webhook_name(config))
        scheduler.stop(wait=True)
    log.info("stopped")


def _second_signal() -> None:
    raise KeyboardInterrupt
