"""Users, credentials and the ``bucle`` command against the session's embedded server."""

from __future__ import annotations

import shutil

import pytest

from bucle.annotation.client import connect, login
from bucle.annotation.errors import ArgillaError
from bucle.annotation.users import add_user, check_logins, list_users
from bucle.loop.config import load_config
from bucle.annotation.embedded.ports import free_port
from tests.helpers import assert_one_line_error, bucle, write_project

pytestmark = pytest.mark.integration


def project_file(project) -> str:
    return str(project.root / "bucle.yaml")


def test_bucle_up_creates_users_and_dataset_and_prints_no_secret(server, project, owner, credentials):
    result = bucle(project.root / "bucle.yaml", "up", "--once")
    assert result.returncode == 0, result.stderr
    assert server.url in result.stdout
    assert str(server.credentials) in result.stdout
    for user in credentials.load().values():
        assert user.password not in result.stdout + result.stderr
        assert user.api_key not in result.stdout + result.stderr
    assert {"anotadora-1", "anotador-2"} <= set(credentials.load())
    dataset = owner.datasets(name=project.name, workspace=project.workspace)
    assert dataset is not None
    assert set(dataset.settings.questions["label"].labels) == {"falsa", "verdadera"}
    assert "Elige la etiqueta correcta" in dataset.settings.guidelines
    again = bucle(project.root / "bucle.yaml", "up", "--once")
    assert again.returncode == 0, again.stderr
    assert "First round" not in result.stdout + again.stdout, "a restart names the round it ran (Round N)"


def test_added_annotator_can_log_in_and_sees_the_project_workspace(server, owner, credentials, project):
    user = add_user(owner, credentials, "revisora-3", workspace=project.workspace)
    assert login(server.url, "revisora-3", user.password) == user.api_key
    assert add_user(owner, credentials, "revisora-3", workspace=project.workspace) == user
    annotator = connect(server.url, user.api_key, who="revisora-3")
    assert [space.name for space in annotator.workspaces] == [project.workspace]
    summary = {row.username: row for row in list_users(owner, credentials)}
    assert summary["revisora-3"].role == "annotator"
    assert summary["revisora-3"].workspaces == (project.workspace,)
    assert summary["revisora-3"].password_stored


def test_unknown_role_and_foreign_user_are_clear_errors(owner, credentials):
    with pytest.raises(ArgillaError, match="Unknown role 'jefa'"):
        add_user(owner, credentials, "x", role="jefa")
    import argilla as rg

    rg.User(username="ajena", password="una-contraseña-larga", client=owner).create()
    with pytest.raises(ArgillaError, match="already exists in Argilla but its password is not in"):
        add_user(owner, credentials, "ajena")


def test_wrong_password_and_rejected_key_are_clear_errors(server, credentials):
    with pytest.raises(ArgillaError, match="Wrong username or password for 'anotadora-1'"):
        login(server.url, "anotadora-1", "not-the-password")
    with pytest.raises(ArgillaError, match="rejected the API key"):
        connect(server.url, "not-a-real-key-0123456789")
    assert set(check_logins(server.url, credentials).values()) == {"ok"}


def test_unreachable_server_is_a_clear_error(tmp_path, credentials):
    port = free_port()
    with pytest.raises(ArgillaError, match=f"Cannot reach Argilla at http://localhost:{port}"):
        connect(f"http://localhost:{port}", "any-key", attempts=2)
    with pytest.raises(ArgillaError, match="Cannot reach Argilla"):
        login(f"http://localhost:{port}", "ana", "secret-password")
    project = write_project(tmp_path / "p", port)
    result = bucle(project, "server", "status")
    assert result.returncode == 3 and "stopped" in result.stdout
    assert_one_line_error(bucle(project, "users", "list"), "No owner")
    stopped = load_config(project).server_layout
    stopped.make_dirs()
    shutil.copy(credentials.path, stopped.credentials)
    assert_one_line_error(bucle(project, "users", "list"), f"Cannot reach Argilla at http://localhost:{port}")


def test_replay_without_any_round_says_there_is_nothing_to_replay(tmp_path, capsys):
    from typer.testing import CliRunner

    from bucle.loop.cli import app

    project = write_project(tmp_path / "p", free_port())
    result = CliRunner().invoke(app, ["-p", str(project), "replay"])
    output = result.output + capsys.readouterr().err
    assert result.exit_code == 1 and "error: no round has selected anything yet" in output, output


def test_cli_users_and_server_commands(server, project, credentials):
    path = project.root / "bucle.yaml"
    added = bucle(path, "users", "add", "anotador-4")
    assert added.returncode == 0, added.stderr
    listing = bucle(path, "users", "list")
    assert listing.returncode == 0 and "anotador-4" in listing.stdout
    checked = bucle(path, "users", "check")
    assert checked.returncode == 0 and "anotador-4: ok" in checked.stdout
    status = bucle(path, "server", "status")
    assert status.returncode == 0 and "running, answering" in status.stdout
    logs = bucle(path, "server", "logs", "supervisor", "-n", "5")
    assert logs.returncode == 0 and "supervisor:" in logs.stdout
    assert_one_line_error(bucle(path, "server", "logs", "nginx"), "Unknown log 'nginx'")


def test_users_add_says_the_role_a_user_really_has_and_refuses_names_the_config_refuses(server, project):
    path = project.root / "bucle.yaml"
    owner = bucle(path, "users", "add", "propietario")
    assert owner.returncode == 0, owner.stderr
    assert "already exists as owner" in owner.stdout and "(annotator) is ready" not in owner.stdout
    for name in ("../x", "a b", "Mayúsculas"):
        assert_one_line_error(bucle(path, "users", "add", name), "Invalid user name")


def test_no_secret_ever_reaches_a_log(server, credentials):
    secrets = [s for user in credentials.load().values() for s in (user.password, user.api_key)]
    logs = list(server.logs.glob("*.log"))
    assert logs
    for log in logs:
        text = log.read_text(errors="replace")
        leaked = [secret[:4] + "…" for secret in secrets if secret in text]
        assert not leaked, f"{log} holds secrets {leaked}"
