"""A head start for ``djmig serve`` on stdio, before pygls and lsprotocol are imported
(~0.9 s on the benchmark machine, most of it building lsprotocol's classes).

The client's first message is ``initialize``: it is read here, its workspace folders are
discovered, and when a folder has no parse cache yet (a cold start) the parse worker
(``index/worker.py``) starts on its migration files, on the second core, while this
process imports the language server. The message is then handed to pygls unchanged
(``Replay``). Whatever goes wrong here only costs the head start: the first index adopts
the worker only if it was started on exactly the files it is about to parse.

Nothing here imports pygls, lsprotocol or the rules.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

logger = logging.getLogger(__name__)

#: A first message bigger than this is left to pygls untouched.
MAX_MESSAGE = 1 << 20


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
        files = [item for app in project.apps.values() for item in app.migration_files().items()]
        if worker.prefetch(root, files):
            logger.info("parsing %d migration files of %s ahead", len(files), root)
            return  # one worker: the other folders are parsed when they are indexed
