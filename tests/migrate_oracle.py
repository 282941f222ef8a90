"""Real ``migrate`` on a populated database: what each app's next migration does to rows.

A project holds one small app per scenario. ``run_scenarios`` starts one Django subprocess
(see ``django_oracle``) that, for each scenario in turn, migrates its app to ``before``,
runs ``setup`` SQL (rows in the table), migrates the app to its last migration and, when
that worked, runs ``probe`` SQL — what code still running the previous release would do.
Errors are returned as text (the database's own message), never raised.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django_oracle import MARKER, django_env


@dataclass
class Scenario:
    app: str
    before: str
    setup: list[str] = field(default_factory=list)
    probe: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    migrate_error: str | None
    probe_error: str | None
    vendor: str


SCRIPT = r"""
import json
import sys
import traceback

import django

MARKER = sys.argv[1]
django.setup()
from django.core.management import call_command
from django.db import connection

results = {}
for case in json.loads(sys.stdin.read()):
    result = {"migrate_error": None, "probe_error": None, "vendor": connection.vendor}
    call_command("migrate", case["app"], case["before"], verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        for sql in case["setup"]:
            cursor.execute(sql)
    try:
        call_command("migrate", case["app"], verbosity=0, interactive=False)
    except Exception as exc:
        result["migrate_error"] = f"{type(exc).__name__}: {exc}"
    if result["migrate_error"] is None:
        for sql in case["probe"]:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
            except Exception as exc:
                result["probe_error"] = f"{type(exc).__name__}: {exc}"
                break
    results[case["app"]] = result
print(MARKER + json.dumps(results))
"""


def run_scenarios(project: Path, scenarios: list[Scenario]) -> dict[str, Outcome]:
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, MARKER],
        cwd=project,
        env=django_env(project),
        input=json.dumps([asdict(s) for s in scenarios]),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(MARKER):
            raw: dict[str, Any] = json.loads(line[len(MARKER) :])
            return {app: Outcome(**values) for app, values in raw.items()}
    raise RuntimeError(
        f"the migrate oracle produced no result (exit {completed.returncode}):\n"
        f"{completed.stdout}\n{completed.stderr}"
    )
