"""The SQLite search engine, driven through the real argilla SDK against the embedded server.

One dataset of 1,000 records with a text field, a label question, three metadata properties,
a 384-d vector and a suggestion each; the ground truth of every query is computed here in
Python from the same generated records.
"""

from __future__ import annotations

import random
import unicodedata

import argilla as rg
import numpy as np
import pytest

from bucle.annotation.client import connect
from bucle.annotation.datasets import DatasetSpec, ensure_dataset
from bucle.annotation.embedded import control
from bucle.annotation.users import add_user

pytestmark = pytest.mark.integration

N_RECORDS = 1000
DIMS = 384
TOPICS = ["salud", "política", "economía", "educación"]
WORDS = "el la los una noticia gobierno ciudad pueblo agua escuela hospital mercado río campo".split()


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def make_records() -> list[dict]:
    rng = random.Random(7)
    vectors = np.random.default_rng(7).normal(size=(N_RECORDS, DIMS)).astype(np.float32)
    records = []
    for i in range(N_RECORDS):
        words = rng.choices(WORDS, k=12)
        if i % 10 == 0:
            words.insert(3, "información")
        if i % 15 == 0:
            words.insert(5, "INFORMACION")
        if i % 7 == 0:
            words.append("Córdoba")
        records.append(
            {
                "id": f"r{i:04d}",
                "text": " ".join(words) + ".",
                "topic": TOPICS[i % 4],
                "length": len(words),
                "quality": round(i / N_RECORDS, 3),
                "label": "falsa" if i % 3 else "verdadera",
                "score": round((i * 37 % 1000) / 1000, 3),
                "vector": vectors[i].tolist(),
            }
        )
    return records


SPEC = DatasetSpec(
    name="busquedas",
    workspace="pruebas",
    labels={"falsa": "Falsa", "verdadera": "Verdadera"},
    guidelines="Elige la etiqueta.",
    metadata_terms=("topic",),
    metadata_integers=("length",),
    metadata_floats=("quality",),
    vector_dimensions={"embedding": DIMS},
)


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return make_records()


@pytest.fixture(scope="module")
def dataset(owner, corpus) -> rg.Dataset:
    dataset = ensure_dataset(owner, SPEC)
    dataset.records.log(
        [
            rg.Record(
                id=row["id"],
                fields={"text": row["text"]},
                metadata={"topic": row["topic"], "length": row["length"], "quality": row["quality"]},
                suggestions=[rg.Suggestion("label", row["label"], score=row["score"], agent="modelo-v1")],
                vectors={"embedding": row["vector"]},
            )
            for row in corpus
        ],
        batch_size=500,
    )
    return dataset


def ids(dataset: rg.Dataset, query: rg.Query) -> set[str]:
    return {record.id for record in dataset.records(query=query)}


def similar_ids(dataset: rg.Dataset, query: rg.Query, limit: int) -> list[str]:
    """Ids of a similarity search, best first (the SDK yields ``(record, score)`` pairs)."""
    return [record.id for record, _score in dataset.records(query=query, limit=limit)]


def search_body(owner: rg.Argilla, dataset: rg.Dataset, body: dict, limit: int = 1000) -> dict:
    response = owner.http_client.post(
        f"/api/v1/datasets/{dataset.id}/records/search", params={"limit": limit}, json=body
    )
    response.raise_for_status()
    return response.json()


def answers(dataset: rg.Dataset, owner: rg.Argilla) -> dict:
    """A fingerprint of the index's answers, compared before and after restarts and rebuilds."""
    ranked = search_body(
        owner,
        dataset,
        {
            "query": {"text": {"q": "informacion"}},
            "sort": [{"scope": {"entity": "suggestion", "question": "label", "property": "score"}, "order": "desc"}],
        },
    )
    return {
        "text": sorted(ids(dataset, rg.Query(query="informacion"))),
        "topic": sorted(ids(dataset, rg.Query(filter=rg.Filter(("metadata.topic", "==", "salud"))))),
        "submitted": sorted(ids(dataset, rg.Query(filter=rg.Filter(("response.status", "==", "submitted"))))),
        "ranked": [item["record"]["external_id"] for item in ranked["items"]],
        "similar": similar_ids(dataset, rg.Query(similar=rg.Similar("embedding", [1.0] * DIMS)), 5),
        "progress": dataset.progress(),
    }


def test_text_search_folds_accents_and_case(dataset, corpus):
    expected = {row["id"] for row in corpus if "informacion" in fold(row["text"])}
    assert len(expected) > 100
    assert ids(dataset, rg.Query(query="informacion")) == expected
    assert ids(dataset, rg.Query(query="información")) == expected
    assert ids(dataset, rg.Query(query="INFORMACIÓN")) == expected


