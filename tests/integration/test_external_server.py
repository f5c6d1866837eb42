"""External mode against a real Argilla: the session's embedded server used as a plain one (its
URL and an owner's key in ARGILLA_API_KEY), with bucle's supervisor made to fail if called, so
that nothing of the embedded mode is used: bring-up, users, rounds, answers, `bucle doctor`; and
`bucle migrate`, an embedded project's work copied to a team server (the same Argilla under
another address, another workspace)."""

from __future__ import annotations

import os
import stat
import subprocess
import threading

import pytest

from bucle.annotation import users
from bucle.annotation.client import connect
from bucle.annotation.credentials import CredentialsFile
from bucle.annotation.embedded import control
from bucle.annotation.errors import ArgillaError
from bucle.loop.adapters import OWNER_KEY, owner_client
from bucle.loop.config import load_config
from bucle.loop.ingest.pipeline import ingest
from bucle.loop.project import bring_up
from bucle.loop.rounds import run_round
from bucle.loop.simulate import annotator_clients, answer
from tests.helpers import (
    BUCLE,
    SIBLING_ROWS,
    SMALL_MODEL,
    answer_all,
    bucle,
    captured_logs,
    dataset_of,
    gold_labels,
    wait_for,
    with_example_data,
    write_project,
)

pytestmark = pytest.mark.integration
ANNOTATOR = "anotadora-externa"
TEAM_MEMBER = "anotador-del-equipo"  # created by the team's owner in the UI, not by bucle


@pytest.fixture(scope="module")
def owner_key(credentials) -> str:
    return credentials.owner().api_key


@pytest.fixture(scope="module")
def external(project, server, owner_key, tmp_path_factory):
    """A project on the session's server in external mode; the supervisor refuses every call."""
    folder = tmp_path_factory.mktemp("externo")
    path = write_project(
        folder,
        6900,
        name="externo",
        data=with_example_data(folder, SIBLING_ROWS),
        model=SMALL_MODEL,
        annotation={"annotators": [ANNOTATOR, TEAM_MEMBER]},
        loop={"batch_size": 8, "schedule": {"min_new_labels": 4}},
        server={"mode": "external", "url": project.argilla_url + "/"},
    )
    import argilla as rg

    owner = connect(project.argilla_url, owner_key)
    if users.quietly(lambda: owner.users(username=TEAM_MEMBER)) is None:
        rg.User(username=TEAM_MEMBER, password="contraseña-del-equipo-1", role="annotator", client=owner).create()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("start", "stop", "status"):
            patch.setattr(control, name, lambda *a, **k: pytest.fail("the supervisor was called in external mode"))
        patch.setenv(OWNER_KEY, owner_key)
        yield load_config(path)


def test_an_external_server_runs_the_loop_with_the_owner_key_from_the_environment(external):
    up = bring_up(external)
    assert up.url == external.argilla_url and not up.url.endswith("/")
    assert up.first_round is not None and len(up.first_round.sent) == 8
    stored = CredentialsFile(external.server_layout.credentials)
    assert set(stored.load()) == {ANNOTATOR}, "a user bucle created; the team's existing user is only added"
    assert stat.S_IMODE(stored.path.stat().st_mode) == 0o600
    assert os.environ[OWNER_KEY] not in (external.root / "bucle.yaml").read_text(encoding="utf-8")
    members = {u.username for u in owner_client(external).workspaces(external.workspace).users}
    assert {ANNOTATOR, TEAM_MEMBER} <= members

    gold = gold_labels(external)
    owner = owner_client(external)
    answer(
        owner, annotator_clients(external, [ANNOTATOR]), dataset_of(external), {i: gold[i] for i in up.first_round.sent}
    )
    second = run_round(external)
    assert second.new_labels == 8 and second.trained and len(second.sent) == 8
    assert bring_up(external).first_round is None, "bringing it up again creates nothing twice"


def test_without_the_key_or_with_a_wrong_one_the_error_says_what_to_do(external, monkeypatch):
    monkeypatch.delenv(OWNER_KEY)
    with pytest.raises(ArgillaError, match=f"set {OWNER_KEY} to the API key of an owner"):
        owner_client(external)
    monkeypatch.setenv(OWNER_KEY, "not-a-key")
    with pytest.raises(ArgillaError, match=f"rejected the API key of the owner \\(from {OWNER_KEY}\\)"):
        owner_client(external)


