"""The dataset card, rebuilt from the project's own records every time it is exported.

``huggingface_hub.DatasetCard`` from our template: YAML metadata (language, licence, task,
size category, annotation creators, source datasets), then Spanish and English sections,
including the bias evaluation the SomosNLP rules ask for. ``validate_offline`` parses the YAML
back with ``DatasetCardData`` and checks the fields the Hub requires; ``RepoCard.validate()``
posts to the Hub and runs only when publishing there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import DatasetCard, DatasetCardData

from bucle.training.dataset_export import DATA
from bucle.training.dataset_facts import (
    LabelledRow,
    gender_table,
    known_gaps,
    label_counts,
    slice_table,
    variety_table,
)
from bucle.training.project_facts import ProjectFacts

TEMPLATE = Path(__file__).resolve().parent / "templates" / "dataset_card.md"
REQUIRED = ("language", "license", "task_categories", "size_categories", "annotations_creators", "pretty_name")


class CardError(ValueError):
    """The card's metadata is missing something the Hub requires."""


@dataclass
class DatasetFacts:
    project: ProjectFacts
    task: str  # single-label | multi-label
    guidelines: str
    train: list[LabelledRow]
    test: list[LabelledRow]
    unlabelled: int
    metadata_columns: list[str]
    sources: list[dict[str, Any]] = field(default_factory=list)
    quarantined: dict[str, int] = field(default_factory=dict)
    pii_masked: dict[str, int] = field(default_factory=dict)
    annotators: int = 1
    overlap: int = 1
    agreement: dict[str, Any] | None = None
    source_datasets: list[str] = field(default_factory=list)
    attribution: str = ""
    citation: str = ""


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def demote_headings(markdown: str, levels: int = 2) -> str:
    """Embedded Markdown (guidelines, attribution) nested under the card's own headings."""
    return re.sub(r"^(#{1,6}) ", lambda m: "#" * min(6, len(m.group(1)) + levels) + " ", markdown, flags=re.M)


def _agreement_text(agreement: dict[str, Any] | None) -> str:
    if not agreement or not agreement.get("overlapping_records"):
        return "sin registros con más de una anotación todavía / no records with more than one answer yet."
    alpha, kappa = agreement.get("alpha"), agreement.get("kappa")
    fmt = lambda v: f"{v:.3f}" if v is not None else "n/a"  # noqa: E731
    return (
        f"α de Krippendorff {fmt(alpha)}, κ de Fleiss {fmt(kappa)} sobre {agreement['overlapping_records']} registros "
        f"con solapamiento; {agreement.get('ties', 0)} empates enviados a revisión / Krippendorff's α {fmt(alpha)}, "
        f"Fleiss' κ {fmt(kappa)} on {agreement['overlapping_records']} overlapping records."
    )


SCRIPTS = (
    ("ingesta y limpieza / ingest and cleaning", "loop/ingest/pipeline.py"),
    ("anotación y acuerdo / annotation and agreement", "annotation/agreement.py"),
    ("exportación / export", "loop/labelled.py"),
)


def script_links(code_url: str, scripts: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """(name, URL) of each script under ``code_url``; none when the code's address is not set."""
    return [(name, f"{code_url.rstrip('/')}/{path}") for name, path in scripts] if code_url else []


def build_card(facts: DatasetFacts) -> DatasetCard:
    project = facts.project
    labels = project.classes
    everything = facts.train + facts.test
    train_counts, test_counts = label_counts(facts.train), label_counts(facts.test)
    card_data = DatasetCardData(
        language=["es"],
        license=project.license,
        pretty_name=project.display_title,
        task_categories=["text-classification"],
        task_ids=["multi-label-classification" if facts.task == "multi-label" else "multi-class-classification"],
        size_categories=[size_category(len(everything) + facts.unlabelled)],
        annotations_creators=["expert-generated", "machine-generated"],
        language_creators=["found"],
        multilinguality=["monolingual"],
        source_datasets=facts.source_datasets or ["original"],
        tags=["bucle", "argilla", "active-learning", *(f"ods-{goal}" for goal in project.ods)],
        # the export's layout, which is the dataset repository's: load_dataset(<repo>) reads these
        configs=[
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": f"{DATA}/{split}.parquet"} for split in ("train", "test")],
            }
        ],
    )
    return DatasetCard.from_template(
        card_data,
        template_path=str(TEMPLATE),
        title=project.display_title,
        summary_es=(
            f"Conjunto de textos en español etiquetados con {len(labels)} etiquetas "
            f"({', '.join(labels)}), construido con bucle: {len(facts.train)} registros de entrenamiento "
            f"etiquetados y {len(facts.test)} de prueba."
        ),
        summary_en=(
            f"Spanish texts labelled with {len(labels)} labels, built with bucle: {len(facts.train)} labelled "
            f"training records and {len(facts.test)} test records."
        ),
        ods_es=f"Este conjunto contribuye a: {project.goals}.",
        ods_en=f"This dataset contributes to UN SDG(s) {', '.join(map(str, project.ods)) or '(none declared)'}.",
        sources=facts.sources,
        license=project.license,
        attribution=demote_headings(facts.attribution),
        quarantined=sorted(facts.quarantined.items()),
        annotators=facts.annotators,
        overlap=facts.overlap,
        agreement=_agreement_text(facts.agreement),
        guidelines=demote_headings(facts.guidelines, 3),
        label_rows=[
            {
                "label": label,
                "description": project.labels[label],
                "train": train_counts[label],
                "test": test_counts[label],
            }
            for label in labels
        ],
        train_size=len(facts.train),
        test_size=len(facts.test),
        unlabelled=facts.unlabelled,
        labels=labels,
        slices=[{"name": column, "rows": slice_table(everything, column, labels)} for column in facts.metadata_columns],
        gender=gender_table(everything, labels),
        varieties=variety_table(everything),
        gaps=known_gaps(everything, labels, facts.metadata_columns),
        pii=sorted(facts.pii_masked.items()),
        repo_id=project.dataset_repo or f"<organización>/{project.name}",
        scripts=script_links(project.code_url, SCRIPTS),
        citation=facts.citation or "Cite las fuentes de arriba. / Cite the sources above.",
    )


def validate_offline(card: DatasetCard) -> DatasetCardData:
    """Parse the card's YAML back and check the fields the Hub requires, without network."""
    parsed = DatasetCard(str(card)).data
    data = DatasetCardData(**parsed.to_dict())
    missing = [name for name in REQUIRED if not getattr(data, name, None)]
    if missing:
        raise CardError(f"the dataset card lacks {', '.join(missing)}")
    return data
