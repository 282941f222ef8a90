"""An app has more than one leaf migration.

## What it does
Reports every leaf migration of an app that has several, on its `class Migration` line,
with the other leaves as related information. This is
`MigrationLoader.detect_conflicts()`: the check behind `Conflicting migrations detected;
multiple leaf nodes in the migration graph`.

## Why is this bad?
`migrate` and `makemigrations` refuse to run until the branches are merged. It usually
happens when two branches each added a migration with the same parent.

## Example
```python
# shop/migrations/0003_product_sku.py      dependencies = [("shop", "0002_product")]
# shop/migrations/0003_product_price.py    dependencies = [("shop", "0002_product")]
```

## Use instead
A merge migration depending on both leaves, as `makemigrations --merge` writes it:
```python
class Migration(migrations.Migration):
    dependencies = [("shop", "0003_product_price"), ("shop", "0003_product_sku")]
    operations = []
```

## Fix safety
"Create merge migration" is safe: it adds an empty migration and changes no schema. When
both branches alter the same field, review the order of their operations.

## References
- `django/db/migrations/loader.py`: `MigrationLoader.detect_conflicts`
- `django/core/management/commands/makemigrations.py`: `handle_merge`
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.rules.base import Context, Finding, Related, Rule, Severity


def check(ctx: Context) -> Iterator[Finding]:
    for app_label, names in ctx.graph.conflicts().items():
        if app_label in ctx.graph.uncertain_apps:
            continue
        leaves = [ctx.migrations[(app_label, name)] for name in names]  # type: ignore[index]
        for leaf in leaves:
            others = [m for m in leaves if m is not leaf]
            listing = ", ".join(m.key.name for m in others)
            yield RULE.finding(
                f"Conflicting migrations in app {app_label!r}: {leaf.key.name} is a leaf "
                f"node, and so is {listing}; merge them (makemigrations --merge)",
                leaf,
                leaf.class_span,
                related=[Related(m.path, m.class_span, f"other leaf {m.key}") for m in others],
                fixes=[{"fix": "merge-migration", "app_label": app_label, "leaves": names}],
            )


RULE = Rule("DM101", "multiple-leaf-nodes", Severity.ERROR, __doc__ or "", check_project=check)
