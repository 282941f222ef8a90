"""The database in the editor: when it is read, code lenses of applied state, the applied
state that hovers and graphs show.

The database is never read on the keystroke path: once after each (re-)index, on
``djmig.refreshDatabase``, on save of a migration or settings file, and every
``database_refresh_interval`` seconds when set. Reads run off the event loop, one at a time
per workspace (a request during a read makes one more read after it, never a queue), and
their failure is one information message; the migration diagnostics are published before
any read starts and do not wait for it.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from djmig import db
from djmig.analysis import Workspace
from djmig.keys import MigrationKey, Span
from djmig.lsp.convert import path_to_uri, to_range

if TYPE_CHECKING:
    from djmig.lsp.server import DjmigServer

logger = logging.getLogger(__name__)

REFRESH = "djmig.refreshDatabase"


class DatabaseReads:
    """The reads of each workspace root's database."""

    def __init__(self, ls: DjmigServer) -> None:
        self.ls = ls
        self.locks: dict[Path, asyncio.Lock] = {}
        self.pending: set[Path] = set()
        self.shown: dict[Path, str | None] = {}
        self.timers: dict[Path, asyncio.Task[None]] = {}
        self.background: set[asyncio.Task[str]] = set()

    def schedule(self, root: Path) -> None:
        """Read soon, in the background; during a read, once more after it."""
        lock = self.locks.setdefault(root, asyncio.Lock())
        if lock.locked():
            self.pending.add(root)
            return
        task = asyncio.ensure_future(self.read(root))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def read(self, root: Path) -> str:
        """Read now (after a read in progress) and publish; the one-line outcome."""
        lock = self.locks.setdefault(root, asyncio.Lock())
        async with lock:
            outcome = await self._read(root)
            while root in self.pending:
                self.pending.discard(root)
                outcome = await self._read(root)
        return outcome

    async def _read(self, root: Path) -> str:
        workspace = self.ls.workspaces.get(root)
        if workspace is None:
            return "no workspace"
        loop = asyncio.get_running_loop()
        try:
            state, notice = await loop.run_in_executor(
                None, db.load, workspace.config, workspace.project
            )
        except Exception as exc:  # a reader bug must not take the server down
            logger.exception("reading the database failed")
            state, notice = None, f"cannot read the database: {type(exc).__name__}"
        workspace = self.ls.workspaces.get(root)  # re-indexed (or removed) meanwhile
        if workspace is None:
            return "no workspace"
        before = workspace.database.applied if workspace.database is not None else None
        workspace.set_database(state, notice)
        after = state.applied if state is not None else None
        if before != after and self.ls.client_supports("workspace.code_lens.refresh_support"):
            self.ls.workspace_code_lens_refresh(None)
        self.ls.refresh(workspace)
        if notice != self.shown.get(root) and notice:
            self.inform(workspace, notice)
        self.shown[root] = notice
        if state is None:
            return notice or "no database"
        applied = len(state.applied)
        return notice or f"{state.description}: {applied} applied migration{'s' * (applied != 1)}"

    def inform(self, workspace: Workspace, notice: str) -> None:
        """Once per new notice: shown when the database was configured for djmig (option,
        ``DATABASE_URL``), only logged when it is the settings' (often not created yet)."""
        message = f"djmig: {notice}"
        if workspace.config.database or os.environ.get("DATABASE_URL"):
            self.ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Info, message=message)
            )
        else:
            self.ls.window_log_message(
                types.LogMessageParams(type=types.MessageType.Info, message=message)
            )

    def stop(self, root: Path) -> None:
        """The folder is gone: no more timed reads."""
        timer = self.timers.pop(root, None)
        if timer is not None:
            timer.cancel()

    def start_timer(self, workspace: Workspace) -> None:
        """Re-read every ``database_refresh_interval`` seconds (0: never)."""
        root = workspace.root
        self.stop(root)
        interval = workspace.config.database_refresh_interval
        if interval > 0:
            self.timers[root] = asyncio.ensure_future(self._every(root, interval))

    async def _every(self, root: Path, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.schedule(root)


# -- applied state ----------------------------------------------------------------------------


def applied_at(workspace: Workspace, key: MigrationKey) -> tuple[bool, datetime.datetime | None]:
    """Whether ``key`` is applied (``MigrationLoader.applied_migrations``: a squashed
    migration is when all it replaces are) and when it was recorded."""
    database = workspace.database
    assert database is not None
    graph = workspace.graph
    effective = graph.applied if graph.applied is not None else database.applied.keys()
    if key in database.applied:
        return True, database.applied[key]
    if key in effective:
        times = [database.applied.get(k) for k in graph.replacements.get(key, ())]
        known = [t for t in times if t is not None]
        return True, max(known) if known else None
    return False, None


def _when(value: datetime.datetime | None, use_tz: bool) -> str:
    if value is None:
        return ""
    if value.tzinfo is None and use_tz:
        value = value.replace(tzinfo=datetime.timezone.utc)  # Django stores UTC then
    if value.tzinfo is not None:
        value = value.astimezone()
    return f" {value:%Y-%m-%d %H:%M}"


def state_text(workspace: Workspace, key: MigrationKey) -> str:
    applied, when = applied_at(workspace, key)
    use_tz = workspace.project.settings.get("USE_TZ") is not False
    return f"applied{_when(when, use_tz)}" if applied else "not applied"


def code_lenses(ls: DjmigServer, workspace: Workspace, path: Path) -> list[types.CodeLens]:
    """ "applied 2026-11-30 14:02" / "not applied" on ``class Migration``; on the app's
    latest migration, the app's count of unapplied migrations too."""
    key = workspace.files.get(path)
    migration = workspace.migrations.get(key) if key else None
    if key is None or migration is None or workspace.database is None:
        return []
    span = migration.class_span
    range_ = to_range(Span(span.start_line, span.start_col, span.start_line, span.end_col),
                      migration.lines, ls.encoding)  # fmt: skip
    arguments = [path_to_uri(workspace.root)]
    lenses = [
        types.CodeLens(
            range=range_,
            command=types.Command(
                title=state_text(workspace, key), command=REFRESH, arguments=arguments
            ),
        )
    ]
    graph = workspace.graph
    if key in graph.leaf_nodes(key.app_label):
        nodes = [n for n in graph.nodes if n.app_label == key.app_label]
        unapplied = sum(not applied_at(workspace, n)[0] for n in nodes)
        title = f"{key.app_label}: {unapplied} unapplied" if unapplied else "all applied"
        lenses.append(
            types.CodeLens(
                range=range_,
                command=types.Command(title=title, command=REFRESH, arguments=arguments),
            )
        )
    return lenses


# -- applied state for hovers and graphs ---------------------------------------------------


class AppliedMigrations(Mapping[MigrationKey, bool]):
    """``AppliedState`` of the graph's migrations, from what the database read holds."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __getitem__(self, key: MigrationKey) -> bool:
        if key not in self.workspace.graph:
            raise KeyError(key)
        return applied_at(self.workspace, key)[0]

    def __iter__(self) -> Iterator[MigrationKey]:
        return iter(self.workspace.graph.nodes)

    def __len__(self) -> int:
        return len(self.workspace.graph.nodes)
