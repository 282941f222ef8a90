"""An initial migration is not recorded as applied, but its tables already exist.

## What it does
Reads `django_migrations` and the tables and columns of the project's database
(read-only) and reports each unapplied initial migration that Django's
`MigrationExecutor.detect_soft_applied` considers applied: every table its `CreateModel`
operations create exists (proxy and unmanaged models aside), every column its `AddField`
operations add exists (for a many-to-many field, its table), and there is at least one of
them. Initial means `initial = True`, or, when `initial` is not set, no dependency on a
migration of its own app. Silent when an operation, a model or `DATABASE_ROUTERS` cannot be
read, for swapped models, and while the history is inconsistent (DM501: `migrate` refuses
to run, `--fake-initial` included).

## Why is this bad?
`migrate` runs the migration and fails at once with `table "shop_product" already exists`
(`duplicate column name` for an `AddField`): the schema was created outside migrations
(a restored dump, a database shared with another project, `migrate --run-syncdb`, tables
made by hand), or the migration's record was deleted or renamed.

## Example
```
django_migrations: (no row for shop 0001_initial)
tables: shop_product, shop_order   # what shop/migrations/0001_initial.py creates
```

## Use instead
When the existing tables are what the migration would create, record it without running
it, the way Django's `--fake-initial` decides it:
`python manage.py migrate --fake-initial shop 0001_initial`.

## Fix safety
No automatic fix: djmig never writes to a database, and `--fake-initial` only checks the
names of tables and columns, not their types.

## References
- `django/db/migrations/executor.py`: `MigrationExecutor.detect_soft_applied`
- `django/core/management/commands/migrate.py`: `--fake-initial`
- Django documentation: "Adding migrations to apps", `migrate --fake-initial`
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.db import DatabaseState
from djmig.fields import MISSING
from djmig.graph import FIRST
from djmig.index.migrations import MigrationFile
from djmig.index.values import is_unknown
from djmig.keys import MigrationKey
from djmig.rules._database import manage_py, reported
from djmig.rules._operations import column_name
from djmig.rules.base import Context, Finding, Rule, Severity
from djmig.rules.inconsistent_history import inconsistencies
from djmig.state import POSTGRES_OPERATIONS, ModelState

#: PostgreSQL's ``max_identifier_length``: Django truncates longer default table names.
_POSTGRES_NAMES = 63


def _initial(context: Context, migration: MigrationFile) -> bool | None:
    """The first test of ``detect_soft_applied``."""
    initial = migration.initial
    if initial is False:
        return False
    if initial is True:
        return True
    if is_unknown(initial) or not migration.dependencies_complete:
        return None
    for dependency in migration.dependencies:
        key = dependency.key
        if key is None and dependency.setting:
            value = context.project.settings.get(dependency.setting)
            if not isinstance(value, str):
                return None
            key = MigrationKey(value.split(".", 1)[0], FIRST)
        if key is None:
            return None
        if key.app_label == migration.key.app_label:
            return False
    return True


def _model(context: Context, model: ModelState | None) -> ModelState | bool | None:
    """The model to check; False to skip it (proxy, unmanaged); None when unknown."""
    if model is None or model.uncertain or context.state.swapped(model) is not False:
        return None
    if model.proxy is None or model.managed is None:
        return None
    if model.proxy or not model.managed:
        return False
    return model


def _table(database: DatabaseState, name: str | None, explicit: bool) -> str | None:
    if name is None:
        return None
    if database.vendor == "postgresql" and not explicit and len(name) > _POSTGRES_NAMES:
        return None  # truncated with a hash by Django
    return name


def soft_applied(context: Context, key: MigrationKey, database: DatabaseState) -> list[str] | None:
    """The tables (and ``table.column``s) that make ``key`` soft-applied, or None when
    ``detect_soft_applied`` would say no or djmig cannot tell."""
    migration = context.migrations.get(key)
    if migration is None or migration.error or not migration.operations_complete:
        return None
    if _initial(context, migration) is not True:
        return None
    after = context.state.after(key)
    if after is None or after.uncertain:
        return None
    found: list[str] = []
    for operation in migration.operations:
        if operation.has_star:
            return None
        if operation.kind not in ("CreateModel", "AddField") or not operation.is_django:
            if operation.is_django or (operation.qualname or "").startswith(POSTGRES_OPERATIONS):
                continue
            return None  # a custom operation may be a CreateModel
        name = operation.argument(0, "name" if operation.kind == "CreateModel" else "model_name")
        model = _model(context, after.model(name))
        if model is None:
            return None
        if model is False:
            continue
        assert isinstance(model, ModelState)
        table = _table(database, model.db_table, "db_table" in model.options)
        if table is None:
            return None
        if operation.kind == "CreateModel":
            if table not in database.tables:
                return None
            found.append(table)
            continue
        field_name = operation.argument(1, "name")
        state = model.fields.get(field_name) if isinstance(field_name, str) else None
        field = state.field if state is not None else None
        if field is None or not isinstance(field_name, str):
            return None
        if field.cls.many_to_many:
            if field.get("through") is not MISSING:
                return None  # an explicit through model, in whatever app
            db_table = field.get("db_table")
            if isinstance(db_table, str):
                m2m = db_table
            elif db_table is MISSING:
                m2m = _table(database, f"{model.db_table}_{field_name}", False) or ""
            else:
                return None
            if not m2m or m2m not in database.tables:
                return None
            found.append(m2m)
            continue
        column = column_name(field_name, field)
        if column not in database.columns.get(table, frozenset()):
            return None
        found.append(f"{table}.{column}")
    return found or None


def check(context: Context) -> Iterator[Finding]:
    database = context.database
    if database is None:
        return
    settings = context.project.settings
    # ``router.allow_migrate``: only without routers is every model migrated here.
    routers = settings.values.get("DATABASE_ROUTERS", [] if settings.complete else None)
    if routers not in ([], ()):
        return
    graph = context.graph
    applied = graph.applied if graph.applied is not None else frozenset(database.applied)
    manage = manage_py(context)
    if inconsistencies(context):
        return  # DM501: migrate refuses to run at all, --fake-initial included
    uncertain = graph.uncertain_apps
    unapplied = [k for k in graph.parent_map if k not in applied and k not in graph.dummies]
    for key in sorted(unapplied):
        if key.app_label in uncertain or not reported(context, key):
            continue
        found = soft_applied(context, key, database)
        if not found:
            continue
        migration = context.migrations[key]
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        yield RULE.finding(
            f"{key} is not recorded as applied in {database.description}, but what it "
            f"creates exists ({shown}): migrate fails (already exists). If the "
            f"schema is what the migration would create, record it: "
            f"{manage} migrate --fake-initial {key.app_label} {key.name}",
            migration,
            migration.class_span,
        )


RULE = Rule(
    "DM503", "tables-exist-unrecorded", Severity.WARNING, __doc__ or "", check_project=check
)
