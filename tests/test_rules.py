"""Each rule of the static engine on small projects: what fires, exactly where, and what
keeps it quiet (correct code, ``# noqa``, configuration, facts djmig cannot know).

Positions are 0-based lines and code-point columns, as ``Finding.span`` holds them; each
expected position is computed from the text of the file the finding should sit in.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from django_oracle import django_verdict
from djmig.analysis import Analysis, analyze_workspace
from djmig.keys import MigrationKey
from djmig.rules import Severity
from helpers import app_migrations, make_project, migration

NOOP = "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)"

SWAPPABLE = """\
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = []
"""

NO_INTERPRETER = """\
[project]
name = "proj"
version = "0"
"""

DATA_MIGRATION = """\
from django.db import migrations
{imports}

def forwards(apps, schema_editor):
    pass


def backwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [
{dependencies}    ]
    operations = [
{operations}
    ]
"""


def data_migration(
    operations: str, deps: list[tuple[str, str]] | None = None, imports: str = ""
) -> str:
    """A migration defining ``forwards``/``backwards``, with ``operations`` (dedented,
    commas included) copied verbatim into its ``operations`` list."""
    return DATA_MIGRATION.format(
        imports=imports,
        dependencies="".join(f"        {key!r},\n" for key in deps or []),
        operations=textwrap.indent(textwrap.dedent(operations).strip("\n"), " " * 8),
    )


def pyproject(djmig_section: str, python: bool = True) -> str:
    interpreter = f'python = "{sys.executable}"\n' if python else ""
    return f'[project]\nname = "proj"\nversion = "0"\n\n[tool.djmig]\n{interpreter}{djmig_section}'


def analyze(root: Path) -> Analysis:
    return analyze_workspace(root)


def positions(analysis: Analysis, code: str) -> list[tuple[str, int, int]]:
    """``(path relative to the project, line, column)`` of each ``code`` finding, sorted."""
    root = analysis.project.root
    return sorted(
        (f.path.relative_to(root).as_posix(), f.span.start_line, f.span.start_col)
        for f in analysis.findings
        if f.code == code
    )


def codes(analysis: Analysis) -> list[str]:
    return sorted(f.code for f in analysis.findings)


def messages(analysis: Analysis, code: str) -> list[str]:
    return [f.message for f in analysis.findings if f.code == code]


def where(
    root: Path, path: str, needle: str, occurrence: int = 0, at: str | None = None
) -> tuple[str, int, int]:
    """``(path, line, column)`` of the ``occurrence``-th line of ``path`` containing
    ``needle``; the column is the code-point index of ``at`` (default: ``needle``) in it."""
    found = [
        (number, line.index(at or needle))
        for number, line in enumerate((root / path).read_text(encoding="utf-8").splitlines())
        if needle in line
    ]
    line, col = found[occurrence]
    return path, line, col


def django_error(root: Path) -> str | None:
    """``"ExceptionType: message"`` of what Django's ``MigrationLoader`` raises, or None."""
    error = django_verdict(root)["error"]
    return None if error is None else f"{error['type']}: {error['message']}"


def chain(app_label: str, names: list[str]) -> dict[str, str]:
    sources = {}
    for index, name in enumerate(names):
        deps = [(app_label, names[index - 1])] if index else []
        sources[name] = migration(deps, ops=NOOP, initial=not index)
    return sources


# -- DM101 multiple-leaf-nodes ------------------------------------------------------------


def test_two_leaves_in_one_app_are_each_reported_on_their_class_line(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial"]),
            "0002_product_sku": migration([("shop", "0001_initial")], ops=NOOP),
            "0002_product_price": migration([("shop", "0001_initial")], ops=NOOP),
        },
    )
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    assert django_verdict(root)["conflicts"] == {"shop": ["0002_product_price", "0002_product_sku"]}

    sku = "shop/migrations/0002_product_sku.py"
    price = "shop/migrations/0002_product_price.py"
    assert positions(analysis, "DM101") == sorted(
        [where(root, sku, "class Migration"), where(root, price, "class Migration")]
    )
    for finding in analysis.findings:
        assert "'shop'" in finding.message
        assert "0002_product_sku" in finding.message
        assert "0002_product_price" in finding.message
        assert "merge" in finding.message
        assert finding.severity == Severity.ERROR
        (related,) = finding.related
        other = price if finding.path.name == "0002_product_sku.py" else sku
        assert related.path == root / other
        assert related.span.start_line == where(root, other, "class Migration")[1]


