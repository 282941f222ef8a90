"""djmig's migration graph against Django's own, on the situations of Django's test suite.

Each test writes, as a small project of ours, the situation of one fixture set of Django's
``tests/migrations`` (named in the docstring) or one branch of ``MigrationLoader.build_graph``,
then ``compare_with_django`` loads it with the real ``MigrationLoader(None)`` in a subprocess
and with djmig, and asserts they agree (same nodes, edges, leaves, roots, conflicts, and the
DM10x error matching Django's exception). Expectations written here only pin down what
Django's own tests assert, so a wrong fixture shows up as a failure of the Django side.
"""

from __future__ import annotations

from pathlib import Path

from django_oracle import django_verdict
from djmig.analysis import analyze_workspace
from helpers import (
    app_migrations,
    compare_with_django,
    djmig_error_code,
    line_of,
    make_project,
    migration,
)

NOOP = "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)"
USER_MODEL = """\
    from django.contrib.auth.models import AbstractUser


    class User(AbstractUser):
        pass
"""


def chain(app_label: str, names: list[str]) -> dict[str, str]:
    """Migrations ``names`` of one app, each depending on the one before it."""
    sources = {}
    for index, name in enumerate(names):
        deps = [(app_label, names[index - 1])] if index else []
        sources[name] = migration(deps, ops=NOOP, initial=not index)
    return sources


def dependency_line(comparison, app_label: str, name: str, target: tuple[str, str]) -> tuple:
    """``(file, line)`` of the entry naming ``target`` in a migration's dependencies."""
    path = comparison.file_of(app_label, name)
    return path, line_of(path, repr(target))


# -- squashed migrations ------------------------------------------------------------------


def test_squashed_migration_replaces_its_unapplied_targets(tmp_path: Path) -> None:
    """``test_migrations_squashed``: with nothing applied only the squash is a node."""
    files = app_migrations(
        "app",
        {
            **chain("app", ["0001_initial", "0002_second"]),
            "0001_squashed_0002": migration(
                replaces=[("app", "0001_initial"), ("app", "0002_second")], ops=NOOP
            ),
        },
    )
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["nodes"] == [["app", "0001_squashed_0002"]]


def test_squashed_complex_squash_in_the_middle_of_the_chain(tmp_path: Path) -> None:
    """``test_migrations_squashed_complex``: 3_squashed_5 replaces 3..5; 6 depends on 5."""
    sources = chain("app", ["1_auto", "2_auto", "3_auto", "4_auto", "5_auto", "6_auto", "7_auto"])
    sources["3_squashed_5"] = migration(
        deps=[("app", "2_auto")],
        replaces=[("app", "3_auto"), ("app", "4_auto"), ("app", "5_auto")],
        ops=NOOP,
    )
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["leaf_nodes"] == {"app": ["7_auto"]}
    assert len(comparison.verdict["nodes"]) == 5


def test_squashed_complex_multi_apps_repoints_cross_app_dependencies(tmp_path: Path) -> None:
    """``test_migrations_squashed_complex_multi_apps``: app1.2_squashed_3 depends on
    app2.2_auto, which app2.1_squashed_2 replaces."""
    app1 = {
        "1_auto": migration(ops=NOOP),
        "2_auto": migration([("app1", "1_auto")], ops=NOOP),
        "2_squashed_3": migration(
            [("app1", "1_auto"), ("app2", "2_auto")],
            replaces=[("app1", "2_auto"), ("app1", "3_auto")],
            ops=NOOP,
        ),
        "3_auto": migration([("app1", "2_auto"), ("app2", "2_auto")], ops=NOOP),
        "4_auto": migration([("app1", "3_auto")], ops=NOOP),
    }
    app2 = {
        "1_auto": migration([("app1", "1_auto")], ops=NOOP),
        "2_auto": migration([("app2", "1_auto")], ops=NOOP),
        "1_squashed_2": migration(
            [("app1", "1_auto")], replaces=[("app2", "1_auto"), ("app2", "2_auto")], ops=NOOP
        ),
    }
    files = {**app_migrations("app1", app1), **app_migrations("app2", app2)}
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["leaf_nodes"] == {"app1": ["4_auto"], "app2": ["1_squashed_2"]}


