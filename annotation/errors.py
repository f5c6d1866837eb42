"""Errors a user can act on, on top of the base they share with training (``common.errors``).

The CLI prints them as one line (and the log to read, where there is one), never as a traceback.
"""

from __future__ import annotations

from bucle.common.errors import BucleError, StateError

__all__ = ["BucleError", "ServerError", "StateError", "ArgillaError"]


class ServerError(BucleError):
    """The embedded Argilla server could not be started, stopped or reached."""


class ArgillaError(BucleError):
    """Argilla refused a request or could not be reached."""
