"""The quick fixes: each fixer on source text, then real Django judging the fixed projects.

Unit tests follow django-upgrade: ``check_transformed(fixer, before, after)`` and
``check_noop(fixer, source)`` dedent, run the fixer, and also check that the minimal edits
``fixes_for`` would send reproduce the new text. The project tests write a Django project,
let djmig find the problems, apply the fixes through the public API (or ``djmig check
--fix``) and ask Django: ``MigrationLoader.detect_conflicts``, ``migrate``, ``migrate app
zero``, ``makemigrations --check``, and the file ``makemigrations --merge`` writes itself.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django_oracle import django_env, django_migrate, django_verdict
from django_oracle import manage as django_manage
from djmig.analysis import Analysis, analyze_workspace
from djmig.fixes import Fix, TextEdit, fixes_for
from djmig.fixes.apply import apply_safe_fixes
from djmig.fixes.edits import apply_text_edits, parses, text_edits
from djmig.fixes.merge_migration import (
    get_version,
    installed_django_version,
    merge_migration,
    merge_migration_name,
    parse_number,
)
from djmig.fixes.noqa import add_noqa
from djmig.fixes.replace_dependency import replace_dependency
from djmig.fixes.reverse_noop import add_reverse_noop
from djmig.fixes.reverse_sql_noop import add_reverse_sql_noop
from djmig.fixes.reverse_stub import add_reverse_stub
from djmig.index.migrations import parse_migration_source
from djmig.keys import MigrationKey, Span
from djmig.rules import BY_CODE, Finding
from helpers import app_migrations, line_of, make_project, migration

Fixer = Callable[..., "str | None"]


def check_transformed(fixer: Fixer, before: str, after: str, *args: Any) -> None:
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert parses(after), "the expected output itself must parse"
    result = fixer(before, *args)
    assert result == after
    assert apply_text_edits(before, text_edits(before, after)) == after


def check_noop(fixer: Fixer, source: str, *args: Any) -> None:
    assert fixer(textwrap.dedent(source), *args) is None


def rule_fixes(source: str, code: str) -> list[dict[str, Any]]:
    """The fix data djmig's rule ``code`` attaches to its findings in ``source``."""
    parsed = parse_migration_source(MigrationKey("shop", "0002_x"), Path("0002_x.py"), source)
    check = BY_CODE[code].check_file
    assert check is not None
    return [data for finding in check(parsed) for data in finding.fixes]


# -- minimal text edits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "edits"),
    [
        ("a(f)\n", "a(f, g)\n", [TextEdit(Span(0, 3, 0, 3), ", g")]),
        ("x\ny\n", "x\nnew\ny\n", [TextEdit(Span(1, 0, 1, 0), "new\n")]),
        ("x\r\ny\r\n", "x\r\nz\r\n", [TextEdit(Span(1, 0, 1, 1), "z")]),
        ("é = f(x)\n", "é = f(x, y)\n", [TextEdit(Span(0, 7, 0, 7), ", y")]),
        ("\f\nx = 1\n", "\f\nx = 12\n", [TextEdit(Span(1, 5, 1, 5), "2")]),
        ("a\nb\nc", "a\nB\nc", [TextEdit(Span(1, 0, 1, 1), "B")]),
        ("a\r\n", "a\rb\n", [TextEdit(Span(0, 1, 1, 0), "\rb\n")]),
    ],
    ids=["insert", "line", "crlf", "code-points", "form-feed", "no-final-newline", "half-crlf"],
)
def test_text_edits_are_minimal_and_round_trip(old: str, new: str, edits: list) -> None:
    assert text_edits(old, new) == edits
    assert apply_text_edits(old, edits) == new


def test_text_edits_of_several_changes_round_trip() -> None:
    old = "".join(f"line {n}\n" for n in range(300))
    new = (
        old.replace("line 3\n", "line three\n")
        .replace("line 250\n", "")
        .replace("line 299\n", "line 299\nline 300\n")
    )
    edits = text_edits(old, new)
    assert len(edits) == 3
    assert apply_text_edits(old, edits) == new


# -- reverse noop ---------------------------------------------------------------------------

RUN_PYTHON = """\
from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        {operation},
    ]
"""


