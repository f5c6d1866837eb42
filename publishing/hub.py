"""The Hub target: one ``create_commit`` per repository per publish (all files at once, so a
failed upload never leaves ``main`` half-updated), a ``round-N`` tag, private or public from
the config. The token comes from ``HF_TOKEN`` or the saved login and is never put in a message:
errors name the repository and the HTTP status only.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable, TypeVar

from bucle.publishing.content import listing
from bucle.publishing.local_git import Published, PublishError

log = logging.getLogger("bucle.publish")
T = TypeVar("T")
ATTEMPTS = 3  # the client backs off by itself too, within each attempt


def operations(folder: Path, existing: list[str]):
    """The commit operations that make the repository hold exactly ``folder``'s files: every one
    added, and the files the repository has that ``folder`` lacks deleted."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    files = listing(folder)
    adds = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=str(folder / path)) for path in files]
    return adds + [CommitOperationDelete(path_in_repo=path) for path in sorted(set(existing) - set(files))]


def _transient(error: Exception) -> bool:
    """A connection that failed or timed out (whatever HTTP library the Hub client uses)."""
    return isinstance(error, (ConnectionError, TimeoutError)) or type(error).__module__.split(".")[0].startswith(
        "httpx"
    )


def _retrying(what: str, call: Callable[[], T]) -> T:
    """``call`` again with backoff on 429, 5xx and connection errors; other errors at once, as
    one line that names the repository and the HTTP status (never a header, never the token)."""
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(ATTEMPTS):
        try:
            return call()
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else None
            if status is not None and status != 429 and status < 500 or attempt == ATTEMPTS - 1:
                raise PublishError(f"the Hub refused {what} (HTTP {status})") from None
        except Exception as error:
            if not _transient(error):
                raise
            if attempt == ATTEMPTS - 1:
                raise PublishError(f"cannot reach the Hub for {what} ({error.__class__.__name__})") from None
        log.info("%s: the Hub is busy or unreachable; trying again in %d s", what, 2**attempt)
        time.sleep(2**attempt)
    raise AssertionError("unreachable")


class HubRepository:
    def __init__(self, repo_id: str, repo_type: str, private: bool) -> None:
        self.repo_id, self.repo_type, self.private = repo_id, repo_type, private

    def publish(self, files: Path, tag: str, message: str) -> Published:
        from huggingface_hub import HfApi, RepoCard

        # the token: HF_TOKEN or the saved login, read by the client itself
        api, what = HfApi(endpoint=os.environ.get("HF_ENDPOINT")), f"{self.repo_type} {self.repo_id}"
        _retrying(
            what,
            lambda: api.create_repo(
                self.repo_id,
                repo_type=self.repo_type,
                private=self.private,
                exist_ok=True,
                space_sdk="gradio" if self.repo_type == "space" else None,
            ),
        )
        card = RepoCard.load(files / "README.md", repo_type=self.repo_type)
        try:
            _retrying(what, lambda: card.validate(repo_type=self.repo_type))
        except ValueError as error:
            raise PublishError(f"the Hub finds the card of {what} invalid: {str(error)[:300]}") from None
        existing = _retrying(what, lambda: api.list_repo_files(self.repo_id, repo_type=self.repo_type))
        before = _retrying(what, lambda: api.repo_info(self.repo_id, repo_type=self.repo_type).sha)
        info = _retrying(
            what,
            lambda: api.create_commit(
                self.repo_id, operations(files, existing), commit_message=message, repo_type=self.repo_type
            ),
        )
        changed = info.oid != before
        if changed:
            _retrying(
                what,
                lambda: api.create_tag(
                    self.repo_id, tag=tag, revision=info.oid, repo_type=self.repo_type, exist_ok=True
                ),
            )
        return Published(self.repo_id, info.oid, tag if changed else None, changed)
