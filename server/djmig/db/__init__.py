"""Read-only access to a project's database, like Django's ``MigrationRecorder``.

Only this package touches a database. ``read_database`` opens the database of a
``DatabaseTarget`` read-only (SQLite ``mode=ro``, PostgreSQL read-only transactions),
bounded by a connect and a statement timeout, reads ``django_migrations (app, name,
applied)`` and the tables and columns that exist (for DM503), and closes it. Any failure is
one ``DatabaseUnavailable`` whose message never contains a password; nothing retries.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from djmig.db.state import DatabaseState, parse_timestamp
from djmig.db.target import DatabaseTarget, DatabaseUnavailable, resolve_target

if TYPE_CHECKING:
    from djmig.config import Config
    from djmig.index.discovery import Project

logger = logging.getLogger(__name__)

#: Seconds to wait for a connection, and for each statement.
TIMEOUT = 5.0


def read_database(target: DatabaseTarget, timeout: float = TIMEOUT) -> DatabaseState:
    """Read ``target``'s applied migrations and schema; ``DatabaseUnavailable`` otherwise."""
    if target.vendor == "sqlite":
        from djmig.db import sqlite

        return sqlite.read(target, timeout)
    from djmig.db import postgres

    return postgres.read(target, timeout)


__all__ = [
    "TIMEOUT",
    "DatabaseState",
    "DatabaseTarget",
    "DatabaseUnavailable",
    "load",
    "parse_timestamp",
    "read_database",
    "resolve_target",
]


def load(
    config: Config, project: Project, timeout: float = TIMEOUT
) -> tuple[DatabaseState | None, str | None]:
    """The database's state, or None and the one message that says why it is unknown
    (unconfigured, unreachable, refused). A database without ``django_migrations`` is
    read as Django reads it, nothing applied, with a message saying so."""
    try:
        target = resolve_target(config, project)
        state = read_database(target, timeout)
    except DatabaseUnavailable as exc:
        logger.info("database not read: %s", exc)
        return None, str(exc)
    if not state.has_table:
        return state, (
            f"{state.description} has no django_migrations table: "
            "no migration is applied there (migrate has never run)"
        )
    logger.info("read %d applied migrations from %s", len(state.applied), state.description)
    return state, None
