"""A round killed at a step resumes there: finished steps are not run again."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bucle.loop.manifest import RoundManifest

SCRIPT = """
import sys, time
from pathlib import Path
from bucle.loop.manifest import RoundManifest

rounds, log = Path(sys.argv[1]), Path(sys.argv[2])

def step(name, seconds=0.0):
    def action():
        with open(log, "a") as handle:
            handle.write(name + "\\n")
        time.sleep(seconds)
        return {"did": name}
    return action

manifest = RoundManifest.open(rounds, 1, strategy="hybrid", seed=7)
for name, seconds in (("pull", 0), ("train", 0), ("export", float(sys.argv[3])), ("gate", 0)):
    manifest.run(name, step(name, seconds))
manifest.finish()
"""


def run(rounds: Path, log: Path, slow: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(rounds), str(log), str(slow)])


def test_a_round_killed_mid_step_resumes_at_that_step(tmp_path):
    rounds, log = tmp_path / "rounds", tmp_path / "steps.log"
    process = run(rounds, log, slow=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "export" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    interrupted = RoundManifest.unfinished(rounds)
    assert interrupted is not None and interrupted.number == 1
    assert list(interrupted.data["steps"]) == ["pull", "train"]

    assert run(rounds, log, slow=0).wait() == 0
    assert log.read_text().split() == ["pull", "train", "export", "export", "gate"]
    finished = json.loads((rounds / "0001" / "manifest.json").read_text())
    assert finished["finished_at"] and finished["strategy"] == "hybrid" and finished["seed"] == 7
    assert finished["steps"]["gate"]["result"] == {"did": "gate"}
    assert RoundManifest.unfinished(rounds) is None


def test_unknown_steps_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown step 'dance'"):
        RoundManifest.open(tmp_path, 1).run("dance", lambda: None)
