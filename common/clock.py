"""Timestamps, in the two forms bucle writes: ISO 8601 UTC in records, compact in file names."""

from __future__ import annotations

import time


def utc_now() -> str:
    """``2026-11-27T17:30:00Z``: what manifests, decisions and queues record."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def file_stamp() -> str:
    """``20261127-173000`` (local time): for files set aside or reports kept side by side."""
    return time.strftime("%Y%m%d-%H%M%S")
