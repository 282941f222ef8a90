"""The code objects attrs compiles while lsprotocol is imported, kept in a file and reused.

``lsprotocol.types`` defines some 550 attrs classes; for each, attrs writes the source of
``__init__``, ``__eq__``, ``__repr__``… and compiles it, at every import: ~0.15 s of the
language server's start-up, the largest part of importing lsprotocol after its own
bytecode. The code objects only depend on that source (and the interpreter), so, like the
``.pyc`` files Python keeps in ``__pycache__``, they are written once, next to djmig's own
bytecode (or in the user cache directory when that is not writable), and loaded by the next
start: ``compile`` in ``attr._make`` is replaced by a lookup for the time of the import.

A file written by another Python is ignored, so is a damaged one; what is looked up is the
exact source text and file name attrs compiles, so a changed attrs or lsprotocol only
misses (the file is then rewritten with what this import compiled). Nothing is written
where ``PYTHONDONTWRITEBYTECODE`` is set, as for Python's own bytecode.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import marshal
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_Key = tuple[str, str, str]


def locations() -> list[Path]:
    """Where the file is looked for, and written to the first of them that is writable."""
    name = f"attrs-code.{sys.implementation.cache_tag}.marshal"
    here = Path(__file__).resolve().parent.parent / "__pycache__" / name
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [here, Path(xdg) / "djmig" / name]


def _load(path: Path, header: tuple[str, str]) -> dict[_Key, types.CodeType] | None:
    try:
        found = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == header):
        return None
    codes = found[1]
    return codes if isinstance(codes, dict) else None


@contextlib.contextmanager
def reused() -> Iterator[None]:
    """Around the import of the language server: attrs' compiled code from the file, and
    the file (re)written if something had to be compiled."""
    try:
        import attr._make as make
    except ImportError:  # no attrs: lsprotocol's import will say so
        yield
        return
    # The interpreter is what a code object depends on; the exact source attrs generates is
    # the key. (Not ``attr.__version__``: it imports ``importlib.metadata``, ~0.02 s.)
    header = (sys.version, "attrs")
    places = locations()
    codes: dict[_Key, types.CodeType] = {}
    for path in places:
        found = _load(path, header)
        if found is not None:
            codes = found
            break
    used: dict[_Key, types.CodeType] = {}
    compiled = 0

    def compile(source: Any, filename: Any, mode: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal compiled
        key = (source, filename, mode)
        if args or kwargs or not all(isinstance(part, str) for part in key):
            return builtins.compile(source, filename, mode, *args, **kwargs)
        code = codes.get(key)
        if not isinstance(code, types.CodeType):
            code = builtins.compile(source, filename, mode)
            compiled += 1
        used[key] = code
        return code

    shadowed = "compile" in vars(make)
    previous = vars(make).get("compile")
    make.compile = compile  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if shadowed:
            make.compile = previous  # type: ignore[attr-defined]
        else:
            del make.compile  # type: ignore[attr-defined]
    logger.debug("attrs code: %d reused, %d compiled", len(used) - compiled, compiled)
    if compiled and not sys.dont_write_bytecode:
        _write(places, marshal.dumps((header, used)))


def _write(places: list[Path], data: bytes) -> None:
    from djmig.index.cache import write_atomically

    for path in places:
        try:
            write_atomically(path, data)
            return
        except OSError as exc:
            logger.debug("cannot write %s: %s", path, exc)


if __name__ == "__main__":  # ``python -m djmig.lsp.code_cache``: write the file ahead
    with reused():
        import djmig.lsp.server  # noqa: F401