def test_squashed_erroneous_loads_without_the_replaced_files(tmp_path: Path) -> None:
    """``test_migrations_squashed_erroneous``: 3_auto..5_auto are gone, 6_auto still
    depends on 5_auto; on an empty database the squash stands in for it."""
    sources = {
        "1_auto": migration(ops=NOOP),
        "2_auto": migration([("app", "1_auto")], ops=NOOP),
        "3_squashed_5": migration(
            [("app", "2_auto")],
            replaces=[("app", "3_auto"), ("app", "4_auto"), ("app", "5_auto")],
            ops=NOOP,
        ),
        "6_auto": migration([("app", "5_auto")], ops=NOOP),
        "7_auto": migration([("app", "6_auto")], ops=NOOP),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["error"] is None
    assert comparison.verdict["leaf_nodes"] == {"app": ["7_auto"]}


def test_squashed_extra_later_migration_depends_on_a_replaced_one(tmp_path: Path) -> None:
    """``test_migrations_squashed_extra``: 0003_third depends on the replaced 0002_second."""
    sources = {
        **chain("app", ["0001_initial", "0002_second", "0003_third"]),
        "0001_squashed_0002": migration(
            replaces=[("app", "0001_initial"), ("app", "0002_second")], ops=NOOP
        ),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0003_third"]}


def test_squash_depending_on_a_migration_it_replaces_is_circular(tmp_path: Path) -> None:
    """``remove_replaced_nodes`` turns the squash's edge to a replaced node into a loop."""
    sources = {
        **chain("app", ["0001_initial", "0002_second"]),
        "0001_squashed_0002": migration(
            [("app", "0001_initial")],
            replaces=[("app", "0001_initial"), ("app", "0002_second")],
            ops=NOOP,
        ),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["error"]["type"] == "CircularDependencyError"


def test_latest_is_resolved_before_squash_replacement(tmp_path: Path) -> None:
    """``check_key`` resolves ``__latest__`` to the first of the app's sorted leaves while
    the replaced nodes are still in the graph: there the squash is a leaf too, and sorts
    before 0003_third, so a.0001 depends on the squash and b.0003 → a.0001 is no cycle."""
    b = {
        **chain("b", ["0001_initial", "0002_second"]),
        "0001_squashed_0002": migration(
            replaces=[("b", "0001_initial"), ("b", "0002_second")], ops=NOOP
        ),
        "0003_third": migration([("b", "0002_second"), ("a", "0001_initial")], ops=NOOP),
    }
    a = {"0001_initial": migration([("b", "__latest__")], ops=NOOP, initial=True)}
    files = {**app_migrations("a", a), **app_migrations("b", b)}
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"] is None
    assert [["b", "0001_squashed_0002"], ["a", "0001_initial"]] in comparison.verdict["edges"]


# -- run_before, __first__, __latest__ ----------------------------------------------------


def test_run_before_puts_the_migration_before_its_target(tmp_path: Path) -> None:
    """``test_migrations_run_before``: 0003_third runs before 0002_second."""
    sources = {
        "0001_initial": migration(ops=NOOP, initial=True),
        "0002_second": migration([("app", "0001_initial")], ops=NOOP),
        "0003_third": migration(
            [("app", "0001_initial")], run_before=[("app", "0002_second")], ops=NOOP
        ),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0002_second"]}


def test_run_before_a_missing_migration(tmp_path: Path) -> None:
    """A ``run_before`` entry naming no migration leaves a dummy child node."""
    sources = {
        "0001_initial": migration(ops=NOOP, initial=True, run_before=[("app", "0002_gone")]),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["error"]["type"] == "NodeNotFoundError"


def test_first_dependency_resolves_to_the_first_migration(tmp_path: Path) -> None:
    """``test_migrations_first`` with ``migrations2/test_migrations_2_first``; the names
    are not numbered."""
    first = {
        "thefirst": migration(ops=NOOP),
        "second": migration([("first", "thefirst"), ("second", "0002_second")], ops=NOOP),
    }
    second = {
        "0001_initial": migration([("first", "__first__")], ops=NOOP),
        "0002_second": migration([("second", "0001_initial")], ops=NOOP),
    }
    files = {**app_migrations("first", first), **app_migrations("second", second)}
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["leaf_nodes"] == {"first": ["second"], "second": ["0002_second"]}
    assert [["first", "thefirst"], ["second", "0001_initial"]] in comparison.verdict["edges"]


def test_first_resolves_to_the_first_sorted_root(tmp_path: Path) -> None:
    """With two roots, ``__first__`` is ``root_nodes(app)[0]``: b.0001_a, so b.0001_b
    depending on a.0001_initial makes no cycle."""
    b = {
        "0001_a": migration(ops=NOOP),
        "0001_b": migration([("a", "0001_initial")], ops=NOOP),
    }
    a = {"0001_initial": migration([("b", "__first__")], ops=NOOP)}
    files = {**app_migrations("a", a), **app_migrations("b", b)}
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["conflicts"] == {"b": ["0001_a", "0001_b"]}


def test_first_of_own_app_is_ignored(tmp_path: Path) -> None:
    """``(own_app, "__first__")`` is skipped by both dependency passes (#22325)."""
    sources = {
        "0001_initial": migration([("app", "__first__")], ops=NOOP),
        "0002_second": migration([("app", "0001_initial"), ("app", "__first__")], ops=NOOP),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0002_second"]}


def test_latest_of_own_app_is_a_missing_node(tmp_path: Path) -> None:
    """``add_internal_dependencies`` only skips ``__first__``: ``(own_app, "__latest__")``
    becomes a dummy node."""
    sources = {
        "0001_initial": migration(ops=NOOP),
        "0002_second": migration([("app", "0001_initial"), ("app", "__latest__")], ops=NOOP),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["error"]["node"] == ["app", "__latest__"]


def test_latest_dependency_on_another_app(tmp_path: Path) -> None:
    a = chain("a", ["0001_initial", "0002_second"])
    b = {"0001_initial": migration([("a", "__latest__")], ops=NOOP)}
    files = {**app_migrations("a", a), **app_migrations("b", b)}
    comparison = compare_with_django(make_project(tmp_path, files))
    assert [["a", "0002_second"], ["b", "0001_initial"]] in comparison.verdict["edges"]


# -- conflicts ------------------------------------------------------------------------------


def test_conflict_two_leaves_reported_on_each_leaf(tmp_path: Path) -> None:
    """``test_migrations_conflict``: 0002_second and 0002_conflicting_second."""
    sources = {
        "0001_initial": migration(ops=NOOP, initial=True),
        "0002_conflicting_second": migration([("app", "0001_initial")], ops=NOOP),
        "0002_second": migration([("app", "0001_initial")], ops=NOOP),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["conflicts"] == {"app": ["0002_conflicting_second", "0002_second"]}
    leaves = {
        comparison.file_of("app", "0002_conflicting_second"),
        comparison.file_of("app", "0002_second"),
    }
    for finding in comparison.findings("DM101"):
        assert [related.path.resolve() for related in finding.related] == list(
            leaves - {finding.path.resolve()}
        )


def test_no_ancestor_second_root_conflicts(tmp_path: Path) -> None:
    """``test_migrations_no_ancestor``: 0002_conflicting_second has no dependencies."""
    sources = {
        "0001_initial": migration(ops=NOOP, initial=True),
        "0002_conflicting_second": migration(ops=NOOP),
        "0002_second": migration([("app", "0001_initial")], ops=NOOP),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["conflicts"] == {"app": ["0002_conflicting_second", "0002_second"]}


def test_conflict_resolved_by_merge_migration(tmp_path: Path) -> None:
    sources = {
        "0001_initial": migration(ops=NOOP, initial=True),
        "0002_conflicting_second": migration([("app", "0001_initial")], ops=NOOP),
        "0002_second": migration([("app", "0001_initial")], ops=NOOP),
        "0003_merge": migration([("app", "0002_conflicting_second"), ("app", "0002_second")]),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["conflicts"] == {}


def test_lookuperror_apps_with_cross_dependencies(tmp_path: Path) -> None:
    """``migrations_test_apps/lookuperror_a|b|c``."""
    files = {
        **app_migrations(
            "lookuperror_a",
            {
                "0001_initial": migration(ops=NOOP, initial=True),
                "0002_a2": migration([("lookuperror_a", "0001_initial")], ops=NOOP),
                "0003_a3": migration(
                    [
                        ("lookuperror_c", "0002_c2"),
                        ("lookuperror_b", "0002_b2"),
                        ("lookuperror_a", "0002_a2"),
                    ],
                    ops=NOOP,
                ),
                "0004_a4": migration([("lookuperror_a", "0003_a3")], ops=NOOP),
            },
        ),
        **app_migrations(
            "lookuperror_b",
            {
                "0001_initial": migration(ops=NOOP, initial=True),
                "0002_b2": migration(
                    [("lookuperror_a", "0002_a2"), ("lookuperror_b", "0001_initial")], ops=NOOP
                ),
                "0003_b3": migration([("lookuperror_b", "0002_b2")], ops=NOOP),
            },
        ),
        **app_migrations(
            "lookuperror_c",
            {
                "0001_initial": migration(ops=NOOP, initial=True),
                "0002_c2": migration(
                    [("lookuperror_a", "0002_a2"), ("lookuperror_c", "0001_initial")], ops=NOOP
                ),
                "0003_c3": migration([("lookuperror_c", "0002_c2")], ops=NOOP),
            },
        ),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["leaf_nodes"] == {
        "lookuperror_a": ["0004_a4"],
        "lookuperror_b": ["0003_b3"],
        "lookuperror_c": ["0003_c3"],
    }


def test_no_changes_linear_chain(tmp_path: Path) -> None:
    """``test_migrations_no_changes``."""
    sources = chain("app", ["0001_initial", "0002_second", "0003_third"])
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0003_third"]}


# -- what is (not) a migration ------------------------------------------------------------


def test_private_modules_are_not_migrations(tmp_path: Path) -> None:
    """``test_migrations_private``: ``_util.py``, ``~util.py`` and ``.util.py`` are skipped,
    though they have no ``Migration`` class."""
    files = app_migrations("app", {"0001_initial": migration(ops=NOOP, initial=True)})
    for helper in ("_util", "~util", ".util"):
        files[f"app/migrations/{helper}.py"] = "def helper():\n    return 42\n"
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["nodes"] == [["app", "0001_initial"]]


def test_dependency_on_a_private_module_is_missing(tmp_path: Path) -> None:
    files = app_migrations(
        "app",
        {
            "_0001_hidden": migration(ops=NOOP),
            "0002_second": migration([("app", "_0001_hidden")], ops=NOOP),
        },
    )
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["node"] == ["app", "_0001_hidden"]


def test_stray_files_and_stale_bytecode_are_ignored(tmp_path: Path) -> None:
    """Django's ``test_migrations_bad_pyc`` keeps a ``.pyc-tpl``; a ``__pycache__`` of a
    deleted migration and a subpackage are not listed by ``pkgutil.iter_modules`` either."""
    files = app_migrations("app", {"0001_initial": migration(ops=NOOP, initial=True)})
    files["app/migrations/0001_initial.pyc-tpl"] = "not bytecode"
    files["app/migrations/README.txt"] = "notes"
    files["app/migrations/__pycache__/0002_deleted.cpython-311.pyc"] = "not bytecode"
    files["app/migrations/helpers/__init__.py"] = ""
    files["app/migrations/helpers/0003_nested.py"] = migration(ops=NOOP)
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["nodes"] == [["app", "0001_initial"]]


def test_module_without_migration_class_is_a_bad_migration(tmp_path: Path) -> None:
    """``BadMigrationError``: every public module of a migrations package is a migration."""
    files = app_migrations(
        "app",
        {"0001_initial": migration(ops=NOOP, initial=True), "utils": "VALUE = 1\n"},
    )
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["type"] == "BadMigrationError"
    paths = {path for path, _ in comparison.positions("DM106")}
    assert paths == {(comparison.root / "app/migrations/utils.py").resolve()}


def test_namespace_package_migrations_are_ignored(tmp_path: Path) -> None:
    """``test_migrations_namespace_package``: no ``__init__.py``, so the app is unmigrated
    and ``__first__`` on it is ignored."""
    files = {
        **app_migrations("app", {"0001_initial": migration(ops=NOOP)}, package=False),
        **app_migrations("other", {"0001_initial": migration([("app", "__first__")], ops=NOOP)}),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["unmigrated_apps"] == ["app"]
    assert comparison.verdict["leaf_nodes"] == {"other": ["0001_initial"]}


def test_named_dependency_on_namespace_package_migration_is_missing(tmp_path: Path) -> None:
    files = {
        **app_migrations("app", {"0001_initial": migration(ops=NOOP)}, package=False),
        **app_migrations("other", {"0001_initial": migration([("app", "0001_initial")], ops=NOOP)}),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["node"] == ["app", "0001_initial"]


def test_migrations_module_file_makes_the_app_unmigrated(tmp_path: Path) -> None:
    """``faulty_migrations/file``: ``app/migrations.py`` is not a package."""
    files = {
        "app/migrations.py": "VALUE = 1\n",
        **app_migrations("other", {"0001_initial": migration([("app", "__first__")], ops=NOOP)}),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["unmigrated_apps"] == ["app"]


# -- unmigrated and unknown apps ------------------------------------------------------------


def test_unmigrated_dependency_on_auth_first(tmp_path: Path) -> None:
    """``test_migrations_unmigdep``: ``("auth", "__first__")`` with django.contrib.auth
    installed resolves into site-packages (``[tool.djmig] python``)."""
    files = app_migrations("app", {"0001_initial": migration([("auth", "__first__")], ops=NOOP)})
    installed = ["django.contrib.contenttypes", "django.contrib.auth", "app"]
    comparison = compare_with_django(make_project(tmp_path, files, installed))
    assert [["auth", "0001_initial"], ["app", "0001_initial"]] in comparison.verdict["edges"]


def test_swappable_dependency_on_the_default_user_model(tmp_path: Path) -> None:
    source = """\
        from django.conf import settings
        from django.db import migrations


        class Migration(migrations.Migration):
            dependencies = [
                migrations.swappable_dependency(settings.AUTH_USER_MODEL),
            ]
            operations = []
    """
    files = app_migrations("app", {"0001_initial": source})
    installed = ["django.contrib.contenttypes", "django.contrib.auth", "app"]
    comparison = compare_with_django(make_project(tmp_path, files, installed))
    assert [["auth", "0001_initial"], ["app", "0001_initial"]] in comparison.verdict["edges"]


def test_swappable_dependency_on_a_custom_user_model(tmp_path: Path) -> None:
    """``swappable_dependency("accounts.User")`` is ``("accounts", "__first__")``."""
    source = """\
        from django.conf import settings
        from django.db import migrations


        class Migration(migrations.Migration):
            dependencies = [
                ("app", "0001_initial"),
                migrations.swappable_dependency(settings.AUTH_USER_MODEL),
            ]
            operations = []
    """
    files = {
        "accounts/models.py": USER_MODEL,
        **app_migrations("accounts", chain("accounts", ["0001_initial", "0002_user"])),
        **app_migrations(
            "app", {"0001_initial": migration(ops=NOOP, initial=True), "0002_owner": source}
        ),
    }
    installed = ["django.contrib.contenttypes", "django.contrib.auth", "accounts", "app"]
    project = make_project(
        tmp_path, files, installed, extra_settings='AUTH_USER_MODEL = "accounts.User"\n'
    )
    comparison = compare_with_django(project)
    assert [["accounts", "0001_initial"], ["app", "0002_owner"]] in comparison.verdict["edges"]


def test_first_dependency_on_unmigrated_app_is_ignored(tmp_path: Path) -> None:
    """``migrations_test_apps/unmigrated_app``: models, no migrations."""
    files = {
        "unmigrated_app/models.py": "from django.db import models\n",
        **app_migrations(
            "app", {"0001_initial": migration([("unmigrated_app", "__first__")], ops=NOOP)}
        ),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["unmigrated_apps"] == ["unmigrated_app"]


def test_named_dependency_on_unmigrated_app_is_missing(tmp_path: Path) -> None:
    target = ("unmigrated_app", "0001_initial")
    files = {
        "unmigrated_app/models.py": "from django.db import models\n",
        **app_migrations("app", {"0001_initial": migration([target], ops=NOOP)}),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["type"] == "NodeNotFoundError"
    errors = comparison.positions("DM102") | comparison.positions("DM104")
    assert errors == {dependency_line(comparison, "app", "0001_initial", target)}


def test_migration_modules_points_elsewhere(tmp_path: Path) -> None:
    """``MIGRATION_MODULES = {"app": "app.db_migrations"}``: the conflicting ``migrations``
    package next to it is not loaded."""
    files = {
        **app_migrations("app", chain("app", ["0001_initial", "0002_second"])),
        "app/migrations/0002_conflicting.py": migration([("app", "0001_initial")], ops=NOOP),
        "app/db_migrations/__init__.py": "",
        "app/db_migrations/0001_elsewhere.py": migration(ops=NOOP, initial=True),
    }
    settings = 'MIGRATION_MODULES = {"app": "app.db_migrations"}\n'
    comparison = compare_with_django(make_project(tmp_path, files, extra_settings=settings))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0001_elsewhere"]}


def test_migration_modules_none_disables_migrations(tmp_path: Path) -> None:
    """``MIGRATION_MODULES = {"app": None}`` (``test_marked_as_unmigrated``)."""
    files = {
        **app_migrations("app", chain("app", ["0001_initial", "0002_second"])),
        **app_migrations("other", {"0001_initial": migration([("app", "__first__")], ops=NOOP)}),
    }
    settings = 'MIGRATION_MODULES = {"app": None}\n'
    comparison = compare_with_django(make_project(tmp_path, files, extra_settings=settings))
    assert comparison.verdict["unmigrated_apps"] == ["app"]


def test_named_dependency_on_app_with_migrations_disabled_is_missing(tmp_path: Path) -> None:
    files = {
        **app_migrations("app", chain("app", ["0001_initial", "0002_second"])),
        **app_migrations("other", {"0001_initial": migration([("app", "0002_second")], ops=NOOP)}),
    }
    settings = 'MIGRATION_MODULES = {"app": None}\n'
    comparison = compare_with_django(make_project(tmp_path, files, extra_settings=settings))
    assert comparison.verdict["error"]["node"] == ["app", "0002_second"]


def test_app_not_in_installed_apps_is_not_loaded(tmp_path: Path) -> None:
    """Migrations on disk of an app missing from ``INSTALLED_APPS`` are not nodes."""
    files = {
        **app_migrations("app", {"0001_initial": migration(ops=NOOP)}),
        **app_migrations("ghost", chain("ghost", ["0001_initial", "0002_a", "0002_b"])),
    }
    files["ghost/__init__.py"] = ""
    comparison = compare_with_django(make_project(tmp_path, files, installed_apps=["app"]))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0001_initial"]}


def test_first_dependency_on_app_not_installed_is_unknown_app(tmp_path: Path) -> None:
    target = ("ghost", "__first__")
    files = {
        **app_migrations("app", {"0001_initial": migration([target], ops=NOOP)}),
        **app_migrations("ghost", {"0001_initial": migration(ops=NOOP)}),
    }
    files["ghost/__init__.py"] = ""
    comparison = compare_with_django(make_project(tmp_path, files, installed_apps=["app"]))
    assert comparison.verdict["error"]["message"] == "Dependency on unknown app: ghost"
    assert comparison.positions("DM104") == {
        dependency_line(comparison, "app", "0001_initial", target)
    }


def test_named_dependency_on_app_not_installed_is_missing(tmp_path: Path) -> None:
    target = ("ghost", "0001_initial")
    files = {
        **app_migrations("app", {"0001_initial": migration([target], ops=NOOP)}),
        **app_migrations("ghost", {"0001_initial": migration(ops=NOOP)}),
    }
    files["ghost/__init__.py"] = ""
    comparison = compare_with_django(make_project(tmp_path, files, installed_apps=["app"]))
    assert comparison.verdict["error"]["node"] == ["ghost", "0001_initial"]


def test_latest_dependency_on_app_with_no_migrations(tmp_path: Path) -> None:
    """An empty migrations package: migrated, no root or leaf, so ``check_key`` raises
    "Dependency on app with no migrations"."""
    target = ("empty", "__latest__")
    files = {
        "empty/migrations/__init__.py": "",
        **app_migrations("app", {"0001_initial": migration([target], ops=NOOP)}),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["message"] == "Dependency on app with no migrations: empty"
    assert comparison.positions("DM104") == {
        dependency_line(comparison, "app", "0001_initial", target)
    }


# -- missing nodes and cycles ---------------------------------------------------------------


def test_missing_migration_in_the_same_app(tmp_path: Path) -> None:
    target = ("app", "0001_initial")
    files = app_migrations(
        "app",
        {
            "0001_initail": migration(ops=NOOP, initial=True),
            "0002_second": migration([target], ops=NOOP),
        },
    )
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["node"] == list(target)
    assert comparison.positions("DM102") == {
        dependency_line(comparison, "app", "0002_second", target)
    }


def test_missing_migration_in_another_app(tmp_path: Path) -> None:
    target = ("a", "0002_gone")
    files = {
        **app_migrations("a", {"0001_initial": migration(ops=NOOP)}),
        **app_migrations("b", {"0001_initial": migration([("a", "0001_initial"), target])}),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["node"] == list(target)
    assert comparison.positions("DM102") == {
        dependency_line(comparison, "b", "0001_initial", target)
    }


def test_circular_dependency_across_apps(tmp_path: Path) -> None:
    files = {
        **app_migrations(
            "a",
            {
                "0001_initial": migration(ops=NOOP),
                "0002_second": migration([("a", "0001_initial"), ("b", "0001_initial")]),
            },
        ),
        **app_migrations("b", {"0001_initial": migration([("a", "0002_second")], ops=NOOP)}),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["type"] == "CircularDependencyError"
    assert comparison.positions("DM103") == {
        dependency_line(comparison, "a", "0002_second", ("b", "0001_initial")),
        dependency_line(comparison, "b", "0001_initial", ("a", "0002_second")),
    }


def test_circular_dependency_inside_one_app(tmp_path: Path) -> None:
    files = app_migrations(
        "app",
        {
            "0001_initial": migration([("app", "0002_second")], ops=NOOP),
            "0002_second": migration([("app", "0001_initial")], ops=NOOP),
        },
    )
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["type"] == "CircularDependencyError"


def test_missing_node_wins_over_cycle(tmp_path: Path) -> None:
    """``validate_consistency`` runs before ``ensure_not_cyclic``."""
    files = app_migrations(
        "app",
        {
            "0001_initial": migration([("app", "0002_second")], ops=NOOP),
            "0002_second": migration([("app", "0001_initial"), ("app", "0003_gone")]),
        },
    )
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["error"]["type"] == "NodeNotFoundError"


# -- app labels, settings and site-packages -------------------------------------------------

APPS_PY = """\
    from django.apps import AppConfig


    class MyAppConfig(AppConfig):
        name = "{name}"
        label = "{label}"
"""


def test_label_from_app_config_in_installed_apps(tmp_path: Path) -> None:
    """``INSTALLED_APPS = ["myapp.apps.MyAppConfig"]`` with ``label = "custom"``."""
    files = {
        "myapp/apps.py": APPS_PY.format(name="myapp", label="custom"),
        **app_migrations("myapp", chain("custom", ["0001_initial", "0002_second"])),
        **app_migrations("other", {"0001_initial": migration([("custom", "0002_second")])}),
    }
    project = make_project(tmp_path, files, ["myapp.apps.MyAppConfig", "other"])
    comparison = compare_with_django(project)
    leaves = {"custom": ["0002_second"], "other": ["0001_initial"]}
    assert comparison.verdict["leaf_nodes"] == leaves


def test_label_from_the_only_app_config_of_apps_py(tmp_path: Path) -> None:
    """``INSTALLED_APPS = ["myapp"]``: Django picks the single ``AppConfig`` subclass."""
    files = {
        "myapp/apps.py": APPS_PY.format(name="myapp", label="custom"),
        **app_migrations("myapp", chain("custom", ["0001_initial", "0002_second"])),
        **app_migrations("other", {"0001_initial": migration([("custom", "__latest__")])}),
    }
    comparison = compare_with_django(make_project(tmp_path, files, ["myapp", "other"]))
    assert [["custom", "0002_second"], ["other", "0001_initial"]] in comparison.verdict["edges"]


def test_label_of_a_nested_app_is_its_last_component(tmp_path: Path) -> None:
    files = {
        **app_migrations("pkg/shop", chain("shop", ["0001_initial", "0002_second"])),
        **app_migrations("other", {"0001_initial": migration([("shop", "0001_initial")])}),
    }
    comparison = compare_with_django(make_project(tmp_path, files, ["pkg.shop", "other"]))
    assert comparison.verdict["leaf_nodes"]["shop"] == ["0002_second"]


def test_dependency_by_directory_name_instead_of_label_is_missing(tmp_path: Path) -> None:
    target = ("myapp", "0001_initial")
    files = {
        "myapp/apps.py": APPS_PY.format(name="myapp", label="custom"),
        **app_migrations("myapp", {"0001_initial": migration(ops=NOOP)}),
        **app_migrations("other", {"0001_initial": migration([target])}),
    }
    comparison = compare_with_django(make_project(tmp_path, files, ["myapp", "other"]))
    assert comparison.verdict["error"]["node"] == list(target)


def test_migration_modules_outside_the_app(tmp_path: Path) -> None:
    files = {
        "app/models.py": "",
        "overrides/__init__.py": "",
        **app_migrations("overrides/app", chain("app", ["0001_initial", "0002_second"])),
    }
    settings = 'MIGRATION_MODULES = {"app": "overrides.app.migrations"}\n'
    project = make_project(tmp_path, files, ["app"], extra_settings=settings)
    (project / "overrides/app/__init__.py").write_text("")
    comparison = compare_with_django(project)
    assert comparison.verdict["leaf_nodes"] == {"app": ["0002_second"]}


def test_installed_apps_extended_with_augmented_assignment(tmp_path: Path) -> None:
    """``INSTALLED_APPS += [...]``: djmig must read it or treat the apps as unknown."""
    files = {
        **app_migrations("alpha", {"0001_initial": migration([("beta", "__first__")])}),
        **app_migrations("beta", chain("beta", ["0001_initial", "0002_second"])),
    }
    settings = 'INSTALLED_APPS += ["beta"]\n'
    comparison = compare_with_django(make_project(tmp_path, files, ["alpha"], settings))
    assert comparison.verdict["leaf_nodes"] == {"alpha": ["0001_initial"], "beta": ["0002_second"]}


def test_settings_split_with_star_import(tmp_path: Path) -> None:
    """``proj/settings.py`` re-exports ``proj/base_settings.py``, where INSTALLED_APPS is."""
    files = {
        **app_migrations("alpha", {"0001_initial": migration([("beta", "__first__")])}),
        **app_migrations("beta", {"0001_initial": migration(ops=NOOP)}),
    }
    project = make_project(tmp_path, files, ["alpha", "beta"])
    settings = project / "proj/settings.py"
    (project / "proj/base_settings.py").write_text(
        settings.read_text().replace("parent.parent", "parent.parent  # base")
    )
    settings.write_text("from proj.base_settings import *  # noqa: F403\n")
    comparison = compare_with_django(project)
    assert comparison.verdict["leaf_nodes"] == {"alpha": ["0001_initial"], "beta": ["0001_initial"]}


def test_missing_migration_in_a_site_packages_app(tmp_path: Path) -> None:
    target = ("auth", "9999_not_released")
    files = app_migrations("app", {"0001_initial": migration([target], ops=NOOP)})
    installed = ["django.contrib.contenttypes", "django.contrib.auth", "app"]
    comparison = compare_with_django(make_project(tmp_path, files, installed))
    assert comparison.verdict["error"]["node"] == list(target)
    assert comparison.positions("DM102") == {
        dependency_line(comparison, "app", "0001_initial", target)
    }


def test_run_before_a_site_packages_migration(tmp_path: Path) -> None:
    """``run_before = [("auth", "0001_initial")]`` makes auth depend on the app."""
    files = app_migrations(
        "app", {"0001_initial": migration(run_before=[("auth", "0001_initial")], ops=NOOP)}
    )
    installed = ["django.contrib.contenttypes", "django.contrib.auth", "app"]
    comparison = compare_with_django(make_project(tmp_path, files, installed))
    assert [["app", "0001_initial"], ["auth", "0001_initial"]] in comparison.verdict["edges"]


# -- how migration files are written --------------------------------------------------------


def test_dependencies_written_as_tuples(tmp_path: Path) -> None:
    source = """\
        from django.db import migrations


        class Migration(migrations.Migration):
            dependencies = (("app", "0001_initial"),)
            run_before = (("app", "0003_third"),)
            operations = ()
    """
    sources = {
        **chain("app", ["0001_initial"]),
        "0002_second": source,
        "0003_third": migration([("app", "0001_initial")]),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0003_third"]}


def test_missing_dependency_position_after_non_ascii_text(tmp_path: Path) -> None:
    """Columns are code points, not the UTF-8 byte offsets ``ast`` reports."""
    line = '    dependencies = [("app", "0002_café"), ("app", "0003_gone")]'
    source = (
        "from django.db import migrations\n\n\n"
        f"class Migration(migrations.Migration):\n{line}\n    operations = []\n"
    )
    sources = {
        **chain("app", ["0001_initial"]),
        "0002_café": migration([("app", "0001_initial")]),
        "0004_fourth": source,
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["error"]["node"] == ["app", "0003_gone"]
    [finding] = comparison.findings("DM102")
    assert finding.span.start_line == 4
    assert finding.span.start_col == line.index('("app", "0003_gone")')


def test_computed_dependencies_are_not_reported(tmp_path: Path) -> None:
    """Django loads a dependency list djmig cannot read; djmig must not guess an error
    (a second leaf, a missing node) from the part it cannot see."""
    source = """\
        from django.db import migrations


        def previous():
            return [("app", "0001_initial")]


        class Migration(migrations.Migration):
            dependencies = previous()
            operations = []
    """
    sources = {**chain("app", ["0001_initial"]), "0002_second": source}
    project = make_project(tmp_path, app_migrations("app", sources))
    verdict = django_verdict(project)
    assert verdict["error"] is None
    assert verdict["leaf_nodes"] == {"app": ["0002_second"]}
    assert djmig_error_code(analyze_workspace(project)) is None
    assert not [f for f in analyze_workspace(project).findings if f.code == "DM101"]


def test_migration_class_imported_from_a_private_module(tmp_path: Path) -> None:
    """A module whose ``Migration`` is imported, not defined, is no ``BadMigrationError``."""
    base = """\
        from django.db import migrations


        class Migration(migrations.Migration):
            dependencies = [("app", "0001_initial")]
            operations = []
    """
    sources = {
        **chain("app", ["0001_initial"]),
        "_base": base,
        "0002_second": "from app.migrations._base import Migration  # noqa: F401\n",
    }
    project = make_project(tmp_path, app_migrations("app", sources))
    verdict = django_verdict(project)
    assert verdict["error"] is None
    assert verdict["leaf_nodes"] == {"app": ["0002_second"]}
    analysis = analyze_workspace(project)
    assert djmig_error_code(analysis) is None
    assert not [f for f in analysis.findings if f.code == "DM101"]


# -- more branches of check_key and remove_replaced_nodes ------------------------------------


def test_run_before_first_of_another_app(tmp_path: Path) -> None:
    """``check_key`` resolves ``run_before`` entries too: b's first root depends on a."""
    files = {
        **app_migrations("a", {"0001_initial": migration(run_before=[("b", "__first__")])}),
        **app_migrations("b", chain("b", ["0001_initial", "0002_second"])),
    }
    comparison = compare_with_django(make_project(tmp_path, files))
    assert [["a", "0001_initial"], ["b", "0001_initial"]] in comparison.verdict["edges"]


def test_run_before_first_or_latest_of_own_app_is_ignored(tmp_path: Path) -> None:
    """For ``run_before``, ``check_key`` ignores both ``__first__`` and ``__latest__`` of
    the migration's own app, unlike ``dependencies`` (where ``__latest__`` is missing)."""
    sources = {
        "0001_initial": migration(run_before=[("app", "__first__"), ("app", "__latest__")]),
        "0002_second": migration([("app", "0001_initial")]),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["edges"] == [[["app", "0001_initial"], ["app", "0002_second"]]]


def test_latest_of_an_app_with_two_leaves_is_the_first_sorted(tmp_path: Path) -> None:
    b = {
        "0001_initial": migration(),
        "0002_a": migration([("b", "0001_initial")]),
        "0002_b": migration([("b", "0001_initial"), ("a", "0001_initial")]),
    }
    a = {"0001_initial": migration([("b", "__latest__")])}
    files = {**app_migrations("a", a), **app_migrations("b", b)}
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["conflicts"] == {"b": ["0002_a", "0002_b"]}
    assert [["b", "0002_a"], ["a", "0001_initial"]] in comparison.verdict["edges"]


def test_squash_replacing_a_migration_of_another_app(tmp_path: Path) -> None:
    """``remove_replaced_nodes`` does not care which app a replaced key belongs to: b's
    chain is cut in two, b.0003_third now hangs off a's squash, and b has two leaves."""
    a = {
        "0001_initial": migration(),
        "0001_squashed": migration(replaces=[("a", "0001_initial"), ("b", "0002_second")]),
    }
    b = chain("b", ["0001_initial", "0002_second", "0003_third"])
    files = {**app_migrations("a", a), **app_migrations("b", b)}
    comparison = compare_with_django(make_project(tmp_path, files))
    assert comparison.verdict["conflicts"] == {"b": ["0001_initial", "0003_third"]}


def test_migration_depending_on_itself_is_circular(tmp_path: Path) -> None:
    sources = {"0001_initial": migration([("app", "0001_initial")])}
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["error"]["message"] == "app.0001_initial"


def test_first_dependency_on_site_packages_app_not_installed(tmp_path: Path) -> None:
    """auth's migrations are in site-packages, but auth is not in INSTALLED_APPS."""
    target = ("auth", "__first__")
    files = app_migrations("app", {"0001_initial": migration([target], ops=NOOP)})
    installed = ["django.contrib.contenttypes", "app"]
    comparison = compare_with_django(make_project(tmp_path, files, installed))
    assert comparison.verdict["error"]["message"] == "Dependency on unknown app: auth"
    assert comparison.positions("DM104") == {
        dependency_line(comparison, "app", "0001_initial", target)
    }


def test_named_dependency_on_site_packages_app_not_installed(tmp_path: Path) -> None:
    target = ("auth", "0001_initial")
    files = app_migrations("app", {"0001_initial": migration([target], ops=NOOP)})
    installed = ["django.contrib.contenttypes", "app"]
    comparison = compare_with_django(make_project(tmp_path, files, installed))
    assert comparison.verdict["error"]["node"] == list(target)


def test_default_startproject_apps(tmp_path: Path) -> None:
    """The contrib apps of ``startproject`` (admin through its ``SimpleAdminConfig``;
    messages and staticfiles have no migrations) and a project app on top."""
    installed = [
        "django.contrib.admin.apps.SimpleAdminConfig",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "app",
    ]
    files = app_migrations(
        "app",
        {"0001_initial": migration([("admin", "__latest__"), ("sessions", "0001_initial")])},
    )
    comparison = compare_with_django(make_project(tmp_path, files, installed))
    assert comparison.verdict["unmigrated_apps"] == ["messages", "staticfiles"]


def test_module_name_that_is_not_an_identifier_is_a_migration(tmp_path: Path) -> None:
    """``pkgutil.iter_modules`` lists ``0002_add-index.py`` and ``import_module`` loads it."""
    sources = {
        **chain("app", ["0001_initial"]),
        "0002_add-index": migration([("app", "0001_initial")]),
        "0003_third": migration([("app", "0002_add-index")]),
    }
    comparison = compare_with_django(make_project(tmp_path, app_migrations("app", sources)))
    assert comparison.verdict["leaf_nodes"] == {"app": ["0003_third"]}


def test_symlinked_migration_file(tmp_path: Path) -> None:
    sources = {**chain("app", ["0001_initial"]), "0003_third": migration([("app", "0002_link")])}
    files = {
        **app_migrations("app", sources),
        "shared/0002.py": migration([("app", "0001_initial")]),
    }
    project = make_project(tmp_path, files)
    (project / "app/migrations/0002_link.py").symlink_to(project / "shared/0002.py")
    comparison = compare_with_django(project)
    assert comparison.verdict["leaf_nodes"] == {"app": ["0003_third"]}


def test_latin_1_migration_with_coding_declaration(tmp_path: Path) -> None:
    """Valid Python that is not UTF-8 (PEP 263): Django imports it."""
    sources = {
        **chain("app", ["0001_initial"]),
        "0003_third": migration([("app", "0002_second")]),
    }
    project = make_project(tmp_path, app_migrations("app", sources))
    source = "# -*- coding: latin-1 -*-\n# Migration écrite à la main\n" + migration(
        [("app", "0001_initial")]
    )
    (project / "app/migrations/0002_second.py").write_bytes(source.encode("latin-1"))
    comparison = compare_with_django(project)
    assert comparison.verdict["leaf_nodes"] == {"app": ["0003_third"]}


def test_missing_dependency_position_in_a_crlf_file(tmp_path: Path) -> None:
    target = ("app", "0002_gone")
    sources = {**chain("app", ["0001_initial"])}
    project = make_project(tmp_path, app_migrations("app", sources))
    path = project / "app/migrations/0003_third.py"
    path.write_bytes(migration([("app", "0001_initial"), target]).replace("\n", "\r\n").encode())
    comparison = compare_with_django(project)
    assert comparison.verdict["error"]["node"] == list(target)
    assert comparison.positions("DM102") == {
        dependency_line(comparison, "app", "0003_third", target)
    }
