"""The one entry point both the CLI and the language server call.

``Workspace`` holds a discovered project, its parsed migration files (with optional
unsaved editor text overlaying the disk) and the graph. ``update_file`` re-parses one
file; the graph is rebuilt only when the file's graph facts changed; file rules run again
only for re-parsed files. ``analyze_workspace`` is the one-shot form.

Findings can also sit in the workspace apps' models modules (from per-app rules) and in
the settings modules (from project-wide rules): those files are ``SourceFile``s, parsed on
first use; an edit of one re-runs its app's rules (models) or the project-wide ones
(settings), and re-discovers the project when the settings it is built from change.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from djmig import forked, snapshot
from djmig.config import Config, load_pyproject
from djmig.db import DatabaseState
from djmig.graph import MigrationGraph, build_graph, update_graph
from djmig.index import worker as worker_module
from djmig.index.cache import ParseCache, Stamp, decode_migration, default_directory, stamp
from djmig.index.discovery import WORKSPACE, Notice, Project, discover
from djmig.index.migrations import MigrationFile, parse_migration_file
from djmig.index.models import imports_from
from djmig.index.settings import read_settings
from djmig.index.source import SourceFile, parse_source_file
from djmig.keys import MigrationKey, SourceLines
from djmig.rules import RULES, Context, Finding, Rule, Severity
from djmig.state import StateEngine, replay_facts

logger = logging.getLogger(__name__)

#: Settings from which the project is discovered: a change re-discovers it.
DISCOVERY_SETTINGS = ("INSTALLED_APPS", "MIGRATION_MODULES")

Progress = Callable[[int, int], None]


@contextlib.contextmanager
def _long_lived() -> Iterator[None]:
    """No cyclic garbage collection while the block builds objects that live as long as
    the workspace (parses, the parse cache, the snapshot, model states): the collector
    would keep re-scanning them (measured: ~25 % of a cold index, 0.13 s of loading the
    parse cache). They are frozen out of later collections too."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


#: The parse worker's facts are decoded between every this many files parsed here.
DECODE_EVERY = 250
#: Below this many re-parsed files, the rules run here alone (a fork costs more).
FORK_MIN_FILES = 1500
#: The reader of model states that ``StateEngine.readers`` records for the project-wide rules.
PROJECT = ""


@dataclass
class Analysis:
    """One analysis of a workspace. ``by_path`` holds the reported findings of each file
    that has some; ``changed`` the files whose findings differ from the previous analysis
    of the same workspace (all files with findings, the first time).

    ``migrations`` and ``graph`` are the workspace's; an analysis answered from the
    findings snapshot loads them on first use."""

    project: Project
    by_path: dict[Path, list[Finding]]
    notices: list[Notice]
    config: Config
    reported_paths: list[Path] = field(default_factory=list)
    database: DatabaseState | None = None
    changed: set[Path] = field(default_factory=set)
    timings: dict[str, float] = field(default_factory=dict)
    workspace: Workspace | None = field(default=None, repr=False, compare=False)
    _migrations: dict[MigrationKey, MigrationFile] | None = field(default=None, repr=False)
    _graph: MigrationGraph | None = field(default=None, repr=False)

    @property
    def migrations(self) -> dict[MigrationKey, MigrationFile]:
        if self._migrations is None:
            assert self.workspace is not None
            self._migrations = self.workspace.migrations
        return self._migrations

    @property
    def graph(self) -> MigrationGraph:
        if self._graph is None:
            assert self.workspace is not None
            self._graph = self.workspace.graph
        return self._graph

    @functools.cached_property
    def findings(self) -> list[Finding]:
        """Every finding, sorted by path and position."""
        return sorted((f for found in self.by_path.values() for f in found), key=Finding.sort_key)

    def paths(self) -> list[Path]:
        """Every reported migration file (the workspace's own), findings or not; models and
        settings files are in ``by_path`` when they have findings."""
        return list(self.reported_paths)

    def findings_by_path(self) -> dict[Path, list[Finding]]:
        """Findings grouped by file; files without findings are absent."""
        return {path: list(found) for path, found in self.by_path.items()}


