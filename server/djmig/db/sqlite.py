"""SQLite, read-only: the file opened as ``file:…?mode=ro`` (a missing file is never
created, a write fails), ``timeout`` as the busy timeout (a locked file is waited on that
long, then reported), and a progress handler that interrupts any statement running longer.

Reads what ``MigrationRecorder.applied_migrations`` and the SQLite backend's
``DatabaseIntrospection.get_table_list`` / ``get_table_description`` read.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from djmig.db.state import RECORDS, DatabaseState, records
from djmig.db.target import DatabaseTarget, DatabaseUnavailable

_TABLES = (
    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
    "AND NOT name = 'sqlite_sequence'"
)


def connect(target: DatabaseTarget, timeout: float) -> sqlite3.Connection:
    """A read-only connection; every statement is interrupted after ``timeout`` seconds."""
    path = Path(target.name)
    if not path.is_file():
        reason = "no such file" if not path.exists() else "not a file"
        raise DatabaseUnavailable(f"cannot read {target.describe()}: {reason}")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot open {target.describe()}: {exc}") from None
    started = time.monotonic()

    def interrupt() -> int:
        return 1 if time.monotonic() - started > timeout else 0

    connection.set_progress_handler(interrupt, 10_000)
    return connection


def read(target: DatabaseTarget, timeout: float) -> DatabaseState:
    connection = connect(target, timeout)
    try:
        tables = {row[0] for row in connection.execute(_TABLES)}
        columns: dict[str, frozenset[str]] = {}
        for table in tables:
            try:
                rows = connection.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
            except sqlite3.DatabaseError:
                continue  # a view over a table that no longer exists
            columns[table] = frozenset(row[1] for row in rows)
        has_table = "django_migrations" in tables
        applied = records(connection.execute(RECORDS)) if has_table else {}
    except sqlite3.Error as exc:
        message = str(exc)
        if message == "interrupted":
            message = f"a query took longer than {timeout:g} s"
        raise DatabaseUnavailable(f"cannot read {target.describe()}: {message}") from None
    finally:
        connection.close()
    return DatabaseState(
        target.describe(), "sqlite", applied, has_table, frozenset(tables), columns
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
