"""Test setup: the ``djmig`` package from ``server/`` and the helpers in ``tests/``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SERVER = TESTS.parent / "server"

for directory in (SERVER, TESTS):
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))


import pytest  # noqa: E402
from postgres import Cluster, running_cluster  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """djmig's on-disk caches (``XDG_CACHE_HOME/djmig``) go to a directory of the test
    session, for djmig run in-process and in the subprocesses tests start."""
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("xdg-cache")
        patch.setenv("XDG_CACHE_HOME", str(home))
        patch.delenv("DJMIG_CACHE_DIR", raising=False)
        yield home


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the whole session (``tests/postgres.py``)."""
    with running_cluster() as cluster:
        yield cluster