def test_text_search_combines_words_phrases_prefixes_and_exclusions(dataset, corpus):
    folded = {row["id"]: fold(row["text"]) for row in corpus}
    both = {i for i, text in folded.items() if "informacion" in text and "cordoba" in text}
    assert ids(dataset, rg.Query(query="información córdoba")) == both
    without = {i for i, text in folded.items() if "informacion" in text and "cordoba" not in text}
    assert ids(dataset, rg.Query(query="informacion -cordoba")) == without
    prefix = {i for i, text in folded.items() if "informacion" in text}
    assert ids(dataset, rg.Query(query="informa*")) == prefix
    assert ids(dataset, rg.Query(query='"no existe en ningún texto"')) == set()


def test_metadata_filters(dataset, corpus):
    salud = {row["id"] for row in corpus if row["topic"] == "salud"}
    assert ids(dataset, rg.Query(filter=rg.Filter(("metadata.topic", "==", "salud")))) == salud
    two = {row["id"] for row in corpus if row["topic"] in {"salud", "economía"}}
    assert ids(dataset, rg.Query(filter=rg.Filter(("metadata.topic", "in", ["salud", "economía"])))) == two
    long_ones = {row["id"] for row in corpus if row["length"] >= 14}
    assert ids(dataset, rg.Query(filter=rg.Filter(("metadata.length", ">=", 14)))) == long_ones
    band = {row["id"] for row in corpus if 0.2 <= row["quality"] <= 0.3}
    quality = rg.Filter([("metadata.quality", ">=", 0.2), ("metadata.quality", "<=", 0.3)])
    assert ids(dataset, rg.Query(filter=quality)) == band
    mixed = {row["id"] for row in corpus if row["topic"] == "salud" and "informacion" in fold(row["text"])}
    assert ids(dataset, rg.Query(query="informacion", filter=rg.Filter(("metadata.topic", "==", "salud")))) == mixed


def test_metadata_metrics(owner, dataset, corpus):
    topic = dataset.settings.metadata["topic"]
    metrics = owner.http_client.get(f"/api/v1/metadata-properties/{topic.id}/metrics").json()
    assert metrics["total"] == N_RECORDS
    assert {value["term"]: value["count"] for value in metrics["values"]} == {t: 250 for t in TOPICS}
    quality = dataset.settings.metadata["quality"]
    metrics = owner.http_client.get(f"/api/v1/metadata-properties/{quality.id}/metrics").json()
    assert (metrics["min"], metrics["max"]) == (0.0, max(row["quality"] for row in corpus))


def test_suggestion_filters_and_sort_by_score(owner, dataset, corpus):
    verdadera = {row["id"] for row in corpus if row["label"] == "verdadera"}
    assert ids(dataset, rg.Query(filter=rg.Filter(("label", "==", "verdadera")))) == verdadera
    confident = {row["id"] for row in corpus if row["score"] >= 0.9}
    assert ids(dataset, rg.Query(filter=rg.Filter(("label.score", ">=", 0.9)))) == confident

    body = {"sort": [{"scope": {"entity": "suggestion", "question": "label", "property": "score"}, "order": "desc"}]}
    result = search_body(owner, dataset, body, limit=20)
    top = [item["record"]["external_id"] for item in result["items"]]
    expected = [row["id"] for row in sorted(corpus, key=lambda row: (-row["score"], row["id"]))][:20]
    assert top == expected
    assert result["total"] == N_RECORDS

    body["sort"][0]["order"] = "asc"
    body["query"] = {"text": {"q": "informacion"}}
    result = search_body(owner, dataset, body, limit=5)
    matching = [row for row in corpus if "informacion" in fold(row["text"])]
    assert [item["record"]["external_id"] for item in result["items"]] == [
        row["id"] for row in sorted(matching, key=lambda row: (row["score"], row["id"]))
    ][:5]


def test_metadata_sort_and_pagination(owner, dataset, corpus):
    body = {"sort": [{"scope": {"entity": "metadata", "metadata_property": "quality"}, "order": "desc"}]}
    pages = [search_body(owner, dataset, body, limit=100) for _ in range(1)]
    first = [item["record"]["external_id"] for item in pages[0]["items"]]
    assert first == [row["id"] for row in sorted(corpus, key=lambda row: -row["quality"])][:100]
    response = owner.http_client.post(
        f"/api/v1/datasets/{dataset.id}/records/search", params={"limit": 50, "offset": 950}, json=body
    ).json()
    assert [item["record"]["external_id"] for item in response["items"]] == [
        row["id"] for row in sorted(corpus, key=lambda row: -row["quality"])
    ][950:]


