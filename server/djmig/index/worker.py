"""Parsing on a second core: a child process parses migration files from the end of the
list while the parent parses from the start, until they meet; the child sends each file's
facts in the parse cache's form (``index/cache.py``), which the parent decodes in a fraction
of the time parsing would take.

``ast.parse`` holds the GIL, so a thread would not help. Where ``forked.available()`` the
child is forked (``_Forked``): it starts parsing at once, on the files it inherited. Else it
is a fresh ``python -S`` that imports only ``djmig.index`` (standard library only) and
reads ``marshal``-ed ``(app_label, name, path)`` triples on stdin. Either writes
``marshal``-ed chunks of ``(index, facts)`` to a pipe, last file first, each after a header
(size, highest index, count) so that the parent tracks progress without decoding (it
decodes at the end). Meeting in the middle needs no share fixed in advance: when the
machine has no free core the child simply does less, and a child that cannot start or dies
leaves its files to the parent. ``lsp/early.py`` may start one before the workspace is built
(``prefetch``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import marshal
import os
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from djmig.index.cache import encode_migration
from djmig.index.migrations import parse_migration_file
from djmig.keys import MigrationKey

logger = logging.getLogger(__name__)

#: Below this many files, starting an interpreter costs more than it saves.
MIN_FILES = 1500
#: Files per chunk the child sends.
CHUNK = 25
_HEADER = struct.Struct("<III")  # size, highest index, count
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from djmig.index.worker import main; main()"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _may_fork() -> bool:
    from djmig import forked  # (it imports this module)

    return forked.available()


class _Forked:
    """A forked child parsing the files it inherited, with what ``Worker`` uses of
    ``Popen``: no interpreter to start nor modules to import, and the file list is
    already there (a fresh interpreter took ~0.05 s to start parsing, ~0.03 s of the
    parent's time to spawn). Like ``forked.share``'s child it only computes, with logging
    off, and leaves with ``os._exit``."""

    stdin = None

    def __init__(self, pid: int, stdout: BinaryIO) -> None:
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None

    @classmethod
    def start(cls, files: list[tuple[MigrationKey, Path]]) -> _Forked | None:
        from djmig import forked

        started = forked.fork_piped()
        if started is None:
            return None
        pid, end = started
        if pid == 0:  # the child
            try:
                logging.disable(logging.CRITICAL)
                gc.disable()
                with os.fdopen(end, "wb") as out:
                    _parse_backwards(len(files), files.__getitem__, out)
            finally:
                os._exit(0)
        return cls(pid, os.fdopen(end, "rb"))

    def kill(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


class Worker:
    """A child parsing ``files`` from the last one backwards. ``lowest`` is the index of
    the first file whose facts arrived (all later ones have arrived too)."""

    def __init__(self, files: list[tuple[MigrationKey, Path]]) -> None:
        self.files = files
        self.lowest = len(files)
        self._chunks: list[tuple[bytes, int, int]] = []  # (marshal data, highest index, count)
        self._taken = 0  # chunks handed out by ``arrived()``
        self._broken = False  # a bad chunk: it and every later one are parsed by the parent
        self._stopping = False
        payload = None
        forked = _Forked.start(files) if _may_fork() else None
        self._proc: subprocess.Popen[bytes] | _Forked
        if forked is not None:
            self._proc = forked
        else:
            self._proc = subprocess.Popen(
                [sys.executable, "-S", "-c", _BOOT, _PACKAGE_PARENT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            payload = marshal.dumps([(k.app_label, k.name, str(p)) for k, p in files])
        self._reader = threading.Thread(target=self._read, args=(payload,), daemon=True)
        self._reader.start()

    def _read(self, payload: bytes | None) -> None:
        # Chunks are kept as bytes and decoded in ``stop()``: this thread holds the GIL
        # only briefly, so the process it runs in keeps its core (the language server is
        # importing pygls while the worker parses ahead).
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdout is not None
        try:
            if stdin is not None and payload is not None:
                stdin.write(payload)
                stdin.close()
            while header := stdout.read(_HEADER.size):
                size, highest, count = _HEADER.unpack(header)
                if highest != self.lowest - 1 or count < 1:
                    raise ValueError(f"chunk {highest} out of order")
                self._chunks.append((stdout.read(size), highest, count))
                self.lowest = highest - count + 1
            if self.lowest > 0 and not self._stopping:
                logger.info("parse worker ended early: its files are parsed here")
        except (OSError, ValueError, struct.error) as exc:
            if not self._stopping:
                logger.info("parse worker stopped (%s): its files are parsed here", exc)

    def arrived(self) -> dict[int, Any]:
        """The facts of the chunks that arrived since the last call, by index, while the
        child goes on: the parent decodes them between the files it parses, so that the
        child, not the parent alone, makes up for the time it takes."""
        return self._unpack()

    def stop(self) -> dict[int, Any]:
        """End the child; the facts of the files from ``lowest`` on that ``arrived()`` did
        not hand out, by index."""
        self._stopping = True
        self._proc.kill()
        self._reader.join()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        return self._unpack()

    def _unpack(self) -> dict[int, Any]:
        end = len(self._chunks)  # the reader thread may append meanwhile
        chunks, self._taken = self._chunks[self._taken : end], end
        received: dict[int, Any] = {}
        for data, highest, count in chunks:
            if self._broken:
                break
            try:
                chunk = marshal.loads(data)
            except (EOFError, ValueError, TypeError) as exc:
                logger.info("parse worker sent a bad chunk (%s): its files are parsed here", exc)
                self._broken = True
                break
            if [index for index, _ in chunk] != list(range(highest, highest - count, -1)):
                logger.info("parse worker sent a chunk out of order: parsed here")
                self._broken = True
                break
            received.update(chunk)
        return received


#: The worker started ahead for one workspace (``prefetch``), until it is adopted; the
#: language server builds its folders' workspaces in threads.
_ahead: tuple[Path, Worker] | None = None
_ahead_lock = threading.Lock()


def prefetch(root: Path, files: list[tuple[MigrationKey, Path]]) -> bool:
    """Start parsing ``files`` (all the migration files of the workspace at ``root``, in
    ``Workspace.load`` order) before the workspace is built; False when not worth it."""
    global _ahead
    drop_prefetched()
    started = start(files)
    if started is not None:
        with _ahead_lock:
            _ahead = root, started
    return started is not None


def _take() -> tuple[Path, Worker] | None:
    global _ahead
    with _ahead_lock:
        ahead, _ahead = _ahead, None
    return ahead


def adopt(root: Path, files: list[tuple[MigrationKey, Path]]) -> Worker | None:
    """The worker started ahead for ``root`` if it parses exactly ``files``; any other
    one is stopped."""
    ahead = _take()
    if ahead is None:
        return None
    if ahead[0] == root and ahead[1].files == files:
        return ahead[1]
    logger.info("the worker started ahead parses other files (changed since, or another folder)")
    ahead[1].stop()
    return None


def drop_prefetched() -> None:
    """Stop the worker started ahead, if it was not adopted."""
    ahead = _take()
    if ahead is not None:
        ahead[1].stop()


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
    """The spawned child: triples on stdin, chunks of ``(index, facts)`` on stdout."""
    gc.disable()
    requests = marshal.loads(sys.stdin.buffer.read())

    def file_at(index: int) -> tuple[MigrationKey, Path]:
        app, name, path = requests[index]
        return MigrationKey(app, name), Path(path)

    _parse_backwards(len(requests), file_at, sys.stdout.buffer)


def _parse_backwards(
    count: int, file_at: Callable[[int], tuple[MigrationKey, Path]], out: BinaryIO
) -> None:
    """Parse files ``count - 1`` down to 0 and write their facts in chunks, last first."""
    chunk: list[tuple[int, Any]] = []
    for index in range(count - 1, -1, -1):
        migration = parse_migration_file(*file_at(index))
        chunk.append((index, encode_migration(migration)))
        if len(chunk) == CHUNK or index == 0:
            data = marshal.dumps(chunk)
            try:
                out.write(_HEADER.pack(len(data), chunk[0][0], len(chunk)) + data)
                out.flush()
            except OSError:  # the parent has what it needs
                return
            chunk = []
