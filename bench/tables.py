"""A benchmark's Markdown table: printed, and written beside the README's others unless smoke."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def show(text: str, out: Path | None) -> None:
    """Print ``text``; write it to ``out`` as well (None: a smoke run, nothing written)."""
    print(text)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}", file=sys.stderr)
