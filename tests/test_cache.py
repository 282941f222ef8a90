"""The on-disk parse cache and findings snapshot (``index/cache.py``, ``snapshot.py``): a
warm start reports exactly what a cold analysis reports, finding by finding, whatever
happened to the files or to the cache in between."""

from __future__ import annotations

import asyncio
import logging
import marshal
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from djmig import analysis as analysis_module
from djmig import forked
from djmig.analysis import Analysis, Workspace, analyze_workspace
from djmig.config import Config
from djmig.index import worker
from djmig.index.cache import FILE_NAME, decode_migration, encode_migration
from djmig.index.discovery import discover
from djmig.index.migrations import MigrationFile, parse_migration_file
from djmig.keys import MigrationKey
from djmig.snapshot import FILE_NAME as SNAPSHOT_NAME
from helpers import TRACKING, TRACKING_BASE, age, make_project, migration
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate

FORWARDS = "def forwards(apps, schema_editor):\n    pass\n\n\n"
#: A line whose RunPython starts after a character of two UTF-16 units.
EMOJI_OPS = "migrations.RunSQL(\"SELECT '\U0001f600'\", migrations.RunSQL.noop), " + (
    "migrations.RunPython(forwards)"
)
PLANTED = {
    # DM201 after a non-ASCII character, DM101 with the other leaf, DM102.
    "app001/migrations/0099_emoji.py": migration(
        deps=[("app001", "0010_x")], ops=EMOJI_OPS
    ).replace("class Migration", FORWARDS + "class Migration"),
    "app002/migrations/0099_missing.py": migration(deps=[("app002", "9999_missing")]),
    "app003/migrations/0099_syntax.py": "class Migration(:\n",
}
LATIN1 = "app004/migrations/0099_latin1.py"
LATIN1_LATER = "app005/migrations/0099_latin1.py"


def write(root: Path, relative: str, text: str | bytes, seconds_ago: int = 1800) -> Path:
    path = root / relative
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    moment = time.time_ns() - seconds_ago * 1_000_000_000
    os.utime(path, ns=(moment, moment))
    return path


@pytest.fixture(scope="module")
def bench_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's generator, small, with planted findings of every kind."""
    root = tmp_path_factory.mktemp("cache") / "workspace"
    generate(root, 6, 12, seed=8)
    parent = sorted((root / "app001/migrations").glob("0011_*.py"))[0].stem
    for relative, text in PLANTED.items():
        (root / relative).write_text(text.replace("0010_x", parent), encoding="utf-8")
    (root / LATIN1).write_bytes(b"# caf\xe9\n")
    (root / LATIN1_LATER).write_bytes(b"#\n#\n# caf\xe9\n")
    age(root)
    return root


def cold(root: Path) -> Analysis:
    return analyze_workspace(root, Config(cache=False))


#: What a DM401 fix takes from the clock (the file's header, an ``auto_`` name): a snapshot
#: written a minute earlier holds another minute.
_WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d|\d{8}_\d{4}")


def assert_same(warm: Analysis, expected: Analysis) -> None:
    if warm.findings != expected.findings:
        assert _WHEN.sub("<now>", repr(warm.findings)) == _WHEN.sub(
            "<now>", repr(expected.findings)
        )
    assert [str(n) for n in warm.notices] == [str(n) for n in expected.notices]
    assert sorted(warm.paths()) == sorted(expected.paths())  # files added later come last


def loaded(root: Path) -> Workspace:
    workspace = Workspace(root)
    workspace.load()
    return workspace


def test_warm_start_reports_what_a_cold_analysis_reports(bench_workspace: Path, cache_dir):
    expected = cold(bench_workspace)
    assert {"DM101", "DM102", "DM201"} <= {f.code for f in expected.findings}
    assert any("SyntaxError" in str(n) for n in expected.notices)
    assert any("not valid utf-8" in str(n) for n in expected.notices)
    assert any("cannot determine the file's encoding" in str(n) for n in expected.notices)

    first = analyze_workspace(bench_workspace)  # parses everything, writes the caches
    assert_same(first, expected)
    assert (cache_dir / FILE_NAME).is_file() and (cache_dir / SNAPSHOT_NAME).is_file()

    workspace = loaded(bench_workspace)
    assert workspace.deferred  # answered from the snapshot: nothing parsed
    assert_same(workspace.analyze(), expected)
    # The migrations, parsed on first use from the parse cache, are the same objects' equals.
    assert workspace.migrations == expected.migrations
    assert workspace.graph.leaf_nodes() == expected.graph.leaf_nodes()
    assert not workspace.analyze().changed
    # Every file came from the parse cache, the unreadable and the unparsable ones too, and
    # the findings by scope from the snapshot.
    assert workspace.parse_counts == {"cached": len(expected.migrations), "parsed": 0,
                                      "resumed": 1}  # fmt: skip


