"""DM201 "Add reverse function stub": a ``def <forward>_reverse(apps, schema_editor)`` with
body ``pass``, passed as the operation's reverse.

The stub goes right after the module-level definition of the forward function, or before
``class Migration`` when the function is imported. Its name avoids every name the module
already uses.
"""

from __future__ import annotations

import libcst as cst

from djmig.fixes.operations import find_operation, parse, replace
from djmig.fixes.reverse_noop import add_reverse


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def stub_name(module: cst.Module, function: str) -> str:
    visitor = _Names()
    module.visit(visitor)
    base = f"{function.rsplit('.', 1)[-1]}_reverse"
    name, number = base, 1
    while name in visitor.names:
        number += 1
        name = f"{base}_{number}"
    return name


def _insertion_index(body: list[cst.BaseStatement], function: str) -> int | None:
    """After the last top-level ``def function``, else before the last ``class Migration``."""
    for index in range(len(body) - 1, -1, -1):
        statement = body[index]
        if isinstance(statement, cst.FunctionDef) and statement.name.value == function:
            return index + 1
    for index in range(len(body) - 1, -1, -1):
        statement = body[index]
        if isinstance(statement, cst.ClassDef) and statement.name.value == "Migration":
            return index
    return None


def add_reverse_stub(source: str, operation: int, function: str) -> str | None:
    """``source`` with a reverse stub for ``function`` passed to operation ``operation``."""
    module = parse(source)
    call = find_operation(module, operation) if module is not None else None
    if module is None or call is None:
        return None
    name = stub_name(module, function)
    fixed = add_reverse(call, cst.Name(name))
    index = _insertion_index(list(module.body), function)
    if fixed is None or index is None:
        return None
    module = replace(module, call, fixed)
    stub = cst.parse_statement(
        f"def {name}(apps, schema_editor):\n{module.default_indent}pass\n",
        config=module.config_for_parsing,
    ).with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()] if index else [])
    body = list(module.body)
    body.insert(index, stub)
    return module.with_changes(body=body).code
