"""Parsing on a second core: a child interpreter parses part of the migration files and
sends back their facts in the parse cache's form (``index/cache.py``), which the parent
decodes in a fraction of the time parsing them would take.

``ast.parse`` holds the GIL, so a thread would not help; a fork would copy a process that
may have threads (the language server). The child is a fresh ``python -S`` that imports
only ``djmig.index`` (standard library only), reads ``marshal``-ed ``(app_label, name,
path)`` triples on stdin and writes the ``marshal``-ed list of encoded facts on stdout.
Anything going wrong on the way (no second core, the child cannot start, dies, or sends
something else) leaves the parent to parse those files itself.
"""

from __future__ import annotations

import gc
import logging
import marshal
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from djmig.index.cache import decode_migration, encode_migration
from djmig.index.migrations import MigrationFile, parse_migration_file
from djmig.keys import MigrationKey

logger = logging.getLogger(__name__)

#: Below this many files, starting an interpreter costs more than it saves.
MIN_FILES = 1500
#: The child's share of the files: it starts later and also encodes what it parsed.
SHARE = 0.42
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from djmig.index.worker import main; main()"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Worker:
    """A child parsing ``files``; ``results()`` waits for its ``MigrationFile``s (None
    when it failed, logged)."""

    def __init__(self, files: list[tuple[MigrationKey, Path]]) -> None:
        self.files = files
        self.encoded: list[Any] = []
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _BOOT, _PACKAGE_PARENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        payload = marshal.dumps([(k.app_label, k.name, str(p)) for k, p in files])
        # The child reads its input after its imports: writing must not wait for that.
        self._writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
        self._writer.start()

    def _write(self, payload: bytes) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(payload)
            stdin.close()
        except OSError:
            pass  # the child is gone: results() says so

    def results(self) -> list[MigrationFile] | None:
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            data = stdout.read()
            stdout.close()
            code = self._proc.wait()
            self._writer.join()
            if code != 0:
                raise ValueError(f"exit status {code}")
            encoded = marshal.loads(data)
            if type(encoded) is not list or len(encoded) != len(self.files):
                raise ValueError("unexpected answer")
            migrations = [
                decode_migration(key, path, facts)
                for (key, path), facts in zip(self.files, encoded)
            ]
        except (OSError, EOFError, ValueError, TypeError, IndexError) as exc:
            logger.info("parse worker failed (%s): parsing its files here", exc)
            self._proc.kill()
            return None
        self.encoded = encoded
        return migrations


def split(files: list[tuple[MigrationKey, Path]]) -> tuple[list[Any], Worker | None]:
    """The files to parse here, and the worker parsing the others (None: all here)."""
    if len(files) < MIN_FILES or available_cores() < 2:
        return files, None
    cut = len(files) - int(len(files) * SHARE)
    try:
        worker = Worker(files[cut:])
    except OSError as exc:
        logger.info("cannot start a parse worker (%s): parsing here", exc)
        return files, None
    return files[:cut], worker


def main() -> None:
    """The child: triples on stdin, encoded facts on stdout."""
    gc.disable()
    requests = marshal.loads(sys.stdin.buffer.read())
    answer = [
        encode_migration(parse_migration_file(MigrationKey(app, name), Path(path)))
        for app, name, path in requests
    ]
    sys.stdout.buffer.write(marshal.dumps(answer))
    sys.stdout.buffer.flush()
