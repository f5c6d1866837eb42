"""What a TF-IDF round's refit costs, against scikit-learn's pipeline fitted the same way.

A round refits the baseline on every label so far: the final model and up to five calibration
folds. Here rounds grow the labels by a batch of 32 from 16 to 336 (the label-efficiency
benchmark's budget) on the example corpus, with its two classes (``label``) and its nine topics.
Per round, the same fit two ways, in one process:

- scikit-learn's pipeline (``models.tfidf.build_pipeline``) fitted on the texts, once and once
  per calibration fold: every fit splits the texts into n-grams again and runs L-BFGS over a
  weight per n-gram and class (the baseline; the same probabilities, ``tests/unit/test_tfidf.py``);
- ``TfidfClassifier.fit``: counts from the process's n-gram cache, where last round's texts are
  already analysed, and the logistic regression fitted in the training rows' coordinates.

Prints a table per label set (labels, seconds each, baseline ÷ bucle) and writes it to
``docs/benchmarks/tfidf_fit.md`` (``--smoke``: 48 labels, two classes, nothing written).

    python bench/tfidf_fit.py
    python bench/tfidf_fit.py --smoke
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.tables import show  # noqa: E402
from bucle.training.calibration import out_of_fold_proba  # noqa: E402
from bucle.training.models.tfidf import TfidfClassifier, build_pipeline  # noqa: E402

DATA = ROOT / "examples" / "noticias-falsas" / "data"
OUT = ROOT / "docs" / "benchmarks" / "tfidf_fit.md"
SEED = 0


def seconds(fit) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def rounds(rows: list[dict], column: str, budget: int) -> list[tuple[int, float, float]]:
    """(labels, baseline seconds, bucle seconds) per round, the labels in a fixed shuffled order."""
    order = np.random.default_rng(SEED).permutation(len(rows))
    texts = [rows[i]["text"] for i in order]
    labels = [rows[i][column] for i in order]
    classes = sorted(set(labels))
    measured = []
    for size in range(16, min(budget, len(rows)) + 1, 32):
        these, gold = texts[:size], labels[:size]
        targets = np.array([classes.index(label) for label in gold])

        def baseline() -> None:
            build_pipeline(SEED).fit(these, targets)
            out_of_fold_proba(build_pipeline(SEED), these, targets, len(classes), SEED)

        ours = seconds(lambda: TfidfClassifier(classes, seed=SEED).fit(these, gold))
        measured.append((size, seconds(baseline), ours))
        print(f"{column}: {size} labels, {measured[-1][1]:.2f} s against {ours:.2f} s", file=sys.stderr, flush=True)
    return measured


def table(column: str, classes: int, measured: list[tuple[int, float, float]]) -> str:
    lines = [
        f"**{column}** ({classes} classes)",
        "",
        "| labels | scikit-learn's pipeline (s) | bucle (s) | baseline ÷ bucle |",
        "| ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {n} | {base:.2f} | {ours:.2f} | {base / ours:.1f}× |" for n, base, ours in measured]
    base, ours = sum(m[1] for m in measured), sum(m[2] for m in measured)
    lines.append(f"| all {len(measured)} rounds | {base:.1f} | {ours:.1f} | {base / ours:.1f}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=336, help="labels of the last round")
    parser.add_argument("--smoke", action="store_true", help="48 labels, two classes, nothing written")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in (DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    columns = ["label"] if args.smoke else ["label", "topic"]
    budget = 48 if args.smoke else args.budget
    tables = [table(c, len({r[c] for r in rows}), rounds(rows, c, budget)) for c in columns]
    text = (
        "TF-IDF refits round by round (final model and calibration folds), example corpus, one process:\n\n"
        + "\n\n".join(tables)
    )
    show(text, None if args.smoke else OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
