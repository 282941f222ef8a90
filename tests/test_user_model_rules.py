"""DM302 to DM305 against real ``migrate`` on fresh SQLite and PostgreSQL databases.

Two projects hold every scenario: ``bad`` creates the custom user model in the second
migration of its app (DM302), ``good`` creates it in the first one and has one app per
relation scenario (DM303, DM304), plus ``gone``, an app with migrations that is no longer
installed (DM305). Real Django first shows what happens — each ``migrate`` runs on a fresh
database of its own, one Django process per settings module runs them all — then djmig
must report the rule that names the failure at its position, and nothing where Django
succeeds.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django_oracle import django_verdict, manage, run_oracle
from djmig.analysis import Analysis, Workspace, analyze_workspace
from djmig.config import load_pyproject
from djmig.fixes import fixes_for
from djmig.fixes.edits import apply_text_edits
from djmig.rules import Finding
from helpers import app_migrations, make_project, migration
from postgres import Cluster

ID = '("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False))'
MEMBER = (
    f'migrations.CreateModel(name="Member", fields=[{ID}, '
    '("password", models.CharField(max_length=128)), '
    '("last_login", models.DateTimeField(blank=True, null=True))])'
)
MEMBER_MODELS = """\
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models


class Team(models.Model):
    pass


class Member(AbstractBaseUser):
    USERNAME_FIELD = "id"
"""
CONTRIB = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes"]
SETTINGS = 'AUTH_USER_MODEL = "accounts.Member"\n'
AUTH_0012 = ("auth", "0012_alter_user_first_name_max_length")
GOOD_REVIEW = f"""\
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("catalog", "0001_initial"),
    ]
    operations = [
        migrations.CreateModel(name="Tag", fields=[{ID}]),
        migrations.CreateModel(
            name="Review",
            fields=[
                {ID},
                ("author", models.ForeignKey(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL)),
                ("product", models.ForeignKey(on_delete=models.CASCADE, to="catalog.product")),
                ("products", models.ManyToManyField(related_name="+", to="catalog.Product")),
                ("parent", models.ForeignKey(null=True, on_delete=models.CASCADE, to="self")),
                ("tag", models.ForeignKey(null=True, on_delete=models.CASCADE, to="Tag")),
            ],
        ),
        migrations.AddField("tag", "review", models.ForeignKey(null=True, on_delete=models.CASCADE, to="good.review")),
        migrations.CreateModel(name="ReviewTag", fields=[{ID}, ("review", models.ForeignKey(on_delete=models.CASCADE, to="good.review")), ("tag", models.ForeignKey(on_delete=models.CASCADE, to="good.tag"))]),
        migrations.AddField("review", "tags", models.ManyToManyField(related_name="+", through="good.ReviewTag", to="good.tag")),
    ]
"""  # noqa: E501

#: The through model of ``Post.tags`` is created after ``Post``, in the same migration.
TAGGING = "\n".join([
    f'migrations.CreateModel(name="Tag", fields=[{ID}])',
    f'migrations.CreateModel(name="Post", fields=[{ID}, ("tags", models.ManyToManyField('
    'through="tagging.PostTag", to="tagging.tag"))])',
    f'migrations.CreateModel(name="PostTag", fields=[{ID}, '
    '("post", models.ForeignKey(on_delete=models.CASCADE, to="tagging.post")), '
    '("tag", models.ForeignKey(on_delete=models.CASCADE, to="tagging.tag"))])',
])  # fmt: skip


NOTES = f"""\
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]
    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[{ID}, ("author", models.ForeignKey(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL))],
        ),
    ]
