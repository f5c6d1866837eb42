"""``SqliteSearchEngine``: argilla-server's ``SearchEngine`` over SQLite FTS5 and numpy.

Registered as ``sqlite`` through argilla-server's own ``SearchEngine.register``; the server and
its workers select it with ``ARGILLA_SEARCH_ENGINE=sqlite`` and find the index file through
``BUCLE_SEARCH_INDEX`` (read when an instance is made, never on import).

argilla-server calls the engine from its event loop with ORM objects whose relationships it has
already loaded, the same objects it hands to Elasticsearch. SQLite answers these small queries
in about a millisecond, so the calls run inline instead of in a thread pool.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, List, Optional, Union

import numpy as np
from argilla_server.enums import MetadataPropertyType, SimilarityOrder
from argilla_server.models import Dataset, MetadataProperty, Record, Response, Suggestion, User, VectorSettings
from argilla_server.search_engine import (
    Filter,
    FloatMetadataMetrics,
    IntegerMetadataMetrics,
    MetadataMetrics,
    Order,
    SearchEngine,
    SearchResponseItem,
    SearchResponses,
    TermsMetrics,
    TextQuery,
)

from . import filters, schema, text_query, vectors

ENGINE_NAME = "sqlite"
INDEX_PATH_VARIABLE = "BUCLE_SEARCH_INDEX"


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _field_text(value: Any) -> Optional[str]:
    """The searchable text of a record field: text as is, chat turns' contents, custom as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(turn, dict) for turn in value):
        return "\n".join(str(turn.get("content", "")) for turn in value)
    return json.dumps(value, ensure_ascii=False)


def _suggestion_row(rid: int, suggestion: Suggestion) -> tuple:
    score = suggestion.score
    if isinstance(score, list):
        score = max(score) if score else None
    return (
        rid,
        suggestion.question.name,
        json.dumps(suggestion.value, ensure_ascii=False),
        score,
        suggestion.agent,
        str(suggestion.type) if suggestion.type is not None else None,
    )


def _response_row(rid: int, response: Response) -> tuple:
    answers = {question: answer.get("value") for question, answer in (response.values or {}).items()}
    return (str(response.id), rid, str(response.user_id), str(response.status), json.dumps(answers))


