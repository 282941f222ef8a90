"""DM203 to DM207 without a database: the variants of each rule, what keeps them quiet, and
how findings follow edits of other migrations of the app.

What Django really does with each main case is shown in ``test_not_null_rules.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from djmig.analysis import Workspace, analyze_workspace
from helpers import app_migrations, make_project, migration

ID = 'models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")'
INITIAL = migration(
    initial=True,
    ops=f"""
    migrations.CreateModel(name="Product", fields=[("id", {ID}), ("name", models.CharField(max_length=50)), ("ref", models.CharField(db_column="reference", max_length=9)), ("tags", models.ManyToManyField(to="shop.product"))])
    migrations.CreateModel(name="Special", fields=[], options={{"proxy": True}}, bases=("shop.product",))
    migrations.CreateModel(name="Named", fields=[("id", {ID})], options={{"db_table": "named"}})
    """,  # noqa: E501
)


def project(tmp_path: Path, *later: str, extra: dict[str, str] | None = None, **kw: Any) -> Path:
    """App ``shop``: ``0001_initial`` then one migration per ``later`` (operations)."""
    sources = {"0001_initial": INITIAL}
    previous = "0001_initial"
    for number, ops in enumerate(later, 2):
        name = f"{number:04d}_change"
        sources[name] = ops if "class Migration" in ops else migration([("shop", previous)], ops)
        previous = name
    return make_project(tmp_path, {**app_migrations("shop", sources), **(extra or {})}, **kw)


def found(root: Path, code: str) -> list[tuple[str, int]]:
    return sorted(
        (f.path.stem, f.span.start_line) for f in analyze_workspace(root).findings if f.code == code
    )


def line(root: Path, name: str, needle: str) -> tuple[str, int]:
    lines = (root / "shop" / "migrations" / f"{name}.py").read_text().splitlines()
    return name, next(i for i, text in enumerate(lines) if needle in text)


def add(field: str, model: str = "product", name: str = "sku") -> str:
    return f'migrations.AddField(model_name="{model}", name="{name}", field={field})'


# -- DM203 ------------------------------------------------------------------------------------


def test_dm203_forms_of_a_field_without_a_value(tmp_path: Path) -> None:
    root = project(tmp_path, "\n".join([
        add("models.IntegerField()", name="a"),
        add("models.CharField(max_length=3, null=False, blank=False)", name="b"),
        add("models.DecimalField(max_digits=5, decimal_places=2)", name="c"),
        add('models.ForeignKey(on_delete=models.CASCADE, to="shop.named")', name="d"),
        add('models.OneToOneField(on_delete=models.CASCADE, to="shop.named")', name="e"),
        add("models.UUIDField()", name="f"),
        add("models.DateTimeField(auto_now=False)", name="g"),
    ]))  # fmt: skip
    assert len(found(root, "DM203")) == 7


def test_dm203_quiet_where_the_rows_get_a_value_or_there_is_no_column(tmp_path: Path) -> None:
    root = project(tmp_path, "\n".join([
        add("models.IntegerField(null=True)", name="a"),
        add("models.IntegerField(default=0)", name="b"),
        add("models.IntegerField(db_default=0)", name="c"),
        add("models.TextField(blank=True)", name="d"),
        add("models.DateField(auto_now=True)", name="e"),
        add("models.DateTimeField(auto_now_add=True)", name="f"),
        add('models.ManyToManyField(to="shop.named")', name="g"),
        add("models.BigAutoField(primary_key=True, serialize=False)", name="h"),
        add("models.IntegerField(null=NULLABLE)", name="i"),
        add("thirdparty.fields.MoneyField()", name="j"),
        add("models.IntegerField()", model="special", name="k"),
        add("models.IntegerField()", model="missing", name="l"),
    ]))  # fmt: skip
    assert found(root, "DM203") == []


def test_dm203_model_created_and_deleted_and_renamed(tmp_path: Path) -> None:
    create = f'migrations.CreateModel(name="Tag", fields=[("id", {ID})])'
    root = project(
        tmp_path,
        create + "\n" + add("models.IntegerField()", model="tag", name="a"),
        'migrations.RenameModel(old_name="Tag", new_name="Label")\n'
        + add("models.IntegerField()", model="label", name="b"),
        'migrations.DeleteModel(name="Label")',
        create + "\n" + add("models.IntegerField()", model="tag", name="c"),
    )
    assert found(root, "DM203") == [line(root, "0003_change", 'name="b"')]


def test_dm203_not_reported_for_string_columns_on_oracle(tmp_path: Path) -> None:
    oracle = """\
