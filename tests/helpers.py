"""Small Django projects written to disk for tests.

``make_project`` writes a project the way ``django-admin startproject`` would lay it out
(``manage.py``, ``proj/settings.py``) plus the files a test needs; ``migration`` renders the
source of one migration file with each dependency on its own line, so a test can point at
the line a finding should sit on.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from django_oracle import django_verdict
from djmig.analysis import Analysis, analyze_workspace
from djmig.keys import MigrationKey
from djmig.rules import Finding

Key = tuple[str, str]

MANAGE_PY = """\
#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
"""

SETTINGS_PY = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "djmig-tests-not-secret"
DEBUG = True

INSTALLED_APPS = [
{installed_apps}]

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }}
}}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
{extra_settings}"""

PYPROJECT_TOML = """\
[project]
name = "proj"
version = "0"

[tool.djmig]
python = "{python}"
"""


def make_project(
    tmp_path: Path,
    files: Mapping[str, str],
    installed_apps: list[str] | None = None,
    extra_settings: str = "",
) -> Path:
    """Write a Django project under ``tmp_path / "project"`` and return its root.

    ``files`` maps paths relative to the project root to their (dedented) content. When
    ``installed_apps`` is ``None`` it is every top-level package of ``files`` except
    ``proj``, in sorted order. The packages on the dotted path of each installed app that
    are directories of ``files`` get an ``__init__.py`` unless ``files`` provides one;
    migrations packages get nothing automatically, so a test can leave it out.
    """
    root = tmp_path / "project"
    root.mkdir()
    if installed_apps is None:
        installed_apps = sorted(
            {Path(path).parts[0] for path in files if len(Path(path).parts) > 1} - {"proj"}
        )
    written = {
        "manage.py": MANAGE_PY,
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS_PY.format(
            installed_apps="".join(f"    {app!r},\n" for app in installed_apps),
            extra_settings=textwrap.dedent(extra_settings),
        ),
        "pyproject.toml": PYPROJECT_TOML.format(python=sys.executable),
    }
    directories = {parent.as_posix() for path in files for parent in Path(path).parents}
    for app in installed_apps:
        parts = app.split(".")
        for depth in range(1, len(parts) + 1):
            package = "/".join(parts[:depth])
            if package in directories:
                written[f"{package}/__init__.py"] = ""
    written.update({path: textwrap.dedent(content) for path, content in files.items()})
    for path, content in written.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    return root


def migration(
    deps: Iterable[Key] = (),
    ops: str = "",
    replaces: Iterable[Key] = (),
    run_before: Iterable[Key] = (),
    initial: bool = False,
    extra: str = "",
) -> str:
    """Source of a migration file; every key of ``deps``/``replaces``/``run_before`` on its
    own line, ``ops`` (operation expressions, one per line) inside ``operations``, ``extra``
    in the class body; ``models`` is imported when ``ops`` or ``extra`` use it."""
    imports = "migrations, models" if "models." in ops + extra else "migrations"
    lines = [f"from django.db import {imports}", "", "", "class Migration(migrations.Migration):"]
    if initial:
        lines.append("    initial = True")
    for attribute, entries in (
        ("replaces", list(replaces)),
        ("dependencies", list(deps)),
        ("run_before", list(run_before)),
    ):
        if entries or attribute == "dependencies":
            lines.append(f"    {attribute} = [")
            lines.extend(f"        ({app!r}, {name!r})," for app, name in entries)
            lines.append("    ]")
    lines.append("    operations = [")
    lines.extend(f"        {op.strip()}," for op in textwrap.dedent(ops).splitlines() if op.strip())
    lines.append("    ]")
    if extra:
        lines.extend("    " + line for line in textwrap.dedent(extra).splitlines())
    return "\n".join(lines) + "\n"


def app_migrations(app_dir: str, migrations: Mapping[str, str], package: bool = True) -> dict:
    """Files of a migrations package: ``{app_dir}/migrations/{name}.py`` for each entry, and
    its ``__init__.py`` unless ``package`` is false (a namespace package)."""
    files = {f"{app_dir}/migrations/{name}.py": source for name, source in migrations.items()}
    if package:
        files[f"{app_dir}/migrations/__init__.py"] = ""
    return files