def run_python(operation: str, header: str = "from django.db import migrations") -> str:
    source = RUN_PYTHON.replace("{operation}", operation)
    return source.replace("from django.db import migrations", header, 1)


def test_reverse_noop_positional_for_a_lone_function() -> None:
    check_transformed(
        add_reverse_noop,
        run_python("migrations.RunPython(forwards)"),
        run_python("migrations.RunPython(forwards, migrations.RunPython.noop)"),
        0,
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "migrations.RunPython(forwards, elidable=True)",
            "migrations.RunPython(forwards, reverse_code=migrations.RunPython.noop, elidable=True)",
        ),
        (
            "migrations.RunPython(code=forwards)",
            "migrations.RunPython(code=forwards, reverse_code=migrations.RunPython.noop)",
        ),
        (
            "migrations.RunPython(atomic=False, code=forwards)",
            "migrations.RunPython(atomic=False, code=forwards, "
            "reverse_code=migrations.RunPython.noop)",
        ),
    ],
    ids=["elidable", "code-keyword", "code-keyword-last"],
)
def test_reverse_noop_keyword_when_other_keywords(before: str, after: str) -> None:
    check_transformed(add_reverse_noop, run_python(before), run_python(after), 0)


@pytest.mark.parametrize(
    ("header", "callee"),
    [
        ("from django.db import migrations as m", "m.RunPython"),
        ("from django.db.migrations import RunPython", "RunPython"),
        ("from django.db.migrations import RunPython as RP", "RP"),
        ("import django.db.migrations", "django.db.migrations.RunPython"),
    ],
)
def test_reverse_noop_respects_the_import_alias(header: str, callee: str) -> None:
    source = run_python(f"{callee}(forwards)", header)
    assert rule_fixes(source, "DM201")[0] == {"fix": "reverse-noop", "operation": 0}
    check_transformed(
        add_reverse_noop, source, run_python(f"{callee}(forwards, {callee}.noop)", header), 0
    )


def test_reverse_noop_multi_line_call_keeps_comments_and_layout() -> None:
    before = run_python(
        """migrations.RunPython(
            # the forward step
            forwards,  # fills sku
        )"""
    )
    after = run_python(
        """migrations.RunPython(
            # the forward step
            forwards,  # fills sku
            migrations.RunPython.noop,
        )"""
    )
    check_transformed(add_reverse_noop, before, after, 0)


def test_reverse_noop_multi_line_call_without_trailing_comma() -> None:
    before = run_python(
        """migrations.RunPython(
            forwards,
            elidable=True  # keep
        )"""
    )
    after = run_python(
        """migrations.RunPython(
            forwards,
            reverse_code=migrations.RunPython.noop,
            elidable=True  # keep
        )"""
    )
    check_transformed(add_reverse_noop, before, after, 0)
    before = run_python("migrations.RunPython(\n            forwards  # only\n        )")
    after = run_python(
        "migrations.RunPython(\n            forwards,  # only\n"
        "            migrations.RunPython.noop\n        )"
    )
    check_transformed(add_reverse_noop, before, after, 0)


def test_reverse_noop_counts_operations_like_the_parser() -> None:
    """Starred elements are not counted, ``+`` is read left to right, the last assignment of
    ``operations`` in the last ``class Migration`` counts."""
    source = textwrap.dedent(
        """\
        from django.db import migrations

        EXTRA = []


        def forwards(apps, schema_editor):
            pass


        class Migration(migrations.Migration):
            dependencies = []
            operations = [migrations.RunPython(forwards)]
            operations = [
                *EXTRA,
                migrations.RunSQL("SELECT 1", migrations.RunSQL.noop),
            ] + EXTRA + [
                migrations.RunPython(forwards),  # this one
            ]
        """
    )
    fixes = rule_fixes(source, "DM201")
    assert [f["operation"] for f in fixes] == [1, 1]
    result = add_reverse_noop(source, 1)
    assert result == source.replace(
        "RunPython(forwards),", "RunPython(forwards, migrations.RunPython.noop),"
    )


