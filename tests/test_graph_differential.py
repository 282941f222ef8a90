"""Differential test: random multi-app migration graphs, djmig against Django's loader.

Hypothesis draws a project (2 to 4 apps, up to 8 migrations each, branches, merges, second
roots, cross-app dependencies by name and by ``__first__``/``__latest__``, ``run_before``,
squashed migrations with or without the replaced files, and now and then a missing
migration, an unknown app, a back edge that may close a cycle, an app whose migrations
package is empty, missing, a namespace package or not installed, or a module without a
``Migration`` class), writes it to disk and hands it to ``compare_with_django``: the real
``MigrationLoader(None)`` in a subprocess is the oracle.

The drawing avoids the few projects where Django's own verdict depends on the iteration
order of a set in ``MigrationLoader.load_disk`` (see ``drop_order_dependent_references``).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from helpers import Key, compare_with_django, make_project, migration
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

LABELS = ("alpha", "beta", "gamma", "delta")
# "user" sorts after "squashed", "alter" before: squashes and dummies land on both sides.
WORDS = ("initial", "user", "book", "alter", "data", "zap", "merge", "extra")
UNKNOWN_APP = "nowhere"
MORE_MISTAKES = ("back_edge",) * 4 + ("bad_module",)
FIRST_LATEST = ("__first__", "__latest__")

#: How an app sits on disk: ``migrated`` (a migrations package), ``empty`` (a package with
#: no migrations), ``unmigrated`` (models only), ``namespace`` (migration files but no
#: ``__init__.py``), ``not_installed`` (migrations, but not in INSTALLED_APPS).
APP_KINDS = ("migrated",) * 12 + ("empty", "unmigrated", "namespace", "not_installed")
WITH_FILES = {"migrated", "namespace", "not_installed"}

EXAMPLES = int(os.environ.get("DJMIG_DIFFERENTIAL_EXAMPLES", "60"))


@dataclass
class MigrationSpec:
    name: str
    deps: list[Key] = field(default_factory=list)
    run_before: list[Key] = field(default_factory=list)
    replaces: list[Key] = field(default_factory=list)


@dataclass
class AppSpec:
    label: str
    kind: str
    migrations: list[MigrationSpec] = field(default_factory=list)
    #: Replaced migrations whose files are not written.
    absent: set[str] = field(default_factory=set)
    bad_module: bool = False

    def loaded_names(self) -> set[str]:
        """Migration names Django loads for this app."""
        if self.kind != "migrated":
            return set()
        return {m.name for m in self.migrations} - self.absent


@dataclass
class ProjectSpec:
    apps: list[AppSpec]

    def files(self) -> dict[str, str]:
        files: dict[str, str] = {}
        for app in self.apps:
            files[f"{app.label}/__init__.py"] = ""
            if app.kind == "unmigrated":
                files[f"{app.label}/models.py"] = "from django.db import models\n"
                continue
            if app.kind in {"migrated", "empty", "not_installed"}:
                files[f"{app.label}/migrations/__init__.py"] = ""
            for spec in app.migrations:
                if spec.name not in app.absent:
                    files[f"{app.label}/migrations/{spec.name}.py"] = migration(
                        spec.deps, replaces=spec.replaces, run_before=spec.run_before
                    )
            if app.bad_module:
                files[f"{app.label}/migrations/utils.py"] = "def helper():\n    return 1\n"
        return files

    def installed_apps(self) -> list[str]:
        return [app.label for app in self.apps if app.kind != "not_installed"]

    def all_migrations(self) -> list[tuple[AppSpec, MigrationSpec]]:
        return [(app, spec) for app in self.apps for spec in app.migrations]


def draw_app(draw: st.DrawFn, label: str) -> AppSpec:
    """One app: a chain of migrations with the odd branch, second root and merge, mostly
    numbered like makemigrations names them, sometimes not (so sorting by name, which
    ``__first__``/``__latest__`` do, differs from the order of creation)."""
    app = AppSpec(label, draw(st.sampled_from(APP_KINDS)))
    if app.kind not in WITH_FILES:
        return app
    numbered = draw(st.integers(0, 4)) > 0
    for index in range(draw(st.integers(1, len(WORDS)))):
        spec = MigrationSpec(f"{index + 1:04d}_{WORDS[index]}" if numbered else WORDS[index])
        if index:
            shape = draw(st.integers(0, 9))
            earlier = draw(st.integers(0, index - 1))
            parents = {
                7: {earlier},  # branch off an older migration: a second leaf
                8: set(),  # a second root
                9: {index - 1, earlier},  # merge
            }.get(shape, {index - 1})
            spec.deps = [(label, app.migrations[p].name) for p in sorted(parents)]
        app.migrations.append(spec)
    return app


def draw_squash(draw: st.DrawFn, app: AppSpec) -> None:
    """Squash a run of the app's migrations, keeping some, all or none of their files;
    later migrations of the app may depend on the squash instead of the last replaced one."""
    count = len(app.migrations)
    start = draw(st.integers(0, count - 2))
    end = draw(st.integers(start + 1, count - 1))
    members = app.migrations[start : end + 1]
    replaced = [(app.label, m.name) for m in members]
    deps: list[Key] = []
    for member in members:
        deps += [d for d in member.deps if d not in replaced and d not in deps]
    name = f"{start + 1:04d}_squashed_{end + 1:04d}"
    for later in app.migrations[end + 1 :]:
        if replaced[-1] in later.deps and draw(st.booleans()):
            later.deps = [(app.label, name) if d == replaced[-1] else d for d in later.deps]
    app.migrations.append(MigrationSpec(name, deps=deps, replaces=replaced))
    app.absent = draw(st.sets(st.sampled_from([m.name for m in members])))


def target_in(draw: st.DrawFn, app: AppSpec) -> Key:
    """A key naming one of the app's migrations (replaced ones too, on disk or not), or
    its first/latest."""
    return app.label, draw(st.sampled_from([m.name for m in app.migrations] + [*FIRST_LATEST]))


def draw_cross_app_references(draw: st.DrawFn, project: ProjectSpec) -> None:
    """Dependencies on earlier apps and ``run_before`` of later ones: no cycle by itself."""
    for position, app in enumerate(project.apps):
        for spec in app.migrations:
            if position and draw(st.integers(0, 2)) == 0:
                other = project.apps[draw(st.integers(0, position - 1))]
                spec.deps.append(target_in(draw, other))
            if draw(st.integers(0, 7)) == 0:
                later = [a for a in project.apps[position:] if a.migrations]
                other = draw(st.sampled_from(later))
                after = app.migrations.index(spec) + 1 if other is app else 0
                candidates = [m.name for m in other.migrations[after:] if not m.replaces]
                if candidates:
                    spec.run_before.append((other.label, draw(st.sampled_from(candidates))))


def draw_mistake(draw: st.DrawFn, project: ProjectSpec) -> None:
    """One of: a missing migration, an unknown app, a back edge, a bad module."""
    everything = project.all_migrations()
    mistake = draw(st.sampled_from(("missing",) * 3 + ("unknown_app",) * 2 + MORE_MISTAKES))
    if mistake == "bad_module":
        candidates = [a for a in project.apps if a.kind not in {"unmigrated"}]
        if candidates:
            draw(st.sampled_from(candidates)).bad_module = True
        return
    if not everything:
        return
    app, spec = draw(st.sampled_from(everything))
    if mistake == "missing":
        other = draw(st.sampled_from([a for a in project.apps if a.migrations]))
        name = draw(st.sampled_from(["9999_missing", "0001_initail", "__latest__"]))
        if name == "__latest__":
            other = app
        spec.deps.append((other.label, name))
    elif mistake == "unknown_app":
        spec.deps.append((UNKNOWN_APP, draw(st.sampled_from(["__first__", "0001_initial"]))))
    else:
        _, later = draw(st.sampled_from(everything))
        owner = next(a for a in project.apps if later in a.migrations)
        spec.deps.append((owner.label, later.name))


def drop_order_dependent_references(project: ProjectSpec) -> None:
    """Remove ``__first__``/``__latest__`` dependencies on the apps where Django's answer
    depends on the order of ``load_disk``'s set of names.

    ``check_key`` resolves them with ``root_nodes(app)``/``leaf_nodes(app)`` while the
    external dependencies are being added. Those lists then also hold the dummy nodes that
    other apps' references to absent migrations of the app have created so far, and reflect
    the same-app ``run_before`` edges added so far; both depend on that order.
    """
    unstable = set()
    for app in project.apps:
        for spec in app.migrations:
            if any(label == app.label for label, _ in spec.run_before):
                unstable.add(app.label)
            for label, name in spec.deps + spec.run_before:
                target = next((a for a in project.apps if a.label == label), None)
                if (
                    target is not None
                    and label != app.label
                    and target.kind in {"migrated", "empty"}
                    and name not in FIRST_LATEST
                    and name not in target.loaded_names()
                ):
                    unstable.add(label)
    for app in project.apps:
        for spec in app.migrations:
            spec.deps = [
                (label, name)
                for label, name in spec.deps
                if not (label in unstable and label != app.label and name in FIRST_LATEST)
            ]


@st.composite
def projects(draw: st.DrawFn) -> ProjectSpec:
    labels = LABELS[: draw(st.integers(2, len(LABELS)))]
    project = ProjectSpec([draw_app(draw, label) for label in labels])
    for app in project.apps:
        if len(app.migrations) >= 2 and draw(st.integers(0, 3)) == 0:
            draw_squash(draw, app)
    draw_cross_app_references(draw, project)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        draw_mistake(draw, project)
    drop_order_dependent_references(project)
    return project


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(project=projects())
def test_random_graphs_agree_with_django_loader(project: ProjectSpec) -> None:
    with tempfile.TemporaryDirectory(prefix="djmig-differential-") as directory:
        root = make_project(Path(directory), project.files(), project.installed_apps())
        verdict = compare_with_django(root).verdict
    error = verdict["error"]
    event(f"Django: {error['type'] if error else 'ok'}")
    if verdict["conflicts"]:
        event("Django: conflicts")
    if any(spec.replaces for _, spec in project.all_migrations()):
        event("squashed migration")
