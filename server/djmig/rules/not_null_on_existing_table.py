"""`AddField` of a NOT NULL column with a default to a table that already exists.

## What it does
Reports an `AddField` of a NOT NULL column with a `default` (a one-off default with
`preserve_default=False` included) to a model created by an earlier migration. A
`db_default` (Django 5.0) is not reported, and neither are the values Django picks without
a `default` (`''` for a string field with `blank=True`, the current time for
`auto_now`/`auto_now_add`), although the same applies to them. The model must be managed,
concrete and not swapped; custom field classes and uncertain models are not reported.

## Why is this bad?
The migration works, but not safely on a live site. Django adds the column with a
`DEFAULT`, fills the rows, and then drops the default again
(`BaseDatabaseSchemaEditor.add_field`): from then on the database requires the value.
During a deploy, servers still running the previous code insert rows without the column and
fail with `NOT NULL constraint failed` / `null value in column ... violates not-null
constraint`. On SQLite the table is rebuilt, on PostgreSQL before 11 and MySQL before 8.0
the `ALTER TABLE` rewrites the table while holding a lock that blocks writes.

## Example
```python
migrations.AddField(
    model_name="order",
    name="currency",
    field=models.CharField(default="EUR", max_length=3),
)
```

## Use instead
Add it nullable, backfill, then make it NOT NULL once every server runs the new code:
```python
migrations.AddField("order", "currency", models.CharField(max_length=3, null=True))
migrations.RunPython(fill_currency, migrations.RunPython.noop)
migrations.AlterField("order", "currency", models.CharField(default="EUR", max_length=3))
```
or, on Django 5.0 and later, keep the default in the database with `db_default="EUR"`.

## Fix safety
"Split into nullable + backfill + NOT NULL" is unsafe: it makes the `AddField`
`null=True` without the default, creates a migration whose `RunPython` fills the NULL rows
with the default (one `update()`) and another with the `AlterField` to the field as written
(without a one-off default), and re-points the migrations that depended on the edited one.
Deploy the code between the backfill and the `AlterField` for the benefit to hold.
"Use db_default" (Django 5.0 and later, unsafe) turns a literal `default=` into
`db_default=`, so the database keeps the default; the model must say the same.
Neither is offered on a migration the project's database has already applied (an applied
migration never runs again): the editor shows them disabled, with that reason.

## References
- `django/db/backends/base/schema.py`: `BaseDatabaseSchemaEditor.add_field` ("Drop the
  default if we need to"), `_effective_default`
- `django/db/migrations/operations/fields.py`: `AddField.preserve_default`
- Django documentation: "Field.db_default"
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.fields import MISSING, Default
from djmig.rules._operations import column_name, operations, split_fixes, written_field
from djmig.rules.base import Context, Finding, Rule, Severity


def check(context: Context, app_label: str) -> Iterator[Finding]:
    for located in operations(context, app_label, "AddField"):
        field = written_field(located)
        name = located.operation.argument(1, "name")
        if field is None or not isinstance(name, str):
            continue
        if not field.cls.column or field.cls.auto or field.primary_key is not False:
            continue
        if field.null is not False or field.has_db_default is not False:
            continue
        if field.get("default") is MISSING or field.effective_default() is not Default.VALUE:
            continue
        model = context.state.existing_table(located.key, located.position)
        if model is None:
            continue
        one_off = located.operation.argument(3, "preserve_default") is False
        how = "a one-off default" if one_off else "a default"
        yield RULE.finding(
            f"NOT NULL column {column_name(name, field)!r} added with {how} to existing "
            f"table {model.db_table!r}: Django drops the database default after filling the "
            "rows, so code still running without this field cannot insert rows, and the "
            "table may be rewritten under lock",
            located.migration,
            located.operation.span,
            fixes=split_fixes(located, model.name, name),
        )


RULE = Rule("DM204", "not-null-on-existing-table", Severity.WARNING, __doc__ or "", check_app=check)
