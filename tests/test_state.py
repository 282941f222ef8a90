"""The state engine against Django's own ``ProjectState``, and its cache against a cold replay.

For every migration of the workspace's apps, ``MigrationLoader.project_state(node,
at_end=False)`` (real Django, in a subprocess) and ``StateEngine.before(node)`` must hold the
same models of the node's app: names, fields in order with their class, ``null``,
``default`` and ``db_column``, and the options that decide tables (``managed``, ``proxy``,
``db_table``, ``unique_together``, ...). Then edits through ``Workspace.update_file`` must
leave the cached states equal to a fresh replay.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django_oracle import MARKER, django_env
from djmig.analysis import Workspace, analyze_workspace
from djmig.fields import MISSING
from djmig.index.values import CallValue
from djmig.keys import MigrationKey
from djmig.state import AppState, StateEngine
from helpers import app_migrations, make_project, migration

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from generate import generate

STATES_SCRIPT = r"""
import json
import sys

import django

MARKER, apps = sys.argv[1], set(sys.argv[2].split(","))
django.setup()
from django.db.migrations.loader import MigrationLoader
from django.db.models.options import normalize_together

loader = MigrationLoader(None, ignore_no_migrations=True)
OPTIONS = ("managed", "proxy", "db_table", "ordering", "verbose_name", "swappable",
           "order_with_respect_to", "get_latest_by", "default_related_name")


def together(value):
    return sorted(sorted(group) for group in normalize_together(value)) if value else []


def dump(model):
    fields = []
    for name, field in model.fields.items():
        fields.append([name, type(field).__name__, field.null, field.has_default(),
                       field.db_column])
    options = {key: model.options[key] for key in OPTIONS if key in model.options}
    for key in ("unique_together", "index_together"):
        if model.options.get(key):
            options[key] = together(model.options[key])
    options["indexes"] = sorted(index.name for index in model.options.get("indexes", []))
    options["constraints"] = sorted(c.name for c in model.options.get("constraints", []))
    return {"name": model.name, "fields": fields, "options": options}


result = {}
for node in sorted(loader.graph.nodes):
    if node[0] not in apps:
        continue
    state = loader.project_state(node, at_end=False)
    result["%s.%s" % node] = {
        name: dump(model) for (app, name), model in sorted(state.models.items()) if app == node[0]
    }
print(MARKER + json.dumps(result, default=str))
"""


def django_states(root: Path, apps: list[str], settings: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", STATES_SCRIPT, MARKER, ",".join(apps)],
        cwd=root,
        env={**django_env(root), "DJANGO_SETTINGS_MODULE": settings},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(completed.stdout + completed.stderr)


def _together(value: Any) -> list[list[str]]:
    if not value:
        return []
    if isinstance(value, (list, tuple, set)) and value and isinstance(next(iter(value)), str):
        value = [value]  # normalize_together: a single tuple of names
    return sorted(sorted(group) for group in value)


def _names(values: Any) -> list[Any]:
    return sorted(v.kwargs.get("name") for v in values or [] if isinstance(v, CallValue))


OPTIONS = ("managed", "proxy", "db_table", "ordering", "verbose_name", "swappable",
           "order_with_respect_to", "get_latest_by", "default_related_name")  # fmt: skip


def djmig_dump(state: AppState) -> dict[str, Any]:
    result = {}
    for name, model in sorted(state.models.items()):
        fields = []
        for field_name, field_state in model.fields.items():
            field = field_state.field
            assert field is not None, (model.name, field_name, field_state)
            db_column = field.get("db_column")
            fields.append([
                field_name, field.cls.name, field.null, field.get("default") is not MISSING,
                None if db_column is MISSING else db_column,
            ])  # fmt: skip
        options = {key: model.options[key] for key in OPTIONS if key in model.options}
        for key in ("unique_together", "index_together"):
            if model.options.get(key):
                options[key] = _together(model.options[key])
        options["indexes"] = _names(model.options.get("indexes"))
        options["constraints"] = _names(model.options.get("constraints"))
        result[name] = {"name": model.name, "fields": fields, "options": options}
    return result


def assert_states_match_django(root: Path) -> int:
    """Every node of the workspace's apps; returns how many were compared."""
    workspace = Workspace(root)
    workspace.load()
    apps = [label for label, app in workspace.project.apps.items() if app.origin == "workspace"]
    settings = workspace.project.settings.module or "proj.settings"
    expected = django_states(root, apps, settings)
    engine = workspace.state
    compared = 0
    for node, models in expected.items():
        key = MigrationKey(*node.split(".", 1))
        before = engine.before(key)
        assert before is not None, node
        assert not before.uncertain, node
        assert json.loads(json.dumps(djmig_dump(before), default=str)) == models, node
        compared += 1
    return compared