def test_a_key_that_may_not_create_users_gets_one_line_naming_what_the_owner_must_do(external, tmp_path):
    annotator_key = CredentialsFile(external.server_layout.credentials).get(ANNOTATOR).api_key
    client = connect(external.argilla_url, annotator_key, who=ANNOTATOR)
    with pytest.raises(ArgillaError, match="an owner must do it in the Argilla UI, or give bucle an owner's key"):
        users.add_user(client, CredentialsFile(tmp_path / "credentials.json"), "otra-persona", workspace="externo")


def test_bucle_doctor_checks_the_server_one_line_each(external, owner_key):
    path = str(external.root / "bucle.yaml")
    env = {**os.environ, OWNER_KEY: owner_key}
    good = bucle_with(env, path)
    assert good.returncode == 0, good.stdout + good.stderr
    lines = good.stdout.splitlines()
    assert [line.split(":")[0][2:] for line in lines] == [
        "reachable",
        "version",
        "API key",
        "role",
        "workspace",
        "webhooks",
    ]
    assert "role: owner" in good.stdout and "webhooks: off: no loop.schedule.webhook_url" in good.stdout
    assert owner_key not in good.stdout + good.stderr
    bad = bucle_with({**env, OWNER_KEY: "not-a-key"}, path)
    assert bad.returncode == 1 and "✗ API key: rejected by the server" in bad.stdout
    refused = bucle(external.root / "bucle.yaml", "server", "start")
    assert refused.returncode != 0 and "server.mode is external" in refused.stdout + refused.stderr


def bucle_with(env: dict, path: str) -> subprocess.CompletedProcess:
    return subprocess.run([*BUCLE, "--project", path, "doctor"], capture_output=True, text=True, timeout=120, env=env)


def test_without_a_webhook_url_the_service_says_so_once_and_relies_on_the_watch(external):
    from bucle.loop.service import serve

    stop = threading.Event()
    with captured_logs("bucle.service") as lines:
        runner = threading.Thread(target=serve, args=(external, external.root / "bucle.yaml", stop))
        runner.start()
        try:
            assert any("no webhooks" in line for line in _wait_for(lines, "scheduler running"))
        finally:
            stop.set()
            runner.join(timeout=60)
    assert sum("no webhooks" in line for line in lines) == 1


def _wait_for(lines: list[str], text: str, timeout_s: float = 30.0) -> list[str]:
    assert wait_for(lambda: any(text in line for line in lines), timeout_s), lines
    return lines


def test_bucle_migrate_copies_the_work_to_a_team_server_and_resumes_an_interrupted_copy(
    sibling_project, owner_key, monkeypatch
):
    from bucle.annotation import migrate as copying
    from bucle.loop.migrate import TARGET_KEY, migrate

    config = sibling_project("origen")
    ingest(config)
    first = run_round(config)
    answer_all(config, first.sent)
    run_round(config)  # pulls the 8 answers, sends 8 more records
    # the team server: the same Argilla under another address, another workspace
    team_url = config.argilla_url.replace("127.0.0.1", "localhost")
    monkeypatch.setenv(TARGET_KEY, owner_key)

    calls = {"n": 0}
    real = copying.upsert_records

    def dies_on_the_second_batch(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the network went away")
        return real(*args)

    monkeypatch.setattr(copying, "BATCH", 5)
    monkeypatch.setattr(copying, "upsert_records", dies_on_the_second_batch)
    with pytest.raises(ConnectionError):
        migrate(config, team_url, workspace="equipo")
    monkeypatch.setattr(copying, "upsert_records", real)
    copied = migrate(config, team_url, workspace="equipo")
    assert [c.dataset for c in copied] == ["origen"] and copied[0].complete
    suggested = sum(bool(list(r.suggestions)) for r in dataset_of(config).records(with_suggestions=True))
    assert copied[0].source == copying.Counts(records=16, responses=8, suggestions=suggested, vectors=16)
    again = migrate(config, team_url, workspace="equipo")
    assert again == copied, "a second run changes nothing"
    team = connect(team_url, owner_key).datasets(name="origen", workspace="equipo")
    answered = [r for r in team.records(with_responses=True) if r.responses]
    assert len(answered) == 8 and {resp.user_id for r in answered for resp in r.responses}
    monkeypatch.delenv(TARGET_KEY)
    with pytest.raises(ArgillaError, match=f"set {TARGET_KEY}"):
        migrate(config, team_url, workspace="equipo")


def test_bucle_doctor_on_the_embedded_server(project, server):
    checked = bucle(project.root / "bucle.yaml", "doctor")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        "✓ role: owner" in checked.stdout
        and "webhooks: the server will post to a receiver on 127.0.0.1" in checked.stdout
    )
