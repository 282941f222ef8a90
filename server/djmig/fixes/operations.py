"""Finding an operation of a migration in a libcst tree and adding an argument to it.

``find_operation`` counts operations exactly as ``djmig.index.migrations`` does: the last
top-level ``class Migration``, its last ``operations`` assignment, ``+`` of lists and
tuples read left to right, starred elements not counted. A fix addresses an operation by
that index, so the tree it rewrites is the one the finding was made on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import libcst as cst

logger = logging.getLogger(__name__)

_NO_SPACE = cst.SimpleWhitespace("")


def parse(source: str) -> cst.Module | None:
    try:
        return cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        logger.debug("libcst cannot parse the file: no fix")
        return None


def find_operation(module: cst.Module, index: int) -> cst.Call | None:
    """The ``index``-th operation of the ``Migration`` class when it is a call."""
    classes = [
        s for s in module.body if isinstance(s, cst.ClassDef) and s.name.value == "Migration"
    ]
    if not classes:
        return None
    value: cst.BaseExpression | None = None
    for statement in _small_statements(classes[-1].body):
        if isinstance(statement, cst.Assign) and any(
            _is_name(t.target, "operations") for t in statement.targets
        ):
            value = statement.value
        elif isinstance(statement, cst.AnnAssign) and _is_name(statement.target, "operations"):
            value = statement.value if statement.value is not None else value
        elif isinstance(statement, cst.AugAssign) and _is_name(statement.target, "operations"):
            value = None
    elements = list(_elements(value)) if value is not None else []
    if index >= len(elements) or not isinstance(elements[index], cst.Call):
        return None
    call = elements[index]
    assert isinstance(call, cst.Call)
    return call


def _small_statements(body: cst.BaseSuite) -> Iterator[cst.BaseSmallStatement]:
    if isinstance(body, cst.SimpleStatementSuite):
        yield from body.body
        return
    for statement in body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _elements(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        yield from _elements(node.left)
        yield from _elements(node.right)
    elif isinstance(node, (cst.List, cst.Tuple)):
        for element in node.elements:
            if isinstance(element, cst.Element):
                yield element.value


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def noop_of(call: cst.Call) -> cst.BaseExpression | None:
    """``<callee>.noop``: ``RunPython.noop`` spelled as the module spells the operation
    (``migrations.RunPython``, ``m.RunPython``, ``RunPython``), so import aliases hold."""
    callee = dotted_name(call.func)
    return cst.parse_expression(f"{callee}.noop") if callee else None


def argument_index(args: Sequence[cst.Arg], position: int, keyword: str) -> int | None:
    """Where the argument Django binds to parameter ``keyword`` (at ``position``) is."""
    positional = 0
    for index, arg in enumerate(args):
        if arg.star:
            return None
        if arg.keyword is None:
            if positional == position:
                return index
            positional += 1
        elif arg.keyword.value == keyword:
            return index
    return None


def keyword_arg(keyword: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE),
    )


def insert_argument(call: cst.Call, after: int, new: cst.Arg) -> cst.Call:
    """``call`` with ``new`` right after argument ``after``, laid out like it.

    In a call with one argument per line the new argument gets a line of its own with the
    same indentation; a comment after the anchor argument stays on the anchor's line.
    """
    args = list(call.args)
    anchor = args[after]
    if after == 0:
        before = call.whitespace_before_args
    else:
        previous = args[after - 1].comma
        before = previous.whitespace_after if isinstance(previous, cst.Comma) else _NO_SPACE
    comma = anchor.comma
    tail = comma.whitespace_after if isinstance(comma, cst.Comma) else anchor.whitespace_after_arg
    separator: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
    closing = tail
    if isinstance(before, cst.ParenthesizedWhitespace) and isinstance(
        tail, cst.ParenthesizedWhitespace
    ):
        separator = before.with_changes(first_line=tail.first_line, empty_lines=[])
        closing = tail.with_changes(first_line=cst.TrailingWhitespace())
    if isinstance(comma, cst.Comma):
        args[after] = anchor.with_changes(comma=comma.with_changes(whitespace_after=separator))
        new = new.with_changes(comma=comma.with_changes(whitespace_after=closing))
    else:
        args[after] = anchor.with_changes(
            comma=cst.Comma(whitespace_after=separator), whitespace_after_arg=_NO_SPACE
        )
        new = new.with_changes(whitespace_after_arg=closing)
    args.insert(after + 1, new)
    return call.with_changes(args=args)


def replace(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
    replaced = module.deep_replace(old, new)
    assert isinstance(replaced, cst.Module)
    return replaced