def test_similarity_search_by_vector_and_by_record(dataset, corpus):
    target = np.asarray(corpus[42]["vector"]) + np.random.default_rng(1).normal(scale=0.05, size=DIMS)
    found = similar_ids(dataset, rg.Query(similar=rg.Similar("embedding", target.tolist())), 3)
    assert found[0] == "r0042"

    matrix = np.asarray([row["vector"] for row in corpus])
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    cosine = unit @ unit[42]
    cosine[42] = -np.inf
    expected = [corpus[i]["id"] for i in np.argsort(-cosine)[:5]]
    record = next(iter(dataset.records(query=rg.Query(filter=rg.Filter(("id", "==", "r0042"))), with_vectors=True)))
    assert record.id == "r0042"
    similar = similar_ids(dataset, rg.Query(similar=rg.Similar("embedding", record)), 5)
    assert similar == expected

    salud_only = rg.Query(
        similar=rg.Similar("embedding", target.tolist()), filter=rg.Filter(("metadata.topic", "==", "salud"))
    )
    found = similar_ids(dataset, salud_only, 10)
    assert len(found) == 10
    assert set(found) <= {row["id"] for row in corpus if row["topic"] == "salud"}


def test_two_annotators_submit_and_progress_follows(server, owner, credentials, dataset, corpus, project):
    annotators = {}
    for name in ("anotadora-1", "anotador-2"):
        user = add_user(owner, credentials, name, workspace=SPEC.workspace)
        annotators[name] = connect(server.url, user.api_key, who=name)
    server_ids = {
        r.id: str(r._server_id)
        for r in dataset.records(query=rg.Query(filter=rg.Filter(("metadata.length", "<=", 13))))
    }
    chosen = sorted(server_ids)[:6]
    for index, external_id in enumerate(chosen):
        name = "anotadora-1" if index < 4 else "anotador-2"
        response = annotators[name].http_client.post(
            f"/api/v1/records/{server_ids[external_id]}/responses",
            json={"values": {"label": {"value": "falsa"}}, "status": "submitted"},
        )
        assert response.status_code == 201, response.text
    draft = annotators["anotador-2"].http_client.post(
        f"/api/v1/records/{server_ids[chosen[0]]}/responses",
        json={"values": {"label": {"value": "verdadera"}}, "status": "draft"},
    )
    assert draft.status_code == 201, draft.text

    submitted = ids(dataset, rg.Query(filter=rg.Filter(("response.status", "==", "submitted"))))
    assert submitted == set(chosen)
    pending_for_owner = ids(dataset, rg.Query(filter=rg.Filter(("response.status", "==", "pending"))))
    assert pending_for_owner == {row["id"] for row in corpus} - set(chosen)

    progress = dataset.progress(with_users_distribution=True)
    assert progress["total"] == N_RECORDS
    assert progress["completed"] == len(chosen)
    assert progress["users"]["anotadora-1"]["completed"]["submitted"] == 4
    assert progress["users"]["anotador-2"]["completed"]["submitted"] == 2

    metrics = annotators["anotador-2"].http_client.get(f"/api/v1/me/datasets/{dataset.id}/metrics").json()
    assert metrics["responses"]["submitted"] == 2
    assert metrics["responses"]["draft"] == 1

    mine = (
        annotators["anotador-2"]
        .http_client.post(
            f"/api/v1/me/datasets/{dataset.id}/records/search",
            params={"limit": 1000},
            json={
                "query": {},
                "filters": {
                    "and": [
                        {
                            "type": "terms",
                            "scope": {"entity": "response", "property": "status"},
                            "values": ["submitted"],
                        }
                    ]
                },
            },
        )
        .json()
    )
    assert {item["record"]["external_id"] for item in mine["items"]} == set(chosen[4:])


def test_restart_and_index_rebuild_give_the_same_answers(server, owner, dataset, project):
    before = answers(dataset, owner)
    assert before["submitted"], "the annotation test should have left submitted responses"

    control.stop(server)
    control.start(server)
    assert "no migration needed" in control.log_tail(server, "supervisor", 20), (
        "the database is at the server's revision"
    )
    assert answers(dataset, owner) == before

    control.stop(server)
    server.search_index.unlink()
    control.start(server)
    assert "rebuilding it from the database" in control.log_tail(server, "supervisor", 20)
    assert answers(dataset, owner) == before

    control.stop(server)
    server.search_index.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (server.search_index.parent / (server.search_index.name + suffix)).unlink(missing_ok=True)
    control.start(server)
    assert "is damaged" in control.log_tail(server, "supervisor", 20)
    assert answers(dataset, owner) == before