@pytest.mark.parametrize("seed", [0, 3, 8])
def test_bench_workspace_states_match_django(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "ws"
    generate(root, 4, 25, seed)
    assert assert_states_match_django(root) == 100


INITIAL_OPS = """
    migrations.CreateModel(name="Product", fields=[("id", models.BigAutoField(primary_key=True, serialize=False)), ("name", models.CharField(max_length=50)), ("code", models.CharField(max_length=10, db_column="product_code"))], options={"ordering": ["name"], "verbose_name": "product"})
    migrations.CreateModel(name="Category", fields=[("id", models.BigAutoField(primary_key=True, serialize=False)), ("title", models.CharField(max_length=50))])
"""  # noqa: E501
INITIAL = migration(initial=True, ops=INITIAL_OPS)
EVERY_OPERATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AddField("product", "sku", models.CharField(default="x", max_length=8), preserve_default=False),
        migrations.AddField(model_name="product", name="category", field=models.ForeignKey(null=True, on_delete=models.CASCADE, to="shop.category")),
        migrations.AlterField(model_name="product", name="name", field=models.CharField(max_length=80, null=True)),
        migrations.RenameField(model_name="product", old_name="code", new_name="reference"),
        migrations.AlterUniqueTogether(name="product", unique_together={("name", "reference")}),
        migrations.RenameField("product", "name", "title"),
        migrations.AlterModelOptions(name="product", options={"verbose_name": "article"}),
        migrations.AlterModelTable(name="category", table="shop_categories"),
        migrations.AddIndex(model_name="product", index=models.Index(fields=["sku"], name="shop_sku_idx")),
        migrations.AddConstraint(model_name="product", constraint=models.UniqueConstraint(fields=["sku"], name="shop_sku_unique")),
        migrations.RenameIndex(model_name="product", new_name="shop_sku_ix", old_name="shop_sku_idx"),
        migrations.RemoveConstraint(model_name="product", name="shop_sku_unique"),
        migrations.RenameModel(old_name="Category", new_name="Section"),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.AddField("product", "weight", models.IntegerField(default=0))]),
        migrations.RunSQL("SELECT 1", migrations.RunSQL.noop, state_operations=[migrations.AddField("product", "height", models.IntegerField(null=True))]),
        migrations.CreateModel(name="Legacy", fields=[("id", models.AutoField(primary_key=True, serialize=False))], options={"managed": False, "db_table": "legacy"}),
        migrations.CreateModel(name="SpecialProduct", fields=[], options={"proxy": True}, bases=("shop.product",)),
        migrations.RemoveField(model_name="product", name="height"),
        migrations.DeleteModel(name="Legacy"),
    ]
"""  # noqa: E501
AFTER = """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_every_operation")]
    operations = []
"""


def test_every_operation_matches_django(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {"0001_initial": INITIAL, "0002_every_operation": EVERY_OPERATION, "0003_after": AFTER},
    )
    assert assert_states_match_django(make_project(tmp_path, files)) == 3


def test_migration_reached_through_another_app_precedes(tmp_path: Path) -> None:
    """``shop.0003`` does not depend on ``shop.0002_tag`` directly, but through
    ``blog.0001``: Django's plan (and djmig's state) has the Tag model before it."""
    tag = 'migrations.CreateModel(name="Tag", fields=[("id", models.BigAutoField(primary_key=True, serialize=False))])'  # noqa: E501
    label = 'migrations.AddField(model_name="tag", name="label", field=models.IntegerField())'
    files = {
        **app_migrations("shop", {
            "0001_initial": INITIAL,
            "0002_tag": migration([("shop", "0001_initial")], ops=tag),
            "0003_label": migration(
                [("shop", "0001_initial"), ("blog", "0001_initial")], ops=label
            ),
            "0004_merge": migration([("shop", "0002_tag"), ("shop", "0003_label")]),
        }),
        **app_migrations("blog", {"0001_initial": migration([("shop", "0002_tag")], initial=True)}),
    }  # fmt: skip
    root = make_project(tmp_path, files)
    assert assert_states_match_django(root) == 5
    (finding,) = [f for f in analyze_workspace(root).findings if f.code == "DM203"]
    assert finding.path.name == "0003_label.py"


DATABASE_ONLY_SUBCLASSES = """\
from django.db import migrations, models


class FakeAddIndex(migrations.AddIndex):
    '''The index exists already (django-celery-results).'''

    def database_forwards(self, *args, **kwargs):
        pass


class QuietAddField(migrations.AddField):
    def database_forwards(self, *args, **kwargs):
        pass

    def database_backwards(self, *args, **kwargs):
        pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        FakeAddIndex(model_name="product", index=models.Index(fields=["name"], name="p_name")),
        QuietAddField(model_name="product", name="sku", field=models.CharField(max_length=9)),
    ]
"""


def test_subclasses_that_only_change_the_database_part_act_as_their_base(
    tmp_path: Path,
) -> None:
    """An operation subclassed in the migration module to skip or guard its database work
    changes the state as its base does: the states stay known (and equal Django's). What
    it does to the database is its own: no DM203 on the NOT NULL field it adds."""
    files = app_migrations(
        "shop",
        {
            "0001_initial": INITIAL,
            "0002_quiet": DATABASE_ONLY_SUBCLASSES,
            "0003_after": migration(
                [("shop", "0002_quiet")], ops='migrations.RunSQL("SELECT 1", "SELECT 1")'
            ),
        },
    )
    root = make_project(tmp_path, files)
    assert assert_states_match_django(root) == 3
    assert [f.code for f in analyze_workspace(root).findings] == []


def test_unknown_operations_make_the_model_or_the_app_uncertain(tmp_path: Path) -> None:
    custom = """\
from django.db import migrations, models

from shop.operations import Touch, make


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        Touch(model_name="product"),
        migrations.AddField(model_name="category", name="slug", field=models.SlugField()),
    ]
