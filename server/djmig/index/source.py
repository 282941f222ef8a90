"""Reading Python source files the way the interpreter would (PEP 263 encodings), and the
parsed form of the workspace files that are not migrations but carry findings (models,
settings): ``SourceFile``."""

from __future__ import annotations

import ast
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from djmig.keys import SourceLines

MAX_SOURCE_BYTES = 8 * 1024 * 1024


class SourceError(Exception):
    """A file that cannot be read or decoded; the message is one line for the user."""


def decode_source(data: bytes) -> str:
    """Decode bytes using the encoding cookie or BOM, defaulting to UTF-8."""
    head = data[:400].split(b"\n", 2)[:2]
    if not data.startswith(b"\xef\xbb\xbf") and not any(b"coding" in line for line in head):
        try:
            return data.decode("utf-8")  # no cookie, no BOM: what nearly every file is
        except UnicodeDecodeError:
            pass  # reported with its position below
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"cannot determine the file's encoding: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not valid {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")


def absolute_module(stmt: ast.ImportFrom, package: str) -> str | None:
    """The module ``from … import`` names, seen from a module of ``package`` (the module
    itself for a package's ``__init__``); None for a relative import past the top."""
    if stmt.level == 0:
        return stmt.module
    parts = package.split(".")
    if stmt.level - 1 >= len(parts):
        return None
    base = ".".join(parts[: len(parts) - (stmt.level - 1)])
    return f"{base}.{stmt.module}" if stmt.module else base


def read_source(path: Path) -> str:
    """The decoded text of ``path``; ``SourceError`` for anything but a readable regular
    file (a FIFO is opened non-blocking and refused, never waited on)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise SourceError("not a regular file")
        if status.st_size > MAX_SOURCE_BYTES:
            raise SourceError(f"file is too large to analyse ({status.st_size} bytes)")
        # One read of the whole file, its size known: a bigger buffer costs a first pass
        # over 10,000 files ~0.15 s more (each read allocates it afresh and faults its
        # pages in). A short read means the end of a regular file; more comes only if the
        # file grew since ``fstat``.
        data = os.read(fd, status.st_size + 1)
        chunks = [data]
        if len(data) > status.st_size:
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return decode_source(b"".join(chunks))


NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[,\s]+[A-Za-z]+[0-9]+)*))?", re.IGNORECASE
)

Noqa = dict[int, frozenset[str] | None]


def parse_noqa(text: str) -> Noqa:
    """``# noqa`` / ``# noqa: DM201, DM202`` comments by 0-based line (None: all codes)."""
    result: Noqa = {}
    if "noqa" not in text.lower():
        return result
    try:
        comments = [
            (token.start[0] - 1, token.string)
            for token in tokenize.generate_tokens(io.StringIO(text).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        return result
    for number, comment in comments:
        match = NOQA.match(comment)
        if match:
            codes = match.group("codes")
            result[number] = (
                frozenset(c.upper() for c in re.split(r"[,\s]+", codes) if c) if codes else None
            )
    return result


def suppressed(noqa: Noqa, line: int, code: str) -> bool:
    if line not in noqa:
        return False
    codes = noqa[line]
    return codes is None or code in codes


@dataclass
class SourceFile:
    """A workspace Python file that is not a migration: an app's models module, a settings
    module. ``tree`` is None when it cannot be read or parsed (``error`` says why)."""

    path: Path
    text: str = ""
    tree: ast.Module | None = None
    error: str | None = None
    lines: SourceLines = field(default_factory=lambda: SourceLines(""))
    noqa: Noqa = field(default_factory=dict)

    def suppressed(self, line: int, code: str) -> bool:
        return suppressed(self.noqa, line, code)


def parse_source_file(path: Path, text: str | None = None) -> SourceFile:
    """Parse the file at ``path`` (or ``text``, an editor's unsaved buffer)."""
    if text is None:
        try:
            text = read_source(path)
        except SourceError as exc:
            return SourceFile(path, error=str(exc))
    source = SourceFile(path, text, lines=SourceLines(text), noqa=parse_noqa(text))
    try:
        source.tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        source.error = f"SyntaxError: {exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        source.error = f"cannot parse: {type(exc).__name__}"
    return source
