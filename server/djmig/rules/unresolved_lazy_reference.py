"""A relation names a model, as a string, that does not exist at that point of the graph.

## What it does
Reports the literal target of a `ForeignKey`, `OneToOneField` or `ManyToManyField` written
by a `CreateModel`, `AddField` or `AlterField` (`to="catalog.product"`, `to="Product"`,
`to="self"`), and the literal `through=` model of a `ManyToManyField`, when the app is not
installed, or when the model is not in the state the migration is applied to: not created
by the migrations it depends on (directly or not), nor earlier in the same migration. Apps
whose models djmig cannot see (installed without migrations, outside the workspace with no
interpreter) and migrations that an unreadable operation or computed dependency make
uncertain are not reported; an app that is not installed is reported only when
`INSTALLED_APPS` is known completely.

## Why is this bad?
Django resolves string references against the historical models of the migrations applied
so far (`StateApps`). On a fresh database `migrate shop` applies exactly the migrations
`shop` depends on, and creating the table fails with `ValueError: Related model
'catalog.product' cannot be resolved`; rendering the state of a partly migrated database
fails with `The field shop.Order.product was declared with a lazy reference to
'catalog.product', but app 'catalog' isn't installed` (or `doesn't provide model
'product'`). A through model that does not exist yet fails the same `migrate` with
`AttributeError: 'str' object has no attribute '_meta'` when the table is created. It may
pass on a developer's database where the other app happened to be migrated first. In a
models module, Django's system checks report `fields.E307` (`models.E022` and `fields.E331`
for a through model) and every management command stops before doing anything.

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
- Django's system check `fields.E307` (`manage.py check`)
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from djmig.index.discovery import WORKSPACE
from djmig.index.migrations import RELATED_FIELDS, qualify
from djmig.index.source import SourceFile
from djmig.index.values import dotted_name
from djmig.keys import MigrationKey, Span
from djmig.rules._operations import created_here
from djmig.rules._relations import LocatedRelation, relations, resolve_relation
from djmig.rules.base import Context, Finding, Related, Rule, Severity
from djmig.state import AppState, ModelState, replay


def check(context: Context, app_label: str) -> Iterator[Finding]:
    yield from _in_models(context, app_label)
    if app_label in context.graph.uncertain_apps:
        return
    for located in relations(context, app_label, through=True):
        target_app, model_name = located.target
        app = context.project.apps.get(target_app)
        reference = f"'{target_app}.{model_name}'"
        through = located.relation.parameter == "through"
        declared = _declared(located.label, reference, located.relation.parameter)
        if app is None:
            if context.project.closed and _certain(context, located.key):
                yield RULE.finding(
                    f"{declared}, but app {target_app!r} isn't installed",
                    located.migration,
                    located.relation.span,
                )
            continue
        if app.migrated is not True:
            continue
        later = _created_later(context, target_app, model_name)
        if (
            later is not None
            and later.created_in is not None
            and target_app != app_label
            and _reaches(context, located.key, later.created_in)
        ):
            continue  # the usual case, decided without replaying the other app
        state = _state_at(context, located)
        if state is None or state.uncertain or state.model(model_name) is not None:
            continue
        if not _certain(context, located.key):
            continue
        if later is None:
            detail = f"but app {target_app!r} doesn't provide model {model_name!r}"
            related: list[Related] = []
        else:
            detail = (
                f"but {reference} does not exist at this point of the graph: "
                f"{located.key} does not depend on {later.created_in}"
            )
            related = created_here(context, later.created_in, later.name)
        failure = (
            "AttributeError: 'str' object has no attribute '_meta'"
            if through
            else f"Related model {reference} cannot be resolved"
        )
        yield RULE.finding(
            f'{declared}, {detail}; a fresh `migrate {app_label}` fails with "{failure}"',
            located.migration,
            located.relation.span,
            related=related,
        )


def _declared(field: str, reference: str, parameter: str) -> str:
    """How a message names the field and what it points at (``to=`` or ``through=``)."""
    what = "the through model" if parameter == "through" else "a lazy reference to"
    return f"The field {field} was declared with {what} {reference}"


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


def _reaches(context: Context, key: MigrationKey, target: MigrationKey) -> bool:
    """Whether ``target`` is an ancestor of ``key`` through migrations of their two apps
    only — how ``makemigrations`` writes a dependency on another app. False says nothing:
    the path may go through a third app. The target's app is searched first: the path
    usually leaves ``key``'s app at once, by the dependency makemigrations wrote."""
    own, other = key.app_label, target.app_label
    parents = context.graph.parent_map
    seen: set[MigrationKey] = set()
    stack = [key]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node in seen:
            continue
        seen.add(node)
        above = parents.get(node, ())
        stack.extend(p for p in above if p.app_label == own)
        stack.extend(p for p in above if p.app_label == other)
    return False


def _certain(context: Context, key: MigrationKey) -> bool:
    """No migration ``key`` depends on is missing, on a cycle or in an app whose
    dependencies are not all known: the state it is applied to is then the one djmig
    replays."""
    graph = context.graph
    ancestors = graph.ancestors(key) | {key}
    uncertain = graph.uncertain_apps
    on_cycle = {node for p in graph.problems if p.kind == "cycle" for node in p.cycle}
    if ancestors & on_cycle or not ancestors.isdisjoint(graph.dummies):
        return False
    return not any(n.app_label in uncertain for n in ancestors)


