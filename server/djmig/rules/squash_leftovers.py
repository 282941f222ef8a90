"""A squashed migration's replaced migrations are still on disk.

## What it does
Points at a squashed migration (one with `replaces`) whose replaced migrations all still
exist, as a reminder of the last step of squashing.

## Why is this bad?
It is not an error: Django uses the squashed migration on new databases and the old ones
where they were partly applied. But until the old files are deleted and `replaces` is
removed, the squash saves nothing, and new migrations may keep depending on old names.

## Example
```python
class Migration(migrations.Migration):
    replaces = [("shop", "0001_initial"), ("shop", "0002_product")]
```

## Use instead
Once every database (production included) has applied the squashed migration, delete the
replaced files, point their dependents at the squashed migration, and remove `replaces`.

## Fix safety
No automatic fix: only you know whether every database is up to date.

## References
- Django documentation: "Squashing migrations"
- `django/db/migrations/loader.py`: `MigrationLoader.build_graph` (replacements)
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.rules.base import Context, Finding, Related, Rule, Severity


def check(ctx: Context) -> Iterator[Finding]:
    for key, replaced in ctx.graph.replacements.items():
        present = [ctx.migrations[k] for k in replaced if k in ctx.migrations]
        if not present or len(present) != len(replaced):
            continue
        squashed = ctx.migrations[key]
        yield RULE.finding(
            f"Squashed migration {key} still has the {len(present)} migrations it replaces; "
            f"once all databases have applied it, delete them and remove `replaces`",
            squashed,
            squashed.class_span,
            related=[Related(m.path, m.class_span, f"replaced by {key}") for m in present],
        )


RULE = Rule("DM105", "squash-leftovers", Severity.HINT, __doc__ or "", check_project=check)
