"""`AddField` of a NOT NULL column without a default to a table that already exists.

## What it does
Reports an `AddField` whose field is NOT NULL (`null` absent or `False`) and gives existing
rows no value, on a model created by an earlier migration: no `default` (or
`default=None`), no `db_default`, not a string field with `blank=True` (Django fills those
with `''`), not `auto_now`/`auto_now_add` (Django fills those with the current time), not a
`ManyToManyField` or another field without a column, not an auto field or primary key.
The model must be managed, concrete (not proxy) and not swapped; a model created in the
same migration has no rows yet, nor one created by the initial migration this one completes
(`makemigrations` splits an initial migration whose foreign keys wait for another app's
models: the second part is marked `initial = True`, or, written by Django 1.7 and 1.8, is
`00NN_auto_<timestamp>` adding only relation fields to the models of the initial one).
Nor when a data migration (`RunPython`, `RunSQL`) runs earlier in the same migration: it
may empty the table first (pretix deletes its cached tickets before adding a NOT NULL
foreign key). Custom and third-party field classes, and models that an operation djmig
cannot read has touched, are not reported.

## Why is this bad?
`migrate` fails as soon as the table has a row: the schema editor adds the column without a
`DEFAULT` (`BaseDatabaseSchemaEditor.add_field` with `effective_default()` being `None`),
so the database cannot fill it. SQLite says `NOT NULL constraint failed: shop_product.sku`
(Django rebuilds the table and copies the rows), PostgreSQL says `column "sku" of relation
"shop_product" contains null values`. It passes on the empty development database and
breaks the deploy. MySQL does not fail but fills the rows with the type's implicit value
(`0`, `''`, or a foreign key to row 0, which the foreign key constraint rejects); Oracle
accepts it for string fields, which it makes nullable.

## Example
```python
migrations.AddField(
    model_name="product",
    name="sku",
    field=models.CharField(max_length=32),
)
```

## Use instead
Add the column nullable, fill it, then make it NOT NULL — three migrations:
```python
migrations.AddField("product", "sku", models.CharField(max_length=32, null=True))
migrations.RunPython(fill_sku, migrations.RunPython.noop)
migrations.AlterField("product", "sku", models.CharField(max_length=32))
```
or give the rows a value: `default=...` (a one-off default with `preserve_default=False`
is what `makemigrations` asks for) or, on Django 5.0 and later, `db_default=...`.

## Fix safety
"Split into nullable + backfill + NOT NULL" is unsafe: it makes the `AddField`
`null=True`, creates a migration whose `RunPython` fills the NULL rows with one `update()`
and another with the `AlterField` to the field as written, and re-points the migrations
that depended on the edited one. Without a default the value is a placeholder by type
(`""`, `0`, `False`, `timezone.now()`) marked `# TODO: review the value for existing rows`:
the value existing rows should hold is a decision of the project. Not offered for other
field types (foreign keys, custom fields). "Use db_default" (Django 5.0 and later,
unsafe) gives the field `db_default=` the same placeholder instead (not for dates).
Neither is offered on a migration the project's database has already applied (an applied
migration never runs again): the editor shows them disabled, with that reason.

## References
- `django/db/backends/base/schema.py`: `BaseDatabaseSchemaEditor.add_field`,
  `_effective_default`
- `django/db/migrations/autodetector.py`: `_generate_added_field` (when `makemigrations`
  asks for a one-off default)
- Django documentation: "Migrations that add unique fields", "Field.db_default"
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.fields import Default
from djmig.rules._operations import (
    column_name,
    created_here,
    operations,
    split_fixes,
    uses_oracle,
    written_field,
)
from djmig.rules.base import Context, Finding, Rule, Severity


def check(context: Context, app_label: str) -> Iterator[Finding]:
    oracle: bool | None = None
    for located in operations(context, app_label, "AddField"):
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
        if model is None:
            continue
        trace = context.state.trace(located.key)
        assert trace is not None  # existing_table found it
        if trace.operations[located.position].data_operations > trace.before.data_operations:
            continue  # a data migration ran just before: it may have emptied the table
        if field.cls.empty_strings_allowed:
            oracle = uses_oracle(context) if oracle is None else oracle
            if oracle:
                continue
        column = column_name(name, field)
        yield RULE.finding(
            f"NOT NULL column {column!r} without a default added to existing table "
            f"{model.db_table!r} ({model.app_label}.{model.name}): migrate fails once the "
            f'table has rows (NOT NULL constraint failed / column "{column}" contains null '
            "values)",
            located.migration,
            located.operation.span,
            fixes=split_fixes(located, model.name, name),
            related=created_here(context, model.created_in, model.name),
        )


RULE = Rule("DM203", "not-null-without-default", Severity.ERROR, __doc__ or "", check_app=check)
