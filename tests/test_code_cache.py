"""``djmig serve`` keeps the code attrs compiles for lsprotocol's classes in a file and
reuses it at the next start (``lsp/code_cache.py``); each run is a fresh interpreter, as a
start of the server is."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SERVER = str(Path(__file__).resolve().parents[1] / "server")
# Imports lsprotocol through the cache kept at argv[1], then uses what attrs built.
IMPORT = """
import logging, sys
from pathlib import Path
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from djmig.lsp import code_cache
code_cache.locations = lambda: [Path(sys.argv[1]) / "unwritable" / "x", Path(sys.argv[1]) / "code"]
with code_cache.reused():
    from lsprotocol import types
a, b = types.Position(line=1, character=2), types.Position(line=1, character=2)
assert a == b and a != types.Position(line=1, character=3), "attrs' __eq__"
assert types.Range(start=a, end=b).end.character == 2, "attrs' __init__"
print("ok")
"""


def start(tmp_path: Path, dont_write: bool = False) -> tuple[int, int]:
    """(reused, compiled) code objects of one import."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = SERVER
    if dont_write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", IMPORT, str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr
    found = re.search(r"attrs code: (\d+) reused, (\d+) compiled", done.stderr)
    assert found, done.stderr
    return int(found[1]), int(found[2])


@pytest.fixture
def unwritable(tmp_path: Path) -> Path:
    """The first location's directory is a file: writing there fails, the next is used."""
    (tmp_path / "unwritable").write_text("")
    return tmp_path


def test_the_second_start_compiles_nothing(unwritable: Path) -> None:
    reused, compiled = start(unwritable)
    assert reused == 0 and compiled > 500  # lsprotocol's classes
    assert (unwritable / "code").is_file()
    assert start(unwritable) == (compiled, 0)


def test_a_damaged_file_is_compiled_again_and_rewritten(unwritable: Path) -> None:
    _, compiled = start(unwritable)
    (unwritable / "code").write_bytes(b"\x00not marshal")
    assert start(unwritable) == (0, compiled)
    assert start(unwritable) == (compiled, 0)


def test_nothing_is_written_where_bytecode_is_not(unwritable: Path) -> None:
    _, compiled = start(unwritable, dont_write=True)
    assert not (unwritable / "code").exists()
    assert start(unwritable, dont_write=True) == (0, compiled)
