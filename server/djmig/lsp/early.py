"""A head start for ``djmig serve`` on stdio, before pygls and lsprotocol are imported
(~0.9 s on the benchmark machine, most of it building lsprotocol's classes).

The client's first message is ``initialize``: it is read here, its workspace folders are
discovered, and when a folder has no parse cache yet (a cold start) the parse worker
(``index/worker.py``) starts on its migration files, on the second core, while this
process imports the language server. The message is then handed to pygls unchanged
(``Replay``). Whatever goes wrong here only costs the head start: the first index adopts
the worker only if it was started on exactly the files it is about to parse, and what was
discovered here only if its configuration is the same (``discovered``).

Nothing here imports pygls, lsprotocol or the rules.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from djmig.config import Config
    from djmig.index.cache import Stamp
    from djmig.index.discovery import Project
    from djmig.keys import MigrationKey

logger = logging.getLogger(__name__)

#: A first message bigger than this is left to pygls untouched.
MAX_MESSAGE = 1 << 20

#: What the head start discovered of a folder: for which configuration, the project, its
#: migration files, and the stamps of what a change would show in (``_fingerprint``);
#: until the first index takes it (``discovered``).
_discovered: dict[Path, tuple[Config, Project, dict[MigrationKey, Path], list[Stamp | None]]] = {}


class Replay:
    """``stdin`` with ``prefix`` (bytes already read from it) in front, for pygls' reader
    (which calls ``readline`` and ``read``)."""

    def __init__(self, prefix: bytes, stdin: BinaryIO) -> None:
        self._prefix = prefix
        self._stdin = stdin

    def readline(self) -> bytes:
        if self._prefix:
            line, newline, rest = self._prefix.partition(b"\n")
            if newline:
                self._prefix = rest
                return line + newline
            self._prefix = b""
            return line + self._stdin.readline()
        return self._stdin.readline()

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size < 0:
                data, self._prefix = self._prefix + self._stdin.read(), b""
                return data
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            if len(data) < size:
                data += self._stdin.read(size - len(data))
            return data
        return self._stdin.read(size)


def head_start(stdin: BinaryIO) -> Replay:
    """Read the client's first message, start parsing its cold folders, and return the
    stream pygls must read (the message first)."""
    prefix = b""
    try:
        prefix, message = _read_message(stdin)
        if message is not None:
            _prefetch(message)
    except Exception:  # only the head start is lost; pygls answers whatever came
        logger.debug("no head start", exc_info=True)
    return Replay(prefix, stdin)


def _read_message(stdin: BinaryIO) -> tuple[bytes, dict[str, Any] | None]:
    """The raw bytes read and, when they are one whole JSON-RPC message, the message."""
    raw = b""
    length: int | None = None
    while True:
        line = stdin.readline()
        raw += line
        if not line or len(raw) > MAX_MESSAGE:
            return raw, None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii", "replace").partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = int(value.strip())
    if length is None or length > MAX_MESSAGE:
        return raw, None
    body = stdin.read(length)
    raw += body
    try:
        message = json.loads(body)
    except ValueError:
        return raw, None
    return raw, message if isinstance(message, dict) else None


def folders_of(params: dict[str, Any]) -> list[Path]:
    """The workspace folders of ``initialize`` params, as the server reads them."""
    uris = [f.get("uri") for f in params.get("workspaceFolders") or [] if isinstance(f, dict)]
    if not uris and isinstance(params.get("rootUri"), str):
        uris = [params["rootUri"]]
    folders = [Path(unquote(urlparse(u).path)) for u in uris if isinstance(u, str)]
    folders = [f for f, u in zip(folders, uris) if str(u).startswith("file:")]
    if not folders and isinstance(params.get("rootPath"), str):
        folders = [Path(params["rootPath"])]
    return [f.resolve() for f in folders]


def _prefetch(message: dict[str, Any]) -> None:
    from djmig.config import load_pyproject, merge
    from djmig.index import worker
    from djmig.index.cache import ParseCache
    from djmig.index.discovery import discover

    params = message.get("params")
    if message.get("method") != "initialize" or not isinstance(params, dict):
        return
    options = params.get("initializationOptions")
    options = (
        {k: v for k, v in options.items() if k != "diagnosticMode"}
        if isinstance(options, dict)
        else {}
    )
    for root in folders_of(params):
        if not root.is_dir():
            continue
        config, _ = load_pyproject(root)
        config, _ = merge(config, options)
        if not config.cache or ParseCache(root).path.exists():
            continue  # a warm start: the cache answers, nothing to parse
        project = discover(root, config)
        listed = {k: p for app in project.apps.values() for k, p in app.migration_files().items()}
        if worker.prefetch(root, list(listed.items())):
            logger.info("parsing %d migration files of %s ahead", len(listed), root)
            _discovered[root] = config, project, listed, _fingerprint(project)
            return  # one worker: the other folders are parsed when they are indexed


def discovered(root: Path, config: Config) -> tuple[Project, dict[MigrationKey, Path]] | None:
    """The project and migration files the head start found in ``root``, if it used
    ``config`` and nothing it read was changed since as far as ``_fingerprint`` tells
    (once: a later index discovers afresh). Discovering and listing the files again took
    ~0.05 s of the first diagnostics, while the worker waited for this process."""
    found = _discovered.pop(root, None)
    if found is None or found[0] != config or _fingerprint(found[1]) != found[3]:
        return None
    return found[1], found[2]


def _fingerprint(project: Project) -> list[Stamp | None]:
    """The stamps of the workspace root, the settings modules, ``manage.py``, and each
    app's package and migrations directories: a file created, deleted or renamed there (as
    a ``git checkout`` or an editor's save does) changes one."""
    from djmig.index.cache import stamp

    paths = [project.root, project.root / "manage.py", *project.settings.files]
    for app in project.apps.values():
        paths += [p for p in (app.package_dir, app.migrations_dir) if p is not None]
    return [stamp(path) for path in paths]