"""
    computed = """\
from django.db import migrations, models

from shop.operations import make


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_custom")]
    operations = [
        make(),
        migrations.AddField(model_name="category", name="code", field=models.SlugField()),
    ]
"""
    files = app_migrations(
        "shop", {"0001_initial": INITIAL, "0002_custom": custom, "0003_computed": computed}
    )
    workspace = Workspace(make_project(tmp_path, files))
    workspace.load()
    engine = workspace.state
    after_custom = engine.after(MigrationKey("shop", "0002_custom"))
    assert after_custom is not None and not after_custom.uncertain
    assert after_custom.models["product"].uncertain
    assert not after_custom.models["category"].uncertain
    after_computed = engine.after(MigrationKey("shop", "0003_computed"))
    assert after_computed is not None and after_computed.uncertain
    dm203 = [f.path.name for f in workspace.analyze().findings if f.code == "DM203"]
    # The custom operation names another model: category's AddField is still reported;
    # after the computed operation nothing is known about the app.
    assert dm203 == ["0002_custom.py"]


def test_unparseable_migration_makes_the_rest_of_the_app_uncertain(tmp_path: Path) -> None:
    files = app_migrations("shop", {
        "0001_initial": INITIAL,
        "0002_broken": migration([("shop", "0001_initial")], ops="migrations.AddField(") ,
        "0003_sku": migration([("shop", "0002_broken")], ops='migrations.AddField(model_name="product", name="sku", field=models.IntegerField())'),  # noqa: E501
    })  # fmt: skip
    workspace = Workspace(make_project(tmp_path, files))
    workspace.load()
    before = workspace.state.before(MigrationKey("shop", "0003_sku"))
    assert before is not None and before.uncertain
    assert not [f for f in workspace.analyze().findings if f.code == "DM203"]


# -- the cache --------------------------------------------------------------------------------


def replay_all(workspace: Workspace) -> dict[MigrationKey, Any]:
    engine = StateEngine(workspace.project, workspace.migrations, workspace.graph)
    return {
        key: (trace.before, trace.operations, trace.after)
        for app in workspace.project.apps
        for key in engine.plan(app)
        if (trace := engine.trace(key)) is not None
    }


def cached(workspace: Workspace) -> dict[MigrationKey, Any]:
    engine = workspace.state
    return {
        key: (trace.before, trace.operations, trace.after)
        for app in workspace.project.apps
        for key in engine.plan(app)
        if (trace := engine.trace(key)) is not None
    }


def findings(analysis: Any) -> list[tuple[str, str, int, int]]:
    return sorted(
        (f.code, f.path.name, f.span.start_line, f.span.start_col) for f in analysis.findings
    )


EDITS = [
    ("null=True", "null=False"),
    ("null=False", "null=True"),
    ("default=", "help_text="),
    ("migrations.RunPython(", "migrations.RunPython(migrations.RunPython.noop, "),
    ("models.CharField(", "models.IntegerField("),
    ("operations = [", "operations = [migrations.DeleteModel('x'),"),
]


def test_edits_keep_the_cached_states_equal_to_a_cold_replay(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate(root, 6, 20, 5)
    workspace = Workspace(root)
    workspace.load()
    workspace.analyze()
    paths = sorted(
        p for p in workspace.files if workspace.reported(workspace.migrations[workspace.files[p]])
    )
    edited = 0
    for number, path in enumerate(paths[::3]):
        text = path.read_text()
        old, new = EDITS[number % len(EDITS)]
        if old not in text:
            continue
        changed = text.replace(old, new, 1)
        path.write_text(changed)
        workspace.update_file(path, changed)
        edited += 1
        assert cached(workspace) == replay_all(workspace), path
        assert findings(workspace.analyze()) == findings(analyze_workspace(root)), path
    assert edited >= 10


def test_dependency_edit_patches_the_graph_and_refreshes_the_states(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate(root, 4, 12, 2)
    workspace = Workspace(root)
    workspace.load()
    workspace.analyze()
    path = root / "app002" / "migrations"
    target = sorted(path.glob("0005_*.py"))[0]
    text = target.read_text()
    previous = sorted(path.glob("0004_*.py"))[0].stem
    earlier = sorted(path.glob("0002_*.py"))[0].stem
    changed = text.replace(f'"{previous}"', f'"{earlier}"')
    assert changed != text
    target.write_text(changed)
    workspace.update_file(target, changed)
    assert cached(workspace) == replay_all(workspace)
    assert findings(workspace.analyze()) == findings(analyze_workspace(root))
