"""The rules, in code order. One module per rule, named after the rule."""

from __future__ import annotations

from djmig.rules import (
    alter_to_not_null,
    app_not_installed,
    applied_migration_missing,
    auth_user_model_changed,
    backward_incompatible_operation,
    circular_dependency,
    hardcoded_user_model,
    inconsistent_history,
    invalid_migration_module,
    irreversible_run_python,
    irreversible_run_sql,
    missing_dependency,
    model_changes_without_migration,
    multiple_leaf_nodes,
    not_null_on_existing_table,
    not_null_without_default,
    run_python_model_import,
    squash_leftovers,
    tables_exist_unrecorded,
    unknown_app_dependency,
    unresolved_lazy_reference,
    user_model_not_in_first_migration,
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
    not_null_without_default.RULE,
    not_null_on_existing_table.RULE,
    alter_to_not_null.RULE,
    backward_incompatible_operation.RULE,
    run_python_model_import.RULE,
    auth_user_model_changed.RULE,
    user_model_not_in_first_migration.RULE,
    hardcoded_user_model.RULE,
    unresolved_lazy_reference.RULE,
    app_not_installed.RULE,
    model_changes_without_migration.RULE,
    inconsistent_history.RULE,
    applied_migration_missing.RULE,
    tables_exist_unrecorded.RULE,
)
BY_CODE = {rule.code: rule for rule in RULES}

__all__ = ["BY_CODE", "RULES", "Context", "Finding", "Related", "Rule", "Severity"]
