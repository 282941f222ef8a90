"""Discovery of a workspace: which settings module, which apps under which labels, where
their migrations live, and the interpreter whose site-packages hold Django's own apps."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from django_oracle import django_verdict
from djmig.analysis import Analysis, analyze_workspace
from djmig.keys import MigrationKey
from helpers import app_migrations, make_project, migration

NOOP = "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)"
VENV = Path(sys.executable).parent.parent  # the test interpreter's virtual environment
NO_INTERPRETER = '[project]\nname = "proj"\nversion = "0"\n'
SHOP = app_migrations("shop", {"0001_initial": migration(ops=NOOP, initial=True)})


def codes(analysis: Analysis) -> list[str]:
    return sorted(f.code for f in analysis.findings)


def labels(analysis: Analysis) -> set[str]:
    """Labels of the migrated apps of the workspace (not of site-packages)."""
    return {
        label
        for label, app in analysis.project.apps.items()
        if app.migrated and app.origin == "workspace"
    }


@pytest.fixture
def no_virtual_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


# -- settings module ------------------------------------------------------------------------


def test_settings_module_from_manage_py(tmp_path: Path) -> None:
    """manage.py names ``proj.settings``; a second settings.py elsewhere is not used."""
    files = {
        **SHOP,
        "proj/settings.py": 'INSTALLED_APPS = ["shop"]\n',
        "other/settings.py": 'INSTALLED_APPS = ["elsewhere"]\n',
    }
    root = make_project(tmp_path, files, installed_apps=["shop"])
    analysis = analyze_workspace(root)
    assert analysis.project.settings.path == root / "proj" / "settings.py"
    assert analysis.project.settings.module == "proj.settings"
    assert analysis.project.settings.installed_apps == ["shop"]


def test_settings_module_from_manage_py_using_environ_get(tmp_path: Path) -> None:
    root = make_project(tmp_path, {**SHOP, "conf/__init__.py": "", "conf/live.py": "X = 1\n"})
    (root / "manage.py").write_text(
        "import os\nos.environ['DJANGO_SETTINGS_MODULE'] = os.environ.get(\n"
        "    'DJANGO_SETTINGS_MODULE', 'conf.live'\n)\n"
    )
    assert analyze_workspace(root).project.settings.path == root / "conf" / "live.py"


def test_settings_module_from_pyproject(tmp_path: Path) -> None:
    files = {
        **SHOP,
        "config/__init__.py": "",
        "config/prod.py": 'INSTALLED_APPS = ["shop"]\n',
        "pyproject.toml": '[tool.djmig]\nsettings = "config.prod"\n',
    }
    root = make_project(tmp_path, files, installed_apps=["shop", "missing_app"])
    analysis = analyze_workspace(root)
    assert analysis.project.settings.path == root / "config" / "prod.py"
    assert analysis.project.settings.installed_apps == ["shop"]


def test_settings_file_path_from_pyproject(tmp_path: Path) -> None:
    files = {
        **SHOP,
        "deploy/settings_ci.py": 'INSTALLED_APPS = ["shop"]\n',
        "pyproject.toml": '[tool.djmig]\nsettings = "deploy/settings_ci.py"\n',
    }
    root = make_project(tmp_path, files)
    assert analyze_workspace(root).project.settings.path == root / "deploy" / "settings_ci.py"


def test_the_only_settings_py_without_manage_py(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, {**SHOP, "site_config/settings.py": 'INSTALLED_APPS = ["shop"]\n'}
    )
    (root / "manage.py").unlink()
    (root / "proj" / "settings.py").unlink()
    analysis = analyze_workspace(root)
    assert analysis.project.settings.path == root / "site_config" / "settings.py"
    assert analysis.project.settings.installed_apps == ["shop"]


def test_two_settings_py_and_no_hint_is_no_settings(tmp_path: Path) -> None:
    root = make_project(tmp_path, {**SHOP, "b/settings.py": 'INSTALLED_APPS = ["x"]\n'})
    (root / "manage.py").unlink()
    analysis = analyze_workspace(root)
    assert analysis.project.settings.path is None
    assert any("no settings module found" in str(n) for n in analysis.notices)
    assert labels(analysis) == {"shop"}


def test_manage_py_in_a_src_directory(tmp_path: Path) -> None:
    root = make_project(tmp_path, SHOP)
    (root / "src").mkdir()
    for name in ("manage.py", "proj", "shop"):
        (root / name).rename(root / "src" / name)
    analysis = analyze_workspace(root)
    assert analysis.project.settings.path == root / "src" / "proj" / "settings.py"
    assert analysis.project.apps["shop"].migrations_dir == root / "src" / "shop" / "migrations"


# -- apps and labels ----------------------------------------------------------------------


def test_app_label_from_apps_py(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        "shop/apps.py": (
            "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n"
            '    name = "shop"\n    label = "store"\n'
        ),
        **app_migrations(
            "orders",
            {
                "0001_initial": migration([("store", "0001_initial")]),
                "0002_second": migration([("orders", "0001_initial"), ("shop", "0001_initial")]),
            },
        ),
    }
    root = make_project(tmp_path, files)
    analysis = analyze_workspace(root)
    assert labels(analysis) == {"store", "orders"}
    assert MigrationKey("store", "0001_initial") in analysis.graph
    # ("shop", ...) names no installed app: Django's label is "store".
    dm104 = [f for f in analysis.findings if f.code == "DM104"]
    assert [f.path.name for f in dm104] == ["0002_second.py"]
    assert codes(analysis) == ["DM104"]


def test_app_config_marked_default_among_several(tmp_path: Path) -> None:
    """``AppConfig.create``: with several AppConfig subclasses in apps.py, the one with
    ``default = True`` is used, so the label is "store" (checked against Django)."""
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        "shop/apps.py": (
            "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n"
            '    default = True\n    name = "shop"\n    label = "store"\n\n\n'
            "class ShopDebugConfig(AppConfig):\n"
            '    name = "shop"\n    label = "shop_debug"\n'
        ),
        **app_migrations("orders", {"0001_initial": migration([("store", "0001_initial")])}),
    }
    root = make_project(tmp_path, files)
    verdict = django_verdict(root)
    assert verdict["error"] is None
    assert sorted(verdict["migrated_apps"]) == ["orders", "store"]
    analysis = analyze_workspace(root)
    assert labels(analysis) == {"store", "orders"}
    assert codes(analysis) == []


def test_app_config_class_in_installed_apps(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        "shop/apps.py": (
            "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n"
            '    name = "shop"\n    label = "store"\n'
        ),
        **app_migrations("orders", {"0001_initial": migration([("store", "0001_initial")])}),
    }
    root = make_project(tmp_path, files, installed_apps=["shop.apps.ShopConfig", "orders"])
    analysis = analyze_workspace(root)
    assert labels(analysis) == {"store", "orders"}
    assert codes(analysis) == []


STORE_CONFIG = (
    "from django.apps import AppConfig\n\n\nclass StoreConfig(AppConfig):\n"
    '    name = "shop"\n    label = "store"\n'
)


@pytest.mark.parametrize(
    ("modules", "label"),
    [
        pytest.param(  # wagtail.search: its config subclasses one imported from another module
            {
                "shop/base.py": STORE_CONFIG,
                "shop/apps.py": (
                    "from .base import StoreConfig\n\n\nclass ShopConfig(StoreConfig):\n"
                    '    default = True\n    label = "shop_main"\n'
                ),
            },
            "shop_main",
            id="subclass of an imported config, marked default",
        ),
        pytest.param(
            {
                "shop/base.py": STORE_CONFIG,
                "shop/apps.py": (
                    "from shop.base import StoreConfig as Base\n\n\n"
                    "class ShopConfig(Base):\n    default = True\n"
                ),
            },
            "store",
            id="label inherited from an imported base",
        ),
        pytest.param(  # the imported class is a candidate too: two, neither the default
            {
                "shop/base.py": STORE_CONFIG,
                "shop/apps.py": (
                    "from django.apps import AppConfig\n\nfrom .base import StoreConfig\n\n\n"
                    'class ShopConfig(AppConfig):\n    name = "shop"\n    label = "main"\n'
                ),
            },
            "shop",
            id="an imported config is a second candidate",
        ),
        pytest.param(
            {
                "shop/apps.py": (
                    "from django.apps import AppConfig\n\n\nclass Base(AppConfig):\n"
                    '    default = False\n    name = "shop"\n    label = "store"\n\n\n'
                    "class ShopConfig(Base):\n    pass\n"
                ),
            },
            "shop",
            id="default = False inherited",
        ),
        pytest.param(
            {
                "shop/apps.py": (
                    "from django.apps import AppConfig, apps\n"
                    "from django.utils.translation import gettext_lazy as _\n\n"
                    "from . import checks  # noqa: F401\n\n\n"
                    'class ShopConfig(AppConfig):\n    name = "shop"\n    label = "store"\n'
                    '    verbose_name = _("Shop")\n'
                ),
                "shop/checks.py": "",
            },
            "store",
            id="imports that are no configs (wagtail)",
        ),
    ],
)
def test_app_config_classes_as_app_config_create_finds_them(
    tmp_path: Path, modules: dict[str, str], label: str
) -> None:
    """``AppConfig.create`` looks at every class of the apps module, the imported ones
    too, with their attributes inherited: the label djmig reads is the one Django uses."""
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        **modules,
        **app_migrations("orders", {"0001_initial": migration([(label, "0001_initial")])}),
    }
    root = make_project(tmp_path, files, installed_apps=["shop", "orders"])
    verdict = django_verdict(root)
    assert verdict["error"] is None
    assert sorted(verdict["migrated_apps"]) == sorted([label, "orders"])
    analysis = analyze_workspace(root)
    assert labels(analysis) == {label, "orders"}
    assert analysis.project.closed
    assert codes(analysis) == []


def test_config_subclassing_an_unreadable_config_is_uncertain(
    tmp_path: Path, no_virtual_env: None
) -> None:
    """Its base lives in a package djmig cannot read (no interpreter): the label is not
    known for sure, so dependencies on apps it does not know are not reported."""
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        "shop/apps.py": (
            "from modelsearch.apps import ModelSearchAppConfig\n\n\n"
            "class ShopConfig(ModelSearchAppConfig):\n"
            '    name = "shop"\n    label = "store"\n    default = True\n'
        ),
        **app_migrations("orders", {"0001_initial": migration([("store", "0001_initial")])}),
        "pyproject.toml": NO_INTERPRETER,
    }
    analysis = analyze_workspace(make_project(tmp_path, files, installed_apps=["shop", "orders"]))
    assert labels(analysis) == {"store", "orders"}
    assert not analysis.project.closed
    assert codes(analysis) == []


def test_nested_app_label_is_the_last_component(tmp_path: Path) -> None:
    files = {
        **app_migrations("apps/shop", {"0001_initial": migration(ops=NOOP)}),
        **app_migrations("orders", {"0001_initial": migration([("shop", "0001_initial")])}),
    }
    root = make_project(tmp_path, files, installed_apps=["apps.shop", "orders"])
    analysis = analyze_workspace(root)
    assert analysis.project.apps["shop"].name == "apps.shop"
    assert codes(analysis) == []


def test_app_without_migrations_package_is_unmigrated(tmp_path: Path) -> None:
    files = {**SHOP, "plain/models.py": ""}
    root = make_project(tmp_path, files, installed_apps=["plain", "shop"])
    analysis = analyze_workspace(root)
    assert analysis.project.apps["plain"].migrated is False
    assert analysis.project.closed


def test_migrations_module_instead_of_package_is_unmigrated(tmp_path: Path) -> None:
    files = {**SHOP, "plain/migrations.py": "X = 1\n"}
    root = make_project(tmp_path, files, installed_apps=["plain", "shop"])
    assert analyze_workspace(root).project.apps["plain"].migrated is False


def test_apps_found_by_walking_when_installed_apps_is_unknown(tmp_path: Path) -> None:
    files = {
        **SHOP,
        **app_migrations("apps/orders", {"0001_initial": migration([("shop", "0001_initial")])}),
        "apps/__init__.py": "",
        "apps/orders/__init__.py": "",
        "node_modules/pkg/migrations/__init__.py": "",
        "node_modules/pkg/migrations/0001_initial.py": migration(ops="migrations.RunSQL('x')"),
        "notapp/migrations/0001_initial.py": migration(ops="migrations.RunSQL('x')"),
        # label-studio: tests of migrations in a package named ``migrations``, no app
        "shop/tests/__init__.py": "",
        "shop/tests/migrations/__init__.py": "",
        "shop/tests/migrations/test_cleanup.py": "def test_cleanup():\n    pass\n",
        # a test suite's app, with a deliberately conflicting history
        "tests/testapp/__init__.py": "",
        **app_migrations(
            "tests/testapp",
            {
                "0001_initial": migration(ops="migrations.RunSQL('x')"),
                "0002_a": migration([("testapp", "0001_initial")]),
                "0002_b": migration([("testapp", "0001_initial")]),
            },
        ),
        "tests/__init__.py": "",
        "proj/settings.py": "INSTALLED_APPS = get_apps()\n",
    }
    analysis = analyze_workspace(make_project(tmp_path, files))
    assert labels(analysis) == {"shop", "orders"}
    assert codes(analysis) == []


def test_migration_files_django_skips(tmp_path: Path) -> None:
    """``pkgutil.iter_modules`` minus names starting with ``_``/``~`` and packages."""
    files = app_migrations(
        "shop",
        {
            "0001_initial": migration(ops=NOOP),
            "_helpers": "X = 1\n",
            "~0002_backup": "X = 1\n",
        },
    )
    files["shop/migrations/README.md"] = "notes\n"
    files["shop/migrations/0003_data.json"] = "{}\n"
    files["shop/migrations/fixtures/__init__.py"] = "X = 1\n"
    files["shop/migrations/0004.backup.py"] = "X = 1\n"
    analysis = analyze_workspace(make_project(tmp_path, files))
    assert sorted(analysis.migrations) == [MigrationKey("shop", "0001_initial")]
    assert codes(analysis) == []


def test_walking_site_packages_finds_apps_but_not_djangos_migration_framework(
    tmp_path: Path,
) -> None:
    """With INSTALLED_APPS unknown, apps of site-packages are indexed too; the package
    ``django.db.migrations`` is Django's migration framework, not the migrations of an
    app "db": its modules (``autodetector``, ``loader``...) are no graph nodes."""
    files = {**SHOP, "proj/settings.py": "INSTALLED_APPS = get_apps()\n"}
    analysis = analyze_workspace(make_project(tmp_path, files))
    assert MigrationKey("auth", "0001_initial") in analysis.graph
    assert MigrationKey("db", "autodetector") not in analysis.graph
    assert not any(key.app_label == "db" for key in analysis.graph.nodes)


# -- interpreter and site-packages ----------------------------------------------------------

DJANGO_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]
AUTH_DEPS = {
    "0001_initial": migration(
        [("auth", "0012_alter_user_first_name_max_length"), ("contenttypes", "__latest__")],
        ops=NOOP,
    ),
    "0002_second": migration([("shop", "0001_initial"), ("auth", "0099_nope")], ops=NOOP),
}


def _auth_project(tmp_path: Path) -> Path:
    files = {**app_migrations("shop", AUTH_DEPS), "pyproject.toml": NO_INTERPRETER}
    return make_project(tmp_path, files, installed_apps=DJANGO_APPS)


def _assert_auth_resolved(analysis: Analysis) -> None:
    root = analysis.project.root
    assert analysis.project.apps["auth"].origin == "site-packages"
    assert MigrationKey("auth", "0012_alter_user_first_name_max_length") in analysis.graph
    assert analysis.graph.parents(MigrationKey("shop", "0001_initial")) == [
        MigrationKey("auth", "0012_alter_user_first_name_max_length"),
        MigrationKey("contenttypes", "0002_remove_content_type_name"),
    ]
    (finding,) = analysis.findings
    assert finding.code == "DM102"
    assert finding.path == root / "shop" / "migrations" / "0002_second.py"
    assert "auth.0099_nope" in finding.message


def test_dot_venv_symlink_to_the_real_venv(tmp_path: Path, no_virtual_env: None) -> None:
    root = _auth_project(tmp_path)
    os.symlink(VENV, root / ".venv")
    analysis = analyze_workspace(root)
    assert analysis.project.site_packages
    _assert_auth_resolved(analysis)


def test_venv_directory_named_venv(tmp_path: Path, no_virtual_env: None) -> None:
    root = _auth_project(tmp_path)
    os.symlink(VENV, root / "venv")
    _assert_auth_resolved(analyze_workspace(root))


def test_virtual_env_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(VENV))
    _assert_auth_resolved(analyze_workspace(_auth_project(tmp_path)))


def test_python_option_relative_to_the_project(tmp_path: Path, no_virtual_env: None) -> None:
    root = _auth_project(tmp_path)
    os.symlink(VENV, tmp_path / "shared-venv")
    (root / "pyproject.toml").write_text('[tool.djmig]\npython = "../shared-venv/bin/python"\n')
    _assert_auth_resolved(analyze_workspace(root))


def test_without_interpreter_dependencies_on_django_apps_are_unknown(
    tmp_path: Path, no_virtual_env: None
) -> None:
    analysis = analyze_workspace(_auth_project(tmp_path))
    assert analysis.project.site_packages == []
    assert not analysis.project.closed
    assert codes(analysis) == []


def test_workspace_config_of_an_installed_app(tmp_path: Path, no_virtual_env: None) -> None:
    """The admin customised the documented way: ``MyAdminConfig(AdminConfig)`` in
    INSTALLED_APPS is django.contrib.admin, label "admin", migrations in site-packages."""
    files = {
        "myadmin/__init__.py": "",
        "myadmin/apps.py": (
            "from django.contrib.admin.apps import AdminConfig\n\n\n"
            "class MyAdminConfig(AdminConfig):\n"
            '    default_site = "django.contrib.admin.sites.AdminSite"\n'
        ),
        **app_migrations(
            "shop",
            {
                "0001_initial": migration([("admin", "0003_logentry_add_action_flag_choices")]),
                "0002_second": migration([("shop", "0001_initial"), ("admin", "0099_nope")]),
            },
        ),
    }
    installed = [*DJANGO_APPS[:2], "myadmin.apps.MyAdminConfig", "shop"]
    root = make_project(tmp_path, files, installed_apps=installed)
    os.symlink(VENV, root / ".venv")
    verdict = django_verdict(root)
    assert verdict["error"]["type"] == "NodeNotFoundError"
    assert "admin" in verdict["migrated_apps"]
    analysis = analyze_workspace(root)
    assert analysis.project.apps["admin"].origin == "site-packages"
    assert analysis.project.closed
    assert MigrationKey("admin", "0003_logentry_add_action_flag_choices") in analysis.graph
    (finding,) = analysis.findings
    assert finding.code == "DM102"
    assert "admin.0099_nope" in finding.message


def test_a_folder_named_like_an_installed_package_does_not_hide_it(
    tmp_path: Path, no_virtual_env: None
) -> None:
    """photologue writes its uploads to ``<project>/photologue/``: a directory without
    ``__init__.py`` is only a namespace portion, and the regular package in site-packages
    is what Python imports (here ``django/contrib/admin/`` holding collected files)."""
    files = app_migrations(
        "shop",
        {
            "0001_initial": migration([("admin", "0003_logentry_add_action_flag_choices")]),
            "0002_second": migration([("shop", "0001_initial"), ("admin", "0099_nope")]),
        },
    )
    root = make_project(
        tmp_path, files, installed_apps=[*DJANGO_APPS[:2], "django.contrib.admin", "shop"]
    )
    os.symlink(VENV, root / ".venv")
    (root / "django/contrib/admin/img").mkdir(parents=True)
    (root / "django/contrib/admin/img/logo.svg").write_text("<svg/>")
    verdict = django_verdict(root)
    assert verdict["error"]["type"] == "NodeNotFoundError"
    assert "admin" in verdict["migrated_apps"]
    analysis = analyze_workspace(root)
    assert analysis.project.apps["admin"].origin == "site-packages"
    assert MigrationKey("admin", "0003_logentry_add_action_flag_choices") in analysis.graph
    (finding,) = analysis.findings
    assert finding.code == "DM102"
    assert "admin.0099_nope" in finding.message


def test_settings_star_importing_an_installed_packages_defaults(
    tmp_path: Path, no_virtual_env: None
) -> None:
    """django-oscar's documented settings start with ``from oscar.defaults import *``:
    that module is read from site-packages like a settings module of the project, so the
    settings stay known (and a dependency on an app that is not installed is DM104)."""
    site = ".venv/lib/python3.11/site-packages"
    files = {
        **SHOP,
        **app_migrations("orders", {"0001_initial": migration([("gone", "0001_initial")])}),
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        f"{site}/shopkit/__init__.py": "",
        f"{site}/shopkit/defaults.py": 'SHOPKIT_COLOR = "red"\nSHOPKIT_APPS = ["x"]\n',
        "pyproject.toml": NO_INTERPRETER,
    }
    root = make_project(
        tmp_path,
        files,
        installed_apps=["shop", "orders"],
        extra_settings="from shopkit.defaults import *  # noqa\n",
    )
    analysis = analyze_workspace(root)
    settings = analysis.project.settings
    assert settings.complete
    assert settings.get("SHOPKIT_COLOR") == "red"
    assert analysis.project.closed
    assert codes(analysis) == ["DM104"]


def test_site_packages_inside_the_project_are_not_reported(
    tmp_path: Path, no_virtual_env: None
) -> None:
    """A project-local ``.venv`` holds third-party code: djmig reads its migrations for
    the graph but reports only the workspace's own files."""
    site = ".venv/lib/python3.11/site-packages"
    files = {
        **SHOP,
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        f"{site}/thirdparty/__init__.py": "",
        **app_migrations(
            f"{site}/thirdparty",
            {
                "0001_initial": migration(ops="migrations.RunPython(forwards)"),
                "0002_a": migration([("thirdparty", "0001_initial")]),
                "0002_b": migration([("thirdparty", "0001_initial")]),
            },
        ),
        "pyproject.toml": NO_INTERPRETER,
    }
    root = make_project(tmp_path, files, installed_apps=["thirdparty", "shop"])
    analysis = analyze_workspace(root)
    assert analysis.project.apps["thirdparty"].origin == "site-packages"
    assert MigrationKey("thirdparty", "0001_initial") in analysis.graph
    assert codes(analysis) == []
    assert analysis.paths() == [root / "shop" / "migrations" / "0001_initial.py"]
