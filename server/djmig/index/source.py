"""Reading Python source files the way the interpreter would (PEP 263 encodings)."""

from __future__ import annotations

import io
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
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise SourceError("not a regular file")
        size = status.st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(f"file is too large to analyse ({size} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    return decode_source(data)
