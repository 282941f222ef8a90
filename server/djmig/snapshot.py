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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from djmig.config import Config
from djmig.index.cache import RACY_NS, Stamp, write_atomically
from djmig.index.discovery import Project
from djmig.index.history import committed_texts
from djmig.keys import SourceLines, Span
from djmig.rules import Finding, Related, Severity

logger = logging.getLogger(__name__)

FORMAT = 1
FILE_NAME = "findings.marshal"
_new_tuple = tuple.__new__


@dataclass
class Snapshot:
    by_path: dict[Path, list[Finding]]
    errors: dict[Path, str]
    lines: dict[Path, SourceLines]


def _code_digest() -> bytes:
    package = Path(__file__).resolve().parent
    entries = []
    for directory, _, names in os.walk(package):
        for name in names:
            if name.endswith(".py"):
                status = os.stat(os.path.join(directory, name))
                entries.append((directory, name, status.st_size, status.st_mtime_ns))
    return repr(sorted(entries)).encode()


def workspace_key(
    project: Project, config: Config, stamps: Iterable[tuple[Path, Stamp | None]]
) -> str:
    """The digest the snapshot of this workspace state is stored under."""
    digest = hashlib.sha256(_code_digest())
    apps = [
        (a.label, a.name, a.origin, a.migrations_module, a.migrations_dir, a.migrated,
         a.package_dir)
        for a in project.apps.values()
    ]  # fmt: skip
    uninstalled = [(a.label, a.name, a.package_dir) for a in project.uninstalled]
    settings = project.settings
    # DM301 compares the settings with their committed version (git HEAD).
    committed = committed_texts(project.root, settings.files) if settings.files else None
    facts = (
        FORMAT, sys.version, repr(config), apps, uninstalled, project.closed,
        project.interpreter, project.site_packages, project.excluded,
        [str(n) for n in project.notices], settings.path, settings.module,
        repr(settings.values), settings.complete, settings.files, committed,
    )  # fmt: skip
    digest.update(repr(facts).encode("utf-8", "surrogateescape"))
    for path, stamp in stamps:
        digest.update(f"{path}\0{stamp}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def recent(stamps: Iterable[Stamp | None]) -> bool:
    """Whether a file was modified too recently for its stamp to be trusted."""
    limit = time.time_ns() - RACY_NS
    return any(s is not None and s[1] >= limit for s in stamps)


def _encode_span(span: Span) -> tuple[int, ...]:
    return tuple(span)


#: The fields of ``Finding`` that ``save`` stores, in order.
FINDING_FIELDS = ("code", "message", "path", "span", "severity", "related", "fixes")


def save(
    directory: Path,
    key: str,
    by_path: Mapping[Path, list[Finding]],
    errors: Mapping[Path, str],
    lines: Mapping[Path, SourceLines],
) -> bool:
    """Write the snapshot; False (logged) when it cannot be encoded or written."""
    findings = [
        (
            str(path),
            [
                (
                    f.code, f.message, str(f.path), _encode_span(f.span), int(f.severity),
                    [(str(r.path), _encode_span(r.span), r.message) for r in f.related],
                    f.fixes,
                )
                for f in found
            ],
        )
        for path, found in by_path.items()
    ]  # fmt: skip
    payload = (
        findings,
        [(str(p), e) for p, e in errors.items()],
        [(str(p), source_lines.non_ascii()) for p, source_lines in lines.items()],
    )
    try:
        write_atomically(directory / FILE_NAME, marshal.dumps((FORMAT, key, payload)))
    except (OSError, ValueError) as exc:
        logger.info("cannot write the findings snapshot in %s: %s", directory, exc)
        return False
    return True


def load(directory: Path, key: str, known: Mapping[str, Path]) -> Snapshot | None:
    """The snapshot stored under ``key``; None when there is none, it is another
    workspace state's, or it cannot be decoded (logged). ``known`` maps path strings to
    the workspace's own ``Path`` objects."""
    path = directory / FILE_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read the findings snapshot %s: %s", path, exc)
        return None
    try:
        version, stored_key, payload = marshal.loads(data)
        if version != FORMAT or stored_key != key:
            return None
        findings, errors, lines = payload

        def to_path(name: str) -> Path:
            found = known.get(name)
            return found if found is not None else Path(name)

        return Snapshot(
            by_path={
                to_path(name): [
                    Finding(
                        code, message, to_path(file), _new_tuple(Span, span),
                        Severity(severity),
                        [Related(to_path(r), _new_tuple(Span, s), m) for r, s, m in related],
                        fixes,
                    )
                    for code, message, file, span, severity, related, fixes in found
                ]
                for name, found in findings
            },
            errors={to_path(name): error for name, error in errors},
            lines={to_path(name): SourceLines.from_non_ascii(n) for name, n in lines},
        )  # fmt: skip
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        logger.warning("findings snapshot %s is corrupt (%s): ignored", path, exc)
        return None