def test_three_leaves_list_the_two_others(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial"]),
            **{
                f"0002_{suffix}": migration([("shop", "0001_initial")], ops=NOOP)
                for suffix in ("a", "b", "c")
            },
        },
    )
    analysis = analyze(make_project(tmp_path, files))
    assert len(positions(analysis, "DM101")) == 3
    assert all(len(f.related) == 2 for f in analysis.findings)


def test_linear_history_has_one_leaf(tmp_path: Path) -> None:
    files = app_migrations("shop", chain("shop", ["0001_initial", "0002_sku", "0003_price"]))
    assert codes(analyze(make_project(tmp_path, files))) == []


def test_merge_migration_resolves_the_conflict(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial"]),
            "0002_a": migration([("shop", "0001_initial")], ops=NOOP),
            "0002_b": migration([("shop", "0001_initial")], ops=NOOP),
            "0003_merge": migration([("shop", "0002_a"), ("shop", "0002_b")]),
        },
    )
    assert codes(analyze(make_project(tmp_path, files))) == []


def test_two_root_migrations_of_one_app_are_two_leaves(tmp_path: Path) -> None:
    """Django's ``test_migrations_no_ancestor``: two migrations with no parent at all."""
    files = app_migrations(
        "shop", {"0001_initial": migration(ops=NOOP), "0002_second": migration(ops=NOOP)}
    )
    assert len(positions(analyze(make_project(tmp_path, files)), "DM101")) == 2


def test_leaf_with_a_child_in_another_app_is_still_a_leaf(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", chain("shop", ["0001_initial", "0002_sku"])),
        **app_migrations("orders", {"0001_initial": migration([("shop", "0002_sku")])}),
    }
    assert codes(analyze(make_project(tmp_path, files))) == []


def test_computed_dependencies_make_the_app_uncertain(tmp_path: Path) -> None:
    """A leaf djmig cannot place (its dependencies are computed) is no conflict it can
    prove; another app's real conflict is still reported."""
    computed = migration(ops=NOOP).replace(
        "    dependencies = [\n    ]",
        '    dependencies = [("shop", name) for name in ["0001_initial"]]',
    )
    files = {
        **app_migrations(
            "shop",
            {
                **chain("shop", ["0001_initial"]),
                "0002_a": migration([("shop", "0001_initial")], ops=NOOP),
                "0002_b": computed,
            },
        ),
        **app_migrations(
            "orders",
            {
                **chain("orders", ["0001_initial"]),
                "0002_a": migration([("orders", "0001_initial")], ops=NOOP),
                "0002_b": migration([("orders", "0001_initial")], ops=NOOP),
            },
        ),
    }
    analysis = analyze(make_project(tmp_path, files))
    assert {path.split("/")[0] for path, _, _ in positions(analysis, "DM101")} == {"orders"}
    assert "DM102" not in codes(analysis)


def test_dependencies_concatenated_from_literals_are_read(tmp_path: Path) -> None:
    source = migration(ops=NOOP).replace(
        "    dependencies = [\n    ]",
        '    dependencies = [("shop", "0001_initial")] + [("shop", "0002_a")]',
    )
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial"]),
            "0002_a": migration([("shop", "0001_initial")], ops=NOOP),
            "0003_b": source,
        },
    )
    analysis = analyze(make_project(tmp_path, files))
    assert codes(analysis) == []
    assert analysis.graph.leaf_nodes("shop") == [MigrationKey("shop", "0003_b")]


# -- DM102 missing-dependency ----------------------------------------------------------------


def test_dependency_on_a_renamed_migration_is_reported_on_the_tuple(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial", "0002_product_sku"]),
            "0003_price": migration([("shop", "0002_product_skus")], ops=NOOP),
        },
    )
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    path = "shop/migrations/0003_price.py"
    assert positions(analysis, "DM102") == [where(root, path, "('shop', '0002_product_skus')")]
    (finding,) = [f for f in analysis.findings if f.code == "DM102"]
    assert "shop.0003_price" in finding.message
    assert "nonexistent" in finding.message
    assert "shop.0002_product_skus" in finding.message
    assert finding.span.end_col - finding.span.start_col == len("('shop', '0002_product_skus')")
    assert finding.severity == Severity.ERROR


def test_missing_parent_in_the_same_app_is_not_also_a_conflict(tmp_path: Path) -> None:
    """Django stops at ``NodeNotFoundError``; which migration 0003_price follows is not
    known until the dependency is fixed (to 0002_product_sku, there is no conflict), so
    calling 0002_product_sku and 0003_price conflicting leaves would be a guess."""
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial", "0002_product_sku"]),
            "0003_price": migration([("shop", "0002_product_skus")], ops=NOOP),
        },
    )
    root = make_project(tmp_path, files)
    assert (django_error(root) or "").startswith("NodeNotFoundError")
    assert codes(analyze(root)) == ["DM102"]