def line_of(path: Path, needle: str) -> int:
    """0-based number of the first line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def sorted_keys(pairs: Iterable[Iterable[str]]) -> list[MigrationKey]:
    """Sorted ``MigrationKey``s from ``[app_label, name]`` pairs (as the oracle's JSON has)."""
    return sorted(MigrationKey(*pair) for pair in pairs)


# -- djmig against Django -------------------------------------------------------------------

#: DM10x error codes in the order Django raises the matching exceptions in ``build_graph``:
#: ``load_disk`` (BadMigrationError), ``check_key`` while adding external dependencies
#: (ValueError), ``validate_consistency`` (NodeNotFoundError), ``ensure_not_cyclic``.
GRAPH_ERROR_PRECEDENCE = ("DM106", "DM104", "DM102", "DM103")

DJANGO_ERROR_CODES = {
    "BadMigrationError": "DM106",
    "ValueError": "DM104",
    "NodeNotFoundError": "DM102",
    "CircularDependencyError": "DM103",
}


def accepted_error_codes(verdict: dict[str, Any]) -> set[str]:
    """The djmig codes that match Django's exception (empty when Django succeeded).

    A ``NodeNotFoundError`` for a node of an app that is not migrated (not installed, or
    without a migrations package) is what the spec calls an unknown-app dependency as much
    as a missing one, so DM104 is accepted for it besides DM102.
    """
    error = verdict["error"]
    if error is None:
        return set()
    code = DJANGO_ERROR_CODES.get(error["type"])
    if code is None:
        raise AssertionError(f"Django failed in a way no DM10x rule models: {error}")
    accepted = {code}
    migrated = set(verdict["migrated_apps"])
    if code == "DM102" and any(app not in migrated for app, _ in verdict["dummy_nodes"]):
        accepted.add("DM104")
    return accepted


def djmig_error_code(analysis: Analysis) -> str | None:
    """The DM10x error djmig reports that Django would raise first, if any."""
    codes = {finding.code for finding in analysis.findings}
    return next((code for code in GRAPH_ERROR_PRECEDENCE if code in codes), None)


def per_app(keys_: Iterable[Iterable[str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for app_label, name in sorted(tuple(key) for key in keys_):
        grouped.setdefault(app_label, []).append(name)
    return grouped


def describe_analysis(analysis: Analysis, root: Path) -> str:
    lines = [f"djmig leaf nodes: {per_app(analysis.graph.leaf_nodes())}"]
    for finding in sorted(analysis.findings, key=lambda f: (str(f.path), f.span)):
        try:
            path = finding.path.resolve().relative_to(root)
        except ValueError:
            path = finding.path
        lines.append(f"  {path}:{finding.span.start_line + 1}: {finding.code} {finding.message}")
    lines.extend(f"  notice: {notice}" for notice in analysis.notices)
    return "\n".join(lines)


class Comparison(NamedTuple):
    root: Path
    verdict: dict[str, Any]
    analysis: Analysis

    def file_of(self, app_label: str, name: str) -> Path:
        """The migration file Django loaded for a node."""
        return Path(self.verdict["files"][f"{app_label}.{name}"]).resolve()

    def findings(self, code: str) -> list[Finding]:
        return [finding for finding in self.analysis.findings if finding.code == code]

    def positions(self, code: str) -> set[tuple[Path, int]]:
        """``(file, 0-based line)`` of each ``code`` finding."""
        return {(f.path.resolve(), f.span.start_line) for f in self.findings(code)}

    def report(self) -> str:
        verdict = {key: self.verdict[key] for key in ("error", "leaf_nodes", "conflicts")}
        return f"Django: {verdict}\n{describe_analysis(self.analysis, self.root)}"


def compare_with_django(root: Path) -> Comparison:
    """Load ``root`` with Django's ``MigrationLoader(None)`` and with djmig, and assert they
    agree: on success the same nodes, edges, leaf and root nodes, conflicts, DM101 on the
    ``class Migration`` line of every conflicting leaf and no other DM10x error; on failure
    djmig's first error (in Django's order) is the one Django raised."""
    verdict = django_verdict(root)
    analysis = analyze_workspace(root)
    comparison = Comparison(root.resolve(), verdict, analysis)
    report = comparison.report()
    if verdict["error"] is not None:
        assert djmig_error_code(analysis) in accepted_error_codes(verdict), report
        return comparison
    assert djmig_error_code(analysis) is None, report
    graph = analysis.graph
    assert per_app(graph.leaf_nodes()) == verdict["leaf_nodes"], report
    assert graph.conflicts() == verdict["conflicts"], report
    assert per_app(graph.root_nodes()) == verdict["root_nodes"], report
    assert sorted(graph.nodes) == sorted_keys(verdict["nodes"]), report
    assert sorted(graph.edges()) == sorted(
        (MigrationKey(*parent), MigrationKey(*child)) for parent, child in verdict["edges"]
    ), report
    expected_dm101 = set()
    for app_label, names in verdict["conflicts"].items():
        for name in names:
            path = comparison.file_of(app_label, name)
            expected_dm101.add((path, line_of(path, "class Migration")))
    assert comparison.positions("DM101") == expected_dm101, report
    return comparison


def age(root: Path, seconds: int = 3600) -> None:
    """Make every file older than the cache's "racily clean" window."""
    moment = time.time_ns() - seconds * 1_000_000_000
    for path in root.rglob("*.py"):
        os.utime(path, ns=(moment, moment))


#: An app whose model derives from a base class in a module that is not its models module
#: (drf-api-tracking's ``base_models``), its migration in sync.
TRACKING_BASE = (
    "from django.db import models\n\n\nclass Logged(models.Model):\n"
    "    at = models.DateTimeField()\n\n    class Meta:\n        abstract = True\n"
)
TRACKING = {
    "tracking/base_models.py": TRACKING_BASE,
    "tracking/models.py": "from .base_models import Logged\n\n\nclass Request(Logged):\n    pass\n",
    "tracking/migrations/__init__.py": "",
    "tracking/migrations/0001_initial.py": migration(
        ops='migrations.CreateModel("Request", [("id", models.BigAutoField(auto_created=True, '
        'primary_key=True, serialize=False, verbose_name="ID")), '
        '("at", models.DateTimeField())])',
        initial=True,
    ),
}
