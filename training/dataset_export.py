"""Writing the labelled dataset as a ``datasets.DatasetDict`` (train/test), to disk and Parquet.

The export folder is laid out as a Hugging Face dataset repository: ``README.md`` (the card, whose
``configs`` name the splits), ``data/{train,test}.parquet``; ``dataset/`` is for
``datasets.load_from_disk`` and is not published."""

from __future__ import annotations

import shutil
from pathlib import Path

import datasets

from bucle.training.dataset_facts import LabelledRow

DATA = "data"  # the Parquet splits' folder, as the Hub expects it


def to_dataset_dict(
    train: list[LabelledRow], test: list[LabelledRow], labels: list[str], metadata: list[str], multi_label: bool
) -> datasets.DatasetDict:
    label_feature = datasets.ClassLabel(names=labels)
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "label": datasets.Sequence(label_feature) if multi_label else label_feature,
            **{column: datasets.Value("string") for column in metadata},
        }
    )

    def columns(rows: list[LabelledRow]) -> dict[str, list]:
        return {
            "id": [r.id for r in rows],
            "text": [r.text for r in rows],
            "label": [r.label for r in rows],
            **{c: [None if r.metadata.get(c) is None else str(r.metadata[c]) for r in rows] for c in metadata},
        }

    return datasets.DatasetDict(
        train=datasets.Dataset.from_dict(columns(train), features=features),
        test=datasets.Dataset.from_dict(columns(test), features=features),
    )


def export(dataset: datasets.DatasetDict, folder: Path) -> dict[str, Path]:
    """Write ``folder/dataset`` (``load_from_disk``) and ``folder/data/{split}.parquet``,
    replacing an earlier export only once the new one is complete."""
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # a few hundred rows: the bars are noise
    try:
        dataset.save_to_disk(str(staging / "dataset"))
        (staging / DATA).mkdir()
        for split, part in dataset.items():
            part.to_parquet(str(staging / DATA / f"{split}.parquet"))
    finally:
        if bars:
            datasets.enable_progress_bars()
    shutil.rmtree(folder / "parquet", ignore_errors=True)  # where older bucle wrote the splits
    for name in ("dataset", DATA):
        target = folder / name
        old = folder / f".old-{name}"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        (staging / name).rename(target)
        shutil.rmtree(old, ignore_errors=True)
    staging.rmdir()
    return {"dataset": folder / "dataset", DATA: folder / DATA}
