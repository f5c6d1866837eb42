"""A running project's embedded Argilla server for a benchmark's throw-away projects.

Benchmarks that talk to Argilla start a server of their own, unless ``--server`` names a project
whose embedded server is running: then their projects use that server (its port, state folder and
credentials, through symlinks; the test session's sibling projects join its server the same
way) and leave it running. CI's smoke run passes the test session's project: one server for the suite, not four.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bucle.annotation.embedded import control
from bucle.annotation.embedded.ports import free_port
from bucle.loop.config import ProjectConfig, load_config


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        type=Path,
        metavar="BUCLE_YAML",
        help="a project whose embedded server is running: use it instead of starting one",
    )


def port(running: Path | None) -> int:
    """The port a benchmark's project listens on: the running server's, or a free one."""
    return load_config(running).server.port if running is not None else free_port()


def join(config: ProjectConfig, running: Path | None) -> None:
    """Point ``config``'s server state and credentials at the running project's (nothing without one)."""
    if running is None:
        return
    theirs = load_config(running).server_layout
    mine = config.server_layout
    mine.root.parent.mkdir(parents=True, exist_ok=True)
    mine.root.symlink_to(theirs.root)
    mine.credentials.symlink_to(theirs.credentials)


def release(config: ProjectConfig, running: Path | None) -> None:
    """Stop the server ``config`` started; a shared one keeps running."""
    if running is None:
        control.stop(config.server_layout)
