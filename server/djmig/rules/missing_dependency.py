"""A dependency names a migration that does not exist.

## What it does
Reports a `dependencies` (or `run_before`) entry naming a migration that no migrations
package contains, on the tuple itself, after squashed migrations have replaced what they
replace, exactly as `MigrationLoader.build_graph` does.

## Why is this bad?
Every management command that loads migrations fails with `NodeNotFoundError: Migration
shop.0004_x dependencies reference nonexistent parent node ('shop', '0003_y')` — usually
after a migration was renamed, deleted, or squashed and cleaned up.

## Example
```python
dependencies = [("shop", "0003_prodcut_sku")]
```

## Use instead
```python
dependencies = [("shop", "0003_product_sku")]
```

## Fix safety
"Depend on the app's current leaf" and "Use the closest existing name" are unsafe: they
change the order in which migrations run; check that the new parent is the intended one.

## References
- `django/db/migrations/graph.py`: `MigrationGraph.validate_consistency`, `DummyNode`
- `django/db/migrations/loader.py`: `MigrationLoader.build_graph`
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from djmig.rules.base import Context, Finding, Rule, Severity


def check(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.graph.problems:
        if problem.kind != "missing":
            continue
        origin, target = problem.origin, problem.target
        migration = ctx.migrations[origin.migration]
        names = sorted(k.name for k in ctx.graph.nodes if k.app_label == target.app_label)
        fixes = []
        leaves = ctx.graph.leaf_nodes(target.app_label)
        if origin.attribute == "dependencies":
            for leaf in leaves:
                if leaf != origin.migration:
                    fixes.append({"fix": "replace-dependency", "key": list(leaf), "why": "leaf"})
            for name in difflib.get_close_matches(target.name, names, n=1, cutoff=0.6):
                candidate = [target.app_label, name]
                closest = (target.app_label, name)
                if candidate not in (f["key"] for f in fixes) and closest != origin.migration:
                    fixes.append({"fix": "replace-dependency", "key": candidate, "why": "closest"})
        word = "parent" if origin.attribute == "dependencies" else "child"
        yield RULE.finding(
            f"Migration {origin.migration} depends on nonexistent {word} {target} "
            f"(NodeNotFoundError)",
            migration,
            origin.dependency.span,
            fixes=fixes,
        )


RULE = Rule("DM102", "missing-dependency", Severity.ERROR, __doc__ or "", check_project=check)
