"""Precision of DM203 on a corpus: every finding is a failure real ``migrate`` reproduces.

The corpus is the benchmark generator's workspace (migrations as ``makemigrations`` writes
them over a project's life: initial models, added, altered, renamed and removed fields,
data migrations, cross-app foreign keys, the swappable user model) at 10 apps of 35
migrations, plus an app written by hand in the styles large projects use — a squashed
migration, ``SeparateDatabaseAndState``, ``RunPython``/``RunSQL``, a custom and a
third-party field class, proxy and unmanaged models. For each DM203 finding a Django
subprocess starts from an empty SQLite database, migrates the app to just before the
flagged migration, puts one row in the model's table (built from the historical model, as
a data migration would) and applies the flagged migration: it must fail with ``NOT NULL
constraint failed``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django_oracle import run_oracle
from djmig.analysis import analyze_workspace
from helpers import app_migrations

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from generate import generate

REPRODUCE = r"""
import datetime
import decimal
import json
import sys
import uuid

import django

MARKER = sys.argv[1]
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

VALUES = {
    "CharField": "x", "TextField": "x", "SlugField": "x", "EmailField": "a@b.c",
    "URLField": "http://x", "IntegerField": 1, "BigIntegerField": 1, "SmallIntegerField": 1,
    "PositiveIntegerField": 1, "PositiveBigIntegerField": 1,
    "PositiveSmallIntegerField": 1, "DecimalField": decimal.Decimal("1"), "FloatField": 1.0,
    "BooleanField": False, "DateField": datetime.date(2024, 1, 1),
    "DateTimeField": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    "TimeField": datetime.time(0, 0), "DurationField": datetime.timedelta(0),
    "JSONField": {}, "GenericIPAddressField": "127.0.0.1", "BinaryField": b"",
}


def make_row(model):
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and field.get_internal_type().endswith("AutoField"):
            continue
        if field.null or field.has_default() or field.has_db_default():
            continue
        if field.is_relation:
            values[field.name] = make_row(field.related_model)
        elif field.get_internal_type() == "UUIDField":
            values[field.name] = uuid.uuid4()
        else:
            values[field.name] = VALUES[field.get_internal_type()]
    return model._base_manager.create(**values)


results = []
for number, case in enumerate(json.loads(sys.stdin.read())):
    connection.close()
    connection.settings_dict["NAME"] = f"precision-{number}.sqlite3"
    for parent in case["parents"]:
        call_command("migrate", parent[0], parent[1], verbosity=0, interactive=False)
    state = MigrationExecutor(connection)._create_project_state(with_applied_migrations=True)
    make_row(state.apps.get_model(case["app"], case["model"]))
    try:
        call_command("migrate", case["app"], case["name"], verbosity=0, interactive=False)
        results.append(None)
    except Exception as exc:
        results.append(f"{type(exc).__name__}: {exc}")
print(MARKER + json.dumps(results))
"""

STYLES_APP = "styles"
THIRD_PARTY_FIELDS = """\
from django.db import models


class MoneyField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
"""
ID = 'models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")'
STYLES = {
    # A squash of an initial migration and a field addition, with the replaced files gone.
    "0001_squashed_0002_item_price": f"""\
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("styles", "0001_initial"), ("styles", "0002_item_price")]
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[("id", {ID}), ("name", models.CharField(max_length=50)),
                    ("price", models.DecimalField(decimal_places=2, default=0, max_digits=9))],
        ),
        migrations.CreateModel(
            name="Legacy",
            fields=[("id", models.AutoField(primary_key=True, serialize=False))],
            options={{"db_table": "legacy_items", "managed": False}},
        ),
        migrations.CreateModel(
            name="CheapItem", fields=[], options={{"proxy": True}}, bases=("styles.item",)
        ),
    ]
""",
    # Moving a table under a new model with SeparateDatabaseAndState, then a data migration.
    "0003_move_items": """\
from django.db import migrations, models


def fill(apps, schema_editor):
    Item = apps.get_model("styles", "Item")
    Item.objects.filter(name="").update(name="unnamed")


class Migration(migrations.Migration):
    dependencies = [("styles", "0001_squashed_0002_item_price")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE styles_item ADD COLUMN note text NULL",
                    "ALTER TABLE styles_item DROP COLUMN note",
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="item", name="note", field=models.TextField(blank=True, null=True)
                ),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
""",
    # What DM203 must report: a NOT NULL column with no default on the squashed model, a
    # NOT NULL custom-field column it must not (unknown class), fields on the proxy and the
    # unmanaged model it must not (no table of their own / not managed).
    "0004_item_code": """\
from django.db import migrations, models

import thirdparty.fields


class Migration(migrations.Migration):
    dependencies = [("styles", "0003_move_items")]
    operations = [
        migrations.AddField(
            model_name="item", name="code", field=models.CharField(max_length=12)
        ),
        migrations.AddField(
            model_name="item", name="cost", field=thirdparty.fields.MoneyField()
        ),
        migrations.AddField(
            model_name="legacy", name="ref", field=models.CharField(max_length=5)
        ),
    ]
""",
}


def test_every_dm203_on_the_corpus_fails_on_a_populated_table(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    assert generate(root, 10, 35, 4) == 350
    for path, content in {
        **app_migrations(STYLES_APP, STYLES),
        f"{STYLES_APP}/__init__.py": "",
        "thirdparty/__init__.py": "",
        "thirdparty/fields.py": THIRD_PARTY_FIELDS,
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    settings = root / "benchproj" / "settings.py"
    text = settings.read_text()
    settings.write_text(
        text.replace("INSTALLED_APPS = [", f'INSTALLED_APPS = [\n    "{STYLES_APP}",')
    )

    analysis = analyze_workspace(root)
    migrations = analysis.migrations
    cases = []
    for finding in analysis.findings:
        if finding.code != "DM203":
            continue
        key = next(k for k, m in migrations.items() if m.path == finding.path)
        operation = next(o for o in migrations[key].operations if o.span == finding.span)
        cases.append({
            "app": key.app_label,
            "name": key.name,
            "model": operation.argument(0, "model_name"),
            "parents": [list(p) for p in analysis.graph.parents(key)],
        })  # fmt: skip
    flagged = {(c["app"], c["name"]) for c in cases}
    assert (STYLES_APP, "0004_item_code") in flagged
    assert len([c for c in cases if c["app"] == STYLES_APP]) == 1
    assert len(cases) >= 5

    results = run_oracle(
        REPRODUCE, root, "reproduction", timeout=900, stdin=cases, settings="benchproj.settings"
    )
    for case, error in zip(cases, results):
        assert error is not None and "NOT NULL constraint failed" in error, (case, error)