@pytest.mark.parametrize(
    "operation",
    [
        "migrations.RunPython(forwards, migrations.RunPython.noop)",
        "migrations.RunPython(forwards, reverse_code=None)",
        "migrations.RunPython(*args)",
        "migrations.RunSQL",
    ],
)
def test_reverse_noop_leaves_what_it_cannot_fix(operation: str) -> None:
    check_noop(add_reverse_noop, run_python(operation), 0)


def test_reverse_noop_needs_the_operation_and_a_parsable_file() -> None:
    check_noop(add_reverse_noop, run_python("migrations.RunPython(forwards)"), 1)
    check_noop(add_reverse_noop, "class Migration(:\n", 0)


def test_reverse_noop_single_line_class_body() -> None:
    check_transformed(
        add_reverse_noop,
        "from django.db import migrations as m\n"
        "class Migration(m.Migration): operations = [m.RunPython(print)]\n",
        "from django.db import migrations as m\n"
        "class Migration(m.Migration): operations = [m.RunPython(print, m.RunPython.noop)]\n",
        0,
    )


# -- reverse stub ---------------------------------------------------------------------------


def test_reverse_stub_after_the_forward_function() -> None:
    check_transformed(
        add_reverse_stub,
        run_python("migrations.RunPython(forwards)"),
        """\
        from django.db import migrations


        def forwards(apps, schema_editor):
            pass


        def forwards_reverse(apps, schema_editor):
            pass


        class Migration(migrations.Migration):
            dependencies = [("shop", "0001_initial")]
            operations = [
                migrations.RunPython(forwards, forwards_reverse),
            ]
        """,
        0,
        "forwards",
    )


def test_reverse_stub_avoids_taken_names_and_uses_keyword_form() -> None:
    before = """\
        from django.db import migrations

        forwards_reverse = None


        def forwards(apps, schema_editor):
            forwards_reverse_2 = 1
        # trailing comment of the module level


        class Migration(migrations.Migration):
            operations = [
                migrations.RunPython(forwards, elidable=True)
            ]
        """
    after = """\
        from django.db import migrations

        forwards_reverse = None


        def forwards(apps, schema_editor):
            forwards_reverse_2 = 1


        def forwards_reverse_3(apps, schema_editor):
            pass
        # trailing comment of the module level


        class Migration(migrations.Migration):
            operations = [
                migrations.RunPython(forwards, reverse_code=forwards_reverse_3, elidable=True)
            ]
        """
    check_transformed(add_reverse_stub, before, after, 0, "forwards")


def test_reverse_stub_for_an_imported_function_goes_before_the_class() -> None:
    before = """\
        from django.db import migrations

        from shop import data


        class Migration(migrations.Migration):
            operations = [migrations.RunPython(data.fill)]
        """
    after = """\
        from django.db import migrations

        from shop import data


        def fill_reverse(apps, schema_editor):
            pass


        class Migration(migrations.Migration):
            operations = [migrations.RunPython(data.fill, fill_reverse)]
        """
    source = textwrap.dedent(before)
    assert rule_fixes(source, "DM201")[1] == {
        "fix": "reverse-stub",
        "operation": 0,
        "function": "data.fill",
    }
    check_transformed(add_reverse_stub, before, after, 0, "data.fill")


def test_reverse_stub_keeps_tab_indentation_and_crlf() -> None:
    before = (
        "from django.db import migrations\r\n\r\n\r\ndef f(apps, schema_editor):\r\n\tpass\r\n"
        "\r\n\r\nclass Migration(migrations.Migration):\r\n"
        "\toperations = [migrations.RunPython(f)]\r\n"
    )
    result = add_reverse_stub(before, 0, "f")
    assert result is not None
    assert "\r\n\r\n\r\ndef f_reverse(apps, schema_editor):\r\n\tpass\r\n\r\n\r\nclass" in result
    assert "RunPython(f, f_reverse)]\r\n" in result
    assert "\n" not in result.replace("\r\n", "")


# -- reverse_sql noop -----------------------------------------------------------------------


def test_reverse_sql_noop_is_a_keyword() -> None:
    check_transformed(
        add_reverse_sql_noop,
        run_python('migrations.RunSQL("UPDATE shop_product SET sku = id")'),
        run_python(
            'migrations.RunSQL("UPDATE shop_product SET sku = id", '
            "reverse_sql=migrations.RunSQL.noop)"
        ),
        0,
    )