def test_dependency_on_a_missing_migration_of_another_app(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", chain("shop", ["0001_initial"])),
        **app_migrations(
            "orders", {"0001_initial": migration([("shop", "0001_initial"), ("shop", "0002_x")])}
        ),
    }
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    path = "orders/migrations/0001_initial.py"
    assert positions(analysis, "DM102") == [where(root, path, "('shop', '0002_x')")]
    assert codes(analysis) == ["DM102"]


def test_run_before_a_missing_migration_names_the_child(tmp_path: Path) -> None:
    files = app_migrations(
        "shop", {"0001_initial": migration(ops=NOOP, run_before=[("shop", "0002_gone")])}
    )
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    path = "shop/migrations/0001_initial.py"
    assert positions(analysis, "DM102") == [where(root, path, "('shop', '0002_gone')")]
    assert "child" in messages(analysis, "DM102")[0]


def test_dependency_on_a_replaced_migration_whose_file_is_gone(tmp_path: Path) -> None:
    """Django remaps it to the squashed migration (``remove_replaced_nodes``)."""
    files = {
        **app_migrations(
            "shop",
            {
                "0001_squashed_0002": migration(
                    replaces=[("shop", "0001_initial"), ("shop", "0002_sku")], ops=NOOP
                ),
            },
        ),
        **app_migrations("orders", {"0001_initial": migration([("shop", "0002_sku")])}),
    }
    root = make_project(tmp_path, files)
    assert django_error(root) is None
    analysis = analyze(root)
    assert codes(analysis) == []
    assert (MigrationKey("shop", "0001_squashed_0002"), MigrationKey("orders", "0001_initial")) in (
        analysis.graph.edges()
    )


def test_dependencies_that_exist_are_not_reported(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", chain("shop", ["0001_initial", "0002_sku"])),
        **app_migrations(
            "orders", {"0001_initial": migration([("shop", "0002_sku")], initial=True)}
        ),
    }
    assert codes(analyze(make_project(tmp_path, files))) == []


# -- DM103 circular-dependency ---------------------------------------------------------------


def test_cycle_between_two_apps_is_reported_on_each_edge(tmp_path: Path) -> None:
    files = {
        **app_migrations(
            "orders",
            {
                **chain("orders", ["0001_initial"]),
                "0002_order_payment": migration(
                    [("orders", "0001_initial"), ("payments", "0001_initial")]
                ),
            },
        ),
        **app_migrations(
            "payments", {"0001_initial": migration([("orders", "0002_order_payment")])}
        ),
    }
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    assert positions(analysis, "DM103") == sorted(
        [
            where(root, "orders/migrations/0002_order_payment.py", "('payments', '0001_initial')"),
            where(root, "payments/migrations/0001_initial.py", "('orders', '0002_order_payment')"),
        ]
    )
    for message in messages(analysis, "DM103"):
        assert "Circular" in message
        assert "orders.0002_order_payment" in message
        assert "payments.0001_initial" in message
    assert codes(analysis) == ["DM103", "DM103"]


def test_cycle_inside_one_app(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            "0001_initial": migration([("shop", "0002_second")], ops=NOOP),
            "0002_second": migration([("shop", "0001_initial")], ops=NOOP),
        },
    )
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    assert positions(analysis, "DM103") == [
        where(root, "shop/migrations/0001_initial.py", "('shop', '0002_second')"),
        where(root, "shop/migrations/0002_second.py", "('shop', '0001_initial')"),
    ]


def test_cross_app_dependencies_without_a_cycle(tmp_path: Path) -> None:
    files = {
        **app_migrations("orders", chain("orders", ["0001_initial", "0002_order_payment"])),
        **app_migrations(
            "payments",
            {
                "0001_initial": migration([("orders", "0001_initial")]),
                "0002_refund": migration(
                    [("payments", "0001_initial"), ("orders", "0002_order_payment")]
                ),
            },
        ),
    }
    assert codes(analyze(make_project(tmp_path, files))) == []


# -- DM104 unknown-app-dependency ---------------------------------------------------------------


def test_dependency_on_an_app_not_in_installed_apps(tmp_path: Path) -> None:
    files = app_migrations(
        "shop", {"0001_initial": migration([("loyalty", "0001_initial")], ops=NOOP)}
    )
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    path = "shop/migrations/0001_initial.py"
    assert positions(analysis, "DM104") == [where(root, path, "('loyalty', '0001_initial')")]
    assert codes(analysis) == ["DM104"]
    (message,) = messages(analysis, "DM104")
    assert "'loyalty'" in message
    assert "INSTALLED_APPS" in message


