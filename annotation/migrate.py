"""Moving a project's Argilla datasets to another server (an embedded project's work going to the
team's): settings, records, suggestions, vectors and every response (submitted, discarded or
draft) with the user who gave it, counted on both sides.

Records are upserted by their external id in batches, so a copy that dies half-way is completed
by running it again, and running it again after it finished changes nothing. Users are matched
by name: an annotator missing on the target is created there (a generated password, stored in
the credentials file the caller names), one that exists is only added to the workspace.
"""

from __future__ import annotations

import tempfile
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Iterator

import argilla as rg

from bucle.annotation.credentials import CredentialsFile
from bucle.annotation.errors import ArgillaError
from bucle.annotation.http_api import dataset_questions, dataset_records, upsert_records, user_name
from bucle.annotation.users import add_user, ensure_workspace, quietly

BATCH = 500  # records per bulk upsert (argilla-server accepts up to 1,000)


@dataclass(frozen=True)
class Counts:
    records: int
    responses: int
    suggestions: int
    vectors: int


@dataclass(frozen=True)
class Copied:
    dataset: str
    source: Counts
    target: Counts

    @property
    def complete(self) -> bool:
        return self.source == self.target


def counted(records: list[dict]) -> Counts:
    return Counts(
        len(records),
        sum(len(r.get("responses") or []) for r in records),
        sum(len(r.get("suggestions") or []) for r in records),
        sum(len(r.get("vectors") or {}) for r in records),
    )


def counts(client: rg.Argilla, dataset: rg.Dataset) -> Counts:
    return counted(list(dataset_records(client, dataset)))


def _target_dataset(source: rg.Dataset, target: rg.Argilla, workspace: str) -> rg.Dataset:
    """The dataset on the target, created with the source's settings (through their JSON form,
    the SDK's public way to carry settings across servers) if it is not there yet."""
    space = ensure_workspace(target, workspace)
    existing = quietly(lambda: target.datasets(name=source.name, workspace=space))
    if existing is not None:
        return existing
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        source.settings.to_json(path)
        settings = rg.Settings.from_json(path)
    return rg.Dataset(name=source.name, workspace=space, settings=settings, client=target).create()


def _items(records: list[dict], questions: dict[str, str], users: dict[str, str]) -> Iterator[dict]:
    """Source records as target upserts: question ids and user ids translated by name."""
    for record in records:
        yield {
            "external_id": record["external_id"],
            "fields": record["fields"],
            "metadata": record.get("metadata") or None,
            "vectors": record.get("vectors") or None,
            "suggestions": [
                {
                    "question_id": questions[s["question_id"]],
                    "value": s["value"],
                    "score": s.get("score"),
                    "agent": s.get("agent"),
                    "type": s.get("type"),
                }
                for s in record.get("suggestions") or []
            ],
            "responses": [
                {"user_id": users[r["user_id"]], "values": r.get("values"), "status": r["status"]}
                for r in record.get("responses") or []
            ],
        }


def copy_workspace(
    source: rg.Argilla, target: rg.Argilla, workspace: str, credentials: CredentialsFile, into: str | None = None
) -> list[Copied]:
    """Copy every dataset of ``workspace`` from ``source`` to ``target``'s workspace ``into``
    (default: the same name); nothing if ``source`` has no such workspace. Both clients need an
    owner's key."""
    space = quietly(lambda: source.workspaces(workspace))
    if space is None:
        return []
    loaded = [source.datasets(name=listed.name, workspace=space) for listed in space.datasets]  # settings included
    return [copy_dataset(source, target, dataset, into or workspace, credentials) for dataset in loaded]


def copy_dataset(
    source: rg.Argilla, target: rg.Argilla, dataset: rg.Dataset, workspace: str, credentials: CredentialsFile
) -> Copied:
    """Copy ``dataset`` from ``source`` into ``workspace`` on ``target``, in batches."""
    copy = _target_dataset(dataset, target, workspace)
    theirs = {question["name"]: question["id"] for question in dataset_questions(target, copy)}
    questions = {question["id"]: theirs[question["name"]] for question in dataset_questions(source, dataset)}
    users: dict[str, str] = {}
    copied = Counts(0, 0, 0, 0)  # the source as read while copying: it is not read a second time
    batch: list[dict] = []
    for record in dataset_records(source, dataset):
        for response in record.get("responses") or []:
            if response["user_id"] not in users:
                users[response["user_id"]] = _target_user(source, target, response["user_id"], workspace, credentials)
        batch.append(record)
        if len(batch) == BATCH:
            copied = _upsert(target, copy, batch, questions, users, copied)
            batch = []
    if batch:
        copied = _upsert(target, copy, batch, questions, users, copied)
    return Copied(dataset.name, copied, counts(target, copy))


def _upsert(
    target: rg.Argilla,
    copy: rg.Dataset,
    batch: list[dict],
    questions: dict[str, str],
    users: dict[str, str],
    so_far: Counts,
) -> Counts:
    upsert_records(target, copy, list(_items(batch, questions, users)))
    done = counted(batch)
    return Counts(*(a + b for a, b in zip(astuple(so_far), astuple(done))))


def _target_user(
    source: rg.Argilla, target: rg.Argilla, user_id: str, workspace: str, credentials: CredentialsFile
) -> str:
    """The target's id of the user who answered on the source, created there if missing."""
    username, role = user_name(source, user_id)
    add_user(
        target, credentials, username, role if role != "owner" else "annotator", workspace=workspace, existing_ok=True
    )
    found = quietly(lambda: target.users(username=username))
    if found is None:
        raise ArgillaError(f"user {username!r} could not be created on {target.api_url}")
    return str(found.id)
