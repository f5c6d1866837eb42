"""Argilla's webhooks: registering bucle's endpoint and receiving signed events on 127.0.0.1.

Argilla signs every delivery with the webhook's secret (Standard Webhooks: HMAC-SHA256 over id,
timestamp and body, five minutes of tolerance). ``WebhookReceiver`` checks the signature before
anything else and answers 401 to a forged or replayed request, so that nobody who can reach the
port can start rounds. The secret is read from Argilla when bucle starts; it is never logged.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import OrderedDict
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import argilla as rg
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from bucle.annotation.client import retrying

RESPONSE_EVENTS = ("response.created", "response.updated")
MAX_BODY = 1 << 20  # Argilla's events are a few KB
REPLAY_WINDOW_S = 6 * 60  # longer than the signature's five minutes of tolerance
MAX_REMEMBERED = 100_000  # delivery ids kept for replay checks; the oldest go first


class SeenDeliveries:
    """The ids of deliveries accepted in the last ``window_s`` seconds: a signed delivery sent
    again (same ``webhook-id``) within the signature's tolerance is a replay and is refused."""

    def __init__(self, window_s: float = REPLAY_WINDOW_S, limit: int = MAX_REMEMBERED) -> None:
        self.window_s, self.limit = window_s, limit
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, delivery_id: str) -> bool:
        """True, and remembered, the first time ``delivery_id`` is seen within the window."""
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                now - next(iter(self._seen.values())) > self.window_s or len(self._seen) >= self.limit
            ):
                self._seen.popitem(last=False)
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = now
            return True


def body_length(header: str | None) -> int:
    """The request's ``Content-Length``; ``ValueError`` unless it is a plain non-negative number
    (a negative one would make ``rfile.read`` read until the client closes, past every cap)."""
    if header is None or not header.strip():
        return 0
    value = header.strip()
    if not value.isdigit():
        raise ValueError(f"bad Content-Length {value[:20]!r}")
    return int(value)


def ensure_webhook(client: rg.Argilla, url: str, description: str, events: tuple[str, ...] = RESPONSE_EVENTS) -> str:
    """Point the webhook named by ``description`` at ``url`` (creating it if needed); returns
    its secret. One webhook per project, so that restarts on a new port do not pile them up."""

    def find() -> rg.Webhook | None:
        return next((hook for hook in client.webhooks if hook.description == description), None)

    hook = retrying(find, client.api_url)
    if hook is None:
        hook = retrying(
            lambda: rg.Webhook(url=url, events=list(events), description=description, _client=client).create(),
            client.api_url,
        )
    elif hook.url != url or not hook.enabled or sorted(hook.events) != sorted(events):
        hook.url, hook.events, hook.enabled = url, list(events), True
        retrying(hook.update, client.api_url)
    return hook.secret


def disable_webhook(client: rg.Argilla, description: str) -> None:
    """Stop deliveries while bucle is not listening (Argilla would retry them for minutes)."""
    for hook in retrying(lambda: list(client.webhooks), client.api_url):
        if hook.description == description and hook.enabled:
            hook.enabled = False
            retrying(hook.update, client.api_url)


class WebhookReceiver:
    """A small HTTP endpoint that verifies each delivery and calls ``on_event(event_type)``.
    ``secret`` may be set after construction (Argilla gives it once it knows ``url``); until
    then every request is refused. A bad or oversized ``Content-Length`` is refused before the
    body is read, and a delivery id is accepted once."""

    def __init__(
        self,
        secret: str,
        on_event: Callable[[str], None],
        host: str = "127.0.0.1",
        port: int = 0,
        on_rejected: Callable[[str], None] = lambda _reason: None,
    ) -> None:
        self.secret = secret
        seen = SeenDeliveries()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # seconds a client may take to send its request: a stalled one is dropped

            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                self.close_connection = True  # one delivery per connection: nothing left unread
                try:
                    length = body_length(self.headers.get("content-length"))
                except ValueError as error:
                    on_rejected(f"{self.client_address[0]}: {error}")
                    return self._answer(HTTPStatus.BAD_REQUEST, "bad content-length")
                if length > MAX_BODY:
                    return self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
                body = self.rfile.read(length)
                try:
                    if not receiver.secret:
                        raise WebhookVerificationError("no secret yet")
                    Verifier(receiver.secret).verify(body, dict(self.headers.items()), json_parse=False)
                    event = json.loads(body).get("type", "")
                    if not seen.first_time(self.headers.get("webhook-id", "")):
                        raise WebhookVerificationError(f"replayed delivery {self.headers.get('webhook-id')!r}")
                except (WebhookVerificationError, ValueError, AttributeError) as error:
                    on_rejected(f"{self.client_address[0]}: {error}")
                    return self._answer(HTTPStatus.UNAUTHORIZED, "invalid signature")
                on_event(event)  # first: a 204 means the event was taken (a failure lets Argilla retry)
                self._answer(HTTPStatus.NO_CONTENT, "")

            def _answer(self, status: HTTPStatus, message: str) -> None:
                self.send_response(status)
                self.send_header("content-length", str(len(message.encode())))
                self.end_headers()
                self.wfile.write(message.encode())

            def log_message(self, *_args) -> None:  # deliveries are not worth a line each
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:  # one line, never a traceback
                on_rejected(f"{client_address[0]}: {sys.exc_info()[1]!r}")

        self._server = Server((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="bucle-webhooks", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/argilla"

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
