"""`make bench-smoke`: every benchmark end to end at tiny sizes, so that none can rot between
releases; CI runs it through ``tests/integration/test_bench_smoke.py``.

The benchmarks run in this one process, one after the other, through their own ``main(argv)``:
each would otherwise spend seconds importing torch, transformers and the rest again. The
annotator-queue benchmark runs beside them in a process of its own: most of its time is a
simulated annotator's pauses and the ``bucle up`` it starts, and it measures its own process.
Its table is printed last; a table of each benchmark's seconds ends the output.

    python bench/smoke.py                                   # each benchmark starts what it needs
    python bench/smoke.py --server p/bucle.yaml --trained q/bucle.yaml   # as the test session runs it
"""

from __future__ import annotations

import argparse
import importlib
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

QUEUE = ["--answers", "10", "--pace", "0.2", "0.5", "--smoke"]


def steps(server: list[str], trained: list[str]) -> list[tuple[str, list[str]]]:
    """(benchmark module, its arguments), in the order they run; round cost first, as it samples
    this process's memory."""
    return [
        ("round_cost", ["--sizes", "300", "--smoke", *server]),
        ("argilla_server", ["--sizes", "200", "--queries", "10", *server]),
        ("ingest", ["--rows", "2000"]),
        ("demo", ["--requests", "20", "--clients", "2", "--smoke", *trained]),
        ("publish", ["--smoke", *trained]),
        ("active_learning", ["--smoke"]),
        ("label_errors", ["--smoke"]),
        ("tfidf_fit", ["--smoke"]),
        ("head_fit", ["--smoke"]),
        ("lora_gpu", ["--smoke"]),
        ("bodies", ["--smoke"]),
    ]


def run(module: str, argv: list[str]) -> int:
    """One benchmark's ``main``; a ``SystemExit`` (argparse, a refusal) is its exit status."""
    try:
        status = importlib.import_module(f"bench.{module}").main(argv)
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1 if stop.code else 0
        if stop.code and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
    sys.stdout.flush()
    return status or 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", type=Path, metavar="BUCLE_YAML", help="a project whose embedded server is running")
    parser.add_argument("--trained", type=Path, metavar="BUCLE_YAML", help="a project with a trained champion")
    args = parser.parse_args(argv)
    server = ["--server", str(args.server)] if args.server else []
    trained = ["--trained", str(args.trained)] if args.trained else []
    began = time.perf_counter()
    queue = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "annotator_queue.py"), *QUEUE, *server],
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds: dict[str, float] = {}
    failed, completed = None, False
    try:
        for module, options in steps(server, trained):
            start = time.perf_counter()
            print(f"== {module} {' '.join(options)}", file=sys.stderr, flush=True)
            if run(module, options):
                failed = module
                break
            seconds[module] = time.perf_counter() - start
        else:
            completed = True
    finally:
        if not completed:  # as Ctrl-C would: the queue benchmark stops the `bucle up` it started
            queue.send_signal(signal.SIGINT)
        out, _ = queue.communicate()
    print(out, end="")
    if failed is None and queue.returncode:
        failed = "annotator_queue"
    seconds["all (the annotator queue beside the rest)"] = time.perf_counter() - began
    print("\n| benchmark (smoke) | s |\n| --- | ---: |")
    print("\n".join(f"| {name} | {s:.1f} |" for name, s in seconds.items()))
    if failed is not None:
        print(f"bench smoke: {failed} failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
