"""A dependency names an app that is not installed or has no migrations.

## What it does
Reports a dependency on an app label that is not among the installed apps, or on an
installed app without migrations (other than `__first__`, which Django ignores for
unmigrated apps). Only reported when `INSTALLED_APPS` could be read completely, so an app
djmig cannot see is never mistaken for a missing one.

## Why is this bad?
Django fails while building the graph: `ValueError: Dependency on unknown app: payments`,
`ValueError: Dependency on app with no migrations: payments`, or `NodeNotFoundError` for a
named migration of such an app.

## Example
```python
dependencies = [("payments", "0001_initial")]  # "payments" is not in INSTALLED_APPS
```

## Use instead
Add the app to `INSTALLED_APPS` (and create its migrations), or drop the dependency.

## Fix safety
No automatic fix.

## References
- `django/db/migrations/loader.py`: `MigrationLoader.check_key`
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.rules.base import Context, Finding, Rule, Severity


def check(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.graph.problems:
        if problem.kind not in ("unknown-app", "no-migrations"):
            continue
        app = problem.target.app_label
        if problem.kind == "unknown-app":
            message = f"Dependency on unknown app {app!r}: it is not in INSTALLED_APPS"
        else:
            message = f"Dependency on {problem.target}, but app {app!r} has no migrations"
        yield RULE.finding(
            message, ctx.migrations[problem.origin.migration], problem.origin.dependency.span
        )


RULE = Rule("DM104", "unknown-app-dependency", Severity.ERROR, __doc__ or "", check_project=check)
