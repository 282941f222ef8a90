"""On-disk cache of parsed migration files: the facts of every ``MigrationFile`` of a
workspace, so a start that finds the files unchanged skips reading and parsing them.

One file per workspace, ``$XDG_CACHE_HOME/djmig/<hash of the root>/parsed.marshal``
(``~/.cache`` without ``XDG_CACHE_HOME``; ``DJMIG_CACHE_DIR`` names the directory
itself): never inside the workspace. It is ``marshal`` of plain tuples, lists and dicts
(loading 10,000 files' facts costs a fraction of pickling the objects); the header holds
the format, djmig's version, a digest of the parser's source and the Python version, and
a cache with another header is ignored. An entry is used only while its file's
``(size, mtime_ns)`` are those it was parsed with; files modified less than
``RACY_NS`` before the cache was written are not stored (an edit within the same
timestamp tick would go unseen otherwise, as in git's "racily clean" index entries).
Unsaved editor buffers never go through the cache. A cache that cannot be read, decoded
or written is logged and ignored: the files are parsed as if it did not exist.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from djmig import __version__
from djmig.index import migrations as _migrations_module
from djmig.index import values as _values_module
from djmig.index.migrations import (
    Dependency,
    FunctionFacts,
    MigrationFile,
    Operation,
    Relation,
)
from djmig.index.values import UNKNOWN, CallValue, Ref
from djmig.keys import MigrationKey, SourceLines, Span

logger = logging.getLogger(__name__)

FORMAT = 2
FILE_NAME = "parsed.marshal"
RACY_NS = 2_000_000_000
"""Files modified this close to the cache write (ns) are parsed again next time."""

#: A file's identity on disk: ``(size, mtime_ns)``.
Stamp = tuple[int, int]

_SCALARS = frozenset({str, int, float, bool, type(None), bytes, complex, type(Ellipsis)})
# Tags of encoded values (everything that is not a scalar is a tuple starting with one).
_UNKNOWN, _LIST, _TUPLE, _SET, _DICT, _REF, _CALL, _PLAIN_LIST, _PLAIN_TUPLE = range(9)
_new_tuple = tuple.__new__


def default_directory(root: Path) -> Path:
    """Where the cache of the workspace at ``root`` lives."""
    explicit = os.environ.get("DJMIG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return Path(base) / "djmig" / digest


def _parser_digest() -> str:
    """A digest of the code that produces the cached facts: a changed parser (a
    development checkout) never reads the facts of an older one."""
    digest = hashlib.sha256()
    for module in (_migrations_module, _values_module, sys.modules[__name__]):
        try:
            digest.update(Path(module.__file__ or "").read_bytes())
        except OSError:
            digest.update(str(module.__file__).encode())
    return digest.hexdigest()[:16]


def _header(root: Path) -> tuple[Any, ...]:
    return ("djmig-parsed", FORMAT, __version__, _parser_digest(), sys.version, str(root))


# -- values -------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        if all(type(v) in _SCALARS for v in value):
            return (_PLAIN_LIST if kind is list else _PLAIN_TUPLE, value)
        return (_LIST if kind is list else _TUPLE, [_encode(v) for v in value])
    if kind is CallValue:
        return (
            _CALL,
            value.func,
            [_encode(a) for a in value.args],
            {k: _encode(v) for k, v in value.kwargs.items()},
            value.has_star,
        )
    if kind is Ref:
        return (_REF, value.dotted)
    if value is UNKNOWN:
        return (_UNKNOWN,)
    if kind is dict:
        return (_DICT, [_encode(k) for k in value], [_encode(v) for v in value.values()])
    if kind is set:
        return (_SET, [_encode(v) for v in value])
    raise ValueError(f"cannot cache a value of type {kind.__name__}")


def _decode(value: Any) -> Any:
    if type(value) is not tuple:
        return value
    tag = value[0]
    if tag == _CALL:
        return CallValue(
            value[1],
            tuple([_decode(a) for a in value[2]]),
            {k: _decode(v) for k, v in value[3].items()},
            value[4],
        )
    if tag in (_PLAIN_LIST, _PLAIN_TUPLE):
        return value[1]
    if tag == _REF:
        return Ref(value[1])
    if tag == _LIST:
        return [_decode(v) for v in value[1]]
    if tag == _TUPLE:
        return tuple([_decode(v) for v in value[1]])
    if tag == _UNKNOWN:
        return UNKNOWN
    if tag == _DICT:
        return {_decode(k): _decode(v) for k, v in zip(value[1], value[2])}
    if tag == _SET:
        return {_decode(v) for v in value[1]}
    raise ValueError(f"unknown tag {tag!r}")


# -- migration files ----------------------------------------------------------------------


def _encode_dependencies(dependencies: list[Dependency]) -> list[Any]:
    return [
        (tuple(d.key) if d.key is not None else None, tuple(d.span), d.setting)
        for d in dependencies
    ]


def _decode_dependencies(entries: list[Any]) -> list[Dependency]:
    return [
        Dependency(
            _new_tuple(MigrationKey, key) if key is not None else None,
            _new_tuple(Span, span),
            setting,
        )
        for key, span, setting in entries
    ]


#: The fields of ``MigrationFile`` that ``encode_migration`` stores, in order (``key`` and
#: ``path`` are the entry's).
ENCODED_FIELDS = (
    "error", "has_migration_class", "class_span", "dependencies", "dependencies_complete",
    "run_before", "run_before_complete", "replaces", "replaces_complete", "initial", "atomic",
    "operations", "operations_complete", "functions", "function_facts", "imports",
    "relative_imports", "noqa", "lines", "operation_bases",
)  # fmt: skip


def encode_migration(m: MigrationFile) -> tuple[Any, ...]:
    """The facts of ``m`` as marshal-able plain values (its key and path excluded)."""
    return (
        m.error,
        m.has_migration_class,
        tuple(m.class_span),
        _encode_dependencies(m.dependencies),
        m.dependencies_complete,
        _encode_dependencies(m.run_before),
        m.run_before_complete,
        _encode_dependencies(m.replaces),
        m.replaces_complete,
        _encode(m.initial),
        _encode(m.atomic),
        [
            (
                o.kind,
                o.qualname,
                [_encode(a) for a in o.args],
                {k: _encode(v) for k, v in o.kwargs.items()},
                tuple(o.span),
                tuple(o.func_span),
                o.has_star,
                [
                    (
                        r.func,
                        _encode(r.model_name),
                        r.field_name,
                        r.target,
                        tuple(r.span),
                        r.parameter,
                    )
                    for r in o.relations
                ],
            )
            for o in m.operations
        ],
        m.operations_complete,
        {name: tuple(span) for name, span in m.functions.items()},
        {
            name: (f.imports, f.bound, [(d, tuple(s)) for d, s in f.manager_uses])
            for name, f in m.function_facts.items()
        },
        m.imports,
        m.relative_imports,
        m.noqa,
        m.lines.non_ascii(),
        m.operation_bases,
    )


def decode_migration(key: MigrationKey, path: Path, facts: tuple[Any, ...]) -> MigrationFile:
    """The ``MigrationFile`` that ``encode_migration`` was given."""
    (
        error, has_class, class_span, dependencies, dependencies_complete, run_before,
        run_before_complete, replaces, replaces_complete, initial, atomic, operations,
        operations_complete, functions, function_facts, imports, relative_imports, noqa,
        lines, operation_bases,
    ) = facts  # fmt: skip
    return MigrationFile(
        key=key,
        path=path,
        error=error,
        has_migration_class=has_class,
        class_span=_new_tuple(Span, class_span),
        dependencies=_decode_dependencies(dependencies),
        dependencies_complete=dependencies_complete,
        run_before=_decode_dependencies(run_before),
        run_before_complete=run_before_complete,
        replaces=_decode_dependencies(replaces),
        replaces_complete=replaces_complete,
        initial=_decode(initial),
        atomic=_decode(atomic),
        operations=[
            Operation(
                kind,
                qualname,
                tuple([_decode(a) for a in args]),
                {k: _decode(v) for k, v in kwargs.items()},
                _new_tuple(Span, span),
                _new_tuple(Span, func_span),
                has_star,
                tuple(
                    Relation(
                        func, _decode(model), field, target, _new_tuple(Span, where), parameter
                    )
                    for func, model, field, target, where, parameter in relations
                ),
            )
            for kind, qualname, args, kwargs, span, func_span, has_star, relations in operations
        ],
        operations_complete=operations_complete,
        functions={name: _new_tuple(Span, span) for name, span in functions.items()},
        function_facts={
            name: FunctionFacts(
                facts_imports, bound, [(d, _new_tuple(Span, s)) for d, s in manager_uses]
            )
            for name, (facts_imports, bound, manager_uses) in function_facts.items()
        },
        imports=imports,
        relative_imports=relative_imports,
        operation_bases=operation_bases,
        noqa=noqa,
        lines=SourceLines.from_non_ascii(lines),
    )


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file renamed over it: a reader (another djmig
    process) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def stamp(path: Path) -> Stamp | None:
    """``(size, mtime_ns)`` of ``path`` (a file, or a directory); None when it cannot be
    stat'ed."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_size, status.st_mtime_ns


