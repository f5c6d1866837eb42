"""The rules the layout keeps: the state folder's paths named once (loop/state.py, and the
server's in its layout), Argilla only behind annotation/, training free of annotation/ and loop/,
one atomic write, and the folders installed and imported as one namespace, ``bucle.<folder>``."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from bucle.loop.state import StateLayout

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("common", "annotation", "loop", "training", "demo", "publishing")  # each installed as bucle.<name>
NAMING_MODULES = {ROOT / "loop" / "state.py", ROOT / "annotation" / "embedded" / "layout.py"}


def test_no_module_builds_a_state_path_of_its_own():
    builders = re.compile(r"state_dir\s*/")
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("common", "annotation", "loop", "training", "demo", "bench")
        for path in (ROOT / package).rglob("*.py")
        if path not in NAMING_MODULES and builders.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"name the path in loop/state.py instead: {offenders}"


def test_every_path_is_inside_the_state_folder_and_distinct(tmp_path):
    state = StateLayout(tmp_path / ".bucle")
    paths = [getattr(state, name) for name, value in vars(StateLayout).items() if isinstance(value, property)]
    paths += [state.ingest_report("x"), state.pool_backup(1), state.onnx_export(1)]
    assert all(path.is_relative_to(state.root) for path in paths)
    assert len(set(paths)) == len(paths)


def test_training_imports_nothing_of_annotation_or_loop():
    imports = re.compile(r"^\s*(from|import) bucle\.(annotation|loop)\b", re.M)
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "training").rglob("*.py")
        if imports.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_atomic_writes_replace_whole_files_with_the_mode_asked(tmp_path):
    from bucle.common.files import write_atomically, write_json_atomically

    target = tmp_path / "secreto.json"
    write_json_atomically(target, {"a": 1}, 0o600)
    write_atomically(target, '{"a": 2}', 0o600)
    assert target.read_text() == '{"a": 2}' and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secreto.json"], "no temporary file is left"


def test_only_annotation_imports_argilla():
    imports = re.compile(r"^\s*(from|import) argilla\b", re.M)
    benchmark_of_the_sdk = ROOT / "bench" / "argilla_server.py"  # measures the SDK itself
    offenders = [
        str(p.relative_to(ROOT))
        for package in ("common", "loop", "training", "demo", "bench")
        for p in (ROOT / package).rglob("*.py")
        if p != benchmark_of_the_sdk and imports.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_import_goes_through_the_bucle_namespace():
    """From the repository's root, `import loop` still finds the folder: a module imported both
    ways would be two modules with two states, so no file may use the bare names."""
    sources = [path for folder in (*PACKAGES, "bench", "tests") for path in (ROOT / folder).rglob("*.py")]
    offenders = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names if name.split(".")[0] in PACKAGES
            ]
    assert offenders == [], f"import these as bucle.<package>: {offenders}"


def test_pyproject_maps_every_folder_into_the_namespace():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"] == {f"bucle.{name}": name for name in PACKAGES}
    folders = {
        "bucle." + str(init.parent.relative_to(ROOT)).replace("/", ".")
        for name in PACKAGES
        for init in (ROOT / name).rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == folders, (
        "a package missing here is missing from a wheel (editable installs hide it)"
    )


def test_the_space_vendors_the_import_closure_of_its_model_loaders():
    from bucle.publishing.space import vendored

    files = vendored()
    assert {
        "common/__init__.py",
        "training/__init__.py",
        "training/models/__init__.py",
        "training/models/base.py",
        "training/models/tfidf.py",
        "training/models/setfit_model.py",
        "training/models/lora.py",
    } <= set(files)
    assert not [f for f in files if f.split("/")[0] in ("loop", "annotation", "demo", "publishing")], "loaders only"


def test_only_the_cli_reaches_into_the_demo():
    """The demo app (gradio, pandas) is a leaf: a round's publish step never imports it."""
    imports = re.compile(r"^\s*(from|import) bucle\.demo\b", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package != "demo"
        for path in (ROOT / package).rglob("*.py")
        if imports.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == ["loop/cli.py"]