def test_edits_between_runs_are_seen(bench_workspace: Path, cache_dir, tmp_path: Path):
    analyze_workspace(bench_workspace)
    target = bench_workspace / "app000/migrations/0002_x.py"
    original = {p: p.read_bytes() for p in (bench_workspace / "app000/migrations").glob("*.py")}
    try:
        # A new leaf (DM101), then the same file with other content of the same size.
        write(bench_workspace, target.relative_to(bench_workspace).as_posix(),
              migration(deps=[("app000", "0001_initial")]))  # fmt: skip
        expected = cold(bench_workspace)
        assert "DM101" in {f.code for f in expected.by_path.get(target, [])}
        workspace = loaded(bench_workspace)
        assert not workspace.deferred
        # Resumed from the snapshot: the files then from the cache, the new one parsed.
        assert workspace.parse_counts == {"cached": len(expected.migrations) - 1, "parsed": 1,
                                          "resumed": 1}  # fmt: skip
        assert_same(workspace.analyze(), expected)
        workspace.save_cache()

        same_size = migration(deps=[("app000", "0001_initiaX")])
        assert len(same_size) == len(target.read_text())
        write(bench_workspace, target.relative_to(bench_workspace).as_posix(), same_size, 900)
        expected = cold(bench_workspace)
        assert "DM102" in {f.code for f in expected.by_path[target]}
        assert_same(analyze_workspace(bench_workspace), expected)

        target.unlink()
        assert_same(analyze_workspace(bench_workspace), cold(bench_workspace))
    finally:
        target.unlink(missing_ok=True)
        for path, data in original.items():
            path.write_bytes(data)
        age(bench_workspace)


def test_files_modified_just_now_are_parsed_again(tmp_path: Path, cache_dir):
    files = {"shop/migrations/__init__.py": "", "shop/migrations/0001_initial.py": migration()}
    root = make_project(tmp_path, files)
    analyze_workspace(root)
    # Written a moment ago: an edit in the same mtime tick would go unseen, so no entry.
    assert not (cache_dir / SNAPSHOT_NAME).exists()
    assert loaded(root).parse_counts == {"cached": 0, "parsed": 1}
    age(root)
    analyze_workspace(root)
    assert loaded(root).deferred


