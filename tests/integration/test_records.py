"""Pushing records with suggestions and pulling annotators' answers, against the real server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bucle.annotation.agreement import majority_vote
from bucle.annotation.client import connect
from bucle.annotation.datasets import DatasetSpec, ensure_dataset
from bucle.annotation.records import OutgoingRecord, pull, push
from bucle.annotation.users import add_user

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dataset(owner, project):
    spec = DatasetSpec(
        name="ida-y-vuelta",
        workspace=project.workspace,
        labels={"falsa": "Falsa", "verdadera": "Verdadera"},
        guidelines="Elige.",
        metadata_terms=("topic",),
        min_submitted=2,
    )
    return ensure_dataset(owner, spec)


def outgoing(n: int, label: str = "falsa", score: float = 0.6) -> list[OutgoingRecord]:
    return [
        OutgoingRecord(f"p{i}", f"Noticia de prueba número {i} sobre el agua potable.", {"topic": "agua"}, label, score)
        for i in range(n)
    ]


def test_a_record_pushed_twice_stays_one_and_its_suggestion_is_refreshed(owner, dataset):
    assert push(owner, dataset, outgoing(30), agent="0001-tfidf", batch_size=7) == 30
    push(owner, dataset, outgoing(30, label="verdadera", score=0.8), agent="0002-setfit")
    records = list(dataset.records(with_suggestions=True))
    assert len(records) == 30
    suggestion = records[0].suggestions["label"]
    assert (suggestion.value, suggestion.agent, suggestion.score) == ("verdadera", "0002-setfit", 0.8)
    assert records[0].metadata["topic"] == "agua"


def test_a_suggestion_pushed_again_without_one_is_removed_not_left_prefilled(owner, dataset):
    """Argilla's upsert only adds suggestions: a record the model is no longer sure of must not
    keep the old one pre-selected."""
    push(owner, dataset, outgoing(3, label="falsa", score=0.9), agent="0003-tfidf")
    unsure = [OutgoingRecord(r.id, r.text, {"topic": "salud"}) for r in outgoing(2)]
    push(owner, dataset, unsure, agent="0004-tfidf")
    records = {r.id: r for r in dataset.records(with_suggestions=True)}
    assert not list(records["p0"].suggestions) and not list(records["p1"].suggestions)
    assert records["p2"].suggestions["label"].agent == "0003-tfidf", "only the records sent lose theirs"
    assert records["p0"].metadata["topic"] == "salud", "metadata are replaced with what was sent"
    push(owner, dataset, outgoing(30, label="verdadera", score=0.8), agent="0002-setfit")  # as the next tests expect


def test_a_dataset_created_by_an_earlier_bucle_gets_the_model_metadata_it_lacks(owner, project):
    from bucle.annotation.model_metadata import CONFIRM, KIND, PREDICTION, PROBABILITY

    older = DatasetSpec(
        name="de-antes",
        workspace=project.workspace,
        labels={"a": "A", "b": "B"},
        guidelines="Elige.",
        metadata_terms=("topic",),
    )
    ensure_dataset(owner, older)
    dataset = ensure_dataset(owner, replace(older, model_metadata=True))
    assert {p.name for p in dataset.settings.metadata} == {"topic", KIND, PREDICTION, PROBABILITY}
    metadata = {"topic": "agua", KIND: CONFIRM, PREDICTION: "a", PROBABILITY: 0.93}
    push(
        owner,
        dataset,
        [OutgoingRecord("r1", "Una noticia sobre el agua potable en la ciudad.", metadata, "a", 0.93)],
        agent="0001-tfidf",
    )
    assert next(iter(dataset.records())).metadata == metadata
    assert ensure_dataset(owner, replace(older, model_metadata=True)).id == dataset.id


def test_pull_reads_submissions_and_discards_and_ignores_drafts(server, owner, credentials, project, dataset):
    clients = {}
    for name in ("anotadora-1", "anotador-2"):
        user = add_user(owner, credentials, name, workspace=project.workspace)
        clients[name] = connect(server.url, user.api_key, who=name)
    ids = {r.id: str(r._server_id) for r in dataset.records()}

    def answer(name: str, record: str, status: str, value: str | None = None) -> None:
        body = {"status": status, "values": {"label": {"value": value}} if value else {}}
        reply = clients[name].http_client.post(f"/api/v1/records/{ids[record]}/responses", json=body)
        assert reply.status_code == 201, reply.text

    answer("anotadora-1", "p0", "submitted", "falsa")
    answer("anotador-2", "p0", "submitted", "falsa")
    answer("anotadora-1", "p1", "submitted", "falsa")
    answer("anotador-2", "p1", "submitted", "verdadera")
    answer("anotadora-1", "p2", "discarded")
    answer("anotador-2", "p3", "draft", "verdadera")

    pulled = pull(owner, dataset)
    assert sorted((a.record_id, a.annotator, a.value) for a in pulled.answers) == [
        ("p0", "anotador-2", "falsa"),
        ("p0", "anotadora-1", "falsa"),
        ("p1", "anotador-2", "verdadera"),
        ("p1", "anotadora-1", "falsa"),
    ]
    assert pulled.discarded == [("p2", "anotadora-1")]
    decisions = {d.record_id: d for d in majority_vote(pulled.answers)}
    assert decisions["p0"].label == "falsa" and decisions["p1"].tie
