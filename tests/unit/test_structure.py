"""The rules the layout keeps: the state folder's paths named once (loop/state.py, and the
server's in its layout), Argilla only behind annotation/, training free of annotation/ and loop/,
one atomic write."""

from __future__ import annotations

import re
from pathlib import Path

from loop.state import StateLayout

ROOT = Path(__file__).resolve().parents[2]
NAMING_MODULES = {ROOT / "loop" / "state.py", ROOT / "annotation" / "embedded" / "layout.py"}


def test_no_module_builds_a_state_path_of_its_own():
    builders = re.compile(r"state_dir\s*/")
    offenders = [str(path.relative_to(ROOT)) for package in ("common", "annotation", "loop", "training", "demo", "bench")
                 for path in (ROOT / package).rglob("*.py")
                 if path not in NAMING_MODULES and builders.search(path.read_text(encoding="utf-8"))]  # fmt: skip
    assert offenders == [], f"name the path in loop/state.py instead: {offenders}"


def test_every_path_is_inside_the_state_folder_and_distinct(tmp_path):
    state = StateLayout(tmp_path / ".bucle")
    paths = [getattr(state, name) for name, value in vars(StateLayout).items() if isinstance(value, property)]
    paths += [state.ingest_report("x"), state.pool_backup(1), state.onnx_export(1)]
    assert all(path.is_relative_to(state.root) for path in paths)
    assert len(set(paths)) == len(paths)


def test_training_imports_nothing_of_annotation_or_loop():
    imports = re.compile(r"^\s*(from|import) (annotation|loop)\b", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "training").rglob("*.py") if imports.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_atomic_writes_replace_whole_files_with_the_mode_asked(tmp_path):
    from common.files import write_atomically, write_json_atomically

    target = tmp_path / "secreto.json"
    write_json_atomically(target, {"a": 1}, 0o600)
    write_atomically(target, '{"a": 2}', 0o600)
    assert target.read_text() == '{"a": 2}' and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secreto.json"], "no temporary file is left"


def test_only_annotation_imports_argilla():
    imports = re.compile(r"^\s*(from|import) argilla\b", re.M)
    benchmark_of_the_sdk = ROOT / "bench" / "argilla_server.py"  # measures the SDK itself
    offenders = [str(p.relative_to(ROOT)) for package in ("common", "loop", "training", "demo", "bench")
                 for p in (ROOT / package).rglob("*.py")
                 if p != benchmark_of_the_sdk and imports.search(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert offenders == []
