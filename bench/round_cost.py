"""Cost of one round of the loop at pool sizes 1k, 10k and 50k: seconds and peak memory per step.

For each size a fresh project is built around a pool of recombined Spanish news sentences (with
the dirt ``bench/ingest.py`` mixes in) and the example's real test set, on its own embedded
Argilla server. Two rounds are measured, in this process so that memory is the round's own:

- the first round, started by ``bring_up``: it embeds what rounds read once (test set, stop set,
  the window of ``loop.candidates``; the cache every later round reads), trains on the seed
  labels and sends the first batch;
- a steady round, after the simulated annotator answered that batch: what annotators wait for
  every time (the head refit on cached embeddings, never a fine-tune).

Steps are the round's own (``loop.manifest.STEPS``); the train step is split into fitting, the
evaluation on the test set (metrics with bootstrap intervals, bias slices, counterfactuals) and
registering (model, card). Peak memory is this process's resident set, sampled every 10 ms (the
Argilla server is another process). The 1k pool is the baseline of the ratio column.

    python bench/round_cost.py                     # 1k, 10k, 50k
    python bench/round_cost.py --sizes 300 --smoke  # what CI runs
    python bench/round_cost.py --sizes 10000 --loop embed_before_push=4096 warm_ahead=512 --out /tmp/before
                                                    # other loop settings (here: the whole first window embedded before the push)
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.corpus import DEFAULT  # noqa: E402
from bench.ingest import make_rows  # noqa: E402
from bench import shared_server  # noqa: E402
from bucle.loop.config import ProjectConfig, load_config  # noqa: E402
from bucle.loop.ingest.pipeline import ingest  # noqa: E402
from bucle.loop.manifest import STEPS, RoundManifest  # noqa: E402
from bucle.loop.adapters import owner_client  # noqa: E402
from bucle.loop.project import bring_up  # noqa: E402
from bucle.loop.rounds import run_round  # noqa: E402
from bucle.loop.simulate import annotator_clients, answer  # noqa: E402
from bucle.loop.step_results import result  # noqa: E402
from bucle.loop.context import registry  # noqa: E402
from bucle.training.bodies import minilm  # noqa: E402

RESULTS = ROOT / "docs" / "benchmarks"  # published: the README shows them
SMOKE_RESULTS = ROOT / "test-artifacts" / "bench-smoke"
COLUMNS = [
    "pull",
    "export",
    "fit",
    "evaluate",
    "register",
    "gate",
    "select",
    "push",
    "warm",
    "score",
    "refresh",
    "review",
    "publish",
]
TARGET_10K_S = 300


class PeakMemory:
    """This process's peak resident set between two ``cut()`` calls, sampled by a thread."""

    def __init__(self, every_s: float = 0.01) -> None:
        self._process = psutil.Process()
        self._peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every_s,), daemon=True)
        self._thread.start()

    def _sample(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            rss = self._process.memory_info().rss
            with self._lock:
                self._peak = max(self._peak, rss)

    def cut(self) -> float:
        """MiB at the peak since the last cut; the next period starts from the current size."""
        with self._lock:
            peak, self._peak = max(self._peak, self._process.memory_info().rss), self._process.memory_info().rss
        return peak / 2**20

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class RoundCost:
    pool: int
    kind: str  # "first" or "steady"
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mib: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def waited(self) -> float:
        """Pull to push: what annotators wait for between a submitted batch and the next one."""
        return sum(self.seconds[c] for c in COLUMNS[: COLUMNS.index("push") + 1])


STEP_DONE = re.compile(r"^round \d+ · (\w+) \(")


class StepMeter(logging.Handler):
    """The round's log lines mark the end of each step: the memory peak is cut there."""

    def __init__(self, memory: PeakMemory) -> None:
        super().__init__(logging.INFO)
        self.memory = memory
        self.peaks: dict[str, float] = {}
        logger = logging.getLogger("bucle.loop")
        logger.setLevel(logging.INFO)
        logger.addHandler(self)

    def start(self) -> None:
        self.memory.cut()
        self.peaks = {}

    def emit(self, record: logging.LogRecord) -> None:
        done = STEP_DONE.match(record.getMessage())
        if done and done.group(1) in STEPS:
            self.peaks[done.group(1)] = self.memory.cut()


def write_project(folder: Path, size: int, port: int, smoke: bool, loop: dict[str, Any]) -> ProjectConfig:
    (folder / "data").mkdir(parents=True)
    with open(folder / "data" / "pool.jsonl", "w", encoding="utf-8") as handle:
        for row in make_rows(size, seed=size):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    test = (DEFAULT / "dev.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "data" / "test.jsonl").write_text("".join(test[:100] if smoke else test), encoding="utf-8")
    settings = {
        "name": f"coste-{size}",
        "ods": [16],
        "labels": {"falsa": "Falsa", "verdadera": "Verdadera"},
        "guidelines": "# Guía\n\nElige la etiqueta correcta.",
        "data": {
            "sources": [{"path": "data/pool.jsonl"}, {"path": "data/test.jsonl", "role": "test"}],
            "text": ["text"],
            "id": "id",
            "label": "label",
            "seed_size": 32,
        },
        "annotation": {"annotators": ["anotadora-1"]},
        "server": {"port": port},
        "model": {"max_seq_length": 64, "bootstrap_samples": 100, "body": minilm()} if smoke else {},  # the small body
        # the smoke pool is smaller than the default window
        "loop": {**({"candidates": 100} if smoke else {}), **loop},
    }
    path = folder / "bucle.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def costs(config: ProjectConfig, manifest: RoundManifest, peaks: dict[str, float], pool: int, kind: str) -> RoundCost:
    cost = RoundCost(pool, kind)
    for step in STEPS:
        seconds = manifest.data["steps"][step]["seconds"]
        if step == "train" and result(manifest, "train").trained:
            reg = registry(config)
            parts = [reg.metrics(version)["seconds"] for version in result(manifest, "train").versions]
            cost.seconds["fit"] = sum(p["train"] for p in parts)
            cost.seconds["evaluate"] = sum(p["evaluate"] for p in parts)
            cost.seconds["register"] = max(0.0, seconds - cost.seconds["fit"] - cost.seconds["evaluate"])
            cost.peak_mib.update(dict.fromkeys(("fit", "evaluate", "register"), peaks.get(step, 0.0)))
        elif step == "train":
            cost.seconds.update(fit=seconds, evaluate=0.0, register=0.0)
            cost.peak_mib.update(dict.fromkeys(("fit", "evaluate", "register"), peaks.get(step, 0.0)))
        else:
            cost.seconds[step] = seconds
            cost.peak_mib[step] = peaks.get(step, 0.0)
    return cost


def measure(
    size: int, folder: Path, running: Path | None, smoke: bool, meter: StepMeter, loop: dict[str, Any]
) -> tuple[int, float, list[RoundCost]]:
    config = write_project(folder, size, shared_server.port(running), smoke, loop)
    shared_server.join(config, running)
    start = time.perf_counter()
    report = ingest(config)
    ingest_s = time.perf_counter() - start
    pool = report.pool_size
    try:
        meter.start()
        bring_up(config)
        first = RoundManifest.all(config.state.rounds)[-1]
        results = [costs(config, first, meter.peaks, pool, "first")]
        owner = owner_client(config)
        dataset = owner.datasets(name=config.name, workspace=config.workspace)
        clients = annotator_clients(config, config.annotation.annotators[:1])
        gold = {
            row["id"]: row["label"] for row in map(json.loads, (folder / "data" / "pool.jsonl").open(encoding="utf-8"))
        }
        answer(owner, clients, dataset, {i: gold[i] for i in result(first, "select").ids})
        meter.start()
        run_round(config)
        steady = RoundManifest.all(config.state.rounds)[-1]
        results.append(costs(config, steady, meter.peaks, pool, "steady"))
    finally:
        shared_server.release(config, running)
    return pool, ingest_s, results


def table(rows: list[RoundCost], ingest_s: dict[int, float]) -> str:
    baseline = {r.kind: r.total for r in rows if r.pool == rows[0].pool}
    lines = [
        "Seconds per step (peak MiB of the bucle process during the step).",
        "",
        f"| pool | round | {' | '.join(COLUMNS)} | total s | pull → push s | × {rows[0].pool:,}-pool round |",
        f"| ---: | --- | {' | '.join('---:' for _ in COLUMNS)} | ---: | ---: | ---: |",
    ]
    for r in rows:
        cells = [f"{r.seconds[c]:.1f} ({r.peak_mib[c]:,.0f})" for c in COLUMNS]
        lines.append(
            f"| {r.pool:,} | {r.kind} | {' | '.join(cells)} | {r.total:.1f} | {r.waited:.1f} | "
            f"{r.total / baseline[r.kind]:.2f} |"
        )
    lines += ["", "| pool | ingest s (not part of a round) |", "| ---: | ---: |"]
    lines += [f"| {pool:,} | {seconds:.1f} |" for pool, seconds in ingest_s.items()]
    lines.append("")
    for r in rows:
        verdict = "met" if r.total < TARGET_10K_S else "NOT met"
        lines.append(
            f"- {r.kind.capitalize()} round over a {r.pool:,}-text pool: {r.total:.1f} s (target < {TARGET_10K_S} s: "
            f"{verdict}); its batch in Argilla after {r.waited:.1f} s."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000], help="rows generated per pool")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="what CI runs: max_seq_length 64, 100 bootstrap samples, "
        "a 100-text test set, a window of 100 candidates, results in test-artifacts/bench-smoke",
    )
    parser.add_argument(
        "--loop",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="bucle.yaml loop settings to measure instead of the defaults (values as YAML reads them)",
    )
    parser.add_argument("--out", type=Path, help="folder for round_cost.md and .json (default: docs/benchmarks)")
    shared_server.add_argument(parser)
    args = parser.parse_args(argv)
    loop = {}
    for setting in args.loop:
        key, equals, value = setting.partition("=")
        if not equals or not key:
            parser.error(f"--loop takes KEY=VALUE, not {setting!r}")
        loop[key] = yaml.safe_load(value)
    meter = StepMeter(PeakMemory())
    rows: list[RoundCost] = []
    ingested: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="bucle-bench-rounds-") as scratch:
        for size in args.sizes:
            print(f"pool of {size:,} rows…", file=sys.stderr, flush=True)
            pool, seconds, results = measure(size, Path(scratch) / str(size), args.server, args.smoke, meter, loop)
            ingested[pool] = seconds
            rows += results
            for r in results:
                print(f"  {r.kind} round: {r.total:.1f} s", file=sys.stderr, flush=True)
    meter.memory.close()
    report = table(rows, ingested)
    print(report)
    out = args.out or (SMOKE_RESULTS if args.smoke else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    (out / "round_cost.md").write_text(report + "\n", encoding="utf-8")
    (out / "round_cost.json").write_text(json.dumps([asdict(r) for r in rows], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
