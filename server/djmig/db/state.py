"""What was read from a database: the recorded migrations, tables and columns."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from djmig.keys import MigrationKey


@dataclass(frozen=True)
class DatabaseState:
    """What the database holds, as Django's recorder and introspection would read it.

    ``applied`` are the rows of ``django_migrations`` (``MigrationRecorder.
    applied_migrations``: empty when the table does not exist, ``has_table`` False) with
    their ``applied`` timestamps; ``tables`` the names ``introspection.table_names``
    lists (tables and views); ``columns`` the column names of each of them.
    """

    description: str
    vendor: str
    applied: dict[MigrationKey, datetime.datetime | None]
    has_table: bool
    tables: frozenset[str] = frozenset()
    columns: dict[str, frozenset[str]] = field(default_factory=dict)

    def applied_at(self, key: MigrationKey) -> datetime.datetime | None:
        return self.applied.get(key)


#: What ``MigrationRecorder.applied_migrations`` reads.
RECORDS = "SELECT app, name, applied FROM django_migrations"


def records(rows: Iterable[Sequence[Any]]) -> dict[MigrationKey, datetime.datetime | None]:
    """The rows of ``RECORDS``: when each migration was applied, by key."""
    return {MigrationKey(app, name): parse_timestamp(when) for app, name, when in rows}


def parse_timestamp(value: object) -> datetime.datetime | None:
    """An ``applied`` value: a datetime (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
