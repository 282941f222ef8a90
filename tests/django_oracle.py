"""Real Django as the oracle: what ``MigrationLoader(None)`` and ``migrate`` make of a project.

Django runs in a subprocess (settings can be configured once per process, and the test
process must not import project code), with the test interpreter, the project as working
directory and ``PYTHONPATH``, no bytecode written into the fixture, and a fixed hash seed:
``MigrationLoader.load_disk`` walks a *set* of migration names, so a few orders inside
``build_graph`` (which dummy node raises first) depend on string hashing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

MARKER = "@@djmig-oracle@@"

LOADER_SCRIPT = r"""
import json
import sys

import django

MARKER = sys.argv[1]
verdict = {
    "error": None,
    "leaf_nodes": {},
    "root_nodes": {},
    "conflicts": {},
    "nodes": [],
    "edges": [],
    "dummy_nodes": [],
    "migrated_apps": [],
    "unmigrated_apps": [],
    "files": {},
}


def describe(exc):
    from django.db.migrations.exceptions import CircularDependencyError, NodeNotFoundError

    error = {"type": type(exc).__name__, "message": str(exc), "node": None, "cycle": None}
    if isinstance(exc, NodeNotFoundError):
        error["node"] = list(exc.node)
    if isinstance(exc, CircularDependencyError):
        error["cycle"] = [part.split(".", 1) for part in str(exc).split(", ")]
    return error


try:
    django.setup()
    from django.db.migrations.graph import DummyNode
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, load=False, ignore_no_migrations=False)
    try:
        loader.build_graph()
    except Exception as exc:
        verdict["error"] = describe(exc)
    verdict["migrated_apps"] = sorted(getattr(loader, "migrated_apps", ()))
    verdict["unmigrated_apps"] = sorted(getattr(loader, "unmigrated_apps", ()))
    for key, migration in (loader.disk_migrations or {}).items():
        module = sys.modules[type(migration).__module__]
        verdict["files"]["%s.%s" % key] = module.__file__
    graph = getattr(loader, "graph", None)
    if graph is not None:
        verdict["dummy_nodes"] = sorted(
            list(node.key) for node in graph.node_map.values() if isinstance(node, DummyNode)
        )
    if verdict["error"] is None:
        for app_label, name in graph.leaf_nodes():
            verdict["leaf_nodes"].setdefault(app_label, []).append(name)
        for app_label, name in graph.root_nodes():
            verdict["root_nodes"].setdefault(app_label, []).append(name)
        verdict["conflicts"] = loader.detect_conflicts()
        verdict["nodes"] = sorted(list(key) for key in graph.nodes)
        verdict["edges"] = sorted(
            [list(parent.key), list(node.key)]
            for node in graph.node_map.values()
            for parent in node.parents
        )
except Exception as exc:
    verdict["error"] = describe(exc)
print(MARKER + json.dumps(verdict, sort_keys=True))
"""


def django_env(project: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "DJANGO_SETTINGS_MODULE", "PYTHONSTARTUP"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="proj.settings",
        PYTHONPATH=str(project),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
    )
    return env


def django_verdict(project: Path) -> dict[str, Any]:
    """Build the migration graph of ``project`` with ``MigrationLoader(None)``.

    Returns ``error`` (``None`` or ``{"type", "message", "node", "cycle"}``), and on success
    ``leaf_nodes``/``root_nodes`` (``{app_label: [names]}``), ``conflicts``
    (``detect_conflicts()``), ``nodes`` and ``edges`` (``[parent, child]``) as
    ``[app_label, name]`` pairs; always (as far as loading got) ``migrated_apps``,
    ``unmigrated_apps``, the ``dummy_nodes`` left in the graph, and ``files`` mapping
    ``"app_label.name"`` to the migration's file.
    """
    return run_oracle(LOADER_SCRIPT, project, "Django oracle")


def run_oracle(
    script: str,
    project: Path,
    name: str,
    *args: str,
    timeout: float = 120,
    stdin: Any = None,
    settings: str | None = None,
) -> Any:
    """Run ``script`` with Django in a subprocess in ``project`` (``stdin``: sent as JSON;
    ``settings``: the settings module); the JSON it prints after ``MARKER``."""
    env = django_env(project)
    if settings is not None:
        env["DJANGO_SETTINGS_MODULE"] = settings
    completed = subprocess.run(
        [sys.executable, "-c", script, MARKER, *args],
        cwd=project,
        env=env,
        input=None if stdin is None else json.dumps(stdin),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(
        f"the {name} produced no verdict (exit {completed.returncode}):\n"
        f"{completed.stdout}\n{completed.stderr}"
    )


def manage(
    project: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python manage.py *args`` in ``project``, with the test interpreter (Django)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=env if env is not None else django_env(project),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def django_migrate(project: Path, *args: str) -> tuple[int, str]:
    """Run ``manage.py migrate *args`` on the project's SQLite database."""
    completed = manage(project, "migrate", "--no-input", *args)
    return completed.returncode, completed.stdout + completed.stderr
