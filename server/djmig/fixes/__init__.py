"""Quick fixes: a finding's fix data (``Finding.fixes``) turned into edits.

One module per fix, each a libcst rewrite of the one file (or, for the merge migration,
the file to create). ``fixes_for`` is what the language server and ``djmig check --fix``
call; every fix it returns leaves Python that parses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from djmig.db import DatabaseState
from djmig.fixes.create_migration import create_migration_fix
from djmig.fixes.edits import Applicability, FileEdit, Fix, TextEdit, parses, text_edits
from djmig.fixes.merge_migration import (
    DEFAULT_DJANGO_VERSION,
    installed_django_version,
    merge_migration,
)
from djmig.fixes.noqa import add_noqa
from djmig.fixes.replace_dependency import replace_dependency
from djmig.fixes.reverse_noop import add_reverse_noop
from djmig.fixes.reverse_sql_noop import add_reverse_sql_noop
from djmig.fixes.reverse_stub import add_reverse_stub
from djmig.fixes.split_not_null import split_not_null_fix, use_db_default
from djmig.fixes.swappable_user_model import use_swappable_user_model
from djmig.index.discovery import Project
from djmig.keys import MigrationKey, Span
from djmig.rules import Finding

__all__ = ["Applicability", "FileEdit", "Fix", "TextEdit", "fixes_for"]


class HasProject(Protocol):
    """An ``Analysis`` or a ``Workspace``."""

    project: Project
    database: DatabaseState | None


_Rewrite = Callable[[str, dict[str, Any]], "str | None"]

#: fix kind → (title, applicability, preferred, rewrite of the finding's file)
_FILE_FIXES: dict[str, tuple[str, Applicability, bool, _Rewrite]] = {
    "reverse-noop": (
        "Add reverse noop",
        "safe",
        True,
        lambda source, data: add_reverse_noop(source, data["operation"]),
    ),
    "reverse-stub": (
        "Add reverse function stub",
        "unsafe",
        False,
        lambda source, data: add_reverse_stub(source, data["operation"], data["function"]),
    ),
    "reverse-sql-noop": (
        "Add reverse_sql noop",
        "unsafe",
        False,
        lambda source, data: add_reverse_sql_noop(source, data["operation"]),
    ),
}
_WHY = {"leaf": "current leaf", "closest": "closest name"}


def fixes_for(finding: Finding, source_text: str, analysis_or_workspace: HasProject) -> list[Fix]:
    """The fixes of ``finding`` in the file whose text is ``source_text``, then "Ignore
    DMxxx on this line". A fix that does not apply to this text is left out."""
    fixes = []
    for data in finding.fixes:
        fix = _applied(finding, data, analysis_or_workspace.database) or _fix(
            finding, source_text, data, analysis_or_workspace.project
        )
        if fix is not None:
            fixes.append(fix)
    noqa = add_noqa(source_text, finding.span.start_line, finding.code)
    fix = _file_fix(finding, source_text, noqa, f"Ignore {finding.code} on this line", "display")
    if fix is not None:
        fixes.append(fix)
    return fixes


#: Fixes that rewrite the operation of an existing migration, by kind.
_REWRITES = {
    "split-not-null": "Split into nullable + backfill + NOT NULL",
    "db-default": "Use db_default",
}


def _applied(finding: Finding, data: dict[str, Any], database: DatabaseState | None) -> Fix | None:
    """A rewrite of a migration the database has applied, disabled with the reason:
    Django never runs an applied migration again, so the edit would not reach it."""
    kind = data.get("fix")
    if database is None or kind not in _REWRITES or "migration" not in data:
        return None
    key = MigrationKey(data["app_label"], data["migration"])
    if key not in database.applied:
        return None
    when = database.applied[key]
    at = f" on {when:%Y-%m-%d %H:%M}" if when else ""
    reason = (
        f"{key} is already applied in {database.description}{at}: editing it changes "
        "nothing there (an applied migration never runs again). Unapply it first "
        "(migrate to the migration before it) or add the change as a new migration."
    )
    return Fix(_REWRITES[kind], finding.code, "unsafe", [], disabled=reason)


def _fix(finding: Finding, source: str, data: dict[str, Any], project: Project) -> Fix | None:
    kind = data.get("fix")
    if kind in _FILE_FIXES:
        title, applicability, preferred, rewrite = _FILE_FIXES[kind]
        return _file_fix(finding, source, rewrite(source, data), title, applicability, preferred)
    if kind == "replace-dependency":
        key = MigrationKey(*data["key"])
        title = f"Depend on {key} ({_WHY[data['why']]})"
        new = replace_dependency(source, finding.span, key)
        return _file_fix(finding, source, new, title, "unsafe")
    if kind == "merge-migration":
        return _merge_fix(finding, data["app_label"], data["leaves"], project)
    if kind == "create-migration":
        return create_migration_fix(finding, data, project)
    if kind == "split-not-null":
        return split_not_null_fix(finding, source, data, project)
    if kind == "swappable-user-model":
        new = use_swappable_user_model(source, data)
        safe = data.get("safe") is True
        title = "Use settings.AUTH_USER_MODEL"
        return _file_fix(finding, source, new, title, "safe" if safe else "unsafe", safe)
    if kind == "db-default":
        version = installed_django_version(project.site_packages) or DEFAULT_DJANGO_VERSION
        if int(version.split(".")[0]) < 5:
            return None
        new = use_db_default(source, data["operation"])
        return _file_fix(finding, source, new, "Use db_default", "unsafe")
    return None


def _file_fix(
    finding: Finding,
    source: str,
    new: str | None,
    title: str,
    applicability: Applicability,
    preferred: bool = False,
) -> Fix | None:
    if new is None or new == source or not parses(new):
        return None
    edits = [FileEdit(finding.path, text_edits(source, new))]
    return Fix(title, finding.code, applicability, edits, preferred)


def _merge_fix(finding: Finding, app_label: str, leaves: list[str], project: Project) -> Fix | None:
    app = project.apps.get(app_label)
    if app is None or app.migrations_dir is None:
        return None
    version = installed_django_version(project.site_packages) or DEFAULT_DJANGO_VERSION
    use_tz = project.settings.get("USE_TZ") is not False
    filename, content = merge_migration(app_label, leaves, version, use_tz=use_tz)
    path = app.migrations_dir / filename
    if path.exists() or not parses(content):
        return None
    edit = FileEdit(path, [TextEdit(Span.point(), content)], create=True)
    return Fix(f"Create merge migration {path.stem}", finding.code, "safe", [edit], True)
