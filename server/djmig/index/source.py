"""Reading Python source files the way the interpreter would (PEP 263 encodings)."""

from __future__ import annotations

import io
import os
import stat
import tokenize
from pathlib import Path

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
        chunks = []
        while chunk := os.read(fd, max(status.st_size, 65536)):
            chunks.append(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return decode_source(b"".join(chunks))
