"""Processes: pid files, and telling a live process of ours from a stale file or a reused pid (the
embedded server's supervisor, the round lock and the scheduler's jobs all need it)."""

from __future__ import annotations

import ctypes
import functools
import os
import signal
from pathlib import Path
from typing import Callable

from bucle.common.files import write_atomically

PR_SET_PDEATHSIG = 1


def write(path: Path, pid: int) -> None:
    write_atomically(path, f"{pid}\n")


def read(path: Path) -> int | None:
    """The pid in ``path``; None if there is no file or it does not hold a pid."""
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, pgrp, session, …"""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return []


def process_parent(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if len(fields) > 1 else None


def session_leader(pid: int) -> bool:
    """True if ``pid`` started its own session (as bucle's background children do)."""
    fields = _stat_fields(pid)
    return len(fields) > 3 and int(fields[3]) == pid


def is_running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] not in {"Z", "X"}


def is_alive(pid: int, marker: str) -> bool:
    """True if ``pid`` runs (a zombie does not) and its command line contains ``marker``
    (pids get reused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return is_running(pid) and marker in command_line(pid)


@functools.cache
def _prctl() -> Callable[..., int]:
    return ctypes.CDLL("libc.so.6", use_errno=True).prctl


def dies_with_this_process() -> Callable[[], None]:
    """A ``preexec_fn`` after which the child gets SIGTERM when the thread that started it dies
    (SIGKILL of the whole process included), and exits at once if that happened before. libc is
    resolved here, in the parent, so that nothing is loaded between fork and exec."""
    prctl, parent = _prctl(), os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return preexec
