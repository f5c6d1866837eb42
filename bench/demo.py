"""Benchmark of the demo: latency of one prediction and throughput under concurrent clients.

A copy of the example project is ingested and trained once (TF-IDF + SetFit head; the better is
champion; ``--trained`` copies a project trained so instead), the demo is served on loopback, and ``gradio_client`` clients send a 50-word Spanish
text. Baseline in the same run: the champion's own ``predict_proba`` on the same text, so the
table shows what the web layer (Gradio queue, HTTP, SSE) adds.

    python bench/demo.py                      # 200 requests, 8 clients
    python bench/demo.py --requests 20 --clients 2   # quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from gradio_client import Client  # noqa: E402

from bench import example_project  # noqa: E402
from bucle.demo.app import build_app, parts  # noqa: E402
from bucle.annotation.embedded.ports import free_port  # noqa: E402
from bucle.loop.context import embedding_cache, load_version, registry  # noqa: E402
from bucle.training.bodies import minilm  # noqa: E402

TEXT = (
    "El Gobierno aprobó este martes un plan de vivienda que destinará fondos públicos a la rehabilitación "
    "de edificios en barrios vulnerables, según anunció la ministra en una rueda de prensa en la que "
    "también explicó que las ayudas se repartirán entre las comunidades autónomas en función de la "
    "población y del número de solicitudes recibidas durante el primer trimestre del año."
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="what CI runs: the small MiniLM body (it times the demo, not the default body)",
    )
    example_project.add_argument(parser)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bucle-bench-demo-")) / "proyecto"
    model = {"max_seq_length": 128, "bootstrap_samples": 100, **({"body": minilm()} if args.smoke else {})}
    config = example_project.trained(folder, args.trained, model, demo={"rate_limit_per_minute": 1_000_000})
    reg = registry(config)
    version = reg.champion()
    model = load_version(reg, embedding_cache(config), version).model
    print(f"{len(TEXT.split())}-word text, champion {version}", file=sys.stderr)

    direct = []
    for _ in range(args.requests):
        start = time.perf_counter()
        model.predict_proba([TEXT])
        direct.append(time.perf_counter() - start)

    port = free_port()
    app = build_app(config, parts(config))
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        client = Client(url, verbose=False)
        client.predict(TEXT, api_name="/predict")  # warm-up
        single = []
        for _ in range(args.requests):
            start = time.perf_counter()
            client.predict(TEXT, api_name="/predict")
            single.append(time.perf_counter() - start)

        per_client = max(1, args.requests // args.clients)
        clients = [Client(url, verbose=False) for _ in range(args.clients)]
        concurrent: list[float] = []
        lock = threading.Lock()

        def work(c: Client) -> None:
            for _ in range(per_client):
                start = time.perf_counter()
                c.predict(TEXT, api_name="/predict")
                with lock:
                    concurrent.append(time.perf_counter() - start)

        threads = [threading.Thread(target=work, args=(c,)) for c in clients]
        wall = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall
    finally:
        app.close()

    rows = [
        ("champion predict_proba (baseline)", 1, direct, None),
        ("demo, 1 client", 1, single, None),
        (f"demo, {args.clients} concurrent clients", args.clients, concurrent, len(concurrent) / wall),
    ]
    base = statistics.median(direct)
    print("| path | clients | requests | p50 ms | p95 ms | × baseline p50 | requests/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, n, values, rps in rows:
        p50 = statistics.median(values)
        print(
            f"| {name} | {n} | {len(values)} | {p50 * 1000:.1f} | {percentile(values, 0.95) * 1000:.1f} | "
            f"{p50 / base:.1f} | {rps if rps is not None else 1 / p50:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