def test_app_with_migrations_on_disk_but_not_installed_is_unknown(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration([("legacy", "0001_initial")])}),
        **app_migrations("legacy", chain("legacy", ["0001_initial"])),
    }
    root = make_project(tmp_path, files, installed_apps=["shop"])
    assert codes(analyze(root)) == ["DM104"]


def test_dependency_on_an_installed_app_without_migrations(tmp_path: Path) -> None:
    files = {
        **app_migrations(
            "shop",
            {
                "0001_initial": migration([("plain", "0001_initial")]),
                "0002_first": migration([("shop", "0001_initial"), ("plain", "__first__")]),
            },
        ),
        "plain/models.py": "",
    }
    root = make_project(tmp_path, files, installed_apps=["plain", "shop"])
    assert django_error(root) == (
        "NodeNotFoundError: Migration shop.0001_initial dependencies reference nonexistent"
        " parent node ('plain', '0001_initial')"
    )
    analysis = analyze(root)
    # __first__ of an unmigrated app is ignored by ``check_key``; a named node is not.
    assert positions(analysis, "DM104") == [
        where(root, "shop/migrations/0001_initial.py", "('plain', '0001_initial')")
    ]
    assert "no migrations" in messages(analysis, "DM104")[0]


def test_first_of_an_app_with_an_empty_migrations_package(tmp_path: Path) -> None:
    """An empty package is a migrated app without nodes: ``Dependency on app with no
    migrations``."""
    files = {
        **app_migrations("shop", {"0001_initial": migration([("empty", "__first__")])}),
        "empty/migrations/__init__.py": "",
    }
    root = make_project(tmp_path, files, installed_apps=["empty", "shop"])
    assert django_error(root) == "ValueError: Dependency on app with no migrations: empty"
    analysis = analyze(root)
    assert positions(analysis, "DM104") == [
        where(root, "shop/migrations/0001_initial.py", "('empty', '__first__')")
    ]


def test_first_of_an_unknown_app_is_reported(tmp_path: Path) -> None:
    files = app_migrations("shop", {"0001_initial": migration([("ghost", "__first__")])})
    root = make_project(tmp_path, files)
    assert django_error(root) == "ValueError: Dependency on unknown app: ghost"
    assert positions(analyze(root), "DM104") == [
        where(root, "shop/migrations/0001_initial.py", "('ghost', '__first__')")
    ]


def test_dependency_outside_the_workspace_without_interpreter_is_never_reported(
    tmp_path: Path, monkeypatch
) -> None:
    """No interpreter: djmig cannot see ``auth`` or ``thirdparty``, so it says nothing."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    deps = [
        ("auth", "0099_does_not_exist"),
        ("auth", "__latest__"),
        ("thirdparty", "0001_initial"),
        ("thirdparty", "__first__"),
        ("elsewhere", "0001_initial"),
    ]
    files = {
        **app_migrations("shop", {"0001_initial": migration(deps, ops=NOOP)}),
        "pyproject.toml": NO_INTERPRETER,
    }
    apps = ["django.contrib.auth", "django.contrib.contenttypes", "thirdparty", "shop"]
    analysis = analyze(make_project(tmp_path, files, installed_apps=apps))
    assert analysis.project.site_packages == []
    assert codes(analysis) == []


def test_installed_django_app_resolves_with_the_interpreter(tmp_path: Path) -> None:
    deps = [("auth", "0012_alter_user_first_name_max_length"), ("contenttypes", "__first__")]
    files = app_migrations("shop", {"0001_initial": migration(deps, ops=NOOP)})
    apps = ["django.contrib.auth", "django.contrib.contenttypes", "shop"]
    analysis = analyze(make_project(tmp_path, files, installed_apps=apps))
    assert codes(analysis) == []
    parents = analysis.graph.parents(MigrationKey("shop", "0001_initial"))
    assert parents == [
        MigrationKey("auth", "0012_alter_user_first_name_max_length"),
        MigrationKey("contenttypes", "0001_initial"),
    ]


# -- swappable_dependency, __first__, __latest__ ------------------------------------------------


def test_swappable_dependency_on_a_workspace_user_model(tmp_path: Path) -> None:
    files = {
        **app_migrations("accounts", chain("accounts", ["0001_initial", "0002_user_phone"])),
        **app_migrations("orders", {"0001_initial": SWAPPABLE}),
    }
    root = make_project(tmp_path, files, extra_settings='AUTH_USER_MODEL = "accounts.User"\n')
    analysis = analyze(root)
    assert codes(analysis) == []
    # swappable_dependency is ("accounts", "__first__"): the app's first migration.
    assert analysis.graph.parents(MigrationKey("orders", "0001_initial")) == [
        MigrationKey("accounts", "0001_initial")
    ]


def test_swappable_dependency_on_a_user_model_of_an_unknown_app(tmp_path: Path) -> None:
    files = app_migrations("orders", {"0001_initial": SWAPPABLE})
    root = make_project(tmp_path, files, extra_settings='AUTH_USER_MODEL = "members.Member"\n')
    assert django_error(root) == "ValueError: Dependency on unknown app: members"
    analysis = analyze(root)
    path = "orders/migrations/0001_initial.py"
    assert positions(analysis, "DM104") == [where(root, path, "migrations.swappable_dependency(")]
    assert "'members'" in messages(analysis, "DM104")[0]


def test_first_and_latest_resolve_to_root_and_leaf(tmp_path: Path) -> None:
    files = {
        **app_migrations("catalog", chain("catalog", ["0001_initial", "0002_b", "0003_c"])),
        **app_migrations(
            "orders",
            {
                "0001_initial": migration([("catalog", "__first__")]),
                "0002_second": migration([("orders", "0001_initial"), ("catalog", "__latest__")]),
            },
        ),
    }
    analysis = analyze(make_project(tmp_path, files))
    assert codes(analysis) == []
    graph = analysis.graph
    assert graph.parents(MigrationKey("orders", "0001_initial")) == [
        MigrationKey("catalog", "0001_initial")
    ]
    assert MigrationKey("catalog", "0003_c") in graph.parents(MigrationKey("orders", "0002_second"))


def test_first_of_the_own_app_is_ignored(tmp_path: Path) -> None:
    """#22325: ``__first__`` references to the same app are ignored."""
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial"]),
            "0002_b": migration([("shop", "0001_initial"), ("shop", "__first__")], ops=NOOP),
        },
    )
    root = make_project(tmp_path, files)
    assert django_error(root) is None
    assert codes(analyze(root)) == []