@pytest.mark.parametrize(
    "content",
    [b"", b"not marshal at all", marshal.dumps(("djmig-parsed", 1)), marshal.dumps([1, 2, 3])],
    ids=["empty", "garbage", "short-header", "list"],
)
def test_corrupt_cache_is_ignored(bench_workspace: Path, cache_dir: Path, content, caplog):
    expected = cold(bench_workspace)
    cache_dir.mkdir()
    (cache_dir / FILE_NAME).write_bytes(content)
    (cache_dir / SNAPSHOT_NAME).write_bytes(content)
    with caplog.at_level(logging.INFO, logger="djmig"):
        assert_same(analyze_workspace(bench_workspace), expected)
    assert any("parse cache" in r.getMessage() and "ignored" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    # The run rewrote both files: the next one is answered from them.
    workspace = loaded(bench_workspace)
    assert workspace.deferred
    assert_same(workspace.analyze(), expected)


def test_corrupt_entries_are_parsed_again(bench_workspace: Path, cache_dir: Path, caplog):
    expected = cold(bench_workspace)
    analyze_workspace(bench_workspace)
    (cache_dir / SNAPSHOT_NAME).unlink()
    header, entries = marshal.loads((cache_dir / FILE_NAME).read_bytes())
    broken = next(name for name in entries if name.endswith("0099_emoji.py"))
    size, mtime_ns, facts = entries[broken]
    entries[broken] = (size, mtime_ns, facts[:3])
    other = next(name for name in entries if name.endswith("0001_initial.py"))
    entries[other] = "nonsense"
    (cache_dir / FILE_NAME).write_bytes(marshal.dumps((header, entries)))
    with caplog.at_level(logging.WARNING, logger="djmig"):
        assert_same(analyze_workspace(bench_workspace), expected)
    assert sum("is corrupt" in r.getMessage() for r in caplog.records) == 2


def test_cache_of_another_version_is_ignored(bench_workspace: Path, cache_dir: Path, caplog):
    expected = cold(bench_workspace)
    analyze_workspace(bench_workspace)
    header, entries = marshal.loads((cache_dir / FILE_NAME).read_bytes())
    foreign = (*header[:2], "0.0.1", *header[3:])
    # Entries claiming every file is an empty migration: used, they would change the findings.
    empty = encode_migration(MigrationFile(MigrationKey("x", "y"), Path("y.py")))
    emptied = {name: (size, mtime, empty) for name, (size, mtime, _) in entries.items()}
    (cache_dir / FILE_NAME).write_bytes(marshal.dumps((foreign, emptied)))
    (cache_dir / SNAPSHOT_NAME).unlink()
    with caplog.at_level(logging.INFO, logger="djmig"):
        assert_same(analyze_workspace(bench_workspace), expected)
    assert any("another djmig" in r.getMessage() for r in caplog.records)


def test_unwritable_cache_directory(bench_workspace: Path, tmp_path: Path, monkeypatch, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DJMIG_CACHE_DIR", str(blocker / "cache"))
    expected = cold(bench_workspace)
    with caplog.at_level(logging.INFO, logger="djmig"):
        assert_same(analyze_workspace(bench_workspace), expected)
        assert_same(analyze_workspace(bench_workspace), expected)
    assert any("cannot write the parse cache" in r.getMessage() for r in caplog.records)


def test_cache_off_in_configuration(tmp_path: Path, cache_dir: Path):
    (tmp_path / "p").mkdir()
    root = make_project(
        tmp_path / "p",
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration(),
            "pyproject.toml": "[tool.djmig]\ncache = false\n",
        },
    )
    age(root)
    analyze_workspace(root)
    assert not cache_dir.exists()
    (tmp_path / "q").mkdir()
    bad = make_project(tmp_path / "q", {"pyproject.toml": '[tool.djmig]\ncache = "no"\n'})
    notices = [str(n) for n in analyze_workspace(bad).notices]
    assert any("option 'cache': expected true or false" in n for n in notices)


def test_the_language_server_writes_the_cache_in_a_forked_child(
    bench_workspace: Path, cache_dir: Path
) -> None:
    expected = cold(bench_workspace)
    workspace = loaded(bench_workspace)
    workspace.analyze()
    writer = workspace.save_cache(background=True)
    assert writer is not None  # two cores here: a child writes
    writer.join(60)
    assert not writer.is_alive()
    assert not list(cache_dir.rglob("*.tmp"))
    # What the child wrote is what a warm start answers from, parse cache and snapshot.
    again = loaded(bench_workspace)
    assert again.deferred
    assert_same(again.analyze(), expected)
    again.ensure_loaded()
    assert again.parse_counts == {"cached": len(expected.migrations), "parsed": 0, "resumed": 1}


class _Interleaved(dict):
    """Snapshot inputs whose reading lets another thread run ``meanwhile`` (for up to half
    a second): the interleaving of a database read ending while the snapshot is taken."""

    meanwhile: Any = None

    def items(self) -> Any:
        other = threading.Thread(target=self.meanwhile)
        other.start()
        other.join(0.5)
        self.late = other
        return super().items()


def test_a_database_read_ending_while_the_snapshot_is_taken(
    bench_workspace: Path, cache_dir: Path
) -> None:
    """Seen in the LSP benchmark as "Error in server: 'NoneType' object has no attribute
    'items'": the server's event loop stored a database notice (forgetting the graph
    findings) while its executor thread was copying them for the snapshot."""
    workspace = loaded(bench_workspace)
    workspace.analyze()
    inputs = _Interleaved(workspace._snapshot_inputs)
    inputs.meanwhile = lambda: workspace.set_database(None, "cannot read the database")
    workspace._snapshot_inputs = inputs
    workspace.save_cache()  # raised AttributeError when set_database did not wait
    inputs.late.join(10)
    assert not inputs.late.is_alive()
    assert workspace.database_notice == "cannot read the database"
    assert "cannot read the database" in [str(n) for n in workspace.analyze().notices]


def test_unsaved_buffers_bypass_the_cache(bench_workspace: Path, cache_dir: Path):
    analyze_workspace(bench_workspace)
    path = bench_workspace / "app001/migrations/0099_emoji.py"
    buffer = path.read_text(encoding="utf-8").replace(
        "migrations.RunPython(forwards)",
        "migrations.RunPython(forwards, migrations.RunPython.noop)",
    )
    workspace = Workspace(bench_workspace, Config(), overlays={path: buffer})
    workspace.load()
    assert not workspace.deferred  # an editor buffer: the snapshot does not apply
    assert "DM201" not in {f.code for f in workspace.analyze().by_path.get(path, [])}
    workspace.save_cache()
    # The buffer's parse was not stored as the file's: the disk still has DM201.
    again = loaded(bench_workspace)
    assert "DM201" in {f.code for f in again.analyze().by_path[path]}
    assert (
        again.migrations[MigrationKey("app001", "0099_emoji")]
        .operations[1]
        .argument(1, "reverse_code")
        is not None
    )


def test_edit_after_warm_start_parses_the_deferred_files(bench_workspace: Path, cache_dir):
    analyze_workspace(bench_workspace)
    workspace = loaded(bench_workspace)
    assert workspace.deferred
    path = bench_workspace / "app002/migrations/0099_missing.py"
    fixed = path.read_text().replace("9999_missing", "0001_initial")
    assert workspace.update_file(path, fixed)
    assert not workspace.deferred
    analysis = workspace.analyze()
    assert "DM102" not in {f.code for f in analysis.by_path.get(path, [])}
    assert path in analysis.changed


# -- the language server --------------------------------------------------------------

SERVER = [sys.executable, "-m", "djmig", "serve"]
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "server")}
SHOP = {
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": migration(initial=True),
    "shop/migrations/0002_emoji.py": migration(
        deps=[("shop", "0001_initial")], ops=EMOJI_OPS
    ).replace("class Migration", FORWARDS + "class Migration"),
    "shop/migrations/0002_other.py": migration(deps=[("shop", "0001_initial")]),
}


