"""Parsing on a second core: a child interpreter parses migration files from the end of the
list while the parent parses from the start, until they meet; the child sends each file's
facts in the parse cache's form (``index/cache.py``), which the parent decodes in a fraction
of the time parsing would take.

``ast.parse`` holds the GIL, so a thread would not help; a fork would copy a process that
may have threads (the language server). The child is a fresh ``python -S`` that imports
only ``djmig.index`` (standard library only), reads ``marshal``-ed ``(app_label, name,
path)`` triples on stdin and writes length-prefixed ``marshal``-ed chunks of ``(index,
facts)`` on stdout, last file first. Meeting in the middle needs no share fixed in advance:
when the machine has no free core the child simply does less, and a child that cannot start
or dies leaves its files to the parent.
"""

from __future__ import annotations

import gc
import logging
import marshal
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from djmig.index.cache import encode_migration
from djmig.index.migrations import parse_migration_file
from djmig.keys import MigrationKey

logger = logging.getLogger(__name__)

#: Below this many files, starting an interpreter costs more than it saves.
MIN_FILES = 1500
#: Files per chunk the child sends.
CHUNK = 25
_HEADER = struct.Struct("<I")
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from djmig.index.worker import main; main()"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Worker:
    """A child parsing ``files`` from the last one backwards. ``lowest`` is the index of
    the first file whose facts arrived (all later ones have arrived too)."""

    def __init__(self, files: list[tuple[MigrationKey, Path]]) -> None:
        self.files = files
        self.lowest = len(files)
        self.received: dict[int, Any] = {}
        self._stopping = False
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _BOOT, _PACKAGE_PARENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        payload = marshal.dumps([(k.app_label, k.name, str(p)) for k, p in files])
        self._reader = threading.Thread(target=self._read, args=(payload,), daemon=True)
        self._reader.start()

    def _read(self, payload: bytes) -> None:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(payload)
            stdin.close()
            while header := stdout.read(_HEADER.size):
                (size,) = _HEADER.unpack(header)
                chunk = marshal.loads(stdout.read(size))
                expected = self.lowest - 1
                for index, facts in chunk:
                    if index != expected:
                        raise ValueError(f"file {index} out of order")
                    self.received[index] = facts
                    expected -= 1
                self.lowest = expected + 1
            if self.lowest > 0 and not self._stopping:
                logger.info("parse worker ended early: its files are parsed here")
        except (OSError, EOFError, ValueError, TypeError, struct.error) as exc:
            if not self._stopping:
                logger.info("parse worker stopped (%s): its files are parsed here", exc)

    def stop(self) -> dict[int, Any]:
        """End the child; the facts of the files from ``lowest`` on, by index."""
        self._stopping = True
        self._proc.kill()
        self._reader.join()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        return {i: f for i, f in self.received.items() if i >= self.lowest}


def start(files: list[tuple[MigrationKey, Path]]) -> Worker | None:
    """A worker for ``files``, or None when parsing here alone is the better choice."""
    if len(files) < MIN_FILES or available_cores() < 2:
        return None
    try:
        return Worker(files)
    except OSError as exc:
        logger.info("cannot start a parse worker (%s): parsing here", exc)
        return None


def main() -> None:
    """The child: triples on stdin, chunks of ``(index, facts)`` on stdout, last first."""
    gc.disable()
    requests = marshal.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    chunk: list[tuple[int, Any]] = []
    for index in range(len(requests) - 1, -1, -1):
        app, name, path = requests[index]
        migration = parse_migration_file(MigrationKey(app, name), Path(path))
        chunk.append((index, encode_migration(migration)))
        if len(chunk) == CHUNK or index == 0:
            data = marshal.dumps(chunk)
            try:
                out.write(_HEADER.pack(len(data)) + data)
                out.flush()
            except OSError:  # the parent has what it needs
                return
            chunk = []
