"""A migration is recorded as applied but one of its dependencies is not.

## What it does
Reads `django_migrations` from the project's database (read-only) and reports every
applied migration whose dependency in the graph is not applied, exactly as Django's
`MigrationLoader.check_consistent_history` decides it: the graph is built with the
database's records (a squashed migration stands for its replaced migrations only when all
or none of them are applied), recorded migrations that have no file are skipped, and an
unapplied squashed migration whose replaced migrations are all applied counts as applied.
The finding is on the dependency in the applied migration's file, or on the dependency's
`class Migration` line when the applied migration is not in the workspace (Django's
`admin` applied before a custom user model's first migration). Silent while the graph
itself fails to build (DM102, DM103) and for apps whose dependencies djmig cannot read.

## Why is this bad?
`migrate`, `makemigrations` and `migrate --fake` all raise `InconsistentMigrationHistory:
Migration admin.0001_initial is applied before its dependency accounts.0001_initial on
database 'default'` before doing anything: the project cannot migrate at all. It happens
when a dependency is added to a migration that is already applied (a custom user model
introduced after `admin` was migrated), after restoring a dump, or after deleting rows of
`django_migrations`.

## Example
```python
# shop/migrations/0002_order.py, applied; accounts.0001_initial is not
dependencies = [("shop", "0001_initial"), ("accounts", "0001_initial")]
```

## Use instead
If the dependency's changes are already in the database, record it (and its unapplied
ancestors) as applied without running it; the finding gives the exact command, which
calls `MigrationRecorder.record_applied` as `migrate --fake` would:
```
python manage.py shell -c "
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
MigrationRecorder(connection).record_applied('accounts', '0001_initial')"
```
If they are not, restore the database to a state that matches its history (on a
development database, recreating it is simplest).

## Fix safety
No automatic fix: djmig never writes to a database, and only you know whether the
dependency's tables exist.

## References
- `django/db/migrations/loader.py`: `MigrationLoader.check_consistent_history`,
  `MigrationLoader.build_graph` (replacements and the applied set)
- `django/core/management/commands/migrate.py`: `Command.handle`
- Django documentation: "Changing to a custom user model mid-project"
"""

from __future__ import annotations

from collections.abc import Container, Iterator

from djmig.keys import MigrationKey
from djmig.rules._database import record_command, reported
from djmig.rules.base import Context, Finding, Related, Rule, Severity


def _to_record(
    context: Context,
    parent: MigrationKey,
    applied: Container[MigrationKey],
    recorded: Container[MigrationKey],
) -> list[MigrationKey]:
    """What ``migrate --fake`` to ``parent`` would record: its unapplied plan, squashed
    migrations with the migrations they replace (``MigrationExecutor.record_migration``)."""
    keys: list[MigrationKey] = []
    graph = context.graph
    for node in graph.forwards_plan(parent):
        if node in applied:
            continue
        for key in (*graph.replacements.get(node, ()), node):
            if key not in keys and key not in recorded:
                keys.append(key)
    return keys


def inconsistencies(context: Context) -> list[tuple[MigrationKey, MigrationKey]]:
    """``(applied migration, unapplied dependency)`` pairs, sorted, as
    ``MigrationLoader.check_consistent_history`` finds them (it raises at the first)."""
    database = context.database
    graph = context.graph
    if database is None or any(p.kind in ("missing", "cycle") for p in graph.problems):
        return []
    recorded = database.applied
    uncertain = graph.uncertain_apps
    parent_map, dummies = graph.parent_map, graph.dummies
    found = []
    for migration in recorded:
        if migration not in parent_map or migration in dummies:
            continue
        for parent in parent_map[migration]:
            if parent in recorded:
                continue
            replaced = graph.replacements.get(parent)
            if replaced is not None and all(m in recorded for m in replaced):
                continue
            if migration.app_label in uncertain or parent.app_label in uncertain:
                continue
            found.append((migration, parent))
    return sorted(found)


def check(context: Context) -> Iterator[Finding]:
    database = context.database
    if database is None:
        return
    graph = context.graph
    recorded = database.applied
    applied = graph.applied if graph.applied is not None else frozenset(recorded)
    for migration, parent in inconsistencies(context):
        to_record = _to_record(context, parent, applied, recorded)
        message = (
            f"Migration {migration} is applied before its dependency {parent} on "
            f"{database.description}: migrate fails (InconsistentMigrationHistory), even "
            f"with --fake. If {parent}'s changes are in the database, record it: "
            f"{record_command(context, to_record)}"
        )
        origins = [
            o for o in graph.edge_origins(parent, migration) if reported(context, o.migration)
        ]
        if origins:
            origin = origins[0]
            yield RULE.finding(
                message, context.migrations[origin.migration], origin.dependency.span
            )
        elif reported(context, parent):
            target = context.migrations[parent]
            related = []
            if migration in context.migrations:
                child = context.migrations[migration]
                related = [Related(child.path, child.class_span, f"{migration} is applied")]
            yield RULE.finding(message, target, target.class_span, related=related)


RULE = Rule("DM501", "inconsistent-history", Severity.ERROR, __doc__ or "", check_project=check)
