"""argilla-server's filters and sort orders as SQL over the index tables (records aliased ``r``).

The semantics follow argilla-server's Elasticsearch engine (``search_engine/commons.py``):
a terms filter matches any of the values (and any element of a list value), a range filter is
inclusive, the response status ``pending`` means "no response yet" (by the user in scope, or by
anybody), and records missing a sort key come last in both directions.
"""

from __future__ import annotations

import json
from typing import Any

from argilla_server.search_engine import (
    AndFilter,
    Filter,
    FilterScope,
    MetadataFilterScope,
    Order,
    RangeFilter,
    RecordFilterScope,
    ResponseFilterScope,
    SuggestionFilterScope,
    TermsFilter,
)

Sql = tuple[str, list[Any]]

RECORD_COLUMNS = {"id", "external_id", "status", "inserted_at", "updated_at"}
SUGGESTION_COLUMNS = {"score", "agent", "type"}


def json_path(key: str) -> str:
    return "$." + json.dumps(key)


def _placeholders(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _match_values(column: str, filter: TermsFilter | RangeFilter) -> Sql:
    """A condition on ``column`` (an SQL expression) for a terms or range filter."""
    if isinstance(filter, TermsFilter):
        if not filter.values:
            return "0", []
        return f"{column} IN ({_placeholders(filter.values)})", list(filter.values)
    parts, params = [f"{column} IS NOT NULL"], []
    if filter.ge is not None:
        parts.append(f"{column} >= ?")
        params.append(filter.ge)
    if filter.le is not None:
        parts.append(f"{column} <= ?")
        params.append(filter.le)
    return " AND ".join(parts), params


def _response_status(filter: TermsFilter, scope: ResponseFilterScope) -> Sql:
    user_sql, user_params = ("AND p.user_id = ?", [str(scope.user.id)]) if scope.user else ("", [])
    alternatives, params = [], []
    if "pending" in filter.values:
        alternatives.append(f"NOT EXISTS (SELECT 1 FROM responses p WHERE p.rid = r.rid {user_sql})")
        params += user_params
    statuses = [value for value in filter.values if value != "pending"]
    if statuses:
        alternatives.append(
            "EXISTS (SELECT 1 FROM responses p WHERE p.rid = r.rid "
            f"AND p.status IN ({_placeholders(statuses)}) {user_sql})"
        )
        params += statuses + user_params
    if not alternatives:
        return "1", []
    return "(" + " OR ".join(alternatives) + ")", params


def to_sql(filter: Filter) -> Sql:
    """The WHERE condition for ``filter``."""
    if isinstance(filter, AndFilter):
        parts = [to_sql(inner) for inner in filter.filters]
        if not parts:
            return "1", []
        return "(" + " AND ".join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]

    scope = filter.scope
    if isinstance(scope, RecordFilterScope):
        if scope.property not in RECORD_COLUMNS:
            raise ValueError(f"Cannot filter records by {scope.property!r}")
        return _match_values(f"r.{scope.property}", filter)

    if isinstance(scope, MetadataFilterScope):
        condition, params = _match_values("j.value", filter)
        sql = f"EXISTS (SELECT 1 FROM json_each(r.metadata, ?) j WHERE {condition})"
        return sql, [json_path(scope.metadata_property), *params]

    if isinstance(scope, SuggestionFilterScope):
        if scope.property == "value":
            condition, params = _match_values("j.value", filter)
            sql = (
                "EXISTS (SELECT 1 FROM suggestions s, json_each(s.value) j "
                f"WHERE s.rid = r.rid AND s.question = ? AND {condition})"
            )
        elif scope.property in SUGGESTION_COLUMNS:
            condition, params = _match_values(f"s.{scope.property}", filter)
            sql = f"EXISTS (SELECT 1 FROM suggestions s WHERE s.rid = r.rid AND s.question = ? AND {condition})"
        else:
            raise ValueError(f"Cannot filter suggestions by {scope.property!r}")
        return sql, [scope.question, *params]

    if isinstance(scope, ResponseFilterScope):
        if scope.question:
            condition, params = _match_values("j.value", filter)
            user_sql, user_params = ("AND p.user_id = ?", [str(scope.user.id)]) if scope.user else ("", [])
            sql = (
                "EXISTS (SELECT 1 FROM responses p, json_each(p.answers, ?) j "
                f"WHERE p.rid = r.rid {user_sql} AND {condition})"
            )
            return sql, [json_path(scope.question), *user_params, *params]
        if scope.property == "status" and isinstance(filter, TermsFilter):
            return _response_status(filter, scope)
        raise ValueError(f"Cannot process filter scope {scope}")

    raise ValueError(f"Unknown filter scope {scope!r}")


def _sort_key(scope: FilterScope) -> Sql:
    if isinstance(scope, RecordFilterScope):
        if scope.property not in RECORD_COLUMNS:
            raise ValueError(f"Cannot sort records by {scope.property!r}")
        return f"r.{scope.property}", []
    if isinstance(scope, MetadataFilterScope):
        return "json_extract(r.metadata, ?)", [json_path(scope.metadata_property)]
    if isinstance(scope, SuggestionFilterScope):
        if scope.property == "value":
            return "(SELECT s.value FROM suggestions s WHERE s.rid = r.rid AND s.question = ?)", [scope.question]
        if scope.property in SUGGESTION_COLUMNS:
            sql = f"(SELECT s.{scope.property} FROM suggestions s WHERE s.rid = r.rid AND s.question = ?)"
            return sql, [scope.question]
        raise ValueError(f"Cannot sort suggestions by {scope.property!r}")
    if isinstance(scope, ResponseFilterScope):
        key = json_path(scope.question) if scope.question else None
        user_sql, user_params = ("AND p.user_id = ?", [str(scope.user.id)]) if scope.user else ("", [])
        if key:
            sql = f"(SELECT AVG(json_extract(p.answers, ?)) FROM responses p WHERE p.rid = r.rid {user_sql})"
            return sql, [key, *user_params]
        if scope.property in {"status", "user_id"}:
            sql = f"(SELECT MIN(p.{scope.property}) FROM responses p WHERE p.rid = r.rid {user_sql})"
            return sql, user_params
        raise ValueError(f"Cannot sort responses by {scope}")
    raise ValueError(f"Unknown sort scope {scope!r}")


def order_by(sort: list[Order]) -> Sql:
    """ORDER BY terms (without the keyword) for ``sort``; missing keys sort last."""
    terms, params = [], []
    for order in sort:
        key, key_params = _sort_key(order.scope)
        direction = "DESC" if str(order.order) == "desc" else "ASC"
        terms += [f"({key}) IS NULL", f"{key} {direction}"]
        params += key_params * 2
    return ", ".join(terms), params
