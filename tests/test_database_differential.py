"""Differential test: random squashed graphs and random applied sets on a real SQLite
database, djmig against Django's ``MigrationLoader(connection)``.

The projects are those of ``test_graph_differential`` (without the deliberate mistakes),
with at least one squashed migration; a random subset of every name they mention (replaced
migrations whose files are gone, squashed migrations, names of other apps) is recorded in a
real ``django_migrations`` table. Django's loader, ``check_consistent_history`` and
``build_graph``'s errors (a partly applied squash whose replaced files are gone) are the
oracle for djmig's graph, applied set, DM501 and graph errors.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from db_oracle import db_verdict
from djmig.analysis import analyze_workspace
from djmig.config import load_pyproject
from djmig.keys import MigrationKey
from helpers import make_project, sorted_keys
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from test_graph_differential import (
    LABELS,
    ProjectSpec,
    draw_app,
    draw_cross_app_references,
    draw_squash,
    drop_order_dependent_references,
)

EXAMPLES = int(os.environ.get("DJMIG_DATABASE_DIFFERENTIAL_EXAMPLES", "20"))
#: What djmig reports for each error of ``build_graph`` (a partly applied squash whose
#: replaced files are gone is a NodeNotFoundError: DM102).
ERROR_CODES = {
    "NodeNotFoundError": {"DM102", "DM104"},
    "ValueError": {"DM104"},
    "CircularDependencyError": {"DM103"},
    "BadMigrationError": {"DM106"},
}
#: ``MigrationRecorder.Migration``'s table as Django's SQLite schema editor creates it.
TABLE = (
    'CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
    '"app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL)'
)


@st.composite
def applied_projects(draw: st.DrawFn) -> tuple[ProjectSpec, list[tuple[str, str]]]:
    labels = LABELS[: draw(st.integers(2, len(LABELS)))]
    project = ProjectSpec([draw_app(draw, label) for label in labels])
    squashable = [app for app in project.apps if len(app.migrations) >= 2]
    assume(squashable)
    for app in squashable:
        if app is squashable[0] or draw(st.booleans()):
            draw_squash(draw, app)
    draw_cross_app_references(draw, project)
    drop_order_dependent_references(project)
    names = sorted({(app.label, spec.name) for app, spec in project.all_migrations()})
    applied = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    return project, applied


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(case=applied_projects())
def test_random_applied_sets_agree_with_django_loader(case) -> None:
    project, applied = case
    with tempfile.TemporaryDirectory(prefix="djmig-db-differential-") as directory:
        root = make_project(Path(directory), project.files(), project.installed_apps())
        with sqlite3.connect(root / "db.sqlite3") as connection:
            connection.execute(TABLE)
            connection.executemany(
                "INSERT INTO django_migrations (app, name, applied) "
                "VALUES (?, ?, '2026-11-30 14:02:00')",
                applied,
            )
        verdict = db_verdict(root)
        config, _ = load_pyproject(root)
        analysis = analyze_workspace(root, config, database=True)
    graph = analysis.graph
    found = {f.code for f in analysis.findings}
    report = f"applied {applied}\nDjango: {verdict}\ndjmig: {sorted(found)}"
    if verdict["error"] is not None:
        error = verdict["error"].split(":")[0]
        event(f"Django: {error}")
        assert found & ERROR_CODES[error], report
        return
    assert sorted(graph.nodes) == sorted_keys(verdict["nodes"]), report
    assert sorted(graph.edges()) == sorted(
        (MigrationKey(*p), MigrationKey(*c)) for p, c in verdict["edges"]
    ), report
    assert graph.applied is not None
    assert sorted(graph.applied) == sorted_keys(verdict["applied"]), report
    dm501 = [f.message for f in analysis.findings if f.code == "DM501"]
    if verdict["inconsistent"] is None:
        assert not dm501, report
    else:
        event("Django: InconsistentMigrationHistory")
        sentence = verdict["inconsistent"].split(": ", 1)[1].split(" on database")[0]
        assert any(message.startswith(sentence) for message in dm501), report
    assert "DM503" not in found, report