@SearchEngine.register(engine_name=ENGINE_NAME)
class SqliteSearchEngine(SearchEngine):
    def __init__(self, index_path: Path) -> None:
        self.index_path = index_path
        self.conn = schema.connect(index_path)

    @classmethod
    async def new_instance(cls) -> "SqliteSearchEngine":
        path = os.environ.get(INDEX_PATH_VARIABLE)
        if not path:
            raise RuntimeError(f"{INDEX_PATH_VARIABLE} must name the SQLite search index file")
        return cls(Path(path))

    async def close(self) -> None:
        """Nothing to do: the connection is shared by every instance in this process."""

    async def ping(self) -> bool:
        try:
            self.conn.execute("SELECT 1 FROM datasets LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    async def info(self) -> dict:
        # answered to anyone, without a key (/api/v1/status): no path of this machine in it
        return {"name": ENGINE_NAME, "version": sqlite3.sqlite_version}

    # -- datasets -------------------------------------------------------------------------------

    async def create_index(self, dataset: Dataset) -> None:
        self.conn.execute("INSERT OR IGNORE INTO datasets (id) VALUES (?)", (str(dataset.id),))

    async def delete_index(self, dataset: Dataset) -> None:
        dataset_id = str(dataset.id)
        with schema.transaction(self.conn) as conn:
            rids = "SELECT rid FROM records WHERE dataset_id = ?"
            self._delete_record_rows(conn, rids, (dataset_id,))
            self._bump_generation(conn, dataset_id)

    async def configure_metadata_property(self, dataset: Dataset, metadata_property: MetadataProperty) -> None:
        """Nothing to do: records keep their whole metadata object, filtered with JSON paths."""

    async def configure_index_vectors(self, vector_settings: VectorSettings) -> None:
        """Nothing to do: vectors of any dimension are stored as they come."""

    # -- records --------------------------------------------------------------------------------

    async def index_records(self, dataset: Dataset, records: Iterable[Record]) -> None:
        dataset_id = str(dataset.id)
        image_fields = {field.name for field in dataset.fields if field.is_image}
        with schema.transaction(self.conn) as conn:
            for record in records:
                rid = self._upsert_record(conn, dataset_id, record)
                self._replace_children(conn, rid, record, image_fields)
            self._bump_generation(conn, dataset_id)

    def _upsert_record(self, conn: sqlite3.Connection, dataset_id: str, record: Record) -> int:
        row = conn.execute(
            "INSERT INTO records (id, dataset_id, external_id, status, inserted_at, updated_at, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "external_id = excluded.external_id, status = excluded.status, "
            "updated_at = excluded.updated_at, metadata = excluded.metadata RETURNING rid",
            (
                str(record.id),
                dataset_id,
                record.external_id,
                str(record.status) if record.status is not None else None,
                _iso(record.inserted_at),
                _iso(record.updated_at),
                json.dumps(record.metadata_ or {}, ensure_ascii=False),
            ),
        ).fetchone()
        return row[0]

    def _replace_children(self, conn: sqlite3.Connection, rid: int, record: Record, image_fields: set) -> None:
        self._delete_children(conn, "SELECT ?", (rid,))
        for name, value in (record.fields or {}).items():
            body = None if name in image_fields else _field_text(value)
            if body:
                tid = conn.execute("INSERT INTO texts (rid, field) VALUES (?, ?)", (rid, name)).lastrowid
                conn.execute("INSERT INTO texts_fts (rowid, body) VALUES (?, ?)", (tid, body))
        conn.executemany(
            "INSERT INTO responses (id, rid, user_id, status, answers) VALUES (?, ?, ?, ?, ?)",
            [_response_row(rid, response) for response in record.responses or []],
        )
        conn.executemany(
            "INSERT INTO suggestions (rid, question, value, score, agent, type) VALUES (?, ?, ?, ?, ?, ?)",
            [_suggestion_row(rid, suggestion) for suggestion in record.suggestions or []],
        )
        conn.executemany(
            "INSERT INTO vectors (settings_id, rid, value) VALUES (?, ?, ?)",
            [(str(vector.vector_settings_id), rid, vectors.encode(vector.value)) for vector in record.vectors or []],
        )

    @staticmethod
    def _delete_children(conn: sqlite3.Connection, rids_sql: str, params: tuple) -> None:
        conn.execute(f"DELETE FROM texts_fts WHERE rowid IN (SELECT tid FROM texts WHERE rid IN ({rids_sql}))", params)
        for table in ("texts", "responses", "suggestions", "vectors"):
            conn.execute(f"DELETE FROM {table} WHERE rid IN ({rids_sql})", params)

    def _delete_record_rows(self, conn: sqlite3.Connection, rids_sql: str, params: tuple) -> None:
        self._delete_children(conn, rids_sql, params)
        conn.execute(f"DELETE FROM records WHERE rid IN ({rids_sql})", params)

    @staticmethod
    def _bump_generation(conn: sqlite3.Connection, dataset_id: str) -> None:
        conn.execute(
            "INSERT INTO datasets (id, generation) VALUES (?, 1) "
            "ON CONFLICT (id) DO UPDATE SET generation = generation + 1",
            (dataset_id,),
        )

    async def partial_record_update(self, record: Record, **update) -> None:
        columns = {"status": str, "external_id": str, "updated_at": _iso}
        unknown = set(update) - set(columns) - {"metadata"}
        if unknown:
            raise ValueError(f"Cannot update {sorted(unknown)} in the search index")
        assignments, params = [], []
        for name, value in update.items():
            assignments.append(f"{name} = ?")
            if name == "metadata":
                params.append(json.dumps(value or {}, ensure_ascii=False))
            else:
                params.append(columns[name](value) if value is not None else None)
        if assignments:
            self.conn.execute(f"UPDATE records SET {', '.join(assignments)} WHERE id = ?", (*params, str(record.id)))

    async def delete_records(self, dataset: Dataset, records: Iterable[Record]) -> None:
        ids = [str(record.id) for record in records]
        with schema.transaction(self.conn) as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rids_sql = f"SELECT rid FROM records WHERE id IN ({', '.join('?' * len(chunk))})"
                self._delete_record_rows(conn, rids_sql, tuple(chunk))
            self._bump_generation(conn, str(dataset.id))

    def _rid(self, record_id: Any) -> Optional[int]:
        row = self.conn.execute("SELECT rid FROM records WHERE id = ?", (str(record_id),)).fetchone()
        return row[0] if row else None

    # -- responses and suggestions ----------------------------------------------------------

    def _upsert_child(self, sql: str, record_id: Any, row: Callable[[int], tuple]) -> None:
        """Write a response or suggestion row for a record the index holds (a record deleted
        meanwhile has nothing to update)."""
        rid = self._rid(record_id)
        if rid is not None:
            self.conn.execute(sql, row(rid))

    async def update_record_response(self, response: Response) -> None:
        self._upsert_child(
            "INSERT OR REPLACE INTO responses (id, rid, user_id, status, answers) VALUES (?, ?, ?, ?, ?)",
            response.record_id,
            lambda rid: _response_row(rid, response),
        )

    async def delete_record_response(self, response: Response) -> None:
        self.conn.execute("DELETE FROM responses WHERE id = ?", (str(response.id),))

    async def update_record_suggestion(self, suggestion: Suggestion) -> None:
        self._upsert_child(
            "INSERT OR REPLACE INTO suggestions (rid, question, value, score, agent, type) VALUES (?, ?, ?, ?, ?, ?)",
            suggestion.record_id,
            lambda rid: _suggestion_row(rid, suggestion),
        )

    async def delete_record_suggestion(self, suggestion: Suggestion) -> None:
        self.conn.execute(
            "DELETE FROM suggestions WHERE rid = (SELECT rid FROM records WHERE id = ?) AND question = ?",
            (str(suggestion.record_id), suggestion.question.name),
        )

    # -- progress and metrics ---------------------------------------------------------------

    async def get_dataset_progress(self, dataset: Dataset) -> dict:
        if dataset.is_draft:
            return {}
        rows = self.conn.execute(
            "SELECT status, COUNT(*) FROM records WHERE dataset_id = ? GROUP BY status", (str(dataset.id),)
        ).fetchall()
        return {"total": sum(count for _, count in rows), **dict(rows)}

    async def get_dataset_user_progress(self, dataset: Dataset, user: User) -> dict:
        if dataset.is_draft:
            return {}
        rows = self.conn.execute(
            "SELECT p.status, COUNT(*) FROM responses p JOIN records r ON r.rid = p.rid "
            "WHERE r.dataset_id = ? AND p.user_id = ? GROUP BY p.status",
            (str(dataset.id), str(user.id)),
        ).fetchall()
        return {"total": sum(count for _, count in rows), **dict(rows)}

    async def compute_metrics_for(self, metadata_property: MetadataProperty) -> MetadataMetrics:
        dataset_id, path = str(metadata_property.dataset_id), filters.json_path(metadata_property.name)
        values = "FROM records r, json_each(r.metadata, ?) j WHERE r.dataset_id = ?"
        if metadata_property.type == MetadataPropertyType.terms:
            rows = self.conn.execute(
                f"SELECT j.value, COUNT(*) AS n {values} GROUP BY j.value ORDER BY n DESC, j.value",
                (path, dataset_id),
            ).fetchall()
            return TermsMetrics(
                total=sum(count for _, count in rows),
                values=[TermsMetrics.TermCount(term=str(term), count=count) for term, count in rows],
            )
        low, high = self.conn.execute(f"SELECT MIN(j.value), MAX(j.value) {values}", (path, dataset_id)).fetchone()
        if metadata_property.type == MetadataPropertyType.integer:
            return IntegerMetadataMetrics(min=low, max=high)
        return FloatMetadataMetrics(min=low, max=high)

    # -- search ---------------------------------------------------------------------------------

    def _matching(
        self, dataset: Dataset, query: Optional[Union[TextQuery, str]], filter: Optional[Filter]
    ) -> tuple[str, list[Any], bool]:
        """``FROM … WHERE …`` selecting the dataset's records that match; True if ranked by text."""
        sql, params = "FROM records r", []
        conditions, condition_params = ["r.dataset_id = ?"], [str(dataset.id)]
        ranked = False
        if query is not None:
            if isinstance(query, str):
                query = TextQuery(q=query)
            fts = text_query.to_fts(query.q)
            field_sql = "AND t.field = ?" if query.field else ""
            field_params = [query.field] if query.field else []
            matches = (
                "SELECT t.rid AS rid, MIN(texts_fts.rank) AS rank FROM texts_fts "
                f"JOIN texts t ON t.tid = texts_fts.rowid WHERE texts_fts MATCH ? {field_sql} GROUP BY t.rid"
            )
            if fts.include is not None:
                sql += f" JOIN ({matches}) m ON m.rid = r.rid"
                params += [fts.include, *field_params]
                ranked = True
            if fts.exclude is not None:
                conditions.append(f"r.rid NOT IN (SELECT rid FROM ({matches}))")
                condition_params += [fts.exclude, *field_params]
        if filter is not None:
            filter_sql, filter_params = filters.to_sql(filter)
            conditions.append(filter_sql)
            condition_params += filter_params
        return f"{sql} WHERE {' AND '.join(conditions)}", params + condition_params, ranked

    async def search(
        self,
        dataset: Dataset,
        query: Optional[Union[TextQuery, str]] = None,
        filter: Optional[Filter] = None,
        sort: Optional[List[Order]] = None,
        offset: int = 0,
        limit: int = 100,
        user_id: Optional[str] = None,
    ) -> SearchResponses:
        matching, params, ranked = self._matching(dataset, query, filter)
        score = "-m.rank" if ranked else "NULL"
        order_terms, order_params = [], []
        if sort:
            sort_sql, order_params = filters.order_by(sort)
            order_terms.append(sort_sql)
        elif ranked:
            order_terms.append("m.rank")
        elif user_id:
            order_terms.append("user_shuffle_key(?, r.id)")
            order_params.append(str(user_id))
        order_terms.append("r.rid")
        rows = self.conn.execute(
            f"SELECT r.id, {score} {matching} ORDER BY {', '.join(order_terms)} LIMIT ? OFFSET ?",
            (*params, *order_params, limit, offset),
        ).fetchall()
        (total,) = self.conn.execute(f"SELECT COUNT(*) {matching}", params).fetchone()
        return SearchResponses(
            items=[SearchResponseItem(record_id=record_id, score=score) for record_id, score in rows],
            total=total,
        )

    async def similarity_search(
        self,
        dataset: Dataset,
        vector_settings: VectorSettings,
        value: Optional[List[float]] = None,
        record: Optional[Record] = None,
        query: Optional[Union[TextQuery, str]] = None,
        filter: Optional[Filter] = None,
        max_results: int = 100,
        order: SimilarityOrder = SimilarityOrder.most_similar,
        threshold: Optional[float] = None,
    ) -> SearchResponses:
        if bool(value) == bool(record):
            raise ValueError("Must provide either vector value or record to compute the similarity search")
        excluded_rid = None
        if record is not None:
            excluded_rid = self._rid(record.id)
            value = record.vector_value_by_vector_settings(vector_settings)
        if not value:
            raise ValueError("Cannot find a vector value to apply with provided info")
        if order == SimilarityOrder.least_similar:
            value = [-component for component in value]

        allowed = None
        if query is not None or filter is not None:
            matching, params, _ = self._matching(dataset, query, filter)
            rows = self.conn.execute(f"SELECT r.rid {matching}", params).fetchall()
            allowed = np.fromiter((rid for (rid,) in rows), dtype=np.int64, count=len(rows))

        (generation,) = self.conn.execute(
            "SELECT COALESCE((SELECT generation FROM datasets WHERE id = ?), 0)", (str(dataset.id),)
        ).fetchone()
        matrix = vectors.load(self.conn, str(vector_settings.id), generation)
        hits = vectors.nearest(matrix, value, max_results, allowed=allowed, excluded_rid=excluded_rid)
        if threshold is not None:
            hits = [(rid, score) for rid, score in hits if score >= threshold]
        ids = self._ids_by_rid([rid for rid, _ in hits])
        items = [SearchResponseItem(record_id=ids[rid], score=score) for rid, score in hits]
        return SearchResponses(items=items, total=len(items))

    def _ids_by_rid(self, rids: list[int]) -> dict[int, str]:
        if not rids:
            return {}
        rows = self.conn.execute(
            f"SELECT rid, id FROM records WHERE rid IN ({', '.join('?' * len(rids))})", rids
        ).fetchall()
        return dict(rows)
