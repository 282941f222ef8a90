"""`AUTH_USER_MODEL` differs from the user model the migration history was built against.

## What it does
Reports the `AUTH_USER_MODEL` assignment of the settings when there is evidence that the
existing migrations were made, or applied, with another user model:
- the committed settings (git `HEAD`, read with `git show` and evaluated like the working
  tree's) name another model, and migrations depend on the user model through
  `swappable_dependency(settings.AUTH_USER_MODEL)` (`django.contrib.admin`'s do);
- the migrations still create another user model (a concrete model with Django's
  `UserManager` that is not `AUTH_USER_MODEL`; proxies of the user model are not), or
  point relations at `auth.User` while it is swapped out;
- the configured database (see DM501) has applied a migration that depends on the user
  model through `swappable_dependency` while the migration that creates the user model
  now is not applied (what `check_consistent_history` will refuse).

The message names the evidence and the safe procedure. Nothing is reported when
`AUTH_USER_MODEL` cannot be read, or without any of the evidence (outside a git
repository, no database configured). Each source of evidence is one function of `EVIDENCE`.

## Why is this bad?
Migrations record the user model they were made against: `swappable_dependency` resolves
to the first migration of the user model's app, and foreign keys to the user model point at
its table. Changing the setting afterwards leaves databases that applied the old history
inconsistent: `migrate` stops with `InconsistentMigrationHistory: Migration
admin.0001_initial is applied before its dependency accounts.0001_initial on database
'default'`, or `Related model 'accounts.member' cannot be resolved`, and the existing rows
still reference the old table. Django documents this change as one that cannot be done
automatically.

## Example
```python
AUTH_USER_MODEL = "accounts.Member"  # HEAD: the default, auth.User; admin is migrated
```

## Use instead
Before any database that matters has applied the migrations: reset — drop the database,
delete the migrations of your apps, run `makemigrations` and `migrate`. Afterwards, follow
the documented procedure for changing the user model mid-project: create the new model on
the old table (`db_table = "auth_user"`) in the first migration of its app with
`SeparateDatabaseAndState`, fix the `django_migrations` history, then switch the setting.

## Fix safety
No automatic fix: the procedure depends on the databases the history was applied to.

## References
- `django/db/migrations/loader.py`: `MigrationLoader.check_consistent_history`
- `django/db/migrations/migration.py`: `swappable_dependency`
- Django documentation: "Substituting a custom User model" ("Changing to a custom user
  model mid-project"), ticket #25313
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from djmig.index.discovery import WORKSPACE
from djmig.index.history import committed_texts
from djmig.index.settings import read_settings
from djmig.index.values import CallValue
from djmig.rules._relations import AUTH_USER, make_model_tuple, relations, user_model
from djmig.rules.base import Context, Finding, Rule, Severity
from djmig.state import ModelState

SETTING = "AUTH_USER_MODEL"


def committed_setting(context: Context) -> str | None:
    """The committed settings name another user model, and migrations depend on it."""
    settings = context.project.settings
    if settings.path is None or not settings.files:
        return None
    texts = committed_texts(context.project.root, settings.files)
    if texts is None:
        return None
    old = read_settings(settings.path, settings.module, texts, settings.roots).get(SETTING)
    new = settings.get(SETTING)
    if not isinstance(old, str) or not isinstance(new, str):
        return None
    if make_model_tuple(old) == make_model_tuple(new):
        return None
    dependents = sorted(
        str(key)
        for key, migration in context.migrations.items()
        if key in context.graph and any(d.setting == SETTING for d in migration.dependencies)
    )
    if not dependents:
        return None
    return (
        f"the committed settings (git HEAD) have {SETTING} = {old!r}, and "
        f"{len(dependents)} migration(s) depend on the user model ({dependents[0]}, ...)"
    )


def other_user_models(context: Context) -> str | None:
    """The migrations create another user model, or point at the swapped-out auth.User."""
    user = user_model(context.project)
    if user is None:
        return None
    found: list[str] = []
    for label, app in sorted(context.project.apps.items()):
        if app.origin != WORKSPACE:
            continue
        for leaf in context.graph.leaf_nodes(label):
            state = context.state.after(leaf)
            for model in state.models.values() if state else ():
                if (
                    (model.app_label, model.name_lower) != user
                    and model.proxy is False
                    and _has_user_manager(model)
                ):
                    found.append(f"{model.app_label}.{model.name} is created as a user model")
        if user != AUTH_USER:
            for located in relations(context, label):
                if located.target == AUTH_USER:
                    found.append(f"{located.key} points {located.label} at auth.User")
                    break
    if not found:
        return None
    return "the migrations were made against another user model: " + "; ".join(sorted(set(found)))


def _has_user_manager(model: ModelState) -> bool:
    for manager in model.managers:
        value = manager[1] if isinstance(manager, tuple) and len(manager) == 2 else None
        if isinstance(value, CallValue) and value.func.rpartition(".")[2] == "UserManager":
            return True
    return False


def applied_history(context: Context) -> str | None:
    """The database applied migrations that depend on the user model before the migration
    they now resolve to: the history was applied with another user model."""
    user = user_model(context.project)
    applied = context.graph.applied
    if user is None or applied is None:
        return None
    early = sorted(
        f"{key} before {parent}"
        for key in applied
        if key in context.migrations
        and any(d.setting == SETTING for d in context.migrations[key].dependencies)
        for parent in context.graph.parents(key)
        if parent.app_label == user[0] and parent not in applied
    )
    if not early:
        return None
    return f"the database applied {early[0]}" + (
        f" (and {len(early) - 1} more)" if len(early) > 1 else ""
    )


#: Sources of evidence, each a description or None.
EVIDENCE: tuple[Callable[[Context], str | None], ...] = (
    committed_setting,
    other_user_models,
    applied_history,
)


def check(context: Context) -> Iterator[Finding]:
    settings = context.project.settings
    located = settings.spans.get(SETTING)
    value = settings.get(SETTING)
    if located is None or not isinstance(value, str):
        return
    evidence = [found for found in (source(context) for source in EVIDENCE) if found]
    if not evidence:
        return
    path, span = located
    yield Finding(
        RULE.code,
        f"{SETTING} is {value!r}, but {'; and '.join(evidence)}. Before any production "
        "database applied them: reset (drop the database, delete your apps' migrations, "
        "makemigrations, migrate). After: Django's procedure for changing the user model "
        "mid-project (the new model keeps the old table with db_table, created through "
        "SeparateDatabaseAndState in its app's first migration)",
        path,
        span,
        RULE.severity,
    )


RULE = Rule(
    "DM301", "auth-user-model-changed", Severity.WARNING, __doc__ or "", check_project=check
)
