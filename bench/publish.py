"""Benchmark of publishing: seconds per publish and each repository's size, for a TF-IDF and a
SetFit champion of the example project, on the local target.

A copy of the example project is ingested and trained once (both families registered;
``--trained`` copies a project trained so instead); each
family is made champion in turn and published three ways: the first publish of that champion,
the same publish again (nothing changed: no commit), and after a rollback to the other family
and back (a new commit of files git already holds). Baseline in the same run: copying the model
repository's files (``shutil.copytree``), what any publish must at least do, so the ratio
column shows what git (hashing, compressing, committing) adds.

    python bench/publish.py
    python bench/publish.py --smoke   # what CI runs: sequences of 64 tokens
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench import example_project  # noqa: E402
from bucle.loop.publish import publish  # noqa: E402
from bucle.loop.context import registry  # noqa: E402
from bucle.publishing.content import listing, model_files  # noqa: E402
from bucle.training.bodies import minilm  # noqa: E402


def size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="what CI runs: max_seq_length 64")
    example_project.add_argument(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bucle-bench-publish-") as scratch:
        small = {"max_seq_length": 64, "body": minilm()}  # the smoke run times publishing, not the default body
        model = {"bootstrap_samples": 100, **(small if args.smoke else {})}
        config = example_project.trained(Path(scratch) / "proyecto", args.trained, model)
        reg = registry(config)
        versions = {name.split("-")[1]: name for name in reg.names()}  # the latest of each family
        rows = []
        for family, version in versions.items():
            other = next(v for f, v in versions.items() if f != family)
            reg.set_champion(version, "manual", "benchmark")
            copy = timed(lambda: shutil.copytree(reg.path(version) / "model", Path(scratch) / f"copy-{family}"))
            first = timed(lambda: publish(config))
            again = timed(lambda: publish(config))
            reg.set_champion(other, "manual", "benchmark")
            publish(config)
            reg.set_champion(version, "manual", "benchmark")
            back = timed(lambda: publish(config))
            files = listing(model_files(reg.path(version), Path(scratch) / f"listing-{family}"))
            rows.append(
                (
                    family,
                    sum(files.values()) / 2**20,
                    size_mib(config.state.publish / "model.git"),
                    size_mib(config.state.publish / "dataset.git"),
                    size_mib(config.state.publish / "space.git"),
                    copy,
                    first,
                    again,
                    back,
                )
            )
    lines = [
        "| champion | model files MiB | model.git MiB so far | dataset.git MiB | space.git MiB | copy s (baseline) | "
        "first publish s | again (no change) s | back after a rollback s | first ÷ copy |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for family, files, model, dataset, space, copy, first, again, back in rows:
        lines.append(
            f"| {family} | {files:.1f} | {model:.1f} | {dataset:.1f} | {space:.1f} | {copy:.2f} | {first:.2f} | "
            f"{again:.2f} | {back:.2f} | {first / copy:.0f}× |"
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
