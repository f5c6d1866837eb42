"""The local target: each repository a bare git repository (``git clone`` it, ``git push`` it to
the Hub later), one commit and one tag per publish.

A publish never touches a work tree: the files are added to a private index with ``--work-tree``
pointing at them, the tree and commit are written as objects, and only then is ``main`` moved,
with a compare-and-swap ``update-ref``. A publish killed at any point leaves ``main`` at the old
commit or the new one; the objects of an interrupted one are unreferenced and harmless.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bucle.common.errors import BucleError

BRANCH = "main"
AUTHOR = {
    "GIT_AUTHOR_NAME": "bucle",
    "GIT_AUTHOR_EMAIL": "bucle@localhost",
    "GIT_COMMITTER_NAME": "bucle",
    "GIT_COMMITTER_EMAIL": "bucle@localhost",
}


class PublishError(BucleError):
    """A repository could not be written; nothing was half-published."""


@dataclass(frozen=True)
class Published:
    repository: str
    commit: str
    tag: str | None  # None when nothing changed (no new commit, no new tag)
    changed: bool


class LocalRepository:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _git(self, *args: str, env: dict[str, str] | None = None, work_tree: Path | None = None) -> str:
        command = ["git", f"--git-dir={self.path}", *([f"--work-tree={work_tree}"] if work_tree else []), *args]
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **AUTHOR, **(env or {})})
        if done.returncode != 0:
            raise PublishError(f"git {args[0]} failed in {self.path}: {done.stderr.strip()[-300:]}")
        return done.stdout.strip()

    def _ensure(self) -> None:
        if not (self.path / "HEAD").exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["git", "init", "-q", "--bare", f"--initial-branch={BRANCH}", str(self.path)],
                check=True,
                capture_output=True,
            )

    def head(self) -> str | None:
        if not (self.path / "HEAD").exists():
            return None
        done = subprocess.run(
            ["git", f"--git-dir={self.path}", "rev-parse", "-q", "--verify", f"refs/heads/{BRANCH}"],
            capture_output=True,
            text=True,
        )
        return done.stdout.strip() or None

    def tags(self) -> dict[str, str]:
        """Tag -> the commit it points to."""
        if self.head() is None:
            return {}
        listing = self._git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags")
        return dict(line.split() for line in listing.splitlines())

    def publish(self, files: Path, tag: str, message: str) -> Published:
        """Make ``main`` hold exactly the files under ``files`` (one commit, tagged ``tag``, or a
        free variant of it); no commit when they are what ``main`` holds already."""
        self._ensure()
        parent = self.head()
        with tempfile.TemporaryDirectory(prefix="bucle-index-") as scratch:
            index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self._git("add", "--all", "--force", ".", env=index, work_tree=files)
            tree = self._git("write-tree", env=index)
        if parent is not None and self._git("rev-parse", f"{parent}^{{tree}}") == tree:
            # the same files: no commit; a tag only if a publish was killed between the two
            tagged = parent in self.tags().values()
            return Published(self.path.name, parent, None if tagged else self._tag(tag, parent), False)
        commit = self._git("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
        self._git("update-ref", f"refs/heads/{BRANCH}", commit, parent or "0" * 40)
        return Published(self.path.name, commit, self._tag(tag, commit), True)

    def _tag(self, tag: str, commit: str) -> str:
        """Tag ``commit`` as ``tag``, or ``tag.2``, ``tag.3``… when taken: tags are never moved."""
        name, taken, n = tag, self.tags(), 1
        while name in taken:
            n += 1
            name = f"{tag}.{n}"
        self._git("tag", name, commit)
        return name
