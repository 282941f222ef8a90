"""Every finding: "Ignore DMxxx on this line" adds ``# noqa: DMxxx`` to its first line.

An existing ``# noqa: DM101`` becomes ``# noqa: DM101, DM201``; a bare ``# noqa`` already
silences everything. djmig reads ``noqa`` only at the start of a comment, so another
comment on the line is kept after it: ``# noqa: DM201  # backfill``. No comment is added
where the line ends inside a string or in a backslash continuation: it would not be a
comment there.
"""

from __future__ import annotations

import io
import tokenize

from djmig.fixes.edits import split_lines
from djmig.index.source import NOQA


def _line_end(source: str, line: int) -> tuple[bool, tokenize.TokenInfo | None]:
    """Whether a comment can end line ``line``, and the comment it has."""
    row = line + 1
    comment = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.start[0] > row:
                break
            if token.start[0] == row and token.type == tokenize.COMMENT:
                comment = token
            if token.start[0] == row and token.type in (tokenize.NEWLINE, tokenize.NL):
                return True, comment
    except (tokenize.TokenError, SyntaxError):
        pass
    return False, None


def add_noqa(source: str, line: int, code: str) -> str | None:
    """``source`` with ``code`` silenced on ``line``; None when it already is or cannot be."""
    lines = split_lines(source)
    if line >= len(lines) or any(text.endswith("\r") for text in lines):
        return None  # tokenize knows only \n and \r\n line breaks
    commentable, comment = _line_end(source, line)
    if not commentable:
        return None
    text = lines[line]
    if comment is None:
        body = text.rstrip("\r\n")
        lines[line] = f"{body.rstrip()}  # noqa: {code}{text[len(body) :]}"
        return "".join(lines)
    at = comment.start[1]
    match = NOQA.match(comment.string)
    if match is None:
        lines[line] = f"{text[:at]}# noqa: {code}  {text[at:]}"
        return "".join(lines)
    codes = match.group("codes")
    if codes is None or code in codes.upper().replace(",", " ").split():
        return None
    at += match.end("codes")
    lines[line] = f"{text[:at]}, {code}{text[at:]}"
    return "".join(lines)
