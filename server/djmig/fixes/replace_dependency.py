"""DM102 "Depend on <app>.<name>": rewrite the dependency tuple at the finding's span.

Only the two strings change; brackets, spacing, comments and the quote style stay.
"""

from __future__ import annotations

import libcst as cst

from djmig.fixes.edits import split_lines
from djmig.keys import MigrationKey, Span


def _text_at(lines: list[str], span: Span) -> str:
    if span.start_line == span.end_line:
        return lines[span.start_line][span.start_col : span.end_col]
    return (
        lines[span.start_line][span.start_col :]
        + "".join(lines[span.start_line + 1 : span.end_line])
        + lines[span.end_line][: span.end_col]
    )


def _quote(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString) and node.quote in ("'", '"'):
        return node.quote
    return None


def _string(value: str, quote: str) -> cst.SimpleString:
    if quote in value or "\\" in value:
        return cst.SimpleString(repr(value))
    return cst.SimpleString(f"{quote}{value}{quote}")


def replace_dependency(source: str, span: Span, key: MigrationKey) -> str | None:
    """``source`` with the ``(app_label, name)`` pair at ``span`` replaced by ``key``."""
    lines = split_lines(source)
    if span.end_line >= len(lines):
        return None
    old = _text_at(lines, span)
    try:
        node = cst.parse_expression(old)
    except cst.ParserSyntaxError:
        return None
    if not isinstance(node, (cst.Tuple, cst.List)) or len(node.elements) != 2:
        return None
    default = _quote(node.elements[0].value) or _quote(node.elements[1].value) or '"'
    elements = [
        element.with_changes(value=_string(value, _quote(element.value) or default))
        for element, value in zip(node.elements, key)
    ]
    new = cst.Module([]).code_for_node(node.with_changes(elements=elements))
    start = sum(len(line) for line in lines[: span.start_line]) + span.start_col
    return source[:start] + new + source[start + len(old) :]
