"""One round at a time: a lock file that holds the pid of the process running a round.

The file appears with its pid already in it (written to a private file first, then hard-linked
into place, which fails if the lock exists), so no process ever reads an empty lock and takes it
for stale (on a file system without hard links it is created, then written, as before). A lock
whose holder is dead (a crash, a SIGKILL) is taken over under an ``flock`` on its folder, so two
processes that both find it stale cannot both take it. A live holder makes ``RoundLock`` wait up
to ``timeout_s`` and then refuse with a clear error.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bucle.common.processes import is_alive
from bucle.common.errors import BucleError


class RoundLocked(BucleError):
    """Another process is running a round of this project."""


@contextmanager
def _folder_held(folder: Path) -> Iterator[bool]:
    """Whether this process holds the folder's ``flock`` (without waiting: one that holds it may
    be stopped); the kernel lets go of it when its holder dies."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


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
        fd, written = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{os.getpid()}\n")
            return self._take(Path(written))
        finally:
            os.unlink(written)

    def _place(self, written: Path) -> bool:
        """The lock put in place from ``written``; False if one is there."""
        try:
            os.link(written, self.path)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: created, then its pid written
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{os.getpid()}\n")
        return True

    def _take(self, written: Path) -> bool:
        """The lock taken: put in place, or in place of a dead holder's."""
        if self._place(written):
            return True
        with _folder_held(self.path.parent) as held:
            if not held:
                return False
            holder = self.holder()
            if holder is not None and is_alive(holder, marker=""):
                return False
            self.path.unlink(missing_ok=True)  # stale: its holder is gone
            if not self._place(written):
                return False  # taken, between the unlink and the link, by a process that found no lock
            self.taken_over = holder
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
