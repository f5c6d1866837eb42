"""What a round's refit costs on one BLAS thread, against the threads BLAS starts with.

A round fits bucle's two model families on every label so far (``training/run.py``): the SetFit
head on the body's cached embeddings and the TF-IDF baseline, each with its calibration folds.
Here both are fitted on the example corpus at 48, 336 and all its labels, with two classes
(``label``) and nine topics, once as BLAS starts (as many threads as cores) and once inside
``one_blas_thread()``, as rounds fit; the fastest of three fits each, after one untimed fit (the
process's n-gram and embedding caches warm, as in a steady round). Embeddings come from
``bench/active_learning.py``'s cache, computed there once if missing.

Prints a table (labels, seconds each, BLAS's threads ÷ one) and writes it to
``docs/benchmarks/head_fit.md`` (``--smoke``: the small English body, 48 labels, two classes,
nothing written).

    python bench/head_fit.py
    python bench/head_fit.py --smoke
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.active_learning import EXAMPLE_CACHE  # noqa: E402
from bench.corpus import DEFAULT, body_path  # noqa: E402
from bench.tables import show  # noqa: E402
from bucle.training.embedding_cache import EmbeddingCache  # noqa: E402
from bucle.training.models.base import TextClassifier  # noqa: E402
from bucle.training.models.setfit_model import SetFitClassifier  # noqa: E402
from bucle.training.models.tfidf import TfidfClassifier  # noqa: E402
from bucle.training.threads import one_blas_thread  # noqa: E402

OUT = ROOT / "docs" / "benchmarks" / "head_fit.md"
SEED = 0
REPEATS = 3


def fastest(fit: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(model: Callable[[], TextClassifier], texts: list[str], labels: list[str]) -> tuple[float, float]:
    """Seconds of ``fit`` with BLAS's threads and with one."""
    model().fit(texts, labels)  # untimed: caches warm, as in a steady round
    as_started = fastest(lambda: model().fit(texts, labels))
    with one_blas_thread():
        one = fastest(lambda: model().fit(texts, labels))
    return as_started, one


def blas_threads() -> int:
    return max((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"), default=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small English body, 48 labels, two classes")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in (DEFAULT / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    order = np.random.default_rng(SEED).permutation(len(rows))
    texts = [rows[i]["text"] for i in order]
    body = body_path("minilm" if args.smoke else None)
    sizes = [48] if args.smoke else [48, 336, len(rows)]
    columns = ["label"] if args.smoke else ["label", "topic"]
    cache = EmbeddingCache(EXAMPLE_CACHE)
    lines = [
        f"Seconds per fit (the fastest of {REPEATS}), BLAS as started ({blas_threads()} threads) "
        "and on one thread as rounds fit; example corpus, one process:",
        "",
        "| model | classes | labels | BLAS's threads (s) | one thread (s) | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    try:
        for column in columns:
            labels = [rows[i][column] for i in order]
            classes = sorted(set(labels))
            families = {
                "SetFit head": lambda: SetFitClassifier(classes, body=body, seed=SEED, cache=cache),
                "TF-IDF": lambda: TfidfClassifier(classes, seed=SEED),
            }
            for family, model in families.items():
                for size in sizes:
                    as_started, one = measure(model, texts[:size], labels[:size])
                    lines.append(
                        f"| {family} | {len(classes)} | {size} | {as_started:.3f} | {one:.3f} | {as_started / one:.1f}× |"
                    )
                    print(lines[-1], file=sys.stderr, flush=True)
    finally:
        cache.close()
    text = "\n".join(lines)
    show(text, None if args.smoke else OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
