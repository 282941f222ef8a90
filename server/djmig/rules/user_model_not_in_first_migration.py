"""The model `AUTH_USER_MODEL` names is created in a migration other than its app's first.

## What it does
Reports the `CreateModel` of the user model (the model `AUTH_USER_MODEL` names) when it is
not in the first migration of its app — the migration `("accounts", "__first__")` resolves
to — while some migration depends on the user model through
`migrations.swappable_dependency(settings.AUTH_USER_MODEL)` and not on the migration that
creates it (`django.contrib.admin`'s first migration does, for `LogEntry.user`). Related
information points at those dependencies. Nothing is reported while `AUTH_USER_MODEL` or
the app's migrations cannot be read.

## Why is this bad?
`swappable_dependency(settings.AUTH_USER_MODEL)` is `("accounts", "__first__")`: it only
waits for the app's first migration. On a fresh database `migrate admin` (and `migrate`
itself whenever the plan reaches admin first) applies `admin.0001_initial` before the user
model exists and fails with `ValueError: Related model 'accounts.member' cannot be
resolved`. The Django documentation requires the custom user model to be created in the
first migration of its app.

## Example
```python
# accounts/migrations/0002_member.py
operations = [migrations.CreateModel("Member", [...])]  # AUTH_USER_MODEL = "accounts.Member"
```

## Use instead
Create the user model in `accounts/migrations/0001_initial.py`. Before any database has
applied the migrations, reset them (delete the app's migrations and run `makemigrations`);
afterwards, move the `CreateModel` into the first migration and fake the rest as the
documentation's procedure for changing the user model mid-project describes.

## Fix safety
No automatic fix: moving a `CreateModel` across migrations changes what databases that
applied them expect.

## References
- `django/db/migrations/migration.py`: `swappable_dependency`
- `django/db/migrations/loader.py`: `MigrationLoader.check_key` (`__first__`)
- Django documentation: "Substituting a custom User model", "Changing to a custom user
  model mid-project"
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.keys import MigrationKey, Span
from djmig.rules._operations import operations
from djmig.rules._relations import user_model
from djmig.rules.base import Context, Finding, Related, Rule, Severity

SETTING = "AUTH_USER_MODEL"


def check(context: Context, app_label: str) -> Iterator[Finding]:
    user = user_model(context.project)
    if user is None or user[0] != app_label or app_label in context.graph.uncertain_apps:
        return
    roots = context.graph.root_nodes(app_label)
    if not roots:
        return
    first = roots[0]  # what MigrationLoader.check_key makes of "__first__"
    after_first = context.state.after(first)
    if after_first is None or after_first.uncertain:
        return
    if after_first.model(user[1]) is not None:
        return
    for located in operations(context, app_label, "CreateModel"):
        name = located.operation.argument(0, "name")
        if not isinstance(name, str) or name.lower() != user[1]:
            continue
        dependents = _swappable_dependents(context, located.key)
        if not dependents:
            continue
        setting = context.project.settings.get(SETTING)
        yield RULE.finding(
            f"The user model {setting!r} is created in {located.key}, not in "
            f"the first migration of {app_label!r}, {first}: swappable_dependency(settings."
            f"{SETTING}) resolves to {first}, so a fresh `migrate {dependents[0][0].app_label}` "
            f"fails with \"Related model '{user[0]}.{user[1]}' cannot be resolved\"",
            located.migration,
            located.operation.span,
            related=[
                Related(
                    context.migrations[key].path,
                    span,
                    f"{key} depends on the user model through swappable_dependency",
                )
                for key, span in dependents
                if key in context.migrations
            ],
        )


def _swappable_dependents(
    context: Context, creating: MigrationKey
) -> list[tuple[MigrationKey, Span]]:
    """Migrations with a ``swappable_dependency(settings.AUTH_USER_MODEL)`` that do not
    depend on ``creating`` (the migration that creates the user model), with the span of
    that dependency; other apps' first."""
    found = []
    for key, migration in context.migrations.items():
        if key.app_label == creating.app_label or key not in context.graph:
            continue
        for dependency in migration.dependencies:
            if dependency.setting != SETTING:
                continue
            if creating not in context.graph.ancestors(key):
                found.append((key, dependency.span))
            break
    return sorted(found)


RULE = Rule(
    "DM302", "user-model-not-in-first-migration", Severity.ERROR, __doc__ or "", check_app=check
)
