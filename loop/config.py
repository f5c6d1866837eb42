"""The project config (``bucle.yaml``), loaded once into a typed model and passed down.

A mistake in the file gives one line per problem that names the file, the key and what was
expected; nothing here reads files or the environment on import.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from annotation.embedded.layout import DEFAULT_SERVER_PYTHON, ServerLayout
from annotation.errors import BucleError

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STATE_FOLDER = ".bucle"


class ConfigError(BucleError):
    """``bucle.yaml`` is missing, unreadable or wrong."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(6900, ge=1, le=65535)
    python: Path = DEFAULT_SERVER_PYTHON
    startup_timeout_s: float = Field(180.0, gt=0)

    @field_validator("host")
    @classmethod
    def _is_ip(cls, host: str) -> str:
        ipaddress.ip_address(host)
        return host


class ProjectConfig(Strict):
    name: str
    title: str = ""
    ods: list[int] = Field(default_factory=list)
    workspace: str = ""
    labels: dict[str, str]
    guidelines: str
    annotators: list[str] = Field(default_factory=lambda: ["anotador-1"])
    server: ServerConfig = ServerConfig()
    root: Path = Path(".")  # the folder of bucle.yaml, set by load_config

    @field_validator("name", "workspace")
    @classmethod
    def _slug(cls, value: str) -> str:
        if value and not SLUG.match(value):
            raise ValueError("use lowercase letters, digits, '-' and '_' (e.g. noticias-falsas)")
        return value

    @field_validator("ods")
    @classmethod
    def _ods(cls, goals: list[int]) -> list[int]:
        if any(not 1 <= goal <= 17 for goal in goals):
            raise ValueError("the ODS (SDGs) are numbered 1 to 17")
        return goals

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        if len(labels) < 2:
            raise ValueError("give at least two labels")
        return labels

    @field_validator("annotators")
    @classmethod
    def _annotators(cls, names: list[str]) -> list[str]:
        for name in names:
            if not SLUG.match(name):
                raise ValueError(f"{name!r}: use lowercase letters, digits, '-' and '_'")
        return names

    @model_validator(mode="after")
    def _default_workspace(self) -> "ProjectConfig":
        if not self.workspace:
            object.__setattr__(self, "workspace", self.name)
        return self

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_FOLDER

    @property
    def server_layout(self) -> ServerLayout:
        return ServerLayout(self.state_dir, self.server.host, self.server.port, self.server.python)

    def guidelines_text(self) -> str:
        """The guidelines: inline Markdown, or the file it names (relative to bucle.yaml)."""
        if self.guidelines.endswith(".md") and "\n" not in self.guidelines:
            path = self.root / self.guidelines
            try:
                return path.read_text(encoding="utf-8")
            except OSError as error:
                raise ConfigError(f"{self.root / 'bucle.yaml'}: guidelines: cannot read {path}: {error.strerror}")
        return self.guidelines


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{key}: {message}"


def load_config(path: Path) -> ProjectConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (create one with `bucle init`, or pass --project)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read it: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (name, labels, guidelines, …)")
    raw.pop("root", None)
    try:
        return ProjectConfig(**raw, root=path.resolve().parent)
    except ValidationError as error:
        problems = "; ".join(_describe(e) for e in error.errors())
        raise ConfigError(f"{path}: {problems}") from None
