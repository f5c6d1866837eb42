"""Start, stop and inspect the embedded Argilla server of one project.

These are the library functions behind ``bucle server start|stop|status|logs``; tests call them
directly. Every failure a user can cause or fix (a port in use, a damaged database, a server that
does not come up) raises a ``ServerError`` whose message says what happened and which log to read.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bucle.annotation.credentials import CredentialsFile, UserCredentials, generate_api_key, generate_password
from bucle.annotation.embedded import strays
from bucle.common import processes
from bucle.annotation.embedded.layout import UNIX_SOCKET_MAX, ServerLayout
from bucle.annotation.embedded.supervisor import SUPERVISOR
from bucle.annotation.errors import ServerError, StateError
from bucle.common.sqlite_files import is_sqlite_file

OWNER_USERNAME = "propietario"
SERVICES = ("redis", "worker", "server")
SUPERVISOR_MODULE = "bucle.annotation.embedded.supervisor"
# what a process's command line must contain to be ours: without the `bucle.` prefix, so that the
# processes of a server started before the namespace (`-m annotation.embedded.…`) are still found
SUPERVISOR_MARKER = "annotation.embedded.supervisor"
logger = logging.getLogger("bucle.server")
MARKERS = {"redis": "redis-server", "worker": "annotation.embedded.launch", "server": "annotation.embedded.launch"}


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    url: str
    pids: dict[str, int | None]
    healthy: bool
    version: str | None = None


def _http_json(url: str, timeout_s: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _api(layout: ServerLayout, path: str) -> dict | None:
    return _http_json(f"http://{layout.host}:{layout.port}{path}")


def is_healthy(layout: ServerLayout) -> bool:
    status = _api(layout, "/api/v1/status")
    return bool(status and status.get("search_engine"))


def _supervisor_pid(layout: ServerLayout) -> int | None:
    pid = processes.read(layout.pid_file(SUPERVISOR))
    return pid if pid is not None and processes.is_alive(pid, SUPERVISOR_MARKER) else None


def status(layout: ServerLayout) -> ServerStatus:
    supervisor = _supervisor_pid(layout)
    pids = {SUPERVISOR: supervisor}
    for name in SERVICES:
        pid = processes.read(layout.pid_file(name))
        pids[name] = pid if pid is not None and processes.is_alive(pid, MARKERS[name]) else None
    version = _api(layout, "/api/v1/version") if supervisor else None
    return ServerStatus(
        running=supervisor is not None,
        url=layout.url,
        pids=pids,
        healthy=supervisor is not None and is_healthy(layout),
        version=(version or {}).get("version"),
    )


def _clear_stale(layout: ServerLayout, loud: bool = True) -> None:
    """Remove pid files left by a crash; stop processes a killed supervisor left behind, and
    any other process of this project's server (found by its environment) that outlived it."""
    notice = functools.partial(logger.log, logging.INFO if loud else logging.DEBUG)
    for name, marker in [(SUPERVISOR, SUPERVISOR_MARKER), *MARKERS.items()]:
        path = layout.pid_file(name)
        pid = processes.read(path)
        if not path.exists():
            continue
        if pid is not None and processes.is_alive(pid, marker):
            notice(f"stopping {name} (pid {pid}) left behind by an earlier run")
            os.kill(pid, signal.SIGTERM)
        else:
            notice(f"removed stale pid file {path} (process {pid} is gone)")
        processes.remove(path)
    left = strays.stop_strays(layout.home)
    if left:
        notice(
            f"stopped {len(left)} process(es) of this project's server left behind by a crash "
            f"(pids {', '.join(map(str, left))})"
        )


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ServerError(
                    f"Port {port} on {host} is already in use by another program: stop it, "
                    "or set server.port in bucle.yaml to a free port"
                ) from None
            raise ServerError(f"Cannot listen on {host}:{port}: {error.strerror}") from None


def _check_state(layout: ServerLayout) -> None:
    if layout.database.exists() and not is_sqlite_file(layout.database):
        raise StateError(
            f"The Argilla database {layout.database} is damaged (not a SQLite file): restore it from a "
            f"backup, or delete {layout.state_dir} to start the project over"
        )
    if len(str(layout.redis_socket)) > UNIX_SOCKET_MAX:
        raise StateError(
            f"The state folder path is too long for Redis's socket ({layout.redis_socket}); "
            "move the project to a shorter path"
        )
    if not layout.server_python.exists() or layout.redis_server is None:
        raise ServerError(
            f"The Argilla server venv is missing or incomplete ({layout.server_python}): run `make setup`"
        )
    CredentialsFile(layout.credentials).auth_secret()  # an unreadable file fails here, before anything starts


def _tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except FileNotFoundError:
        return ""


