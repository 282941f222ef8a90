"""The navigation engine on small projects: operation descriptions against Django's own
``Operation.describe()``, models followed through renames, dependencies resolved like
``MigrationLoader.check_key``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from djmig import navigation
from djmig.analysis import Workspace
from djmig.describe import describe
from djmig.index.migrations import parse_migration_source
from djmig.keys import MigrationKey
from helpers import app_migrations, make_project, migration

OPERATIONS = [
    'migrations.CreateModel(name="Product", fields=[("id", models.AutoField(primary_key=True))])',
    'migrations.CreateModel("Proxy", [], options={"proxy": True}, bases=("shop.product",))',
    'migrations.DeleteModel(name="Product")',
    'migrations.RenameModel(old_name="Product", new_name="Item")',
    'migrations.AlterModelTable(name="item", table="shop_items")',
    'migrations.AlterModelTable(name="item", table=None)',
    'migrations.AlterModelTableComment(name="item", table_comment="Items")',
    'migrations.AlterUniqueTogether(name="item", unique_together={("a", "b"), ("c", "d")})',
    'migrations.AlterIndexTogether(name="item", index_together=set())',
    'migrations.AlterOrderWithRespectTo(name="item", order_with_respect_to="shop")',
    'migrations.AlterModelOptions(name="item", options={"ordering": ["name"]})',
    'migrations.AlterModelManagers(name="item", managers=[])',
    'migrations.AddField(model_name="item", name="sku", field=models.CharField(max_length=9))',
    'migrations.RemoveField(model_name="item", name="sku")',
    'migrations.AlterField("item", "sku", models.CharField(max_length=12))',
    'migrations.RenameField(model_name="item", old_name="sku", new_name="code")',
    'migrations.AddIndex(model_name="item", index=models.Index(fields=["code", "-id"], '
    'name="item_code_idx"))',
    'migrations.RemoveIndex(model_name="item", name="item_code_idx")',
    'migrations.RenameIndex(model_name="item", new_name="new_idx", old_name="item_code_idx")',
    'migrations.RenameIndex(model_name="item", new_name="new_idx", old_fields=("a", "b"))',
    'migrations.AddConstraint(model_name="item", constraint=models.UniqueConstraint('
    'fields=["code"], name="unique_code"))',
    'migrations.RemoveConstraint(model_name="item", name="unique_code")',
    'migrations.RunSQL("SELECT 1", migrations.RunSQL.noop)',
    "migrations.RunPython(migrations.RunPython.noop)",
    "migrations.SeparateDatabaseAndState(state_operations=[])",
    'CustomOperation("product", 3, flag=True, label="x")',
    "CustomOperation()",
]

DJANGO_DESCRIBE = r"""
import json, sys
from django.db import migrations, models
from django.db.migrations.operations.base import Operation


class CustomOperation(Operation):
    pass


