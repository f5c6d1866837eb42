"""Processes an embedded server left behind: found by the environment they inherited.

Every argilla-server process of a project carries ``ARGILLA_HOME_PATH=<its state>/server/argilla``,
and so do the processes they fork (rq's pool forks its workers, each worker forks a work horse
in a session of its own). When one is killed with SIGKILL its children live on under init,
where no pid file and no process group reaches them; their environment still names the project.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from bucle.common.processes import is_running, process_parent

VARIABLE = b"ARGILLA_HOME_PATH="


def _environment_home(pid: int) -> str | None:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    for entry in environ.split(b"\0"):
        if entry.startswith(VARIABLE):
            return os.path.realpath(entry[len(VARIABLE) :].decode(errors="replace"))
    return None


def project_processes(home: Path) -> list[int]:
    """Pids of running processes whose environment names ``home`` as Argilla's home."""
    wanted = os.path.realpath(home)
    own = os.getpid()
    return [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit() and int(entry) != own and _environment_home(int(entry)) == wanted
    ]


def _descends_from(pid: int, ancestors: set[int]) -> bool:
    for _ in range(64):  # a process tree is never this deep; stops on a cycle of reused pids
        if pid in ancestors:
            return True
        if pid <= 1:
            return False
        pid = process_parent(pid) or 0
    return False


def strays(home: Path, keep: set[int]) -> list[int]:
    """The project's processes that are neither in ``keep`` nor descend from one of them."""
    return [pid for pid in project_processes(home) if not _descends_from(pid, keep)]


def stop_strays(home: Path, keep: set[int] = frozenset(), grace_s: float = 5.0) -> list[int]:
    """SIGTERM the strays, SIGKILL what is left after ``grace_s``; returns their pids."""
    found = strays(home, set(keep))
    for pid in found:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(is_running(pid) for pid in found):
        time.sleep(0.1)
    for pid in found:
        if is_running(pid):
            _signal(pid, signal.SIGKILL)
    return found


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
