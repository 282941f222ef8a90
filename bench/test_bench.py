"""Checks of the benchmark workspace against real Django (``pytest bench``). No timings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_check
from generate import generate

SEED = 8
"""A small workspace with every feature: swappable and ``auth`` dependencies, cross-app
dependencies, ``RunSQL``, ``DeleteModel``."""
APPS, MIGRATIONS = 5, 10


def manage(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=root, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench") / "workspace"
    assert generate(root, APPS, MIGRATIONS, SEED) == APPS * MIGRATIONS
    return root


def test_covers_every_feature(workspace: Path) -> None:
    sources = {p: p.read_text() for p in workspace.glob("*/migrations/0*.py")}
    text = "\n".join(sources.values())
    assert "migrations.swappable_dependency(settings.AUTH_USER_MODEL)" in text
    assert '("auth", "0012_alter_user_first_name_max_length")' in text
    for needle in ("RunPython(", "RunPython.noop", "RunSQL(", "DeleteModel(", "AddIndex("):
        assert needle in text
    cross = [
        path
        for path, source in sources.items()
        if any(app != path.parts[-3] for app in re.findall(r'\("(app\d+)", "\d{4}_', source))
    ]
    assert cross


def test_models_in_sync_with_migrations(workspace: Path) -> None:
    result = manage(workspace, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_migrate_on_sqlite(workspace: Path) -> None:
    result = manage(workspace, "migrate", "--no-input")
    assert result.returncode == 0, result.stdout + result.stderr
    shown = manage(workspace, "showmigrations", "--list")
    assert shown.returncode == 0
    assert "[ ]" not in shown.stdout
    assert shown.stdout.count("[X]") >= APPS * MIGRATIONS


def test_django_loader_sees_one_leaf_per_app(workspace: Path) -> None:
    runner = bench_check.Runner(sys.executable, workspace, "benchproj.settings")
    result = runner.django_loader()
    assert result["conflicts"] == []
    assert result["leaves"] == APPS + 2  # plus contenttypes and auth


def test_deterministic(tmp_path: Path, workspace: Path) -> None:
    again = tmp_path / "again"
    generate(again, APPS, MIGRATIONS, SEED)
    files = sorted(p.relative_to(workspace) for p in workspace.rglob("*.py"))
    assert files == sorted(p.relative_to(again) for p in again.rglob("*.py"))
    for rel in files:
        assert (workspace / rel).read_text() == (again / rel).read_text()


def test_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        generate(tmp_path, 1, 1)
    assert (tmp_path / "keep.txt").exists()


def test_regenerates_its_own_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate(root, 2, 3)
    assert generate(root, 1, 2) == 2
    assert not (root / "app001").exists()


def test_bench_check_smoke(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    argv = ["--apps", "2", "--migrations", "3", "--runs", "1", "--makemigrations-runs", "1"]
    assert bench_check.main([*argv, "--python", sys.executable, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["measurements"]) == {
        "python",
        "django_total",
        "django_loader",
        "makemigrations",
        "ast_floor",
        "djmig_import",
        "djmig_analyze",
        "djmig_analyze_cpu",
        "djmig_index",
        "djmig_rules",
        "djmig_cold",
        "djmig_warm",
        "djmig_warm_cpu",
        "djmig_touched",
        "djmig_touched_cpu",
        "djmig_added",
        "djmig_check",
    }
    assert all(len(m["samples"]) == 1 for m in result["measurements"].values())
    assert result["facts"]["djmig"]["imports_django"] is False
    assert result["facts"]["djmig"]["leaves"] == 2


def test_bench_lsp_smoke(tmp_path: Path) -> None:
    """One short LSP session of ``bench_lsp.py``: every row is measured (values not checked)."""
    import bench_lsp

    out = tmp_path / "lsp.json"
    argv = ["--apps", "5", "--migrations", "10", "--seed", "8", "--runs", "1"]
    argv += ["--keystrokes", "2", "--pause", "0", "--python", sys.executable]
    assert bench_lsp.main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["measurements"]) == set(bench_lsp.STARTUP)
    assert set(result["keystrokes"]) == set(bench_lsp.KEYSTROKES)
    assert all(k["n"] == 2 for k in result["keystrokes"].values())
    assert set(result["navigation"]) == set(bench_lsp.NAVIGATION)
    assert all(k["n"] == 2 for k in result["navigation"].values())
    assert "navigation_p95_max_s" in result["budgets"]
    assert set(result["budgets"]) >= {"first_complete_median_s", "run_python_p95_s"}
    assert result["facts"]["unexpected_publishes"] == []
    assert result["facts"]["exit_codes"] == [0, 0]
    # The planted problems, and no other graph or RunPython finding (the generated
    # migrations also get model-state findings: DM204 and DM206).
    planted = [
        [code for code in codes if code in ("DM101", "DM102", "DM201")]
        for codes in result["expected_diagnostics"].values()
    ]
    assert sorted(codes for codes in planted if codes) == [
        ["DM101"],
        ["DM101"],
        ["DM102"],
        ["DM201"],
    ]