def test_reverse_sql_noop_alias_multi_line_and_other_keywords() -> None:
    header = "from django.db.migrations import RunSQL, Migration"
    before = run_python(
        '''RunSQL(
            """
            UPDATE shop_product SET sku = id  -- not a comment of Python
            """,
            elidable=True,
        )''',
        header,
    )
    after = run_python(
        '''RunSQL(
            """
            UPDATE shop_product SET sku = id  -- not a comment of Python
            """,
            reverse_sql=RunSQL.noop,
            elidable=True,
        )''',
        header,
    ).replace("migrations.Migration", "Migration")
    before = before.replace("migrations.Migration", "Migration")
    assert rule_fixes(textwrap.dedent(before), "DM202") == [
        {"fix": "reverse-sql-noop", "operation": 0}
    ]
    check_transformed(add_reverse_sql_noop, before, after, 0)
    check_noop(add_reverse_sql_noop, run_python('migrations.RunSQL("x", "y")'), 0)
    check_noop(add_reverse_sql_noop, run_python('migrations.RunSQL(sql="x", reverse_sql="")'), 0)


# -- replace dependency ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("('shop', '0003_prodcut')", "('shop', '0003_product')"),
        ('("shop", "0003_prodcut")', '("shop", "0003_product")'),
        ("[\"shop\", '0003_prodcut']", "[\"shop\", '0003_product']"),
        (
            "(\n        'shop',  # app\n        '0003_prodcut',\n    )",
            "(\n        'shop',  # app\n        '0003_product',\n    )",
        ),
    ],
    ids=["single", "double", "list-mixed", "multi-line"],
)
def test_replace_dependency_keeps_quotes_and_layout(before: str, after: str) -> None:
    source = f"dependencies = [\n    {before},\n]\n"
    lines = source.splitlines()
    end_line = len(lines) - 2
    span = Span(1, 4, end_line, len(lines[end_line]) - 1)
    new = replace_dependency(source, span, MigrationKey("shop", "0003_product"))
    assert new == f"dependencies = [\n    {after},\n]\n"


def test_replace_dependency_leaves_swappable_dependencies() -> None:
    source = "deps = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]\n"
    assert replace_dependency(source, Span(0, 8, 0, 66), MigrationKey("auth", "0001")) is None


# -- noqa -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "after"),
    [
        ("x = f(y)", "x = f(y)  # noqa: DM201"),
        ("x = f(y)   ", "x = f(y)  # noqa: DM201"),
        ("x = f(y)  # fills sku", "x = f(y)  # noqa: DM201  # fills sku"),
        ("x = f(y)  # sku  # noqa: DM101", "x = f(y)  # noqa: DM201  # sku  # noqa: DM101"),
        ("x = f(y)  # noqa: DM101", "x = f(y)  # noqa: DM101, DM201"),
        ("x = f(y)  # noqa:DM101,DM102 why", "x = f(y)  # noqa:DM101,DM102, DM201 why"),
        ("x = f(", "x = f(  # noqa: DM201"),
    ],
)
def test_noqa_appends_or_extends(line: str, after: str) -> None:
    rest = "\n    y)\n" if line.endswith("(") else "\n"
    assert add_noqa(f"import y\n{line}{rest}", 1, "DM201") == f"import y\n{after}{rest}"


@pytest.mark.parametrize(
    "source",
    [
        "import y\nx = f(y)  # noqa\n",
        "import y\nx = f(y)  # NOQA: dm201\n",
        'import y\nx = f("""\n""")\n',
        "import y\nx = f(y, \\\n  y)\n",
        "import y\nx = f(y)\rz = 1\n",
    ],
    ids=["bare", "already", "string", "continuation", "lone-cr"],
)
def test_noqa_not_offered(source: str) -> None:
    assert add_noqa(source, 1, "DM201") is None


def test_noqa_at_the_end_of_a_file_without_final_newline() -> None:
    assert add_noqa("x = 1", 0, "DM106") == "x = 1  # noqa: DM106"


# -- merge migration ------------------------------------------------------------------------