@pytest.fixture
def warm_project(tmp_path: Path) -> Path:
    root = make_project(tmp_path, SHOP)
    age(root)
    analyze_workspace(root)  # the server finds the caches of this run (XDG_CACHE_HOME)
    workspace = loaded(root)
    assert workspace.deferred
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def client(lsp_client: LanguageClient, warm_project: Path):
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        pass

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=warm_project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=warm_project.as_uri(), name="p")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_server_warm_start_publishes_the_cold_diagnostics_then_follows_edits(
    client: LanguageClient, warm_project: Path
):
    emoji = warm_project / "shop/migrations/0002_emoji.py"
    other = warm_project / "shop/migrations/0002_other.py"

    def codes(path: Path) -> list[str]:
        return sorted(str(d.code) for d in client.diagnostics.get(path.as_uri(), []))

    async with asyncio.timeout(15):
        while not (codes(emoji) and codes(other)):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert codes(emoji) == ["DM101", "DM201"]
    text = emoji.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines()) if "RunPython(forwards)" in t)
    utf16 = text.splitlines()[line].index("migrations.RunPython") + 1  # the emoji: 2 units
    run_python = next(d for d in client.diagnostics[emoji.as_uri()] if d.code == "DM201")
    assert (run_python.range.start.line, run_python.range.start.character) == (line, utf16)

    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=other.as_uri(), language_id="python", version=1, text=other.read_text()
            )
        )
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=other.as_uri(), version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text=migration(deps=[("shop", "0002_emoji")])
                )
            ],
        )
    )
    async with asyncio.timeout(15):
        while codes(emoji) != ["DM201"] or codes(other):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


# -- parsing on a second core ---------------------------------------------------------


