"""DM203 to DM207 against real ``migrate`` on populated tables, on SQLite and PostgreSQL.

Every scenario is a small app whose last migrations do one thing to a table that already
holds rows. Real Django first shows what happens (``migrate`` fails with the database's own
error, or succeeds and code of the previous release then fails), then djmig must report
exactly the rule that names that failure, on the operation's line — and nothing where
Django succeeds. One project holds every scenario; one Django process per backend runs
them all (``migrate_oracle``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from djmig.analysis import Analysis, analyze_workspace
from helpers import app_migrations, make_project, migration
from migrate_oracle import Outcome, Scenario, run_scenarios
from postgres import Cluster

CODES = ("DM203", "DM204", "DM205", "DM206", "DM207")
ID = 'models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")'
PRODUCT = 'migrations.CreateModel(name="Product", fields=[("id", {id}), ("name", models.CharField(max_length=50))])'  # noqa: E501
CATEGORY = 'migrations.CreateModel(name="Category", fields=[("id", {id}), ("title", models.CharField(max_length=50))])'  # noqa: E501
LEGACY = 'migrations.CreateModel(name="Legacy", fields=[("id", {id}), ("name", models.CharField(max_length=50))], options={{"managed": False}})'  # noqa: E501
ROWS = ["INSERT INTO {app}_product (name) VALUES ('a'), ('b')"]
#: What code of the previous release does after the migration: insert without the column.
OLD_INSERT = ["INSERT INTO {app}_product (name) VALUES ('c')"]
CUSTOM_OPERATION = """\
from django.db.migrations.operations.base import Operation


class Touch(Operation):
    def __init__(self, model_name):
        self.model_name = model_name

    def deconstruct(self):
        return ("Touch", [], {"model_name": self.model_name})

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass
"""
CUSTOM_MIGRATION = """\
from django.db import migrations, models

from {app}.operations import Touch


class Migration(migrations.Migration):
    dependencies = [("{app}", "0001_initial")]
    operations = [
        Touch(model_name="product"),
        migrations.AddField(model_name="product", name="sku", field=models.CharField(max_length=32)),
    ]
"""  # noqa: E501
PRODUCT_MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=50)
    sku = models.CharField(max_length=32, default="")
"""
DATA_MIGRATION = """\
from django.db import migrations


def touch(apps, schema_editor):
    {lookup}
    for product in Product.objects.all():
        product.name = product.name.upper()
        product.save()


class Migration(migrations.Migration):
    dependencies = [("{app}", "0001_initial")]
    operations = [
        migrations.RunPython(touch, migrations.RunPython.noop),
    ]
"""
BACKFILL = """\
from django.db import migrations, models


def fill_sku(apps, schema_editor):
    Product = apps.get_model("{app}", "Product")
    Product.objects.filter(sku__isnull=True).update(sku="n/a")


class Migration(migrations.Migration):
    dependencies = [("{app}", "0002_product_sku")]
    operations = [
        migrations.RunPython(fill_sku, migrations.RunPython.noop),
        migrations.AlterField(model_name="product", name="sku", field=models.CharField(max_length=32)),
    ]
"""  # noqa: E501

EMPTIED_FIRST = """\
from django.db import migrations, models


def forget_products(apps, schema_editor):
    apps.get_model("{app}", "Product").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("{app}", "0001_initial")]
    operations = [
        migrations.RunPython(forget_products, migrations.RunPython.noop),
        migrations.AddField(model_name="product", name="sku", field=models.CharField(max_length=32)),
    ]
"""  # noqa: E501

NOT_NULL = {"sqlite": "NOT NULL constraint failed", "postgresql": "contains null values"}
NOT_NULL_INSERT = {"sqlite": "NOT NULL constraint failed", "postgresql": "violates not-null"}
NO_COLUMN = {"sqlite": "no such column", "postgresql": "does not exist"}
ADD_FIELD = "migrations.AddField("


@dataclass
class Case:
    """An app: its migrations after ``0001_initial`` (``{app}`` stands for its label); what
    Django does when the table has rows (``migrate`` None: it succeeds, else the expected
    error per backend; ``probe``: the same for ``probe_sql`` run afterwards, as the previous
    release would); djmig's findings: code → (migration, text starting the finding)."""

    app: str
    migrations: dict[str, str]
    migrate: dict[str, str] | None = None
    probe: dict[str, str] | None = None
    findings: dict[str, tuple[str, str]] = field(default_factory=dict)
    before: str = "0001_initial"
    setup: list[str] = field(default_factory=lambda: list(ROWS))
    probe_sql: list[str] = field(default_factory=lambda: list(OLD_INSERT))
    extra_files: dict[str, str] = field(default_factory=dict)
    initial_ops: tuple[str, ...] = (PRODUCT, CATEGORY)


