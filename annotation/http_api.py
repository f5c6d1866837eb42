"""The calls the argilla SDK 2.8 does not offer, one typed function each.

They go through the SDK client's own authenticated HTTP client and the one retry policy of
``annotation.client.retrying`` (backoff while Argilla is unreachable or answers 502/503/504), so
that nothing else in bucle builds an Argilla URL or reads a private SDK attribute.
"""

from __future__ import annotations

from typing import Any, Iterator

import argilla as rg
import httpx

from bucle.annotation.client import retrying

PAGE = 1000  # argilla-server's largest page for record listings and searches


def _call(client: rg.Argilla, method: str, path: str, tolerated: tuple[int, ...] = (), **kwargs: Any) -> httpx.Response:
    """One request, retried as ``retrying`` does; an error status raises unless ``tolerated``."""

    def send() -> httpx.Response:
        response = client.http_client.request(method, path, **kwargs)
        if response.status_code not in tolerated:
            response.raise_for_status()
        return response

    return retrying(send, client.api_url)


def _pages(client: rg.Argilla, method: str, path: str, **kwargs: Any) -> Iterator[dict]:
    """Every item of a paged listing (``offset``/``limit``, answered with ``items`` and ``total``)."""
    params, offset = kwargs.pop("params", {}), 0
    while True:
        page = _call(client, method, path, params={**params, "offset": offset, "limit": PAGE}, **kwargs).json()
        yield from page["items"]
        offset += len(page["items"])
        if not page["items"] or offset >= page.get("total", offset):
            return


def answered_records(client: rg.Argilla, dataset: rg.Dataset) -> Iterator[dict]:
    """Records with a submitted or discarded response, responses included (the SDK's record
    objects drop a discard that carries no value)."""
    body = {
        "query": {},
        "filters": {
            "and": [
                {
                    "type": "terms",
                    "scope": {"entity": "response", "property": "status"},
                    "values": ["submitted", "discarded"],
                }
            ]
        },
    }
    for item in _pages(
        client, "POST", f"/api/v1/datasets/{dataset.id}/records/search", params={"include": "responses"}, json=body
    ):
        yield item["record"]


def pending_for_me(client: rg.Argilla, dataset: rg.Dataset, limit: int = 1) -> list[dict]:
    """The next records the UI shows ``client``'s user: pending ones it has not answered."""
    body = {
        "query": {},
        "filters": {
            "and": [{"type": "terms", "scope": {"entity": "response", "property": "status"}, "values": ["pending"]}]
        },
    }
    found = _call(
        client,
        "POST",
        f"/api/v1/me/datasets/{dataset.id}/records/search",
        params={"include": "suggestions", "offset": 0, "limit": limit},
        json=body,
    ).json()
    return [item["record"] for item in found["items"]]


def record_server_ids(client: rg.Argilla, dataset: rg.Dataset) -> dict[str, str]:
    """Argilla's own id of every record, by bucle's id (the record's external id)."""
    return {item["external_id"]: item["id"] for item in _pages(client, "GET", f"/api/v1/datasets/{dataset.id}/records")}


def submit_response(client: rg.Argilla, record_server_id: str, question: str, value: Any) -> bool:
    """Submit an answer as ``client``'s user, as the UI does; False if that user had answered."""
    reply = _call(
        client,
        "POST",
        f"/api/v1/records/{record_server_id}/responses",
        tolerated=(422,),
        json={"status": "submitted", "values": {question: {"value": value}}},
    )
    return reply.status_code != 422


def dataset_progress(client: rg.Argilla, dataset: rg.Dataset) -> tuple[dict, list[dict]]:
    """The dataset's progress and each annotator's, in two requests."""
    total = _call(client, "GET", f"/api/v1/datasets/{dataset.id}/progress").json()
    users = _call(client, "GET", f"/api/v1/datasets/{dataset.id}/users/progress").json()["users"]
    return total, users


def add_vector_field(client: rg.Argilla, dataset: rg.Dataset, name: str, title: str, dimensions: int) -> bool:
    """Add a vector field to an existing dataset; False if it was created meanwhile."""
    reply = _call(
        client,
        "POST",
        f"/api/v1/datasets/{dataset.id}/vectors-settings",
        tolerated=(409,),
        json={"name": name, "title": title, "dimensions": dimensions},
    )
    return reply.status_code != 409


def add_metadata_property(client: rg.Argilla, dataset: rg.Dataset, description: dict) -> bool:
    """Add a metadata property (name, title, settings) to an existing dataset; False if it was
    created meanwhile."""
    reply = _call(
        client, "POST", f"/api/v1/datasets/{dataset.id}/metadata-properties", tolerated=(409,), json=description
    )
    return reply.status_code != 409


def user_api_key(client: rg.Argilla, user_id: Any) -> str:
    """A user's API key (the owner may read it; the SDK's user objects do not carry it)."""
    return _user(client, user_id)["api_key"]


def dataset_records(client: rg.Argilla, dataset: rg.Dataset) -> Iterator[dict]:
    """Every record with its responses, suggestions and vectors, oldest first."""
    yield from _pages(
        client, "GET", f"/api/v1/datasets/{dataset.id}/records", params={"include": "responses,suggestions,vectors"}
    )


def dataset_questions(client: rg.Argilla, dataset: rg.Dataset) -> list[dict]:
    return _call(client, "GET", f"/api/v1/datasets/{dataset.id}/questions").json()["items"]


def upsert_records(client: rg.Argilla, dataset: rg.Dataset, items: list[dict]) -> list[dict]:
    """Create or update records by their external id, with responses and suggestions; returns
    the records as stored (their ids and every suggestion they now carry)."""
    return _call(client, "PUT", f"/api/v1/datasets/{dataset.id}/records/bulk", json={"items": items}).json()["items"]


def delete_suggestions(client: rg.Argilla, record_server_id: str, suggestion_ids: list[str]) -> None:
    """Remove suggestions from a record: an upsert only adds or replaces them."""
    _call(
        client,
        "DELETE",
        f"/api/v1/records/{record_server_id}/suggestions",
        tolerated=(404,),
        params={"ids": ",".join(suggestion_ids)},
    )


def user_name(client: rg.Argilla, user_id: Any) -> tuple[str, str]:
    """A user's name and role."""
    user = _user(client, user_id)
    return user["username"], user["role"]


def _user(client: rg.Argilla, user_id: Any) -> dict:
    return _call(client, "GET", f"/api/v1/users/{user_id}").json()