def _cacheable(error: str | None) -> bool:
    """Parses that depend on the file's bytes alone; an unreadable file (permissions, a
    FIFO, a directory) or a parser out of memory is tried again next time."""
    return error is None or error.startswith(_CONTENT_ERRORS)


#: What decoding a cache that marshal loads but djmig did not write can raise.
_CORRUPT = (ValueError, TypeError, IndexError, KeyError, AttributeError)
_CONTENT_ERRORS = ("SyntaxError", "not valid ", "cannot determine the file's encoding")


class ParseCache:
    """The cached facts of one workspace's migration files, by path.

    ``get`` answers from what was loaded; ``put`` records a freshly parsed file; ``save``
    writes the cache when something changed. Entries of files that were not asked for
    again are dropped at ``save``.
    """

    def __init__(self, root: Path, directory: Path | None = None) -> None:
        self.root = root
        self.directory = directory if directory is not None else default_directory(root)
        self.path = self.directory / FILE_NAME
        self._header = _header(root)
        self._loaded: dict[str, tuple[int, int, tuple[Any, ...]]] = {}
        # What save() writes: facts, or a MigrationFile parsed here and encoded by save().
        self._entries: dict[str, tuple[int, int, Any]] = {}
        self.hits = 0
        self.misses = 0
        self._load()

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.warning("cannot read the parse cache %s: %s; parsing every file", self.path, exc)
            return
        try:
            header, entries = marshal.loads(data)
            if header != self._header:
                logger.info("parse cache %s is from another djmig or Python: ignored", self.path)
                return
            if type(entries) is not dict:
                raise ValueError("entries are not a dict")
        except (EOFError, *_CORRUPT) as exc:
            logger.warning("parse cache %s is corrupt (%s): ignored", self.path, exc)
            return
        self._loaded = entries

    def get(self, key: MigrationKey, path: Path, current: Stamp | None) -> MigrationFile | None:
        """The cached parse of ``path`` when its stamp is still ``current``."""
        name = str(path)
        entry = self._loaded.get(name)
        if entry is not None and current is not None:
            try:
                size, mtime_ns, facts = entry
                if size == current[0] and mtime_ns == current[1]:
                    migration = decode_migration(key, path, facts)
                    self._entries[name] = entry
                    self.hits += 1
                    return migration
            except _CORRUPT as exc:
                logger.warning("parse cache entry of %s is corrupt (%s): ignored", path, exc)
        self.misses += 1
        return None

    def put(self, path: Path, before: Stamp | None, migration: MigrationFile) -> None:
        """Record ``migration``, parsed from ``path`` while it had the stamp ``before``
        (taken before reading: a file written meanwhile gets another stamp)."""
        if before is not None and _cacheable(migration.error):
            self._entries[str(path)] = (before[0], before[1], migration)

    def put_encoded(self, path: Path, before: Stamp | None, facts: tuple[Any, ...]) -> None:
        """``put`` for facts already encoded (by the parse worker)."""
        if before is not None and _cacheable(facts[0]):
            self._entries[str(path)] = (before[0], before[1], facts)

    def save(self) -> bool:
        """Write the cache if its entries differ from what was loaded; False when it could
        not be written (logged). Files parsed here are encoded now, off the path to the
        first findings."""
        written_ns = time.time_ns()
        entries = {}
        for name, (size, mtime_ns, facts) in self._entries.items():
            if mtime_ns >= written_ns - RACY_NS:
                continue
            if type(facts) is MigrationFile:
                try:
                    facts = encode_migration(facts)
                except ValueError as exc:
                    logger.debug("%s is not cached: %s", name, exc)
                    continue
                self._entries[name] = (size, mtime_ns, facts)
            entries[name] = self._entries[name]
        if entries.keys() == self._loaded.keys() and all(
            self._loaded[name] is entry for name, entry in entries.items()
        ):
            return True
        try:
            write_atomically(self.path, marshal.dumps((self._header, entries)))
        except (OSError, ValueError) as exc:
            logger.info("cannot write the parse cache %s: %s", self.path, exc)
            return False
        self._loaded = entries
        return True