"""  # noqa: E501


def _create(model: str, field: str = "") -> str:
    extra = f", {field}" if field else ""
    return f'migrations.CreateModel(name="{model}", fields=[{ID}{extra}])'


def bad_files() -> dict[str, str]:
    return {
        "accounts/models.py": MEMBER_MODELS,
        **app_migrations(
            "accounts",
            {
                "0001_initial": migration(ops=_create("Team"), initial=True),
                "0002_member": migration(deps=[("accounts", "0001_initial")], ops=MEMBER),
            },
        ),
    }


def good_files() -> dict[str, str]:
    fk = 'models.ForeignKey(on_delete=models.CASCADE, to="{}")'
    return {
        "accounts/models.py": MEMBER_MODELS,
        **app_migrations("accounts", {"0001_initial": migration(ops=MEMBER, initial=True)}),
        "catalog/models.py": "",
        **app_migrations(
            "catalog", {"0001_initial": migration(ops=_create("Product"))}
        ),
        "gone/__init__.py": "",
        "gone/models.py": "",
        **app_migrations("gone", {"0001_initial": migration(ops=_create("Widget"))}),
        "blog/models.py": "",
        **app_migrations(
            "blog",
            {
                "0001_initial": migration(
                    deps=[AUTH_0012], ops=_create("Post", f'("author", {fk.format("auth.user")})')
                )
            },
        ),
        "orders/models.py": "",
        **app_migrations(
            "orders",
            {
                "0001_initial": migration(
                    deps=[("accounts", "0001_initial")],
                    ops=_create("Order", f'("customer", {fk.format("accounts.member")})'),
                )
            },
        ),
        "shop/models.py": "",
        **app_migrations(
            "shop",
            {"0001_initial": migration(ops=_create("Cart", f'("item", {fk.format("catalog.product")})'))},  # noqa: E501
        ),
        "legacy/models.py": "",
        **app_migrations(
            "legacy",
            {"0001_initial": migration(ops=_create("Thing", f'("widget", {fk.format("gone.widget")})'))},  # noqa: E501
        ),
        "good/models.py": "",
        **app_migrations("good", {"0001_initial": GOOD_REVIEW}),
        "early/models.py": "",
        **app_migrations(
            "early",
            {"0001_initial": migration(ops="\n".join([
                _create("Line", f'("order", {fk.format("early.order")})'), _create("Order")
            ]))},
        ),
        "notes/models.py": "",
        **app_migrations("notes", {"0001_initial": NOTES}),
        "tagging/models.py": "",
        **app_migrations("tagging", {"0001_initial": migration(ops=TAGGING)}),
    }  # fmt: skip


GOOD_APPS = [
    *CONTRIB, "accounts", "blog", "catalog", "early", "good", "legacy", "notes", "orders",
    "shop", "tagging",
]  # fmt: skip

ORACLE = r"""
import dataclasses
import json
import re
import sys

import django

MARKER = sys.argv[1]
django.setup()
from django.core.management import call_command

results = []
for alias, args in json.loads(sys.stdin.read()):
    try:
        call_command("migrate", *args, database=alias, verbosity=0, interactive=False)
    except Exception as exc:
        results.append(f"{type(exc).__name__}: {exc}")
    else:
        results.append(None)