@pytest.mark.parametrize("decode_every", [1, 10_000])  # as the facts arrive; at the end
def test_parse_worker_gives_what_parsing_here_gives(
    bench_workspace: Path, monkeypatch, cache_dir, decode_every: int
):
    expected = cold(bench_workspace)
    monkeypatch.setattr(analysis_module, "DECODE_EVERY", decode_every)
    monkeypatch.setattr(worker, "MIN_FILES", 1)
    monkeypatch.setattr(worker, "available_cores", lambda: 2)
    # A slow parent: the child (not slowed) parses a good part before they meet.
    parse = analysis_module.parse_migration_file

    def slowly(*args: Any) -> MigrationFile:
        time.sleep(0.02)
        return parse(*args)

    monkeypatch.setattr(analysis_module, "parse_migration_file", slowly)
    workspace = Workspace(bench_workspace, Config(cache=False))
    workspace.load()
    assert 0 < workspace.parse_counts["worker"] <= len(expected.migrations)
    assert workspace.migrations == expected.migrations
    assert list(workspace.migrations) == list(expected.migrations)
    assert_same(workspace.analyze(), expected)
    # With the cache on, the worker's encoded facts are what the cache stores.
    assert_same(analyze_workspace(bench_workspace), expected)
    again = loaded(bench_workspace)
    assert again.deferred
    assert again.migrations == expected.migrations


def test_a_bad_chunk_from_the_worker_leaves_it_and_the_later_ones_to_the_parent(caplog):
    ahead = worker.Worker.__new__(worker.Worker)  # the chunks as the reader thread keeps them
    ahead._taken, ahead._broken = 0, False
    ahead._chunks = [(marshal.dumps([(9, "nine"), (8, "eight")]), 9, 2)]
    assert ahead.arrived() == {9: "nine", 8: "eight"}
    ahead._chunks += [(b"not marshal", 7, 2), (marshal.dumps([(5, "five")]), 5, 1)]
    with caplog.at_level(logging.INFO, logger="djmig"):
        assert ahead.arrived() == {}
    assert ahead._unpack() == {}  # what stop() returns after that
    assert any("bad chunk" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "failure",
    ["forked child dies", "cannot fork, interpreter fails", "no fork, interpreter missing"],
)
def test_parse_worker_that_fails_leaves_the_files_to_the_parent(
    bench_workspace: Path, monkeypatch, failure: str, caplog
):
    expected = cold(bench_workspace)
    monkeypatch.setattr(worker, "MIN_FILES", 1)
    monkeypatch.setattr(worker, "available_cores", lambda: 2)
    if failure == "forked child dies":
        monkeypatch.setattr(worker, "_parse_backwards", lambda *args: os._exit(3))
    elif failure == "cannot fork, interpreter fails":
        monkeypatch.setattr(forked, "fork_piped", lambda: None)
        monkeypatch.setattr(sys, "executable", "/bin/false")
    else:
        monkeypatch.setenv("DJMIG_NO_FORK", "1")
        monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with caplog.at_level(logging.INFO, logger="djmig"):
        analysis = analyze_workspace(bench_workspace, Config(cache=False))
    assert_same(analysis, expected)
    assert analysis.migrations == expected.migrations
    assert analysis.workspace is not None
    assert analysis.workspace.parse_counts.get("worker", 0) == 0  # all parsed here
    if failure == "no fork, interpreter missing":  # (a child that dies may be stopped unseen)
        assert any("cannot start a parse worker" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("no_fork", ["", "1"])
def test_parse_worker_is_forked_where_fork_is_available(
    bench_workspace: Path, monkeypatch, no_fork
):
    monkeypatch.setattr(worker, "MIN_FILES", 1)
    monkeypatch.setattr(worker, "available_cores", lambda: 2)
    monkeypatch.setenv("DJMIG_NO_FORK", no_fork)
    files = [item for app in discover(bench_workspace, Config()).apps.values()
             for item in app.migration_files().items()]  # fmt: skip
    started = worker.start(files)
    assert started is not None
    try:
        assert isinstance(started._proc, subprocess.Popen) == bool(no_fork)
        started._reader.join(timeout=60)
        assert started.lowest == 0
        facts = started.stop()
        key, path = files[0]
        assert decode_migration(key, path, facts[0]) == parse_migration_file(key, path)
        assert started._proc.poll() is not None
    finally:
        started.stop()


def test_every_field_is_cached():
    """A field added to ``MigrationFile`` or ``Finding`` must be added to the encodings."""
    import dataclasses

    from djmig.index.cache import ENCODED_FIELDS
    from djmig.rules import Finding
    from djmig.snapshot import FINDING_FIELDS

    names = [f.name for f in dataclasses.fields(MigrationFile)]
    assert sorted(names) == sorted(["key", "path", *ENCODED_FIELDS])
    assert [f.name for f in dataclasses.fields(Finding)] == list(FINDING_FIELDS)


def test_a_commit_of_the_settings_is_seen_by_a_warm_start(tmp_path: Path, cache_dir) -> None:
    """DM301 compares the settings with git HEAD: the snapshot's key covers the commit."""
    from test_user_model_rules import git, switched_project

    root, before, after = switched_project(tmp_path)
    settings = root / "proj/settings.py"
    settings.write_text(before)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    settings.write_text(after)
    age(root)
    assert "DM301" in {f.code for f in analyze_workspace(root).findings}
    assert "DM301" in {f.code for f in analyze_workspace(root).findings}  # the snapshot
    git(root, "commit", "-q", "-am", "switch")  # the files on disk stay as they are
    assert "DM301" not in {f.code for f in analyze_workspace(root).findings}


def test_database_findings_never_enter_the_snapshot(
    tmp_path: Path, cache_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, SHOP)
    database = root / "db.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT,"
            " applied TEXT)"
        )
        connection.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES"
            " ('shop', '0001_initial', '2026-11-30 10:00:00'),"
            " ('shop', '0009_gone', '2026-11-30 10:00:00')"
        )
    connection.close()
    age(root)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    found = analyze_workspace(root, database=True)  # what `djmig check --database auto` does
    assert "DM502" in {f.code for f in found.findings}
    monkeypatch.delenv("DATABASE_URL")
    for _ in range(2):  # cold, then from the snapshot
        assert "DM502" not in {f.code for f in analyze_workspace(root).findings}


