"""Shared by the rules that read the database (DM501-DM503): where a finding can be shown,
and the ``manage.py`` commands they advise."""

from __future__ import annotations

from collections.abc import Iterable

from djmig.index.discovery import WORKSPACE
from djmig.keys import MigrationKey
from djmig.rules.base import Context


def reported(context: Context, key: MigrationKey) -> bool:
    """Whether findings in ``key``'s file are shown: a workspace app's, not excluded."""
    app = context.project.apps.get(key.app_label)
    migration = context.migrations.get(key)
    return (
        app is not None
        and app.origin == WORKSPACE
        and migration is not None
        and not context.project.is_excluded(migration.path)
    )


def manage_py(context: Context) -> str:
    """``python manage.py``, with the path of ``manage.py`` from the workspace root."""
    root = context.project.root
    for directory in (root, *context.project.source_roots):
        if (directory / "manage.py").is_file():
            relative = (directory / "manage.py").relative_to(root).as_posix()
            return f"python {relative}"
    return "django-admin"


def record_command(context: Context, keys: Iterable[MigrationKey]) -> str:
    """The command that records ``keys`` as applied without running them, as
    ``MigrationRecorder.record_applied`` does for ``migrate --fake``."""
    listed = ", ".join(repr(tuple(key)) for key in keys)
    return (
        f'{manage_py(context)} shell -c "from django.db import connection; '
        "from django.db.migrations.recorder import MigrationRecorder; "
        f'r = MigrationRecorder(connection); [r.record_applied(*m) for m in [{listed}]]"'
    )
