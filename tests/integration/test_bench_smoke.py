"""`make bench-smoke` runs every benchmark end to end at tiny sizes, so that none can rot between
releases; this test is how CI runs it, and it checks each table and figure came out."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from bucle.loop.strategies import DEFAULT

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-artifacts" / "bench-smoke"


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_make_bench_smoke_prints_every_table(project, server, demo_project):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    start = time.perf_counter()
    shared = [
        f"BENCH_SERVER={project.root / 'bucle.yaml'}",  # the session's server, not one per benchmark
        f"BENCH_TRAINED={demo_project.root / 'bucle.yaml'}",  # the session's trained example, not one per benchmark
    ]
    result = subprocess.run(
        ["make", "-s", "bench-smoke", *shared], cwd=ROOT, capture_output=True, text=True, timeout=900, env=environment
    )
    seconds = time.perf_counter() - start
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "bench-smoke.log").write_text(f"{seconds:.0f} s\n{result.stdout}\n{result.stderr}")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout

    # the Argilla server: one row of 200 records, every column filled
    header = next(line for line in out.splitlines() if "SDK ingest rec/s" in line)
    assert "SQLite ceiling rec/s" in header
    row = next(line for line in out.splitlines() if line.startswith("| 200 |"))
    assert all(cells(row))
    # ingest and demo, each with its baseline in the same run
    assert "| bucle ingest (all checks) | 2,000 |" in out and "read + parse JSON (baseline)" in out
    assert "| champion predict_proba (baseline) | 1 | 20 |" in out and "| demo, 2 concurrent clients | 2 |" in out

    # round cost: a first and a steady round, every step timed, the ratio against the smallest pool
    rounds = json.loads((OUT / "round_cost.json").read_text())
    assert [r["kind"] for r in rounds] == ["first", "steady"]
    for r in rounds:
        assert set(r["seconds"]) == {
            "pull",
            "export",
            "fit",
            "evaluate",
            "register",
            "gate",
            "score",
            "select",
            "push",
            "warm",
            "refresh",
            "review",
            "publish",
        }
        assert r["seconds"]["fit"] > 0 and all(mib > 100 for mib in r["peak_mib"].values())
    assert "| first |" in out and "| steady |" in out
    # the annotator's queue: the default low-water mark against 0 in the same run
    queue = json.loads((OUT / "annotator_queue.json").read_text())
    assert [s["answers"] for s in queue] == [10, 10] and all(s["rounds"] >= 1 for s in queue)
    assert "| low_water: default (half a batch) | 10 |" in out and "| low_water: 0 (baseline) | 10 |" in out
    # publishing: both champion families, against copying the files
    assert "| setfit |" in out and "| tfidf |" in out and "copy s (baseline)" in out

    # TF-IDF refits round by round: scikit-learn's pipeline against bucle's, two rounds
    assert (
        "| labels | scikit-learn's pipeline (s) | bucle (s) | baseline ÷ bucle |" in out and "| all 2 rounds |" in out
    )
    # a round's refit on one BLAS thread against BLAS's threads, both families
    assert "| BLAS's threads (s) | one thread (s) | ratio |" in out
    assert "| SetFit head | 2 | 48 |" in out and "| TF-IDF | 2 | 48 |" in out

    # LoRA throughput: the tiny shape on the CPU, each configuration against the baseline
    assert "| tiny-qwen2 | baseline |" in out and "| tiny-qwen2 | large-batch |" in out and "MFU" in out

    # label efficiency: bucle's default and random, small-text's two learners and strategies
    report = json.loads((OUT / "active_learning.json").read_text())
    methods = set(report["summaries"])
    assert {
        "bucle · random · setfit-head",
        f"bucle · {DEFAULT} · setfit-head",
        "bucle · hedged · setfit-head",
        "small-text · breaking-ties · setfit",
        "small-text · random · head",
    } <= methods
    for method, runs in report["curves"].items():
        assert [run["seed"] for run in runs] == ([0] if method.endswith("· setfit") else [0, 1]), (
            method
        )  # SetFit: one seed
        assert all(run["labels"] == [16, 32, 48] for run in runs), method  # the same seed set and batches for all
        assert all(0 <= f1 <= 1 for run in runs for f1 in run["macro_f1"])
    first_points = {method: [run["macro_f1"][0] for run in runs] for method, runs in report["curves"].items()}
    assert (
        first_points["bucle · random · setfit-head"] == first_points[f"bucle · {DEFAULT} · setfit-head"]
    )  # same seed set
    assert (OUT / "active_learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # bodies: the SetFit head beside TF-IDF at each budget, the fine-tune and the zero-shot accuracy
    assert "| SetFit head · minilm |" in out and "| SetFit fine-tuned · minilm |" in out and "zero-shot accuracy" in out
    assert (OUT / "bodies" / "bodies.json").exists()
    # label errors: flipped labels found by confident learning, the model before and after review
    errors = json.loads((OUT / "label_errors.json").read_text())
    assert [run["flipped"] for run in errors["runs"]] == [12] and "| 10 |" in out and "precision@k" in out
    assert "| method (family · strategy · learner) |" in out
    assert f"Default (bucle · {DEFAULT} · setfit-head)" in out or "bucle · setfit-head: not meaningful" in out, (
        "a verdict, or why there is none (the learner at chance)"
    )