print(json.dumps([eval(source).describe() for source in json.load(sys.stdin)]))
"""


def test_describe_matches_djangos_operation_describe() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", DJANGO_DESCRIBE],
        input=json.dumps(OPERATIONS), capture_output=True, text=True, check=True,
    )  # fmt: skip
    expected = json.loads(completed.stdout)
    source = migration(ops="\n".join(OPERATIONS))
    parsed = parse_migration_source(MigrationKey("shop", "0001_x"), Path("x.py"), source)
    assert [describe(op) for op in parsed.operations] == expected


RENAMED = {
    **app_migrations("shop", {
        "0001_initial": migration(ops='migrations.CreateModel(name="Old", fields=[])\n'
                                      'migrations.CreateModel(name="Other", fields=[])',
                                  initial=True),
        "0002_rename": migration([("shop", "0001_initial")],
                                 ops='migrations.RenameModel(old_name="Old", new_name="New")'),
        "0003_sku": migration([("shop", "__first__"), ("shop", "0002_rename")], ops=(
            'migrations.AddField(model_name="new", name="sku", '
            'field=models.CharField(max_length=9))\n'
            'migrations.AddField(model_name="other", name="sku", '
            'field=models.CharField(max_length=9))')),
    }),
    "shop/models.py": """\
        from django.db import models


        class Other(models.Model):
            sku = models.CharField(max_length=9)


        class New(models.Model):
            sku = models.CharField(max_length=9)
        """,
}  # fmt: skip


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = make_project(tmp_path_factory.mktemp("nav"), RENAMED)
    workspace = Workspace(root)
    workspace.load()
    workspace.analyze()
    return workspace


def position(path: Path, needle: str, inside: int = 1) -> tuple[int, int]:
    for number, line in enumerate(path.read_text().splitlines()):
        if needle in line:
            return number, line.index(needle) + inside
    raise AssertionError(needle)


def test_model_is_followed_through_its_rename(workspace: Workspace) -> None:
    migrations = workspace.root / "shop/migrations"
    sku = migrations / "0003_sku.py"
    target = navigation.target_at(workspace, sku, *position(sku, '"new"'))
    assert target is not None and target.kind == "model"
    found = [
        (loc.path.name, loc.span.start_line) for loc in navigation.definition(workspace, target)
    ]
    models = workspace.root / "shop/models.py"
    initial = migrations / "0001_initial.py"
    assert found == [
        ("models.py", position(models, "class New")[0]),
        ("0001_initial.py", position(initial, '"Old"')[0]),
    ]
    cls = navigation.target_at(workspace, models, *position(models, "class New", 7))
    assert cls is not None and cls.kind == "model-class"
    operations = navigation.references(workspace, cls, declaration=False)
    assert [(loc.path.name, loc.span.start_line) for loc in operations] == [
        ("0001_initial.py", position(initial, '"Old"')[0]),
        ("0002_rename.py", position(migrations / "0002_rename.py", "RenameModel")[0]),
        ("0003_sku.py", position(sku, '"new"')[0]),
    ]
    hover = navigation.hover(workspace, cls)
    assert hover is not None
    assert "- Create model Old — `shop.0001_initial`" in hover
    assert "- Rename model Old to New — `shop.0002_rename`" in hover
    assert "Other" not in hover


def test_first_dependency_resolves_to_the_apps_root(workspace: Workspace) -> None:
    sku = workspace.root / "shop/migrations/0003_sku.py"
    target = navigation.target_at(workspace, sku, *position(sku, "'__first__'"))
    assert target is not None and target.key == MigrationKey("shop", "0001_initial")
    # Django ignores a dependency on its own app's __first__ (``check_key`` returns None):
    # the edge, hence the dependent, comes from 0002_rename alone.
    lenses = navigation.code_lenses(workspace, MigrationKey("shop", "0001_initial"))
    assert [lens.title for lens in lenses] == ["1 dependent"]


def test_applied_state_shows_in_hover_when_given(workspace: Workspace) -> None:
    key = MigrationKey("shop", "0002_rename")
    applied = {key: False}
    sku = workspace.root / "shop/migrations/0003_sku.py"
    target = navigation.target_at(workspace, sku, *position(sku, "'0002_rename'"))
    assert target is not None
    assert "Not applied." in (navigation.hover(workspace, target, applied) or "")
    assert "applied" not in (navigation.hover(workspace, target) or "")


def test_completion_while_the_file_does_not_parse(workspace: Workspace) -> None:
    sku = workspace.root / "shop/migrations/0003_sku.py"
    text = sku.read_text()
    line, _ = position(sku, "('shop', '0002_rename')")
    broken = text.splitlines()
    broken.insert(line + 1, '        ("shop", "')
    typed = "\n".join(broken) + "\n"
    with pytest.raises(SyntaxError):  # what an editor holds mid-typing
        ast.parse(typed)
    found = navigation.complete(workspace, sku, typed, line + 1, len('        ("shop", "'))
    assert [c.label for c in found] == ["0002_rename", "0001_initial"]


def test_completion_in_get_model_offers_app_labels_then_models(workspace: Workspace) -> None:
    sku = workspace.root / "shop/migrations/0003_sku.py"
    lines = sku.read_text().splitlines()
    before = 'def forwards(apps, schema_editor):\n    apps.get_model("'
    text = "\n".join([*lines[:1], "", before, *lines[1:]]) + "\n"
    line = 3
    labels = navigation.complete(workspace, sku, text, line, len('    apps.get_model("'))
    assert [c.label for c in labels] == ["shop"]
    text = text.replace('get_model("', 'get_model("shop", "')
    models = navigation.complete(workspace, sku, text, line, len('    apps.get_model("shop", "'))
    # The state this migration sees: Old was renamed to New before it.
    assert [c.label for c in models] == ["New", "Other"]


ID = '("id", models.AutoField(primary_key=True))'
THROUGH = {
    **app_migrations("tagging", {
        "0001_initial": migration(initial=True, ops="\n".join([
            f'migrations.CreateModel(name="Tag", fields=[{ID}])',
            f'migrations.CreateModel(name="Post", fields=[{ID}])',
            f'migrations.CreateModel(name="PostTag", fields=[{ID}, '
            '("post", models.ForeignKey(on_delete=models.CASCADE, to="tagging.post")), '
            '("tag", models.ForeignKey(on_delete=models.CASCADE, to="tagging.tag"))])',
            'migrations.AddField(model_name="post", name="tags", field=models.ManyToManyField('
            'through="tagging.PostTag", to="tagging.tag"))',
        ])),
    }),
    "tagging/models.py": "",
}  # fmt: skip


def test_a_through_model_is_a_definition_and_a_reference(tmp_path: Path) -> None:
    workspace = Workspace(make_project(tmp_path, THROUGH))
    workspace.load()
    workspace.analyze()
    initial = workspace.root / "tagging/migrations/0001_initial.py"
    target = navigation.target_at(workspace, initial, *position(initial, '"tagging.PostTag"'))
    assert target is not None and target.kind == "model"
    found = [
        (loc.path.name, loc.span.start_line) for loc in navigation.definition(workspace, target)
    ]
    assert found == [("0001_initial.py", position(initial, 'name="PostTag"')[0])]
    operations = navigation.references(workspace, target, declaration=False)
    assert (initial.name, position(initial, "migrations.AddField")[0]) in [
        (loc.path.name, loc.span.start_line) for loc in operations
    ]
