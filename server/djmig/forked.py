"""CPU-bound work on the second core, in a forked child: a job's items shared as they are
taken (``share``), whose result comes back pickled through a pipe, or a job whose result
is a file (``background``).

The rules hold the GIL, so a thread would not help, and a fresh interpreter would have to
parse the workspace again: a fork starts with everything parsed (copy-on-write). The
child only computes: logging is off in it (a handler of the language server writes to
stdout, the JSON-RPC stream), it never touches a lock of another thread, and it leaves with
``os._exit``. A child that cannot start, fails or sends nothing leaves its part to this
process, so the result is the same either way. ``DJMIG_NO_FORK=1`` turns it off.
"""

from __future__ import annotations

import logging
import mmap
import os
import pickle
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import TypeVar

from djmig.index.worker import available_cores

logger = logging.getLogger(__name__)

T = TypeVar("T")
U = TypeVar("U")


def available() -> bool:
    """Whether a job may be split: ``fork`` exists, a second core is free to take it."""
    return hasattr(os, "fork") and available_cores() >= 2 and not os.environ.get("DJMIG_NO_FORK")


#: Held while a child is forked and the write end of its pipe is open here, so that no
#: other thread's child inherits that end (its reader would wait for that child too).
_forking = threading.Lock()


def _fork() -> int | None:
    """``os.fork()``; None when it fails (logged)."""
    with _forking:
        return _fork_now()


def _fork_now() -> int | None:
    try:
        with warnings.catch_warnings():  # Python >= 3.12 warns about forking with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            return os.fork()
    except OSError as exc:
        logger.info("cannot fork (%s): running the job here", exc)
        return None


def fork_piped() -> tuple[int, int] | None:
    """Fork with a pipe from the child to this process: ``(pid, read end)`` here,
    ``(0, write end)`` in the child (which must leave with ``os._exit``); None when either
    fails (logged)."""
    with _forking:
        try:
            read_end, write_end = os.pipe()
        except OSError as exc:
            logger.info("cannot open a pipe (%s): running the job here", exc)
            return None
        pid = _fork_now()
        if pid == 0:
            os.close(read_end)
            return 0, write_end
        os.close(write_end)
        if pid is None:
            os.close(read_end)
            return None
        return pid, read_end


def background(job: Callable[[], object], what: str) -> threading.Thread | None:
    """Run ``job`` in a forked child and return at once; ``what`` names it in the log. The
    returned thread ends when the child has. None when no child could be forked (or
    ``available()`` is false): the caller runs the job itself."""
    if not available():
        return None
    pid = _fork()
    if pid is None:
        return None
    if pid == 0:  # the child
        code = 1
        try:
            logging.disable(logging.CRITICAL)
            job()
            code = 0
        finally:
            os._exit(code)

    def reap() -> None:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            logger.info("%s in a forked child failed (status %s)", what, status)

    reaper = threading.Thread(target=reap, name=f"djmig: {what}", daemon=True)
    reaper.start()
    return reaper


def share(count: int, run: Callable[[Iterator[int]], T]) -> tuple[T, T]:
    """``run`` over the items ``0 .. count - 1``, shared with a forked child as they are
    taken: this process takes them from the first up, the child from the last down, one at
    a time, until they meet; ``(the child's result, ours)``. Neither waits for the other
    longer than one item takes, however uneven the items are (a fixed half of the rules'
    apps kept one core idle ~0.1 s of a cold start). When both look at the same item at the
    same moment, both run it: ``run``'s results must not mind. The child must not change
    this process's state; a child that fails leaves every item above ours to this process.

    Each side writes only its own counter, so no lock is shared with the child (a child
    killed while holding one would hang this process)."""
    counters = _Counters(count)
    return _split(
        lambda: run(counters.downwards()),
        lambda: run(counters.upwards()),
        lambda: run(iter(range(counters.low, count))),
    )


class _Counters:
    """The next item this process takes (``low``) and the next one the child takes
    (``high``), in memory both share after the fork; aligned 4-byte integers, so neither
    side reads one half-written."""

    def __init__(self, count: int) -> None:
        self._memory = mmap.mmap(-1, 8)  # anonymous and shared: it survives the fork
        self._ints = memoryview(self._memory).cast("i")
        self._ints[0], self._ints[1] = 0, count - 1

    @property
    def low(self) -> int:
        return self._ints[0]

    def upwards(self) -> Iterator[int]:
        ints = self._ints
        while (item := ints[0]) <= ints[1]:
            ints[0] = item + 1
            yield item

    def downwards(self) -> Iterator[int]:
        ints = self._ints
        while (item := ints[1]) >= ints[0]:
            ints[1] = item - 1
            yield item


def _split(theirs: Callable[[], T], ours: Callable[[], U], instead: Callable[[], T]) -> tuple[T, U]:
    """``(theirs(), ours())``, ``theirs`` computed in a forked child while ``ours`` runs
    here, or ``instead()`` here when the child failed. ``theirs`` must not change this
    process's state: its effects stay in the child."""
    forked = fork_piped()
    if forked is None:
        mine = ours()
        return instead(), mine
    pid, end = forked
    if pid == 0:  # the child
        code = 1
        try:
            logging.disable(logging.CRITICAL)
            data = pickle.dumps(theirs(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    received: list[bytes] = []
    reader = threading.Thread(target=_read, args=(end, received), daemon=True)
    reader.start()
    try:
        mine = ours()
    finally:
        reader.join()
        _, status = os.waitpid(pid, 0)
    if status == 0 and received:
        try:
            return pickle.loads(received[0]), mine
        except Exception as exc:  # whatever went wrong, compute it here
            logger.info("the forked half sent an unreadable result (%s)", exc)
    logger.info("the forked half of the job failed (status %s): running it here", status)
    return instead(), mine


def _read(descriptor: int, into: list[bytes]) -> None:
    with os.fdopen(descriptor, "rb") as stream:
        into.append(stream.read())