# -- a start after a few files changed on disk resumes from the snapshot ----------------------


def _edit(root: Path, kind: int, pick: int, moment: int) -> None:
    """One change on disk, as a ``git checkout`` or another editor would make it."""
    migrations = sorted(root.glob("app00[0-5]/migrations/0*.py"))
    path = migrations[pick % len(migrations)]
    text = path.read_text(encoding="utf-8", errors="replace")
    if kind == 1 and 'name="' in text:  # a model renamed where it is created
        start = text.index('name="') + len('name="')
        text = text[:start] + "Renamed" + text[start:]
    elif kind == 2 and "operations = [" in text:  # DM201
        text = text.replace(
            "operations = [", "operations = [\n        migrations.RunPython(print),"
        )
    elif kind == 3 and "dependencies = [" in text:  # the graph changes
        app = path.parent.parent.name
        text = text.replace(
            "dependencies = [", f"dependencies = [\n        ({app!r}, '0001_initial'),"
        )
    elif kind == 4:  # a models module (DM401)
        path = root / path.parent.parent.name / "models.py"
        text = path.read_text(encoding="utf-8")
        text = text.replace(
            "(models.Model):\n", "(models.Model):\n    planted = models.IntegerField()\n", 1
        )
    elif kind == 5:  # a migration deleted
        path.unlink()
        return
    elif kind == 6:  # a new leaf, with a relation to a model of another app
        app = path.parent.parent.name
        leaf = sorted(path.parent.glob("0*.py"))[-1].stem
        other = f"app00{(int(app[-1]) + 1 + pick % 5) % 6}"
        initial = root / other / "migrations/0001_initial.py"
        target = re.search(r'name="(\w+)"', initial.read_text()) if initial.exists() else None
        ops = (
            f'migrations.CreateModel("Pulled", [("id", models.AutoField(primary_key=True)), '
            f'("ref", models.ForeignKey(on_delete=models.CASCADE, '
            f'to="{other}.{target.group(1).lower() if target else "gone"}"))])'
        )
        path = path.parent / "0999_pulled.py"
        text = migration(deps=[(app, leaf)], ops=ops)
    path.write_text(text, encoding="utf-8")  # kind 0: only the time changes
    os.utime(path, ns=(moment, moment))


#: (kind of change, which file): see ``_edit``.
EDITS = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 10_000)), min_size=1, max_size=3)