print(MARKER + json.dumps(results))
"""


def migrate_each(root: Path, settings: str, steps: list[tuple[str, list[str]]]) -> list[Any]:
    """Run ``migrate *args`` on database ``alias`` for each step, in one Django process
    with settings module ``settings``; the error of each (``None``: it worked)."""
    return list(
        run_oracle(ORACLE, root, "migrate oracle", timeout=300, stdin=steps, settings=settings)
    )


def databases(aliases: dict[str, Cluster | None]) -> str:
    """``DATABASES`` with a fresh database for each alias: SQLite when its cluster is None,
    else a new database of the PostgreSQL cluster."""
    entries = []
    for alias, cluster in aliases.items():
        if cluster is None:
            entry = {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{alias}.sqlite3"}
        else:
            entry = {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": cluster.create_database(),
                "USER": cluster.user,
                "HOST": str(cluster.socket_dir),
                "PORT": str(cluster.port),
            }
        entries.append(f"    {alias!r}: {entry!r},")
    return "DATABASES = {\n" + "\n".join(entries) + "\n}\n"


def write_settings(root: Path, name: str, body: str) -> str:
    (root / "proj" / f"{name}.py").write_text(f"from .settings import *  # noqa\n\n{body}")
    return f"proj.{name}"


@dataclass
class Run:
    backend: str
    bad: Path
    good: Path
    bad_analysis: Analysis
    good_analysis: Analysis
    results: dict[str, Any]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    backend = request.param
    cluster = request.getfixturevalue("postgres") if backend == "postgresql" else None
    base = tmp_path_factory.mktemp(backend)
    (base / "bad").mkdir()
    (base / "good").mkdir()
    bad = make_project(base / "bad", bad_files(), [*CONTRIB, "accounts"], SETTINGS)
    good = make_project(base / "good", good_files(), GOOD_APPS, SETTINGS)
    results: dict[str, Any] = {}
    steps = [("bad_admin", ["admin"])]
    module = write_settings(
        bad, "oracle", databases(dict.fromkeys(["default", "bad_admin"], cluster))
    )
    results.update(zip(("bad_admin",), migrate_each(bad, module, steps)))
    scenarios = {
        "admin": ["admin"], "blog": ["blog"], "orders": ["orders"], "shop": ["shop"],
        "legacy": ["legacy"], "good": ["good"], "all": [], "gone": ["gone"],
        "notes": ["notes"], "early": ["early"], "tagging": ["tagging"],
    }  # fmt: skip
    aliases = [*scenarios, "removed"]
    dbs = databases(dict.fromkeys(["default", *aliases], cluster))
    module = write_settings(good, "oracle", dbs)
    # ``gone`` was installed when legacy's migration was applied, then removed.
    before = write_settings(
        good, "oracle_before", dbs + 'INSTALLED_APPS = [*INSTALLED_APPS, "gone"]\n'
    )
    migrate_each(good, before, [("removed", ["gone"]), ("removed", ["legacy"])])
    steps = [(alias, args) for alias, args in scenarios.items()] + [("removed", [])]
    results.update(zip([*scenarios, "removed"], migrate_each(good, module, steps)))
    return Run(backend, bad, good, analyze_workspace(bad), analyze_workspace(good), results)


def positions(analysis: Analysis, root: Path, code: str) -> list[tuple[str, int, int]]:
    return [
        (f.path.relative_to(root).as_posix(), f.span.start_line, f.span.start_col)
        for f in analysis.findings
        if f.code == code
    ]


def at(root: Path, path: str, needle: str) -> tuple[str, int, int]:
    """``(path, line, column)`` of the first occurrence of ``needle`` in the file."""
    for number, line in enumerate((root / path).read_text().splitlines()):
        if needle in line:
            return path, number, line.index(needle)
    raise AssertionError(f"{needle!r} not in {path}")


def test_user_model_after_first_migration_fails_migrate_admin_and_is_dm302(run: Run) -> None:
    error = run.results["bad_admin"]
    assert error is not None and "Related model 'accounts.member' cannot be resolved" in error
    path = "accounts/migrations/0002_member.py"
    assert positions(run.bad_analysis, run.bad, "DM302") == [
        at(run.bad, path, "migrations.CreateModel")
    ]
    (finding,) = [f for f in run.bad_analysis.findings if f.code == "DM302"]
    assert "migrate admin" in finding.message
    assert [r.path.parts[-3:] for r in finding.related] == [
        ("admin", "migrations", "0001_initial.py")
    ]


def test_user_model_in_first_migration_migrates_and_is_not_dm302(run: Run) -> None:
    assert run.results["admin"] is None
    assert positions(run.good_analysis, run.good, "DM302") == []


def test_relation_to_swapped_out_auth_user_is_dm303(run: Run) -> None:
    error = run.results["blog"]
    if run.backend == "postgresql":
        assert error is not None and 'relation "auth_user" does not exist' in error
    else:
        assert error is None  # SQLite accepts a foreign key to a table that does not exist
    path = "blog/migrations/0001_initial.py"
    assert at(run.good, path, '"auth.user"') in positions(run.good_analysis, run.good, "DM303")


def test_literal_user_model_migrates_but_is_dm303(run: Run) -> None:
    assert run.results["orders"] is None
    assert run.results["notes"] is None
    assert sorted(positions(run.good_analysis, run.good, "DM303")) == [
        at(run.good, "blog/migrations/0001_initial.py", '"auth.user"'),
        at(run.good, "notes/migrations/0001_initial.py", '("accounts", "0001_initial")'),
        at(run.good, "orders/migrations/0001_initial.py", '"accounts.member"'),
    ]


def test_reference_to_a_model_not_yet_created_fails_migrate_and_is_dm304(run: Run) -> None:
    error = run.results["shop"]
    assert error is not None and "Related model 'catalog.product' cannot be resolved" in error
    found = positions(run.good_analysis, run.good, "DM304")
    assert at(run.good, "shop/migrations/0001_initial.py", '"catalog.product"') in found
    (finding,) = [
        f for f in run.good_analysis.findings if f.code == "DM304" and "shop" in f.message
    ]
    assert "shop.0001_initial does not depend on catalog.0001_initial" in finding.message
    assert [r.message for r in finding.related] == ["Product is created here"]


def test_reference_to_an_app_no_longer_installed_fails_migrate_and_is_dm304(run: Run) -> None:
    assert "Related model 'gone.widget' cannot be resolved" in (run.results["legacy"] or "")
    removed = run.results["removed"] or ""
    assert (
        "The field legacy.Thing.widget was declared with a lazy reference to 'gone.widget', "
        "but app 'gone' isn't installed." in removed
    )
    assert sorted(positions(run.good_analysis, run.good, "DM304")) == [
        at(run.good, "early/migrations/0001_initial.py", '"early.order"'),
        at(run.good, "legacy/migrations/0001_initial.py", '"gone.widget"'),
        at(run.good, "shop/migrations/0001_initial.py", '"catalog.product"'),
        at(run.good, "tagging/migrations/0001_initial.py", '"tagging.PostTag"'),
    ]
    (finding,) = [
        f for f in run.good_analysis.findings if "legacy" in str(f.path) and f.code == "DM304"
    ]
    assert finding.message.startswith(
        "The field legacy.Thing.widget was declared with a lazy reference to 'gone.widget', "
        "but app 'gone' isn't installed"
    )


def test_reference_to_a_model_created_later_in_the_migration_is_dm304(run: Run) -> None:
    assert "Related model 'early.order' cannot be resolved" in (run.results["early"] or "")
    (finding,) = [f for f in run.good_analysis.findings if f.path.parts[-3] == "early"]
    assert finding.message.startswith(
        "The field early.Line.order was declared with a lazy reference to 'early.order', "
        "but 'early.order' does not exist at this point of the graph"
    )


def test_through_model_created_after_its_field_fails_migrate_and_is_dm304(run: Run) -> None:
    assert "AttributeError: 'str' object has no attribute '_meta'" in (run.results["tagging"] or "")
    (finding,) = [f for f in run.good_analysis.findings if f.path.parts[-3] == "tagging"]
    assert finding.code == "DM304"
    assert finding.message.startswith(
        "The field tagging.Post.tags was declared with the through model 'tagging.posttag', "
        "but 'tagging.posttag' does not exist at this point of the graph"
    )
    assert finding.message.endswith(
        "a fresh `migrate tagging` fails with \"AttributeError: 'str' object has no "
        "attribute '_meta'\""
    )


def test_swappable_references_and_existing_models_migrate_and_are_silent(run: Run) -> None:
    assert run.results["good"] is None
    assert run.results["all"] is not None  # shop and legacy fail; good alone succeeds
    codes = {f.code for f in run.good_analysis.findings if f.path.parts[-3] == "good"}
    assert codes == set()


def test_app_with_migrations_not_installed_is_dm305_on_installed_apps(run: Run) -> None:
    assert run.results["gone"] == "CommandError: No installed app with label 'gone'."
    path = "proj/settings.py"
    assert positions(run.good_analysis, run.good, "DM305") == [at(run.good, path, "INSTALLED_APPS")]
    (finding,) = [f for f in run.good_analysis.findings if f.code == "DM305"]
    assert finding.message.startswith("App 'gone' has 1 migration(s) in gone/migrations")
    assert [r.path.name for r in finding.related] == ["0001_initial.py"]
    assert positions(run.bad_analysis, run.bad, "DM305") == []


def test_no_rule_failed(run: Run) -> None:
    for analysis in (run.bad_analysis, run.good_analysis):
        assert not [n for n in analysis.notices if "failed" in str(n)]


# -- the fix --------------------------------------------------------------------------------


def dm303(analysis: Analysis, app: str) -> Finding:
    (finding,) = [f for f in analysis.findings if f.code == "DM303" and f.path.parts[-3] == app]
    return finding


def test_fix_uses_the_swappable_setting_and_django_migrates_it(
    tmp_path: Path, postgres: Cluster
) -> None:
    root = make_project(tmp_path, good_files(), GOOD_APPS, SETTINGS)
    analysis = analyze_workspace(root)
    for app in ("orders", "blog", "notes"):
        finding = dm303(analysis, app)
        source = finding.path.read_text()
        (fix,) = [f for f in fixes_for(finding, source, analysis) if "AUTH_USER_MODEL" in f.title]
        assert fix.applicability == ("unsafe" if app == "blog" else "safe")
        (edit,) = fix.edits
        finding.path.write_text(apply_text_edits(source, edit.edits))
    orders = (root / "orders/migrations/0001_initial.py").read_text()
    assert "from django.conf import settings\nfrom django.db import" in orders
    assert "        migrations.swappable_dependency(settings.AUTH_USER_MODEL),\n" in orders
    assert '("accounts", "0001_initial")' not in orders
    assert "to=settings.AUTH_USER_MODEL" in orders
    blog = (root / "blog/migrations/0001_initial.py").read_text()
    assert "('auth', '0012_alter_user_first_name_max_length')," in blog
    assert "migrations.swappable_dependency(settings.AUTH_USER_MODEL)," in blog
    notes = (root / "notes/migrations/0001_initial.py").read_text()
    assert notes == NOTES.replace(
        '("accounts", "0001_initial")', "migrations.swappable_dependency(settings.AUTH_USER_MODEL)"
    )
    verdict = django_verdict(root)
    assert verdict["error"] is None, verdict["error"]
    assert ["accounts", "0001_initial"] in [
        parent for parent, child in verdict["edges"] if child == ["orders", "0001_initial"]
    ]
    after = analyze_workspace(root)
    assert [f for f in after.findings if f.code == "DM303"] == []
    module = write_settings(
        root, "oracle", databases({"default": None, "lite": None, "pg": postgres})
    )
    steps = [(alias, [app]) for alias in ("lite", "pg") for app in ("orders", "blog", "notes")]
    assert migrate_each(root, module, steps) == [None] * 6


def test_fix_in_the_user_model_app_keeps_its_dependencies(tmp_path: Path) -> None:
    fk = 'models.ForeignKey(null=True, on_delete=models.CASCADE, to="accounts.Member")'
    files = good_files()
    files["accounts/migrations/0002_member_sponsor.py"] = migration(
        deps=[("accounts", "0001_initial")], ops=f'migrations.AddField("member", "sponsor", {fk})'
    )
    root = make_project(tmp_path, files, GOOD_APPS, SETTINGS)
    analysis = analyze_workspace(root)
    finding = dm303(analysis, "accounts")
    source = finding.path.read_text()
    (fix,) = [f for f in fixes_for(finding, source, analysis) if "AUTH_USER_MODEL" in f.title]
    fixed = apply_text_edits(source, fix.edits[0].edits)
    assert "swappable_dependency" not in fixed
    assert "('accounts', '0001_initial')," in fixed
    assert "to=settings.AUTH_USER_MODEL" in fixed


def test_literal_default_user_model_is_dm303_and_swappable_false_is_not(tmp_path: Path) -> None:
    fk = 'models.ForeignKey(on_delete=models.CASCADE, to="auth.User"{})'
    files = app_migrations(
        "blog",
        {
            "0001_initial": migration(
                deps=[AUTH_0012],
                ops=_create("Post", f'("author", {fk.format("")}), ("editor", {fk.format(", swappable=False")})'),  # noqa: E501
            )
        },
    )  # fmt: skip
    root = make_project(
        tmp_path, files, ["django.contrib.auth", "django.contrib.contenttypes", "blog"]
    )
    analysis = analyze_workspace(root)
    path = "blog/migrations/0001_initial.py"
    assert positions(analysis, root, "DM303") == [at(root, path, '"auth.User")')]
    (finding,) = analysis.findings
    assert finding.message.startswith("blog.Post.author points at the user model")


def test_unknown_auth_user_model_or_installed_apps_keep_dm303_dm304_silent(tmp_path: Path) -> None:
    files = good_files()
    root = make_project(
        tmp_path, files, GOOD_APPS,
        'import os\nAUTH_USER_MODEL = os.environ["USER_MODEL"]\n'
        'INSTALLED_APPS += os.environ["MORE"].split()\n',
    )  # fmt: skip
    analysis = analyze_workspace(root)
    codes = {f.code for f in analysis.findings}
    assert codes.isdisjoint({"DM302", "DM303"})
    # Every app with migrations is analysed: "gone" is one, but legacy does not depend on it.
    assert sorted(positions(analysis, root, "DM304")) == [
        at(root, "early/migrations/0001_initial.py", '"early.order"'),
        at(root, "legacy/migrations/0001_initial.py", '"gone.widget"'),
        at(root, "shop/migrations/0001_initial.py", '"catalog.product"'),
        at(root, "tagging/migrations/0001_initial.py", '"tagging.PostTag"'),
    ]


# -- DM301 ----------------------------------------------------------------------------------


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def switched_project(tmp_path: Path) -> tuple[Path, str, str]:
    """A project whose settings switch to ``accounts.Member``: (root, before, after)."""
    files = {
        "accounts/models.py": MEMBER_MODELS,
        **app_migrations("accounts", {"0001_initial": migration(ops=MEMBER, initial=True)}),
    }
    root = make_project(tmp_path, files, [*CONTRIB, "accounts"], SETTINGS)
    after = (root / "proj/settings.py").read_text()
    before = after.replace("    'accounts',\n", "").replace(SETTINGS, "")
    return root, before, after


def test_auth_user_model_switched_after_migrate_is_dm301(tmp_path: Path, postgres: Cluster) -> None:
    root, before, after = switched_project(tmp_path)
    settings = root / "proj/settings.py"
    settings.write_text(before)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    settings.write_text(after)
    dbs = databases({"default": None, "lite": None, "pg": postgres})
    first = write_settings(
        root, "oracle_before",
        dbs + 'INSTALLED_APPS.remove("accounts")\nAUTH_USER_MODEL = "auth.User"\n',
    )  # fmt: skip
    assert migrate_each(root, first, [("lite", []), ("pg", [])]) == [None, None]
    errors = migrate_each(root, write_settings(root, "oracle", dbs), [("lite", []), ("pg", [])])
    for error in errors:
        assert error is not None and error.startswith(
            "InconsistentMigrationHistory: Migration admin.0001_initial is applied before its "
            "dependency accounts.0001_initial"
        ), error
    analysis = analyze_workspace(root)
    assert positions(analysis, root, "DM301") == [at(root, "proj/settings.py", "AUTH_USER_MODEL =")]
    (finding,) = [f for f in analysis.findings if f.code == "DM301"]
    assert "the committed settings (git HEAD) have AUTH_USER_MODEL = 'auth.User'" in finding.message
    assert "admin.0001_initial" in finding.message
    assert "SeparateDatabaseAndState" in finding.message


def test_auth_user_model_switched_after_migrate_is_dm301_from_the_database(
    tmp_path: Path, postgres: Cluster
) -> None:
    root, _, _ = switched_project(tmp_path)  # no git: the database is the evidence
    dbs = databases({"default": None, "pg": postgres})
    first = write_settings(
        root, "oracle_before",
        dbs + 'INSTALLED_APPS.remove("accounts")\nAUTH_USER_MODEL = "auth.User"\n',
    )  # fmt: skip
    assert migrate_each(root, first, [("default", []), ("pg", [])]) == [None, None]
    pg = re.search(r"'NAME': '(djmig_\w+)'", dbs)
    assert pg is not None
    urls = [
        f"sqlite:///{root / 'default.sqlite3'}",
        f"postgresql://{postgres.user}@/{pg.group(1)}?host={postgres.socket_dir}",
    ]
    for url in urls:
        config = dataclasses.replace(load_pyproject(root)[0], database=url)
        analysis = analyze_workspace(root, config, database=True)
        assert positions(analysis, root, "DM301") == [
            at(root, "proj/settings.py", "AUTH_USER_MODEL =")
        ], url
        (finding,) = [f for f in analysis.findings if f.code == "DM301"]
        assert (
            "the database applied admin.0001_initial before accounts.0001_initial"
            in finding.message
        )
    assert positions(analyze_workspace(root), root, "DM301") == []  # no database read


def test_auth_user_model_as_committed_or_outside_git_is_silent(tmp_path: Path) -> None:
    (tmp_path / "git").mkdir()
    (tmp_path / "plain").mkdir()
    root, _, _ = switched_project(tmp_path / "git")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    plain, _, _ = switched_project(tmp_path / "plain")
    for project in (root, plain):
        assert positions(analyze_workspace(project), project, "DM301") == []
        module = write_settings(project, "oracle", databases({"default": None}))
        assert migrate_each(project, module, [("default", [])]) == [None]


def test_migrations_creating_another_user_model_are_dm301(tmp_path: Path) -> None:
    user = MEMBER.replace('name="Member"', 'name="User"').replace(
        "])", '], managers=[("objects", django.contrib.auth.models.UserManager())])'
    )
    files = {
        "accounts/models.py": MEMBER_MODELS,
        **app_migrations(
            "accounts",
            {"0001_initial": "import django.contrib.auth.models\n"
                             + migration(ops=f"{user}\n{MEMBER}")},
        ),
    }  # fmt: skip
    root = make_project(tmp_path, files, [*CONTRIB, "accounts"], SETTINGS)
    analysis = analyze_workspace(root)
    (finding,) = [f for f in analysis.findings if f.code == "DM301"]
    assert "accounts.User is created as a user model" in finding.message
    proxy = user.replace(
        "managers=", 'options={"proxy": True}, bases=("accounts.member",), managers='
    )
    migration_file = root / "accounts/migrations/0001_initial.py"
    migration_file.write_text(migration_file.read_text().replace(user, proxy))
    assert [f for f in analyze_workspace(root).findings if f.code == "DM301"] == []


# -- DM304 in models modules ------------------------------------------------------------------

SHOP_MODELS = """\
from django.db import models


