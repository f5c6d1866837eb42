"""The benchmark's names for variants of a loop strategy: ``NAME@pool`` (typicality among the
candidates, not the target: the loop before) and ``NAME@redraw`` (the same strategy on other
random draws: ``random@redraw`` against random is chance's yardstick). Apart from the runs, so
that reading results imports no model code."""

from __future__ import annotations

from bucle.loop import strategies

POOL_SUFFIX = "@pool"
REDRAW_SUFFIX = "@redraw"


def split(name: str) -> tuple[str, str]:
    """(the loop strategy's name, the variant's suffix or "")."""
    base, at, variant = name.partition("@")
    return base, at + variant


def known(name: str) -> bool:
    """A strategy the loop offers, bare, with ``REDRAW_SUFFIX``, or (one that weighs typicality)
    with ``POOL_SUFFIX``."""
    base, suffix = split(name)
    if base not in strategies.CHOICES:
        return False
    return suffix in ("", REDRAW_SUFFIX) or (suffix == POOL_SUFFIX and strategies.get(base).weighs_typicality)
