"""Broken, odd and hostile input: djmig never ends in a traceback or exit code 2, says what it
could not read in one line on stderr, and still checks the rest of the project.

Every project here also holds ``orders/migrations/0001_initial.py`` with a ``RunPython``
without reverse: its DM201 proves the rest of the project was still checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from django_oracle import django_verdict
from djmig.analysis import analyze_workspace
from helpers import app_migrations, make_project, migration

NOOP = "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)"
WITNESS = {
    "orders/migrations/__init__.py": "",
    "orders/migrations/0001_initial.py": migration(ops="migrations.RunPython(forwards)"),
}
WITNESS_FINDING = ("orders/migrations/0001_initial.py", "DM201")


class Result(NamedTuple):
    returncode: int
    findings: list[tuple[str, str]]
    notes: list[str]
    stderr: str


def check(root: Path, *args: str, timeout: float = 60) -> Result:
    """``djmig check --format json .`` in ``root``: findings as ``(path, code)``."""
    completed = subprocess.run(
        [sys.executable, "-m", "djmig", "check", "--format", "json", *args, "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    assert "internal error" not in completed.stderr, completed.stderr
    assert completed.returncode != 2, completed.stderr
    findings = sorted((item["path"], item["code"]) for item in json.loads(completed.stdout))
    notes = [line for line in completed.stderr.splitlines() if line.startswith("djmig: note:")]
    # Every line on stderr is a one-line note; nothing else is printed there.
    assert len(notes) == len(completed.stderr.splitlines()), completed.stderr
    return Result(completed.returncode, findings, notes, completed.stderr)


def notes_about(result: Result, *words: str) -> list[str]:
    return [note for note in result.notes if all(word in note for word in words)]


def project(tmp_path: Path, files: dict[str, str], **kwargs) -> Path:
    return make_project(tmp_path, {**WITNESS, **files}, **kwargs)


def write_bytes(root: Path, path: str, data: bytes) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


# -- unparseable migration files ------------------------------------------------------------


def test_syntax_error_is_one_note_and_its_dependents_are_not_reported(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            "0001_initial": migration(ops=NOOP),
            "0002_broken": "from django.db import migrations\n\nclass Migration(object:\n",
            "0003_after": migration([("shop", "0002_broken")], ops=NOOP),
        },
    )
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]
    (note,) = result.notes
    assert "shop/migrations/0002_broken.py" in note
    assert "SyntaxError" in note
    assert "line 3" in note


def test_null_byte_in_a_migration(tmp_path: Path) -> None:
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    write_bytes(root, "shop/migrations/0002_nul.py", b"from django.db import migrations\n\x00\n")
    result = check(root)
    assert result.findings == [WITNESS_FINDING]
    assert len(notes_about(result, "0002_nul.py")) == 1


def test_invalid_utf8_without_coding_cookie(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
            "shop/migrations/0003_after.py": migration([("shop", "0002_latin")], ops=NOOP),
        },
    )
    source = migration([("shop", "0001_initial")], ops="migrations.RunSQL(\"SELECT 'café'\")")
    write_bytes(root, "shop/migrations/0002_latin.py", source.encode("latin-1"))
    result = check(root)
    # Python (and so Django) cannot import it; djmig says so and reports nothing there.
    assert result.findings == [WITNESS_FINDING]
    (note,) = result.notes
    assert "shop/migrations/0002_latin.py" in note
    assert "utf-8" in note.lower()


def test_latin1_file_with_coding_cookie_is_read(tmp_path: Path) -> None:
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    ops = (
        "migrations.RunSQL(\"UPDATE t SET name = 'café'\", migrations.RunSQL.noop), "
        "migrations.RunPython(forwards)"
    )
    source = "# -*- coding: latin-1 -*-\n" + migration([("shop", "0001_initial")], ops=ops)
    write_bytes(root, "shop/migrations/0002_latin.py", source.encode("latin-1"))
    completed = subprocess.run(
        [sys.executable, "-m", "djmig", "check", "--format", "json", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.stderr == ""
    items = [i for i in json.loads(completed.stdout) if i["path"].startswith("shop/")]
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "café" in text)
    column = source.splitlines()[line - 1].index("migrations.RunPython(") + 1
    assert [(i["code"], i["line"], i["column"]) for i in items] == [("DM201", line, column)]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    root = project(tmp_path, {"shop/migrations/__init__.py": ""})
    source = migration(ops="migrations.RunPython(forwards)")
    write_bytes(root, "shop/migrations/0001_initial.py", b"\xef\xbb\xbf" + source.encode())
    result = check(root)
    assert result.findings == [("orders/migrations/0001_initial.py", "DM201"),
                               ("shop/migrations/0001_initial.py", "DM201")]  # fmt: skip
    assert result.notes == []


def test_empty_migration_file_is_a_module_without_migration(tmp_path: Path) -> None:
    """Django: ``BadMigrationError: Migration 0002_empty in app shop has no Migration
    class``."""
    files = app_migrations("shop", {"0001_initial": migration(ops=NOOP), "0002_empty": ""})
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING, ("shop/migrations/0002_empty.py", "DM106")]
    assert result.returncode == 1


def test_huge_migration_file(tmp_path: Path) -> None:
    operations = ['migrations.RunSQL("SELECT 1", migrations.RunSQL.noop)'] * 20_000
    operations.append("migrations.RunPython(forwards)")
    source = migration(ops="\n".join(operations))
    files = app_migrations("shop", {"0001_initial": source})
    root = project(tmp_path, files)
    completed = subprocess.run(
        [sys.executable, "-m", "djmig", "check", "--format", "json", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    items = json.loads(completed.stdout)
    line = source.splitlines().index("        migrations.RunPython(forwards),") + 1
    assert sorted((i["path"], i["code"], i["line"]) for i in items) == [
        (*WITNESS_FINDING, 8),
        ("shop/migrations/0001_initial.py", "DM201", line),
    ]
    assert completed.stderr == ""


def test_file_too_large_to_analyse(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {"0001_initial": migration(ops=NOOP), "0003_after": migration([("shop", "0002_big")])},
    )
    root = project(tmp_path, files)
    padding = b"#" + b"x" * 1023 + b"\n"
    write_bytes(root, "shop/migrations/0002_big.py", padding * (9 * 1024))
    result = check(root)
    assert result.findings == [WITNESS_FINDING]
    (note,) = result.notes
    assert "0002_big.py" in note
    assert "too large" in note


def test_deeply_nested_expression(tmp_path: Path) -> None:
    deep = (
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = []" + " + []" * 20_000 + "\n    operations = []\n"
    )
    files = app_migrations("shop", {"0001_initial": migration(ops=NOOP), "0002_deep": deep})
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]
    assert len(notes_about(result, "0002_deep.py")) == 1


# -- files that are not readable files --------------------------------------------------------


def test_dangling_symlink_named_like_a_migration(tmp_path: Path) -> None:
    """Django's ``load_disk`` lists it (``pkgutil.iter_modules``) and fails importing it
    (``ModuleNotFoundError: No module named 'shop.migrations.0002_gone'``): djmig cannot
    read it either, and says so once."""
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    os.symlink("does_not_exist.py", root / "shop/migrations/0002_gone.py")
    result = check(root)
    assert result.findings == [WITNESS_FINDING]
    assert len(notes_about(result, "0002_gone.py")) == 1


def test_directory_named_like_a_migration(tmp_path: Path) -> None:
    """``0002_dir.py/`` is listed by ``pkgutil.iter_modules`` and fails to import."""
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    (root / "shop/migrations/0002_dir.py").mkdir()
    result = check(root)
    assert result.findings == [WITNESS_FINDING]
    assert len(notes_about(result, "0002_dir.py")) == 1


def test_fifo_named_like_a_migration_does_not_hang(tmp_path: Path) -> None:
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    os.mkfifo(root / "shop/migrations/0002_fifo.py")
    result = check(root, timeout=30)
    assert WITNESS_FINDING in result.findings


def test_a_file_longer_than_its_reported_size_is_read_whole() -> None:
    """``read_source`` reads ``st_size + 1`` bytes at once; a regular file that reports a
    size of 0 (``/proc``) or grew since ``fstat`` is read on to its end."""
    from djmig.index.source import read_source

    status = Path("/proc/self/status")
    assert status.stat().st_size == 0
    text = read_source(status)
    assert text.startswith("Name:") and "VmRSS:" in text and text.endswith("\n")


def test_symlink_loops_in_the_workspace(tmp_path: Path) -> None:
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    os.symlink(root, root / "shop" / "loop")
    os.symlink("../shop", root / "shop" / "migrations" / "up")
    (root / "a").mkdir()
    os.symlink("../b", root / "a" / "b")
    os.symlink("../a", root / "b")
    result = check(root, timeout=30)
    assert result.findings == [WITNESS_FINDING]


def test_symlink_to_itself_named_like_a_migration(tmp_path: Path) -> None:
    """``0002_self.py -> 0002_self.py``: reading it fails with ELOOP; Django fails to
    import it (``ModuleNotFoundError``). One note, and the rest is checked."""
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    os.symlink("0002_self.py", root / "shop" / "migrations" / "0002_self.py")
    result = check(root, timeout=30)
    assert result.findings == [WITNESS_FINDING]
    assert len(notes_about(result, "0002_self.py")) == 1


def test_symlink_loops_when_apps_are_discovered_by_walking(tmp_path: Path) -> None:
    """No settings: djmig walks the workspace for migrations packages."""
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    (root / "proj" / "settings.py").unlink()
    (root / "manage.py").unlink()
    os.symlink(root, root / "shop" / "loop")
    os.symlink("../b", root / "shop" / "b")
    os.symlink("../shop", root / "b")
    result = check(root, timeout=30)
    assert result.findings == [WITNESS_FINDING]
    assert notes_about(result, "settings")


# -- packages Django does not treat as migrations --------------------------------------------


def test_migrations_directory_without_init_is_unmigrated(tmp_path: Path) -> None:
    files = {
        **app_migrations("legacy", {"0001_initial": migration(ops="migrations.RunSQL('x')")},
                         package=False),
        **app_migrations(
            "shop",
            {
                "0001_initial": migration([("legacy", "__first__")], ops=NOOP),
                "0002_second": migration([("shop", "0001_initial"), ("legacy", "0001_initial")]),
            },
        ),
    }  # fmt: skip
    root = project(tmp_path, files)
    result = check(root)
    # Django ignores the namespace package (no DM202 inside it) and raises
    # NodeNotFoundError for the named node, which djmig reports as an app without
    # migrations; ``__first__`` of an unmigrated app is fine.
    assert result.findings == [WITNESS_FINDING, ("shop/migrations/0002_second.py", "DM104")]
    (note,) = notes_about(result, "__init__.py")
    assert "legacy" in note


def test_computed_dependencies_silence_graph_rules_for_that_app(tmp_path: Path) -> None:
    computed = (
        "from django.db import migrations\n\nPREVIOUS = '0001_initial'\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('shop', PREVIOUS), ('shop', name_of('gone'))]\n"
        f"    operations = [{NOOP}]\n"
    )
    files = app_migrations(
        "shop",
        {
            "0001_initial": migration(ops=NOOP),
            "0002_a": migration([("shop", "0001_initial")], ops=NOOP),
            "0002_b": computed,
            "0003_c": migration([("shop", "0002_b")], ops=NOOP),
        },
    )
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]
    assert result.returncode == 0


CONSTANTS = """\
from django.db import migrations

