"""The database records a migration of an app that has no such migration file.

## What it does
Reads `django_migrations` from the project's database (read-only) and reports, on the
app's latest migration, the recorded migrations of an installed app that have no file in
its migrations package, the set `migrate --prune` would delete. Names still listed in a
squashed migration's `replaces` are left out: Django needs their records to know the
squashed migration is applied. The message gives the command that fits: `migrate --prune`,
and, when an unapplied migration carries the same number (a renamed file), `migrate
--fake` to record it under its new name first.

## Why is this bad?
Django ignores records without a file, so nothing fails at once, but the database holds
changes that no migration in the code describes: after switching to a branch that does
not have the migration, its tables and columns stay, and the next `makemigrations` or
`migrate` on the other branch meets them ("column already exists", "no such column"). A
renamed migration is worse: `migrate` runs it again under its new name and fails on the
tables it already created.

## Example
```
django_migrations: shop 0003_coupon (applied)   # shop/migrations/0003_coupon.py: absent
```

## Use instead
If the migration comes from another branch, check that branch out and unapply it there
(`python manage.py migrate shop 0002_order`) before switching back. If it was deleted on
purpose, delete its record: `python manage.py migrate --prune shop`. If it was renamed,
record the new name without running it (`python manage.py migrate --fake shop
0003_discount`), then prune the old name.

## Fix safety
No automatic fix: djmig never writes to a database, and which of these cases applies is
for you to tell.

## References
- `django/core/management/commands/migrate.py`: `--prune`
- `django/db/migrations/recorder.py`: `MigrationRecorder.applied_migrations`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from djmig.keys import MigrationKey
from djmig.rules._database import manage_py, reported
from djmig.rules.base import Context, Finding, Rule, Severity

_NUMBER = re.compile(r"^\d+")


def _number(name: str) -> str | None:
    match = _NUMBER.match(name)
    return match[0] if match else None


def _renamed(
    context: Context, missing: MigrationKey, applied: frozenset[MigrationKey]
) -> MigrationKey | None:
    """An unapplied migration with ``missing``'s number whose plan needs nothing else:
    ``migrate --fake`` to it records it alone."""
    number = _number(missing.name)
    if number is None:
        return None
    graph = context.graph
    for node in sorted(graph.nodes):
        if node.app_label != missing.app_label or node in applied:
            continue
        if _number(node.name) == number:
            plan = [n for n in graph.forwards_plan(node) if n not in applied]
            if plan == [node]:
                return node
    return None


def check(context: Context) -> Iterator[Finding]:
    database = context.database
    if database is None:
        return
    graph = context.graph
    applied = graph.applied if graph.applied is not None else frozenset(database.applied)
    replaced = {key: squash for squash, keys in graph.replacements.items() for key in keys}
    missing: dict[str, list[MigrationKey]] = {}
    squashes: dict[str, set[MigrationKey]] = {}  # squashes whose `replaces` block --prune
    for key in sorted(database.applied):
        app = context.project.apps.get(key.app_label)
        if app is None or not app.migrated or app.migrations_dir is None:
            continue
        if key in context.migrations:
            continue
        if key in replaced:
            squashes.setdefault(key.app_label, set()).add(replaced[key])
        else:
            missing.setdefault(key.app_label, []).append(key)
    manage = manage_py(context)
    for app_label, keys in missing.items():
        if app_label in graph.uncertain_apps:
            continue
        leaves = [leaf for leaf in graph.leaf_nodes(app_label) if reported(context, leaf)]
        if not leaves:
            continue
        latest = context.migrations[leaves[-1]]
        names = ", ".join(key.name for key in keys)
        prune = f"{manage} migrate --prune {app_label}"
        if app_label in squashes:
            # migrate --prune refuses while a squashed migration replaces a pruned name.
            listed = ", ".join(str(k) for k in sorted(squashes[app_label]))
            prune = f"remove `replaces` from {listed} (once all databases applied it), then {prune}"
        advice = [
            "from another branch: unapply them there before switching",
            f"deleted on purpose: {prune}",
        ]
        for key in keys:
            renamed = _renamed(context, key, applied)
            if renamed is not None:
                advice.append(
                    f"{key.name} renamed to {renamed.name}: {manage} migrate --fake "
                    f"{app_label} {renamed.name}, then {prune}"
                )
        count = f"{len(keys)} migration{'s' if len(keys) != 1 else ''}"
        yield RULE.finding(
            f"{database.description} records {count} of {app_label} that "
            f"{'have' if len(keys) != 1 else 'has'} no file: {names}. If " + "; if ".join(advice),
            latest,
            latest.class_span,
        )


RULE = Rule(
    "DM502", "applied-migration-missing", Severity.WARNING, __doc__ or "", check_project=check
)
