"""Only deliveries signed with the webhook's secret are accepted."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from bucle.annotation.webhooks import WebhookReceiver

SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture
def receiver():
    events: list[str] = []
    rejected: list[str] = []
    server = WebhookReceiver(SECRET, events.append, on_rejected=rejected.append).start()
    server.events, server.rejected = events, rejected
    yield server
    server.stop()


def signed(secret: str, body: str, when: dt.datetime, msg_id: str = "msg_1") -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, when, body),
        "content-type": "application/json",
    }


BODY = json.dumps({"type": "response.created", "version": 1, "data": {}})


def test_a_signed_delivery_is_accepted(receiver):
    reply = httpx.post(receiver.url, content=BODY, headers=signed(SECRET, BODY, dt.datetime.now(dt.timezone.utc)))
    assert reply.status_code == 204
    assert receiver.events == ["response.created"]


def test_forged_missing_and_stale_signatures_are_rejected(receiver):
    now = dt.datetime.now(dt.timezone.utc)
    forged = base64.b64encode(b"not-the-secret-not-the-secret-00").decode()
    attempts = [
        signed(forged, BODY, now),  # another secret
        {"content-type": "application/json"},  # no signature at all
        signed(SECRET, BODY, now - dt.timedelta(hours=1)),  # a replayed old delivery
        {**signed(SECRET, BODY, now), "webhook-id": "msg_other"},  # headers swapped
    ]
    for headers in attempts:
        assert httpx.post(receiver.url, content=BODY, headers=headers).status_code == 401
    tampered = BODY.replace("created", "updated")
    assert httpx.post(receiver.url, content=tampered, headers=signed(SECRET, BODY, now)).status_code == 401
    assert receiver.events == [] and len(receiver.rejected) == 5
    assert all(SECRET not in why for why in receiver.rejected), "the secret is never logged"


def test_it_binds_loopback_only(receiver):
    assert receiver.url.startswith("http://127.0.0.1:")


def raw_request(receiver, head: bytes, body: bytes = b"") -> bytes:
    """Send bytes as they are (httpx would fix the Content-Length) and read the answer."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(receiver.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(head + body)
        return conn.recv(1024)


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1e9", b" +5"])
def test_a_bad_content_length_is_refused_before_reading(receiver, length):
    head = b"POST /argilla HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n"
    # the body keeps coming: a receiver that reads it would never answer
    answer = raw_request(receiver, head, b"x" * 4096)
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400"), answer
    assert receiver.events == [] and len(receiver.rejected) == 1


def test_a_replayed_delivery_is_refused(receiver):
    headers = signed(SECRET, BODY, dt.datetime.now(dt.timezone.utc), msg_id="msg_once")
    assert httpx.post(receiver.url, content=BODY, headers=headers).status_code == 204
    assert httpx.post(receiver.url, content=BODY, headers=headers).status_code == 401
    assert receiver.events == ["response.created"]
    assert "replayed" in receiver.rejected[-1]


def test_seen_deliveries_forget_after_their_window():
    from bucle.annotation.webhooks import SeenDeliveries

    seen = SeenDeliveries(window_s=0.05, limit=3)
    assert seen.first_time("a") and not seen.first_time("a")
    import time

    time.sleep(0.1)
    assert seen.first_time("a"), "past the window the signature check refuses it anyway"
    for name in "bcd":
        assert seen.first_time(name)
    assert len(seen._seen) <= 3
