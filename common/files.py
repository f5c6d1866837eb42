"""Writing a file so that a crash leaves the old content or the new one, never half of either."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any


def write_atomically(path: Path, content: str | bytes, mode: int = 0o644) -> None:
    """Write ``content`` to a temporary file beside ``path`` (created with ``mode``), fsync it,
    rename it over ``path`` and fsync the folder, so that the rename itself survives a crash."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed or widened what os.open gave
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_json_atomically(path: Path, data: Any, mode: int = 0o644) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False), mode)


def link_tree(source: Path, target: Path, skip: frozenset[str] = frozenset()) -> None:
    """Fill ``target`` with the files of ``source`` as hard links (the same bytes on disk, so a
    body shared by many versions is stored once), copying where linking is impossible (another
    file system). Top-level names in ``skip`` are left out."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if relative.parts[0] in skip or not path.is_file():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)
