"""Progress bars for work that takes more than a few seconds (embedding a pool, fine-tuning a
body, benchmarks): one rich bar on the terminal, nothing at all when stderr is not a terminal
(the scheduler's log, CI, tests), so logs never fill with redrawn bars."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

Advance = Callable[[int], None]


def shown() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def progress(description: str, total: int) -> Iterator[Advance]:
    """A bar of ``total`` steps while the block runs; call the yielded function with each step
    count done."""
    if not shown():
        yield lambda _steps: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda steps: bar.advance(task, steps)
