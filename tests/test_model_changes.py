"""DM401 against real ``makemigrations --check --dry-run``, and its fix against ``migrate``.

One project whose migrations real ``makemigrations`` writes once (module fixture): a
custom user model on ``AbstractUser``, a ``models/`` package with an abstract base (also
the base of a model of another app), a proxy, relations across apps and to the user model,
Meta options, indexes, constraints.
djmig must find nothing there. Then edits of ``models.py``, each checked against Django's
verdict on a copy of the project: the same operations (descriptions, in order) and the
same migration name; after the "Create migration" fix is applied on disk,
``makemigrations --check`` must find nothing and ``migrate`` must succeed.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from djmig.analysis import Workspace
from djmig.fixes import fixes_for
from djmig.rules import Finding
from helpers import make_project
from models_oracle import Verdict, makemigrations, makemigrations_check

ACCOUNTS = """\
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    nickname = models.CharField(max_length=40, blank=True)
"""

SHOP = """\
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blog.models import TimeStamped

SIZES = [("s", "Small"), ("m", "Medium")]


def default_code():
    return "x"


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField()

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Coupon(models.Model):
    code = models.CharField(max_length=12, primary_key=True)
    percent = models.PositiveSmallIntegerField(default=10)


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True)
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=20, default=default_code)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    size = models.CharField(max_length=1, choices=SIZES, default="s")
    added = models.DateTimeField(default=timezone.now)
    tags = models.ManyToManyField("Tag", blank=True)

    objects = models.Manager()

    class Meta:
        unique_together = ("category", "name")
        indexes = [models.Index(fields=["name"], name="product_name_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="price_positive"),
        ]


class Tag(models.Model):
    label = models.CharField(max_length=30)


class Review(TimeStamped):
    stars = models.PositiveSmallIntegerField(default=5)
"""

BLOG_INIT = """\
from .base import TimeStamped
from .posts import Post, PublishedPost

__all__ = ["Post", "PublishedPost", "TimeStamped"]
"""

BLOG_BASE = """\
from django.db import models


class TimeStamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created"]
"""

BLOG_POSTS = """\
from django.conf import settings
from django.db import models

from .base import TimeStamped


class Post(TimeStamped):
    title = models.CharField(max_length=120)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    category = models.ForeignKey("shop.Category", on_delete=models.CASCADE, null=True)


class PublishedPost(Post):
    class Meta:
        proxy = True
"""

INSTALLED = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "accounts",
    "shop",
    "blog",
]


def write_models(root: Path, path: str, text: str) -> None:
    (root / path).write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, its migrations written by real ``makemigrations``."""
    root = make_project(
        tmp_path_factory.mktemp("dm401"),
        {
            "accounts/models.py": ACCOUNTS,
            "accounts/migrations/__init__.py": "",
            "shop/models.py": SHOP,
            "shop/migrations/__init__.py": "",
            "blog/models/__init__.py": BLOG_INIT,
            "blog/models/base.py": BLOG_BASE,
            "blog/models/posts.py": BLOG_POSTS,
            "blog/migrations/__init__.py": "",
        },
        installed_apps=INSTALLED,
        extra_settings='AUTH_USER_MODEL = "accounts.User"\n',
    )
    makemigrations(root)
    return root


@pytest.fixture
def project(synced: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "project"
    shutil.copytree(synced, copy)
    yield copy


def dm401(root: Path) -> list[Finding]:
    workspace = Workspace(root)
    workspace.load()
    analysis = workspace.analyze()
    return [f for f in analysis.findings if f.code == "DM401"]


def app_of(finding: Finding) -> str:
    """The app of a finding in a models module (``app/models.py``, ``app/models/x.py``)."""
    parent = finding.path.parent
    return parent.parent.name if parent.name == "models" else parent.name


def descriptions(findings: list[Finding], app_label: str) -> list[str]:
    return [f.message.split(": no migration")[0] for f in findings if app_of(f) == app_label]


def migration_name_of(finding: Finding) -> str:
    return finding.message.rsplit("/", 1)[1].removesuffix(".py)")


def apply_create_fix(root: Path, finding: Finding) -> list[Path]:
    """Apply the finding's "Create migration" fix on disk; the files it created."""
    workspace = Workspace(root)
    workspace.load()
    source = finding.path.read_text(encoding="utf-8")
    fixes = [f for f in fixes_for(finding, source, workspace) if f.title.startswith("Create")]
    assert fixes, f"no Create migration fix for {finding.message}"
    created = []
    for edit in fixes[0].edits:
        assert edit.create
        edit.path.write_text("".join(e.new_text for e in edit.edits), encoding="utf-8")
        created.append(edit.path)
    return created


def assert_agrees(verdict: Verdict, findings: list[Finding]) -> None:
    report = f"Django:\n{verdict.output}\ndjmig:\n" + "\n".join(
        f"  {f.path.name}:{f.span.start_line + 1} {f.message}" for f in findings
    )
    assert bool(findings) == verdict.changes, report
    if verdict.status == 1:
        for app_label in set(verdict.apps) | {app_of(f) for f in findings}:
            # Findings are sorted by position; the migration name says the order.
            expected = sorted(verdict.descriptions(app_label))
            assert sorted(descriptions(findings, app_label)) == expected, report
            names = verdict.names(app_label)
            mine = {migration_name_of(f) for f in findings if app_of(f) == app_label}
            if names and not names[0].split("_", 1)[1].startswith("auto_"):
                assert mine == {names[0]}, report
                written = {f.message.rsplit("would write ", 1)[1][:-1] for f in findings}
                assert verdict.files(app_label)[0] in written, report


def test_project_written_by_makemigrations_has_no_dm401(synced: Path) -> None:
    assert dm401(synced) == []


SLUG = "    slug = models.SlugField()\n"
LABEL = "    label = models.CharField(max_length=30)\n"
UPDATED = "    updated = models.DateTimeField(auto_now=True)\n"
#: edit → (file, text replaced, replacement)
EDITS = {
    "add_field": (
        "shop/models.py",
        SLUG,
        SLUG + "    sku = models.CharField(max_length=32, blank=True)\n",
    ),
    "defaults_spelled_out_are_no_change": (
        "shop/models.py",
        SLUG,
        '    slug = models.SlugField(max_length=50, db_index=True, null=False, help_text="")\n',
    ),
    "remove_and_alter": (
        "shop/models.py",
        "    code = models.CharField(max_length=20, default=default_code)\n"
        "    price = models.DecimalField(max_digits=10, decimal_places=2)\n",
        "    price = models.DecimalField(max_digits=12, decimal_places=2)\n",
    ),
    "new_model_with_relations": (
        "shop/models.py",
        "class Tag(models.Model):\n",
        "class Review(models.Model):\n"
        "    product = models.ForeignKey(Product, on_delete=models.CASCADE)\n"
        "    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
        "    stars = models.PositiveSmallIntegerField(default=5)\n\n\n"
        "class Tag(models.Model):\n",
    ),
    "meta_options": (
        "shop/models.py",
        '        ordering = ["name"]\n',
        '        ordering = ("name",)\n        db_table = "shop_categories"\n',
    ),
    "index_renamed_and_added": (
        "shop/models.py",
        '        indexes = [models.Index(fields=["name"], name="product_name_idx")]\n',
        "        indexes = [\n"
        '            models.Index(fields=["name"], name="product_title_idx"),\n'
        '            models.Index(fields=["name", "price"], name="product_np_idx"),\n'
        "        ]\n",
    ),
    "unique_together_removed": (
        "shop/models.py",
        '        unique_together = ("category", "name")\n',
        "",
    ),
    "not_null_field": ("shop/models.py", LABEL, LABEL + "    rank = models.IntegerField()\n"),
    "model_with_a_uuid_primary_key": (
        "shop/models.py",
        "class Tag(models.Model):\n",
        "class Voucher(models.Model):\n"
        "    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)\n"
        "    value = models.IntegerField(default=0)\n\n\n"
        "class Tag(models.Model):\n",
    ),
    "new_model_and_an_index_of_another": (
        "shop/models.py",
        "class Tag(models.Model):\n",
        "class Review(models.Model):\n"
        "    product = models.ForeignKey(Product, on_delete=models.CASCADE)\n\n\n"
        "class Tag(models.Model):\n",
    ),
    "primary_key_changed": (
        "shop/models.py",
        "    code = models.CharField(max_length=12, primary_key=True)\n",
        "    code = models.CharField(max_length=16, primary_key=True)\n",
    ),
    "abstract_base_field": (
        "blog/models/base.py",
        UPDATED,
        UPDATED + "    revision = models.PositiveIntegerField(default=1)\n",
    ),
    "field_of_a_model_on_another_apps_base": (
        "shop/models.py",
        "    stars = models.PositiveSmallIntegerField(default=5)\n",
        "    stars = models.PositiveSmallIntegerField(default=4)\n",
    ),
    "user_model_field": ("accounts/models.py", "blank=True)\n", "blank=True, default='')\n"),
    "proxy_model_added": (
        "blog/models/posts.py",
        "class PublishedPost(Post):\n",
        "class FeaturedPost(Post):\n    class Meta:\n        proxy = True\n\n\n"
        "class PublishedPost(Post):\n",
    ),
    "relation_to_a_new_model_of_another_app": (
        "blog/models/posts.py",
        "    title = models.CharField(max_length=120)\n",
        "    title = models.CharField(max_length=120)\n"
        '    topic = models.ForeignKey("shop.Topic", on_delete=models.SET_NULL, null=True)\n',
    ),
    "delete_proxy_model": (
        "blog/models/posts.py",
        "class PublishedPost(Post):\n    class Meta:\n        proxy = True\n",
        "",
    ),
}

#: edit → more replacements of the same kind
ALSO = {
    "new_model_and_an_index_of_another": [
        (
            "shop/models.py",
            '        verbose_name_plural = "categories"\n',
            '        verbose_name_plural = "categories"\n'
            '        indexes = [models.Index(fields=["slug"], name="category_slug_idx")]\n',
        ),
    ],
    "relation_to_a_new_model_of_another_app": [
        (
            "shop/models.py",
            "class Tag(models.Model):\n",
            "class Topic(models.Model):\n    name = models.CharField(max_length=20)\n\n\n"
            "class Tag(models.Model):\n",
        ),
    ],
    "proxy_model_added": [("blog/models/__init__.py", "Post, ", "FeaturedPost, Post, ")],
    "delete_proxy_model": [("blog/models/__init__.py", ", PublishedPost", "")],
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_edit_agrees_with_makemigrations_and_fix_migrates(project: Path, edit: str) -> None:
    path, old, new = EDITS[edit]
    text = (project / path).read_text(encoding="utf-8")
    assert old in text
    write_models(project, path, text.replace(old, new))
    for path, old, new in ALSO.get(edit, []):
        text = (project / path).read_text(encoding="utf-8")
        write_models(project, path, text.replace(old, new))
    verdict = makemigrations_check(project)
    findings = dm401(project)
    assert_agrees(verdict, findings)
    # One app's fix at a time: a relation to another app's new model gets its fix once
    # that model has a migration.
    for _ in range(3):
        if not findings:
            break
        fixable = [f for f in findings if any(d["fix"] == "create-migration" for d in f.fixes)]
        assert fixable, [f.message for f in findings]
        apply_create_fix(project, fixable[0])
        findings = dm401(project)
    after = makemigrations_check(project, migrate=True)
    assert after.status == 0, after.output
    assert after.migrate_error is None
    assert dm401(project) == []


BEAT_MODELS = """\
from django.db import models


class Tasks(models.Model):
    ident = models.SmallIntegerField(default=1, primary_key=True, unique=True)
    event = models.CharField(max_length=24)
    latitude = models.IntegerField()

    class Meta:
        unique_together = ("event", "latitude")
"""

BEAT_MIGRATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Tasks",
            fields=[
                (
                    "ident",
                    models.SmallIntegerField(default=1, primary_key=True{serialize}, unique=True),
                ),
                ("event", models.CharField(max_length=24)),
                ("latitude", models.IntegerField()),
            ],
        ),
        migrations.AlterUniqueTogether(
            name="tasks",
            unique_together=set([("event", "latitude")]),
        ),
    ]
"""


@pytest.mark.parametrize("serialize", [", serialize=False", ""], ids=["in sync", "pk serialized"])
def test_hand_written_migration_of_an_older_django(tmp_path: Path, serialize: str) -> None:
    """django-celery-beat's migrations, written by hand for Django 1.9: ``set([...])`` for
    ``unique_together`` is the same constraint; a primary key the migration leaves
    serialized is an ``AlterField`` for makemigrations (``Options.setup_pk``)."""
    root = make_project(
        tmp_path,
        {
            "beat/models.py": BEAT_MODELS,
            "beat/migrations/__init__.py": "",
            "beat/migrations/0001_initial.py": BEAT_MIGRATION.format(serialize=serialize),
        },
        installed_apps=["beat"],
    )
    verdict = makemigrations_check(root)
    findings = dm401(root)
    assert_agrees(verdict, findings)
    assert verdict.changes == (serialize == "")


TRICKY_MODELS = """\
import decimal
import uuid

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import UpperCaseField
from .other import Elsewhere

KINDS = {"a": "Alpha", "b": "Beta"}


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LIVE = "live", _("Live")


class ProductQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status=Status.LIVE)


