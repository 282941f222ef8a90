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

import dataclasses
import functools
import gc
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from djmig.config import Config, load_pyproject
from djmig.db import DatabaseState
from djmig.graph import MigrationGraph, build_graph, update_graph
from djmig.index.discovery import WORKSPACE, Notice, Project, discover
from djmig.index.migrations import MigrationFile, parse_migration_file
from djmig.index.settings import read_settings
from djmig.index.source import SourceFile, parse_source_file
from djmig.keys import MigrationKey
from djmig.rules import RULES, Context, Finding, Rule, Severity
from djmig.state import StateEngine

logger = logging.getLogger(__name__)

#: Settings from which the project is discovered: a change re-discovers it.
DISCOVERY_SETTINGS = ("INSTALLED_APPS", "MIGRATION_MODULES")

Progress = Callable[[int, int], None]


@dataclass
class Analysis:
    """One analysis of a workspace. ``by_path`` holds the reported findings of each file
    that has some; ``changed`` the files whose findings differ from the previous analysis
    of the same workspace (all files with findings, the first time)."""

    project: Project
    migrations: dict[MigrationKey, MigrationFile]
    graph: MigrationGraph
    by_path: dict[Path, list[Finding]]
    notices: list[Notice]
    config: Config
    reported_paths: list[Path] = field(default_factory=list)
    database: DatabaseState | None = None
    changed: set[Path] = field(default_factory=set)
    timings: dict[str, float] = field(default_factory=dict)

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
        self, root: Path, config: Config | None = None, overlays: dict[Path, str] | None = None
    ) -> None:
        self.root = root.resolve()
        self.config_errors: list[str] = []
        if config is None:
            config, self.config_errors = load_pyproject(self.root)
        self.config = config
        self.overlays: dict[Path, str] = overlays if overlays is not None else {}
        self.project: Project = discover(self.root, config, self.overlays)
        self.files: dict[Path, MigrationKey] = {}
        self.migrations: dict[MigrationKey, MigrationFile] = {}
        self.sources: dict[Path, SourceFile] = {}  # models and settings files, parsed on use
        self._file_findings: dict[MigrationKey, list[Finding]] = {}  # non-empty only
        self._stale: set[MigrationKey] = set()  # files whose file rules must run again
        self._reported: dict[Path, None] = {}  # ordered set
        self._graph: MigrationGraph | None = None
        self._graph_findings: dict[Path, list[Finding]] | None = None
        self._state: StateEngine | None = None
        # Per app label, by path; an absent label is stale.
        self._app_findings: dict[str, dict[Path, list[Finding]]] = {}
        self._errors: dict[Path, str] = {}  # files that cannot be parsed
        # What analyze() reported last, and the files whose findings may have changed.
        self._by_path: dict[Path, list[Finding]] = {}
        self._dirty: set[Path] = set()
        self.rule_errors: list[str] = []
        self.timings: dict[str, float] = {}
        # What was last read from the database (None: not read, or unreadable: the notice).
        self.database: DatabaseState | None = None
        self.database_notice: str | None = None

    # -- loading ----------------------------------------------------------------------------

    def load(self, progress: Progress | None = None) -> None:
        started = time.perf_counter()
        files: dict[MigrationKey, Path] = {}
        for app in self.project.apps.values():
            files.update(app.migration_files())
        total = len(files)
        # Parsing allocates millions of objects and frees almost none: the cyclic garbage
        # collector would keep re-scanning them (measured: ~25% of the cold index). They
        # live as long as the workspace, so they are frozen out of later collections too.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for done, (key, path) in enumerate(files.items(), 1):
                self._store(parse_migration_file(key, path, self.overlays.get(path)))
                if progress and (done % 200 == 0 or done == total):
                    progress(done, total)
        finally:
            gc.freeze()
            if collecting:
                gc.enable()
        self.timings["parse"] = time.perf_counter() - started
        self._invalidate_graph()

    def _store(self, migration: MigrationFile) -> None:
        self._forget_app_state(migration.key.app_label)
        self.files[migration.path] = migration.key
        self.migrations[migration.key] = migration
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
        del self.migrations[migration.key]
        self.files.pop(migration.path, None)
        self._file_findings.pop(migration.key, None)
        self._stale.discard(migration.key)
        self._reported.pop(migration.path, None)
        self._errors.pop(migration.path, None)
        self._dirty.add(migration.path)

    def key_for_path(self, path: Path) -> MigrationKey | None:
        """The migration key of a file in an installed app's migrations package."""
        if path in self.files:
            return self.files[path]
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
        if text is None:
            self.overlays.pop(path, None)
        else:
            self.overlays[path] = text
        key = self.key_for_path(path)
        if key is None:
            return self._update_source(path)
        old = self.migrations.get(key)
        if text is None and not path.is_file():
            if old is not None:
                self._forget(old)
                self._invalidate_graph()
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
        self._store(migration)
        if old is None or old.graph_facts() != migration.graph_facts():
            patched = (
                old is not None
                and self._graph is not None
                and update_graph(self._graph, self.project, self.migrations, old, migration)
            )
            if patched:
                self._forget_graph_findings()
                if self._state is not None:
                    for app in self._state.graph_changed(self.graph, key):
                        self._forget_app_findings(app)
            else:
                self._invalidate_graph()
        return True

    def reload(self) -> None:
        """Rediscover the project (settings, apps) and re-read every file. The next
        ``analyze()`` reports as changed every file whose findings differ from before."""
        published = self._by_path
        database, notice = self.database, self.database_notice
        self.__init__(self.root, self.config, self.overlays)  # type: ignore[misc]
        self._by_path = published
        self._dirty.update(published)
        self.database, self.database_notice = database, notice
        self.load()

    def set_database(self, database: DatabaseState | None, notice: str | None = None) -> None:
        """What was read from the database (None and a notice: it could not be read). The
        database rules run again; the graph is rebuilt only when a squash depends on it."""
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
        """Whether ``path`` is a migration, models or settings file that djmig analyses."""
        return self.key_for_path(path) is not None or self._source_owner(path) is not None

    def source(self, path: Path) -> SourceFile | None:
        """A models or settings file of the workspace, parsed (editor buffer or disk)."""
        found = self.sources.get(path)
        if found is None and self._source_owner(path) is not None:
            found = self.sources[path] = parse_source_file(path, self.overlays.get(path))
        return found

    def _source_owner(self, path: Path) -> str | None:
        """The app label of a models file, ``""`` for a settings file, else None."""
        if path in self.project.settings.files:
            return ""
        app = self.project.models_app(path)
        return app.label if app is not None else None

    def _update_source(self, path: Path) -> bool:
        owner = self._source_owner(path)
        if owner is None:
            return False
        self.sources.pop(path, None)
        self._dirty.add(path)
        if owner:
            self._forget_app_findings(owner)
            return True
        old = self.project.settings
        new = read_settings(old.path, old.module, self.overlays)
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

    def _forget_app_state(self, app_label: str) -> None:
        """A file of the app changed: its model states and per-app findings are stale."""
        if self._state is not None:
            self._state.invalidate([app_label])
        self._forget_app_findings(app_label)

    # -- analysis ---------------------------------------------------------------------------

    @property
    def graph(self) -> MigrationGraph:
        if self._graph is None:
            started = time.perf_counter()
            applied = self.database.applied if self.database is not None else None
            self._graph = build_graph(self.project, self.migrations, applied)
            self.timings["graph"] = time.perf_counter() - started
        return self._graph

    @property
    def state(self) -> StateEngine:
        """Model states along the graph, cached per app."""
        if self._state is None:
            self._state = StateEngine(self.project, self.migrations, self.graph)
        return self._state

    def _context(self) -> Context:
        return Context(
            self.project, self.migrations, self.graph, self.state, self.source, self.database
        )

    def _enabled_rules(self, scope: str) -> Iterable[Rule]:
        for rule in RULES:
            if not self.config.enabled(rule.code):
                continue
            if getattr(rule, f"check_{scope}") is not None:
                yield rule

    def _run(
        self, rule: Rule, check: Callable[[Any], Iterable[Finding]], subject: Any
    ) -> list[Finding]:
        try:
            return list(check(subject))
        except Exception as exc:  # one broken rule must not take the others down
            logger.exception("rule %s failed", rule.code)
            self.rule_errors.append(f"rule {rule.code} failed: {type(exc).__name__}: {exc}")
            return []

    def _run_file_rules(self) -> None:
        rules = [r for r in self._enabled_rules("file") if r.check_file is not None]
        for key in self._stale:
            migration = self.migrations[key]
            found: list[Finding] = []
            for rule in rules:
                assert rule.check_file is not None
                found += self._run(rule, rule.check_file, migration)
            if found:
                self._file_findings[key] = found
        self._stale.clear()

    def _project_findings(self) -> None:
        if self._graph_findings is None:
            context = self._context()
            findings: list[Finding] = []
            for rule in self._enabled_rules("project"):
                assert rule.check_project is not None
                findings += self._run(rule, rule.check_project, context)
            self._graph_findings = _by_path(findings)
            self._dirty.update(self._graph_findings)

    def _app_rule_findings(self) -> None:
        """Per-app rules on the workspace's apps whose findings are stale."""
        rules = list(self._enabled_rules("app"))
        context = self._context()
        # Model states and findings live until their app changes: no cyclic garbage
        # collection while they are built (measured: ~15% of a cold run).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for label, app in self.project.apps.items():
                if app.origin != WORKSPACE or label in self._app_findings:
                    continue
                found: list[Finding] = []
                for rule in rules:
                    assert rule.check_app is not None
                    found += self._run(rule, functools.partial(rule.check_app, context), label)
                self._app_findings[label] = _by_path(found)
                self._dirty.update(self._app_findings[label])
        finally:
            if collecting:
                gc.enable()

    def _gather(self, path: Path) -> list[Finding]:
        """The reported findings of ``path``, from every kind of rule, sorted."""
        key = self.files.get(path)
        holder: MigrationFile | SourceFile | None
        if key is not None:
            holder = self.migrations.get(key) if path in self._reported else None
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
        """Run what is stale; only files whose findings may have changed are regrouped."""
        started = time.perf_counter()
        self._run_file_rules()
        self._project_findings()
        self._app_rule_findings()
        changed = set()
        for path in self._dirty:
            found = self._gather(path)
            if found != self._by_path.get(path, []):
                changed.add(path)
                if found:
                    self._by_path[path] = found
                else:
                    del self._by_path[path]
        self._dirty.clear()
        self.timings["rules"] = time.perf_counter() - started
        notices = list(self.project.notices)
        notices += [Notice(None, e) for e in self.config_errors + self.rule_errors]
        if self.database_notice:
            notices.append(Notice(None, self.database_notice))
        notices += [Notice(path, error) for path, error in self._errors.items()]
        return Analysis(
            self.project, self.migrations, self.graph, dict(self._by_path), notices,
            self.config, list(self._reported), self.database, changed, dict(self.timings),
        )  # fmt: skip

    def reported_paths(self) -> list[Path]:
        """The migration files findings are reported for (``reported``), in load order."""
        return list(self._reported)

    def reported(self, migration: MigrationFile) -> bool:
        """Findings are shown for the workspace's own apps, outside ``exclude``. Other
        migrations (site-packages, excluded paths) are in the graph but never reported."""
        app = self.project.apps.get(migration.key.app_label)
        return (
            app is not None
            and app.origin == WORKSPACE
            and not self.project.is_excluded(migration.path)
        )

    def _reported_source(self, path: Path) -> bool:
        """Models files of workspace apps and settings files inside the workspace."""
        return path.is_relative_to(self.root) and not self.project.is_excluded(path)

    def _finalize(self, finding: Finding) -> Finding:
        level = self.config.severity.get(finding.code)
        return dataclasses.replace(finding, severity=Severity.parse(level)) if level else finding


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
) -> Analysis:
    """Discover, parse, build the graph and run every enabled rule on ``root``;
    ``database``: read the configured database first (``djmig.db.load``)."""
    started = time.perf_counter()
    workspace = Workspace(root, config)
    workspace.timings["discover"] = time.perf_counter() - started
    workspace.load(progress)
    if database:
        from djmig import db

        workspace.set_database(*db.load(workspace.config, workspace.project))
        workspace.timings["database"] = time.perf_counter() - started
    analysis = workspace.analyze()
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
