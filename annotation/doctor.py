"""``bucle doctor``: a configuration checked against the Argilla server it names, one line per
check, before anything is created there: reachable, version, the key and its role, the
workspace, webhooks.

Plain HTTP (not the SDK, which refuses to start against an unreachable server or a bad key), so
that every check that can run does and says what it found. The key is sent, never printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

MIN_VERSION = (2, 8)
TIMEOUT_S = 15
KEY_HEADER = "X-Argilla-Api-Key"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _version(text: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", text)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def check_server(
    url: str,
    api_key: str | None,
    workspace: str,
    webhook_url: str | None,
    webhooks: bool,
    headers: dict[str, str] | None = None,
) -> list[Check]:
    """The checks, in order; a failed check that later ones depend on ends the list.
    ``webhook_url``: where the server would post events (None: nowhere it can reach);
    ``headers``: sent with every request (a private Space's Hugging Face token)."""
    checks: list[Check] = []
    with httpx.Client(base_url=url, timeout=TIMEOUT_S, headers=headers or {}) as http:
        try:
            reply = http.get("/api/v1/version")
            reply.raise_for_status()
            version = reply.json()["version"]
        except (httpx.HTTPError, ValueError, KeyError) as error:
            why = error.response.status_code if isinstance(error, httpx.HTTPStatusError) else type(error).__name__
            return [Check("reachable", False, f"{url} does not answer as an Argilla server ({why})")]
        checks.append(Check("reachable", True, url))
        wanted = ".".join(map(str, MIN_VERSION))
        checks.append(
            Check(
                "version", _version(version) >= MIN_VERSION, f"argilla-server {version} (bucle needs {wanted} or later)"
            )
        )
        if not api_key:
            return [*checks, Check("API key", False, "no key: set ARGILLA_API_KEY to an owner's API key")]
        headers = {KEY_HEADER: api_key}
        me = http.get("/api/v1/me", headers=headers)
        if me.status_code in (401, 403):
            return [*checks, Check("API key", False, "rejected by the server")]
        me.raise_for_status()
        user = me.json()
        role = user["role"]
        checks.append(Check("API key", True, f"valid: user {user['username']}"))
        checks.append(
            Check(
                "role",
                role == "owner",
                "owner: may create the annotators, the workspace and the webhook"
                if role == "owner"
                else f"{role}: an owner must create the annotators and the workspace, or give bucle an owner's key",
            )
        )
        spaces = {item["name"] for item in http.get("/api/v1/me/workspaces", headers=headers).json()["items"]}
        if workspace in spaces:
            checks.append(Check("workspace", True, f"{workspace!r} exists"))
        else:
            checks.append(
                Check(
                    "workspace",
                    role == "owner",
                    f"{workspace!r} will be created"
                    if role == "owner"
                    else f"{workspace!r} does not exist and this key may not create it",
                )
            )
        if webhooks:
            checks.append(_webhooks(http, headers, webhook_url))
    return checks


def _webhooks(http: httpx.Client, headers: dict, webhook_url: str | None) -> Check:
    if webhook_url is None:
        return Check(
            "webhooks",
            True,
            "off: no loop.schedule.webhook_url that the server can reach; the progress watch "
            "and the timer start rounds",
        )
    allowed = http.get("/api/v1/webhooks", headers=headers).status_code == 200
    return Check(
        "webhooks",
        allowed,
        f"the server will post to {webhook_url}"
        if allowed
        else "this key may not manage webhooks: rounds start from the progress watch and the timer",
    )
