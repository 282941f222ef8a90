"""PostgreSQL, read-only, with psycopg 3 (the optional extra ``djmig[postgres]``).

The session starts with ``default_transaction_read_only=on`` and a ``statement_timeout``
(libpq ``options``, after the user's own ``options`` such as ``-c search_path=…``), psycopg
opens each transaction ``READ ONLY`` on top, and libpq's ``connect_timeout`` bounds the
connection. One attempt, no retry. Reads what ``MigrationRecorder.applied_migrations``
and the PostgreSQL backend's ``get_table_list`` (tables, views, materialized, foreign and
partitioned tables visible on the ``search_path``) read.
"""

from __future__ import annotations

import math
from typing import Any

from djmig.db.state import RECORDS, DatabaseState, records
from djmig.db.target import DatabaseTarget, DatabaseUnavailable

_VISIBLE = (
    "c.relkind IN ('f', 'm', 'p', 'r', 'v') "
    "AND n.nspname NOT IN ('pg_catalog', 'pg_toast') "
    "AND pg_catalog.pg_table_is_visible(c.oid)"
)
_TABLES = (
    "SELECT c.relname FROM pg_catalog.pg_class c "
    "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE {_VISIBLE}"
)
_COLUMNS = (
    "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE a.attnum > 0 AND NOT a.attisdropped AND {_VISIBLE}"
)


def _one_line(target: DatabaseTarget, error: BaseException) -> str:
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return target.scrub(text or type(error).__name__)


def connect(target: DatabaseTarget, timeout: float) -> Any:
    """A read-only ``psycopg.Connection``."""
    try:
        import psycopg
    except ImportError:
        raise DatabaseUnavailable(
            f"cannot read {target.describe()}: PostgreSQL needs psycopg "
            "(pip install 'djmig[postgres]')"
        ) from None
    milliseconds = max(1, int(timeout * 1000))
    ours = (
        f"-c default_transaction_read_only=on -c statement_timeout={milliseconds} "
        f"-c lock_timeout={milliseconds}"
    )
    params: dict[str, Any] = dict(target.options)
    params["options"] = f"{params['options']} {ours}" if params.get("options") else ours
    params["connect_timeout"] = str(max(2, math.ceil(timeout)))
    for key in ("user", "host", "port", "password"):
        value = getattr(target, key)
        if value:
            params[key] = value
    if target.name:
        params["dbname"] = target.name
    try:
        connection = psycopg.connect(**params)
    except Exception as exc:  # OperationalError, or a bad parameter (ProgrammingError)
        raise DatabaseUnavailable(
            f"cannot connect to {target.describe()}: {_one_line(target, exc)}"
        ) from None
    connection.read_only = True
    return connection


def read(target: DatabaseTarget, timeout: float) -> DatabaseState:
    connection = connect(target, timeout)
    try:
        with connection.cursor() as cursor:
            tables = {row[0] for row in cursor.execute(_TABLES)}
            columns: dict[str, set[str]] = {}
            for table, column in cursor.execute(_COLUMNS):
                columns.setdefault(table, set()).add(column)
            has_table = "django_migrations" in tables
            applied = records(cursor.execute(RECORDS)) if has_table else {}
        connection.rollback()
    except Exception as exc:
        raise DatabaseUnavailable(
            f"cannot read {target.describe()}: {_one_line(target, exc)}"
        ) from None
    finally:
        connection.close()
    return DatabaseState(
        target.describe(),
        "postgresql",
        applied,
        has_table,
        frozenset(tables),
        {table: frozenset(names) for table, names in columns.items()},
    )
