"""``bucle init``: a commented starter ``bucle.yaml`` in Spanish and English."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bucle.common.errors import BucleError


def write_starter(path: Path) -> Path:
    if path.exists():
        raise BucleError(f"{path} already exists; remove it or choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        resources.files("loop").joinpath("templates/bucle.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return path
