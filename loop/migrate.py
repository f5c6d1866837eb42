"""``bucle migrate --to URL``: a project's Argilla work moved to a team's server (a Hugging Face
Space, the docker-compose stack), so that it continues there in external mode.

The source is the server the project uses now (its owner's key as usual); the target's owner key
comes from ``ARGILLA_TARGET_API_KEY``, never from a file or the command line. Annotators created
on the target get generated passwords, kept (mode 0600) in ``.bucle/migrate/credentials-<host>.json``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from bucle.annotation.client import connect
from bucle.annotation.credentials import CredentialsFile
from bucle.annotation.errors import ArgillaError
from bucle.annotation.migrate import Copied, copy_workspace
from bucle.loop.adapters import owner_client
from bucle.loop.config import ProjectConfig

TARGET_KEY = "ARGILLA_TARGET_API_KEY"


def target_credentials(config: ProjectConfig, url: str) -> Path:
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", url.split("//", 1)[-1]).strip("-")
    return config.state.migrate_credentials(host)


def migrate(config: ProjectConfig, url: str, workspace: str | None = None) -> list[Copied]:
    """Copy every dataset of the project's workspace to the Argilla at ``url`` (into
    ``workspace``, default the same name), and the demo's corrections in its review workspace;
    running it again completes an interrupted copy and changes nothing after a finished one."""
    url = url.rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ArgillaError(f"--to {url!r}: give the target server's address, http:// or https://")
    workspace = workspace or config.workspace
    if url == config.argilla_url and workspace == config.workspace:
        raise ArgillaError(f"the project is already in workspace {workspace!r} of {url}")
    key = os.environ.get(TARGET_KEY, "").strip()
    if not key:
        raise ArgillaError(
            f"set {TARGET_KEY} to the API key of an owner of {url}; bucle never writes it to a file or a log"
        )
    target = connect(url, key, source=TARGET_KEY)
    credentials = target_credentials(config, url)
    credentials.parent.mkdir(parents=True, exist_ok=True)
    source, stored = owner_client(config), CredentialsFile(credentials)
    copied = copy_workspace(source, target, config.workspace, stored, workspace)
    if not copied:
        raise ArgillaError(f"{config.argilla_url} has no workspace {config.workspace!r}: nothing to copy")
    return copied + copy_workspace(source, target, config.review_workspace, stored, f"{workspace}-revision")