def test_parse_number_is_djangos() -> None:
    from django.db.migrations.autodetector import MigrationAutodetector

    names = ["0001_initial", "0012_x", "0001_squashed_0004_auto", "auto_1", "12", "x_squashed_7"]
    assert [parse_number(n) for n in names] == [
        MigrationAutodetector.parse_number(n) for n in names
    ]


def test_merge_migration_name() -> None:
    now = datetime.datetime(2025, 3, 4, 5, 6)
    assert merge_migration_name(["0003_b", "0002_a"]) == "0004_merge_0002_a_0003_b"
    assert merge_migration_name(["first", "second"]) == "0002_merge_first_second"
    assert merge_migration_name(["0001_squashed_0009_x", "0003_y"]) == (
        "0010_merge_0001_squashed_0009_x_0003_y"
    )
    long = ["0002_" + "a" * 21, "0002_" + "b" * 21]
    assert len("_".join(long)) == 53
    assert merge_migration_name(long, now) == "0003_merge_20250304_0506"


def test_django_version_string_is_djangos() -> None:
    from django.utils.version import get_version as django_get_version

    for version in [(5, 2, 0, "final", 0), (5, 2, 3, "final", 0), (6, 0, 0, "beta", 2),
                    (6, 0, 0, "rc", 1), (6, 1, 0, "alpha", 1)]:  # fmt: skip
        assert get_version(version) == django_get_version(version)


def test_installed_django_version_from_site_packages() -> None:
    import django

    site_packages = Path(django.__file__).resolve().parent.parent
    assert installed_django_version([Path("/nonexistent"), site_packages]) == (django.get_version())


# -- Django projects ------------------------------------------------------------------------

MERGE_NAME = "0003_merge_0002_product_price_0002_product_sku"
MODELS_PY = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
    sku = models.CharField(max_length=20, default="")
    price = models.IntegerField(default=0)
"""

INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Product",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
            ],
        ),
    ]
"""

SKU = """\
from django.db import migrations, models


def fill_sku(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    for product in Product.objects.all():
        product.sku = f"P{product.pk}"
        product.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="sku",
            field=models.CharField(default="", max_length=20),
        ),
        migrations.RunPython(fill_sku),  # backfill
    ]
"""

PRICE = """\
from django.db import migrations, models


def set_prices(apps, schema_editor):
    apps.get_model("shop", "Product").objects.update(price=1)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="price",
            field=models.IntegerField(default=0),
        ),
        {operations}
    ]
"""
PRICE_SQL = 'migrations.RunSQL("UPDATE shop_product SET price = price + 1"),'
PRICE_IRREVERSIBLE = f"""migrations.RunPython(
            code=set_prices,
            elidable=True,
        ),
        {PRICE_SQL}"""


def shop_project(tmp_path: Path, price_operations: str = PRICE_IRREVERSIBLE) -> Path:
    """App ``shop`` with two leaves, each adding a field after ``0001_initial``: the SKU
    branch backfills with a ``RunPython`` without reverse, the price branch runs
    ``price_operations``; ``models.py`` matches the merged state."""
    files = app_migrations(
        "shop",
        {
            "0001_initial": INITIAL,
            "0002_product_sku": SKU,
            "0002_product_price": PRICE.replace("{operations}", price_operations),
        },
    )
    return make_project(tmp_path, {**files, "shop/models.py": MODELS_PY})