@settings(max_examples=80, deadline=None)
@given(edits=EDITS)
def test_a_start_after_changes_on_disk_reports_what_a_cold_analysis_reports(
    bench_workspace: Path, edits: list[tuple[int, int]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "workspace"
        shutil.copytree(bench_workspace, root)
        os.environ["DJMIG_CACHE_DIR"] = str(Path(tmp) / "cache")
        try:
            analyze_workspace(root)  # the snapshot the next start resumes from
            moment = time.time_ns() - 1000 * 1_000_000_000
            for i, (kind, pick) in enumerate(edits):
                _edit(root, kind, pick, moment + i * 1_000_000_000)
            assert_same(analyze_workspace(root), cold(root))
            assert_same(analyze_workspace(root), cold(root))  # and from what that one wrote
        finally:
            del os.environ["DJMIG_CACHE_DIR"]


def test_a_few_changed_files_run_only_the_rules_they_concern(bench_workspace: Path, tmp_path):
    root = tmp_path / "workspace"
    shutil.copytree(bench_workspace, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJMIG_CACHE_DIR", str(tmp_path / "cache"))
        analyze_workspace(root)
        moment = time.time_ns() - 1000 * 1_000_000_000
        _edit(root, 2, 30, moment)  # DM201 in one migration
        workspace = loaded(root)
        assert workspace.parse_counts == {"cached": len(workspace.migrations), "parsed": 1,
                                          "resumed": 1}  # fmt: skip
        ran: list[str] = []
        check = workspace._rule_findings

        def counted(context, keys, apps, only=None):  # type: ignore[no-untyped-def]
            ran.extend(apps)
            return check(context, keys, apps, only)

        patch.setattr(workspace, "_rule_findings", counted)
        assert_same(workspace.analyze(), cold(root))
        edited = sorted(root.glob("app00[0-5]/migrations/0*.py"))[30].parent.parent.name
        assert ran == [edited]  # the other apps' findings came from the snapshot
        workspace.save_cache()
        # A new leaf in one app (a ``git pull``): its app and the apps that read its
        # models run again, not all of them.
        _edit(root, 6, 30, moment + 1_000_000_000)
        workspace = loaded(root)
        assert workspace.parse_counts["resumed"] == 1
        ran.clear()
        check = workspace._rule_findings
        patch.setattr(workspace, "_rule_findings", counted)
        assert_same(workspace.analyze(), cold(root))
        assert edited in ran
        assert len(set(ran)) < len([a for a in workspace.project.apps if a.startswith("app")])


def _texts(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.glob("app00[0-5]/**/*.py")}


@settings(max_examples=30, deadline=None)
@given(edits=EDITS)
def test_the_language_servers_warm_start_takes_up_the_snapshot_then_follows_edits(
    bench_workspace: Path, edits: list[tuple[int, int]]
) -> None:
    """Answered from an exact snapshot, the files are loaded in the background with the
    snapshot's findings by scope: no rule runs again; edits after that (the watched files
    of a ``git checkout``) give what a cold analysis gives."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "workspace"
        shutil.copytree(bench_workspace, root)
        os.environ["DJMIG_CACHE_DIR"] = str(Path(tmp) / "cache")
        try:
            analyze_workspace(root)
            workspace = loaded(root)
            assert workspace.deferred
            expected = workspace.analyze()
            workspace.ensure_loaded()
            assert workspace.parse_counts.get("resumed") == 1
            ran: list[str] = []
            check = workspace._rule_findings

            def counted(context, keys, apps, only=None):  # type: ignore[no-untyped-def]
                ran.extend(apps)
                return check(context, keys, apps, only)

            workspace._rule_findings = counted  # type: ignore[method-assign]
            assert_same(workspace.analyze(), expected)
            assert ran == []
            before = _texts(root)
            moment = time.time_ns() - 1000 * 1_000_000_000
            for i, (kind, pick) in enumerate(edits):
                _edit(root, kind, pick, moment + i * 1_000_000_000)
            after = _texts(root)
            for path in before.keys() | after.keys():
                if before.get(path) != after.get(path):
                    workspace.update_file(path)
            assert_same(workspace.analyze(), cold(root))
        finally:
            del os.environ["DJMIG_CACHE_DIR"]


def test_a_module_read_for_a_base_class_is_part_of_the_snapshot(tmp_path: Path, cache_dir):
    """``tracking/base_models.py`` is no models module, but DM401 read a base class there:
    a change of it while djmig was not running invalidates the snapshot, and a warm start
    tracks it (an edit of it is seen)."""
    root = make_project(tmp_path, TRACKING, installed_apps=["tracking"])
    age(root)
    assert analyze_workspace(root).findings == []
    warm = loaded(root)
    assert warm.deferred and warm.tracks(root / "tracking/base_models.py")
    write(root, "tracking/base_models.py", TRACKING_BASE.replace("DateTimeField()", "DateField()"))
    again = loaded(root)
    assert not again.deferred  # the snapshot does not apply
    assert [f.code for f in again.analyze().findings] == ["DM401"]
