"""Stopping signals and the round lock."""

import os
import subprocess
import sys

import pytest

from bucle.loop.lock import RoundLock, RoundLocked
from bucle.loop.stopping import cohen_kappa, signals


def test_cohen_kappa_by_hand():
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == 1.0
    # observed 0.5, expected 0.5 -> 0
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == pytest.approx(0.0)
    # observed 0.8; p(a)=0.6/0.4, p(b)=0.4/0.6 -> expected 0.48 -> kappa 0.6154
    assert cohen_kappa(list("aaabb"), list("aabbb")) == pytest.approx((0.8 - 0.48) / 0.52)


def test_stabilising_predictions_budget_and_plateau():
    stable = [list("aabb"), list("abab"), list("abab"), list("abab"), list("abab")]
    result = signals(stable, labels_used=50, label_budget=100, macro_f1_by_round=[0.5, 0.6, 0.7, 0.75, 0.8])
    assert result.stabilised and not result.budget_spent and not result.plateau and result.stop
    assert "predictions are stable" in result.advice
    moving = [list("aabb"), list("abab"), list("abba"), list("baab")]
    assert not signals(moving, 50, 100, [0.5, 0.6]).stabilised
    assert signals(moving, 100, 100, [0.5]).budget_spent
    flat = signals(moving, 10, 100, [0.60, 0.70, 0.701, 0.69, 0.702])
    assert flat.plateau and "has not gained" in flat.advice
    assert signals(moving, 10, 100, [0.6, 0.7]).advice == "keep annotating"


def test_the_lock_refuses_a_second_round_and_takes_over_a_dead_holders_lock(tmp_path):
    path = tmp_path / "round.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        path.write_text(f"{holder.pid}\n")
        with pytest.raises(RoundLocked, match=f"pid {holder.pid}"):
            with RoundLock(path, timeout_s=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
    with RoundLock(path) as lock:
        assert lock.taken_over == holder.pid
        assert lock.holder() == os.getpid()
    assert not path.exists()


TAKE_AND_LET_GO = """
import sys
from pathlib import Path
from bucle.loop.lock import RoundLock
for _ in range(int(sys.argv[2])):
    with RoundLock(Path(sys.argv[1])):
        pass
"""

TAKE_ON_GO = """
import sys
from pathlib import Path
from bucle.loop.lock import RoundLock, RoundLocked
print("ready", flush=True)
sys.stdin.readline()
try:
    with RoundLock(Path(sys.argv[1])):
        print("took", flush=True)
        sys.stdin.read()  # held until every process has tried
except RoundLocked:
    print("refused", flush=True)
"""


def test_a_lock_file_is_never_seen_without_its_holders_pid(tmp_path):
    path = tmp_path / "round.lock"
    taker = subprocess.Popen([sys.executable, "-c", TAKE_AND_LET_GO, str(path), "3000"])
    seen = set()
    while taker.poll() is None:
        try:
            seen.add(path.read_text())
        except FileNotFoundError:
            pass
    assert taker.returncode == 0
    assert seen and seen <= {f"{taker.pid}\n"}, "an empty lock reads as a dead holder's, and is taken over"


def test_of_several_processes_that_find_a_dead_holders_lock_one_takes_it(tmp_path):
    path = tmp_path / "round.lock"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path.write_text(gone.stdout)
    takers = [
        subprocess.Popen(
            [sys.executable, "-c", TAKE_ON_GO, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    try:
        assert [taker.stdout.readline() for taker in takers] == ["ready\n"] * 6
        for taker in takers:
            taker.stdin.write("go\n")
            taker.stdin.flush()
        said = [taker.stdout.readline().strip() for taker in takers]
    finally:
        for taker in takers:
            taker.stdin.close()
            taker.wait(timeout=60)
    assert sorted(said) == ["refused"] * 5 + ["took"], said


def test_where_hard_links_fail_the_lock_is_created_then_written(tmp_path, monkeypatch):
    def no_links(*args):
        raise PermissionError(1, "Operation not permitted")  # as on a file system without hard links

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "round.lock"
    with RoundLock(path) as lock:
        assert lock.holder() == os.getpid() and oct(path.stat().st_mode & 0o777) == "0o600"
        with pytest.raises(RoundLocked, match=f"pid {os.getpid()}"):
            with RoundLock(path):
                pass
    assert not path.exists() and not list(tmp_path.iterdir()), "no private file left behind"


def test_criteria_are_small_classes_with_their_own_thresholds():
    from bucle.loop.stopping import History, LabelBudget, Plateau, StabilisingPredictions

    history = History([list("aabb"), list("abab"), list("abab")], labels_used=40, macro_f1_by_round=[0.6, 0.61, 0.612])
    assert StabilisingPredictions(threshold=0.99, window=1).reason(history)
    assert StabilisingPredictions(threshold=0.99, window=2).reason(history) is None
    assert LabelBudget(40).reason(history) and LabelBudget(41).reason(history) is None
    assert Plateau(window=2, min_gain=0.02).reason(history) and Plateau(window=2, min_gain=0.01).reason(history) is None


def test_stopping_thresholds_come_from_the_config(tmp_path):
    from bucle.loop.config import load_config

    path = tmp_path / "bucle.yaml"
    path.write_text("name: x\nlabels: {a: A, b: B}\nguidelines: g\nloop: {stopping: {kappa: 0.95, window: 5}}\n")
    stopping = load_config(path).loop.stopping
    assert (stopping.kappa, stopping.window, stopping.min_gain) == (0.95, 5, 0.005)