DATABASES = {"default": {"ENGINE": "django.db.backends.oracle", "NAME": "x"}}
"""
    ops = add("models.CharField(max_length=3)") + "\n" + add("models.IntegerField()", name="n")
    root = project(tmp_path, ops, extra_settings=oracle)
    assert found(root, "DM203") == [line(root, "0002_change", 'name="n"')]


def test_dm203_silenced_by_noqa_and_by_configuration(tmp_path: Path) -> None:
    root = project(tmp_path, add("models.IntegerField()") + "  # noqa: DM203")
    assert found(root, "DM203") == []


def test_dm203_follows_edits_of_earlier_migrations_of_the_app(tmp_path: Path) -> None:
    root = project(tmp_path, "", add("models.IntegerField()", model="named"))
    workspace = Workspace(root)
    workspace.load()
    assert [f.code for f in workspace.analyze().findings] == ["DM203"]
    earlier = root / "shop" / "migrations" / "0002_change.py"
    deleted = earlier.read_text().replace(
        "operations = [", 'operations = [\n        migrations.DeleteModel(name="Named"),'
    )
    workspace.update_file(earlier, deleted)
    assert [f.code for f in workspace.analyze().findings] == ["DM206"]  # the DeleteModel
    workspace.update_file(earlier, None)  # back to the disk: the model exists again
    assert [f.code for f in workspace.analyze().findings] == ["DM203"]
    later = root / "shop" / "migrations" / "0003_change.py"
    workspace.update_file(
        later, later.read_text().replace("IntegerField()", "IntegerField(null=True)")
    )
    assert [f.code for f in workspace.analyze().findings] == []


# -- DM204 ------------------------------------------------------------------------------------


def test_dm204_default_and_one_off_default_but_not_db_default(tmp_path: Path) -> None:
    root = project(tmp_path, "\n".join([
        add("models.IntegerField(default=0)", name="a"),
        add('models.CharField(default="x", max_length=3)', name="b") [:-1] + ", preserve_default=False)",  # noqa: E501
        add("models.IntegerField(db_default=0)", name="c"),
        add("models.IntegerField(default=0, null=True)", name="d"),
        add("models.IntegerField(default=0)", model="special", name="e"),
    ]))  # fmt: skip
    assert found(root, "DM204") == [
        line(root, "0002_change", 'name="a"'),
        line(root, "0002_change", 'name="b"'),
    ]
    messages = [f.message for f in analyze_workspace(root).findings if f.code == "DM204"]
    assert "a one-off default" in messages[1]


# -- DM205 ------------------------------------------------------------------------------------


def alter(field: str, name: str = "sku") -> str:
    return f'migrations.AlterField(model_name="product", name="{name}", field={field})'


def test_dm205_needs_a_data_migration_after_the_field_became_nullable(tmp_path: Path) -> None:
    backfill = "migrations.RunPython(fill, migrations.RunPython.noop)"
    root = project(
        tmp_path,
        add("models.IntegerField(null=True)"),
        "migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop)",
        alter("models.IntegerField()"),
        alter("models.IntegerField(null=True)"),
        f"{backfill.replace('fill', 'migrations.RunPython.noop', 1)}\n{alter('models.IntegerField()')}",  # noqa: E501
        alter("models.IntegerField(null=True)"),
        f"{backfill}\n{alter('models.IntegerField()')}",
        alter("models.IntegerField(null=True)"),
        alter("models.IntegerField(default=1)"),
    )
    assert found(root, "DM205") == [
        line(root, "0004_change", "AlterField"),
        line(root, "0006_change", "AlterField"),
    ]


def test_dm205_field_added_nullable_and_altered_in_one_migration(tmp_path: Path) -> None:
    ops = add("models.IntegerField(null=True)") + "\n" + alter("models.IntegerField()")
    root = project(tmp_path, ops)
    assert found(root, "DM205") == [line(root, "0002_change", "AlterField")]


# -- DM206 ------------------------------------------------------------------------------------


def test_dm206_operations_that_break_the_previous_release(tmp_path: Path) -> None:
    root = project(tmp_path, "\n".join([
        'migrations.RenameField(model_name="product", old_name="name", new_name="title")',
        'migrations.RenameField(model_name="product", old_name="ref", new_name="code")',
        alter('models.CharField(db_column="product_code", max_length=9)', name="code"),
        'migrations.AlterModelTable(name="named", table="named")',
        'migrations.AlterModelTable(name="product", table="products")',
        'migrations.RemoveField(model_name="product", name="tags")',
        'migrations.RenameModel(old_name="Named", new_name="Titled")',
        'migrations.DeleteModel(name="Special")',
        'migrations.DeleteModel(name="Titled")',
    ]))  # fmt: skip
    reported = [
        (f.span.start_line, f.message.split(":")[0])
        for f in analyze_workspace(root).findings
        if f.code == "DM206"
    ]
    first = line(root, "0002_change", "RenameField")[1]
    assert reported == [
        (first, "RenameField renames column 'name' of 'shop_product' to 'title'"),
        (first + 2, "AlterField renames column 'reference' of 'shop_product' to 'product_code'"),
        (first + 4, "AlterModelTable renames table 'shop_product' to 'products'"),
        (first + 5, "RemoveField drops the many-to-many table of 'tags'"),
        (first + 8, "DeleteModel drops table 'named'"),
    ]


# -- DM207 ------------------------------------------------------------------------------------

DATA = """\
from django.db import migrations
{module_imports}


