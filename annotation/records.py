"""Records to and from annotators: pushing texts with the model's suggestion, pulling answers.

Push upserts by the record's stable id, in batches of at most 500, each retried with backoff,
so a retried push never duplicates a record; pushing again makes the record's suggestion the
one sent (its agent names the model version), or removes it when none is sent: Argilla's upsert
only adds suggestions, and a suggestion the model is no longer sure of must not stay pre-filled. Pull reads every record that has a submitted or discarded
response and turns them into ``Answer`` tuples (drafts are ignored: an annotator has not
decided yet) and a list of discards, which the loop keeps out of training and records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import argilla as rg

from bucle.annotation.agreement import Answer
from bucle.annotation import http_api
from bucle.annotation.datasets import LABEL_QUESTION, TEXT_FIELD

MAX_BATCH = 500


@dataclass(frozen=True)
class OutgoingRecord:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    label: str | None = None  # the suggestion pre-filled for annotators; None: none (an old one is removed)
    score: float | None = None  # its calibrated probability
    vectors: dict[str, list[float]] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # the spec's extra fields, by name


@dataclass(frozen=True)
class Pulled:
    answers: list[Answer]
    discarded: list[tuple[str, str]]  # (record id, annotator)


def _item(outgoing: OutgoingRecord, agent: str, question_id: str) -> dict:
    """The record as argilla-server's bulk upsert takes it."""
    suggestions = []
    if outgoing.label is not None:
        suggestions.append(
            {
                "question_id": question_id,
                "value": outgoing.label,
                "score": outgoing.score,
                "agent": agent,
                "type": "model",
            }
        )
    return {
        "external_id": outgoing.id,
        "fields": {TEXT_FIELD: outgoing.text, **outgoing.fields},
        "metadata": {key: value for key, value in outgoing.metadata.items() if value is not None},
        "suggestions": suggestions,
        "vectors": outgoing.vectors,
    }


def push(
    client: rg.Argilla, dataset: rg.Dataset, records: Sequence[OutgoingRecord], agent: str, batch_size: int = MAX_BATCH
) -> int:
    """Upsert ``records`` into ``dataset``; returns how many were sent."""
    question_id = next(q["id"] for q in http_api.dataset_questions(client, dataset) if q["name"] == LABEL_QUESTION)
    batch_size = min(batch_size, MAX_BATCH)
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        stored = http_api.upsert_records(client, dataset, [_item(r, agent, question_id) for r in batch])
        unsuggested = {r.id for r in batch if r.label is None}
        for record in stored:
            if record["external_id"] in unsuggested and record.get("suggestions"):
                http_api.delete_suggestions(client, record["id"], [s["id"] for s in record["suggestions"]])
    return len(records)


def pull(client: rg.Argilla, dataset: rg.Dataset) -> Pulled:
    """Every submitted answer and every discard in ``dataset``. Uses the records search over
    HTTP with the owner's client: the SDK's record objects drop a discard that carries no value,
    and annotators may not list other people's records."""
    usernames = {str(user.id): user.username for user in client.users}
    answers: list[Answer] = []
    discarded: list[tuple[str, str]] = []
    for record in http_api.answered_records(client, dataset):
        for response in record.get("responses") or []:
            annotator = usernames.get(str(response["user_id"]), str(response["user_id"]))
            if response["status"] == "submitted":
                value = (response.get("values") or {}).get(LABEL_QUESTION, {}).get("value")
                if value is not None:
                    answers.append(
                        Answer(
                            record["external_id"], annotator, tuple(sorted(value)) if isinstance(value, list) else value
                        )
                    )
            elif response["status"] == "discarded":
                discarded.append((record["external_id"], annotator))
    return Pulled(answers=answers, discarded=sorted(discarded))


@dataclass(frozen=True)
class Progress:
    total: int
    completed: int  # records with as many submitted answers as the task distribution asks
    pending: int
    discarded: int  # discards on pending records (Argilla keeps a discarded record pending)


def progress(client: rg.Argilla, dataset: rg.Dataset) -> Progress:
    """The dataset's progress in two cheap requests: what the scheduler watches between rounds."""

    data, users = http_api.dataset_progress(client, dataset)
    discarded = sum((user.get("pending") or {}).get("discarded", 0) for user in users)
    return Progress(data.get("total", 0), data.get("completed", 0), data.get("pending", 0), discarded)