class Workspace:
    def __init__(
        self,
        root: Path,
        config: Config | None = None,
        overlays: dict[Path, str] | None = None,
        discovered: tuple[Project, dict[MigrationKey, Path]] | None = None,
    ) -> None:
        """``discovered``: the project ``discover`` finds for ``config`` and its migration
        files, found moments ago (the language server's head start)."""
        self.root = root.resolve()
        self.config_errors: list[str] = []
        if config is None:
            config, self.config_errors = load_pyproject(self.root)
        self.config = config
        self.overlays: dict[Path, str] = overlays if overlays is not None else {}
        self._listed: dict[MigrationKey, Path] | None = None  # for the first load
        if discovered is not None:
            self.project, self._listed = discovered
        else:
            self.project = discover(self.root, config, self.overlays)
        self._files: dict[Path, MigrationKey] = {}
        self._migrations: dict[MigrationKey, MigrationFile] = {}
        self.sources: dict[Path, SourceFile] = {}  # models and settings files, parsed on use
        self._file_findings: dict[MigrationKey, list[Finding]] = {}  # non-empty only
        self._stale: set[MigrationKey] = set()  # files whose file rules must run again
        self._reported: dict[Path, None] = {}  # ordered set
        self._graph: MigrationGraph | None = None
        self._graph_findings: dict[Path, list[Finding]] | None = None
        self._state: StateEngine | None = None
        # Per app label, by path; an absent label is stale.
        self._app_findings: dict[str, dict[Path, list[Finding]]] = {}
        self._rerun: dict[str, set[str]] = {}  # per app, rules whose findings were dropped
        self._errors: dict[Path, str] = {}  # files that cannot be parsed
        # What analyze() reported last, and the files whose findings may have changed.
        self._by_path: dict[Path, list[Finding]] = {}
        self._dirty: set[Path] = set()
        self.rule_errors: list[str] = []
        self.timings: dict[str, float] = {}
        # What was last read from the database (None: not read, or unreadable: the notice).
        self.database: DatabaseState | None = None
        self.database_notice: str | None = None
        self._cache: ParseCache | None = None  # from load() until save_cache()
        # Answered from the findings snapshot: the files still to parse, and their lines.
        self._deferred: tuple[dict[MigrationKey, Path], dict[Path, Stamp | None]] | None = None
        self._deferred_snapshot: snapshot.Snapshot | None = None  # what answered meanwhile
        #: Modules that are not models modules, read for base classes → their module name
        #: and their stamp when read (the findings snapshot is only valid while it holds).
        self._support: dict[Path, tuple[str, Stamp | None]] = {}
        self._snapshot_lines: dict[Path, SourceLines] = {}
        self._loading = threading.RLock()
        # The snapshot key of the files as loaded from disk (and the stamps it was made
        # of); None once anything is edited.
        self._snapshot_key: str | None = None
        self._snapshot_stamps: list[Stamp | None] = []
        self._snapshot_inputs: dict[Path, Stamp | None] = {}  # migration and models files
        self._snapshot_base: str | None = None  # the key without the inputs' stamps
        self._analyzed_as_loaded = False
        #: Files of the last parse of every file, from the parse cache and parsed afresh.
        self.parse_counts: dict[str, int] = {"cached": 0, "parsed": 0}

    @property
    def files(self) -> dict[Path, MigrationKey]:
        """The parsed migration files' keys, by path."""
        self.ensure_loaded()
        return self._files

    @property
    def migrations(self) -> dict[MigrationKey, MigrationFile]:
        """The parsed migration files."""
        self.ensure_loaded()
        return self._migrations

    # -- loading ----------------------------------------------------------------------------

    def load(self, progress: Progress | None = None) -> None:
        """Parse every migration file: from the on-disk cache when the file is unchanged
        (``index/cache.py``), from the editor buffer when there is one, else from disk.
        ``save_cache()`` writes what was parsed afresh.

        When the findings snapshot (``snapshot.py``) matches every input, nothing is
        parsed: ``analyze()`` answers from it, and the files are parsed on first use of
        the migrations (``ensure_loaded()``)."""
        with _long_lived():
            self._load(progress)

    def _load(self, progress: Progress | None) -> None:
        started = time.perf_counter()
        files, self._listed = self._listed or {}, None
        if not files:
            for app in self.project.apps.values():
                files.update(app.migration_files())
        stamps: dict[Path, Stamp | None] = {}
        self._snapshot_key = None
        if self.config.cache and not self.overlays and self.config.database is None:
            stamps = {path: stamp(path) for path in files.values()}
            sources = [p for label in self.project.apps for p in self.models_files(label)] + list(
                self.project.settings.files
            )
            keyed = [*stamps.items(), *((p, stamp(p)) for p in sources)]
            settings = set(self.project.settings.files)
            self._snapshot_inputs = {p: s for p, s in keyed if p not in settings}
            self._snapshot_key, self._snapshot_base = snapshot.workspace_keys(
                self.project,
                self.config,
                [(p, s) for p, s in keyed if p in settings],
                self._snapshot_inputs.items(),
            )
            self._snapshot_stamps = [s for _, s in keyed]
            found = snapshot.load(
                default_directory(self.root),
                self._snapshot_key,
                {str(p): p for p in (*stamps, *sources)},
                self._snapshot_base,
            )
            if found is not None and any(
                stamp(p) != s or s is None for p, (_, s) in found.support.items()
            ):
                found = None  # a module read for base classes changed since
            if found is not None:
                self._support.update(found.support)
            if found is not None and (found.exact or self._resume(found, files)):
                worker_module.drop_prefetched()
                if found.exact:
                    self._answer_from(found, files, stamps)
                self.timings["parse"] = time.perf_counter() - started
                if progress:
                    progress(len(files), len(files))
                return
        self._parse(files, stamps, progress)
        self.timings["parse"] = time.perf_counter() - started

    def _answer_from(
        self,
        found: snapshot.Snapshot,
        files: dict[MigrationKey, Path],
        stamps: dict[Path, Stamp | None],
    ) -> None:
        self._deferred = files, stamps
        self._deferred_snapshot = found
        self._dirty = set()
        self._publish_snapshot(found)
        self._errors = found.errors
        self._snapshot_lines = found.lines
        self._reported = {
            path: None
            for key, path in files.items()
            if self._reported_migration(key.app_label, path)
        }
        logger.debug("findings snapshot of %s used; parsing deferred", self.root)

    def _publish_snapshot(self, found: snapshot.Snapshot) -> None:
        """Report the snapshot's findings; the files whose findings differ from what was
        reported before (a re-index) are dirty."""
        previous, self._by_path = self._by_path, found.by_path
        self._dirty.update(
            p
            for p in previous.keys() | found.by_path.keys()
            if previous.get(p) != found.by_path.get(p)
        )

    def _resume(
        self,
        found: snapshot.Snapshot,
        files: dict[MigrationKey, Path],
    ) -> bool:
        """Start from the findings of a snapshot taken when some migration or models files
        were different: the files as they were then (from the parse cache) with the
        findings by scope, then each changed file is read again as an edit would be, so
        that only the rules it concerns run again (a migration added or removed too:
        ``_node_added_or_removed``). False, with nothing changed, when the files then are
        not all in the parse cache any more, or a models file was added or removed."""
        scoped, stamps = found.scoped, self._snapshot_inputs
        if scoped is None:
            return False
        now = {path: key for key, path in files.items()}
        gone = scoped.stamps.keys() - stamps.keys()
        before = {path: self.key_for_path(path) for path in gone}
        if None in before.values() or stamps.keys() - now.keys() != (
            scoped.stamps.keys() - gone - now.keys()
        ):
            return False  # a models file added or removed, or an app's migrations
        changed = [p for p in stamps.keys() | gone if scoped.stamps.get(p) != stamps.get(p)]
        cache = ParseCache(self.root)
        then: dict[MigrationKey, MigrationFile] = {}
        for path, known in (*now.items(), *before.items()):
            if path not in scoped.stamps:
                continue  # added since
            assert known is not None
            migration = cache.get(known, path, scoped.stamps[path])
            if migration is None:
                return False
            then[known] = migration
        for migration in then.values():
            self._store(migration)
        self._cache = cache
        self._stale, self._dirty, self._rerun = set(), set(), {}
        self._publish_snapshot(found)
        self._errors = dict(found.errors)
        self._file_findings = scoped.files
        self._graph_findings = scoped.graph
        self._app_findings = scoped.apps
        self.state.readers = scoped.readers
        snapshot_key, self._snapshot_key = self._snapshot_key, None
        for path in changed:
            self._update_file(path, None)  # it forgets the snapshot key: set again below
            edited = self._files.get(path)
            if edited is not None:
                cache.put(path, stamps[path], self._migrations[edited])
        self._snapshot_key = snapshot_key
        self.parse_counts = {"cached": len(then), "parsed": len(changed), "resumed": 1}
        logger.debug("findings snapshot of %s resumed; %d files changed", self.root, len(changed))
        return True

    @property
    def deferred(self) -> bool:
        """Whether the findings came from the snapshot and the files are not parsed yet."""
        return self._deferred is not None

    def ensure_loaded(self) -> None:
        """Parse the files whose findings came from the snapshot (thread-safe: the
        language server does it in the background after the first publish)."""
        if self._deferred is None:
            return
        with self._loading:
            if self._deferred is None:
                return
            files, stamps = self._deferred
            self._deferred = None  # (``_resume`` builds the graph, which would wait for it)
            found, self._deferred_snapshot = self._deferred_snapshot, None
            started = time.perf_counter()
            # The files as the snapshot saw them (all in the parse cache) with its findings
            # by scope: no rule runs again (measured on the benchmark workspace: the
            # rules took 0.55 s, and the first keystrokes waited for them). Else every
            # file parsed, and what analyze() reported compared with the new findings.
            try:
                with _long_lived():
                    if found is not None and found.scoped is None and found.decode_scoped:
                        found.scoped = found.decode_scoped()
                    if found is None or not self._resume(found, files):
                        self._parse(files, stamps, None)
                        self._dirty.update(self._by_path)
            finally:
                self._snapshot_lines = {}  # the files' own lines from now on
            self.timings["deferred_parse"] = time.perf_counter() - started

    def _parse(
        self,
        files: dict[MigrationKey, Path],
        stamps: dict[Path, Stamp | None],
        progress: Progress | None,
    ) -> None:
        total = len(files)
        with _long_lived():
            cache = self._cache = ParseCache(self.root) if self.config.cache else None
            parsed: dict[MigrationKey, MigrationFile] = {}
            pending: list[tuple[MigrationKey, Path]] = []
            for key, path in files.items():
                text = self.overlays.get(path)
                if text is not None:
                    parsed[key] = parse_migration_file(key, path, text)
                    continue
                if cache is not None:
                    if path not in stamps:
                        stamps[path] = stamp(path)
                    found = cache.get(key, path, stamps[path])
                    if found is not None:
                        parsed[key] = found
                        continue
                pending.append((key, path))
            # A worker parses from the end of ``pending`` while this loop parses from the
            # start, until they meet (``index/worker.py``). One started ahead by the
            # language server (``lsp/early.py``) parses all ``files``: ``slot`` maps.
            worker = worker_module.adopt(self.root, list(files.items()))
            if worker is not None:
                position = {key: i for i, key in enumerate(files)}
                slot = [position[key] for key, _ in pending]
            else:
                worker = worker_module.start(pending)
                slot = list(range(len(pending)))
            if worker is not None:
                # The models modules first, while the worker parses migrations: both halves
                # of the forked rules read nearly all of them (DM304 looks up other apps'
                # classes), which they would each parse again.
                for label in self.project.apps:
                    for models_path in self.models_files(label):
                        self.source(models_path)
            # The worker's facts, decoded as they arrive (by position in ``pending``).
            decoded: dict[int, MigrationFile] = {}
            in_pending = {s: i for i, s in enumerate(slot)}

            def decode(received: dict[int, Any]) -> None:
                for index, facts in received.items():
                    at = in_pending.get(index)
                    if at is None or at < here:  # not needed, or parsed here
                        continue
                    key, path = pending[at]
                    try:
                        decoded[at] = decode_migration(key, path, facts)
                    except (ValueError, TypeError, IndexError) as exc:
                        logger.info("parse worker sent bad facts for %s: %s", path, exc)
                        continue
                    if cache is not None:
                        cache.put_encoded(path, stamps[path], facts)

            here = 0
            for key, path in pending:
                if worker is not None:
                    if here % DECODE_EVERY == 0:
                        decode(worker.arrived())
                    if slot[here] >= worker.lowest:
                        break
                migration = parsed[key] = parse_migration_file(key, path)
                if cache is not None:
                    cache.put(path, stamps[path], migration)
                here += 1
                if progress and here % 200 == 0:
                    progress(len(parsed), total)
            if worker is not None:
                decode(worker.stop())
            for index in range(here, len(pending)):
                key, path = pending[index]
                found = decoded.get(index)
                if found is None:  # not sent, or not readable: parsed here
                    found = parse_migration_file(key, path)
                    if cache is not None:
                        cache.put(path, stamps[path], found)
                parsed[key] = found
            for key in files:
                self._store(parsed[key])
            if progress:
                progress(total, total)
        cached = self._cache.hits if self._cache is not None else 0
        self.parse_counts = {"cached": cached, "parsed": total - cached}
        if worker is not None:
            self.parse_counts["worker"] = len(pending) - here
        if self._cache is not None:
            logger.debug("parse cache %s: %s", self._cache.path, self.parse_counts)
        self._invalidate_graph()

    def save_cache(self, background: bool = False) -> threading.Thread | None:
        """Write the parse cache if ``load()`` parsed files afresh, and the findings
        snapshot if the last ``analyze()`` saw the files as loaded from disk (failures
        are logged, never raised). ``background``: encode and write them in a forked
        child (``forked.background``), so that this process, a language server, stays free
        for the first keystrokes; returns the thread that ends with the child, if any."""
        started = time.perf_counter()
        cache, self._cache = self._cache, None
        # The language server calls this in a thread: what the snapshot holds is taken
        # while no edit or analysis can run (they hold the same lock).
        with self._loading:
            key, self._snapshot_key = self._snapshot_key, None
            if (
                key is not None
                and self._analyzed_as_loaded
                and self._deferred is None
                and self.database is None  # the key does not cover a database's records
                and self.database_notice is None
                and not snapshot.recent(self._snapshot_stamps)
                and all(s is not None for _, s in self._support.values())
                and not snapshot.recent([s for _, s in self._support.values()])
            ):
                by_path, errors = dict(self._by_path), dict(self._errors)
                support = dict(self._support)
                lines = {
                    p: held
                    for path, found in by_path.items()
                    for p in {path, *(r.path for f in found for r in f.related)}
                    if (held := self.lines_of(p)) is not None
                }
                scoped = self._scoped()
                base = self._snapshot_base if scoped is not None else None
            else:
                key = None

        def write() -> None:
            if cache is not None:
                cache.save()
            if key is not None:
                directory = default_directory(self.root)
                snapshot.save(directory, key, by_path, errors, lines, base, scoped, support)

        writer = None
        if cache is not None or key is not None:
            writer = forked.background(write, "writing the cache") if background else None
            if writer is None:
                write()
        self.timings["cache_save"] = time.perf_counter() - started
        return writer

    def _scoped(self) -> snapshot.Scoped | None:
        """The findings by scope, copied (``save_cache`` may write them from a fork)."""
        if self._graph_findings is None or self._state is None or self._rerun or self._stale:
            return None
        stamps = {p: s for p, s in self._snapshot_inputs.items() if s is not None}
        if len(stamps) != len(self._snapshot_inputs):
            return None
        return snapshot.Scoped(
            stamps,
            {key: list(found) for key, found in self._file_findings.items()},
            {path: list(found) for path, found in self._graph_findings.items()},
            {
                label: {path: list(found) for path, found in by_path.items()}
                for label, by_path in self._app_findings.items()
            },
            {label: set(seen) for label, seen in self._state.readers.items()},
        )

    def lines_of(self, path: Path) -> SourceLines | None:
        """The non-ASCII lines of a migration, models or settings file, for positions."""
        if path in self._snapshot_lines:  # answered from the snapshot, not loaded yet
            return self._snapshot_lines[path]
        key = self.files.get(path)
        if key is not None and key in self._migrations:
            return self._migrations[key].lines
        source = self.source(path)
        return source.lines if source is not None else None

    def _store(self, migration: MigrationFile, readers: bool = True) -> None:
        self._forget_app_state(migration.key.app_label, readers)
        self._files[migration.path] = migration.key
        self._migrations[migration.key] = migration
        self._file_findings.pop(migration.key, None)
        self._stale.add(migration.key)
        self._dirty.add(migration.path)
        if self.reported(migration):
            self._reported[migration.path] = None
            if migration.error:
                self._errors[migration.path] = migration.error
            else:
                self._errors.pop(migration.path, None)

    def _forget(self, migration: MigrationFile) -> None:
        self._forget_app_state(migration.key.app_label)
        del self._migrations[migration.key]
        self._files.pop(migration.path, None)
        self._file_findings.pop(migration.key, None)
        self._stale.discard(migration.key)
        self._reported.pop(migration.path, None)
        self._errors.pop(migration.path, None)
        self._dirty.add(migration.path)

    def key_for_path(self, path: Path) -> MigrationKey | None:
        """The migration key of a file in an installed app's migrations package."""
        if path in self._files:
            return self._files[path]
        app = self.project.app_for_dir(path.parent)
        if app is None or path.suffix != ".py" or path.stem[:1] in ("_", "~", ""):
            return None
        if "." in path.stem:
            return None
        return MigrationKey(app.label, path.stem)

    def update_file(self, path: Path, text: str | None = None) -> bool:
        """Re-read one migration, models or settings file (``text``: the editor buffer,
        None: the disk).

        Returns True when the file is one djmig analyses. Deleted files leave the graph.
        """
        with self._loading:
            return self._update_file(path, text)

    def _update_file(self, path: Path, text: str | None) -> bool:
        self.ensure_loaded()
        self._snapshot_key = None
        if text is None:
            self.overlays.pop(path, None)
        else:
            self.overlays[path] = text
        key = self.key_for_path(path)
        if key is None:
            return self._update_source(path)
        old = self._migrations.get(key)
        if text is None and not path.is_file():
            if old is not None:
                self._forget(old)
                self._node_added_or_removed(key)
            return True
        migration = parse_migration_file(key, path, text)
        if migration.error and old is not None and old.error is None and text is not None:
            # Mid-typing syntax error: keep the last good graph facts.
            migration.dependencies, migration.run_before = old.dependencies, old.run_before
            migration.replaces, migration.has_migration_class = (
                old.replaces,
                old.has_migration_class,
            )
            migration.dependencies_complete = old.dependencies_complete
            migration.run_before_complete = old.run_before_complete
            migration.replaces_complete = old.replaces_complete
            migration.class_span = old.class_span
        # Other apps' findings read this app's model states: stale only if they changed.
        self._store(migration, readers=not _same_for_readers(old, migration))
        if old is None or old.graph_facts() != migration.graph_facts():
            patched = (
                old is not None
                and self._graph is not None
                and update_graph(self._graph, self.project, self._migrations, old, migration)
            )
            if patched:
                self._forget_graph_findings()
                if self._state is not None:
                    for app in self._state.graph_changed(self.graph, key):
                        self._forget_app_findings(app)
                        self._forget_readers(app)
            elif old is None:
                self._node_added_or_removed(key)
            else:
                self._invalidate_graph()
        return True

    def _node_added_or_removed(self, key: MigrationKey) -> None:
        """Migration ``key`` was added or removed: the graph is rebuilt. When no migration
        depends on it, before or after (no ``run_before``, ``__latest__``, squash or missing
        dependency on it), only its app's model states change: the other apps' findings
        are kept."""
        before, self._graph = self._graph, None
        self._forget_graph_findings()
        if before is None or self._state is None:
            self._invalidate_graph()
            return
        after = self.graph
        if (
            before.child_map.get(key)
            or after.child_map.get(key)
            or before.replacements
            or after.replacements
            or key.app_label in before.first_latest_apps | after.first_latest_apps
            or before.uncertain_apps != after.uncertain_apps
        ):
            self._state = None
            for label in list(self._app_findings):
                self._forget_app_findings(label)
            return
        # Its app's findings, and those that read its states, were dropped with the file
        # (``_store``, ``_forget``); the other apps' states are the same in a new engine.
        readers = self._state.readers
        self._state = StateEngine(self.project, self._migrations, after)
        self._state.readers = readers

    def reload(self) -> None:
        """Rediscover the project (settings, apps) and re-read every file. The next
        ``analyze()`` reports as changed every file whose findings differ from before."""
        published = self._by_path
        database, notice = self.database, self.database_notice
        lock = self._loading  # held by the caller (``update_file``): kept
        self.__init__(self.root, self.config, self.overlays)  # type: ignore[misc]
        self._loading = lock
        self._by_path = published
        self._dirty.update(published)
        self.database, self.database_notice = database, notice
        self.load()
        self.save_cache()

    def set_database(self, database: DatabaseState | None, notice: str | None = None) -> None:
        """What was read from the database (None and a notice: it could not be read). The
        database rules run again; the graph is rebuilt only when a squash depends on it.
        The language server calls it on its event loop while a thread may be taking the
        snapshot (``save_cache``): under the same lock."""
        with self._loading:
            before = self.database
            self.database, self.database_notice = database, notice
            old = frozenset(before.applied) if before else None
            new = frozenset(database.applied) if database else None
            if self._graph is not None and old != new:
                if self._graph.replacements:
                    self._invalidate_graph()
                    return
                self._graph.applied = new  # without squashes, exactly the records
            self._forget_graph_findings()

    # -- models and settings files ----------------------------------------------------------

    def models_files(self, app_label: str) -> list[Path]:
        """The files of a workspace app's models module."""
        app = self.project.apps.get(app_label)
        return app.models_files() if app is not None and app.origin == WORKSPACE else []

    def tracks(self, path: Path) -> bool:
        """Whether ``path`` is a migration, models or settings file that djmig analyses,
        or a module a models module's base class was read from."""
        return (
            self.key_for_path(path) is not None
            or self._source_owner(path) is not None
            or path in self._support
        )

    def source(self, path: Path) -> SourceFile | None:
        """A models or settings file of the workspace, parsed (editor buffer or disk)."""
        found = self.sources.get(path)
        if found is None and self._source_owner(path) is not None:
            found = self.sources[path] = parse_source_file(path, self.overlays.get(path))
        return found

    def support_paths(self) -> list[Path]:
        """The modules read for base classes that are not models modules (``tracks``)."""
        return list(self._support)

    def module_source(self, module: str) -> tuple[str, SourceFile] | None:
        """Module ``module`` of a workspace app (``core.abstract``, or a models module),
        parsed, with the app's label. A module that is not a models module is then
        tracked (``tracks``): an edit re-runs the rules that read it."""
        found = self.project.module_file(module)
        if found is None:
            return None
        app, path = found
        if self._source_owner(path) is None and path not in self.sources:
            before = stamp(path) if path not in self.overlays else None
            self.sources[path] = parse_source_file(path, self.overlays.get(path))
            self._support[path] = module, before
        source = self.source(path) if path not in self._support else self.sources[path]
        return (app.label, source) if source is not None else None

    def _source_owner(self, path: Path) -> str | None:
        """The app label of a models file, ``""`` for a settings file, else None."""
        if path in self.project.settings.files:
            return ""
        app = self.project.models_app(path)
        return app.label if app is not None else None

    def _update_source(self, path: Path) -> bool:
        owner = self._source_owner(path)
        if owner is None and path in self._support:
            self.sources.pop(path, None)
            self._forget_importers(self._support[path][0])
            return True
        if owner is None:
            return False
        before = self.sources.pop(path, None)
        self._dirty.add(path)
        if owner:
            self._forget_app_findings(owner)
            self._forget_importers(f"{self.project.apps[owner].name}.models", owner)
            if before is None or _outline(before) != _outline(self.source(path)):
                self._forget_referring(owner)
            return True
        old = self.project.settings
        new = read_settings(old.path, old.module, self.overlays, old.roots)
        if new.complete != old.complete or any(
            new.values.get(name) != old.values.get(name) for name in DISCOVERY_SETTINGS
        ):
            self.reload()
            return True
        self.project.settings = new
        if new.values == old.values:
            self._forget_graph_findings()  # only positions may have moved
        else:
            self._invalidate_graph()  # e.g. AUTH_USER_MODEL: swappable dependencies
        return True

    def _forget_referring(self, app_label: str) -> None:
        """The models ``app_label`` defines may have changed: the findings of the other
        apps whose models name ``"<app_label>.Model"`` are stale (DM304 in models files)."""
        quoted = (f"'{app_label}.", f'"{app_label}.')
        for label in self.project.apps:
            if label == app_label or label not in self._app_findings:
                continue
            for path in self.models_files(label):
                source = self.source(path)
                if source is not None and any(q in source.text for q in quoted):
                    self._forget_app_findings(label)
                    break

    def _forget_importers(self, module: str, changed: str | None = None) -> None:
        """Module ``module`` changed (app ``changed``'s models, whose findings are already
        forgotten): for the apps whose models modules import from it (``from core.models
        import TimeStamped``, ``from .abstract import Base``), the findings of the rules
        that read base classes there (``Rule.reads_imported_models``) are stale."""
        codes = [r.code for r in RULES if r.reads_imported_models]
        last = module.rpartition(".")[2]
        for label, app in self.project.apps.items():
            if label == changed or label not in self._app_findings:
                continue
            for path in self.models_files(label):
                source = self.source(path)
                inside = path.name == "__init__.py" or path.parent.name == "models"
                package = f"{app.name}.models" if inside else app.name
                if source and last in source.text and imports_from(source.tree, module, package):
                    for code in codes:
                        self._forget_rule_findings(label, code)
                    break

    def _invalidate_graph(self) -> None:
        self._graph = None
        self._forget_graph_findings()
        self._state = None
        for label in list(self._app_findings):
            self._forget_app_findings(label)

    def _forget_graph_findings(self) -> None:
        if self._graph_findings is not None:
            self._dirty.update(self._graph_findings)
        self._graph_findings = None

    def _forget_app_findings(self, app_label: str) -> None:
        self._dirty.update(self._app_findings.pop(app_label, {}))
        self._rerun.pop(app_label, None)

    def _forget_rule_findings(self, app_label: str, code: str) -> None:
        """Only rule ``code``'s findings of the app are stale: dropped, to run it again."""
        findings = self._app_findings.get(app_label)
        if findings is None:
            return  # all of them are to run again
        for path, found in list(findings.items()):
            kept = [f for f in found if f.code != code]
            if len(kept) != len(found):
                self._dirty.add(path)
                if kept:
                    findings[path] = kept
                else:
                    del findings[path]
        self._rerun.setdefault(app_label, set()).add(code)

    def _forget_app_state(self, app_label: str, readers: bool = True) -> None:
        """A file of the app changed: its model states and per-app findings are stale, and
        (``readers``) so are the findings that read its states."""
        if self._state is not None:
            self._state.invalidate([app_label])
        self._forget_app_findings(app_label)
        if readers:
            self._forget_readers(app_label)

    def _forget_readers(self, app_label: str) -> None:
        """The findings of other apps and of the project-wide rules that read the model
        states of ``app_label`` (``StateEngine.readers``) are stale."""
        if self._state is None:
            return
        for label, code in self._state.readers.pop(app_label, ()):
            if label == PROJECT:
                self._forget_graph_findings()
            else:
                self._forget_rule_findings(label, code)

    # -- analysis ---------------------------------------------------------------------------

    @property
    def graph(self) -> MigrationGraph:
        self.ensure_loaded()
        if self._graph is None:
            started = time.perf_counter()
            applied = self.database.applied if self.database is not None else None
            self._graph = build_graph(self.project, self._migrations, applied)
            self.timings["graph"] = time.perf_counter() - started
        return self._graph

    @property
    def state(self) -> StateEngine:
        """Model states along the graph, cached per app."""
        self.ensure_loaded()
        if self._state is None:
            self._state = StateEngine(self.project, self._migrations, self.graph)
        return self._state

    def _context(self) -> Context:
        return Context(
            self.project, self._migrations, self.graph, self.state, self.source, self.database,
            self.module_source,
        )  # fmt: skip

    def _enabled_rules(self, scope: str) -> Iterable[Rule]:
        for rule in RULES:
            if not self.config.enabled(rule.code):
                continue
            if getattr(rule, f"check_{scope}") is not None:
                yield rule

    @staticmethod
    def _run(
        rule: Rule, check: Callable[[Any], Iterable[Finding]], subject: Any, errors: list[str]
    ) -> list[Finding]:
        try:
            return list(check(subject))
        except Exception as exc:  # one broken rule must not take the others down
            logger.exception("rule %s failed", rule.code)
            errors.append(f"rule {rule.code} failed: {type(exc).__name__}: {exc}")
            return []

    def _run_rules(self) -> None:
        """The rules whose findings are stale: file rules on re-parsed files, project-wide
        rules after a graph change, per-app rules on the workspace's changed apps. A big
        job (a cold start) is split by app with a forked child (``forked.py``)."""
        apps = [
            label
            for label, app in self.project.apps.items()
            if app.origin == WORKSPACE and label not in self._app_findings
        ]
        keys, self._stale = list(self._stale), set()
        rerun, self._rerun = self._rerun, {}
        context = self._context()
        # Model states and findings live until their app changes (measured: collecting
        # while they are built cost ~15 % of a cold run, and ~5 % later if not frozen).
        with _long_lived():
            self._project_findings(context)
            if len(keys) >= FORK_MIN_FILES and len(apps) >= 2 and forked.available():
                self._share_rules(context, keys, apps)
            else:
                self._apply(context, keys, apps)
            if rerun:  # rules that read other apps' states, on apps otherwise up to date
                _, found, errors = self._rule_findings(context, [], list(rerun), rerun)
                for label, more in found.items():
                    for path, grouped in _by_path(more).items():
                        self._app_findings[label].setdefault(path, []).extend(grouped)
                        self._dirty.add(path)
                self.rule_errors += errors

    def _apply(self, context: Context, keys: list[MigrationKey], apps: list[str]) -> None:
        files, found, errors = self._rule_findings(context, keys, apps)
        self._store_findings(files, found)
        self.rule_errors += errors

    def _share_rules(self, context: Context, keys: list[MigrationKey], apps: list[str]) -> None:
        """``_apply`` on two cores: app by app (its files' rules and its own), shared with a
        forked child as they are taken (``forked.share``). The model states are replayed
        by each side as its rules ask for them: its own apps', and those of the other apps
        their references look up (replaying them all here first left the second core idle
        ~0.13 s of a cold start, more than what the two sides replay twice)."""
        by_app: dict[str, list[MigrationKey]] = {}
        for key in keys:
            by_app.setdefault(key.app_label, []).append(key)
        labels = list(dict.fromkeys([*apps, *by_app]))
        own = set(apps)

        def run(taken: Iterator[int]) -> tuple[Any, ...]:
            files: dict[MigrationKey, list[Finding]] = {}
            found: dict[str, list[Finding]] = {}
            errors: dict[str, list[str]] = {}  # by app: one taken by both counts once
            for index in taken:
                label = labels[index]
                more = self._rule_findings(
                    context, by_app.get(label, []), [label] if label in own else []
                )
                files.update(more[0])
                found.update(more[1])
                errors[label] = more[2]
            # What the child recorded (readers of states, the other apps' migrations the
            # states it replayed go through, modules read for base classes) is what the
            # parent needs to know which findings a later edit makes stale.
            state = context.state
            return files, found, errors, state.readers, state.foreign, self._support

        theirs, ours = forked.share(len(labels), run)
        errors: dict[str, list[str]] = {}
        for files, found, more, readers, foreign, support in (theirs, ours):
            self._store_findings(files, found)
            errors.update(more)
            if readers is not context.state.readers:  # the child's (ours are these)
                for label, seen in readers.items():
                    context.state.readers.setdefault(label, set()).update(seen)
                context.state.merge_foreign(foreign)
                self._support.update(support)
        self.rule_errors += [e for label in labels for e in errors.get(label, ())]

    def _rule_findings(
        self,
        context: Context,
        keys: list[MigrationKey],
        apps: list[str],
        only: dict[str, set[str]] | None = None,
    ) -> tuple[dict[MigrationKey, list[Finding]], dict[str, list[Finding]], list[str]]:
        """The file rules' findings on ``keys``, the per-app rules' on ``apps`` (``only``
        the rules it names for an app), and the errors of rules that failed. Changes
        nothing but the readers it records (it may run in a forked child)."""
        errors: list[str] = []
        files: dict[MigrationKey, list[Finding]] = {}
        file_rules = [r for r in self._enabled_rules("file") if r.check_file is not None]
        for key in keys:
            migration = self._migrations[key]
            found: list[Finding] = []
            for rule in file_rules:
                assert rule.check_file is not None
                found += self._run(rule, rule.check_file, migration, errors)
            if found:
                files[key] = found
        by_app: dict[str, list[Finding]] = {}
        app_rules = list(self._enabled_rules("app"))
        for label in apps:
            found = by_app[label] = []
            for rule in app_rules:
                if only is not None and rule.code not in only.get(label, ()):
                    continue
                assert rule.check_app is not None
                check = functools.partial(rule.check_app, context)
                with context.state.reading_for(label, rule.code):
                    found += self._run(rule, check, label, errors)
        return files, by_app, errors

    def _store_findings(
        self, files: dict[MigrationKey, list[Finding]], by_app: dict[str, list[Finding]]
    ) -> None:
        self._file_findings.update(files)
        for label, found in by_app.items():
            self._app_findings[label] = _by_path(found)
            self._dirty.update(self._app_findings[label])

    def _project_findings(self, context: Context) -> None:
        if self._graph_findings is None:
            errors: list[str] = []
            findings: list[Finding] = []
            for rule in self._enabled_rules("project"):
                assert rule.check_project is not None
                with context.state.reading_for(PROJECT, rule.code):
                    findings += self._run(rule, rule.check_project, context, errors)
            self.rule_errors += errors
            self._graph_findings = _by_path(findings)
            self._dirty.update(self._graph_findings)

    def _gather(self, path: Path) -> list[Finding]:
        """The reported findings of ``path``, from every kind of rule, sorted."""
        key = self._files.get(path)
        holder: MigrationFile | SourceFile | None
        if key is not None:
            holder = self._migrations.get(key) if path in self._reported else None
            label: str | None = key.app_label
            raw = list(self._file_findings.get(key, ()))
        else:
            label = self._source_owner(path)
            holder = self.source(path) if self._reported_source(path) else None
            raw = []
        if holder is None:
            return []
        raw += (self._graph_findings or {}).get(path, ())
        if label:
            raw += self._app_findings.get(label, {}).get(path, ())
        return sorted(
            (self._finalize(f) for f in raw if not holder.suppressed(f.span.start_line, f.code)),
            key=Finding.sort_key,
        )

    def analyze(self) -> Analysis:
        """Run what is stale; only files whose findings may have changed are regrouped.

        Answered from the findings snapshot until the files are parsed; waits for a
        parse running in another thread (``ensure_loaded``)."""
        with self._loading:
            if self._deferred is not None:
                return self._analysis(set(self._dirty), deferred=True)
            return self._analyze()

    def _analyze(self) -> Analysis:
        started = time.perf_counter()
        self._run_rules()
        changed = set()
        for path in self._dirty:
            found = self._gather(path)
            if found != self._by_path.get(path, []):
                changed.add(path)
                if found:
                    self._by_path[path] = found
                else:
                    del self._by_path[path]
        self.timings["rules"] = time.perf_counter() - started
        self._analyzed_as_loaded = self._snapshot_key is not None and not self.rule_errors
        return self._analysis(changed)

    def _analysis(self, changed: set[Path], deferred: bool = False) -> Analysis:
        self._dirty.clear()
        notices = list(self.project.notices)
        notices += [Notice(None, e) for e in self.config_errors + self.rule_errors]
        if self.database_notice:
            notices.append(Notice(None, self.database_notice))
        notices += [Notice(path, error) for path, error in self._errors.items()]
        return Analysis(
            self.project, dict(self._by_path), notices, self.config, list(self._reported),
            self.database, changed, dict(self.timings), workspace=self,
            _migrations=None if deferred else self._migrations,
            _graph=None if deferred else self.graph,
        )  # fmt: skip

    def reported_paths(self) -> list[Path]:
        """The migration files findings are reported for (``reported``), in load order."""
        return list(self._reported)

    def reported(self, migration: MigrationFile) -> bool:
        """Findings are shown for the workspace's own apps, outside ``exclude``. Other
        migrations (site-packages, excluded paths) are in the graph but never reported."""
        return self._reported_migration(migration.key.app_label, migration.path)

    def _reported_migration(self, app_label: str, path: Path) -> bool:
        app = self.project.apps.get(app_label)
        return app is not None and app.origin == WORKSPACE and not self.project.is_excluded(path)

    def _reported_source(self, path: Path) -> bool:
        """Models files of workspace apps and settings files inside the workspace."""
        return path.is_relative_to(self.root) and not self.project.is_excluded(path)

    def _finalize(self, finding: Finding) -> Finding:
        level = self.config.severity.get(finding.code)
        return dataclasses.replace(finding, severity=Severity.parse(level)) if level else finding


