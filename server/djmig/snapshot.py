"""The findings of a whole workspace, kept on disk next to the parse cache
(``index/cache.py``): a start that finds every input unchanged reports them without
parsing a file, and loads the migrations (from the parse cache) only when they are needed.

The key is a digest of everything the findings are computed from: djmig's code (path,
size and mtime of its modules), the Python version, the configuration, the discovered
project (apps, settings values, the settings as committed in git) and the
``(size, mtime_ns)`` of every migration, models and settings file. A snapshot is written
only after an analysis of the files as they are on disk (no editor buffers, no database
read: its records are not in the key), without a rule failure, and not when a file was
modified less than ``RACY_NS`` before (see ``index/cache.py``).
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from djmig.config import Config
from djmig.index.cache import RACY_NS, Stamp, write_atomically
from djmig.index.discovery import Project
from djmig.index.history import committed_texts
from djmig.keys import MigrationKey, SourceLines, Span
from djmig.rules import Finding, Related, Severity

logger = logging.getLogger(__name__)

FORMAT = 3
FILE_NAME = "findings.marshal"
_new_tuple = tuple.__new__


@dataclass
class Scoped:
    """The findings by the scope that computed them, for a start where a few migration or
    models files changed since (``Workspace.load`` resumes from them): each file's stamp
    then, the file rules' findings by migration, the project-wide rules', the per-app
    rules' by app, and which findings read which app's model states
    (``StateEngine.readers``)."""

    stamps: dict[Path, Stamp]
    files: dict[MigrationKey, list[Finding]]
    graph: dict[Path, list[Finding]]
    apps: dict[str, dict[Path, list[Finding]]]
    readers: dict[str, set[tuple[str, str]]]


@dataclass
class Snapshot:
    by_path: dict[Path, list[Finding]]
    errors: dict[Path, str]
    lines: dict[Path, SourceLines]
    #: True when every input is as the snapshot saw it; else only ``scoped`` applies.
    exact: bool = True
    scoped: Scoped | None = None
    #: For an exact snapshot, its findings by scope, decoded on demand (a warm start does
    #: not need them to answer; the language server takes them up in the background).
    decode_scoped: Callable[[], Scoped | None] | None = field(default=None, repr=False)
    #: The modules (not models modules) base classes were read from: module name and
    #: stamp then. The snapshot applies only while every stamp is the same.
    support: dict[Path, tuple[str, Stamp]] = field(default_factory=dict)


def _code_digest() -> bytes:
    package = Path(__file__).resolve().parent
    entries = []
    for directory, _, names in os.walk(package):
        for name in names:
            if name.endswith(".py"):
                status = os.stat(os.path.join(directory, name))
                entries.append((directory, name, status.st_size, status.st_mtime_ns))
    return repr(sorted(entries)).encode()


def workspace_keys(
    project: Project,
    config: Config,
    settings: Iterable[tuple[Path, Stamp | None]],
    inputs: Iterable[tuple[Path, Stamp | None]],
) -> tuple[str, str]:
    """The digests the snapshot of this workspace state is stored under: the key of
    everything, and the base key without the stamps of the ``inputs`` (the migration and
    models files), which a resumed start needs unchanged."""
    digest = hashlib.sha256(_code_digest())
    apps = [
        (a.label, a.name, a.origin, a.migrations_module, a.migrations_dir, a.migrated,
         a.package_dir)
        for a in project.apps.values()
    ]  # fmt: skip
    uninstalled = [(a.label, a.name, a.package_dir) for a in project.uninstalled]
    values = project.settings
    # DM301 compares the settings with their committed version (git HEAD).
    committed = committed_texts(project.root, values.files) if values.files else None
    facts = (
        FORMAT, sys.version, repr(config), apps, uninstalled, project.closed,
        project.interpreter, project.site_packages, project.excluded,
        [str(n) for n in project.notices], values.path, values.module,
        repr(values.values), values.complete, values.files, committed,
    )  # fmt: skip
    digest.update(repr(facts).encode("utf-8", "surrogateescape"))
    for path, stamp in settings:
        digest.update(f"{path}\0{stamp}\n".encode("utf-8", "surrogateescape"))
    base = digest.hexdigest()
    for path, stamp in inputs:
        digest.update(f"{path}\0{stamp}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), base


def recent(stamps: Iterable[Stamp | None]) -> bool:
    """Whether a file was modified too recently for its stamp to be trusted."""
    limit = time.time_ns() - RACY_NS
    return any(s is not None and s[1] >= limit for s in stamps)


def _encode_span(span: Span) -> tuple[int, ...]:
    return tuple(span)


#: The fields of ``Finding`` that ``save`` stores, in order.
FINDING_FIELDS = ("code", "message", "path", "span", "severity", "related", "fixes")


def _encode(found: Iterable[Finding]) -> list[Any]:
    return [
        (
            f.code, f.message, str(f.path), _encode_span(f.span), int(f.severity),
            [(str(r.path), _encode_span(r.span), r.message) for r in f.related],
            f.fixes,
        )
        for f in found
    ]  # fmt: skip


def _encode_by_path(by_path: Mapping[Path, list[Finding]]) -> list[Any]:
    return [(str(path), _encode(found)) for path, found in by_path.items()]


def save(
    directory: Path,
    key: str,
    by_path: Mapping[Path, list[Finding]],
    errors: Mapping[Path, str],
    lines: Mapping[Path, SourceLines],
    base: str | None = None,
    scoped: Scoped | None = None,
    support: Mapping[Path, tuple[str, Stamp | None]] | None = None,
) -> bool:
    """Write the snapshot, with ``scoped`` under ``base`` (the key without the stamps of
    the migration and models files); False (logged) when it cannot be encoded or
    written."""
    payload = (
        _encode_by_path(by_path),
        [(str(p), e) for p, e in errors.items()],
        [(str(p), source_lines.non_ascii()) for p, source_lines in lines.items()],
        [(str(p), m, tuple(s)) for p, (m, s) in (support or {}).items() if s is not None],
    )
    extra = None
    if base is not None and scoped is not None:
        extra = marshal.dumps((
            [(str(p), tuple(s)) for p, s in scoped.stamps.items()],
            [(tuple(k), _encode(found)) for k, found in scoped.files.items()],
            _encode_by_path(scoped.graph),
            [(label, _encode_by_path(found)) for label, found in scoped.apps.items()],
            [(label, sorted(readers)) for label, readers in scoped.readers.items()],
        ))  # fmt: skip
    try:
        data = marshal.dumps((FORMAT, key, payload, base, extra))
        write_atomically(directory / FILE_NAME, data)
    except (OSError, ValueError) as exc:
        logger.info("cannot write the findings snapshot in %s: %s", directory, exc)
        return False
    return True


def load(
    directory: Path, key: str, known: Mapping[str, Path], base: str | None = None
) -> Snapshot | None:
    """The snapshot stored under ``key`` (``exact``), or the one stored under ``base``
    with its ``scoped`` findings; None when there is none, it is another workspace
    state's, or it cannot be decoded (logged). ``known`` maps path strings to the
    workspace's own ``Path`` objects."""
    path = directory / FILE_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read the findings snapshot %s: %s", path, exc)
        return None
    try:
        version, stored_key, payload, stored_base, extra = marshal.loads(data)
        if version != FORMAT:
            return None
        exact = stored_key == key
        if not exact and (base is None or stored_base != base or extra is None):
            return None
        findings, errors, lines, support = payload

        def to_path(name: str) -> Path:
            found = known.get(name)
            return found if found is not None else Path(name)

        def decode(found: Any) -> list[Finding]:
            return [
                Finding(
                    code, message, to_path(file), _new_tuple(Span, span), Severity(severity),
                    [Related(to_path(r), _new_tuple(Span, s), m) for r, s, m in related],
                    fixes,
                )
                for code, message, file, span, severity, related, fixes in found
            ]  # fmt: skip

        def decode_by_path(items: Any) -> dict[Path, list[Finding]]:
            return {to_path(name): decode(found) for name, found in items}

        def decode_scoped() -> Scoped | None:
            if extra is None:
                return None
            stamps, files, graph, apps, readers = marshal.loads(extra)
            return Scoped(
                stamps={to_path(name): tuple(s) for name, s in stamps},
                files={MigrationKey(*k): decode(found) for k, found in files},
                graph=decode_by_path(graph),
                apps={label: decode_by_path(found) for label, found in apps},
                readers={label: {tuple(r) for r in seen} for label, seen in readers},
            )

        return Snapshot(
            by_path=decode_by_path(findings),
            errors={to_path(name): error for name, error in errors},
            lines={to_path(name): SourceLines.from_non_ascii(n) for name, n in lines},
            exact=exact,
            scoped=None if exact else decode_scoped(),
            decode_scoped=_guarded(decode_scoped, path) if exact else None,
            support={to_path(name): (module, tuple(s)) for name, module, s in support},
        )
    except _CORRUPT as exc:
        logger.warning("findings snapshot %s is corrupt (%s): ignored", path, exc)
        return None


_CORRUPT = (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError)


def _guarded(decode: Callable[[], Scoped | None], path: Path) -> Callable[[], Scoped | None]:
    def run() -> Scoped | None:
        try:
            return decode()
        except _CORRUPT as exc:
            logger.warning("findings snapshot %s is corrupt (%s): ignored", path, exc)
            return None

    return run