def forwards(apps, schema_editor):
{body}


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
"""


def data(body: str, module_imports: str = "") -> str:
    indented = "\n".join("    " + text for text in body.splitlines())
    return DATA.format(module_imports=module_imports, body=indented)


def test_dm207_imports_of_the_app_models_in_every_form(tmp_path: Path) -> None:
    cases = [
        data("Product.objects.count()", "from shop.models import Product"),
        data("from shop.models import Product\nProduct.objects.count()"),
        data("from ..models import Product\nProduct._default_manager.count()"),
        data("m.Product.objects.count()", "from shop import models as m"),
        data("shop.models.Product.objects.count()", "import shop.models"),
        data("User.objects.count()", "from django.contrib.auth.models import User"),
    ]
    for number, source in enumerate(cases):
        apps = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]
        (tmp_path / str(number)).mkdir()
        root = project(tmp_path / str(number), source, installed_apps=apps)
        assert found(root, "DM207") == [line(root, "0002_change", "migrations.RunPython(")], source


def test_dm207_quiet_for_historical_models(tmp_path: Path) -> None:
    cases = [
        data('Product = apps.get_model("shop", "Product")\nProduct.objects.count()'),
        data('Product = apps.get_model("shop", "Product")\nProduct.objects.count()',
             "from shop.models import Product"),
        data("Product.objects.count()", "from shop.utils import Product"),
        data("from . import helpers\nhelpers.Product.objects.count()"),
    ]  # fmt: skip
    for number, source in enumerate(cases):
        (tmp_path / str(number)).mkdir()
        root = project(tmp_path / str(number), source)
        assert found(root, "DM207") == [], source
