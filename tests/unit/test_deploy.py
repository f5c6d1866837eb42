"""The team server's files, checked without a Docker engine (none runs here and no image can be
pulled): docker-compose.yml validated by Debian's docker-compose, every image pinned, every
service health-checked and started after what it needs, ports on 127.0.0.1 only, every secret
from .env with no default, and a Dockerfile that installs the package pyproject.toml describes."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from bucle.loop.config import load_config

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRET = re.compile(r"\$\{([A-Z_]+):\?")


def secrets() -> list[str]:
    return sorted(set(SECRET.findall(COMPOSE.read_text(encoding="utf-8"))))


def compose_config(env_file: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in secrets()}
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> dict:
    env = tmp_path_factory.mktemp("env") / ".env"
    env.write_text("".join(f"{name}=valor-de-prueba-{i}\n" for i, name in enumerate(secrets())), encoding="utf-8")
    result = compose_config(env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_docker_compose_validates_the_file(resolved):
    services = resolved["services"]
    assert set(services) == {"argilla", "worker", "postgres", "elasticsearch", "redis", "bucle", "demo"}
    assert set(resolved["volumes"]) >= {
        "argilla-data",
        "postgres-data",
        "elasticsearch-data",
        "redis-data",
        "bucle-state",
    }


def test_every_image_is_pinned_and_argilla_is_2_8(resolved):
    for name, service in resolved["services"].items():
        image = service["image"]
        tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
        assert re.match(r"^v?\d+\.\d+(\.\d+)?$", tag), f"{name}: {image} is not pinned to a version"
    assert (
        resolved["services"]["argilla"]["image"]
        == resolved["services"]["worker"]["image"]
        == "argilla/argilla-server:v2.8.0"
    )
    assert resolved["services"]["elasticsearch"]["image"].split(":")[-1].startswith("8.")


def test_every_service_is_health_checked_and_waits_for_healthy_dependencies(resolved):
    for name, service in resolved["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for dependency, how in service.get("depends_on", {}).items():
            assert how == {"condition": "service_healthy"}, f"{name} → {dependency}: {how}"
    assert set(resolved["services"]["argilla"]["depends_on"]) == {"postgres", "elasticsearch", "redis"}
    assert set(resolved["services"]["bucle"]["depends_on"]) == {"argilla", "worker"}


def test_ports_are_published_on_the_loopback_only(resolved):
    published = [(name, port) for name, service in resolved["services"].items() for port in service.get("ports", [])]
    assert published, "the UI and the demo are reachable from the host"
    for name, port in published:
        host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
        assert host_ip == "127.0.0.1", f"{name} publishes {port}"


def test_every_secret_comes_from_env_without_a_default(tmp_path, resolved):
    text = COMPOSE.read_text(encoding="utf-8")
    assert not re.search(r"\$\{[A-Z_]+:?-", text), "no variable has a default value"
    for name, service in resolved["services"].items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"PASSWORD|SECRET|API_KEY", key) or "@" in str(value):  # a secret, or a URL carrying one
                assert "valor-de-prueba-" in str(value), f"{name}.{key} is not from .env"
    assert "valor-de-prueba-" in " ".join(resolved["services"]["redis"]["command"]), "Redis requires a password"
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert listed == set(secrets()), ".env.example lists exactly the secrets the compose file reads"
    assert all(
        line.endswith("=")
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    empty = tmp_path / ".env"
    empty.write_text("", encoding="utf-8")
    missing = compose_config(empty)
    assert missing.returncode != 0 and "in .env" in missing.stderr, "a missing secret stops the stack from starting"
    assert (
        resolved["services"]["bucle"]["environment"]["ARGILLA_API_KEY"]
        == resolved["services"]["argilla"]["environment"]["API_KEY"]
    )


def test_the_dockerfile_installs_the_package_pyproject_describes():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = list(project["tool"]["setuptools"]["package-dir"].values())  # the folders, installed as bucle.<folder>
    for package in packages:
        assert re.search(rf"^COPY {package} {package}$", dockerfile, re.M), f"the image lacks {package}/"
    assert "COPY pyproject.toml" in dockerfile
    installs = re.findall(r"pip install ([^\n&]+)", dockerfile)
    assert installs == ["--extra-index-url https://download.pytorch.org/whl/cpu . "], "one install: the package itself"
    assert re.search(r"^FROM python:3\.11\.\d+-slim", dockerfile, re.M), "the Python the project requires, pinned"
    user = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")


def test_the_compose_project_config_is_valid_and_external():
    config = load_config(ROOT / "deploy" / "bucle.yaml")
    assert config.external and config.argilla_url == "http://argilla:6900"
    assert config.loop.schedule.webhook_url == "http://bucle:8765/" and config.loop.schedule.webhook_port == 8765
    assert all(config.source_path(source).exists() for source in config.data.sources)
