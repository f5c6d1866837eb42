"""Benchmark of the embedded Argilla server with bucle's SQLite search engine.

For each pool size: log records (≈200 words of Spanish text, one suggestion, one 384-d vector,
three metadata fields) through the argilla SDK in batches of 500, then time the queries an
annotator's UI makes: text search, metadata filter, response-status filter and similarity
search (p50/p95 over repeated, varied queries, end to end over HTTP). Beside the SDK ingest rate
it prints the ceiling: the same rows inserted straight into a SQLite file with the index's schema.

    python bench/argilla_server.py                 # 1k and 10k records, a throw-away server
    python bench/argilla_server.py --sizes 200     # the smoke run CI makes
    python bench/argilla_server.py --server examples/noticias-falsas/bucle.yaml   # a running project's server
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import argilla as rg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bucle.annotation.client import connect  # noqa: E402
from bucle.annotation.credentials import CredentialsFile  # noqa: E402
from bucle.annotation.datasets import DatasetSpec, ensure_dataset  # noqa: E402
from bucle.annotation.embedded import control  # noqa: E402
from bucle.annotation.embedded.ports import free_port  # noqa: E402
from bench import shared_server  # noqa: E402
from bucle.annotation.embedded.layout import ServerLayout  # noqa: E402
from bucle.annotation.embedded.sqlite_search import schema, vectors  # noqa: E402
from bucle.loop.config import load_config  # noqa: E402

DIMS = 384
BATCH = 500
TOPICS = ["salud", "política", "economía", "educación", "ciencia", "seguridad", "deporte", "sociedad"]
VOCABULARY = (
    "el la los las un una de del en con por para sobre entre según durante gobierno ciudad pueblo agua "
    "escuela hospital mercado río campo información noticia presidente ministra salud educación economía "
    "empleo vivienda energía clima bosque lluvia sequía cosecha precio salario impuesto ley tribunal "
    "policía seguridad violencia mujer hombre niña niño familia comunidad indígena rural urbano región "
    "país mundo empresa trabajo trabajadora sindicato huelga protesta elección voto partido candidato "
    "congreso senado reforma pensión jubilación universidad estudiante maestra investigación ciencia "
    "vacuna enfermedad epidemia médico enfermera clínica medicamento alimento hambre pobreza desigualdad "
    "migración frontera refugiado derecho justicia corrupción transparencia datos internet teléfono red "
    "periodista medio prensa radio televisión rumor falso verdadero anuncia afirma denuncia confirma niega"
).split()
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    records: int
    sdk_records_per_s: float
    sqlite_records_per_s: float
    text_p50_ms: float
    text_p95_ms: float
    metadata_p50_ms: float
    metadata_p95_ms: float
    status_p50_ms: float
    status_p95_ms: float
    similarity_p50_ms: float
    similarity_p95_ms: float


def make_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    vecs = np.random.default_rng(seed).normal(size=(n, DIMS)).astype(np.float32)
    return [
        {
            "id": f"b{seed}-{i}",
            "text": " ".join(rng.choices(VOCABULARY, k=200)),
            "topic": TOPICS[i % len(TOPICS)],
            "length": 200 + i % 17,
            "quality": rng.random(),
            "label": rng.choice(["falsa", "verdadera"]),
            "score": rng.random(),
            "vector": vecs[i],
        }
        for i in range(n)
    ]


def to_record(row: dict) -> rg.Record:
    return rg.Record(
        id=row["id"],
        fields={"text": row["text"]},
        metadata={"topic": row["topic"], "length": row["length"], "quality": row["quality"]},
        suggestions=[rg.Suggestion("label", row["label"], score=row["score"], agent="bench")],
        vectors={"embedding": row["vector"].tolist()},
    )


def sqlite_ceiling(rows: list[dict]) -> float:
    """Records/s inserting the same rows straight into a fresh index file, in batches."""
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "ceiling.sqlite", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(schema.SCHEMA)
        start = time.perf_counter()
        for begin in range(0, len(rows), BATCH):
            with schema.transaction(conn):
                for row in rows[begin : begin + BATCH]:
                    meta = json.dumps({k: row[k] for k in ("topic", "length", "quality")}, ensure_ascii=False)
                    rid = conn.execute(
                        "INSERT INTO records (id, dataset_id, status, metadata) VALUES (?, 'd', 'pending', ?) "
                        "RETURNING rid",
                        (row["id"], meta),
                    ).fetchone()[0]
                    tid = conn.execute("INSERT INTO texts (rid, field) VALUES (?, 'text')", (rid,)).lastrowid
                    conn.execute("INSERT INTO texts_fts (rowid, body) VALUES (?, ?)", (tid, row["text"]))
                    conn.execute(
                        "INSERT INTO suggestions (rid, question, value, score, agent) VALUES (?, 'label', ?, ?, 'b')",
                        (rid, json.dumps(row["label"]), row["score"]),
                    )
                    conn.execute(
                        "INSERT INTO vectors (settings_id, rid, value) VALUES ('v', ?, ?)",
                        (rid, vectors.encode(row["vector"])),
                    )
        elapsed = time.perf_counter() - start
        conn.close()
    return len(rows) / elapsed


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def time_queries(client: rg.Argilla, dataset: rg.Dataset, bodies: list[dict]) -> tuple[float, float]:
    url = f"/api/v1/datasets/{dataset.id}/records/search"
    client.http_client.post(url, params={"limit": 50}, json=bodies[0]).raise_for_status()  # warm caches
    samples = []
    for body in bodies:
        start = time.perf_counter()
        response = client.http_client.post(url, params={"limit": 50}, json=body)
        samples.append(time.perf_counter() - start)
        response.raise_for_status()
    return percentiles(samples)


def bench_size(client: rg.Argilla, workspace: str, n: int, queries: int, seed: int) -> Row:
    rows = make_rows(n, seed)
    spec = DatasetSpec(
        name=f"bench-{n}-{int(time.time())}",
        workspace=workspace,
        labels={"falsa": "Falsa", "verdadera": "Verdadera"},
        guidelines="Benchmark.",
        metadata_terms=("topic",),
        metadata_integers=("length",),
        metadata_floats=("quality",),
        vector_dimensions={"embedding": DIMS},
    )
    dataset = ensure_dataset(client, spec)
    records = [to_record(row) for row in rows]
    start = time.perf_counter()
    for begin in range(0, n, BATCH):
        dataset.records.log(records[begin : begin + BATCH], batch_size=min(BATCH, n - begin))
    sdk_rate = n / (time.perf_counter() - start)

    owner_id = client.me.id
    answered = [
        rg.Record(
            id=row["id"],
            fields={"text": row["text"]},
            responses=[rg.Response("label", row["label"], user_id=owner_id, status="submitted")],
        )
        for row in rows[::10]
    ]
    dataset.records.log(answered, batch_size=min(BATCH, len(answered)))

    rng = random.Random(seed + 1)
    text = [{"query": {"text": {"q": f"{rng.choice(VOCABULARY)} {rng.choice(VOCABULARY)}"}}} for _ in range(queries)]
    metadata = [
        {
            "filters": {
                "and": [
                    {
                        "type": "terms",
                        "scope": {"entity": "metadata", "metadata_property": "topic"},
                        "values": [rng.choice(TOPICS)],
                    }
                ]
            }
        }
        for _ in range(queries)
    ]
    status = [
        {
            "filters": {
                "and": [
                    {
                        "type": "terms",
                        "scope": {"entity": "response", "property": "status"},
                        "values": [rng.choice(["submitted", "pending"])],
                    }
                ]
            }
        }
        for _ in range(queries)
    ]
    similar = [
        {"query": {"vector": {"name": "embedding", "value": rows[rng.randrange(n)]["vector"].tolist()}}}
        for _ in range(queries)
    ]
    return Row(
        records=n,
        sdk_records_per_s=sdk_rate,
        sqlite_records_per_s=sqlite_ceiling(rows),
        text_p50_ms=(t := time_queries(client, dataset, text))[0],
        text_p95_ms=t[1],
        metadata_p50_ms=(m := time_queries(client, dataset, metadata))[0],
        metadata_p95_ms=m[1],
        status_p50_ms=(s := time_queries(client, dataset, status))[0],
        status_p95_ms=s[1],
        similarity_p50_ms=(v := time_queries(client, dataset, similar))[0],
        similarity_p95_ms=v[1],
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| records | SDK ingest rec/s | SQLite ceiling rec/s | SDK / ceiling | text p50/p95 ms | "
        "metadata p50/p95 ms | status p50/p95 ms | similarity p50/p95 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.records:,} | {r.sdk_records_per_s:,.0f} | {r.sqlite_records_per_s:,.0f} | "
            f"{r.sdk_records_per_s / r.sqlite_records_per_s:.3f} | {r.text_p50_ms:.1f} / {r.text_p95_ms:.1f} | "
            f"{r.metadata_p50_ms:.1f} / {r.metadata_p95_ms:.1f} | {r.status_p50_ms:.1f} / {r.status_p95_ms:.1f} | "
            f"{r.similarity_p50_ms:.1f} / {r.similarity_p95_ms:.1f} |"
        )
    return "\n".join(lines)


def run(client: rg.Argilla, workspace: str, sizes: list[int], queries: int) -> list[Row]:
    results = []
    for seed, n in enumerate(sizes):
        print(f"benchmarking {n:,} records…", file=sys.stderr, flush=True)
        results.append(bench_size(client, workspace, n, queries, seed))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=50, help="timed queries of each kind")
    shared_server.add_argument(parser)
    args = parser.parse_args(argv)

    if args.server:
        config = load_config(args.server)
        layout, workspace = config.server_layout, config.workspace
        client = connect(layout.url, CredentialsFile(layout.credentials).owner().api_key)
        rows = run(client, workspace, args.sizes, args.queries)
    else:
        with tempfile.TemporaryDirectory(prefix="bucle-bench-") as state:
            layout = ServerLayout(Path(state), port=free_port())
            control.start(layout)
            try:
                client = connect(layout.url, CredentialsFile(layout.credentials).owner().api_key)
                rows = run(client, "bench", args.sizes, args.queries)
            finally:
                control.stop(layout)
    print(table(rows))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "argilla_server.json").write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
