"""Connecting to Argilla through its SDK, with retries and errors a person can act on.

The rest of bucle gets an ``rg.Argilla`` client from here and never sees a raw connection error
or an HTTP status: an unreachable server, a rejected key and a wrong password each become an
``ArgillaError`` that says what to do.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

import argilla as rg
import httpx
from argilla._exceptions import ArgillaAPIError, ArgillaCredentialsError

from bucle.annotation.errors import ArgillaError

T = TypeVar("T")
Client = rg.Argilla  # what the rest of bucle names, without importing argilla
TIMEOUT_S = 60
PROBE_TIMEOUT_S = 10  # a server that does not answer its status in 10 s counts as unreachable for this attempt
RETRYABLE_STATUS = {502, 503, 504}


def _unreachable(api_url: str) -> ArgillaError:
    return ArgillaError(
        f"Cannot reach Argilla at {api_url}: is the server running? (bucle's own: `bucle server start`; "
        "a team server: check server.url and the network)"
    )


def retrying(call: Callable[[], T], api_url: str, attempts: int = 4, first_wait_s: float = 0.5) -> T:
    """Run ``call``, retrying with exponential backoff while the server is unreachable or
    answers 502/503/504; any other error is raised at once."""
    for attempt in range(attempts - 1):
        try:
            return call()
        except httpx.TransportError:
            pass
        except ArgillaAPIError as error:
            if error.status_code not in RETRYABLE_STATUS:
                raise
        except httpx.HTTPStatusError as error:
            if error.response.status_code not in RETRYABLE_STATUS:
                raise
        time.sleep(first_wait_s * 2**attempt)
    try:
        return call()
    except httpx.TransportError:
        raise _unreachable(api_url) from None


def _answers(api_url: str, headers: dict[str, str] | None) -> None:
    """One request to Argilla's status endpoint (it needs no key), without the SDK's transport
    retries: a stopped server is told in seconds, not after the SDK's five retries per attempt."""
    response = httpx.get(f"{api_url.rstrip('/')}/api/v1/status", headers=headers, timeout=PROBE_TIMEOUT_S)
    if response.status_code in RETRYABLE_STATUS:
        response.raise_for_status()


def connect(
    api_url: str,
    api_key: str,
    who: str = "the owner",
    attempts: int = 4,
    source: str = "the credentials file, which does not belong to this server's database",
    headers: dict[str, str] | None = None,
) -> rg.Argilla:
    """An SDK client; ``source`` says where the key came from, for the error when it is refused;
    ``headers``: sent with every request (a private Space's Hugging Face token). The client
    keeps the SDK's own retries for the requests that follow."""
    extra = {"headers": dict(headers)} if headers else {}
    retrying(lambda: _answers(api_url, headers), api_url, attempts)
    try:
        return retrying(
            lambda: rg.Argilla(api_url=api_url, api_key=api_key, timeout=TIMEOUT_S, **extra), api_url, attempts
        )
    except ArgillaCredentialsError:
        raise ArgillaError(f"Argilla at {api_url} rejected the API key of {who} (from {source})") from None


def login(api_url: str, username: str, password: str) -> str:
    """Log in as a person does in the UI; returns the user's API key."""
    try:
        with httpx.Client(base_url=api_url, timeout=TIMEOUT_S) as http:
            token = http.post("/api/v1/token", data={"username": username, "password": password})
            if token.status_code == 401:
                raise ArgillaError(f"Wrong username or password for {username!r} at {api_url}")
            token.raise_for_status()
            me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
            me.raise_for_status()
            return me.json()["api_key"]
    except httpx.TransportError:
        raise _unreachable(api_url) from None