APP_NAME = "shop"
DEPENDENCIES = [(APP_NAME, "0001_initial"), (APP_NAME, "{parent}")]
{after}

class Migration(migrations.Migration):
    dependencies = DEPENDENCIES
    operations = [{ops}]
"""


@pytest.mark.parametrize(
    ("after", "error"),
    [
        ("", "NodeNotFoundError"),  # read: the missing parent is DM102, as Django says
        ('DEPENDENCIES[1] = (APP_NAME, "0001_initial")', None),  # changed: not read
        ("DEPENDENCIES.pop()", None),
    ],
)
def test_dependencies_from_module_constants(tmp_path: Path, after: str, error: str | None) -> None:
    """djangorestframework-api-key writes ``dependencies = DEPENDENCIES``, a module-level
    list of ``(APP_NAME, "...")``: read when no module-level code can change it."""
    source = CONSTANTS.format(parent="0099_gone", after=after, ops=NOOP)
    files = app_migrations("shop", {"0001_initial": migration(ops=NOOP), "0002_b": source})
    root = make_project(tmp_path, files)
    verdict = django_verdict(root)
    assert (verdict["error"] or {}).get("type") == error
    findings = [
        (f.code, f.span.start_line, f.span.start_col) for f in analyze_workspace(root).findings
    ]
    if error is None:
        assert findings == []
    else:
        column = source.splitlines()[3].index('(APP_NAME, "0099_gone")')
        assert findings == [("DM102", 3, column)]


def test_migration_class_with_odd_attributes(tmp_path: Path) -> None:
    odd = (
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = 5\n    operations = None\n    replaces = 'x'\n"
        "    run_before = [('shop',), ('shop', 1, 2), None]\n"
    )
    files = app_migrations("shop", {"0001_initial": migration(ops=NOOP), "0002_odd": odd})
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]


# -- settings --------------------------------------------------------------------------------


def test_missing_settings_every_app_with_migrations_is_checked(tmp_path: Path) -> None:
    files = app_migrations("shop", {"0001_initial": migration(ops="migrations.RunSQL('x')")})
    root = project(tmp_path, files)
    (root / "proj" / "settings.py").unlink()
    result = check(root)
    assert result.findings == [WITNESS_FINDING, ("shop/migrations/0001_initial.py", "DM202")]
    (note,) = notes_about(result, "settings")
    assert "no settings module found" in note


def test_manage_py_names_a_settings_module_that_does_not_exist(tmp_path: Path) -> None:
    files = app_migrations("shop", {"0001_initial": migration(ops=NOOP)})
    root = project(tmp_path, files)
    manage = root / "manage.py"
    manage.write_text(manage.read_text().replace("proj.settings", "nowhere.settings"))
    result = check(root)
    # The only settings.py of the workspace is used instead.
    assert result.findings == [WITNESS_FINDING]


def test_settings_that_cannot_be_read_statically(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration([("ghost", "0001_initial")])}),
        "proj/settings.py": (
            "import os\n\nINSTALLED_APPS = os.environ['APPS'].split(',')\nDATABASES = {}\n"
        ),
    }
    result = check(project(tmp_path, files))
    # The apps are found on disk; whether "ghost" is installed is unknown: not reported.
    assert result.findings == [WITNESS_FINDING]
    (note,) = notes_about(result, "INSTALLED_APPS")
    assert "settings.py" in note
    assert "cannot be read statically" in note


def test_settings_with_a_syntax_error(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops="migrations.RunSQL('x')")}),
        "proj/settings.py": "INSTALLED_APPS = [\n",
    }
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING, ("shop/migrations/0001_initial.py", "DM202")]
    assert notes_about(result, "settings.py", "cannot read settings")


def test_settings_not_valid_utf8(tmp_path: Path) -> None:
    root = project(tmp_path, app_migrations("shop", {"0001_initial": migration(ops=NOOP)}))
    write_bytes(
        root, "proj/settings.py", "INSTALLED_APPS = ['shop', 'orders']  # café\n".encode("latin-1")
    )
    result = check(root)
    assert result.findings == [WITNESS_FINDING]
    assert notes_about(result, "settings.py")


def test_settings_star_import_of_a_missing_module(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration([("ghost", "0001_initial")])}),
        "proj/settings.py": "from .base import *\n\nINSTALLED_APPS += ['shop', 'orders']\n",
    }
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]


def test_unreadable_apps_py(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        "shop/apps.py": "class ShopConfig(AppConfig:\n",
    }
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]


def test_invalid_pyproject_is_a_note(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        "pyproject.toml": "[tool.djmig]\nselect = [\n",
    }
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]
    (note,) = notes_about(result, "pyproject.toml")
    assert "cannot read" in note


def test_invalid_djmig_option_is_a_note(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=NOOP)}),
        "pyproject.toml": f'[tool.djmig]\npython = "{sys.executable}"\nselect = ["DM9X"]\n',
    }
    result = check(project(tmp_path, files))
    assert result.findings == [WITNESS_FINDING]
    assert len(notes_about(result, "DM9X")) == 1


def test_interpreter_that_does_not_exist(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    files = {
        **app_migrations("shop", {"0001_initial": migration([("auth", "0099_nope")])}),
        "pyproject.toml": '[tool.djmig]\npython = "/nonexistent/bin/python"\n',
    }
    result = check(
        project(tmp_path, files, installed_apps=["django.contrib.auth", "shop", "orders"])
    )
    assert result.findings == [WITNESS_FINDING]
