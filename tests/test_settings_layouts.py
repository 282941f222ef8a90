"""Settings layouts of real projects: split settings, the settings module named by
``wsgi.py``/``asgi.py`` or pytest-django's ``pyproject.toml`` section, and defaults of
environment look-ups (``os.environ.get``, django-environ) — and the rules that read them."""

from __future__ import annotations

from pathlib import Path

from djmig.analysis import Workspace, analyze_workspace
from djmig.index.values import is_unknown
from helpers import app_migrations, make_project, migration

NOOP = "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)"
APPS = {
    **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
    "shop/models.py": "",
    **app_migrations("orders", {"0001_initial": migration(ops=NOOP)}),
    "orders/models.py": "",
    "orders/__init__.py": "",
}
MANAGE_WITHOUT_SETTINGS = "import sys\n\nprint(sys.argv)\n"


def test_split_settings_base_and_dev_with_augmented_installed_apps(tmp_path: Path) -> None:
    files = {
        **APPS,
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
        '"proj.settings.dev")\n',
        "proj/settings/__init__.py": "",
        "proj/settings/base.py": 'INSTALLED_APPS = ["shop"]\nAUTH_USER_MODEL = "auth.User"\n',
        "proj/settings/dev.py": 'from .base import *\n\nINSTALLED_APPS += ["orders"]\n',
    }
    root = make_project(tmp_path, files, installed_apps=["shop"])
    (root / "proj" / "settings.py").unlink()
    analysis = analyze_workspace(root)
    settings = analysis.project.settings
    assert settings.module == "proj.settings.dev"
    assert settings.installed_apps == ["shop", "orders"]
    assert settings.spans["AUTH_USER_MODEL"][0] == root / "proj" / "settings" / "base.py"
    assert [f.code for f in analysis.findings] == []


def test_split_settings_without_the_app_is_dm305_on_the_base_assignment(tmp_path: Path) -> None:
    files = {
        **APPS,
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
        '"proj.settings.dev")\n',
        "proj/settings/__init__.py": "",
        "proj/settings/base.py": 'INSTALLED_APPS = [\n    "shop",\n]\n',
        "proj/settings/dev.py": "from .base import *\n\nDEBUG = True\n",
    }
    root = make_project(tmp_path, files, installed_apps=["shop"])
    (root / "proj" / "settings.py").unlink()
    analysis = analyze_workspace(root)
    (finding,) = analysis.findings
    assert finding.code == "DM305"
    assert finding.path == root / "proj" / "settings" / "base.py"
    assert (finding.span.start_line, finding.span.start_col) == (0, 0)
    assert "'orders'" in finding.message


def test_settings_module_from_wsgi_py(tmp_path: Path) -> None:
    files = {
        **APPS,
        "manage.py": MANAGE_WITHOUT_SETTINGS,
        "proj/wsgi.py": 'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
        '"proj.production")\n',
        "proj/asgi.py": 'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
        '"proj.production")\n',
        "proj/production.py": 'INSTALLED_APPS = ["shop", "orders"]\n',
    }
    root = make_project(tmp_path, files)
    settings = analyze_workspace(root).project.settings
    assert settings.module == "proj.production"
    assert settings.installed_apps == ["shop", "orders"]


def test_settings_module_from_pytest_django_options(tmp_path: Path) -> None:
    files = {
        **APPS,
        "manage.py": MANAGE_WITHOUT_SETTINGS,
        "pyproject.toml": '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "proj.ci"\n',
        "proj/ci.py": 'INSTALLED_APPS = ["shop", "orders"]\n',
        "other/settings.py": 'INSTALLED_APPS = ["elsewhere"]\n',
    }
    root = make_project(tmp_path, files)
    settings = analyze_workspace(root).project.settings
    assert settings.module == "proj.ci"
    assert settings.installed_apps == ["shop", "orders"]


def test_environment_defaults_of_os_environ_and_django_environ(tmp_path: Path) -> None:
    settings_py = """\
import os

import environ

env = environ.Env(DEBUG=(bool, False))
environ.Env.read_env()

INSTALLED_APPS = env.list("APPS", default=["shop", "orders"])
AUTH_USER_MODEL = env("AUTH_USER_MODEL", default="shop.Customer")
DEBUG = env("DEBUG")
TIME_ZONE = env.str("TZ", default="UTC")
SECRET_KEY = env("SECRET_KEY")
DATABASES = {"default": env.db()}
STATIC_URL = os.environ.get("STATIC_URL", "/static/")
"""
    root = make_project(tmp_path, {**APPS, "proj/settings.py": settings_py})
    settings = analyze_workspace(root).project.settings
    assert settings.installed_apps == ["shop", "orders"]
    assert settings.get("AUTH_USER_MODEL") == "shop.Customer"
    assert settings.get("DEBUG") is False
    assert settings.get("TIME_ZONE") == "UTC"
    assert settings.get("STATIC_URL") == "/static/"
    assert is_unknown(settings.get("SECRET_KEY"))
    assert is_unknown(settings.get("DATABASES")["default"])


def test_env_of_another_library_is_not_django_environ(tmp_path: Path) -> None:
    settings_py = 'from somewhere import env\n\nAUTH_USER_MODEL = env("U", default="x.Y")\n'
    root = make_project(tmp_path, {**APPS, "proj/settings.py": settings_py})
    settings = analyze_workspace(root).project.settings
    assert not isinstance(settings.get("AUTH_USER_MODEL"), str)


def test_settings_findings_follow_unsaved_edits(tmp_path: Path) -> None:
    """DM305 on the INSTALLED_APPS line comes and goes as the settings buffer changes."""
    settings_py = 'INSTALLED_APPS = [\n    "shop",\n]\n'
    root = make_project(tmp_path, {**APPS, "proj/settings.py": settings_py})
    workspace = Workspace(root)
    workspace.load()
    settings = root / "proj" / "settings.py"
    assert [f.code for f in workspace.analyze().by_path[settings]] == ["DM305"]
    assert workspace.update_file(settings, settings_py.replace('"shop",', '"shop", "orders",'))
    analysis = workspace.analyze()
    assert settings in analysis.changed and settings not in analysis.by_path
    assert workspace.update_file(
        settings, settings_py.replace("INSTALLED_APPS = [", "INSTALLED_APPS = [  # noqa: DM305")
    )
    assert settings not in workspace.analyze().by_path
