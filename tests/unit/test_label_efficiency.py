"""bench/label_efficiency.py: what each run means, and how the runs share the cores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.active_learning import RESULT_SETTINGS, parse
from bench.label_efficiency import STRATEGIES, command, main, run_all


def settings(argv: list[str]) -> dict:
    args = parse(argv[2:])  # past the interpreter and the script
    return {key: getattr(args, key) for key in RESULT_SETTINGS} | {
        "learners": args.learners,
        "strategies": args.strategies,
        "seeds": args.seeds,
        "out": args.out,
        "resume": args.resume,
        "small_text": args.small_text,
    }


def test_a_run_names_its_setting_learner_batch_seeds_and_strategies(tmp_path):
    e5 = settings(command("drift-e5-b16:128", tmp_path))
    assert e5["learners"] == ["setfit-head"] and e5["max_seq_length"] == 256 and e5["batch"] == 16
    assert e5["drift"] == "topic=Politics" and e5["label"] == "label" and e5["seeds"] == 128
    assert e5["strategies"] == STRATEGIES and e5["out"] == tmp_path / "drift-e5-b16"
    assert e5["resume"] and e5["small_text"] == [], "a make target goes on where it stopped, without small-text"
    tfidf = settings(command("sport:8:random+hedged@pool", tmp_path))
    assert tfidf["learners"] == ["tfidf"] and tfidf["batch"] == 32 and tfidf["one_vs_rest"] == "Sport"
    assert tfidf["strategies"] == ["random", "hedged@pool"] and tfidf["out"] == tmp_path / "sport"
    assert settings(command("imbalanced-b16:3", tmp_path))["keep"] == [
        "Sport=0.3",
        "Science=0.3",
        "Society=0.3",
        "Entertainment=0.3",
    ]


def test_a_run_it_cannot_read_stops_everything_before_any_work(tmp_path, capsys):
    for run in ("labels:8", "label-e5", "label:0", "label:eight", "label-b32:8"):
        with pytest.raises(SystemExit) as stopped:
            main(["topic:3", run, "--out", str(tmp_path)])
        assert stopped.value.code == 2
        assert f"{run}: expected SETTING[-e5][-b16]:SEEDS" in capsys.readouterr().err
    for argv, said in (
        (["topic:3", "label:8:random+hedgd"], "label:8:random+hedgd: unknown strategies hedgd"),
        (["topic:3", "--parallel", "0"], "--parallel 0: at least one run at a time"),
    ):
        with pytest.raises(SystemExit) as stopped:
            main([*argv, "--out", str(tmp_path)])
        assert stopped.value.code == 2 and said in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def marker(path: Path, pause: float = 0.0) -> list[str]:
    """A command that notes when it starts and ends."""
    code = f"import time, pathlib; p = pathlib.Path({str(path)!r}); p.write_text(str(time.time())); time.sleep({pause}); p.with_suffix('.end').write_text(str(time.time()))"
    return [sys.executable, "-c", code]


def times(path: Path) -> tuple[float, float]:
    return float(path.read_text()), float(path.with_suffix(".end").read_text())


def test_runs_go_two_at_a_time_and_a_chain_one_after_another(tmp_path):
    a, b, c, d = (tmp_path / f"{name}.start" for name in "abcd")
    run_all([[marker(a, 3.0), marker(b)], [marker(c, 3.0)], [marker(d)]], parallel=2)
    (a0, a1), (b0, b1), (c0, c1), (d0, d1) = map(times, (a, b, c, d))
    assert b0 >= a1, "a chain's second run began before its first ended"
    assert c0 < a1 and a0 < c1, "the first two chains did not run side by side"
    assert d0 >= min(b1, c1), "a third run began while two were running"


def test_a_failed_run_stops_the_runs_not_yet_started(tmp_path):
    late = tmp_path / "late.start"
    fail = [sys.executable, "-c", "import sys; sys.exit(3)"]
    with pytest.raises(subprocess.CalledProcessError) as failed:
        run_all([[fail], [marker(tmp_path / "slow.start", 2.0)], [marker(late)]], parallel=2)
    assert failed.value.returncode == 3
    assert (tmp_path / "slow.end").exists(), "the run already going was cut short"
    assert not late.exists(), "a run started after another had failed"
