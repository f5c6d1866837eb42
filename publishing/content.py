"""What each repository holds, laid out as the Hub expects it, written into a folder that a
target then commits as a whole.

- model: the champion's ``model/`` folder at the root (SetFit's layout or the skops pipeline,
  plus bucle's ``meta.json``), its card as ``README.md``, ``metrics.json``, the reliability
  diagram, the version's manifest and the manifest of the round that trained it;
- dataset: the export's card and ``data/{train,test}.parquet``, and the agreement report;
- space: what ``bucle demo export`` writes.

Each gets the Hub's ``.gitattributes``, so that large files go to LFS once pushed to the Hub.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bucle.common.files import link_tree

GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in (
        "*.bin",
        "*.ckpt",
        "*.h5",
        "*.joblib",
        "*.model",
        "*.npy",
        "*.npz",
        "*.onnx",
        "*.parquet",
        "*.pickle",
        "*.pkl",
        "*.pt",
        "*.pth",
        "*.safetensors",
        "*.skops",
        "*.zip",
        "*.png",
        "tokenizer.json",
    )
)
VERSION_FILES = ("README.md", "metrics.json", "reliability.png", "manifest.json")
DATASET_FILES = ("README.md", "agreement.json")


def _finish(folder: Path) -> Path:
    (folder / ".gitattributes").write_text(GITATTRIBUTES, encoding="utf-8")
    return folder


def model_files(version: Path, folder: Path, round_manifest: dict | None = None) -> Path:
    """The model repository of registry version folder ``version``, in ``folder``, with the
    record of the round that trained it as ``round.json`` (None: trained by hand)."""
    folder.mkdir(parents=True, exist_ok=True)
    link_tree(version / "model", folder)
    for name in VERSION_FILES:
        shutil.copy2(version / name, folder / name)
    if round_manifest is not None:
        (folder / "round.json").write_text(json.dumps(round_manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return _finish(folder)


def dataset_files(export: Path, folder: Path) -> Path:
    """The dataset repository of the export folder ``export``, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    link_tree(export / "data", folder / "data")
    for name in DATASET_FILES:
        if (export / name).exists():
            shutil.copy2(export / name, folder / name)
    return _finish(folder)


def space_files(space: Path) -> Path:
    """The Space repository: the folder ``bucle demo export`` wrote."""
    return _finish(space)


def listing(folder: Path) -> dict[str, int]:
    """Path in the repository -> size in bytes, for a dry run and the Hub's operations."""
    return {
        path.relative_to(folder).as_posix(): path.stat().st_size for path in sorted(folder.rglob("*")) if path.is_file()
    }