def _failure_log(layout: ServerLayout) -> Path:
    """The log that most likely explains a failed start: the last one the supervisor named."""
    supervisor_log = _tail(layout.log(SUPERVISOR), 50)
    for name in ("migrate", "reindex", *SERVICES):
        if f"see {layout.log(name)}" in supervisor_log or f"{name} exited" in supervisor_log:
            return layout.log(name)
    return layout.log(SUPERVISOR)


def _wait_for(
    layout: ServerLayout, ready: Callable[[], bool], deadline: float, timeout_s: float, alive: Callable[[], bool]
) -> None:
    """Until ``ready()``; a supervisor that died or a deadline passed is a ``ServerError``."""
    while time.monotonic() < deadline:
        if not alive():
            raise ServerError("The Argilla server failed to start", log=_failure_log(layout))
        if ready():
            return
        time.sleep(0.5)
    stop(layout)
    raise ServerError(f"The Argilla server did not answer within {timeout_s:.0f} s", log=_failure_log(layout))


def _stored_owner(layout: ServerLayout) -> UserCredentials | None:
    return next((user for user in CredentialsFile(layout.credentials).load().values() if user.role == "owner"), None)


def _ensure_owner(layout: ServerLayout) -> UserCredentials:
    if (stored := _stored_owner(layout)) is not None:
        return stored
    credentials = CredentialsFile(layout.credentials)
    owner = UserCredentials(OWNER_USERNAME, "owner", generate_password(), generate_api_key())
    result = subprocess.run(
        layout.launch("create-owner"),
        input=json.dumps({"username": owner.username, "password": owner.password, "api_key": owner.api_key}),
        capture_output=True,
        text=True,
        env=layout.server_env(),
        cwd=layout.root,
    )
    if result.returncode == 0 and result.stdout.strip() == "exists":
        raise StateError(
            f"The database already has the owner {owner.username!r} but {layout.credentials} does not: restore "
            f"the credentials file, or delete {layout.state_dir} to start the project over"
        )
    if result.returncode != 0:
        with open(layout.log("create-owner"), "a", encoding="utf-8") as log:
            log.write(result.stderr)
        raise ServerError(f"Could not create the owner {owner.username!r}", log=layout.log("create-owner"))
    credentials.put(owner)
    return owner


def start(layout: ServerLayout, timeout_s: float = 180.0) -> ServerStatus:
    """Start the server if it is not running, wait until it answers, make sure the owner exists."""
    layout.make_dirs()
    if _supervisor_pid(layout) is not None:
        # it may be starting, or restarting one of its processes
        deadline = time.monotonic() + timeout_s
        _wait_for(layout, lambda: is_healthy(layout), deadline, timeout_s, lambda: _supervisor_pid(layout) is not None)
        _ensure_owner(layout)
        return status(layout)
    _clear_stale(layout)
    _check_state(layout)
    _check_port(layout.host, layout.port)
    with open(layout.log(SUPERVISOR), "ab") as log:
        supervisor = subprocess.Popen(
            [
                sys.executable,
                "-m",
                SUPERVISOR_MODULE,
                str(layout.state_dir),
                layout.host,
                str(layout.port),
                str(layout.server_python),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=layout.root,
        )
    deadline, alive = time.monotonic() + timeout_s, lambda: supervisor.poll() is None
    if _stored_owner(layout) is None:
        # a new server's owner goes into the database as soon as it is migrated (the supervisor
        # starts the worker after that) while the API server boots, not once it answers: each is
        # a fresh interpreter importing argilla-server (seconds)
        _wait_for(layout, layout.pid_file("worker").exists, deadline, timeout_s, alive)
        _ensure_owner(layout)
    _wait_for(layout, lambda: is_healthy(layout), deadline, timeout_s, alive)
    return status(layout)


def stop(layout: ServerLayout, timeout_s: float = 60.0) -> bool:
    """Stop the supervisor and with it every process; False if nothing was running."""
    pid = _supervisor_pid(layout)
    if pid is None:
        _clear_stale(layout, loud=False)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and processes.is_alive(pid, SUPERVISOR_MARKER):
        time.sleep(0.2)
    if processes.is_alive(pid, SUPERVISOR_MARKER):
        os.killpg(pid, signal.SIGKILL)
        processes.remove(layout.pid_file(SUPERVISOR))
    _clear_stale(layout, loud=False)
    return True


def log_tail(layout: ServerLayout, service: str = "server", lines: int = 50) -> str:
    known = (SUPERVISOR, *SERVICES, "migrate", "reindex")
    if service not in known:
        raise ServerError(f"Unknown log {service!r}; choose one of {', '.join(known)}")
    return _tail(layout.log(service), lines)
