"""DM201 "Add reverse noop": ``RunPython(f)`` → ``RunPython(f, migrations.RunPython.noop)``.

The reverse is passed positionally when the forward function is the only argument, else as
``reverse_code=`` right after it (``RunPython(f, elidable=True)``, ``RunPython(code=f)``).
"""

from __future__ import annotations

import libcst as cst

from djmig.fixes.operations import (
    argument_index,
    find_operation,
    insert_argument,
    keyword_arg,
    noop_of,
    parse,
    replace,
)


def add_reverse(call: cst.Call, reverse: cst.BaseExpression) -> cst.Call | None:
    """``call`` (a ``RunPython``) with ``reverse`` as its ``reverse_code``; None when it
    has one already or its arguments cannot be read."""
    code = argument_index(call.args, 0, "code")
    if code is None or argument_index(call.args, 1, "reverse_code") is not None:
        return None
    if len(call.args) == 1 and call.args[0].keyword is None:
        return insert_argument(call, code, cst.Arg(reverse))
    return insert_argument(call, code, keyword_arg("reverse_code", reverse))


def add_reverse_noop(source: str, operation: int) -> str | None:
    """``source`` with ``RunPython.noop`` as reverse of operation number ``operation``."""
    module = parse(source)
    call = find_operation(module, operation) if module is not None else None
    noop = noop_of(call) if call is not None else None
    if module is None or call is None or noop is None:
        return None
    fixed = add_reverse(call, noop)
    return replace(module, call, fixed).code if fixed else None
