"""DM202 "Add reverse_sql noop": ``reverse_sql=migrations.RunSQL.noop`` on a ``RunSQL``.

Always the keyword form, as in Django's documentation: next to a string of SQL, a second
positional argument is easily read as more SQL to run.
"""

from __future__ import annotations

from djmig.fixes.operations import (
    argument_index,
    find_operation,
    insert_argument,
    keyword_arg,
    noop_of,
    parse,
    replace,
)


def add_reverse_sql_noop(source: str, operation: int) -> str | None:
    """``source`` with ``reverse_sql=RunSQL.noop`` on operation number ``operation``."""
    module = parse(source)
    call = find_operation(module, operation) if module is not None else None
    noop = noop_of(call) if call is not None else None
    if module is None or call is None or noop is None:
        return None
    sql = argument_index(call.args, 0, "sql")
    if sql is None or argument_index(call.args, 1, "reverse_sql") is not None:
        return None
    fixed = insert_argument(call, sql, keyword_arg("reverse_sql", noop))
    return replace(module, call, fixed).code
