"""An operation that removes or renames a table or column code may still use.

## What it does
Reports operations on an existing table (a managed, concrete model created by an earlier
migration) that the previous release of the code cannot work with: `RemoveField`,
`DeleteModel`, `RenameField` (unless the field keeps its `db_column`), `RenameModel`
(unless an explicit `db_table` keeps the table and no many-to-many table is renamed),
`AlterModelTable` to another name, and `AlterField` changing the column name
(`db_column`).

## Why is this bad?
Migrations run before or while the new code is deployed. Until every server runs it, the
old code selects, inserts and joins on the old names and fails with `no such column` /
`column "x" does not exist` or `relation "x" does not exist`. Rolling back the code after
the migration fails the same way.

## Example
```python
migrations.RenameField(model_name="product", old_name="sku", new_name="code")
```

## Use instead
Expand and contract over two releases: first add the new column (or keep the old column
name with `db_column="sku"`) and ship code that no longer reads the old one; remove or
rename in a later release.

## Fix safety
No fix: the safe sequence depends on the deploy process.

## References
- `django/db/migrations/operations/fields.py`: `RemoveField`, `RenameField`
- `django/db/migrations/operations/models.py`: `DeleteModel`, `RenameModel`,
  `AlterModelTable`
- Django documentation: "Migrations: considerations when removing model fields"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from djmig.fields import MISSING
from djmig.index.values import CallValue
from djmig.rules._operations import Located, column_name, operations, written_field
from djmig.rules.base import Context, Finding, Rule, Severity
from djmig.state import ModelState

_KINDS = ("RemoveField", "DeleteModel", "RenameField", "RenameModel", "AlterModelTable",
          "AlterField")  # fmt: skip
_BREAKS = "code still running the previous release fails on the old one"


def check(context: Context, app_label: str) -> Iterator[Finding]:
    for located in operations(context, app_label, *_KINDS):
        model = context.state.existing_table(located.key, located.position)
        if model is None or model.db_table is None:
            continue
        message = _message(located, model)
        if message:
            yield RULE.finding(message, located.migration, located.operation.span)


def _message(located: Located, model: ModelState) -> str | None:
    operation, table = located.operation, model.db_table
    kind = operation.kind
    if kind == "DeleteModel":
        return f"DeleteModel drops table {table!r}: {_BREAKS}"
    if kind == "RenameModel":
        new_name = operation.argument(1, "new_name")
        if not isinstance(new_name, str):
            return None
        if isinstance(model.options.get("db_table"), str) and not _renames_m2m_tables(model):
            return None
        if "db_table" in model.options:
            return f"RenameModel renames columns of the many-to-many tables of {table!r}: {_BREAKS}"
        renamed = f"{model.app_label}_{new_name.lower()}"
        return f"RenameModel renames table {table!r} to {renamed!r}: {_BREAKS}"
    if kind == "AlterModelTable":
        new_table: Any = operation.argument(1, "table")
        if new_table is None:
            new_table = f"{model.app_label}_{model.name_lower}"
        if not isinstance(new_table, str) or new_table == table:
            return None
        return f"AlterModelTable renames table {table!r} to {new_table!r}: {_BREAKS}"
    name = operation.argument(1, "old_name" if kind == "RenameField" else "name")
    if not isinstance(name, str) or name not in model.fields:
        return None
    old_field = model.fields[name].field
    if old_field is None:
        return None
    old_column = column_name(name, old_field)
    if kind == "RemoveField":
        if not old_field.cls.column:
            if old_field.cls.many_to_many and old_field.get("through") is MISSING:
                return f"RemoveField drops the many-to-many table of {name!r}: {_BREAKS}"
            return None
        return f"RemoveField drops column {old_column!r} of {table!r}: {_BREAKS}"
    if not old_field.cls.column:
        return None
    if kind == "RenameField":
        new_name = operation.argument(2, "new_name")
        if not isinstance(new_name, str):
            return None
        new_column = column_name(new_name, old_field)
    else:  # AlterField
        new_field = written_field(located)
        if new_field is None or not new_field.cls.column:
            return None
        new_column = column_name(name, new_field)
    if new_column == old_column:
        return None
    return f"{kind} renames column {old_column!r} of {table!r} to {new_column!r}: {_BREAKS}"


def _renames_m2m_tables(model: ModelState) -> bool:
    """``RenameModel.database_forwards`` renames auto-created many-to-many tables."""
    for state in model.fields.values():
        field = state.field
        if field is None:
            if isinstance(state.value, CallValue) and "ManyToMany" in state.value.func:
                return True  # a custom many-to-many class: assume Django's behaviour
            continue
        if field.cls.many_to_many and field.get("through") is MISSING:
            return True
    return False


RULE = Rule(
    "DM206", "backward-incompatible-operation", Severity.INFO, __doc__ or "", check_app=check
)