class Order(models.Model):
    pass


class Line(models.Model):
    order = models.ForeignKey("Order", on_delete=models.CASCADE)
    parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE)
    coupon = models.ForeignKey(to="catalog.Coupon", null=True, on_delete=models.CASCADE)
    basket = models.ForeignKey("orders.Basket", null=True, on_delete=models.CASCADE)
    invoice = models.OneToOneField("orders.Invoice", null=True, on_delete=models.CASCADE)
    tags = models.ManyToManyField("orders.Tag")
"""
ORDERS_MODELS = """\
from django.db import models


class Invoice(models.Model):
    pass


class Tag(models.Model):
    pass
"""


def test_lazy_reference_in_models_fails_the_checks_and_is_dm304(tmp_path: Path) -> None:
    files = {"shop/models.py": SHOP_MODELS, "orders/models.py": ORDERS_MODELS}
    root = make_project(
        tmp_path, files, ["django.contrib.contenttypes", "django.contrib.auth", "shop", "orders"]
    )
    completed = manage(root, "check", timeout=120)
    assert completed.returncode == 1
    e307 = sorted(line for line in completed.stderr.splitlines() if "fields.E307" in line)
    assert e307 == [
        "shop.Line.basket: (fields.E307) The field shop.Line.basket was declared with a lazy "
        "reference to 'orders.basket', but app 'orders' doesn't provide model 'basket'.",
        "shop.Line.coupon: (fields.E307) The field shop.Line.coupon was declared with a lazy "
        "reference to 'catalog.coupon', but app 'catalog' isn't installed.",
    ]
    analysis = analyze_workspace(root)
    path = "shop/models.py"
    assert sorted(positions(analysis, root, "DM304")) == [
        at(root, path, '"catalog.Coupon"'),
        at(root, path, '"orders.Basket"'),
    ]
    messages = sorted(f.message for f in analysis.findings if f.code == "DM304")
    assert messages[0].startswith(
        "The field shop.Line.basket was declared with a lazy reference to 'orders.basket', "
        "but app 'orders' doesn't provide model 'basket'"
    )
    assert "but app 'catalog' isn't installed" in messages[1]


THROUGH_MODELS = """\
from django.db import models


