"""`AlterField` from `null=True` to NOT NULL with no backfill before it.

## What it does
Reports an `AlterField` that makes a nullable field NOT NULL when nothing fills the NULL
rows first: the new field has no `default`, `db_default` or other value Django would write
into them, and no data migration (`RunPython`, `RunSQL`) of the app ran between the
migration that made the field nullable and this operation. Only managed, concrete models
created by an earlier migration are checked; custom field classes and uncertain models are
not reported.

## Why is this bad?
Any row still holding NULL makes `migrate` fail: PostgreSQL says `column "x" of relation
"app_model" contains null values`, SQLite `NOT NULL constraint failed` while Django copies
the table. When the new field has a default, Django itself updates the NULL rows to it
before adding the constraint (`BaseDatabaseSchemaEditor._alter_field`, the "4 steps" for
NULL to NOT NULL), so only the case without one is reported.

## Example
```python
# 0007_alter_product_sku.py, after 0004 added `sku` with null=True
migrations.AlterField(
    model_name="product",
    name="sku",
    field=models.CharField(max_length=32),
)
```

## Use instead
Fill the NULL rows first, in the same migration or one before it:
```python
migrations.RunPython(fill_sku, migrations.RunPython.noop)
migrations.AlterField("product", "sku", models.CharField(max_length=32))
```
or give the field a default that Django writes into the NULL rows.

## Fix safety
No automatic fix yet.

## References
- `django/db/backends/base/schema.py`: `BaseDatabaseSchemaEditor._alter_field`
  ("When changing a column NULL constraint to NOT NULL with a given default value")
- Django documentation: "Writing migrations: migrations that add unique fields"
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.fields import Default
from djmig.rules._operations import column_name, operations, written_field
from djmig.rules.base import Context, Finding, Related, Rule, Severity


def check(context: Context, app_label: str) -> Iterator[Finding]:
    for located in operations(context, app_label, "AlterField"):
        field = written_field(located)
        name = located.operation.argument(1, "name")
        if field is None or not isinstance(name, str):
            continue
        if not field.cls.column or field.cls.auto or field.primary_key is not False:
            continue
        if field.null is not False or field.has_db_default is not False:
            continue
        if field.effective_default() is not Default.NONE:
            continue
        model = context.state.existing_table(located.key, located.position)
        if model is None or name not in model.fields:
            continue
        previous = model.fields[name]
        old = previous.field
        if old is None or old.null is not True or previous.nullable_since is None:
            continue
        trace = context.state.trace(located.key)
        assert trace is not None  # existing_table found it
        if trace.operations[located.position].data_operations > previous.nullable_since:
            continue
        related = []
        nullable_in = context.migrations.get(previous.nullable_in) if previous.nullable_in else None
        if nullable_in is not None and previous.nullable_in != located.key:
            related.append(
                Related(nullable_in.path, nullable_in.class_span, f"{name!r} is nullable since")
            )
        yield RULE.finding(
            f"column {column_name(name, field)!r} of {model.db_table!r} becomes NOT NULL with "
            "no default and no data migration since it was nullable: any NULL row makes "
            "migrate fail",
            located.migration,
            located.operation.span,
            related=related,
        )


RULE = Rule("DM205", "alter-to-not-null", Severity.WARNING, __doc__ or "", check_app=check)