def _outline(source: SourceFile | None) -> tuple[Any, ...] | None:
    """What other apps' rules read of a models module: its top-level statements, classes
    by name (an edit inside a class body leaves it alone)."""
    if source is None or source.tree is None:
        return None
    return tuple(
        stmt.name if isinstance(stmt, ast.ClassDef) else ast.dump(stmt)
        for stmt in source.tree.body
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
    )


def _same_for_readers(old: MigrationFile | None, new: MigrationFile) -> bool:
    """Whether what other apps' findings read of a migration is the same in ``new``: its
    graph and replay facts (hence every model state), and the places they point at (the
    class line, the ``CreateModel`` calls)."""

    def cited(migration: MigrationFile) -> tuple[Any, ...]:
        creates = [o.span for o in migration.operations if o.kind == "CreateModel"]
        return migration.class_span, creates

    return (
        old is not None
        and old.graph_facts() == new.graph_facts()
        and replay_facts(old) == replay_facts(new)
        and cited(old) == cited(new)
    )


def _by_path(findings: Iterable[Finding]) -> dict[Path, list[Finding]]:
    grouped: dict[Path, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.path, []).append(finding)
    return grouped


def analyze_workspace(
    root: Path,
    config: Config | None = None,
    progress: Progress | None = None,
    database: bool = False,
    save_cache: bool = True,
) -> Analysis:
    """Discover, parse, build the graph and run every enabled rule on ``root``;
    ``database``: read the configured database first (``djmig.db.load``). Then write
    the on-disk cache, unless ``save_cache`` is false (the caller then calls
    ``analysis.workspace.save_cache()`` when it suits it)."""
    started = time.perf_counter()
    workspace = Workspace(root, config)
    workspace.timings["discover"] = time.perf_counter() - started
    workspace.load(progress)
    if database:
        from djmig import db

        workspace.set_database(*db.load(workspace.config, workspace.project))
        workspace.timings["database"] = time.perf_counter() - started
    analysis = workspace.analyze()
    if save_cache:
        workspace.save_cache()
    analysis.timings.update(workspace.timings)
    analysis.timings["total"] = time.perf_counter() - started
    return analysis


def find_root(path: Path) -> Path:
    """The workspace root of ``path``: the nearest directory with a project marker."""
    path = path.resolve()
    start = path if path.is_dir() else path.parent
    for candidate in (start, *start.parents):
        if any((candidate / m).exists() for m in ("manage.py", "pyproject.toml", ".git")):
            return candidate
    return start