def manage(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py *args`` with the test interpreter, no ``black`` on ``PATH`` (which
    ``makemigrations`` would run on the files it writes)."""
    env = django_env(root)
    env["PATH"] = str(root.parent / "no-formatters")
    return django_manage(root, *args, env=env)


def findings(analysis: Analysis, code: str) -> list[Finding]:
    return [f for f in analysis.findings if f.code == code]


def offered(analysis: Analysis, finding: Finding) -> list[Fix]:
    """The fixes of ``finding`` on its file's text on disk."""
    return fixes_for(finding, finding.path.read_text(encoding="utf-8"), analysis)


def fix_titled(analysis: Analysis, code: str, title: str, index: int = 0) -> Fix:
    finding = findings(analysis, code)[index]
    titles = {fix.title: fix for fix in offered(analysis, finding)}
    assert title in titles, sorted(titles)
    return titles[title]


def apply_to_disk(fix: Fix) -> None:
    for file_edit in fix.edits:
        if file_edit.create:
            assert not file_edit.path.exists()
            file_edit.path.write_text(apply_text_edits("", file_edit.edits), encoding="utf-8")
        else:
            text = file_edit.path.read_text(encoding="utf-8")
            file_edit.path.write_text(apply_text_edits(text, file_edit.edits), encoding="utf-8")


def normalise_date(content: str) -> str:
    return re.sub(r" on \d{4}-\d{2}-\d{2} \d{2}:\d{2}\n", " on <date>\n", content, count=1)


def test_fixes_for_offers_titles_applicability_and_preference(tmp_path: Path) -> None:
    analysis = analyze_workspace(shop_project(tmp_path))
    assert {
        (fix.code, fix.title, fix.applicability, fix.is_preferred)
        for finding in analysis.findings
        for fix in offered(analysis, finding)
    } == {
        ("DM101", f"Create merge migration {MERGE_NAME}", "safe", True),
        ("DM101", "Ignore DM101 on this line", "display", False),
        ("DM201", "Add reverse noop", "safe", True),
        ("DM201", "Add reverse function stub", "unsafe", False),
        ("DM201", "Ignore DM201 on this line", "display", False),
        ("DM202", "Add reverse_sql noop", "unsafe", False),
        ("DM202", "Ignore DM202 on this line", "display", False),
        ("DM204", "Split into nullable + backfill + NOT NULL", "unsafe", False),
        ("DM204", "Use db_default", "unsafe", False),
        ("DM204", "Ignore DM204 on this line", "display", False),
    }  # fmt: skip


def test_merge_fix_satisfies_django(tmp_path: Path) -> None:
    root = shop_project(tmp_path)
    code, output = django_migrate(root)
    assert code != 0 and "Conflicting migrations detected" in output
    analysis = analyze_workspace(root)
    fix = fix_titled(analysis, "DM101", f"Create merge migration {MERGE_NAME}")
    [file_edit] = fix.edits
    assert file_edit.create
    assert file_edit.path == root / f"shop/migrations/{MERGE_NAME}.py"
    apply_to_disk(fix)
    verdict = django_verdict(root)
    assert verdict["error"] is None and verdict["conflicts"] == {}
    code, output = django_migrate(root)
    assert code == 0, output
    checked = manage(root, "makemigrations", "--check", "--dry-run")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No changes detected" in checked.stdout
    assert not findings(analyze_workspace(root), "DM101")


@pytest.mark.parametrize(
    ("sku_name", "price_name"),
    [
        ("0002_product_sku", "0002_product_price"),
        ("0002_product_sku_with_a_longer_name", "0002_product_price_and_more"),
        ("sku", "0005_price"),
    ],
    ids=["named", "timestamp", "unnumbered-leaf"],
)
def test_merge_file_is_what_makemigrations_merge_writes(
    tmp_path: Path, sku_name: str, price_name: str
) -> None:
    files = app_migrations(
        "shop",
        {
            "0001_initial": INITIAL,
            sku_name: SKU,
            price_name: PRICE.replace("{operations}", ""),
        },
    )
    (tmp_path / "djmig").mkdir()
    ours = make_project(tmp_path / "djmig", {**files, "shop/models.py": MODELS_PY})
    theirs = tmp_path / "django" / "project"
    shutil.copytree(ours, theirs)
    migrations_dir = theirs / "shop" / "migrations"
    before = set(migrations_dir.iterdir())
    made = manage(theirs, "makemigrations", "--merge", "--noinput")
    assert made.returncode == 0, made.stdout + made.stderr
    [written] = set(migrations_dir.iterdir()) - before

    analysis = analyze_workspace(ours)
    fixes = [
        fix
        for finding in findings(analysis, "DM101")
        for fix in offered(analysis, finding)
        if fix.title.startswith("Create merge migration")
    ]
    assert len(fixes) == 2 and fixes[0] == fixes[1]
    [file_edit] = fixes[0].edits
    [content] = [edit.new_text for edit in file_edit.edits]
    timestamp = re.compile(r"\d{8}_\d{4}")
    assert timestamp.sub("<ts>", file_edit.path.name) == timestamp.sub("<ts>", written.name)
    assert normalise_date(content) == normalise_date(written.read_text(encoding="utf-8"))
    assert f"# Generated by Django {django_version()} on " in content


def django_version() -> str:
    import django

    return django.get_version()


def test_merge_migration_content() -> None:
    now = datetime.datetime(2025, 1, 2, 3, 4)
    name, content = merge_migration("shop", ["0003_b", "0003_a"], "5.2.1", now)
    assert name == "0004_merge_0003_a_0003_b.py"
    assert content == textwrap.dedent(
        """\
        # Generated by Django 5.2.1 on 2025-01-02 03:04

        from django.db import migrations


        class Migration(migrations.Migration):

            dependencies = [
                ('shop', '0003_a'),
                ('shop', '0003_b'),
            ]

            operations = [
            ]
        """
    )


def test_reverse_fixes_make_the_app_reversible(tmp_path: Path) -> None:
    root = shop_project(tmp_path)
    apply_to_disk(
        fix_titled(analyze_workspace(root), "DM101", f"Create merge migration {MERGE_NAME}")
    )
    code, output = django_migrate(root)
    assert code == 0, output
    code, output = django_migrate(root, "shop", "zero")
    assert code != 0 and "IrreversibleError" in output

    analysis = analyze_workspace(root)
    sku = root / "shop/migrations/0002_product_sku.py"
    price = root / "shop/migrations/0002_product_price.py"
    dm201 = {f.path: i for i, f in enumerate(findings(analysis, "DM201"))}
    apply_to_disk(fix_titled(analysis, "DM201", "Add reverse noop", dm201[sku]))
    apply_to_disk(fix_titled(analysis, "DM201", "Add reverse function stub", dm201[price]))
    apply_to_disk(fix_titled(analysis, "DM202", "Add reverse_sql noop"))

    assert "migrations.RunPython(fill_sku, migrations.RunPython.noop),  # backfill\n" in (
        sku.read_text(encoding="utf-8")
    )
    assert "code=set_prices,\n            reverse_code=set_prices_reverse,\n" in (
        price.read_text(encoding="utf-8")
    )
    assert "def set_prices_reverse(apps, schema_editor):\n    pass\n" in price.read_text(
        encoding="utf-8"
    )
    assert not {"DM201", "DM202"} & {f.code for f in analyze_workspace(root).findings}
    code, output = django_migrate(root, "shop", "zero")
    assert code == 0, output
    code, output = django_migrate(root)
    assert code == 0, output


def test_check_fix_applies_the_safe_fixes(tmp_path: Path) -> None:
    price_operations = "migrations.RunPython(set_prices),"
    root = shop_project(tmp_path, price_operations)
    sql_app = app_migrations(
        "audit",
        {"0001_initial": migration(ops='migrations.RunSQL("SELECT 1")', initial=True)},
    )
    for path, content in sql_app.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content, encoding="utf-8")
    (root / "audit/__init__.py").write_text("", encoding="utf-8")
    settings = root / "proj/settings.py"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("    'shop',", "    'audit',\n    'shop',"),
        encoding="utf-8",
    )
    djmig = Path(sys.executable).parent / "djmig"
    completed = subprocess.run(
        [str(djmig), "check", "--fix", str(root)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Fixed 3 problems." in completed.stderr
    assert completed.stdout.count("DM202") == 1, completed.stdout
    assert "DM101" not in completed.stdout and "DM201" not in completed.stdout
    assert (root / "shop/migrations/0003_merge_0002_product_price_0002_product_sku.py").is_file()

    assert django_verdict(root)["conflicts"] == {}
    code, output = django_migrate(root)
    assert code == 0, output
    code, output = django_migrate(root, "shop", "zero")
    assert code == 0, output
    code, output = django_migrate(root, "audit", "zero")
    assert code != 0 and "IrreversibleError" in output  # unsafe fixes are not applied


def test_apply_keeps_the_file_encoding(tmp_path: Path) -> None:
    source = run_python("migrations.RunPython(forwards)").replace(
        "from django.db", "# -*- coding: latin-1 -*-\n# café\nfrom django.db", 1
    )
    files = app_migrations("shop", {"0001_initial": source.replace('("shop", "0001_initial")', "")})
    root = make_project(tmp_path, files)
    path = root / "shop/migrations/0001_initial.py"
    path.write_bytes(source.replace('("shop", "0001_initial")', "").encode("latin-1"))
    assert apply_safe_fixes(analyze_workspace(root)) == 1
    text = path.read_bytes().decode("latin-1")
    assert "# café\n" in text
    assert "migrations.RunPython(forwards, migrations.RunPython.noop)," in text
    assert apply_safe_fixes(analyze_workspace(root)) == 0


def test_apply_fixes_every_operation_of_a_file(tmp_path: Path) -> None:
    operations = "migrations.RunPython(forwards),\n        migrations.RunPython(code=forwards)"
    files = app_migrations("shop", {"0001_initial": run_python(operations).replace(
        '("shop", "0001_initial")', "")})  # fmt: skip
    root = make_project(tmp_path, files)
    assert apply_safe_fixes(analyze_workspace(root)) == 2
    text = (root / "shop/migrations/0001_initial.py").read_text(encoding="utf-8")
    assert "RunPython(forwards, migrations.RunPython.noop),\n" in text
    assert "RunPython(code=forwards, reverse_code=migrations.RunPython.noop)" in text


def test_noqa_fix_silences_the_finding(tmp_path: Path) -> None:
    root = shop_project(tmp_path)
    analysis = analyze_workspace(root)
    fix = fix_titled(analysis, "DM202", "Ignore DM202 on this line")
    [file_edit] = fix.edits
    [edit] = file_edit.edits
    line = line_of(file_edit.path, "migrations.RunSQL(")
    assert edit.span == Span.point(line, len(PRICE_SQL) + 8)
    assert edit.new_text == "  # noqa: DM202"
    apply_to_disk(fix)
    sku = root / "shop/migrations/0002_product_sku.py"
    dm201 = [f.path for f in findings(analysis, "DM201")]
    apply_to_disk(fix_titled(analysis, "DM201", "Ignore DM201 on this line", dm201.index(sku)))
    assert "(fill_sku),  # noqa: DM201  # backfill\n" in sku.read_text(encoding="utf-8")
    after = analyze_workspace(root)
    assert not findings(after, "DM202")
    assert [f.path for f in findings(after, "DM201")] == [d for d in dm201 if d != sku]


def test_replace_dependency_fix_satisfies_django(tmp_path: Path) -> None:
    files = {
        **app_migrations(
            "shop",
            {
                "0001_initial": migration(initial=True),
                "0002_second": migration([("shop", "0001_initial")]),
            },
        ),
        **app_migrations("blog", {"0001_posts": migration([("shop", "0001_intial")])}),
    }
    root = make_project(tmp_path, files)
    assert django_verdict(root)["error"]["type"] == "NodeNotFoundError"
    analysis = analyze_workspace(root)
    [finding] = findings(analysis, "DM102")
    assert [fix.title for fix in offered(analysis, finding)] == [
        "Depend on shop.0002_second (current leaf)",
        "Depend on shop.0001_initial (closest name)",
        "Ignore DM102 on this line",
    ]
    fix = fix_titled(analysis, "DM102", "Depend on shop.0001_initial (closest name)")
    assert fix.applicability == "unsafe" and not fix.is_preferred
    [file_edit] = fix.edits
    line = line_of(file_edit.path, "0001_intial")
    assert file_edit.edits == [TextEdit(Span.point(line, len("        ('shop', '0001_in")), "i")]
    apply_to_disk(fix)
    assert django_verdict(root)["error"] is None


def test_no_merge_fix_over_an_existing_file(tmp_path: Path) -> None:
    root = shop_project(tmp_path)
    analysis = analyze_workspace(root)
    (root / "shop/migrations/0003_merge_0002_product_price_0002_product_sku.py").write_text(
        "", encoding="utf-8"
    )
    finding = findings(analysis, "DM101")[0]
    assert [fix.title for fix in offered(analysis, finding)] == ["Ignore DM101 on this line"]
