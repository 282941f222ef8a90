"""Migrations depend on each other in a cycle.

## What it does
Reports each dependency edge of a cycle in the migration graph, with the whole cycle in
the message. Django's `ensure_not_cyclic` raises `CircularDependencyError` on the first
cycle it meets; djmig shows one cycle per strongly connected group of migrations.

## Why is this bad?
No command that builds a migration plan can run: `migrate`, `makemigrations`,
`showmigrations` all fail with `CircularDependencyError: a.0002_x, b.0001_initial`.
It typically appears when two apps' migrations both add foreign keys to each other.

## Example
```python
# a/migrations/0002_x.py        dependencies = [("b", "0001_initial")]
# b/migrations/0001_initial.py  dependencies = [("a", "0002_x")]
```

## Use instead
Split one side: create the models without the cross foreign key, then add it in a later
migration that depends on the other app (this is what `makemigrations` generates).

## Fix safety
No automatic fix.

## References
- `django/db/migrations/graph.py`: `MigrationGraph.ensure_not_cyclic`
"""

from __future__ import annotations

from collections.abc import Iterator

from djmig.rules.base import Context, Finding, Rule, Severity


def check(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.graph.problems:
        if problem.kind != "cycle":
            continue
        cycle = " -> ".join(str(k) for k in (*problem.cycle, problem.cycle[0]))
        migration = ctx.migrations[problem.origin.migration]
        yield RULE.finding(
            f"Circular dependency ({cycle}): CircularDependencyError",
            migration,
            problem.origin.dependency.span,
        )


RULE = Rule("DM103", "circular-dependency", Severity.ERROR, __doc__ or "", check_project=check)
