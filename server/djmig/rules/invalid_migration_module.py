"""A module in a migrations package has no `Migration` class.

## What it does
Reports a module of a migrations package (not starting with `_` or `~`) that defines no
`Migration` name at all. Modules that could define it dynamically (star imports,
conditional code) are left alone.

## Why is this bad?
Django imports every module of the package and fails with `BadMigrationError: Migration
helpers in app shop has no Migration class` — for every command that loads migrations.

## Example
```python
# shop/migrations/helpers.py
def backfill(apps, schema_editor): ...
```

## Use instead
Name helper modules with a leading underscore (`_helpers.py`) or move them out of the
migrations package.

## Fix safety
No automatic fix.

## References
- `django/db/migrations/loader.py`: `MigrationLoader.load_disk`
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.index.migrations import MigrationFile
from djmig.keys import Span
from djmig.rules.base import Finding, Rule, Severity


def check(migration: MigrationFile) -> Iterator[Finding]:
    if migration.has_migration_class is False:
        yield RULE.finding(
            f"Module {migration.key.name} in app {migration.key.app_label!r} has no Migration "
            f"class (BadMigrationError); prefix helper modules with an underscore",
            migration,
            Span.point(0, 0),
        )


RULE = Rule("DM106", "invalid-migration-module", Severity.ERROR, __doc__ or "", check_file=check)
