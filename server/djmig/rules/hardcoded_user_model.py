"""A migration points a relation at the user model with a literal instead of
`settings.AUTH_USER_MODEL`.

## What it does
Reports a `ForeignKey`, `OneToOneField` or `ManyToManyField` in a `CreateModel`, `AddField`
or `AlterField` whose target is a string naming the model `AUTH_USER_MODEL` names
(`to="accounts.member"`, or `to="auth.user"` with the default user model), and a relation
to `auth.User` while `AUTH_USER_MODEL` names another model; and, in a migration whose
relations use `settings.AUTH_USER_MODEL` but that has no `swappable_dependency`, a literal
dependency on the first migration of the user model's app (on that dependency). Fields
declared with `swappable=False` are not reported, and nothing is reported while
`AUTH_USER_MODEL` cannot be read.

## Why is this bad?
`makemigrations` always writes `to=settings.AUTH_USER_MODEL` with a
`migrations.swappable_dependency(settings.AUTH_USER_MODEL)` dependency: the migration then
follows the setting. A literal ties the history to one user model: once `AUTH_USER_MODEL`
changes (or in a project reusing the app with its own user model) the relation still points
at the old model. A relation to `auth.User` while another model is the user model points at
a model Django never creates a table for (`auth.User` is swapped out): PostgreSQL refuses
the foreign key (`relation "auth_user" does not exist`), SQLite accepts a foreign key to
nothing. A literal dependency on the user model's app (`("accounts", "0001_initial")`)
instead of `swappable_dependency` breaks the same way when the setting changes.

## Example
```python
dependencies = [("accounts", "0001_initial")]
operations = [
    migrations.AddField(
        "order",
        "customer",
        models.ForeignKey(on_delete=models.CASCADE, to="accounts.member"),
    ),
]
```

## Use instead
```python
from django.conf import settings

dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
operations = [
    migrations.AddField(
        "order",
        "customer",
        models.ForeignKey(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL),
    ),
]
```

## Fix safety
"Use settings.AUTH_USER_MODEL" rewrites `to=` to `settings.AUTH_USER_MODEL`, adds
`migrations.swappable_dependency(settings.AUTH_USER_MODEL)` to the dependencies (replacing a
literal dependency on the first migration of the user model's app, when the migration uses
no other model of that app) and adds `from django.conf import settings` if missing. It is
safe when the literal named the current user model (the state does not change); for a
relation to the swapped-out `auth.User` it is unsafe: the foreign key then points at the
current user model's table.

## References
- `django/db/models/fields/related.py`: `RelatedField.deconstruct` (`SettingsReference`
  for the swappable setting)
- `django/db/migrations/migration.py`: `swappable_dependency`
- Django documentation: "Referencing the User model", "Substituting a custom User model"
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.index.migrations import MigrationFile, qualify
from djmig.index.values import CallValue, Ref
from djmig.keys import MigrationKey
from djmig.rules._relations import AUTH_USER, field_value, relations, user_model
from djmig.rules.base import Context, Finding, Rule, Severity

SETTING = "AUTH_USER_MODEL"


def check(context: Context, app_label: str) -> Iterator[Finding]:
    user = user_model(context.project)
    if user is None:
        return
    setting = context.project.settings.get(SETTING)
    reported: set[MigrationKey] = set()
    for located in relations(context, app_label):
        field = field_value(located.operation, located.relation.field_name)
        if isinstance(field, CallValue) and field.kwargs.get("swappable") is False:
            continue
        written = located.relation.target
        if located.target == user:
            message = (
                f"{located.label} points at the user model with the literal {written!r}: "
                "use settings.AUTH_USER_MODEL (and swappable_dependency) so the migration "
                "follows AUTH_USER_MODEL"
            )
        elif located.target == AUTH_USER:
            message = (
                f"{located.label} points at auth.User, but AUTH_USER_MODEL is {setting!r}: "
                "auth.User is swapped out and has no table (PostgreSQL: relation "
                '"auth_user" does not exist); use settings.AUTH_USER_MODEL'
            )
        else:
            continue
        reported.add(located.key)
        add, replace = _dependency_change(context, located.migration, user, located.target == user)
        fix = {
            "fix": "swappable-user-model",
            "operation": located.position,
            "field": located.relation.field_name,
            "add_dependency": add,
            "replace_dependency": replace,
            "safe": located.target == user,
        }
        yield RULE.finding(message, located.migration, located.relation.span, fixes=[fix])
    if app_label == user[0]:
        return
    for key in context.state.plan(app_label):
        migration = context.migrations.get(key)
        if key in reported or migration is None:
            continue
        dependencies = migration.dependencies
        if not any(d.key and d.key.app_label == user[0] for d in dependencies) or any(
            d.setting == SETTING for d in dependencies
        ):
            continue
        if not _uses_setting(migration):
            continue
        add, replace = _dependency_change(context, migration, user, True)
        if not add or replace is None:
            continue
        dependency = migration.dependencies[replace]
        fix = {
            "fix": "swappable-user-model",
            "operation": None,
            "field": None,
            "add_dependency": True,
            "replace_dependency": replace,
            "safe": True,
        }
        yield RULE.finding(
            f"{key} depends on {tuple(dependency.key or ())} for the user model instead of "
            "swappable_dependency(settings.AUTH_USER_MODEL): once AUTH_USER_MODEL names "
            "another app's model, nothing makes it wait for that model",
            migration,
            dependency.span,
            fixes=[fix],
        )


def _uses_setting(migration: MigrationFile) -> bool:
    """A relation field of the migration's operations points at settings.AUTH_USER_MODEL."""
    for operation in migration.operations:
        if operation.kind not in ("CreateModel", "AddField", "AlterField"):
            continue
        fields = operation.argument(1, "fields") if operation.kind == "CreateModel" else None
        values = (
            [f[1] for f in fields if isinstance(f, tuple) and len(f) == 2]
            if isinstance(fields, (list, tuple))
            else [operation.argument(2, "field")]
        )
        for value in values:
            if not isinstance(value, CallValue):
                continue
            target = value.kwargs.get("to", value.args[0] if value.args else None)
            if (
                isinstance(target, Ref)
                and qualify(target.dotted, migration.imports) == f"django.conf.settings.{SETTING}"
            ):
                return True
    return False