class Tag(models.Model):
    pass


class Post(models.Model):
    tags = models.ManyToManyField(Tag, through="PostTag")
    links = models.ManyToManyField("shop.Tag", through="catalog.Link", related_name="+")
    pins = models.ManyToManyField(Tag, through="shop.Pin", related_name="+")


class Pin(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
"""


def test_through_model_missing_in_models_fails_the_checks_and_is_dm304(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"shop/models.py": THROUGH_MODELS},
        ["django.contrib.contenttypes", "django.contrib.auth", "shop"],
    )
    completed = manage(root, "check", timeout=120)
    assert completed.returncode == 1
    errors = sorted(
        re.sub(r"0x[0-9a-f]+", "0x", line.partition(": ")[2])
        for line in completed.stderr.splitlines()
        if "models.E022" in line or "fields.E331" in line
    )
    function = "<function ManyToManyField.contribute_to_class.<locals>.resolve_through_model at 0x>"
    assert errors == [
        "(fields.E331) Field specifies a many-to-many relation through model 'PostTag', which "
        "has not been installed.",
        "(fields.E331) Field specifies a many-to-many relation through model 'catalog.Link', "
        "which has not been installed.",
        f"(models.E022) {function} contains a lazy reference to catalog.link, but app "
        "'catalog' isn't installed.",
        f"(models.E022) {function} contains a lazy reference to shop.posttag, but app 'shop' "
        "doesn't provide model 'posttag'.",
    ]
    analysis = analyze_workspace(root)
    path = "shop/models.py"
    assert sorted(positions(analysis, root, "DM304")) == [
        at(root, path, '"PostTag"'),
        at(root, path, '"catalog.Link"'),
    ]
    messages = sorted(f.message for f in analysis.findings if f.code == "DM304")
    assert messages == [
        "The field shop.Post.links was declared with the through model 'catalog.link', but "
        "app 'catalog' isn't installed (models.E022, fields.E331: every management command "
        "fails its system checks)",
        "The field shop.Post.tags was declared with the through model 'shop.posttag', but "
        "app 'shop' doesn't provide model 'posttag' (models.E022, fields.E331: every "
        "management command fails its system checks)",
    ]


def test_dm301_and_dm304_in_models_follow_unsaved_edits(tmp_path: Path) -> None:
    root, _, after = switched_project(tmp_path)
    (root / "shop").mkdir()
    (root / "shop/__init__.py").write_text("")
    (root / "shop/models.py").write_text(ORDERS_MODELS)
    settings_path = root / "proj/settings.py"
    settings_path.write_text(after.replace("    'accounts',\n", "    'accounts',\n    'shop',\n"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    # The fixture's models and migrations differ on purpose: DM401 is not what this is about.
    config, _ = load_pyproject(root)
    config.ignore.append("DM401")
    workspace = Workspace(root, config)
    workspace.load()
    assert workspace.analyze().findings == []
    text = settings_path.read_text()
    assert workspace.update_file(settings_path, text.replace('"accounts.Member"', '"auth.User"'))
    analysis = workspace.analyze()
    assert settings_path in analysis.changed
    assert [f.code for f in analysis.by_path[settings_path]] == ["DM301"]
    assert "git HEAD" in analysis.by_path[settings_path][0].message
    assert workspace.update_file(settings_path, text)
    assert settings_path not in workspace.analyze().by_path
    models = root / "shop/models.py"
    label = '    tag = models.ForeignKey("shop.Label", on_delete=models.CASCADE)'
    broken = f"{ORDERS_MODELS}\n\nclass Note(models.Model):\n{label}\n"
    assert workspace.update_file(models, broken)
    (finding,) = workspace.analyze().by_path[models]
    assert (finding.code, finding.span.start_line) == (
        "DM304",
        broken.splitlines().index(
            '    tag = models.ForeignKey("shop.Label", on_delete=models.CASCADE)'
        ),
    )
    assert workspace.update_file(models, ORDERS_MODELS)
    assert models not in workspace.analyze().by_path


def test_user_model_after_first_migration_without_swappable_dependents_is_silent(
    tmp_path: Path,
) -> None:
    apps = ["django.contrib.auth", "django.contrib.contenttypes", "accounts"]
    root = make_project(tmp_path, bad_files(), apps, SETTINGS)
    assert positions(analyze_workspace(root), root, "DM302") == []
    module = write_settings(root, "oracle", databases({"default": None}))
    assert migrate_each(root, module, [("default", [])]) == [None]


def test_renaming_a_model_refreshes_dm304_in_the_models_of_other_apps(tmp_path: Path) -> None:
    shop = SHOP_MODELS.replace("catalog.Coupon", "orders.Tag").replace(
        "orders.Basket", "orders.Tag"
    )
    files = {"shop/models.py": shop, "orders/models.py": ORDERS_MODELS}
    root = make_project(
        tmp_path, files, ["django.contrib.contenttypes", "django.contrib.auth", "shop", "orders"]
    )
    config, _ = load_pyproject(root)
    config.ignore.append("DM401")  # no migrations in this project: not what this is about
    workspace = Workspace(root, config)
    workspace.load()
    assert positions(workspace.analyze(), root, "DM304") == []
    orders = root / "orders/models.py"
    renamed = ORDERS_MODELS.replace("class Invoice(", "class Bill(")
    assert workspace.update_file(orders, renamed)
    analysis = workspace.analyze()
    assert positions(analysis, root, "DM304") == [at(root, "shop/models.py", '"orders.Invoice"')]
    assert root / "shop/models.py" in analysis.changed
    # Typing inside a class body of orders does not re-run the rules of shop.
    shop_findings = workspace._app_findings["shop"]
    workspace.update_file(
        orders,
        renamed.replace(
            "class Tag(models.Model):\n    pass", "class Tag(models.Model):\n    name = 1"
        ),
    )
    assert workspace._app_findings.get("shop") is shop_findings
    assert workspace.update_file(orders, ORDERS_MODELS)
    analysis = workspace.analyze()
    assert positions(analysis, root, "DM304") == []
    assert root / "shop/models.py" in analysis.changed
