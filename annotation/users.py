"""The project's Argilla users: created with generated passwords, recorded in the credentials
file, and added to the project's workspace so they see its datasets."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, TypeVar

import argilla as rg
from argilla._exceptions import ArgillaAPIError

from bucle.annotation.client import login
from bucle.annotation.credentials import ROLES, CredentialsFile, UserCredentials, check_username, generate_password
from bucle.annotation.errors import ArgillaError
from bucle.annotation.http_api import user_api_key

T = TypeVar("T")


@dataclass(frozen=True)
class UserSummary:
    username: str
    role: str
    workspaces: tuple[str, ...]
    password_stored: bool


def quietly(lookup: Callable[[], T]) -> T:
    """Run an SDK lookup whose "not found" is an expected answer, not a warning to show."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lookup()


def ensure_workspace(client: rg.Argilla, name: str) -> rg.Workspace:
    workspace = quietly(lambda: client.workspaces(name))
    return workspace if workspace is not None else rg.Workspace(name=name, client=client).create()


def add_user(
    client: rg.Argilla,
    credentials: CredentialsFile,
    username: str,
    role: str = "annotator",
    workspace: str | None = None,
    existing_ok: bool = False,
) -> UserCredentials | None:
    """Create ``username`` (idempotent: an existing user of ours is only added to the workspace;
    its role is never changed, and the returned credentials say which it has). ``existing_ok``
    (a team server): a user bucle did not create is added to the workspace as it is, and None
    returned (they log in with their own password)."""
    if role not in ROLES:
        raise ArgillaError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}")
    try:
        check_username(username)
    except ValueError as error:
        raise ArgillaError(f"Invalid user name {error}") from None
    stored = credentials.load().get(username)
    what = f"create the {role} {username!r}" + (f" in the workspace {workspace!r}" if workspace else "")
    user = _permitted(lambda: quietly(lambda: client.users(username=username)), client, what)
    if user is None:
        password = generate_password()
        user = _permitted(
            lambda: rg.User(username=username, password=password, role=role, client=client).create(), client, what
        )
        api_key = user_api_key(client, user.id)
        stored = UserCredentials(username, role, password, api_key)
        credentials.put(stored)
    elif stored is None and not existing_ok:
        raise ArgillaError(
            f"User {username!r} already exists in Argilla but its password is not in {credentials.path}; "
            "pick another name"
        )
    if workspace is not None:
        join_workspace(client, workspace, username)
    return stored


def join_workspace(client: rg.Argilla, workspace: str, username: str) -> None:
    """Add ``username`` to ``workspace``, creating the workspace if needed."""
    space = _permitted(lambda: ensure_workspace(client, workspace), client, f"create the workspace {workspace!r}")
    if username not in {member.username for member in space.users}:
        _permitted(lambda: space.add_user(username), client, f"add {username!r} to the workspace {workspace!r}")


def _permitted(action: Callable[[], T], client: rg.Argilla, what: str) -> T:
    """``action``, or one line saying what an owner of the server must do when the key may not."""
    try:
        return action()
    except ArgillaAPIError as error:
        if error.status_code != 403:
            raise
        raise ArgillaError(
            f"the API key's user may not {what} at {client.api_url}: an owner must do it in the "
            "Argilla UI, or give bucle an owner's key"
        ) from None


def list_users(client: rg.Argilla, credentials: CredentialsFile) -> list[UserSummary]:
    stored = credentials.load()
    memberships: dict[str, list[str]] = {}
    for space in client.workspaces:
        for member in space.users:
            memberships.setdefault(member.username, []).append(space.name)
    return [
        UserSummary(
            username=user.username,
            role=str(user.role.value if hasattr(user.role, "value") else user.role),
            workspaces=tuple(sorted(memberships.get(user.username, []))),
            password_stored=user.username in stored,
        )
        for user in client.users
    ]


def check_logins(api_url: str, credentials: CredentialsFile) -> dict[str, str]:
    """Log in as each stored user: ``ok``, or why not (a password changed in the UI, say)."""
    results = {}
    for username, user in sorted(credentials.load().items()):
        try:
            login(api_url, username, user.password)
            results[username] = "ok"
        except ArgillaError as error:
            results[username] = str(error)
    return results
