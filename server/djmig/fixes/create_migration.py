"""DM401 "Create migration": the files ``djmig.writer`` rendered, created.

For a NOT NULL field added to an existing model the fix also writes the backfill migration
between the nullable ``AddField`` and the ``AlterField`` (``split_not_null``'s, with its
placeholder value by type to review); no fix for a field type without a placeholder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from djmig.fixes.edits import FileEdit, Fix, TextEdit, parses
from djmig.fixes.split_not_null import Split, _placeholder, backfill_migration
from djmig.keys import Span

if TYPE_CHECKING:
    from djmig.index.discovery import Project
    from djmig.rules import Finding


def create_migration_fix(finding: Finding, data: dict[str, Any], project: Project) -> Fix | None:
    app = project.apps.get(data["app_label"])
    if app is None or app.migrations_dir is None:
        return None
    files = [tuple(entry) for entry in data["files"]]
    backfill = data.get("backfill")
    if backfill is not None:
        guess = _placeholder(backfill["class"])
        if guess is None:
            return None
        value, needs_timezone = guess
        content = backfill_migration(
            backfill["header"], data["app_label"], backfill["model"], backfill["field"],
            backfill["after"], Split("", "", value, needs_timezone, True),
        )  # fmt: skip
        files.insert(1, (f"{backfill['name']}.py", content))
    edits = []
    for filename, content in files:
        path = app.migrations_dir / filename
        if path.exists() or not parses(content):
            return None
        edits.append(FileEdit(path, [TextEdit(Span.point(), content)], create=True))
    split = backfill is not None
    return Fix(data["title"], finding.code, "unsafe" if split else "safe", edits, not split)
