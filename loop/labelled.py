"""The project's labelled dataset: exported with its card from the pool and the last ingest.

Train holds the pool's labelled records (seed, gold or annotators); test holds the frozen test
set with its labels. ``bucle export`` and, later, every round call ``export_labelled``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import DatasetCard

from bucle.common.files import write_json_atomically
from bucle.loop.config import ProjectConfig
from bucle.loop.pool import Pool, PoolRecord
from bucle.loop.adapters import project_facts
from bucle.training.dataset_card import DatasetFacts, build_card, validate_offline
from bucle.training.dataset_export import export, to_dataset_dict
from bucle.training.dataset_facts import LabelledRow


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    train: int
    test: int
    card: DatasetCard


def _row(record: PoolRecord, label) -> LabelledRow:
    return LabelledRow(record.id, record.text, label, record.metadata)


def export_labelled(config: ProjectConfig, agreement: dict | None = None, pool: Pool | None = None) -> ExportResult:
    with Pool.shared(config.state.pool, pool) as pool:
        train = [_row(r, r.label) for r in pool.records(split="pool", labelled=True)]
        test = [_row(r, r.test_label) for r in pool.test_records()]
        unlabelled = pool.count(split="pool", labelled=False)
        quarantined = pool.quarantine_counts()
    report_file = config.state.latest_ingest_report
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else {}
    facts = DatasetFacts(
        project=project_facts(config),
        task=config.task,
        guidelines=config.guidelines_text(),
        train=train,
        test=test,
        unlabelled=unlabelled,
        metadata_columns=config.data.metadata,
        sources=report.get("sources", []),
        quarantined=quarantined,
        pii_masked=report.get("pii_masked", {}),
        annotators=len(config.annotation.annotators),
        overlap=config.annotation.overlap,
        agreement=agreement,
        source_datasets=config.data.source_datasets,
        attribution=config.markdown("data.attribution", config.data.attribution),
        citation=config.citation,
    )
    card = build_card(facts)
    validate_offline(card)
    folder = config.state.export
    dataset = to_dataset_dict(train, test, list(config.labels), config.data.metadata, config.task == "multi-label")
    export(dataset, folder)
    if agreement is not None:
        write_json_atomically(folder / "agreement.json", agreement)
    card.save(str(folder / "README.md"))
    return ExportResult(folder=folder, train=len(train), test=len(test), card=card)
