"""Real ``makemigrations --check --dry-run`` (and ``migrate``) as the oracle of DM401.

One Django subprocess (``django_oracle.django_env``) runs ``makemigrations --check
--dry-run --noinput`` and, when asked, ``migrate`` on the project's SQLite database. The
verdict is the exit status (0: no changes, 1: changes, 3: a NOT NULL field needs a default
``--noinput`` cannot ask for) and, per app, the migrations it would write with their
operations' descriptions, as printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django_oracle import manage, run_oracle

SCRIPT = r"""
import io
import json
import sys

import django

MARKER, migrate = sys.argv[1], sys.argv[2] == "1"
django.setup()
from django.core.management import call_command

out = io.StringIO()
status = 0
try:
    call_command("makemigrations", check_changes=True, dry_run=True, interactive=False,
                 stdout=out, stderr=out, verbosity=1)
except SystemExit as exc:
    status = exc.code
result = {"status": status, "output": out.getvalue(), "migrate_error": None}
if migrate:
    try:
        call_command("migrate", verbosity=0, interactive=False)
    except Exception as exc:
        result["migrate_error"] = f"{type(exc).__name__}: {exc}"
print(MARKER + json.dumps(result))
"""


@dataclass
class Verdict:
    status: int
    output: str
    migrate_error: str | None = None
    #: app label → [(migration file as printed, [operation descriptions])]
    apps: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        return self.status != 0

    def descriptions(self, app_label: str) -> list[str]:
        return [d for _, ops in self.apps.get(app_label, []) for d in ops]

    def names(self, app_label: str) -> list[str]:
        return [Path(printed).stem for printed in self.files(app_label)]

    def files(self, app_label: str) -> list[str]:
        """The migration files, as printed (relative to the project)."""
        return [printed for printed, _ in self.apps.get(app_label, [])]


def _parse(output: str) -> dict[str, list[tuple[str, list[str]]]]:
    apps: dict[str, list[tuple[str, list[str]]]] = {}
    current: list[tuple[str, list[str]]] | None = None
    for line in output.splitlines():
        if line.startswith("Migrations for '"):
            current = apps.setdefault(line.split("'")[1], [])
        elif current is not None and line.startswith("    ") and len(line) > 6:
            current[-1][1].append(line[6:])
        elif current is not None and line.startswith("  ") and line.strip().endswith(".py"):
            current.append((line.strip(), []))
    return apps


def makemigrations_check(project: Path, migrate: bool = False) -> Verdict:
    """``makemigrations --check --dry-run --noinput`` on ``project`` (then ``migrate``)."""
    raw = run_oracle(SCRIPT, project, "makemigrations oracle", "1" if migrate else "0", timeout=300)
    verdict = Verdict(raw["status"], raw["output"], raw["migrate_error"])
    verdict.apps = _parse(raw["output"])
    return verdict


def makemigrations(project: Path) -> None:
    """Write the project's migrations with real ``makemigrations`` (fixture set-up)."""
    completed = manage(project, "makemigrations", "--noinput", "-v", "0")
    if completed.returncode != 0:
        raise RuntimeError(f"makemigrations failed:\n{completed.stdout}\n{completed.stderr}")
