"""The rules, in code order. One module per rule, named after the rule."""

from __future__ import annotations

from djmig.rules import (
    circular_dependency,
    invalid_migration_module,
    irreversible_run_python,
    irreversible_run_sql,
    missing_dependency,
    multiple_leaf_nodes,
    squash_leftovers,
    unknown_app_dependency,
)
from djmig.rules.base import Context, Finding, Related, Rule, Severity

RULES: tuple[Rule, ...] = (
    multiple_leaf_nodes.RULE,
    missing_dependency.RULE,
    circular_dependency.RULE,
    unknown_app_dependency.RULE,
    squash_leftovers.RULE,
    invalid_migration_module.RULE,
    irreversible_run_python.RULE,
    irreversible_run_sql.RULE,
)
BY_CODE = {rule.code: rule for rule in RULES}

__all__ = ["BY_CODE", "RULES", "Context", "Finding", "Related", "Rule", "Severity"]