def after(ops: str, name: str = "0001_initial") -> str:
    return migration([("{app}", name)], ops=ops)


def add_sku(field_source: str, extra: str = "") -> str:
    return f'migrations.AddField(model_name="product", name="sku", field={field_source}{extra})'


def alter_sku(field_source: str) -> str:
    return f'migrations.AlterField(model_name="product", name="sku", field={field_source})'


NULLABLE_SKU = {"0002_product_sku": after(add_sku("models.CharField(max_length=32, null=True)"))}

CASES = [
    # -- DM203: migrate fails -----------------------------------------------------------
    Case("add_char", {"0002_product_sku": after(add_sku("models.CharField(max_length=32)"))},
         migrate=NOT_NULL, findings={"DM203": ("0002_product_sku", ADD_FIELD)}),
    Case("add_integer", {"0002_product_sku": after(add_sku("models.IntegerField()"))},
         migrate=NOT_NULL, findings={"DM203": ("0002_product_sku", ADD_FIELD)}),
    Case("add_foreign_key", {"0002_product_sku": after(add_sku(
        'models.ForeignKey(on_delete=models.CASCADE, to="{app}.category")'))},
         migrate=NOT_NULL, findings={"DM203": ("0002_product_sku", ADD_FIELD)}),
    # a data migration empties the table first (pretix's cached tickets): migrate works
    Case("add_after_emptying", {"0002_product_sku": EMPTIED_FIRST}, probe_sql=[]),
    Case("add_default_none",
         {"0002_product_sku": after(add_sku("models.CharField(default=None, max_length=32)"))},
         migrate=NOT_NULL, findings={"DM203": ("0002_product_sku", ADD_FIELD)}),
    # -- DM204: migrate works, the previous release cannot insert -----------------------
    Case("add_default",
         {"0002_product_sku": after(add_sku('models.CharField(default="n/a", max_length=32)'))},
         probe=NOT_NULL_INSERT, findings={"DM204": ("0002_product_sku", ADD_FIELD)}),
    Case("add_one_off_default", {"0002_product_sku": after(add_sku(
        'models.CharField(default="n/a", max_length=32)', ", preserve_default=False"))},
         probe=NOT_NULL_INSERT, findings={"DM204": ("0002_product_sku", ADD_FIELD)}),
    # Values Django picks without a default ('' for blank strings, now() for auto_now_add)
    # fill the rows too, and the previous release fails the same way; DM204 as specified
    # covers an explicit default only.
    Case("add_blank",
         {"0002_product_sku": after(add_sku("models.CharField(blank=True, max_length=32)"))},
         probe=NOT_NULL_INSERT),
    Case("add_auto_now_add",
         {"0002_product_sku": after(add_sku("models.DateTimeField(auto_now_add=True)"))},
         probe=NOT_NULL_INSERT),
    # -- nothing to report: nothing to fill, or a database default ----------------------
    Case("add_nullable", dict(NULLABLE_SKU)),
    Case("add_db_default",
         {"0002_product_sku": after(add_sku("models.IntegerField(db_default=0)"))}),
    Case("add_many_to_many",
         {"0002_product_sku": after(add_sku('models.ManyToManyField(to="{app}.category")'))}),
    Case("create_then_add", {"0002_tag": after(
        f'migrations.CreateModel(name="Tag", fields=[("id", {ID})])\n'
        'migrations.AddField(model_name="tag", name="label", field=models.CharField(max_length=20))'
    )}),
    Case("unmanaged", {"0002_legacy_code": after(
        'migrations.AddField(model_name="legacy", name="code", '
        "field=models.CharField(max_length=8))"
    )}, initial_ops=(PRODUCT, CATEGORY, LEGACY),
         setup=[*ROWS, "CREATE TABLE {app}_legacy (id integer PRIMARY KEY, name varchar(50))",
                "INSERT INTO {app}_legacy (id, name) VALUES (1, 'x')"],
         probe_sql=["INSERT INTO {app}_legacy (id, name) VALUES (2, 'y')"]),
    # An operation djmig cannot read makes the model uncertain: djmig says nothing, although
    # migrate fails here (precision over recall).
    Case("custom_operation", {"0002_product_sku": CUSTOM_MIGRATION},
         migrate=NOT_NULL, extra_files={"operations.py": CUSTOM_OPERATION}),
    # -- DM205: NULL rows are left when the column becomes NOT NULL ---------------------
    Case("alter_not_null", {**NULLABLE_SKU, "0003_alter_product_sku": after(
        alter_sku("models.CharField(max_length=32)"), "0002_product_sku")},
         before="0002_product_sku", migrate=NOT_NULL,
         findings={"DM205": ("0003_alter_product_sku", "migrations.AlterField(")}),
    Case("alter_after_backfill", {**NULLABLE_SKU, "0003_alter_product_sku": BACKFILL},
         before="0002_product_sku", probe_sql=[]),
    Case("alter_with_default", {**NULLABLE_SKU, "0003_alter_product_sku": after(
        alter_sku('models.CharField(default="n/a", max_length=32)'), "0002_product_sku")},
         before="0002_product_sku", probe_sql=[]),
    # -- DM206: the previous release reads what is gone ---------------------------------
    Case("remove_field", {"0002_remove_product_name": after(
        'migrations.RemoveField(model_name="product", name="name")')},
         probe_sql=["SELECT name FROM {app}_product"], probe=NO_COLUMN,
         findings={"DM206": ("0002_remove_product_name", "migrations.RemoveField(")}),
    Case("rename_field", {"0002_rename": after(
        'migrations.RenameField(model_name="product", old_name="name", new_name="title")')},
         probe_sql=["SELECT name FROM {app}_product"], probe=NO_COLUMN,
         findings={"DM206": ("0002_rename", "migrations.RenameField(")}),
    # -- DM207: today's model class against yesterday's table ---------------------------
    Case("run_python_import", {
        "0002_touch": DATA_MIGRATION.replace("{lookup}", "from {app}.models import Product"),
        "0003_product_sku": after(add_sku('models.CharField(default="", max_length=32)'),
                                  "0002_touch"),
    }, migrate=NO_COLUMN, probe_sql=[],
         findings={"DM207": ("0002_touch", "migrations.RunPython("),
                   "DM204": ("0003_product_sku", ADD_FIELD)},
         extra_files={"models.py": PRODUCT_MODELS}),
    Case("run_python_get_model", {
        "0002_touch": DATA_MIGRATION.replace(
            "{lookup}", 'Product = apps.get_model("{app}", "Product")'),
        "0003_product_sku": after(add_sku('models.CharField(default="", max_length=32)'),
                                  "0002_touch"),
    }, probe_sql=[], findings={"DM204": ("0003_product_sku", ADD_FIELD)},
         extra_files={"models.py": PRODUCT_MODELS}),
]  # fmt: skip


