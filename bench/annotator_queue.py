"""Does an annotator ever face an empty queue? One plays the example project at a human pace.

``bucle up`` runs as a user starts it (embedded Argilla, webhooks, the scheduler); a simulated
annotator works through the API exactly as the UI does: it asks for its next pending record
(``POST /api/v1/me/datasets/{id}/records/search``), reads it for 5–10 s (seeded), submits the
gold label, and asks for the next one at once. Measured per configuration:

- seconds with an empty queue (the annotator asked and nothing was pending) and how often;
- seconds from an answer to the next record on screen (p50/p95): what the annotator waits;
- seconds from an answer to the end of the first round that trained on it (p50/p95): from then
  on every record waiting in Argilla carries a suggestion of a model that learned from it.

The default (``loop.schedule.low_water``: a round when half a batch is left) is compared with
``low_water: 0`` (a round only once the queue is empty, the behaviour before) in the same run,
on the same server, one after the other.

    python bench/annotator_queue.py                              # 100 answers each, 5–10 s apart
    python bench/annotator_queue.py --answers 12 --pace 1 2 --smoke
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bucle.annotation import http_api  # noqa: E402
from bucle.annotation.client import connect  # noqa: E402
from bucle.annotation.credentials import CredentialsFile  # noqa: E402
from bucle.annotation.datasets import LABEL_QUESTION  # noqa: E402
from bench import example_project, shared_server  # noqa: E402
from bucle.loop.adapters import owner_client  # noqa: E402
from bucle.loop.config import ProjectConfig  # noqa: E402
from bucle.loop.manifest import RoundManifest  # noqa: E402
from bucle.loop.pool import Pool  # noqa: E402
from bucle.loop.step_results import result  # noqa: E402
from bucle.training.bodies import minilm  # noqa: E402

RESULTS = ROOT / "docs" / "benchmarks"
SMOKE_RESULTS = ROOT / "test-artifacts" / "bench-smoke"
POLL_S = 0.25  # how often an annotator facing an empty queue asks again (the UI's own reload is slower)
START_TIMEOUT_S = 600
SMOKE_ROWS = 150  # of each data file: the smoke run checks the table, not the queue of a real pool


@dataclass
class Session:
    setting: str
    answers: int = 0
    empty_s: float = 0.0
    empty_times: int = 0  # answers after which the queue was empty
    waits: list[float] = field(default_factory=list)  # answer -> next record available
    fresh: list[float] = field(default_factory=list)  # answer -> end of the first round trained on it
    not_trained_on: int = 0  # the last answers, which no round took up before the end
    rounds: int = 0
    trainings: int = 0  # rounds that retrained (min_new_labels new labels since the last training)
    minutes: float = 0.0

    def row(self) -> dict[str, float]:
        p = lambda values, q: float(np.percentile(values, q)) if values else float("nan")  # noqa: E731
        return {
            "empty_s": self.empty_s,
            "empty_times": self.empty_times,
            "wait_p50": p(self.waits, 50),
            "wait_p95": p(self.waits, 95),
            "fresh_p50": p(self.fresh, 50),
            "fresh_p95": p(self.fresh, 95),
        }


def project(folder: Path, name: str, port: int, low_water: int | None, smoke: bool) -> ProjectConfig:
    """The example project under another name; ``low_water`` None: the default."""
    schedule = {"low_water": low_water} if low_water is not None else {}
    if not smoke:
        return example_project.copy(folder, name=name, server={"port": port}, loop={"schedule": schedule})
    small = {"max_seq_length": 64, "bootstrap_samples": 100, "body": minilm()}
    return example_project.copy(
        folder, rows=SMOKE_ROWS, name=name, server={"port": port}, loop={"schedule": schedule}, model=small
    )


def finished(config: ProjectConfig) -> list[RoundManifest]:
    return [m for m in RoundManifest.all(config.state.rounds) if m.finished]


def epoch(stamp: str) -> float:
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def play(config: ProjectConfig, setting: str, answers: int, pace: tuple[float, float], seed: int, log: Path) -> Session:
    """Start ``bucle up``, answer ``answers`` records at ``pace``, stop it; what the annotator lived."""
    service = subprocess.Popen(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(config.root / "bucle.yaml"), "up"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    session = Session(setting)
    submitted: list[tuple[str, float]] = []
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not finished(config) or "listening" not in log.read_text(encoding="utf-8", errors="replace"):
            if service.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bucle up did not start ({log}):\n{log.read_text()[-2000:]}")
            time.sleep(1)
        with Pool(config.state.pool) as pool:
            gold = {r.id: r.gold for r in pool.records(split="pool")}
        who = CredentialsFile(config.server_layout.credentials).load()[config.annotation.annotators[0]]
        annotator = connect(config.argilla_url, who.api_key, who=who.username)
        dataset = owner_client(config).datasets(name=config.name, workspace=config.workspace)
        rng = random.Random(seed)
        began = time.monotonic()
        last = time.monotonic()
        while session.answers < answers:
            empty_since = None
            while not (shown := http_api.pending_for_me(annotator, dataset)):
                empty_since = empty_since or time.monotonic()
                time.sleep(POLL_S)
            now = time.monotonic()
            if empty_since is not None:
                session.empty_s += now - empty_since
                session.empty_times += 1
            if session.answers:
                session.waits.append(now - last)
            time.sleep(rng.uniform(*pace))  # reading the text
            record = shown[0]
            http_api.submit_response(annotator, record["id"], LABEL_QUESTION, gold[record["external_id"]])
            last = time.monotonic()
            submitted.append((record["external_id"], time.time()))
            session.answers += 1
            print(
                f"  {setting}: {session.answers}/{answers} answered, {session.empty_s:.1f} s empty so far",
                file=sys.stderr,
                flush=True,
            )
        session.minutes = (time.monotonic() - began) / 60
    finally:
        service.send_signal(signal.SIGINT)
        try:
            service.wait(timeout=120)
        except subprocess.TimeoutExpired:
            service.kill()
    trained_on, waiting = {}, []  # record -> when the first round that trained on it finished
    for manifest in finished(config):
        waiting += result(manifest, "pull").received or []  # a round that did not train leaves them to the next
        if result(manifest, "train").trained:
            session.trainings += 1
            trained_on.update(dict.fromkeys(waiting, epoch(manifest.data["finished_at"])))
            waiting = []
    session.rounds = len(finished(config))
    for record, at in submitted:
        if record in trained_on:
            session.fresh.append(max(0.0, trained_on[record] - at))
        else:
            session.not_trained_on += 1
    return session


def table(sessions: list[Session], pace: tuple[float, float]) -> str:
    base = sessions[-1].row()
    lines = [
        f"A simulated annotator answering the example at one record every {pace[0]:g}–{pace[1]:g} s "
        "(the UI's API calls), `bucle up` running.",
        "",
        "| setting | answers | rounds (retrained) | empty queue s (times) | answer → next record s p50 / p95 | "
        "answer → trained on s p50 / p95 | empty s × baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sessions:
        row = s.row()
        ratio = row["empty_s"] / base["empty_s"] if base["empty_s"] else float("nan")
        lines.append(
            f"| {s.setting} | {s.answers} | {s.rounds} ({s.trainings}) | {row['empty_s']:.1f} ({s.empty_times}) | "
            f"{row['wait_p50']:.2f} / {row['wait_p95']:.2f} | {row['fresh_p50']:.0f} / {row['fresh_p95']:.0f} | "
            f"{ratio:.2f} |"
        )
    lines += [
        "",
        "Answers no round had trained on when the session ended (not in the last columns): "
        + ", ".join(f"{s.setting} {s.not_trained_on}" for s in sessions)
        + ".",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=100, help="answers per setting")
    parser.add_argument("--pace", type=float, nargs=2, default=[5.0, 10.0], help="seconds per answer, min and max")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="short texts' settings (max_seq_length 64), results in test-artifacts/bench-smoke",
    )
    shared_server.add_argument(parser)
    args = parser.parse_args(argv)
    pace = (args.pace[0], args.pace[1])
    out = SMOKE_RESULTS if args.smoke else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    settings = (("low_water: default (half a batch)", "cola-mitad", None), ("low_water: 0 (baseline)", "cola-cero", 0))
    sessions: list[Session] = []
    with tempfile.TemporaryDirectory(prefix="bucle-bench-queue-") as scratch:
        port, first = shared_server.port(args.server), None
        try:
            for setting, name, low_water in settings:
                config = project(Path(scratch) / name, name, port, low_water, args.smoke)
                shared_server.join(config, args.server or (first.root / "bucle.yaml" if first else None))
                first = first or config
                print(f"{setting}…", file=sys.stderr, flush=True)
                sessions.append(play(config, setting, args.answers, pace, args.seed, Path(scratch) / f"{name}.log"))
        finally:
            if first is not None:
                shared_server.release(first, args.server)
    report = table(sessions, pace)
    print(report)
    (out / "annotator_queue.md").write_text(report + "\n", encoding="utf-8")
    (out / "annotator_queue.json").write_text(json.dumps([asdict(s) for s in sessions], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