# -- DM105 squash-leftovers ---------------------------------------------------------------


def test_squashed_migration_with_its_replaced_files_present(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial", "0002_sku"]),
            "0001_squashed_0002_sku": migration(
                replaces=[("shop", "0001_initial"), ("shop", "0002_sku")], ops=NOOP
            ),
        },
    )
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    squashed = "shop/migrations/0001_squashed_0002_sku.py"
    assert positions(analysis, "DM105") == [where(root, squashed, "class Migration")]
    assert codes(analysis) == ["DM105"]
    (finding,) = analysis.findings
    assert finding.severity == Severity.HINT
    assert "shop.0001_squashed_0002_sku" in finding.message
    assert "replaces" in finding.message
    assert sorted(r.path.name for r in finding.related) == ["0001_initial.py", "0002_sku.py"]


def test_squashed_migration_after_its_replaced_files_were_deleted(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            "0001_squashed_0002_sku": migration(
                replaces=[("shop", "0001_initial"), ("shop", "0002_sku")], ops=NOOP
            ),
            "0003_price": migration([("shop", "0002_sku")], ops=NOOP),
        },
    )
    assert codes(analyze(make_project(tmp_path, files))) == []


def test_squashed_migration_does_not_make_a_conflict(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial", "0002_sku", "0003_price"]),
            "0001_squashed_0002_sku": migration(
                replaces=[("shop", "0001_initial"), ("shop", "0002_sku")], ops=NOOP
            ),
        },
    )
    analysis = analyze(make_project(tmp_path, files))
    assert codes(analysis) == ["DM105"]
    assert analysis.graph.leaf_nodes("shop") == [MigrationKey("shop", "0003_price")]


# -- DM106 invalid-migration-module ----------------------------------------------------------


def test_helper_module_without_migration_class(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial"]),
            "helpers": "def backfill(apps, schema_editor):\n    pass\n",
        },
    )
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    assert positions(analysis, "DM106") == [("shop/migrations/helpers.py", 0, 0)]
    (message,) = messages(analysis, "DM106")
    assert "helpers" in message
    assert "'shop'" in message
    assert "no Migration class" in message
    assert codes(analysis) == ["DM106"]


def test_empty_module_has_no_migration_class(tmp_path: Path) -> None:
    files = app_migrations("shop", {**chain("shop", ["0001_initial"]), "0002_empty": ""})
    assert positions(analyze(make_project(tmp_path, files)), "DM106") == [
        ("shop/migrations/0002_empty.py", 0, 0)
    ]


