"""Real Django on a real database: what ``MigrationLoader(connection)``, ``migrate``'s
consistency check, ``detect_soft_applied`` and ``--prune`` make of a project's database.

Like ``django_oracle`` (one subprocess, the project's settings), but the loader is built
with the project's ``default`` connection, so squashes follow the applied state.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from django_oracle import manage, run_oracle

SCRIPT = r"""
import json
import sys

import django

MARKER = sys.argv[1]
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

try:
    executor = MigrationExecutor(connection)
except Exception as exc:  # build_graph: NodeNotFoundError, CircularDependencyError
    print(MARKER + json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    sys.exit(0)
loader = executor.loader
graph = loader.graph
verdict = {
    "error": None,
    "recorded": sorted(MigrationRecorder(connection).applied_migrations()),
    "applied": sorted(loader.applied_migrations),
    "nodes": sorted(graph.nodes),
    "edges": sorted(
        [list(parent.key), list(node.key)]
        for node in graph.node_map.values()
        for parent in node.parents
    ),
    "leaf_nodes": sorted(graph.leaf_nodes()),
    "inconsistent": None,
    "soft_applied": [],
    "prune": {},
}
try:
    loader.check_consistent_history(connection)
except Exception as exc:
    verdict["inconsistent"] = f"{type(exc).__name__}: {exc}"
for key in sorted(graph.nodes):
    if key not in loader.applied_migrations:
        migration = loader.get_migration(*key)
        if executor.detect_soft_applied(None, migration)[0]:
            verdict["soft_applied"].append(list(key))
for app_label in sorted({app for app, _ in loader.applied_migrations}):
    to_prune = sorted(
        key for key in set(loader.applied_migrations) - set(loader.disk_migrations)
        if key[0] == app_label
    )
    if to_prune:
        verdict["prune"][app_label] = [name for _, name in to_prune]
print(MARKER + json.dumps(verdict, sort_keys=True))
"""


def db_verdict(project: Path) -> dict[str, Any]:
    """Django's view of ``project``'s database: ``error`` (when ``build_graph`` raises, the
    only key: ``"NodeNotFoundError: …"``), ``recorded`` (the rows), ``applied``
    (``loader.applied_migrations``), the graph's ``nodes``, ``edges`` and ``leaf_nodes``,
    ``inconsistent`` (the ``InconsistentMigrationHistory`` message or None), the unapplied
    nodes ``detect_soft_applied`` accepts, and what ``migrate --prune`` would prune per app;
    keys as ``[app_label, name]`` lists."""
    return run_oracle(SCRIPT, project, "database oracle")


def run_advice(project: Path, command: str) -> tuple[int, str]:
    """Run a ``python manage.py …`` command from a djmig message, as a user would paste it."""
    argv = shlex.split(command)
    assert argv[:2] == ["python", "manage.py"], command
    completed = manage(project, *argv[2:], timeout=120)
    return completed.returncode, completed.stdout + completed.stderr