def project_files(cases: list[Case]) -> dict[str, str]:
    files: dict[str, str] = {}
    for case in cases:
        ops = "\n".join(op.format(id=ID) for op in case.initial_ops)
        sources = {"0001_initial": migration(initial=True, ops=ops), **case.migrations}
        sources = {name: source.replace("{app}", case.app) for name, source in sources.items()}
        files.update(app_migrations(case.app, sources))
        for name, content in case.extra_files.items():
            files[f"{case.app}/{name}"] = content.replace("{app}", case.app)
    return files


@dataclass
class Run:
    root: Path
    backend: str
    outcomes: dict[str, Outcome]
    analysis: Analysis


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    backend = request.param
    settings = ""
    if backend == "postgresql":
        cluster: Cluster = request.getfixturevalue("postgres")
        settings = cluster.django_settings(cluster.create_database())
    files = project_files(CASES)
    root = make_project(tmp_path_factory.mktemp(backend), files, extra_settings=settings)
    scenarios = [
        Scenario(
            case.app,
            case.before,
            [sql.replace("{app}", case.app) for sql in case.setup],
            [sql.replace("{app}", case.app) for sql in case.probe_sql],
        )
        for case in CASES
    ]
    outcomes = run_scenarios(root, scenarios)
    assert {outcome.vendor for outcome in outcomes.values()} == {backend}
    return Run(root, backend, outcomes, analyze_workspace(root))


Positions = dict[str, list[tuple[str, int, int]]]


