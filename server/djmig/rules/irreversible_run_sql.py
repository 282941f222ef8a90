"""`RunSQL` without `reverse_sql`.

## What it does
Reports `migrations.RunSQL(...)` calls that give no `reverse_sql`. An explicit
`reverse_sql=None` is taken as a deliberate choice and not reported.

## Why is this bad?
Unapplying the migration fails with `IrreversibleError`, blocking rollbacks of this
migration and of everything before it.

## Example
```python
migrations.RunSQL("CREATE INDEX CONCURRENTLY shop_sku ON shop_product (sku)")
```

## Use instead
```python
migrations.RunSQL(
    "CREATE INDEX CONCURRENTLY shop_sku ON shop_product (sku)",
    reverse_sql="DROP INDEX shop_sku",
)
```
or `reverse_sql=migrations.RunSQL.noop` when nothing needs undoing.

## Fix safety
"Add reverse_sql noop" is unsafe when the SQL changes the schema: the reverse then leaves
the change in place. Write the real reverse SQL in that case.

## References
- `django/db/migrations/operations/special.py`: `RunSQL.reversible`
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.index.migrations import MigrationFile
from djmig.rules.base import Finding, Rule, Severity

_QUALNAMES = {"django.db.migrations.RunSQL", "django.db.migrations.operations.RunSQL",
              "django.db.migrations.operations.special.RunSQL"}  # fmt: skip


def check(migration: MigrationFile) -> Iterator[Finding]:
    for index, operation in enumerate(migration.operations):
        if operation.qualname not in _QUALNAMES or operation.has_star:
            continue
        if operation.has_argument(1, "reverse_sql") or not operation.has_argument(0, "sql"):
            continue
        yield RULE.finding(
            "RunSQL has no reverse_sql: unapplying this migration raises IrreversibleError",
            migration,
            operation.span,
            fixes=[{"fix": "reverse-sql-noop", "operation": index}],
        )


RULE = Rule("DM202", "irreversible-run-sql", Severity.WARNING, __doc__ or "", check_file=check)
