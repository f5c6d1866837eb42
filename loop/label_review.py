"""A round's review step: labels the model doubts go back to a person, who decides.

Each round, once the next batch is out, confident learning (``loop.label_issues``) ranks the
labelled pool, and the most suspect records not reviewed before top up a second Argilla dataset,
``<project>-etiquetas-dudosas``, to ``annotation.review.per_round`` waiting records. Each shows the text,
the label it has and what a model trained without it says; the reviewer answers the same label
question. An answer becomes the record's label with source ``review`` (the annotators' own
answers stay in the main dataset, and later pulls never overwrite a reviewed label). Nothing is
changed silently: a label changes only when a person answers. ``.bucle/reviews.json`` keeps what
was sent and what came back, for ``bucle status`` and the owner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bucle.annotation.agreement import majority_vote
from bucle.annotation.datasets import DatasetSpec, ensure_dataset, find_dataset
from bucle.annotation.records import OutgoingRecord, pull, push
from bucle.common.files import write_json_atomically
from bucle.loop.adapters import dataset_spec
from bucle.loop.config import ProjectConfig
from bucle.loop.label_issues import LabelIssue, label_issues
from bucle.loop.step_results import Reviewed

if TYPE_CHECKING:
    from bucle.loop.context import RoundContext

WHY = "motivo"  # the review dataset's second field: why the record is back
GIVEN = "etiqueta_dada"  # metadata: the label under review, to filter by in the UI
AGENT = "bucle-revision"
SOURCE = "review"  # the pool's label_source of a reviewed label


def review_spec(config: ProjectConfig) -> DatasetSpec:
    return replace(
        dataset_spec(config),
        name=f"{config.name}-etiquetas-dudosas",
        question="Revisión: ¿qué etiqueta corresponde a este texto?",
        metadata_terms=(GIVEN,),
        model_metadata=False,
        min_submitted=1,
        extra_fields={WHY: "Por qué vuelve a revisión"},
    )


def explanation(issue: LabelIssue, labels: dict[str, str]) -> str:
    """What the reviewer reads under the text (Markdown, Spanish)."""
    return (
        f"Etiqueta dada: **{labels.get(issue.given, issue.given)}**.\n\n"
        f"Un modelo entrenado sin este texto propone **{labels.get(issue.predicted, issue.predicted)}** "
        f"(probabilidad {issue.probability:.0%}) y da a la etiqueta dada {issue.quality:.0%}. "
        "Elige la etiqueta correcta: puede ser la dada."
    )


@dataclass
class ReviewLog:
    """``.bucle/reviews.json``: every record sent for review and every answer applied."""

    sent: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> given, predicted, probability, quality, round
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> given, label, reviewers, round

    @classmethod
    def load(cls, config: ProjectConfig) -> "ReviewLog":
        path = config.state.reviews
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else cls()

    def save(self, config: ProjectConfig) -> None:
        write_json_atomically(config.state.reviews, {"sent": self.sent, "answered": self.answered})

    def waiting(self) -> list[str]:
        return [i for i in self.sent if i not in self.answered]

    def changed(self) -> int:
        return sum(entry["label"] != entry["given"] for entry in self.answered.values())


def review(ctx: "RoundContext", round_number: int) -> Reviewed:
    config = ctx.config
    settings = config.annotation.review
    if settings.per_round == 0:
        return Reviewed(skipped="annotation.review.per_round is 0")
    if config.task == "multi-label":
        return Reviewed(skipped="label review covers single-label tasks")
    dataset = find_dataset(ctx.client, review_spec(config))  # created with the first records it gets
    log = ReviewLog.load(config)
    answered, changed = _apply_answers(ctx, dataset, log, round_number) if dataset is not None else (0, 0)
    room = settings.per_round - len(log.waiting())
    if room <= 0:
        return Reviewed(answered, changed, skipped=f"{len(log.waiting())} records still wait for review")
    records = ctx.pool.records(split="pool", labelled=True)
    if len(records) < settings.min_labels:
        return Reviewed(answered, changed, skipped=f"{len(records)} labels, fewer than {settings.min_labels}")
    issues = label_issues(
        [r.id for r in records], [r.text for r in records], [r.label for r in records], config.data.split_seed
    )
    reviewed = {r.id for r in records if r.label_source == SOURCE} | set(log.sent)
    chosen = [issue for issue in issues if issue.id not in reviewed][:room]
    if not chosen:
        return Reviewed(answered, changed, len(issues))
    texts = {r.id: r.text for r in records}
    dataset = dataset or ensure_dataset(ctx.client, review_spec(config))
    push(
        ctx.client,
        dataset,
        [
            OutgoingRecord(
                issue.id, texts[issue.id], {GIVEN: issue.given}, fields={WHY: explanation(issue, config.labels)}
            )
            for issue in chosen
        ],
        AGENT,
    )
    for issue in chosen:
        log.sent[issue.id] = {
            "given": issue.given,
            "predicted": issue.predicted,
            "probability": round(issue.probability, 4),
            "quality": round(issue.quality, 4),
            "round": round_number,
        }
    log.save(config)
    return Reviewed(answered, changed, len(issues), [issue.id for issue in chosen])


def _apply_answers(ctx: "RoundContext", dataset, log: ReviewLog, round_number: int) -> tuple[int, int]:
    """Reviewers' answers not applied yet become labels (source ``review``)."""
    pulled = pull(ctx.client, dataset)
    decisions = [d for d in majority_vote(pulled.answers) if d.label is not None and d.record_id not in log.answered]
    known = {r.id: r for r in ctx.pool.records(split="pool")}
    fresh = [d for d in decisions if d.record_id in known]
    if not fresh:
        return 0, 0
    reviewers = {}
    for answer in pulled.answers:
        reviewers.setdefault(answer.record_id, []).append(answer.annotator)
    given = {
        d.record_id: log.sent.get(d.record_id, {}).get("given", known[d.record_id].label) for d in fresh
    }  # stable on a resume
    ctx.pool.set_labels({d.record_id: d.label for d in fresh}, SOURCE)
    for d in fresh:
        log.answered[d.record_id] = {
            "given": given[d.record_id],
            "label": d.label,
            "reviewers": sorted(reviewers.get(d.record_id, [])),
            "round": round_number,
        }
    log.save(ctx.config)
    return len(fresh), sum(given[d.record_id] != d.label for d in fresh)
