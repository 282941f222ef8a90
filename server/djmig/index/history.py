"""The committed version (git ``HEAD``) of workspace files, read with ``git show``.

Evidence for rules that compare the working tree with what was committed (DM301). Git
missing, a workspace outside a repository, a file not committed or a slow git: the
evidence is absent (None), never an error. Results are cached until git's index file
changes (a commit, a checkout, ``git add``).
"""

from __future__ import annotations

import functools
import logging
import subprocess
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

TIMEOUT = 5.0


def _git(cwd: Path, *args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("git %s failed: %s", args[0], exc)
        return None
    return completed.stdout if completed.returncode == 0 else None


@functools.lru_cache(maxsize=16)
def _repository(root: Path) -> tuple[Path, Path] | None:
    """The work tree's top level and git's index file for ``root``."""
    out = _git(root, "rev-parse", "--show-toplevel", "--git-path", "index")
    lines = out.splitlines() if out else []
    if len(lines) != 2:
        return None
    top = Path(lines[0])
    index = Path(lines[1])
    return top, index if index.is_absolute() else root / index


@functools.lru_cache(maxsize=16)
def _committed(top: Path, files: tuple[Path, ...], stamp: int | None) -> dict[Path, str] | None:
    texts = {}
    for path in files:
        try:
            relative = path.resolve().relative_to(top.resolve())
        except ValueError:
            continue  # an installed package's module (``oscar.defaults``): read as it is
        text = _git(top, "show", f"HEAD:{relative.as_posix()}")
        if text is None:
            return None
        texts[path] = text
    return texts


def committed_texts(root: Path, files: Iterable[Path]) -> dict[Path, str] | None:
    """The ``HEAD`` text of each of ``files`` in the work tree; None when any of those has
    none. Files outside it (an installed package's settings module) are left out: the
    reader reads them from disk."""
    repository = _repository(root)
    if repository is None:
        return None
    top, index = repository
    try:
        stamp: int | None = index.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _committed(top, tuple(files), stamp)
