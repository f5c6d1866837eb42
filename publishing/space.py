"""``bucle demo export``: a Hugging Face Space folder that serves the published model.

The folder holds ``app.py`` (a small Gradio app), ``space.json`` (labels, examples, the model
card's limitations), ``requirements.txt`` pinned to the versions bucle runs with, a README with
the Space's YAML header, and ``vendor/`` with bucle's model loaders, so that the Space reads the
same model format as the registry. It loads ``publish.model_repo`` from the Hub at start, or
``BUCLE_MODEL_DIR`` when set (how the tests run it offline).
"""

from __future__ import annotations

import ast
import json
import shutil
from importlib.metadata import version
from pathlib import Path

import yaml

from bucle.common.errors import BucleError
from bucle.publishing.facts import default_examples, model_facts
from bucle.loop.config import ProjectConfig
from bucle.loop.pool import Pool
from bucle.loop.context import registry

ROOT = Path(__file__).resolve().parents[1]  # the folder that the bucle namespace maps (bucle.<folder> = ROOT/<folder>)
TEMPLATE = Path(__file__).resolve().parent / "templates" / "space_app.py"
# the Space imports these from the model loaders it vendors (``vendored``), and nothing else of bucle
SPACE_IMPORTS = ("bucle.training.models.base",)
REQUIREMENTS = (
    "gradio",
    "huggingface_hub",
    "numpy",
    "scipy",
    "scikit-learn",
    "skops",
    "joblib",
    "sentence-transformers",
    "transformers",
    "torch",
    "onnxruntime",
    "peft",
)


def _module_file(module: str) -> Path | None:
    """The file of a ``bucle.*`` module, or None for anything else."""
    parts = module.split(".")
    if parts[0] != "bucle" or len(parts) < 2:
        return None
    base = ROOT.joinpath(*parts[1:])
    return next((path for path in (base.with_suffix(".py"), base / "__init__.py") if path.exists()), None)


def vendored(roots: tuple[str, ...] = SPACE_IMPORTS) -> list[str]:
    """The files the Space must carry: the ``bucle.*`` import closure of ``roots`` (imports inside
    functions included: a loader imports its family when a model of it is loaded), with the
    ``__init__.py`` of every package on the way; paths relative to ``ROOT``. Derived rather than
    listed, so that a new import in a model loader cannot leave the Space without its module."""
    files: set[Path] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        path = _module_file(module)
        if path is None or path in files:
            continue
        files.add(path)
        parent = module.rsplit(".", 1)[0]
        todo += [parent] if parent != "bucle" else []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                todo += [
                    node.module,
                    *(f"{node.module}.{alias.name}" for alias in node.names),
                ]  # a name may be a module
    return sorted(str(path.relative_to(ROOT)) for path in files)


def _check_target(folder: Path, force: bool) -> None:
    """A new or empty folder, or ``force``: an export never overwrites files it was not asked to."""
    if folder.exists() and not folder.is_dir():
        raise BucleError(f"{folder} is a file, not a folder: give a folder for the Space")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise BucleError(
            f"{folder} is not empty: give a new folder, or pass --force to write the Space's files over the ones there"
        )


def export_space(
    config: ProjectConfig,
    folder: Path,
    force: bool = False,
    model_repo: str = "",
    model_revision: str | None = None,
    pool: Pool | None = None,
) -> Path:
    """Write the Space into ``folder`` (new or empty unless ``force``), serving ``model_repo``
    (default ``publish.model_repo``) at ``model_revision`` (a commit; None: the latest); a path
    that cannot be written is one clear error."""
    _check_target(folder, force)
    try:
        return _write_space(config, folder, model_repo or config.publish.model_repo, model_revision, pool)
    except OSError as error:
        raise BucleError(f"cannot write the Space to {folder}: {error.strerror or error}") from None


def _write_space(
    config: ProjectConfig, folder: Path, model_repo: str, model_revision: str | None, pool: Pool | None = None
) -> Path:
    reg = registry(config)
    champion = reg.champion()
    if champion is None:
        raise BucleError("there is no champion to publish yet: run a round first")
    if not model_repo:
        raise BucleError("set publish.model_repo in bucle.yaml: the Space loads the model published there")
    facts = model_facts(reg, champion)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TEMPLATE, folder / "app.py")
    for relative in vendored():
        target = folder / "vendor" / "bucle" / relative  # the `bucle` namespace, as installed
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, target)
    settings = {
        "title": config.title or config.name,
        "model_repo": model_repo,
        "model_revision": model_revision,
        "labels": config.labels,
        "max_chars": config.demo.max_chars,
        "examples": default_examples(config, pool),
        "limitations": facts.limitations,
        "intro": f"Modelo {champion} ({facts.family}): macro-F1 {facts.macro_f1:.3f} en el conjunto de prueba "
        f"congelado, con {facts.labels} etiquetas. Entrenado con bucle.",
    }
    (folder / "space.json").write_text(json.dumps(settings, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder / "requirements.txt").write_text(
        "".join(f"{name}=={version(name)}\n" for name in REQUIREMENTS), encoding="utf-8"
    )
    header = {
        "title": (config.title or config.name)[:60],
        "emoji": "🔁",
        "colorFrom": "green",
        "colorTo": "blue",
        "sdk": "gradio",
        "sdk_version": version("gradio"),
        "app_file": "app.py",
        "pinned": False,
        "license": config.license,
        "models": [model_repo],
        **({"datasets": [config.publish.dataset_repo]} if config.publish.dataset_repo else {}),
        "tags": ["bucle", "spanish", "text-classification", *(f"ods-{g}" for g in config.ods)],
    }
    code_url = config.publish.code_url.rstrip("/")
    code = f" ([código]({code_url}/publishing/space.py))" if code_url else ""
    readme = (
        f"---\n{yaml.safe_dump(header, allow_unicode=True, sort_keys=False)}---\n\n"
        f"# {config.title or config.name}\n\nDemo del modelo [{model_repo}](https://huggingface.co/{model_repo})"
        f"{f' en la revisión `{model_revision}`' if model_revision else ''}, exportada por bucle{code}.\n"
    )
    (folder / "README.md").write_text(readme, encoding="utf-8")
    return folder
