"""The project config (``bucle.yaml``), loaded once into a typed model and passed down.

A mistake in the file gives one line per problem that names the file, the key and what was
expected; nothing here reads files or the environment on import.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from bucle.annotation.credentials import check_username
from bucle.annotation.model_metadata import KIND, PREDICTION, PROBABILITY
from bucle.annotation.embedded.layout import DEFAULT_SERVER_PYTHON, ServerLayout
from bucle.common.errors import BucleError
from bucle.loop.state import StateLayout
from bucle.training.settings import ModelSettings, Strict

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STATE_FOLDER = ".bucle"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?$")  # org/name, as the Hub accepts


class ConfigError(BucleError):
    """``bucle.yaml`` is missing, unreadable or wrong."""


def _an_ip(host: str) -> str:
    """An IP address, so that binding 0.0.0.0 is a deliberate choice, never a hostname's accident."""
    ipaddress.ip_address(host)
    return host


class ServerConfig(Strict):
    """``embedded``: bucle runs its own Argilla (host, port, python, startup_timeout_s);
    ``external``: a team's Argilla at ``url`` (a Hugging Face Space, the docker-compose stack),
    the owner's API key from the environment (``ARGILLA_API_KEY``), never from this file."""

    mode: Literal["embedded", "external"] = "embedded"
    url: str | None = None  # external: e.g. https://somosnlp-argilla.hf.space or http://argilla:6900
    host: str = "127.0.0.1"
    port: int = Field(6900, ge=1, le=65535)
    python: Path = DEFAULT_SERVER_PYTHON
    startup_timeout_s: float = Field(180.0, gt=0)

    _host = field_validator("host")(lambda host: _an_ip(host))

    @model_validator(mode="after")
    def _external_url(self) -> "ServerConfig":
        if self.mode == "external" and not (self.url and re.match(r"^https?://[^/\s]+", self.url)):
            raise ValueError(
                "server.mode external needs server.url, the Argilla server's address (http:// or https://)"
            )
        if self.url and "@" in self.url.split("//", 1)[-1].split("/", 1)[0]:
            raise ValueError("server.url must not carry credentials: the API key comes from ARGILLA_API_KEY")
        return self


class SourceConfig(Strict):
    path: Path  # relative to bucle.yaml
    role: Literal["pool", "test"] = "pool"
    format: Literal["auto", "csv", "tsv", "jsonl", "json", "parquet", "xlsx", "txt", "datasets"] = "auto"
    sheet: str | None = None  # an Excel file's sheet (default: every sheet, in order)


class DataConfig(Strict):
    """Where the texts come from, which columns mean what, and how they are cleaned and split."""

    sources: list[SourceConfig] = Field(default_factory=list)
    text: list[str] = Field(default_factory=lambda: ["text"])  # joined with a blank line
    id: str | None = None  # None: ids derived from the normalised text
    label: str | None = None  # the column of gold labels, if any
    metadata: list[str] = Field(default_factory=list)  # slices for bias evaluation and filters
    gold: Literal["seed", "labels", "ignore"] = "seed"
    seed_size: int = Field(16, ge=0)
    test_size: float = Field(0.2, gt=0)  # a fraction (< 1) or a count, when no source is a test source
    split_seed: int = 13
    min_chars: int = Field(20, ge=1)
    max_chars: int = Field(20_000, ge=1)
    language: str = "es"
    language_confidence: float = Field(0.8, gt=0, le=1)
    near_duplicate_jaccard: float = Field(0.8, ge=0, le=1)  # 0 turns the check off
    mask_pii: bool = True
    source_datasets: list[str] = Field(default_factory=list)  # for the card, e.g. Hub ids of the origin
    attribution: str = ""  # Markdown, or a .md file beside bucle.yaml: origin, licence, authors

    @field_validator("text")
    @classmethod
    def _some_text(cls, columns: list[str]) -> list[str]:
        if not columns:
            raise ValueError("name at least one text column")
        return columns

    @field_validator("metadata")
    @classmethod
    def _not_reserved(cls, columns: list[str]) -> list[str]:
        taken = sorted(set(columns) & {PREDICTION, PROBABILITY, KIND})
        if taken:
            raise ValueError(
                f"{', '.join(taken)}: bucle writes the model's prediction under these metadata names; "
                "rename the column in the data"
            )
        return columns

    @model_validator(mode="after")
    def _lengths(self) -> "DataConfig":
        if self.max_chars <= self.min_chars:
            raise ValueError("max_chars must be larger than min_chars")
        return self


