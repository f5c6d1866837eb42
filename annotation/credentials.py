"""The credentials file: generated passwords and API keys of the project's Argilla users.

It is the only place secrets are written. It is created with mode 0600 inside a 0700 state
folder, replaced atomically (write, then rename), and its secrets never reach a log or the
terminal: commands print its path instead.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from bucle.annotation.errors import StateError
from bucle.common.files import write_json_atomically

MODE = 0o600
ROLES = ("annotator", "admin", "owner")  # Argilla's roles
AUTH_SECRET = "auth_secret"  # ARGILLA_AUTH_SECRET_KEY of the embedded server
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def check_username(name: str) -> str:
    """The one rule for user names, in bucle.yaml and ``bucle users add`` alike (a subset of
    what Argilla accepts, safe in paths and URLs); ``ValueError`` says what is allowed."""
    if not USERNAME.match(name):
        raise ValueError(
            f"{name!r}: use lowercase letters, digits, '-' and '_' (at most 64, starting with a letter or digit)"
        )
    return name


@dataclass(frozen=True)
class UserCredentials:
    username: str
    role: str
    password: str
    api_key: str

    def __repr__(self) -> str:  # keep secrets out of tracebacks and debug logs
        return f"UserCredentials(username={self.username!r}, role={self.role!r})"


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def generate_api_key() -> str:
    return secrets.token_urlsafe(32)


class CredentialsFile:
    """Users by name, read from and written to one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()  # a symlinked file (projects sharing a server) stays shared

    def _read(self) -> dict:
        if not self.path.exists():
            return {"users": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data.get("users"), dict) or not isinstance(data.get(AUTH_SECRET, ""), str):
                raise TypeError("unexpected layout")
            return data
        except (ValueError, TypeError, AttributeError) as error:
            raise self._unreadable(error) from None

    def _unreadable(self, error: Exception) -> StateError:
        return StateError(
            f"The credentials file {self.path} is unreadable ({error.__class__.__name__}); "
            "restore it, or delete the project's state folder to start over"
        )

    def load(self) -> dict[str, UserCredentials]:
        try:
            return {name: UserCredentials(**fields) for name, fields in self._read()["users"].items()}
        except TypeError as error:
            raise self._unreadable(error) from None

    def auth_secret(self) -> str:
        """The key that signs the Argilla UI's session tokens, drawn once per project: a server
        restart must not log every annotator out (argilla-server draws a new one otherwise)."""
        data = self._read()
        if not data.get(AUTH_SECRET):
            data[AUTH_SECRET] = secrets.token_hex(32)
            self._write(data)
        return data[AUTH_SECRET]

    def get(self, username: str) -> UserCredentials:
        users = self.load()
        if username not in users:
            raise StateError(f"No user {username!r} in {self.path}; known: {', '.join(sorted(users)) or 'none'}")
        return users[username]

    def owner(self) -> UserCredentials:
        for user in self.load().values():
            if user.role == "owner":
                return user
        raise StateError(f"No owner in {self.path}: start the server once with `bucle server start`")

    def put(self, user: UserCredentials) -> None:
        users = self.load()
        users[user.username] = user
        self._write({**self._read(), "users": {name: asdict(u) for name, u in sorted(users.items())}})

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_json_atomically(self.path, data, MODE)
