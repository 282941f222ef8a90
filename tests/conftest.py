"""Test setup: the ``djmig`` package from ``server/`` and the helpers in ``tests/``."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SERVER = TESTS.parent / "server"

for directory in (SERVER, TESTS):
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))

# djmig's on-disk caches (``$XDG_CACHE_HOME/djmig``) go to a directory of this test session,
# for djmig run in-process and in the servers tests start (their environments are copied
# from ``os.environ`` when test modules are imported, after this).
CACHE_HOME = tempfile.mkdtemp(prefix="djmig-test-cache-")
os.environ["XDG_CACHE_HOME"] = CACHE_HOME
os.environ.pop("DJMIG_CACHE_DIR", None)
atexit.register(shutil.rmtree, CACHE_HOME, ignore_errors=True)


import pytest  # noqa: E402
from postgres import Cluster, running_cluster  # noqa: E402


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the whole session (``tests/postgres.py``)."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The on-disk cache of the test, in its own directory."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("DJMIG_CACHE_DIR", str(directory))
    return directory