class SuggestionsConfig(Strict):
    """What annotators get from the model (README: "What annotators see")."""

    # a suggestion is pre-filled only from the probability at which the version's held-out
    # predictions reached this precision (loop/prefill.py); below it the record shows the model's
    # prediction and probability as metadata and the annotator decides unprompted
    min_precision: float = Field(0.9, gt=0, le=1)
    min_probability: float = Field(0.5, ge=0, le=1)  # and never below this probability, whatever the evidence
    # share of each batch made of confident predictions (pre-filled ones, drawn at random so their
    # precision is the model's) for quick confirmation, marked ``tipo: confirmar``
    confirm_share: float = Field(0.125, ge=0, lt=1)


class ReviewConfig(Strict):
    """Labels sent back for a second look when the model, trained without them, disagrees
    (``loop.label_review``; README: "Label errors sent back for review")."""

    # records waiting in the review dataset are topped up to this many each round; 0 turns review off
    per_round: int = Field(8, ge=0)
    # no ranking below this many labels: out-of-fold models of a handful of labels flag noise, not errors
    min_labels: int = Field(64, ge=8)


class AnnotationConfig(Strict):
    annotators: list[str] = Field(default_factory=lambda: ["anotador-1"])
    overlap: int = Field(1, ge=1)  # annotators per record
    suggestions: SuggestionsConfig = SuggestionsConfig()
    review: ReviewConfig = ReviewConfig()

    @field_validator("annotators")
    @classmethod
    def _annotators(cls, names: list[str]) -> list[str]:
        for name in names:
            check_username(name)
        return names

    @model_validator(mode="after")
    def _enough_annotators(self) -> "AnnotationConfig":
        if self.overlap > len(self.annotators):
            raise ValueError(f"overlap {self.overlap} needs at least {self.overlap} annotators")
        return self


class ScheduleConfig(Strict):
    every_minutes: float = Field(15, gt=0)  # a round then if any label arrived since the last one
    min_new_labels: int = Field(16, ge=1)  # labels that start a round (and a retraining) at once
    watch_seconds: float = Field(30, gt=0)  # how often Argilla's progress is checked
    webhooks: bool = True  # Argilla tells bucle of each submitted answer (response.created/updated)
    webhook_port: int = Field(0, ge=0, le=65535)  # 0: a free port
    webhook_host: str = "127.0.0.1"  # where the receiver listens (0.0.0.0 inside a container only)
    # the receiver's address as Argilla reaches it, when that is not this machine's loopback (an
    # external server): e.g. http://bucle:8765/ on the compose network. External without it: no
    # webhooks, the progress watch and the timer start rounds
    webhook_url: str | None = None
    debounce_seconds: float = Field(5, ge=0)  # a burst of submissions starts one round
    # a round as soon as the records waiting in Argilla fall to this many (None: half a batch),
    # so that the next batch arrives before annotators finish the current one
    low_water: int | None = Field(None, ge=0)

    _webhook_host = field_validator("webhook_host")(lambda host: _an_ip(host))


class StoppingConfig(Strict):
    """When ``bucle status`` advises stopping (loop/stopping.py)."""

    kappa: float = Field(0.99, gt=0, le=1)  # stabilising predictions: kappa between successive champions
    window: int = Field(3, ge=1)  # rounds the kappa (or the plateau) must hold
    min_gain: float = Field(0.005, ge=0)  # macro-F1 a window of rounds must gain, else a plateau


class LoopConfig(Strict):
    strategy: str = "hedged"  # loop/strategies/__init__.py says why

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, name: str) -> str:
        from bucle.loop.strategies import CHOICES

        if name not in CHOICES:
            raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(CHOICES)}")
        return name

    batch_size: int = Field(16, ge=1, le=500)
    label_budget: int = Field(1000, ge=1)
    # unlabelled records a round scores: a fixed random window of the pool (loop/candidates.py),
    # so that a round's cost does not grow with the pool
    candidates: int = Field(4096, ge=1)
    # at most this many of them embedded before a push: on a pool not embedded yet the window starts
    # this size (at least a batch) and grows as the warm step embeds ahead (loop/candidates.py)
    embed_before_push: int = Field(512, ge=1)
    # candidates embedded with the configured body after each push (loop.rounds._warm), so that the
    # next round finds the window and its push's vectors cached; 0: none
    warm_ahead: int = Field(4096, ge=0)
    stop_when_signalled: bool = False  # the scheduler stops starting rounds when the stopping signals say so
    stopping: StoppingConfig = StoppingConfig()
    schedule: ScheduleConfig = ScheduleConfig()

    @property
    def low_water(self) -> int:
        """Records still waiting in Argilla at which the next round starts: half a batch unless set."""
        return self.schedule.low_water if self.schedule.low_water is not None else self.batch_size // 2


