"""Where ``bucle up``'s lines go: one line per event on the console, everything in a log file.

The console gets bucle's own lines (a round started, a round failed and why). Tracebacks,
APScheduler's own messages and Python warnings (the SDK's, torch's) go only to
``.bucle/logs/bucle.log``, so that a failing Argilla gives one clear line per failure instead of
a page of traceback, and nothing is lost for whoever debugs it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler


class _Lines(logging.Handler):
    """One plain line per record, for a console that is not a terminal (a pipe, a file, CI):
    no time column, no padding to the width, no wrapping."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(self.format(record), markup=False, highlight=False, soft_wrap=True)


TRACE = "bucle.trace"  # details for the file only: tracebacks of failed jobs
QUIET = ("apscheduler", "py.warnings")  # their lines go to the file only


def send_logs(console: Console, path: Path) -> Path:
    """Wire bucle's loggers to ``console`` and the log file ``path``; returns it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    to_console = (
        RichHandler(console=console, show_path=False, show_level=False, log_time_format="[%H:%M:%S]")
        if console.is_terminal
        else _Lines(console)
    )
    logging.captureWarnings(True)
    for name, handlers, level in (
        ("bucle", [to_console, to_file], logging.INFO),
        (TRACE, [to_file], logging.DEBUG),
        *((quiet, [to_file], logging.INFO) for quiet in QUIET),
    ):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, (RichHandler, _Lines, logging.FileHandler)):
                logger.removeHandler(handler)
                handler.close()
        for handler in handlers:
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False  # a library may have configured the root logger too
    return path
