"""`RunPython` without `reverse_code`.

## What it does
Reports `migrations.RunPython(...)` calls that give no `reverse_code`. An explicit
`reverse_code=None` is taken as a deliberate choice and not reported.

## Why is this bad?
Unapplying the migration (`migrate shop 0002`, rolling back a deploy, switching branches)
fails with `IrreversibleError: Operation <RunPython ...> in shop.0003_backfill is not
reversible`, and so does every migration before it.

## Example
```python
migrations.RunPython(backfill_sku)
```

## Use instead
```python
migrations.RunPython(backfill_sku, migrations.RunPython.noop)
```

## Fix safety
"Add reverse noop" is safe when the forward function only fills data the reverse
migration of the schema change discards anyway; otherwise use "Add reverse function
stub" and write the reverse.

## References
- `django/db/migrations/operations/special.py`: `RunPython.reversible`
- Django documentation: "RunPython"
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.index.migrations import MigrationFile
from djmig.index.values import Ref
from djmig.rules.base import Finding, Rule, Severity

RUN_PYTHON = "django.db.migrations.RunPython"
_QUALNAMES = {RUN_PYTHON, "django.db.migrations.operations.RunPython",
              "django.db.migrations.operations.special.RunPython"}  # fmt: skip


def check(migration: MigrationFile) -> Iterator[Finding]:
    for index, operation in enumerate(migration.operations):
        if operation.qualname not in _QUALNAMES or operation.has_star:
            continue
        if operation.has_argument(1, "reverse_code") or not operation.has_argument(0, "code"):
            continue
        code = operation.argument(0, "code")
        name = code.dotted if isinstance(code, Ref) else None
        yield RULE.finding(
            "RunPython has no reverse_code: unapplying this migration raises IrreversibleError",
            migration,
            operation.span,
            fixes=[
                {"fix": "reverse-noop", "operation": index},
                *([{"fix": "reverse-stub", "operation": index, "function": name}] if name else []),
            ],
        )


RULE = Rule("DM201", "irreversible-run-python", Severity.WARNING, __doc__ or "", check_file=check)
