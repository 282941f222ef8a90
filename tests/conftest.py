"""Test setup: the ``djmig`` package from ``server/`` and the helpers in ``tests/``."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SERVER = TESTS.parent / "server"

for directory in (SERVER, TESTS):
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
