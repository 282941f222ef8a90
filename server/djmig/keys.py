"""Shared value types: migration keys and source spans.

Spans are 0-based lines and 0-based columns counted in Unicode code points. Conversions
to the LSP client's position encoding (UTF-16 by default) happen at the protocol edge,
using the text of the few lines that are not ASCII (see ``SourceLines``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class MigrationKey(NamedTuple):
    """A node of the migration graph, as Django's ``(app_label, name)`` tuples."""

    app_label: str
    name: str

    def __str__(self) -> str:
        return f"{self.app_label}.{self.name}"


#: Whether each migration is applied to the database (absent: not known). Hovers, code lenses
#: and graph exports show it when they are given one.
AppliedState = Mapping[MigrationKey, bool]


class Span(NamedTuple):
    start_line: int
    start_col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int = 0, col: int = 0) -> Span:
        return cls(line, col, line, col)


class SourceLines:
    """The lines of a file that are not pure ASCII, kept for column conversions.

    In an ASCII line a code point, a UTF-8 byte and a UTF-16 unit are the same column.
    """

    __slots__ = ("_lines",)

    def __init__(self, text: str) -> None:
        self._lines: dict[int, str] = {}
        if not text.isascii():
            for number, line in enumerate(text.splitlines()):
                if not line.isascii():
                    self._lines[number] = line

    def line(self, number: int) -> str | None:
        return self._lines.get(number)

    def col_from_utf8(self, line: int, byte_col: int) -> int:
        text = self._lines.get(line)
        if text is None:
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def col_to_encoding(self, line: int, col: int, encoding: str) -> int:
        """Convert a code-point column to ``utf-16``/``utf-8``/``utf-32`` units."""
        text = self._lines.get(line)
        if text is None or encoding == "utf-32":
            return col
        prefix = text[:col]
        if encoding == "utf-8":
            return len(prefix.encode("utf-8"))
        return len(prefix.encode("utf-16-le")) // 2

    def col_from_encoding(self, line: int, units: int, encoding: str) -> int:
        text = self._lines.get(line)
        if text is None or encoding == "utf-32":
            return units
        codec = "utf-8" if encoding == "utf-8" else "utf-16-le"
        width = 1 if encoding == "utf-8" else 2
        data = text.encode(codec)[: units * width]
        return len(data.decode(codec, errors="ignore"))