def test_modules_django_does_not_load_or_that_may_define_migration(tmp_path: Path) -> None:
    helper = "def backfill(apps, schema_editor):\n    pass\n"
    files = app_migrations(
        "shop",
        {
            **chain("shop", ["0001_initial"]),
            "_helpers": helper,
            "~backup": helper,
            "0002_star": "from shop.migrations._base import *\n",
            "0003_alias": (
                "from shop.migrations._base import BaseMigration\n\nMigration = BaseMigration\n"
            ),
            "0004_conditional": (
                "import sys\n\nif sys.version_info >= (3,):\n"
                "    from shop.migrations._base import BaseMigration as Migration\n"
            ),
        },
    )
    files["shop/migrations/helpers.txt"] = helper
    files["shop/migrations/sub/__init__.py"] = helper
    analysis = analyze(make_project(tmp_path, files))
    assert "DM106" not in codes(analysis)


# -- DM201 irreversible-run-python -----------------------------------------------------------

RUN_PYTHON = "migrations.RunPython("


def test_run_python_without_reverse_is_reported_on_the_call(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunPython(forwards),
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(code=forwards),
        """
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    analysis = analyze(root)
    path = "shop/migrations/0001_initial.py"
    assert positions(analysis, "DM201") == [
        where(root, path, "migrations.RunPython(forwards)"),
        where(root, path, "migrations.RunPython(code=forwards)"),
    ]
    assert codes(analysis) == ["DM201", "DM201"]
    finding = analysis.findings[0]
    assert finding.severity == Severity.WARNING
    assert "RunPython" in finding.message
    assert "reverse_code" in finding.message
    assert "IrreversibleError" in finding.message
    assert finding.span.end_col == finding.span.start_col + len("migrations.RunPython(forwards)")


def test_run_python_imported_directly_or_through_an_alias(tmp_path: Path) -> None:
    source = data_migration(
        """
        RunPython(forwards),
        ops.RunPython(forwards),
        special.RunPython(forwards),
        """,
        imports=(
            "from django.db.migrations import RunPython\n"
            "from django.db.migrations import operations as ops\n"
            "import django.db.migrations.operations.special as special\n"
        ),
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    path = "shop/migrations/0001_initial.py"
    assert positions(analyze(root), "DM201") == [
        where(root, path, "        RunPython(forwards)", at="RunPython"),
        where(root, path, "ops.RunPython(forwards)"),
        where(root, path, "special.RunPython(forwards)"),
    ]


def test_multiline_run_python_is_reported_from_its_first_line(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunPython(
            forwards,
        ),
        """
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    analysis = analyze(root)
    assert positions(analysis, "DM201") == [
        where(root, "shop/migrations/0001_initial.py", RUN_PYTHON)
    ]
    (finding,) = analysis.findings
    assert finding.span.end_line == finding.span.start_line + 2


def test_reversible_run_python_is_not_reported(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(forwards, reverse_code=backwards),
        migrations.RunPython(code=forwards, reverse_code=migrations.RunPython.noop),
        migrations.RunPython(forwards, None),
        migrations.RunPython(forwards, reverse_code=None, elidable=True),
        migrations.RunPython(**{"code": forwards}),
        migrations.RunPython(*[forwards]),
        """
    )
    files = app_migrations("shop", {"0001_initial": source})
    assert codes(analyze(make_project(tmp_path, files))) == []


def test_run_python_of_another_library_is_not_reported(tmp_path: Path) -> None:
    source = data_migration(
        "RunPython(forwards),", imports="from shop.operations import RunPython\n"
    )
    files = app_migrations("shop", {"0001_initial": source})
    assert codes(analyze(make_project(tmp_path, files))) == []


def test_noqa_with_the_code_or_bare_silences_the_line(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunPython(forwards),  # noqa: DM201
        migrations.RunPython(forwards),  # NOQA:DM202,DM201
        migrations.RunPython(forwards),  # noqa
        migrations.RunPython(forwards),  # noqa: DM202
        migrations.RunPython(forwards),  # noqa: DM101
        migrations.RunPython(forwards),  # no quality assurance
        """
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    path = "shop/migrations/0001_initial.py"
    assert positions(analyze(root), "DM201") == [
        where(root, path, "# noqa: DM202", at=RUN_PYTHON),
        where(root, path, "# noqa: DM101", at=RUN_PYTHON),
        where(root, path, "# no quality", at=RUN_PYTHON),
    ]


def test_noqa_counts_on_the_first_line_of_a_multiline_call(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunPython(  # noqa: DM201
            forwards,
        ),
        migrations.RunPython(
            forwards,  # noqa: DM201
        ),
        """
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    path = "shop/migrations/0001_initial.py"
    assert positions(analyze(root), "DM201") == [where(root, path, RUN_PYTHON, occurrence=1)]


def test_non_ascii_text_before_run_python_gives_a_code_point_column(tmp_path: Path) -> None:
    source = data_migration(
        "migrations.RunSQL(\"UPDATE shop_product SET name = 'Café ☕ 😀'\", "
        "migrations.RunSQL.noop), migrations.RunPython(forwards),"
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    path = "shop/migrations/0001_initial.py"
    analysis = analyze(root)
    expected = where(root, path, "migrations.RunPython(forwards)")
    assert positions(analysis, "DM201") == [expected]
    (finding,) = analysis.findings
    line = (root / path).read_text(encoding="utf-8").splitlines()[expected[1]]
    assert line[finding.span.start_col : finding.span.end_col] == "migrations.RunPython(forwards)"


def test_noqa_inside_a_string_is_not_a_comment(tmp_path: Path) -> None:
    """Only a ``# noqa`` comment silences a line, as in ruff and flake8; the same text
    inside a string literal (here SQL) is data."""
    source = data_migration(
        """
        migrations.RunSQL("SELECT '# noqa'", "SELECT 1"), migrations.RunPython(forwards),
        """
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    assert positions(analyze(root), "DM201") == [
        where(root, "shop/migrations/0001_initial.py", RUN_PYTHON)
    ]


def test_non_ascii_text_before_a_dependency_gives_a_code_point_column(tmp_path: Path) -> None:
    source = migration(ops=NOOP).replace(
        "    dependencies = [\n    ]",
        '    dependencies = [("café", "0001_crème"), ("café", "0002_brûlée")]',
    )
    files = {
        **app_migrations("café", {"0001_crème": migration(ops=NOOP)}),
        **app_migrations("shop", {"0001_initial": source}),
    }
    root = make_project(tmp_path, files)
    analysis = analyze(root)
    expected = where(root, "shop/migrations/0001_initial.py", '("café", "0002_brûlée")')
    assert positions(analysis, "DM102") == [expected]
    (finding,) = [f for f in analysis.findings if f.code == "DM102"]
    assert finding.span.end_col - finding.span.start_col == len('("café", "0002_brûlée")')


# -- DM202 irreversible-run-sql ----------------------------------------------------------------


def test_run_sql_without_reverse_is_reported_on_the_call(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunSQL("CREATE INDEX i ON shop_product (sku)"),
        migrations.RunSQL(sql=["UPDATE a SET b = 1", "UPDATE c SET d = 2"]),
        migrations.RunSQL("UPDATE a SET b = 1", "UPDATE a SET b = 0"),
        """
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    analysis = analyze(root)
    path = "shop/migrations/0001_initial.py"
    assert positions(analysis, "DM202") == [
        where(root, path, 'migrations.RunSQL("CREATE'),
        where(root, path, "migrations.RunSQL(sql="),
    ]
    assert codes(analysis) == ["DM202", "DM202"]
    finding = analysis.findings[0]
    assert finding.severity == Severity.WARNING
    assert "RunSQL" in finding.message
    assert "reverse_sql" in finding.message


def test_reversible_run_sql_is_not_reported(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunSQL("UPDATE a SET b = 1", migrations.RunSQL.noop),
        migrations.RunSQL("UPDATE a SET b = 1", reverse_sql="UPDATE a SET b = 0"),
        migrations.RunSQL(sql="UPDATE a SET b = 1", reverse_sql=None),
        migrations.RunSQL("CREATE INDEX i ON t (c)", "DROP INDEX i", elidable=True),
        """
    )
    files = app_migrations("shop", {"0001_initial": source})
    assert codes(analyze(make_project(tmp_path, files))) == []


def test_noqa_for_run_python_does_not_silence_run_sql(tmp_path: Path) -> None:
    source = data_migration(
        """
        migrations.RunSQL("UPDATE a SET b = 1"),  # noqa: DM201
        migrations.RunSQL("UPDATE a SET b = 2"),  # noqa: DM202
        """
    )
    root = make_project(tmp_path, app_migrations("shop", {"0001_initial": source}))
    assert positions(analyze(root), "DM202") == [
        where(root, "shop/migrations/0001_initial.py", "SET b = 1", at="migrations.RunSQL(")
    ]


def test_noqa_silences_a_graph_finding_on_its_line(tmp_path: Path) -> None:
    silenced = migration([("shop", "0001_gone")]).replace(
        "('shop', '0001_gone'),", "('shop', '0001_gone'),  # noqa: DM102"
    )
    files = {
        **app_migrations("shop", chain("shop", ["0001_initial"])),
        **app_migrations(
            "orders",
            {
                "0001_initial": silenced,
                "0002_second": migration([("orders", "0001_initial"), ("shop", "0002_gone")]),
            },
        ),
    }
    root = make_project(tmp_path, files)
    assert positions(analyze(root), "DM102") == [
        where(root, "orders/migrations/0002_second.py", "('shop', '0002_gone')")
    ]


# -- configuration ----------------------------------------------------------------------------


def _mixed_project(tmp_path: Path, djmig_section: str) -> Path:
    """A DM101 conflict (two findings), one DM201 and one DM202, and ``[tool.djmig]``."""
    files = app_migrations(
        "shop",
        {
            "0001_initial": data_migration(
                """
                migrations.RunPython(forwards),
                migrations.RunSQL("UPDATE a SET b = 1"),
                """
            ),
            "0002_a": migration([("shop", "0001_initial")], ops=NOOP),
            "0002_b": migration([("shop", "0001_initial")], ops=NOOP),
        },
    )
    files["pyproject.toml"] = pyproject(djmig_section)
    return make_project(tmp_path, files)


def test_default_configuration_reports_everything(tmp_path: Path) -> None:
    analysis = analyze(_mixed_project(tmp_path, ""))
    assert codes(analysis) == ["DM101", "DM101", "DM201", "DM202"]
    assert analysis.notices == []


def test_select_prefix_from_pyproject(tmp_path: Path) -> None:
    assert codes(analyze(_mixed_project(tmp_path, 'select = ["DM2"]\n'))) == ["DM201", "DM202"]


def test_select_exact_code_from_pyproject(tmp_path: Path) -> None:
    assert codes(analyze(_mixed_project(tmp_path, 'select = ["dm202"]\n'))) == ["DM202"]


def test_ignore_from_pyproject(tmp_path: Path) -> None:
    analysis = analyze(_mixed_project(tmp_path, 'ignore = ["DM201", "DM101"]\n'))
    assert codes(analysis) == ["DM202"]


def test_select_and_ignore_together(tmp_path: Path) -> None:
    analysis = analyze(_mixed_project(tmp_path, 'select = ["DM2"]\nignore = ["DM202"]\n'))
    assert codes(analysis) == ["DM201"]


def test_severity_from_pyproject(tmp_path: Path) -> None:
    analysis = analyze(
        _mixed_project(tmp_path, '[tool.djmig.severity]\nDM201 = "error"\nDM101 = "Warning"\n')
    )
    severities = {f.code: f.severity for f in analysis.findings}
    assert severities == {
        "DM101": Severity.WARNING,
        "DM201": Severity.ERROR,
        "DM202": Severity.WARNING,
    }


def test_invalid_configuration_is_reported_and_defaults_are_used(tmp_path: Path) -> None:
    section = 'select = "DM201"\nignore = ["NOPE1"]\nseverity = { DM201 = "fatal" }\ncolour = 1\n'
    analysis = analyze(_mixed_project(tmp_path, section))
    assert codes(analysis) == ["DM101", "DM101", "DM201", "DM202"]
    assert {f.severity for f in analysis.findings if f.code == "DM201"} == {Severity.WARNING}
    notices = [str(n) for n in analysis.notices]
    assert len(notices) == 4, notices
    for word in ("'select'", "NOPE1", "fatal", "'colour'"):
        assert sum(word in n for n in notices) == 1, (word, notices)
    assert all("\n" not in n for n in notices)


def test_unparseable_pyproject_falls_back_to_defaults(tmp_path: Path) -> None:
    files = app_migrations("shop", {"0001_initial": data_migration("migrations.RunPython(f),")})
    files["pyproject.toml"] = "[tool.djmig\nselect = \n"
    analysis = analyze(make_project(tmp_path, files))
    assert codes(analysis) == ["DM201"]
    assert any("pyproject.toml" in str(n) for n in analysis.notices)


def test_excluded_migration_is_not_reported_but_stays_in_the_graph(tmp_path: Path) -> None:
    """``exclude`` hides findings in matching files; Django still loads the excluded
    migration, so the migration depending on it must not become a DM102 error."""
    files = app_migrations(
        "shop",
        {
            "0001_initial": data_migration("migrations.RunPython(forwards),"),
            "0002_legacy": data_migration(
                "migrations.RunPython(forwards),", deps=[("shop", "0001_initial")]
            ),
            "0003_price": migration([("shop", "0002_legacy")], ops=NOOP),
        },
    )
    files["pyproject.toml"] = pyproject('exclude = ["shop/migrations/0002_*"]\n')
    root = make_project(tmp_path, files)
    assert django_error(root) is None
    analysis = analyze(root)
    assert positions(analysis, "DM201") == [
        where(root, "shop/migrations/0001_initial.py", RUN_PYTHON)
    ]
    assert codes(analysis) == ["DM201"]
