"""Keep the shared data lake as it was while untrusted code (a submission being graded) runs.

A submission runs with the grader's rights, so it can delete or rewrite a table of the lake that every
lesson reads. ``LakeGuard`` fingerprints the lake's files and keeps a private copy before grading;
``restore()`` puts back what changed and removes what was added, and says which files those were.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path


def fingerprint(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (empty when it does not exist)."""
    if not folder.is_dir():
        return {}
    digests = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digests[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


class LakeGuard:
    """A fingerprint and a private copy of ``lake``; ``restore()`` undoes any change made since."""

    def __init__(self, lake: Path) -> None:
        self.lake = lake
        self.expected = fingerprint(lake)
        self._backup_root = Path(tempfile.mkdtemp(prefix="mldeploy-lake-backup-"))
        self.backup = self._backup_root / "lake"
        if lake.is_dir():
            shutil.copytree(lake, self.backup, symlinks=True)

    def changes(self) -> list[str]:
        """Files added, removed or rewritten since the guard was made."""
        found = fingerprint(self.lake)
        return sorted(name for name in self.expected.keys() | found.keys() if self.expected.get(name) != found.get(name))

    def restore(self) -> list[str]:
        """Put the lake back as it was; return the files that had changed (empty: nothing to do)."""
        changed = self.changes()
        if changed:
            shutil.rmtree(self.lake, ignore_errors=True)
            if self.backup.is_dir():
                shutil.copytree(self.backup, self.lake, symlinks=True)
            remaining = self.changes()
            if remaining:
                raise RuntimeError(f"Could not restore the data lake at {self.lake}: still different: {remaining[:5]}")
        return changed

    def close(self) -> None:
        shutil.rmtree(self._backup_root, ignore_errors=True)

    def __enter__(self) -> "LakeGuard":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
