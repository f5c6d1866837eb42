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

TEMPLATE = Path(__file__).resolve().parent / "templates" / "dataset_card.md"
REQUIRED = ("language", "license", "task_categories", "size_categories", "annotations_creators", "pretty_name")
ODS_NAMES = {
    1: "Fin de la pobreza",
    2: "Hambre cero",
    3: "Salud y bienestar",
    4: "Educación de calidad",
    5: "Igualdad de género",
    6: "Agua limpia y saneamiento",
    7: "Energía asequible y no contaminante",
    8: "Trabajo decente y crecimiento económico",
    9: "Industria, innovación e infraestructura",
    10: "Reducción de las desigualdades",
    11: "Ciudades y comunidades sostenibles",
    12: "Producción y consumo responsables",
    13: "Acción por el clima",
    14: "Vida submarina",
    15: "Vida de ecosistemas terrestres",
    16: "Paz, justicia e instituciones sólidas",
    17: "Alianzas para lograr los objetivos",
}


class CardError(ValueError):
    """The card's metadata is missing something the Hub requires."""


@dataclass
class DatasetFacts:
    name: str
    title: str
    ods: list[int]
    license: str
    task: str  # single-label | multi-label
    labels: dict[str, str]
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
    repo_id: str = ""
    code_url: str = ""  # where bucle's code is published: the card links the scripts that made the data


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
    labels = list(facts.labels)
    everything = facts.train + facts.test
    train_counts, test_counts = label_counts(facts.train), label_counts(facts.test)
    card_data = DatasetCardData(
        language=["es"],
        license=facts.license,
        pretty_name=facts.title or facts.name,
        task_categories=["text-classification"],
        task_ids=["multi-label-classification" if facts.task == "multi-label" else "multi-class-classification"],
        size_categories=[size_category(len(everything) + facts.unlabelled)],
        annotations_creators=["expert-generated", "machine-generated"],
        language_creators=["found"],
        multilinguality=["monolingual"],
        source_datasets=facts.source_datasets or ["original"],
        tags=["bucle", "argilla", "active-learning", *(f"ods-{goal}" for goal in facts.ods)],
        # the export's layout, which is the dataset repository's: load_dataset(<repo>) reads these
        configs=[
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": f"{DATA}/{split}.parquet"} for split in ("train", "test")],
            }
        ],
    )
    goals = ", ".join(f"ODS {g} ({ODS_NAMES.get(g, '?')})" for g in facts.ods) or "sin ODS declarado"
    return DatasetCard.from_template(
        card_data,
        template_path=str(TEMPLATE),
        title=facts.title or facts.name,
        summary_es=(
            f"Conjunto de textos en español etiquetados con {len(labels)} etiquetas "
            f"({', '.join(labels)}), construido con bucle: {len(facts.train)} registros de entrenamiento "
            f"etiquetados y {len(facts.test)} de prueba."
        ),
        summary_en=(
            f"Spanish texts labelled with {len(labels)} labels, built with bucle: {len(facts.train)} labelled "
            f"training records and {len(facts.test)} test records."
        ),
        ods_es=f"Este conjunto contribuye a: {goals}.",
        ods_en=f"This dataset contributes to UN SDG(s) {', '.join(map(str, facts.ods)) or '(none declared)'}.",
        sources=facts.sources,
        license=facts.license,
        attribution=demote_headings(facts.attribution),
        quarantined=sorted(facts.quarantined.items()),
        annotators=facts.annotators,
        overlap=facts.overlap,
        agreement=_agreement_text(facts.agreement),
        guidelines=demote_headings(facts.guidelines, 3),
        label_rows=[
            {
                "label": label,
                "description": facts.labels[label],
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
        repo_id=facts.repo_id or f"<organización>/{facts.name}",
        scripts=script_links(facts.code_url, SCRIPTS),
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
