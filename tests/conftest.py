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


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the whole session (``tests/postgres.py``)."""
    with running_cluster() as cluster:
        yield cluster