def _created_later(context: Context, app_label: str, model_name: str) -> ModelState | None:
    """The model as the app's last migrations leave it, when one of them creates it."""
    for leaf in context.graph.leaf_nodes(app_label):
        state = context.state.after(leaf)
        model = state.model(model_name) if state else None
        if model is not None and model.created_in is not None:
            return model
    return None


# -- models modules -------------------------------------------------------------------------


def _in_models(context: Context, app_label: str) -> Iterator[Finding]:
    """Relation fields of the app's models classes whose literal target names an app that
    is not installed or a workspace app whose models modules define no such class
    (``fields.E307`` of ``manage.py check``)."""
    app = context.project.apps.get(app_label)
    if app is None:
        return
    reasons: dict[tuple[str, str], str | None] = {}
    for path in app.models_files():
        source = context.source(path)
        if source is None or source.tree is None:
            continue
        cached = _RELATIONS.get(path)
        if cached is None or cached[0] is not source.tree:
            cached = _RELATIONS[path] = source.tree, list(_model_relations(source.tree))
        for class_name, field_name, target, node, parameter in cached[1]:
            resolved = resolve_relation(target, app_label, class_name)
            if resolved is None:
                continue
            if resolved not in reasons:
                reasons[resolved] = _models_reason(context, *resolved)
            reason = reasons[resolved]
            target_app, model_name = resolved
            if reason is None:
                continue
            field = f"{app_label}.{class_name}.{field_name}"
            declared = _declared(field, f"'{target_app}.{model_name}'", parameter)
            checks = "models.E022, fields.E331" if parameter == "through" else "fields.E307"
            yield Finding(
                RULE.code,
                f"{declared}, but {reason} ({checks}: every management command fails its "
                "system checks)",
                path,
                _span(source, node),
                RULE.severity,
            )


#: ``(class, field, target, target node, parameter)``.
_ModelRelation = tuple[str, str, str, ast.Constant, str]
#: ``_model_relations`` of each models file's last parse: the rule runs again on every
#: keystroke in another app whose model states it reads; the tree is the same until edited.
_RELATIONS: dict[Path, tuple[ast.Module, list[_ModelRelation]]] = {}


def _model_relations(tree: ast.Module) -> Iterator[_ModelRelation]:
    """``(class, field, target, target node, parameter)`` of ``name = ForeignKey(
    "app.Model", ...)`` in the module's top-level classes, for Django's relation fields,
    and of the literal ``through=`` of their many-to-many fields (parameter
    ``"through"``)."""
    imports: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                imports[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                imports[alias.asname or alias.name] = alias.name
    for stmt in tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        for item in stmt.body:
            if not (
                isinstance(item, ast.Assign)
                and len(item.targets) == 1
                and isinstance(item.targets[0], ast.Name)
                and isinstance(item.value, ast.Call)
            ):
                continue
            call = item.value
            qualname = qualify(dotted_name(call.func), imports) or ""
            if not (
                qualname.startswith("django.db.models.")
                and qualname.rpartition(".")[2] in RELATED_FIELDS
            ):
                continue
            node = call.args[0] if call.args else None
            through = None
            for keyword in call.keywords:
                if keyword.arg == "to":
                    node = keyword.value
                elif keyword.arg == "through":
                    through = keyword.value
            field_name = item.targets[0].id
            for parameter, given in (("to", node), ("through", through)):
                if isinstance(given, ast.Constant) and isinstance(given.value, str):
                    yield stmt.name, field_name, given.value, given, parameter


_PLAIN_STATEMENTS = (
    ast.Import, ast.ImportFrom, ast.Expr, ast.Assign, ast.AnnAssign, ast.FunctionDef,
    ast.AsyncFunctionDef,
)  # fmt: skip


def _models_reason(context: Context, app_label: str, model_name: str) -> str | None:
    """Why ``app_label.model_name`` cannot be resolved in the app registry, or None when it
    can or djmig cannot tell."""
    project = context.project
    app = project.apps.get(app_label)
    if app is None:
        return f"app {app_label!r} isn't installed" if project.closed else None
    if app.origin != WORKSPACE:
        return None
    files = app.models_files()
    classes: set[str] = set()
    for path in files:
        source = context.source(path)
        if source is None or source.tree is None:
            return None
        for stmt in source.tree.body:
            if isinstance(stmt, ast.ClassDef):
                classes.add(stmt.name.lower())
            elif isinstance(stmt, ast.ImportFrom) and (
                stmt.level or (stmt.module or "").split(".")[0] == app.name.split(".")[0]
            ):
                return None  # models imported from elsewhere in the app
            elif not isinstance(stmt, _PLAIN_STATEMENTS):
                return None  # conditional or dynamic definitions
    if not files or model_name in classes:
        return None
    return f"app {app_label!r} doesn't provide model {model_name!r}"


def _span(source: SourceFile, node: ast.expr) -> Span:
    line = node.lineno - 1
    end_line = (node.end_lineno or node.lineno) - 1
    return Span(
        line,
        source.lines.col_from_utf8(line, node.col_offset),
        end_line,
        source.lines.col_from_utf8(end_line, node.end_col_offset or 0),
    )


RULE = Rule("DM304", "unresolved-lazy-reference", Severity.ERROR, __doc__ or "", check_app=check)
