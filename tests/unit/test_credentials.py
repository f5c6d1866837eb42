"""The credentials file keeps secrets private and never half-written."""

import json

import pytest

from bucle.annotation.credentials import CredentialsFile, UserCredentials, generate_api_key, generate_password
from bucle.annotation.errors import StateError


def test_written_with_mode_0600_in_a_private_folder(tmp_path):
    credentials = CredentialsFile(tmp_path / "state" / "credentials.json")
    credentials.put(UserCredentials("ana", "annotator", generate_password(), generate_api_key()))
    assert credentials.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    assert not list((tmp_path / "state").glob("*.tmp"))


def test_round_trip_and_lookup(tmp_path):
    credentials = CredentialsFile(tmp_path / "credentials.json")
    owner = UserCredentials("propietario", "owner", "p" * 24, "k" * 43)
    credentials.put(owner)
    credentials.put(UserCredentials("ana", "annotator", "q" * 24, "j" * 43))
    assert credentials.owner() == owner
    assert credentials.get("ana").role == "annotator"
    with pytest.raises(StateError, match="No user 'luis'"):
        credentials.get("luis")


def test_generated_secrets_are_long_and_distinct():
    passwords = {generate_password() for _ in range(50)}
    keys = {generate_api_key() for _ in range(50)}
    assert len(passwords) == 50 and len(keys) == 50
    assert all(len(p) >= 20 for p in passwords) and all(len(k) >= 40 for k in keys)


def test_secrets_stay_out_of_repr():
    user = UserCredentials("ana", "annotator", "secret-password", "secret-key")
    assert "secret" not in repr(user)


@pytest.mark.parametrize("content", ["{not json", json.dumps({"users": {"a": {"username": "a"}}}), "[]"])
def test_unreadable_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "credentials.json"
    path.write_text(content)
    with pytest.raises(StateError, match="unreadable"):
        CredentialsFile(path).load()


def test_no_owner_yet(tmp_path):
    with pytest.raises(StateError, match="No owner"):
        CredentialsFile(tmp_path / "credentials.json").owner()


def test_the_ui_session_key_is_drawn_once_and_kept_beside_the_users(tmp_path):
    credentials = CredentialsFile(tmp_path / "credentials.json")
    secret = credentials.auth_secret()
    assert len(secret) >= 64 and credentials.auth_secret() == secret
    credentials.put(UserCredentials("ana", "annotator", "q" * 24, "j" * 43))
    assert CredentialsFile(tmp_path / "credentials.json").auth_secret() == secret
    assert credentials.path.stat().st_mode & 0o777 == 0o600


def test_the_server_environment_carries_the_stable_session_key(tmp_path):
    from bucle.annotation.embedded.layout import ServerLayout

    layout = ServerLayout(tmp_path / ".bucle")
    first = layout.server_env()["ARGILLA_AUTH_SECRET_KEY"]
    assert first == layout.server_env()["ARGILLA_AUTH_SECRET_KEY"] == CredentialsFile(layout.credentials).auth_secret()
