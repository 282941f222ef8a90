"""``djmig serve`` reads the client's ``initialize`` before importing pygls and starts
parsing a cold workspace ahead (``lsp/early.py``); the first index adopts that worker only
when it parses exactly the files the index needs, and pygls still gets the message."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
from pathlib import Path

import pytest
from djmig.analysis import Workspace
from djmig.config import Config, load_pyproject
from djmig.index import worker
from djmig.lsp import early
from helpers import age

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate


@pytest.fixture(scope="module")
def bench_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ahead") / "workspace"
    generate(root, 4, 10, seed=5)
    age(root)
    return root


def message(params: dict) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
    return f"Content-Length: {len(body)}\r\n\r\n{body}".encode()


def test_replay_gives_pygls_the_bytes_read_ahead_then_the_rest() -> None:
    first = message({"rootUri": None})
    stream = early.head_start(io.BytesIO(first + b"Content-Length: 2\r\n\r\n{}"))
    assert stream.readline().startswith(b"Content-Length:")
    assert stream.readline() == b"\r\n"
    length = len(first) - first.index(b"\r\n\r\n") - 4
    assert json.loads(stream.read(length))["method"] == "initialize"
    assert stream.readline() == b"Content-Length: 2\r\n"
    assert stream.readline() == b"\r\n"
    assert stream.read(2) == b"{}"
    assert stream.readline() == b""


@pytest.mark.parametrize(
    "garbage",
    [b"", b"Content-Length: 5\r\n\r\n[1, ", b"no header\n\n", b"Content-Length: x\r\n\r\n"],
)
def test_garbage_first_is_left_to_pygls_unchanged(garbage: bytes) -> None:
    stream = early.head_start(io.BytesIO(garbage + b"tail"))
    assert stream.read(-1) == garbage + b"tail"


def test_folders_are_read_as_the_server_reads_them(tmp_path: Path) -> None:
    uri = tmp_path.as_uri()
    assert early.folders_of({"workspaceFolders": [{"uri": uri, "name": "x"}]}) == [tmp_path]
    assert early.folders_of({"rootUri": uri}) == [tmp_path]
    assert early.folders_of({"rootPath": str(tmp_path)}) == [tmp_path]
    assert early.folders_of({"rootUri": "untitled:x"}) == []


EXTRA = (
    "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
    "    dependencies = []\n    operations = []\n"
)


@pytest.fixture
def ahead(bench_workspace: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path):
    monkeypatch.setattr(worker, "MIN_FILES", 1)
    monkeypatch.setattr(worker, "available_cores", lambda: 2)
    yield
    worker.drop_prefetched()
    early._discovered.clear()


@pytest.mark.usefixtures("ahead")
def test_the_first_index_adopts_the_worker_started_ahead(bench_workspace: Path) -> None:
    expected = Workspace(bench_workspace, Config(cache=False))
    expected.load()
    early.head_start(io.BytesIO(message({"rootUri": bench_workspace.as_uri()})))
    assert worker._ahead is not None
    # A slow start of the server: the worker has parsed everything by then.
    started = worker._ahead[1]
    started._reader.join(timeout=30)
    assert started.lowest == 0
    workspace = Workspace(bench_workspace)
    workspace.load()
    assert worker._ahead is None
    assert workspace.parse_counts["worker"] == len(expected.migrations)
    assert workspace.migrations == expected.migrations
    assert list(workspace.migrations) == list(expected.migrations)


@pytest.mark.usefixtures("ahead")
def test_a_worker_started_on_other_files_is_stopped(bench_workspace: Path) -> None:
    early.head_start(io.BytesIO(message({"rootUri": bench_workspace.as_uri()})))
    assert worker._ahead is not None
    stale = worker._ahead[1]
    extra = bench_workspace / "app000" / "migrations" / "9999_extra.py"
    extra.write_text(EXTRA)  # (new, so not cached: the other tests are unaffected)
    try:
        workspace = Workspace(bench_workspace)
        workspace.load()
        assert worker._ahead is None
        assert stale._proc.poll() is not None  # stopped
        expected = Workspace(bench_workspace, Config(cache=False))
        expected.load()
        assert workspace.migrations == expected.migrations
    finally:
        extra.unlink()


@pytest.mark.usefixtures("ahead")
def test_no_worker_ahead_when_the_cache_is_warm(bench_workspace: Path) -> None:
    workspace = Workspace(bench_workspace)
    workspace.load()
    workspace.save_cache()
    early.head_start(io.BytesIO(message({"rootUri": bench_workspace.as_uri()})))
    assert worker._ahead is None


@pytest.mark.usefixtures("ahead")
def test_the_first_index_takes_what_was_discovered_ahead(bench_workspace: Path) -> None:
    """The server's first index starts from the project and files found ahead (found
    again, they cost the first diagnostics ~0.05 s), once."""
    expected = Workspace(bench_workspace, Config(cache=False))
    expected.load()
    early.head_start(io.BytesIO(message({"rootUri": bench_workspace.as_uri()})))
    config, _ = load_pyproject(bench_workspace)  # no options: what the server reads
    found = early.discovered(bench_workspace, config)
    assert found is not None and worker._ahead is not None
    worker._ahead[1]._reader.join(timeout=30)  # a slow start of the server
    workspace = Workspace(bench_workspace, config, discovered=found)
    workspace.load()
    assert workspace.project is found[0]
    assert workspace.parse_counts["worker"] == len(expected.migrations)  # adopted
    assert workspace.migrations == expected.migrations
    assert early.discovered(bench_workspace, config) is None


@pytest.mark.usefixtures("ahead")
def test_what_was_discovered_ahead_is_not_taken_once_outdated(bench_workspace: Path) -> None:
    """Another configuration (the client's workspace settings), or a migration created or
    deleted since (a ``git checkout`` as the editor starts): discovered afresh."""
    config, _ = load_pyproject(bench_workspace)
    early.head_start(io.BytesIO(message({"rootUri": bench_workspace.as_uri()})))
    assert early.discovered(bench_workspace, dataclasses.replace(config, exclude=["x"])) is None
    worker.drop_prefetched()
    early.head_start(io.BytesIO(message({"rootUri": bench_workspace.as_uri()})))
    extra = bench_workspace / "app001" / "migrations" / "9999_extra.py"
    extra.write_text(EXTRA)  # (new, so not cached: the other tests are unaffected)
    try:
        assert early.discovered(bench_workspace, config) is None
        workspace = Workspace(bench_workspace, config)
        workspace.load()
        assert extra in workspace.files
    finally:
        extra.unlink()
