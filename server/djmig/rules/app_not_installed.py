"""An app of the workspace has migrations but is not in `INSTALLED_APPS`.

## What it does
Reports, on the `INSTALLED_APPS` assignment of the settings, each package of the workspace
that looks like a Django app (it has `models.py`, a `models` package or `apps.py`) and has
a `migrations` package with numbered migrations, when no entry of `INSTALLED_APPS` installs
it. Related information points at the app's first migration. Only reported when
`INSTALLED_APPS` and `MIGRATION_MODULES` are statically known; packages under `tests/`,
`test/` or `testing/` (apps installed by test settings) are left out.

## Why is this bad?
Django only loads the migrations of installed apps: `migrate` and `showmigrations` never
see the app (`migrate gone` says `CommandError: No installed app with label 'gone'`), its
tables are never created on a new database, and a migration of another app that still
points at one of its models fails (`Related model 'gone.widget' cannot be resolved`, or
`... declared with a lazy reference to 'gone.widget', but app 'gone' isn't installed` on a
database where it was applied). Usually the app was removed from the settings but not from
the code, or added to the code but never to the settings.

## Example
```python
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "catalog",
]  # loyalty/ has models and migrations but is not listed
```

## Use instead
Add the app to `INSTALLED_APPS`, or delete the package (after removing what other
migrations still reference from it).

## Fix safety
No automatic fix.

## References
- `django/db/migrations/loader.py`: `MigrationLoader.load_disk` (installed apps only)
- Django documentation: "INSTALLED_APPS", "How to delete a Django application"
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.keys import Span
from djmig.rules.base import Context, Finding, Related, Rule, Severity

SETTING = "INSTALLED_APPS"


def check(context: Context) -> Iterator[Finding]:
    project = context.project
    located = project.settings.spans.get(SETTING)
    if not project.uninstalled or located is None:
        return
    path, span = located
    target = Span(span.start_line, span.start_col, span.start_line, span.start_col + len(SETTING))
    for app in project.uninstalled:
        migrations = app.migration_files()
        first = min(migrations.items(), default=None)
        related = []
        if first is not None:
            related.append(Related(first[1], Span.point(), f"first migration of {app.name!r}"))
        where = app.migrations_dir.relative_to(project.root) if app.migrations_dir else app.name
        yield Finding(
            RULE.code,
            f"App {app.name!r} has {len(migrations)} migration(s) in {where} but is not in "
            f'{SETTING}: Django never loads them (migrate {app.label} fails with "No '
            f"installed app with label '{app.label}'\")",
            path,
            target,
            RULE.severity,
            related=related,
        )


RULE = Rule("DM305", "app-not-installed", Severity.WARNING, __doc__ or "", check_project=check)