class Describable:
    def describe(self):
        return str(self)


class Member(AbstractUser):
    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Item(Describable, models.Model):
    code = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    label = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    kind = models.CharField(max_length=1, choices=KINDS, blank=True)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=decimal.Decimal("0.00"))
    stock = models.IntegerField(validators=[MinValueValidator(0), MaxValueValidator(999)])
    owner = models.ForeignKey("Member", models.SET_NULL, null=True, db_index=False)
    twin = models.OneToOneField("self", on_delete=models.CASCADE, null=True, blank=True)
    other = models.ForeignKey(Elsewhere, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(unique=True, db_index=True, max_length=50)
    email = models.EmailField(max_length=254, verbose_name=_("e-mail"))

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-price"]
        unique_together = (("kind", "label"),)
        constraints = [
            models.UniqueConstraint(fields=["kind", "price"], name="item_kind_price"),
            models.CheckConstraint(check=models.Q(stock__lte=999), name="item_stock"),
        ]
        indexes = [models.Index(fields=("label",), name="item_label_idx")]


class Note(models.Model):
    body = models.TextField(help_text=_("the note"))
    tag = UpperCaseField(max_length=20)
    item = models.ForeignKey(Item, models.CASCADE)

    class Meta:
        ordering = [models.F("id").desc(nulls_last=True)]
"""

FIELDS_PY = """\
from django.db import models


class UpperCaseField(models.CharField):
    def get_prep_value(self, value):
        return super().get_prep_value(value).upper()
"""

OTHER_PY = """\
from django.db import models


class Elsewhere(models.Model):
    name = models.CharField(max_length=10)
"""


def test_models_djmig_cannot_fully_read_are_never_reported(tmp_path: Path) -> None:
    """Custom fields, ``TextChoices``, a queryset manager, a model defined outside the
    models module, expressions in Meta, a swappable user model inheriting ``Meta``:
    ``makemigrations`` wrote the migrations, so no DM401 — and none either after an edit
    djmig cannot see (a custom field's argument), which Django does report."""
    root = make_project(
        tmp_path,
        {
            "store/models.py": TRICKY_MODELS,
            "store/fields.py": FIELDS_PY,
            "store/other.py": OTHER_PY,
            "store/migrations/__init__.py": "",
        },
        installed_apps=["django.contrib.auth", "django.contrib.contenttypes", "store"],
        extra_settings='AUTH_USER_MODEL = "store.Member"\n',
    )
    makemigrations(root)
    assert makemigrations_check(root).status == 0
    assert dm401(root) == []
    models = root / "store/models.py"
    edited = TRICKY_MODELS.replace("UpperCaseField(max_length=20)", "UpperCaseField(max_length=3)")
    models.write_text(edited)
    assert makemigrations_check(root).status == 1
    assert dm401(root) == []
    # The same value spelled differently is no change; a real one on the readable model is.
    edited = TRICKY_MODELS.replace('Decimal("0.00")', 'Decimal("0")')
    models.write_text(edited.replace("max_length=1, choices", "max_length=2, choices"))
    verdict = makemigrations_check(root)
    assert verdict.descriptions("store") == ["Alter field kind on item"]
    assert descriptions(dm401(root), "store") == ["Alter field kind on item"]


SWAPPABLE_ONLY = """\
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
    operations = []
"""


def test_initial_migration_of_a_custom_user_model_is_the_one_makemigrations_writes(
    tmp_path: Path,
) -> None:
    """An app with an empty migrations package whose model is the ``AUTH_USER_MODEL``
    (another app depends on it through ``swappable_dependency``): DM401 "Create model User";
    the fix writes, below its header line, the file ``makemigrations`` writes, inherited
    ``AbstractUser`` fields, ``auth`` dependency and ``UserManager`` included."""
    root = make_project(
        tmp_path,
        {
            "accounts/models.py": ACCOUNTS,
            "accounts/migrations/__init__.py": "",
            "notes/migrations/__init__.py": "",
            "notes/migrations/0001_initial.py": SWAPPABLE_ONLY,
        },
        installed_apps=[*INSTALLED[:3], "notes"],
        extra_settings='AUTH_USER_MODEL = "accounts.User"\n',
    )
    django_copy = tmp_path / "django"
    shutil.copytree(root, django_copy)
    makemigrations(django_copy)
    findings = dm401(root)
    assert [(f.path.name, f.span.start_line, f.message.split(":")[0]) for f in findings] == [
        ("models.py", 4, "Create model User")
    ]
    [created] = apply_create_fix(root, findings[0])
    expected = django_copy / "accounts/migrations/0001_initial.py"
    assert created.name == expected.name
    assert created.read_text().split("\n", 1)[1] == expected.read_text().split("\n", 1)[1]
    after = makemigrations_check(root, migrate=True)
    assert after.status == 0, after.output
    assert after.migrate_error is None


LIBRARY_BEFORE = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
"""

LIBRARY_AFTER = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)


class Shelf(models.Model):
    label = models.CharField(max_length=10)
    owner = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="shelves")


class Legacy(models.Model):
    code = models.CharField(max_length=5)
    author = models.ForeignKey(Author, on_delete=models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "legacy"
"""


def test_created_deleted_and_unmanaged_models_give_the_file_makemigrations_writes(
    tmp_path: Path,
) -> None:
    """A model created with a relation, an unmanaged one, a deleted one with a relation,
    an added field: the operations in makemigrations' order (its name says so) and, below
    the header line, the same file."""
    root = make_project(
        tmp_path, {"library/models.py": LIBRARY_BEFORE, "library/migrations/__init__.py": ""}
    )
    makemigrations(root)
    (root / "library/models.py").write_text(LIBRARY_AFTER)
    django_copy = tmp_path / "django"
    shutil.copytree(root, django_copy)
    makemigrations(django_copy)
    [expected] = sorted((django_copy / "library/migrations").glob("0002_*.py"))
    findings = dm401(root)
    assert {migration_name_of(f) for f in findings} == {expected.stem}
    [created] = apply_create_fix(root, findings[0])
    assert created.name == expected.name
    assert created.read_text().split("\n", 1)[1] == expected.read_text().split("\n", 1)[1]
    after = makemigrations_check(root, migrate=True)
    assert (after.status, after.migrate_error) == (0, None), after.output


def test_a_projects_own_makemigrations_command_turns_dm401_off(project: Path) -> None:
    """pretix's ``makemigrations`` ignores some field attributes: what a project's own
    command writes cannot be known, so DM401 says nothing (and a note says why)."""
    path = project / "shop/models.py"
    write_models(project, "shop/models.py", path.read_text().replace(SLUG, SLUG + LABEL + "\n"))
    assert dm401(project)
    command = project / "shop/management/commands/makemigrations.py"
    command.parent.mkdir(parents=True)
    command.write_text(
        "from django.core.management.commands.makemigrations import Command as Base\n\n\n"
        "class Command(Base):\n    pass\n",
        encoding="utf-8",
    )
    workspace = Workspace(project)
    workspace.load()
    analysis = workspace.analyze()
    assert [f for f in analysis.findings if f.code == "DM401"] == []
    assert any(n.path == command and "DM401" in n.message for n in analysis.notices)


VENDOR_MIGRATION = """\
from django.db import connection, migrations, models


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]

    if connection.vendor == "postgresql":
        operations = [
            migrations.AddField("note", "body", models.TextField(null=True, db_comment="x")),
        ]
    else:
        operations = [migrations.AddField("note", "body", models.TextField(null=True))]
    operations.append(migrations.AddField("note", "done", models.BooleanField(default=False)))
"""


def test_operations_decided_at_import_are_not_guessed(tmp_path: Path) -> None:
    """wagtail's search migrations choose their operations by database vendor in the class
    body: what Django replays is decided at import, so djmig reads the app's state from
    there on as unknown instead of as no operations (which made DM401 report the fields
    as never added)."""
    root = make_project(
        tmp_path,
        {
            "notes/models.py": (
                "from django.db import models\n\n\nclass Note(models.Model):\n"
                "    title = models.CharField(max_length=20)\n"
                "    body = models.TextField(null=True)\n"
                "    done = models.BooleanField(default=False)\n"
            ),
            "notes/migrations/__init__.py": "",
            "notes/migrations/0001_initial.py": (
                "from django.db import migrations, models\n\n\n"
                "class Migration(migrations.Migration):\n    initial = True\n"
                "    dependencies = []\n    operations = [\n        migrations.CreateModel(\n"
                '            name="Note",\n            fields=[\n'
                '                ("id", models.AutoField(auto_created=True, primary_key=True, '
                'serialize=False, verbose_name="ID")),\n'
                '                ("title", models.CharField(max_length=20)),\n'
                "            ],\n        ),\n    ]\n"
            ),
            "notes/migrations/0002_body.py": VENDOR_MIGRATION,
        },
        installed_apps=["notes"],
        extra_settings='DEFAULT_AUTO_FIELD = "django.db.models.AutoField"\n',
    )
    verdict = makemigrations_check(root)
    assert verdict.status == 0, verdict.output
    assert dm401(root) == []
    workspace = Workspace(root)
    workspace.load()
    second = workspace.migrations[next(k for k in workspace.migrations if k.name == "0002_body")]
    assert second.operations_complete is False


def test_an_edit_of_another_apps_base_class_updates_the_apps_that_import_it(
    project: Path,
) -> None:
    """An editor buffer of ``blog/models/base.py`` adding a field: DM401 in blog (``Post``)
    and in shop (``Review``, whose base it is) at once, as ``makemigrations`` says; closing
    the buffer takes both back."""
    base = project / "blog/models/base.py"
    workspace = Workspace(project)
    workspace.load()
    assert [f for f in workspace.analyze().findings if f.code == "DM401"] == []
    original = base.read_text(encoding="utf-8")
    edited = original.replace(
        UPDATED, UPDATED + "    revision = models.PositiveIntegerField(default=1)\n"
    )
    workspace.update_file(base, edited)
    findings = [f for f in workspace.analyze().findings if f.code == "DM401"]
    write_models(project, "blog/models/base.py", edited)
    assert_agrees(makemigrations_check(project), findings)
    write_models(project, "blog/models/base.py", original)
    assert sorted(descriptions(findings, "shop")) == ["Add field revision to review"]
    workspace.update_file(base, None)
    assert [f for f in workspace.analyze().findings if f.code == "DM401"] == []


def test_the_file_named_is_in_the_apps_migrations_package(tmp_path: Path) -> None:
    """An app nested in another package, with a label of its own (``wiki.plugins.
    attachments``, label ``wiki_attachments``), its model on an abstract base of the outer
    app: the file DM401 names is where ``makemigrations`` writes it."""
    root = make_project(
        tmp_path,
        {
            "wiki/models.py": BLOG_BASE,
            "wiki/migrations/__init__.py": "",
            "wiki/plugins/attachments/apps.py": (
                "from django.apps import AppConfig\n\n\nclass AttachmentsConfig(AppConfig):\n"
                '    name = "wiki.plugins.attachments"\n    label = "wiki_attachments"\n'
            ),
            "wiki/plugins/attachments/models.py": (
                "from django.db import models\n\nfrom wiki.models import TimeStamped\n\n\n"
                "class Attachment(TimeStamped):\n    name = models.CharField(max_length=20)\n"
            ),
            "wiki/plugins/attachments/migrations/__init__.py": "",
        },
        installed_apps=["wiki", "wiki.plugins.attachments"],
    )
    makemigrations(root)
    models = root / "wiki/plugins/attachments/models.py"
    text = models.read_text(encoding="utf-8")
    write_models(
        root,
        "wiki/plugins/attachments/models.py",
        text + "    size = models.IntegerField(default=0)\n",
    )
    verdict = makemigrations_check(root)
    findings = dm401(root)
    (written,) = verdict.files("wiki_attachments")
    assert written == "wiki/plugins/attachments/migrations/0002_attachment_size.py"
    assert [f.message for f in findings] == [
        f"{verdict.descriptions('wiki_attachments')[0]}: no migration for this change "
        f"(makemigrations would write {written})"
    ]


def test_models_imported_by_the_app_config_are_not_taken_for_deleted(tmp_path: Path) -> None:
    """label-studio's ``fsm`` app defines its models in ``state_models.py``, which its
    ``AppConfig.ready`` imports: ``makemigrations`` sees them, djmig does not read them,
    and must not report them deleted."""
    root = make_project(
        tmp_path,
        {
            "fsm/models.py": BLOG_BASE,
            "fsm/state_models.py": (
                "from django.db import models\n\nfrom .models import TimeStamped\n\n\n"
                "class TaskState(TimeStamped):\n    state = models.CharField(max_length=20)\n"
            ),
            "fsm/signals.py": "def on_save(sender, **kwargs):\n    pass\n",
            "fsm/apps.py": (
                "from django.apps import AppConfig\n\n\nclass FsmConfig(AppConfig):\n"
                '    name = "fsm"\n\n    def ready(self):\n'
                "        from . import signals, state_models  # noqa: F401\n"
            ),
            "fsm/migrations/__init__.py": "",
        },
        installed_apps=["fsm"],
    )
    makemigrations(root)
    assert (root / "fsm/migrations/0001_initial.py").read_text().count("CreateModel") == 1
    assert makemigrations_check(root).status == 0
    assert dm401(root) == []


def test_a_base_class_in_another_module_of_the_app(tmp_path: Path) -> None:
    """drf-api-tracking's models derive from ``base_models.BaseAPIRequestLog``: a module of
    the app that is not its models module. The base is read, and an editor buffer of that
    module re-runs DM401 as ``makemigrations`` sees the change; closing it takes it back."""
    abstract = BLOG_BASE.replace("class TimeStamped", "class Logged")
    root = make_project(
        tmp_path,
        {
            "tracking/base_models.py": abstract,
            "tracking/models.py": (
                "from django.db import models\n\nfrom .base_models import Logged\n\n\n"
                "class Request(Logged):\n    path = models.CharField(max_length=200)\n"
            ),
            "tracking/migrations/__init__.py": "",
        },
        installed_apps=["tracking"],
    )
    makemigrations(root)
    workspace = Workspace(root)
    workspace.load()
    assert [f for f in workspace.analyze().findings if f.code == "DM401"] == []
    base = root / "tracking/base_models.py"
    assert workspace.tracks(base)
    edited = abstract.replace(UPDATED, UPDATED + "    status = models.IntegerField(default=200)\n")
    workspace.update_file(base, edited)
    findings = [f for f in workspace.analyze().findings if f.code == "DM401"]
    write_models(root, "tracking/base_models.py", edited)
    verdict = makemigrations_check(root)
    assert [f.message for f in findings] == [
        f"{verdict.descriptions('tracking')[0]}: no migration for this change "
        f"(makemigrations would write {verdict.files('tracking')[0]})"
    ]
    write_models(root, "tracking/base_models.py", abstract)
    workspace.update_file(base, None)
    assert [f for f in workspace.analyze().findings if f.code == "DM401"] == []


def test_a_model_under_python_2_unicode_compatible(tmp_path: Path) -> None:
    """django-background-tasks still decorates its models with six's
    ``python_2_unicode_compatible``, which returns the class as it is on Python 3."""
    root = make_project(
        tmp_path,
        {
            "six.py": "def python_2_unicode_compatible(klass):\n    return klass\n",
            "jobs/models.py": (
                "from django.db import models\nfrom six import python_2_unicode_compatible\n\n\n"
                "@python_2_unicode_compatible\nclass Job(models.Model):\n"
                "    name = models.CharField(max_length=20)\n"
            ),
            "jobs/migrations/__init__.py": "",
        },
        installed_apps=["jobs"],
    )
    makemigrations(root)
    assert dm401(root) == []
    text = (root / "jobs/models.py").read_text(encoding="utf-8")
    write_models(root, "jobs/models.py", text + "    runs = models.IntegerField(default=0)\n")
    assert_agrees(makemigrations_check(root), dm401(root))
    assert [f.message.split(":")[0] for f in dm401(root)] == ["Add field runs to job"]


def test_the_name_is_hedged_when_a_model_of_the_app_cannot_be_read(tmp_path: Path) -> None:
    """django-categories' ``Category`` (MPTT) is unreadable: its changes would be in the
    migration too, and in its name, so DM401 says the name it predicts may differ. A custom
    manager or queryset class is no such model."""
    root = make_project(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/bases.py": BLOG_BASE,  # no app: djmig does not read it
            "shop/models.py": (
                "from django.db import models\n\nfrom lib.bases import TimeStamped\n\n\n"
                "class ItemQuerySet(models.QuerySet):\n    def live(self):\n"
                "        return self.filter(live=True)\n\n\n"
                "class Node(TimeStamped):\n    pass\n\n\n"
                "class Item(models.Model):\n    live = models.BooleanField(default=True)\n\n"
                "    objects = ItemQuerySet.as_manager()\n"
            ),
            "shop/migrations/__init__.py": "",
        },
        installed_apps=["shop"],
    )
    makemigrations(root)
    text = (root / "shop/models.py").read_text(encoding="utf-8")
    write_models(root, "shop/models.py", text + "    rank = models.IntegerField(default=0)\n")
    verdict = makemigrations_check(root)
    (written,) = verdict.files("shop")
    assert [f.message for f in dm401(root)] == [
        f"Add field rank to item: no migration for this change (makemigrations would write "
        f"{written}, or another name if models djmig cannot read changed too)"
    ]


def test_class_attributes_computed_from_constants_are_plain_attributes(tmp_path: Path) -> None:
    """django-background-tasks' ``Task`` has ``DAILY = 24 * HOURLY``: an operation without
    a call is no field, so the model is read, and a new field is reported."""
    root = make_project(
        tmp_path,
        {
            "jobs/models.py": (
                "from django.db import models\n\nHOURLY = 3600\n\n\n"
                "class Job(models.Model):\n    DAILY = 24 * HOURLY\n    WEEKLY = DAILY * 7\n"
                "    SOON = -1\n    LATE = DAILY > WEEKLY\n"
                "    name = models.CharField(max_length=20)\n"
            ),
            "jobs/migrations/__init__.py": "",
        },
        installed_apps=["jobs"],
    )
    makemigrations(root)
    assert dm401(root) == []
    text = (root / "jobs/models.py").read_text(encoding="utf-8")
    write_models(root, "jobs/models.py", text + "    runs = models.IntegerField(default=0)\n")
    verdict = makemigrations_check(root)
    assert_agrees(verdict, dm401(root))
    assert [f.message.split(":")[0] for f in dm401(root)] == ["Add field runs to job"]