class PublishConfig(Strict):
    """Where the champion, the dataset and the Space go (``loop/publish.py``)."""

    target: Literal["local", "hub"] = "local"  # local: git repositories under local_dir; hub: the Hugging Face Hub
    when: Literal["champion", "every-round", "manual"] = "champion"  # champion: when the champion changed
    model_repo: str = ""  # Hub ids (org/name); on the local target only the names matter
    dataset_repo: str = ""
    space_repo: str = ""
    private: bool = True
    local_dir: Path | None = None  # None: .bucle/publish/
    code_url: str = ""  # where this repository's scripts are published, linked from every card

    @field_validator("model_repo", "dataset_repo", "space_repo")
    @classmethod
    def _hub_id(cls, value: str) -> str:
        if value and not HUB_ID.match(value):
            raise ValueError(f"{value!r} is not a Hub repository id such as somosnlp/noticias-falsas")
        return value


class DemoConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    max_chars: int = Field(5000, ge=20)  # longer texts get a clear message, not a truncated prediction
    rate_limit_per_minute: int = Field(30, ge=1)  # per client address
    max_batch_rows: int = Field(1000, ge=1)  # rows of an uploaded CSV
    examples: list[str] = Field(default_factory=list)  # empty: three short texts of the pool
    feedback_retry_seconds: float = Field(60, gt=0)  # how often queued feedback is retried

    _host = field_validator("host")(lambda host: _an_ip(host))


class ProjectConfig(Strict):
    name: str
    title: str = ""
    ods: list[int] = Field(default_factory=list)
    workspace: str = ""
    task: Literal["single-label", "multi-label"] = "single-label"
    labels: dict[str, str]
    guidelines: str
    license: str = "cc-by-4.0"
    citation: str = ""  # BibTeX or Markdown, for the cards
    data: DataConfig = DataConfig()
    annotation: AnnotationConfig = AnnotationConfig()
    loop: LoopConfig = LoopConfig()
    model: ModelSettings = ModelSettings()
    publish: PublishConfig = PublishConfig()
    server: ServerConfig = ServerConfig()
    demo: DemoConfig = DemoConfig()
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

    @model_validator(mode="after")
    def _default_workspace(self) -> "ProjectConfig":
        if not self.workspace:
            object.__setattr__(self, "workspace", self.name)
        return self

    @model_validator(mode="after")
    def _model_forms(self) -> "ProjectConfig":
        """``model.body`` and ``model.llm.base_model`` name an existing local folder or have the
        form of a Hub id, so that a typo fails here rather than minutes later, when a training
        loads it."""
        for key, name, example in (
            ("model.body", self.model.body, "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"),
            ("model.llm.base_model", self.model.llm.base_model, "BSC-LT/salamandra-2b"),
        ):
            if name is None:
                continue
            path = Path(name).expanduser()
            local = path if path.is_absolute() else self.root / path
            if local.exists() or Path(name).exists():
                continue
            if path.is_absolute() or name.startswith((".", "~")) or not HUB_ID.match(name):
                raise ValueError(
                    f"{key}: {name!r} is neither an existing folder (relative to bucle.yaml) nor "
                    f"a Hub model id such as {example}"
                )
        return self

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_FOLDER

    @property
    def state(self) -> StateLayout:
        """Every path bucle writes in the state folder (``loop/state.py``)."""
        return StateLayout(self.state_dir)

    def source_path(self, source: SourceConfig) -> Path:
        return source.path if source.path.is_absolute() else self.root / source.path

    @property
    def server_layout(self) -> ServerLayout:
        return ServerLayout(self.state_dir, self.server.host, self.server.port, self.server.python)

    @property
    def review_workspace(self) -> str:
        """Where the demo's corrections wait for reviewers: a workspace of their own, so that
        annotators (members of ``workspace`` only) never see them beside their work."""
        return f"{self.workspace}-revision"

    @property
    def external(self) -> bool:
        return self.server.mode == "external"

    @property
    def argilla_url(self) -> str:
        """The Argilla server bucle talks to: the team's, or the embedded one."""
        return self.server.url.rstrip("/") if self.external else self.server_layout.url

    def markdown(self, key: str, value: str) -> str:
        """``value`` as inline Markdown, or the content of the .md file it names (relative to
        bucle.yaml); ``key`` names the setting in errors."""
        if value.endswith(".md") and "\n" not in value:
            path = self.root / value
            try:
                return path.read_text(encoding="utf-8")
            except OSError as error:
                raise ConfigError(f"{self.root / 'bucle.yaml'}: {key}: cannot read {path}: {error.strerror}") from None
        return value

    def guidelines_text(self) -> str:
        return self.markdown("guidelines", self.guidelines)


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{key}: {message}" if error["loc"] else message


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
