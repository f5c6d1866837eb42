"""One round at a time: a lock file that holds the pid of the process running a round.

The file is created with O_EXCL, so two processes cannot both take it. A lock whose holder is
dead (a crash, a SIGKILL) is stale and is taken over; a live holder makes ``RoundLock`` wait up
to ``timeout_s`` and then refuse with a clear error.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bucle.common.processes import is_alive
from bucle.common.errors import BucleError


class RoundLocked(BucleError):
    """Another process is running a round of this project."""


class RoundLock:
    def __init__(self, path: Path, timeout_s: float = 0.0, poll_s: float = 0.2, what: str = "round") -> None:
        self.path = path
        self.what = what
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.taken_over: int | None = None  # the dead holder's pid, when a stale lock was taken over

    def holder(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def _try(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            holder = self.holder()
            if holder is not None and is_alive(holder, marker=""):
                return False
            self.taken_over = holder
            self.path.unlink(missing_ok=True)  # stale: its holder is gone
            return self._try()
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        return True

    def __enter__(self) -> "RoundLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout_s
        while not self._try():
            if time.monotonic() >= deadline:
                raise RoundLocked(
                    f"another {self.what} is running (pid {self.holder()}, lock {self.path}); try again later"
                )
            time.sleep(self.poll_s)
        return self

    def __exit__(self, *exc) -> None:
        if self.holder() == os.getpid():
            self.path.unlink(missing_ok=True)
