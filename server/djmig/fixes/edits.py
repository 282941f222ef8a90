"""What a fix is: text edits on files, computed as the minimal difference of two sources.

Positions are 0-based lines and code-point columns (``djmig.keys.Span``). Lines end at
``\\n``, ``\\r\\n`` or ``\\r`` only, as in the LSP and in Python's tokenizer; ``str.splitlines``
would also break at form feeds and other separators and shift every later line.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from djmig.keys import Span

Applicability = Literal["safe", "unsafe", "display"]

_LINE_BREAK = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


@dataclass
class TextEdit:
    span: Span
    new_text: str


@dataclass
class FileEdit:
    """Edits of one file; ``create``: the file does not exist yet and ``edits`` fill it."""

    path: Path
    edits: list[TextEdit]
    create: bool = False


@dataclass
class Fix:
    """One code action. ``safe`` fixes are applied by ``djmig check --fix``; ``display``
    ones are offered in the editor only. A ``disabled`` fix has no edits, only the reason
    it is not offered (shown greyed out by editors that can)."""

    title: str
    code: str
    applicability: Applicability
    edits: list[FileEdit]
    is_preferred: bool = False
    disabled: str | None = None


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks."""
    lines = _LINE_BREAK.split(text)
    return lines[:-1] if lines[-1] == "" else lines


def parses(source: str) -> bool:
    """Whether Python accepts ``source``: no fix may leave a file that does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def text_edits(old: str, new: str) -> list[TextEdit]:
    """Minimal edits turning ``old`` into ``new``: changed line blocks (difflib), each
    trimmed to the characters that differ."""
    old_lines, new_lines = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        prefix = _common_prefix(before, after)
        suffix = _common_suffix(before[prefix:], after[prefix:])
        start = _position(old_lines, i1, prefix)
        end = _position(old_lines, i1, len(before) - suffix)
        edits.append(TextEdit(Span(*start, *end), after[prefix : len(after) - suffix]))
    return edits


def apply_text_edits(text: str, edits: list[TextEdit]) -> str:
    """``text`` with non-overlapping ``edits`` (positions in ``text``) applied."""
    lines = split_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        return starts[line] + col if line < len(lines) else len(text)

    for edit in sorted(edits, key=lambda e: e.span, reverse=True):
        start = offset(edit.span.start_line, edit.span.start_col)
        end = offset(edit.span.end_line, edit.span.end_col)
        text = text[:start] + edit.new_text + text[end:]
    return text


def _common_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b):
        if x != y:
            break
        size += 1
    if 0 < size < len(a) and a[size - 1] == "\r" and a[size] == "\n":
        size -= 1  # never split a \r\n line break
    return size


def _common_suffix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(reversed(a), reversed(b)):
        if x != y:
            break
        size += 1
    if 0 < size < len(a) and a[-size] == "\n" and a[-size - 1] == "\r":
        size -= 1
    return size


def _position(lines: list[str], line: int, offset: int) -> tuple[int, int]:
    """The position ``offset`` characters after the start of ``lines[line]``."""
    while line < len(lines) and offset >= len(lines[line]) and lines[line][-1] in "\r\n":
        offset -= len(lines[line])
        line += 1
    return line, offset
