"""A `RunPython` function that uses a model imported from an app instead of
`apps.get_model`.

## What it does
Reports `RunPython` operations whose function (`code` or `reverse_code`, defined in the
migration module) uses a model through its manager (`Product.objects`,
`Product._default_manager`) where `Product` is imported from an installed app's `models`
module — in the function or at the top of the migration, absolute or relative — rather
than obtained from the `apps` argument. A name the function binds itself
(`Product = apps.get_model("shop", "Product")`) is not reported.

## Why is this bad?
The imported class is today's model, not the model as it was at this point of the
history. As soon as a later migration adds, renames or removes a field, the query names
columns the table does not have yet (`no such column`, `column ... does not exist`) and the
migration breaks for every fresh database and every test run; custom managers and
`save()` overrides run where they were not meant to.

## Example
```python
from shop.models import Product


def fill_sku(apps, schema_editor):
    Product.objects.filter(sku="").update(sku="n/a")
```

## Use instead
```python
def fill_sku(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    Product.objects.filter(sku="").update(sku="n/a")
```

## Fix safety
No fix.

## References
- `django/db/migrations/operations/special.py`: `RunPython.database_forwards` (calls the
  function with the historical app registry, `from_state.apps`)
- Django documentation: "Data migrations", "Historical models"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from djmig.index.discovery import App
from djmig.index.migrations import MigrationFile, qualify
from djmig.index.values import Ref
from djmig.keys import MigrationKey, Span
from djmig.rules._operations import operations
from djmig.rules.base import Context, Finding, Related, Rule, Severity


class _Use(NamedTuple):
    function: str
    app_label: str
    model: str
    span: Span


def check(context: Context, app_label: str) -> Iterator[Finding]:
    app = context.project.apps.get(app_label)
    if app is None:
        return
    modules = sorted(
        (f"{other.name}.models", other.label) for other in context.project.apps.values()
    )
    for located in operations(context, app_label, "RunPython"):
        migration = located.migration
        uses: list[_Use] = []
        for position, keyword in ((0, "code"), (1, "reverse_code")):
            code = located.operation.argument(position, keyword)
            if isinstance(code, Ref) and code.dotted in migration.function_facts:
                uses += _model_uses(migration, located.key, app, code.dotted, modules)
        if not uses:
            continue
        first = uses[0]
        yield RULE.finding(
            f"RunPython function {first.function!r} uses {first.model} imported from "
            f"{first.app_label}'s models, not "
            f'apps.get_model("{first.app_label}", "{first.model}"): the current model class '
            "runs against the historical schema",
            migration,
            located.operation.span,
            related=[Related(migration.path, use.span, f"{use.model} used here") for use in uses],
        )


def _model_uses(
    migration: MigrationFile,
    key: MigrationKey,
    app: App,
    function: str,
    modules: list[tuple[str, str]],
) -> list[_Use]:
    """Each use of an app's model class in ``function``."""
    facts = migration.function_facts[function]
    found = []
    for dotted, span in facts.manager_uses:
        head = dotted.partition(".")[0]
        if head in facts.imports:
            target = qualify(dotted, facts.imports)
        elif head in facts.bound:
            continue
        elif head in migration.relative_imports:
            target = qualify(dotted, migration.relative_imports)
        else:
            target = qualify(dotted, migration.imports)
        target = _absolute(target or dotted, app, key)
        if target is None:
            continue
        for module, label in modules:
            if target.startswith(module + "."):
                found.append(_Use(function, label, target.rpartition(".")[2], span))
                break
    return found


def _absolute(target: str, app: App, key: MigrationKey) -> str | None:
    """``target`` with leading dots resolved from the migration module's package."""
    if not target.startswith("."):
        return target
    if app.migrations_module is None:
        return None
    level = len(target) - len(target.lstrip("."))
    package = app.migrations_module.split(".")
    if level - 1 >= len(package):
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, target.lstrip(".")])


RULE = Rule("DM207", "run-python-model-import", Severity.WARNING, __doc__ or "", check_app=check)
