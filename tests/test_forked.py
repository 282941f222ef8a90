"""The rules of a big job split with a forked child (``djmig/forked.py``) give exactly
what running them here gives; a child that fails leaves its part to the parent."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from djmig import analysis as analysis_module
from djmig import forked
from djmig.analysis import Workspace
from djmig.config import Config
from djmig.rules import RULES
from helpers import TRACKING, TRACKING_BASE, make_project, migration

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate


def pids(taken: Iterator[int]) -> dict[int, int]:
    """Which process ran each item it took (slowly: each side gets some)."""
    ran = {}
    for item in taken:
        time.sleep(0.002)
        ran[item] = os.getpid()
    return ran


def test_share_runs_every_item_once_here_or_in_a_child() -> None:
    theirs, ours = forked.share(200, pids)
    assert set(ours.values()) == {os.getpid()}
    assert theirs and os.getpid() not in theirs.values()
    # This process from the first item up, the child from the last down, meeting once.
    assert sorted(ours) == list(range(len(ours)))
    assert sorted(theirs) == list(range(200 - len(theirs), 200))
    assert set(ours) | set(theirs) == set(range(200))
    assert len(set(ours) & set(theirs)) <= 1  # both may take the item they met at


def test_a_child_that_fails_leaves_its_items_here(monkeypatch, caplog) -> None:
    def unpicklable(*args: object, **kwargs: object) -> bytes:
        raise TypeError("cannot pickle")

    monkeypatch.setattr(forked.pickle, "dumps", unpicklable)  # only the child pickles
    with caplog.at_level(logging.INFO, logger="djmig"):
        theirs, ours = forked.share(200, pids)
    assert set(ours.values()) == set(theirs.values()) == {os.getpid()}
    assert sorted([*ours, *theirs]) == list(range(200))
    assert theirs  # the child took some before it failed
    assert any("failed" in r.getMessage() for r in caplog.records)


def test_share_without_a_fork_runs_everything_here(monkeypatch) -> None:
    monkeypatch.setattr(forked, "fork_piped", lambda: None)
    theirs, ours = forked.share(20, pids)
    assert theirs == {} and sorted(ours) == list(range(20))


def test_background_runs_the_job_in_a_child(tmp_path: Path, monkeypatch, caplog) -> None:
    written = tmp_path / "pid"
    writer = forked.background(lambda: written.write_text(str(os.getpid())), "a test job")
    assert writer is not None
    writer.join(30)
    assert int(written.read_text()) != os.getpid()
    with caplog.at_level(logging.INFO, logger="djmig"):
        failing = forked.background(lambda: 1 / 0, "a failing job")
        assert failing is not None
        failing.join(30)
    assert any("a failing job in a forked child failed" in r.getMessage() for r in caplog.records)
    monkeypatch.setenv("DJMIG_NO_FORK", "1")
    assert forked.background(lambda: None, "not forked") is None


def findings(workspace: Workspace) -> list[tuple[str, str, int, int, str]]:
    analysis = workspace.analyze()
    return sorted(
        (f.code, str(f.path), f.span.start_line, f.span.start_col, f.message)
        for f in analysis.findings
    )


@pytest.fixture(scope="module")
def workspace_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forked") / "ws"
    generate(root, 8, 12, seed=3)
    return root


def test_forked_rules_give_what_serial_rules_give(workspace_root: Path, monkeypatch) -> None:
    monkeypatch.setenv("DJMIG_NO_FORK", "1")
    serial = Workspace(workspace_root, Config(cache=False))
    serial.load()
    expected = findings(serial)
    assert expected
    monkeypatch.delenv("DJMIG_NO_FORK")
    monkeypatch.setattr(analysis_module, "FORK_MIN_FILES", 1)
    monkeypatch.setattr(forked, "available", lambda: True)
    splits: list[int] = []
    share = forked.share

    def counted(count, run):  # type: ignore[no-untyped-def]
        splits.append(count)
        return share(count, run)

    monkeypatch.setattr(forked, "share", counted)
    workspace = Workspace(workspace_root, Config(cache=False))
    workspace.load()
    assert findings(workspace) == expected
    assert splits == [8]  # the apps of the workspace
    # Later edits run here, on what the child computed and the parent kept.
    path = sorted((workspace_root / "app001" / "migrations").glob("0003_*.py"))[0]
    text = path.read_text()
    workspace.update_file(path, text + "\nmigrations.RunPython(print)\n")
    workspace.update_file(path, text)
    assert findings(workspace) == expected
    assert splits == [8]  # the apps of the workspace


def test_a_rule_failing_in_the_child_is_reported(workspace_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(analysis_module, "FORK_MIN_FILES", 1)
    monkeypatch.setattr(forked, "available", lambda: True)
    rule = next(r for r in RULES if r.check_app is not None)

    def broken(context: object, label: str) -> list[object]:
        time.sleep(0.01)  # both processes take some apps
        raise RuntimeError(f"broken on {label} in {os.getpid()}")

    broken_rule = dataclasses.replace(rule, check_app=broken)
    monkeypatch.setattr(analysis_module, "RULES", [broken_rule if r is rule else r for r in RULES])
    workspace = Workspace(workspace_root, Config(cache=False))
    workspace.load()
    workspace.analyze()
    failed = [e.split("broken on ")[1].split(" in ") for e in workspace.rule_errors]
    apps = [label for label in workspace.project.apps if label.startswith("app")]
    assert sorted(label for label, _ in failed) == apps  # each once, in the order of the apps
    assert {int(pid) for _, pid in failed} - {os.getpid()}  # some in the child


ALPHA = {
    "alpha/migrations/__init__.py": "",
    "alpha/migrations/0001_initial.py": migration(initial=True),
}


def test_modules_the_child_read_for_base_classes_are_tracked_here(
    tmp_path: Path, monkeypatch
) -> None:
    """The child half reads ``tracking/base_models.py`` for a base class: the parent, which
    serves the edits afterwards, tracks it too (an edit of it re-runs DM401)."""
    monkeypatch.setattr(analysis_module, "FORK_MIN_FILES", 1)
    monkeypatch.setattr(forked, "available", lambda: True)
    root = make_project(tmp_path, {**TRACKING, **ALPHA}, installed_apps=["alpha", "tracking"])
    workspace = Workspace(root, Config(cache=False))
    workspace.load()
    assert [f.code for f in workspace.analyze().findings] == []
    path = root / "tracking/base_models.py"
    assert workspace.tracks(path)
    workspace.update_file(
        path, TRACKING_BASE.replace("DateTimeField()", "DateTimeField(null=True)")
    )
    assert [f.code for f in workspace.analyze().findings] == ["DM401"]
