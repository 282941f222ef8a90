"""Shared by the rules that read model states: the operations of an app, in plan order, and
the field an ``AddField``/``AlterField`` writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from djmig.fields import Field
from djmig.index.migrations import MigrationFile, Operation, qualify
from djmig.index.values import CallValue
from djmig.keys import MigrationKey
from djmig.rules.base import Context, Related


class Located(NamedTuple):
    key: MigrationKey
    migration: MigrationFile
    position: int
    operation: Operation


def operations(context: Context, app_label: str, *kinds: str) -> Iterator[Located]:
    """Django's operations of ``kinds`` written at the top level of the app's migrations
    (the graph's nodes, each kind in the order ``migrate`` applies them)."""
    migrations = context.migrations
    for kind in kinds:
        for key, index in context.state.operations(app_label, kind):
            migration = migrations[key]
            yield Located(key, migration, index, migration.operations[index])


def written_field(located: Located) -> Field | None:
    """The field argument of an ``AddField``/``AlterField``, if it is a Django field class
    with readable arguments."""
    value = located.operation.argument(2, "field")
    func = value.func if isinstance(value, CallValue) else None
    return Field.of(value, qualify(func, located.migration.imports))


def column_name(name: str, field: Field | None) -> str:
    """``Field.get_attname_column``: ``db_column``, else the attname (``<name>_id`` for
    foreign keys)."""
    if field is not None:
        db_column = field.get("db_column")
        if isinstance(db_column, str):
            return db_column
        if field.cls.name in ("ForeignKey", "OneToOneField"):
            return f"{name}_id"
    return name


def created_here(context: Context, key: MigrationKey | None, model_name: str) -> list[Related]:
    """Related information: the ``CreateModel`` of ``model_name`` in migration ``key``."""
    migration = context.migrations.get(key) if key else None
    if migration is None:
        return []
    for operation in migration.operations:
        name: Any = operation.argument(0, "name")
        if (
            operation.kind == "CreateModel"
            and isinstance(name, str)
            and name.lower() == model_name.lower()
        ):
            return [Related(migration.path, operation.span, f"{name} is created here")]
    return []


def uses_oracle(context: Context) -> bool:
    """A database of ``DATABASES`` is Oracle, which stores ``''`` as NULL: Django makes its
    string columns nullable (``interprets_empty_strings_as_nulls``)."""
    databases = context.project.settings.get("DATABASES")
    if not isinstance(databases, dict):
        return False
    return any(
        isinstance(db, dict) and isinstance(db.get("ENGINE"), str) and "oracle" in db["ENGINE"]
        for db in databases.values()
    )


def split_fixes(located: Located, model_name: str, field_name: str) -> list[dict[str, Any]]:
    """The "split" fix (below) and "Use db_default" (Django 5.0)."""
    split = split_fix(located, model_name, field_name)
    db_default = {
        "fix": "db-default",
        "operation": located.position,
        "app_label": located.key.app_label,
        "migration": located.key.name,
    }
    return [split, db_default]


def split_fix(located: Located, model_name: str, field_name: str) -> dict[str, Any]:
    """The data of the "Split into nullable + backfill + NOT NULL" fix (DM203, DM204)."""
    return {
        "fix": "split-not-null",
        "operation": located.position,
        "app_label": located.key.app_label,
        "migration": located.key.name,
        "model_name": model_name,
        "field_name": field_name,
    }
