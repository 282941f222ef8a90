"""A relation names a model, as a string, that does not exist at that point of the graph.

## What it does
Reports the literal target of a `ForeignKey`, `OneToOneField` or `ManyToManyField` written
by a `CreateModel`, `AddField` or `AlterField` (`to="catalog.product"`, `to="Product"`,
`to="self"`) when the app is not installed, or when the model is not in the state the
migration is applied to: not created by the migrations it depends on (directly or not),
nor earlier in the same migration. Apps whose models djmig cannot see (installed without
migrations, outside the workspace with no interpreter) and migrations that an unreadable
operation or computed dependency make uncertain are not reported; an app that is not
installed is reported only when `INSTALLED_APPS` is known completely.

## Why is this bad?
Django resolves string references against the historical models of the migrations applied
so far (`StateApps`). On a fresh database `migrate shop` applies exactly the migrations
`shop` depends on, and creating the table fails with `ValueError: Related model
'catalog.product' cannot be resolved`; rendering the state of a partly migrated database
fails with `The field shop.Order.product was declared with a lazy reference to
'catalog.product', but app 'catalog' isn't installed` (or `doesn't provide model
'product'`). It may pass on a developer's database where the other app happened to be
migrated first.

## Example
```python
class Migration(migrations.Migration):
    dependencies = []  # nothing creates catalog.Product before this migration
    operations = [
        migrations.CreateModel(
            "Order",
            [("product", models.ForeignKey(on_delete=models.CASCADE, to="catalog.product"))],
        ),
    ]
```

## Use instead
```python
dependencies = [("catalog", "0001_initial")]  # the migration that creates Product
```
or point the relation at the model's current app and name.

## Fix safety
No automatic fix.

## References
- `django/db/migrations/state.py`: `StateApps.__init__` (calls `_check_lazy_references`)
- `django/core/checks/model_checks.py`: `_check_lazy_references`
- `django/db/models/fields/related.py`: `resolve_relation`, `ForeignKey.target_field`
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from djmig.keys import MigrationKey
from djmig.rules._operations import created_here
from djmig.rules._relations import LocatedRelation, relations
from djmig.rules.base import Context, Finding, Related, Rule, Severity
from djmig.state import AppState, ModelState, replay


def check(context: Context, app_label: str) -> Iterator[Finding]:
    if app_label in context.graph.uncertain_apps:
        return
    for located in relations(context, app_label):
        target_app, model_name = located.target
        app = context.project.apps.get(target_app)
        reference = f"'{target_app}.{model_name}'"
        if app is None:
            if context.project.closed and _certain(context, located.key):
                yield RULE.finding(
                    f"The field {located.label} was declared with a lazy reference to "
                    f"{reference}, but app {target_app!r} isn't installed",
                    located.migration,
                    located.relation.span,
                )
            continue
        if app.migrated is not True:
            continue
        state = _state_at(context, located)
        if state is None or state.uncertain or state.model(model_name) is not None:
            continue
        if not _certain(context, located.key):
            continue
        later = _created_later(context, target_app, model_name)
        if later is None:
            detail = f"but app {target_app!r} doesn't provide model {model_name!r}"
            related: list[Related] = []
        else:
            detail = (
                f"but {reference} does not exist at this point of the graph: "
                f"{located.key} does not depend on {later.created_in}"
            )
            related = created_here(context, later.created_in, later.name)
        yield RULE.finding(
            f"The field {located.label} was declared with a lazy reference to {reference}, "
            f'{detail}; a fresh `migrate {app_label}` fails with "Related model '
            f'{reference} cannot be resolved"',
            located.migration,
            located.relation.span,
            related=related,
        )


def _state_at(context: Context, located: LocatedRelation) -> AppState | None:
    """The target app's models when the operation is applied: for the migration's own app,
    after the operations of the migration up to this one (a model may point at itself)."""
    target_app = located.target[0]
    key = located.key
    if target_app != key.app_label:
        return context.state.app_state_before(key, target_app)
    before = context.state.before(key)
    if before is None or before.uncertain or before.model(located.target[1]) is not None:
        return before
    upto = dataclasses.replace(
        located.migration, operations=located.migration.operations[: located.position + 1]
    )
    after, _ = replay(before, upto, key)
    return after


def _certain(context: Context, key: MigrationKey) -> bool:
    """No migration ``key`` depends on is on a cycle or in an app whose dependencies are
    not all known: the state it is applied to is then the one djmig replays."""
    graph = context.graph
    ancestors = graph.ancestors(key) | {key}
    uncertain = graph.uncertain_apps
    on_cycle = {node for p in graph.problems if p.kind == "cycle" for node in p.cycle}
    return not (ancestors & on_cycle) and not any(n.app_label in uncertain for n in ancestors)


def _created_later(context: Context, app_label: str, model_name: str) -> ModelState | None:
    """The model as the app's last migrations leave it, when one of them creates it."""
    for leaf in context.graph.leaf_nodes(app_label):
        state = context.state.after(leaf)
        model = state.model(model_name) if state else None
        if model is not None and model.created_in is not None:
            return model
    return None


RULE = Rule("DM304", "unresolved-lazy-reference", Severity.ERROR, __doc__ or "", check_app=check)
