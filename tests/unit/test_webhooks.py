"""Only deliveries signed with the webhook's secret are accepted."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from annotation.webhooks import WebhookReceiver

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
