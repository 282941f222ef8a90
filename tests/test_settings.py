"""Static reading of settings modules: what is a literal is known, the rest is unknown.

Each test writes a settings module, runs the analysis and looks at what djmig made of
``INSTALLED_APPS``, ``DATABASES``, ``AUTH_USER_MODEL`` and ``MIGRATION_MODULES``, and at
the findings that depend on them (DM104 is only reported when ``INSTALLED_APPS`` is
completely known).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from djmig.analysis import Analysis, analyze_workspace
from djmig.index.values import is_unknown
from djmig.keys import MigrationKey
from helpers import app_migrations, make_project, migration

NOOP = "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)"

#: Two apps of the workspace; ``shop`` depends on ``ghost``, an app nobody installs.
APPS = {
    **app_migrations("shop", {"0001_initial": migration([("ghost", "0001_initial")], ops=NOOP)}),
    **app_migrations("orders", {"0001_initial": migration([("shop", "0001_initial")], ops=NOOP)}),
}


def analyze_settings(
    tmp_path: Path, settings: str, extra: dict[str, str] | None = None
) -> Analysis:
    files = {**APPS, "proj/settings.py": textwrap.dedent(settings), **(extra or {})}
    return analyze_workspace(make_project(tmp_path, files))


def installed(analysis: Analysis) -> list[str]:
    return analysis.project.settings.installed_apps


def codes(analysis: Analysis) -> list[str]:
    return sorted(f.code for f in analysis.findings)


def notices(analysis: Analysis) -> list[str]:
    return [str(n) for n in analysis.notices]


# -- INSTALLED_APPS ---------------------------------------------------------------------------


def test_installed_apps_as_a_list(tmp_path: Path) -> None:
    analysis = analyze_settings(tmp_path, 'INSTALLED_APPS = ["shop", "orders"]\n')
    assert installed(analysis) == ["shop", "orders"]
    assert analysis.project.closed
    assert codes(analysis) == ["DM104"]


def test_installed_apps_as_a_tuple(tmp_path: Path) -> None:
    analysis = analyze_settings(tmp_path, 'INSTALLED_APPS = ("shop", "orders")\n')
    assert installed(analysis) == ["shop", "orders"]
    assert codes(analysis) == ["DM104"]


def test_installed_apps_concatenated(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        """
        DJANGO_APPS = ["django.contrib.contenttypes"]
        LOCAL_APPS = ["shop"] + ["orders"]
        INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS
        """,
    )
    assert installed(analysis) == ["django.contrib.contenttypes", "shop", "orders"]
    assert codes(analysis) == ["DM104"]


def test_installed_apps_tuples_concatenated(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        'THIRD = ("django.contrib.contenttypes",)\nINSTALLED_APPS = THIRD + ("shop", "orders")\n',
    )
    assert installed(analysis) == ["django.contrib.contenttypes", "shop", "orders"]


def test_installed_apps_with_star_unpacking(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path, 'LOCAL = ["shop", "orders"]\nINSTALLED_APPS = ["django.contrib.auth", *LOCAL]\n'
    )
    assert installed(analysis) == ["django.contrib.auth", "shop", "orders"]


def test_installed_apps_extended_in_place(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        """
        INSTALLED_APPS = ["shop"]
        INSTALLED_APPS += ["orders"]
        INSTALLED_APPS.append("django.contrib.contenttypes")
        INSTALLED_APPS.insert(0, "django.contrib.auth")
        """,
    )
    assert installed(analysis) == [
        "django.contrib.auth",
        "shop",
        "orders",
        "django.contrib.contenttypes",
    ]


def test_star_import_from_base_then_augmented(tmp_path: Path) -> None:
    """``proj/settings/dev.py`` does ``from .base import *`` and ``INSTALLED_APPS +=``."""
    files = {
        **APPS,
        "proj/settings/__init__.py": "",
        "proj/settings/base.py": textwrap.dedent(
            """
            from pathlib import Path

            BASE_DIR = Path(__file__).resolve().parent.parent.parent
            INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
            AUTH_USER_MODEL = "shop.Customer"
            """
        ),
        "proj/settings/dev.py": (
            'from .base import *\n\nINSTALLED_APPS += ["orders"]\nDEBUG = True\n'
        ),
    }
    root = make_project(tmp_path, files)
    (root / "proj" / "settings.py").unlink()
    manage = root / "manage.py"
    manage.write_text(manage.read_text().replace('"proj.settings"', '"proj.settings.dev"'))
    analysis = analyze_workspace(root)
    settings = analysis.project.settings
    assert settings.path == root / "proj" / "settings" / "dev.py"
    assert installed(analysis) == ["django.contrib.contenttypes", "shop", "orders"]
    assert settings.get("AUTH_USER_MODEL") == "shop.Customer"
    assert settings.get("BASE_DIR") == str(root)
    assert settings.get("DEBUG") is True
    assert codes(analysis) == ["DM104"]


def test_absolute_star_import_of_a_sibling_module(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        "from proj.base_settings import *\n\nINSTALLED_APPS = INSTALLED_APPS + ['orders']\n",
        extra={"proj/base_settings.py": "INSTALLED_APPS = ['shop']\n"},
    )
    assert installed(analysis) == ["shop", "orders"]


def test_optional_local_settings_that_do_not_exist(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        """
        INSTALLED_APPS = ["shop", "orders"]

        try:
            from .local_settings import *
        except ImportError:
            pass
        """,
    )
    assert installed(analysis) == ["shop", "orders"]
    assert codes(analysis) == ["DM104"]


def test_conditional_addition_makes_installed_apps_unknown(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        """
        DEBUG = True
        INSTALLED_APPS = ["shop", "orders"]
        if DEBUG:
            INSTALLED_APPS += ["ghost"]
        """,
    )
    assert is_unknown(installed(analysis))
    # Apps are then found on disk; a dependency on "ghost" may be fine: not reported.
    assert set(analysis.project.apps) >= {"shop", "orders"}
    assert codes(analysis) == []
    assert any("INSTALLED_APPS cannot be read statically" in n for n in notices(analysis))


def test_conditional_mutation_makes_installed_apps_unknown(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        """
        import sys

        INSTALLED_APPS = ["shop", "orders"]
        for app in sys.argv:
            INSTALLED_APPS.append(app)
        """,
    )
    assert is_unknown(installed(analysis))
    assert codes(analysis) == []


def test_installed_apps_from_the_environment_is_unknown(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path, 'import os\n\nINSTALLED_APPS = os.environ["APPS"].split(",")\n'
    )
    assert is_unknown(installed(analysis))
    assert codes(analysis) == []


def test_installed_apps_from_a_function_is_unknown(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path, 'def apps():\n    return ["shop", "orders"]\n\n\nINSTALLED_APPS = apps()\n'
    )
    assert is_unknown(installed(analysis))
    assert codes(analysis) == []


def test_reassignment_after_an_import_forgets_the_value(tmp_path: Path) -> None:
    """``from elsewhere import INSTALLED_APPS`` rebinds the name to something unknown."""
    analysis = analyze_settings(
        tmp_path, 'INSTALLED_APPS = ["shop"]\nfrom elsewhere import INSTALLED_APPS\n'
    )
    assert is_unknown(installed(analysis))


def test_star_import_of_a_module_that_is_not_there(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path, 'from .missing import *\n\nINSTALLED_APPS = ["shop", "orders"]\n'
    )
    # The later literal assignment is known; other settings (AUTH_USER_MODEL) may come
    # from the missing module, so they are not Django's defaults.
    assert installed(analysis) == ["shop", "orders"]
    assert is_unknown(analysis.project.settings.get("AUTH_USER_MODEL"))


# -- paths and other values -------------------------------------------------------------------


def test_base_dir_paths(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        """
        import os
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        OLD_BASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        INSTALLED_APPS = ["shop", "orders"]
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": BASE_DIR / "db.sqlite3",
            },
            "legacy": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(OLD_BASE, "data", "legacy.sqlite3"),
            },
            "env": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": os.environ.get("DB_NAME", "shop"),
                "PORT": os.getenv("DB_PORT", 5432),
            },
        }
        STATIC_ROOT = str(BASE_DIR / "static")
        """,
    )
    root = analysis.project.root
    settings = analysis.project.settings
    databases = settings.get("DATABASES")
    assert databases["default"]["NAME"] == str(root / "db.sqlite3")
    assert databases["legacy"]["NAME"] == str(root / "data" / "legacy.sqlite3")
    assert databases["env"]["NAME"] == "shop"
    assert databases["env"]["PORT"] == 5432
    assert settings.get("STATIC_ROOT") == str(root / "static")


def test_environment_lookup_without_default_is_unknown(tmp_path: Path) -> None:
    analysis = analyze_settings(
        tmp_path,
        'import os\n\nINSTALLED_APPS = ["shop", "orders"]\nSECRET_KEY = os.environ["KEY"]\n',
    )
    assert is_unknown(analysis.project.settings.get("SECRET_KEY"))


def test_auth_user_model_defaults_when_settings_are_complete(tmp_path: Path) -> None:
    analysis = analyze_settings(tmp_path, 'INSTALLED_APPS = ["shop", "orders"]\n')
    assert analysis.project.settings.get("AUTH_USER_MODEL") == "auth.User"


def test_auth_user_model_of_the_workspace_is_followed_by_swappable_dependency(
    tmp_path: Path,
) -> None:
    swappable = (
        "from django.conf import settings\nfrom django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]\n"
        "    operations = []\n"
    )
    files = {
        **app_migrations("accounts", {"0001_initial": migration(ops=NOOP)}),
        **app_migrations("orders", {"0001_initial": swappable}),
        "proj/settings.py": 'INSTALLED_APPS = ["accounts", "orders"]\n'
        'AUTH_USER_MODEL = "accounts.Member"\n',
    }
    analysis = analyze_workspace(make_project(tmp_path, files))
    assert codes(analysis) == []
    assert analysis.graph.parents(MigrationKey("orders", "0001_initial")) == [
        MigrationKey("accounts", "0001_initial")
    ]


def test_unknown_auth_user_model_silences_swappable_dependency(tmp_path: Path) -> None:
    swappable = (
        "from django.conf import settings\nfrom django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]\n"
        "    operations = []\n"
    )
    files = {
        **app_migrations("orders", {"0001_initial": swappable}),
        "proj/settings.py": 'import os\n\nINSTALLED_APPS = ["orders"]\n'
        'AUTH_USER_MODEL = os.environ["USER_MODEL"]\n',
    }
    analysis = analyze_workspace(make_project(tmp_path, files))
    assert codes(analysis) == []


# -- MIGRATION_MODULES ------------------------------------------------------------------------


def test_migration_modules_point_an_app_at_another_package(tmp_path: Path) -> None:
    files = {
        **app_migrations(
            "shop/db", {"0001_initial": migration(ops="migrations.RunPython(forwards)")}
        ),
        "shop/db/__init__.py": "",
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        **app_migrations("orders", {"0001_initial": migration([("shop", "0001_initial")])}),
        "proj/settings.py": 'INSTALLED_APPS = ["shop", "orders"]\n'
        'MIGRATION_MODULES = {"shop": "shop.db.migrations"}\n',
    }
    analysis = analyze_workspace(make_project(tmp_path, files))
    root = analysis.project.root
    assert analysis.project.apps["shop"].migrations_dir == root / "shop" / "db" / "migrations"
    # The DM201 in shop/db/migrations is reported; shop/migrations is not loaded.
    assert [(f.code, f.path) for f in analysis.findings] == [
        ("DM201", root / "shop" / "db" / "migrations" / "0001_initial.py")
    ]


def test_migration_modules_none_makes_an_app_unmigrated(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops="migrations.RunPython(f)")}),
        **app_migrations(
            "orders",
            {
                "0001_initial": migration([("shop", "__first__")]),
                "0002_second": migration([("orders", "0001_initial"), ("shop", "0001_initial")]),
            },
        ),
        "proj/settings.py": 'INSTALLED_APPS = ["shop", "orders"]\n'
        'MIGRATION_MODULES = {"shop": None}\n',
    }
    analysis = analyze_workspace(make_project(tmp_path, files))
    assert analysis.project.apps["shop"].migrated is False
    # Not loaded: no DM201 from shop; a named node of it is missing, __first__ is fine.
    root = analysis.project.root
    assert [(f.code, f.path) for f in analysis.findings] == [
        ("DM104", root / "orders" / "migrations" / "0002_second.py")
    ]


def test_migration_module_that_cannot_be_read_is_not_a_missing_package(tmp_path: Path) -> None:
    """Where shop's migrations live is unknown: orders' dependency on shop.0001_initial
    may well resolve, so it is not reported; and shop/migrations/ may not be shop's
    migrations at all, so its files are not analysed either."""
    analysis = analyze_settings(
        tmp_path,
        'import os\n\nINSTALLED_APPS = ["shop", "orders"]\n'
        'MIGRATION_MODULES = {"shop": os.environ["SHOP_MIGRATIONS"]}\n',
    )
    assert analysis.findings == []
    assert analysis.project.closed
    assert analysis.project.apps["shop"].migrated is None
    assert not any("__init__.py" in n for n in notices(analysis))