def found(run: Run, app: str) -> Positions:
    """This app's DM203 to DM207 findings: code → [(migration, line, column)]."""
    result: Positions = {}
    for finding in run.analysis.findings:
        relative = finding.path.relative_to(run.root)
        if finding.code in CODES and relative.parts[0] == app:
            result.setdefault(finding.code, []).append(
                (relative.stem, finding.span.start_line, finding.span.start_col)
            )
    return result


def expected(run: Run, case: Case) -> Positions:
    result = {}
    for code, (name, needle) in case.findings.items():
        lines = (run.root / case.app / "migrations" / f"{name}.py").read_text().splitlines()
        number = next(i for i, line in enumerate(lines) if needle in line)
        result[code] = [(name, number, lines[number].index(needle))]
    return result


@pytest.mark.parametrize("case", CASES, ids=[case.app for case in CASES])
def test_migrate_on_a_populated_table_and_what_djmig_reports(run: Run, case: Case) -> None:
    outcome = run.outcomes[case.app]
    if case.migrate is None:
        assert outcome.migrate_error is None, outcome.migrate_error
    else:
        assert outcome.migrate_error is not None, "migrate was expected to fail"
        assert case.migrate[run.backend] in outcome.migrate_error, outcome.migrate_error
    if case.probe is None:
        assert outcome.probe_error is None, outcome.probe_error
    else:
        assert outcome.probe_error is not None, "the previous release was expected to fail"
        assert case.probe[run.backend] in outcome.probe_error, outcome.probe_error
    assert found(run, case.app) == expected(run, case)


def test_no_rule_failed(run: Run) -> None:
    assert not [n for n in run.analysis.notices if "failed" in str(n)]


def test_dm203_names_the_column_and_the_table_and_points_at_the_model(run: Run) -> None:
    (finding,) = [
        f for f in run.analysis.findings if f.code == "DM203" and "add_foreign_key" in str(f.path)
    ]
    assert "'sku_id'" in finding.message
    assert "'add_foreign_key_product'" in finding.message
    (related,) = finding.related
    assert related.path.name == "0001_initial.py"
    assert related.message == "Product is created here"


CIRCLE_A = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)
    favourite = models.ForeignKey("circle_b.Book", on_delete=models.CASCADE, related_name="+")
"""
CIRCLE_B = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=50)
    author = models.ForeignKey("circle_a.Author", on_delete=models.CASCADE)
"""


def test_initial_migration_split_by_makemigrations_adds_to_no_existing_table(
    tmp_path: Path,
) -> None:
    """Foreign keys in a circle between two apps: ``makemigrations`` writes one app's
    initial migration in two, the second adding the NOT NULL foreign key to the table the
    first created (``initial = True`` on both; Django 1.7 wrote the second without it, as
    ``0002_auto_<timestamp>``). No database has that table without its second half: not
    DM203. A foreign key added the same way by a later migration is."""
    from models_oracle import makemigrations

    root = make_project(
        tmp_path,
        {
            "circle_a/models.py": CIRCLE_A,
            "circle_a/migrations/__init__.py": "",
            "circle_b/models.py": CIRCLE_B,
            "circle_b/migrations/__init__.py": "",
        },
        installed_apps=["circle_a", "circle_b"],
    )
    makemigrations(root)
    (second,) = [p for p in root.glob("circle_*/migrations/0002_*.py")]
    text = second.read_text(encoding="utf-8")
    assert "initial = True" in text and "migrations.AddField(" in text
    assert codes(analyze_workspace(root)) == []
    # As Django 1.7 wrote it: no ``initial``, named by the time it was made.
    assert not any(second.stem in p.read_text() for p in root.glob("*/migrations/0*.py"))
    second.unlink()
    second = second.with_name("0002_auto_20140827_1705.py")
    second.write_text(text.replace("    initial = True\n", ""), encoding="utf-8")
    assert codes(analyze_workspace(root)) == []
    app = second.parent.parent.name
    model = "author" if app == "circle_a" else "book"
    (second.parent / "0003_later.py").write_text(
        migration(
            [(app, second.stem)],
            ops=f'migrations.AddField(model_name="{model}", name="editor", field='
            'models.ForeignKey("auth.User", on_delete=models.CASCADE))',
        ),
        encoding="utf-8",
    )
    assert codes(analyze_workspace(root)) == ["DM203"]


def codes(analysis: Analysis) -> list[str]:
    return sorted(f.code for f in analysis.findings if f.code in CODES)
