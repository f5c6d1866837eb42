"""A copy of the pool after every round, and putting one back when the pool is damaged.

The pool holds the annotators' labels between rounds; Argilla holds their answers for good. A
copy per round (the last ``KEPT``) means a damaged or emptied pool costs nothing: the copy goes
back and the next round's pull brings every answer given since.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bucle.common.errors import StateError
from bucle.common.sqlite_files import is_sound, move_aside
from bucle.loop.config import ProjectConfig
from bucle.loop.pool import Pool

KEPT = 3


def backup_pool(config: ProjectConfig, round_number: int, pool: Pool | None = None) -> Path:
    """Copy the pool as round ``round_number`` left it; only the newest ``KEPT`` stay."""
    folder = config.state.backups
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = config.state.pool_backup(round_number)
    with Pool.shared(config.state.pool, pool) as pool:
        pool.backup(target)
    for old in sorted(folder.glob("pool-*.sqlite"))[:-KEPT]:
        old.unlink(missing_ok=True)
    return target


def restore_pool(config: ProjectConfig) -> tuple[Path, Path | None]:
    """Put back the newest sound copy; the current pool (and its WAL files) is moved aside, never
    deleted. Returns the copy used and where the old pool went (None if there was none)."""
    copies = [path for path in sorted(config.state.backups.glob("pool-*.sqlite"), reverse=True) if is_sound(path)]
    if not copies:
        raise StateError(
            f"There is no sound copy of the pool in {config.state.backups} (one is kept after every "
            "round); delete the pool and run `bucle ingest`, then `bucle round` to pull the answers"
        )
    pool = config.state.pool
    aside = move_aside(pool) if pool.exists() else None
    tmp = pool.with_name(f".{pool.name}.restoring")
    shutil.copyfile(copies[0], tmp)
    tmp.replace(pool)
    return copies[0], aside