def _dependency_change(
    context: Context, migration: MigrationFile, user: tuple[str, str], to_user: bool
) -> tuple[bool, int | None]:
    """Whether the migration needs ``swappable_dependency(settings.AUTH_USER_MODEL)``, and
    the literal dependency it replaces: one on the first migration of the user model's app,
    when the migration uses no other model of that app. Migrations of the user model's own
    app need none (``makemigrations`` writes none there)."""
    user_app = user[0]
    if migration.key.app_label == user_app:
        return False, None
    if any(d.setting == SETTING for d in migration.dependencies):
        return False, None
    if not to_user or not migration.dependencies_complete:
        return True, None
    others = any(
        relation.target.partition(".")[0] == user_app
        and relation.target.lower() != f"{user_app}.{user[1]}"
        for operation in migration.operations
        for relation in operation.relations
    )
    if others:
        return True, None
    roots = set(context.graph.root_nodes(user_app))
    # A migration a root squashes is that root, as far as the dependency goes.
    roots |= {old for root in list(roots) for old in context.graph.replacements.get(root, ())}
    for index, dependency in enumerate(migration.dependencies):
        key = dependency.key
        if (
            key is not None
            and key.app_label == user_app
            and (key.name == "__first__" or key in roots)
        ):
            return True, index
    return True, None


RULE = Rule("DM303", "hardcoded-user-model", Severity.WARNING, __doc__ or "", check_app=check)
