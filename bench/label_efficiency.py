"""The runs behind the README's worst-setting table, two at a time, then the table.

A run is written ``SETTING[-e5][-b16]:SEEDS[:STRATEGY+STRATEGY…]``: one of the five kinds of
setting in ``SETTINGS``, the SetFit head on e5 (``-e5``) or TF-IDF, batches of 16 (``-b16``) or
32, how many seeds, and the strategies (default: the default, random sampling and chance). Its
results go to ``OUT/<SETTING>[-e5][-b16]``, where ``--resume`` keeps what the folder already has.

Each run is one ``bench/active_learning.py`` process with one BLAS thread, so two of them keep
2 cores busy; a run starts as soon as one ends, in the order given (the longest first packs them
best). Runs joined by commas go one after another: two runs into one folder must, as each saves
the folder's results whole (a second one would wait for the first anyway, holding a slot).

    python bench/label_efficiency.py label-e5:128 drift:32 label:8:random+hedged-shift,drift:16:random+hedged-shift
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.strategy_variants import known  # noqa: E402

SETTINGS = {  # the README's kinds of corpus, made from fakenews-es
    "label": ["--label", "label"],  # style-driven, two classes
    "topic": ["--label", "topic"],  # meaning-driven, nine classes
    "sport": ["--label", "topic", "--one-vs-rest", "Sport"],  # rare positives
    "imbalanced": ["--label", "topic", "--keep", "Sport=0.3", "Science=0.3", "Society=0.3", "Entertainment=0.3"],
    "drift": ["--label", "label", "--drift", "topic=Politics"],  # the test set's topic never in the pool
}
LEARNERS = {
    "e5": ["--learners", "setfit-head", "--max-seq-length", "256"],
    "tfidf": ["--learners", "tfidf", "--body", "minilm"],  # reads no body; --resume needs the one the folders name
}
STRATEGIES = ["random", "hedged", "random@redraw"]
OUT = ROOT / "docs" / "benchmarks" / "active-learning" / "target"


def command(run: str, out: Path) -> list[str]:
    """The ``bench/active_learning.py`` command line of one run."""
    name, _, rest = run.partition(":")
    seeds, _, strategies = rest.partition(":")
    base = name.removesuffix("-b16")
    setting = base.removesuffix("-e5")
    if setting not in SETTINGS or not seeds.isdigit() or not int(seeds):
        raise ValueError(
            f"{run}: expected SETTING[-e5][-b16]:SEEDS[:STRATEGY+…] with SETTING one of {', '.join(SETTINGS)}"
        )
    chosen = strategies.split("+") if strategies else STRATEGIES
    unknown = [strategy for strategy in chosen if not known(strategy)]
    if unknown:
        raise ValueError(f"{run}: unknown strategies {', '.join(unknown)}")
    return [
        sys.executable,
        str(ROOT / "bench" / "active_learning.py"),
        *SETTINGS[setting],
        *LEARNERS["e5" if base != setting else "tfidf"],
        "--batch",
        "16" if name != base else "32",
        "--seeds",
        seeds,
        "--strategies",
        *chosen,
        "--small-text",
        "none",
        "--resume",
        "--out",
        str(out / name),
    ]


def run_all(chains: list[list[list[str]]], parallel: int) -> None:
    """Each chain's commands one after another, ``parallel`` chains at a time; after a failure no
    command starts (those running end as they would), and the first failure is raised."""
    failed = threading.Event()

    def one_after_another(chain: list[list[str]]) -> None:
        for argv in chain:
            if failed.is_set():
                return
            try:
                subprocess.run(argv, check=True)
            except subprocess.CalledProcessError:
                failed.set()
                raise

    with ThreadPoolExecutor(parallel) as pool:
        futures = [pool.submit(one_after_another, chain) for chain in chains]
    errors = [future.exception() for future in futures if future.exception()]
    if errors:
        raise errors[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "runs", nargs="+", help="SETTING[-e5][-b16]:SEEDS[:STRATEGY+…], runs into one folder joined by commas"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(os.path.relpath(OUT)), help=f"where the setting folders are (default: {OUT})"
    )
    parser.add_argument("--parallel", type=int, default=2, help="runs at a time (default: 2, one per core)")
    args = parser.parse_args(argv)
    if args.parallel < 1:
        parser.error(f"--parallel {args.parallel}: at least one run at a time")
    try:
        chains = [[command(run, args.out) for run in chain.split(",")] for chain in args.runs]
    except ValueError as error:
        parser.error(str(error))
    try:
        run_all(chains, args.parallel)
    except subprocess.CalledProcessError as error:
        print(f"a run failed (exit {error.returncode}): {' '.join(error.cmd[1:])}", file=sys.stderr)
        return 1
    report = [sys.executable, str(ROOT / "bench" / "worst_setting.py"), str(args.out)]
    return subprocess.run([*report, "--out", str(args.out / "worst_setting.md")]).returncode


if __name__ == "__main__":
    sys.exit(main())
