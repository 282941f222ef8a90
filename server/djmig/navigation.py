"""Navigation over a ``Workspace``: what is under the cursor, where it is defined, what
refers to it, how to describe it, what to complete.

Positions are 0-based lines and code-point columns (``Span``), as everywhere in the engine;
the LSP layer converts. Dependencies, ``run_before`` and ``replaces`` entries and
operations carry their spans in the index; the places inside operations and ``RunPython``
functions that name a model (``apps.get_model("app", "Model")``, ``to="app.Model"``,
``model_name="model"``) are found by parsing the one file asked about, on demand, rather
than kept for every file.

A dependency resolves the way ``MigrationLoader.check_key`` resolves it (``__first__``:
the app's root, ``__latest__``: its leaf, ``swappable_dependency``: the setting's app).
A model resolves in the state of its app as the migration sees it (``StateEngine``); its
identity through renames is the ``CreateModel`` that made it (``ModelState.created_in``).

``hover`` and ``code_lenses`` take an optional ``applied`` state (``AppliedState``:
migration key to True/False); without one nothing is said about the database.
"""

from __future__ import annotations

import ast
import bisect
import gc
import itertools
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from djmig.analysis import Workspace
from djmig.describe import describe, target_model
from djmig.fields import RELATION_FIELDS
from djmig.graph import FIRST, LATEST, MigrationGraph
from djmig.index.discovery import WORKSPACE
from djmig.index.migrations import Dependency, MigrationFile, Operation, qualify
from djmig.index.source import SourceError, read_source
from djmig.index.values import CallValue, Ref, is_unknown
from djmig.keys import AppliedState, MigrationKey, SourceLines, Span
from djmig.state import AppState, ModelState

DEPENDENCY_ATTRIBUTES = ("dependencies", "run_before", "replaces")


@dataclass(frozen=True)
class Location:
    path: Path
    span: Span


@dataclass(frozen=True)
class Target:
    """What the cursor is on. ``kind``: ``migration`` (a dependency entry naming ``key``),
    ``migration-class`` (``class Migration`` of ``key``), ``model`` (a model named in
    migration ``key``), ``model-class`` (a model class in a models file of ``app_label``)."""

    kind: str
    span: Span
    key: MigrationKey | None = None
    app_label: str | None = None
    model: str | None = None
    attribute: str | None = None


@dataclass
class Lens:
    """A code lens: ``title``; clicking it shows ``locations`` (None: not clickable)."""

    span: Span
    title: str
    locations: list[Location] | None = None


@dataclass
class Symbol:
    name: str
    kind: str  # migration, operation, function, model
    span: Span
    selection: Span
    detail: str = ""
    path: Path | None = None
    children: list[Symbol] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """A completion: ``label`` inserted over ``replace`` (the word typed so far)."""

    label: str
    kind: str  # app, migration, model
    detail: str
    sort: str
    replace: Span
    insert: str | None = None


def contains(span: Span, line: int, col: int) -> bool:
    if (line, col) < (span.start_line, span.start_col):
        return False
    return (line, col) <= (span.end_line, span.end_col)


def read_text(workspace: Workspace, path: Path) -> str | None:
    """The editor buffer of ``path``, else the file on disk (None when unreadable)."""
    text = workspace.overlays.get(path)
    if text is not None:
        return text
    try:
        return read_source(path)
    except SourceError:
        return None


# -- resolution ---------------------------------------------------------------------------


def resolve_dependency(workspace: Workspace, dependency: Dependency) -> MigrationKey | None:
    """The migration a dependency entry names, as ``MigrationLoader.check_key`` finds it."""
    key = dependency.key
    if key is None and dependency.setting:
        value = workspace.project.settings.get(dependency.setting)
        if isinstance(value, str) and not is_unknown(value):
            key = MigrationKey(value.split(".", 1)[0], FIRST)
    if key is None:
        return None
    if key.name in (FIRST, LATEST):
        graph = workspace.graph
        nodes = (
            graph.root_nodes(key.app_label)
            if key.name == FIRST
            else graph.leaf_nodes(key.app_label)
        )
        return nodes[0] if nodes else None
    return key if key in workspace.migrations else None


def _ancestors(workspace: Workspace, key: MigrationKey) -> set[MigrationKey]:
    """Every migration ``key`` depends on, directly or not (safe on a cycle, unlike
    ``forwards_plan``, which Django only runs on a graph checked to have none)."""
    parents = workspace.graph.parent_map
    seen: set[MigrationKey] = set()
    stack = list(parents.get(key, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(parents.get(node, ()))
    return seen


def latest_state(workspace: Workspace, app_label: str) -> AppState:
    """The app's models after all its migrations (its leaves' states, merged). When those
    know no model (a leaf on a cycle is replayed as uncertain), every model any of its
    migrations left, later ones winning."""
    merged = AppState(app_label)
    engine = workspace.state
    for leaf in workspace.graph.leaf_nodes(app_label):
        after = engine.after(leaf)
        if after is not None:
            merged.models.update(after.models)
    if not merged.models:
        for key in engine.plan(app_label):
            after = engine.after(key)
            merged.models.update(after.models if after else {})
    return merged


def model_seen_from(
    workspace: Workspace, key: MigrationKey | None, app_label: str, name: str
) -> ModelState | None:
    """Model ``app_label.name`` as migration ``key`` sees it (its own app: before or after
    it; another app: after its last migration ``key`` depends on), else in the latest
    state."""
    engine = workspace.state
    if key is not None and key in workspace.graph:
        if app_label == key.app_label:
            for state in (engine.before(key), engine.after(key)):
                model = state.model(name) if state else None
                if model is not None:
                    return model
        else:
            # As the app's last migration among ``key``'s ancestors, in plan order, left it.
            ancestors = _ancestors(workspace, key)
            earlier = [k for k in engine.plan(app_label) if k in ancestors]
            state = engine.after(earlier[-1]) if earlier else None
            model = state.model(name) if state else None
            if model is not None:
                return model
    return latest_state(workspace, app_label).model(name)


def model_aliases(workspace: Workspace, app_label: str, name: str) -> set[str]:
    """Lower-cased names model ``name`` had: its ``RenameModel``s followed backwards."""
    names = {name.lower()}
    renames = workspace.state.operations(app_label, "RenameModel")
    for key, index in reversed(renames):
        operation = workspace.migrations[key].operations[index]
        old, new = operation.argument(0, "old_name"), operation.argument(1, "new_name")
        if isinstance(old, str) and isinstance(new, str) and new.lower() in names:
            names.add(old.lower())
    return names


_CLASS = re.compile(r"^class[ \t]+(\w+)", re.M)
#: Per models file: the editor buffer or (mtime, size) it was read at, and its classes.
_CLASSES: dict[Path, tuple[object, list[tuple[str, Span]]]] = {}


def model_classes(workspace: Workspace, path: Path) -> list[tuple[str, Span]]:
    """The classes at the top level of a models file, with the span of their names.

    A line scan rather than a parse: a ``class`` at column 0 is a top-level statement
    unless it sits in a multi-line string, which models modules do not start lines with.
    """
    stamp: object = workspace.overlays.get(path)
    if stamp is None:
        try:
            status = path.stat()
        except OSError:
            return []
        stamp = (status.st_mtime_ns, status.st_size)
    cached = _CLASSES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    text = read_text(workspace, path) or ""
    found = []
    for match in _CLASS.finditer(text):
        line = text.count("\n", 0, match.start())
        start = match.start(1) - match.start()
        found.append((match.group(1), Span(line, start, line, start + len(match.group(1)))))
    _CLASSES[path] = (stamp, found)
    return found


def model_class(workspace: Workspace, app_label: str, name: str) -> Location | None:
    """The class named ``name`` (any case) at the top of the app's models module."""
    for path in workspace.models_files(app_label):
        for found, span in model_classes(workspace, path):
            if found.lower() == name.lower():
                return Location(path, span)
    return None


def create_model_location(workspace: Workspace, model: ModelState) -> Location | None:
    """The ``CreateModel`` operation that created ``model``."""
    key = model.created_in
    migration = workspace.migrations.get(key) if key else None
    if migration is None:
        return None
    names = model_aliases(workspace, model.app_label, model.name)
    for operation in migration.operations:
        name = operation.argument(0, "name")
        if operation.kind == "CreateModel" and isinstance(name, str) and name.lower() in names:
            return Location(migration.path, operation.span)
    return None


# -- what is under the cursor --------------------------------------------------------------


def target_at(workspace: Workspace, path: Path, line: int, col: int) -> Target | None:
    key = workspace.files.get(path)
    if key is not None and key in workspace.migrations:
        return _migration_target(workspace, workspace.migrations[key], line, col)
    app = workspace.project.models_app(path)
    if app is None or app.origin != WORKSPACE:
        return None
    for name, span in model_classes(workspace, path):
        if contains(span, line, col):
            return Target("model-class", span, app_label=app.label, model=name)
    return None


def _migration_target(
    workspace: Workspace, migration: MigrationFile, line: int, col: int
) -> Target | None:
    if migration.has_migration_class and contains(migration.class_span, line, col):
        return Target("migration-class", migration.class_span, key=migration.key)
    for attribute in DEPENDENCY_ATTRIBUTES:
        for dependency in getattr(migration, attribute):
            if contains(dependency.span, line, col):
                resolved = resolve_dependency(workspace, dependency)
                if resolved is None:
                    return None
                return Target("migration", dependency.span, key=resolved, attribute=attribute)
    text = read_text(workspace, migration.path)
    if text is None:
        return None
    found = _model_reference(text, migration.lines, line, col)
    if found is None:
        found = _setting_reference(workspace, migration, text, line, col)
    if found is None:
        return None
    app_label, model, span = found
    return Target("model", span, key=migration.key, app_label=app_label or migration.key.app_label,
                  model=model)  # fmt: skip


_TREES: dict[str, ast.Module | None] = {}


def _tree(text: str) -> ast.Module | None:
    """``ast.parse(text)``, the last few kept (requests come in bursts on one file)."""
    if text not in _TREES:
        if len(_TREES) > 8:
            _TREES.clear()
        try:
            _TREES[text] = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            _TREES[text] = None
    return _TREES[text]


def _node_span(node: ast.AST, lines: SourceLines) -> Span:
    line = node.lineno - 1  # type: ignore[attr-defined]
    end = (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
    return Span(
        line,
        lines.col_from_utf8(line, node.col_offset),  # type: ignore[attr-defined]
        end,
        lines.col_from_utf8(end, node.end_col_offset or 0),  # type: ignore[attr-defined]
    )


def _func_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _strings_at(
    tree: ast.Module, lines: SourceLines, line: int, col: int
) -> Iterator[tuple[ast.Call, ast.Constant, str | None, int | None]]:
    """Calls with a string argument under the cursor: (call, string, keyword, position)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        arguments: list[tuple[ast.expr, str | None, int | None]] = [
            (a, None, i) for i, a in enumerate(node.args)
        ]
        arguments += [(k.value, k.arg, None) for k in node.keywords]
        for value, keyword, position in arguments:
            if (
                isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and contains(_node_span(value, lines), line, col)
            ):
                yield node, value, keyword, position


def _model_reference(
    text: str, lines: SourceLines, line: int, col: int
) -> tuple[str | None, str, Span] | None:
    """``(app_label or None for the migration's own app, model name, span)`` of a model
    named by the string under the cursor."""
    tree = _tree(text)
    if tree is None:
        return None
    for call, string, keyword, position in _strings_at(tree, lines, line, col):
        value = str(string.value)
        span = _node_span(string, lines)
        name = _func_name(call)
        if name == "get_model":
            if len(call.args) == 1 and position == 0 and "." in value:
                app, _, model = value.partition(".")
                return app, model, span
            first = call.args[0] if call.args else None
            if position == 1 and isinstance(first, ast.Constant) and isinstance(first.value, str):
                return first.value, value, span
            if keyword == "model_name":
                app_node = next((k.value for k in call.keywords if k.arg == "app_label"), first)
                if isinstance(app_node, ast.Constant) and isinstance(app_node.value, str):
                    return app_node.value, value, span
            continue
        if keyword in ("to", "through") or (position == 0 and name in RELATION_FIELDS):
            if "." in value:
                app, _, model = value.partition(".")
                return app, model, span
            return None, value, span
        if keyword == "model_name" or (keyword == "name" and name in _MODEL_OPERATIONS):
            return None, value, span
    return None


def _setting_reference(
    workspace: Workspace, migration: MigrationFile, text: str, line: int, col: int
) -> tuple[str | None, str, Span] | None:
    """``to=settings.AUTH_USER_MODEL`` (any setting) under the cursor: the model the
    setting names, as ``swappable_dependency`` reads it."""
    tree = _tree(text)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword) or node.arg != "to":
            continue
        value = node.value
        if not (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)):
            continue
        span = _node_span(value, migration.lines)
        if not contains(span, line, col):
            continue
        if qualify(value.value.id, migration.imports) != "django.conf.settings":
            return None
        named = workspace.project.settings.get(value.attr)
        if isinstance(named, str) and not is_unknown(named) and "." in named:
            app, _, model = named.partition(".")
            return app, model, span
        return None
    return None


_MODEL_OPERATIONS = {
    "CreateModel", "DeleteModel", "AlterModelTable", "AlterModelTableComment",
    "AlterUniqueTogether", "AlterIndexTogether", "AlterOrderWithRespectTo",
    "AlterModelOptions", "AlterModelManagers",
}  # fmt: skip


# -- definition and references ------------------------------------------------------------


def definition(workspace: Workspace, target: Target) -> list[Location]:
    if target.kind == "migration" and target.key is not None:
        migration = workspace.migrations.get(target.key)
        if migration is None:
            return []
        return [Location(migration.path, migration.class_span)]
    if target.kind in ("model", "model-class") and target.app_label and target.model:
        found: list[Location] = []
        model = model_seen_from(workspace, target.key, target.app_label, target.model)
        current = model.name if model is not None else target.model
        located = model_class(workspace, target.app_label, current)
        if located is None and model is not None:
            located = model_class(workspace, target.app_label, target.model)
        if located is not None and target.kind == "model":
            found.append(located)
        created = create_model_location(workspace, model) if model is not None else None
        if created is not None:
            found.append(created)
        return found
    return []


def dependents(workspace: Workspace, key: MigrationKey) -> list[tuple[str, MigrationKey, Span]]:
    """Entries naming ``key``: ``(attribute, migration, span)`` of every migration that
    depends on it, runs before it, or replaces it.

    The graph's edge origins say which migrations declare an edge to ``key``; their entries
    are then read from their current parse (spans move with edits that keep the graph). A
    squashed migration also counts the entries naming the migrations it replaces, which
    Django points at it; a migration that is not a node (replaced) is looked for in every
    file.
    """
    graph = workspace.graph
    names = {key}
    if key in graph:
        names.update(graph.replacements.get(key, ()))
        candidates = {o.migration for c in graph.child_map.get(key, ())
                      for o in graph.origins.get((key, c), ())}  # fmt: skip
        candidates |= {o.migration for p in graph.parent_map.get(key, ())
                       for o in graph.origins.get((p, key), ())}  # fmt: skip
        candidates |= {s for s, replaced in graph.replacements.items() if key in replaced}
    else:
        candidates = set(workspace.migrations)
    found = []
    for other in sorted(candidates):
        migration = workspace.migrations.get(other)
        if migration is None or other == key:
            continue
        for attribute in DEPENDENCY_ATTRIBUTES:
            for dependency in getattr(migration, attribute):
                named = dependency.key
                if named is None or named.name in (FIRST, LATEST):
                    if named is not None and named.app_label != key.app_label:
                        continue
                    named = resolve_dependency(workspace, dependency)
                if named in names:
                    found.append((attribute, other, dependency.span))
    return found


def model_operations(
    workspace: Workspace, app_label: str, name: str
) -> list[tuple[MigrationKey, Operation]]:
    """The operations of the app that act on model ``name`` (its latest name), in plan
    order: those whose target had the model's identity (its ``CreateModel``) when they ran."""
    model = latest_state(workspace, app_label).model(name)
    created_in = model.created_in if model is not None else None
    names = model_aliases(workspace, app_label, model.name if model else name)
    engine = workspace.state
    found = []
    for key in engine.plan(app_label):
        migration = workspace.migrations.get(key)
        trace = engine.trace(key)
        if migration is None or trace is None:
            continue
        for index, operation in enumerate(migration.operations):
            target = target_model(operation)
            if not isinstance(target, str) or target.lower() not in names:
                continue
            seen = trace.operations[index].model if index < len(trace.operations) else None
            if created_in is None:
                found.append((key, operation))
            elif operation.kind == "CreateModel":
                if key == created_in:
                    found.append((key, operation))
            elif seen is not None and seen.created_in == created_in:
                found.append((key, operation))
    return found


def references(workspace: Workspace, target: Target, declaration: bool) -> list[Location]:
    if target.kind in ("migration", "migration-class") and target.key is not None:
        found = []
        if declaration:
            found += definition(workspace, Target("migration", target.span, key=target.key))
        for _, other, span in dependents(workspace, target.key):
            found.append(Location(workspace.migrations[other].path, span))
        return found
    if target.kind in ("model", "model-class") and target.app_label and target.model:
        model = model_seen_from(workspace, target.key, target.app_label, target.model)
        latest = _latest_name(workspace, target.app_label, model, target.model)
        found = []
        if declaration:
            located = model_class(workspace, target.app_label, latest)
            if located is not None:
                found.append(located)
        touching = model_operations(workspace, target.app_label, latest)
        seen = {(key, id(operation)) for key, operation in touching}
        related = relations_to(workspace, target.app_label, latest)
        for key, operation in touching + [r for r in related if (r[0], id(r[1])) not in seen]:
            found.append(Location(workspace.migrations[key].path, operation.span))
        return found
    return []


@dataclass
class _RelationIndex:
    """Where relation fields point, for every migration of a workspace: per parse (checked by
    identity, so an edited file is read again) the ``(target, operation index)`` pairs, and
    per target the ``(migration, operation index)`` pairs. A target is ``(app_label,
    model_name_lower)``, or ``("settings", NAME)`` for ``to=settings.NAME``."""

    parses: dict[MigrationKey, tuple[MigrationFile, list[tuple[tuple[str, str], int]]]] = field(
        default_factory=dict
    )
    by_target: dict[tuple[str, str], set[tuple[MigrationKey, int]]] = field(default_factory=dict)

    def update(self, migrations: dict[MigrationKey, MigrationFile]) -> None:
        for key in [k for k in self.parses if k not in migrations]:
            self._drop(key)
        for key, migration in migrations.items():
            known = self.parses.get(key)
            if known is not None and known[0] is migration:
                continue
            if known is not None:
                self._drop(key)
            found = list(_relation_targets(migration))
            self.parses[key] = (migration, found)
            for target, index in found:
                self.by_target.setdefault(target, set()).add((key, index))

    def _drop(self, key: MigrationKey) -> None:
        for target, index in self.parses.pop(key)[1]:
            self.by_target.get(target, set()).discard((key, index))


_RELATIONS: weakref.WeakKeyDictionary[Workspace, _RelationIndex] = weakref.WeakKeyDictionary()


def _relation_targets(migration: MigrationFile) -> Iterator[tuple[tuple[str, str], int]]:
    """The targets of the relation fields each ``CreateModel``/``AddField``/``AlterField``
    writes."""
    for index, operation in enumerate(migration.operations):
        if not operation.is_django:
            continue
        if operation.kind == "CreateModel":
            fields = operation.argument(1, "fields")
            values = (
                [f[1] for f in fields if isinstance(f, tuple) and len(f) == 2]
                if isinstance(fields, list)
                else []
            )
        elif operation.kind in ("AddField", "AlterField"):
            values = [operation.argument(2, "field")]
        else:
            continue
        for value in values:
            if not isinstance(value, CallValue):
                continue
            if value.func.rsplit(".", 1)[-1] not in RELATION_FIELDS:
                continue
            to = value.kwargs.get("to", value.args[0] if value.args else None)
            if isinstance(to, str) and not is_unknown(to):
                app, _, model = to.rpartition(".")
                yield (app or migration.key.app_label, model.lower()), index
            elif isinstance(to, Ref):
                head, _, setting = to.dotted.rpartition(".")
                if qualify(head, migration.imports) == "django.conf.settings":
                    yield ("settings", setting), index
            through = value.kwargs.get("through")
            if isinstance(through, str) and not is_unknown(through):
                app, _, model = through.rpartition(".")
                yield (app or migration.key.app_label, model.lower()), index


def relations_to(
    workspace: Workspace, app_label: str, name: str
) -> list[tuple[MigrationKey, Operation]]:
    """Operations of any migration whose relation fields point at model ``name`` of
    ``app_label`` (under any of its names): ``"app.Model"``, ``"Model"`` in the same app,
    or a setting naming it (``settings.AUTH_USER_MODEL``)."""
    index = _RELATIONS.get(workspace)
    if index is None:
        index = _RELATIONS[workspace] = _RelationIndex()
    collecting = gc.isenabled()
    gc.disable()  # the first build makes tens of thousands of long-lived tuples
    try:
        index.update(workspace.migrations)
    finally:
        if collecting:
            gc.enable()
    names = model_aliases(workspace, app_label, name)
    targets = [(app_label, n) for n in names]
    for target in [t for t in index.by_target if t[0] == "settings"]:
        value = workspace.project.settings.get(target[1])
        if isinstance(value, str) and not is_unknown(value) and "." in value:
            app, _, model = value.partition(".")
            if app == app_label and model.lower() in names:
                targets.append(target)
    found = {pair for target in targets for pair in index.by_target.get(target, ())}
    return [(key, workspace.migrations[key].operations[i]) for key, i in sorted(found)]


def _latest_name(workspace: Workspace, app_label: str, model: ModelState | None, name: str) -> str:
    """The model's name in the app's latest state (after later renames)."""
    if model is None or model.created_in is None:
        return name
    for latest in latest_state(workspace, app_label).models.values():
        if latest.created_in == model.created_in and model.name_lower in model_aliases(
            workspace, app_label, latest.name
        ):
            return latest.name
    return name


# -- hover and lenses ----------------------------------------------------------------------


def _relative(workspace: Workspace, path: Path) -> str:
    return (
        str(path.relative_to(workspace.root)) if path.is_relative_to(workspace.root) else str(path)
    )


def applied_text(applied: AppliedState | None, key: MigrationKey) -> str | None:
    state = applied.get(key) if applied is not None else None
    if state is None:
        return None
    return "applied" if state else "not applied"


def hover(workspace: Workspace, target: Target, applied: AppliedState | None = None) -> str | None:
    """Markdown describing the migration or model under the cursor."""
    if target.kind in ("migration", "migration-class") and target.key is not None:
        migration = workspace.migrations.get(target.key)
        if migration is None:
            return None
        lines = [f"**{target.key}** — `{_relative(workspace, migration.path)}`"]
        state = applied_text(applied, target.key)
        if state:
            lines.append(f"\n{state.capitalize()}.")
        lines.append("")
        lines += [f"- {describe(op)}" for op in migration.operations]
        if not migration.operations_complete:
            lines.append("- … (operations computed at import time)")
        if not migration.operations:
            lines.append("No operations.")
        return "\n".join(lines)
    if target.kind in ("model", "model-class") and target.app_label and target.model:
        model = model_seen_from(workspace, target.key, target.app_label, target.model)
        latest = _latest_name(workspace, target.app_label, model, target.model)
        title = model.name if model is not None else target.model
        lines = [f"**{target.app_label}.{title}**"]
        located = model_class(workspace, target.app_label, latest)
        if located is not None:
            lines[0] += f" — `{_relative(workspace, located.path)}`"
        lines.append("")
        for key, operation in model_operations(workspace, target.app_label, latest):
            state = applied_text(applied, key)
            suffix = f" ({state})" if state else ""
            lines.append(f"- {describe(operation)} — `{key}`{suffix}")
        if len(lines) == 2:
            lines.append("No operations found for this model.")
        return "\n".join(lines)
    return None


def code_lenses(workspace: Workspace, key: MigrationKey) -> list[Lens]:
    """On ``class Migration``: its dependents (click: their entries). The applied state's
    lenses come from the database (``djmig.lsp.database.code_lenses``)."""
    migration = workspace.migrations.get(key)
    if migration is None or not migration.has_migration_class:
        return []
    found = dependents(workspace, key)
    count = len({other for _, other, _ in found})
    locations = [Location(workspace.migrations[other].path, span) for _, other, span in found]
    return [Lens(migration.class_span, f"{count} dependent{'' if count == 1 else 's'}", locations)]


# -- symbols -------------------------------------------------------------------------------


def document_symbols(workspace: Workspace, path: Path) -> list[Symbol]:
    key = workspace.files.get(path)
    migration = workspace.migrations.get(key) if key else None
    if migration is None:
        return []
    symbols = [
        Symbol(name, "function", span, Span(span.start_line, span.start_col + 4,
                                            span.start_line, span.start_col + 4 + len(name)))
        for name, span in migration.functions.items()
    ]  # fmt: skip
    if migration.has_migration_class:
        children = [
            Symbol(describe(op), "operation", op.span, op.func_span) for op in migration.operations
        ]
        spans = [migration.class_span, *(c.span for c in children)]
        spans += [d.span for a in DEPENDENCY_ATTRIBUTES for d in getattr(migration, a)]
        end = max((s.end_line, s.end_col) for s in spans)
        whole = Span(migration.class_span.start_line, migration.class_span.start_col, *end)
        symbols.append(
            Symbol("Migration", "migration", whole, migration.class_span, str(key), path,
                   children)
        )  # fmt: skip
    return sorted(symbols, key=lambda s: s.span)


def _fuzzy(query: str) -> re.Pattern[str]:
    """VS Code's fuzzy match: the query's characters in order, any case."""
    return re.compile("".join(f"[^{re.escape(c)}]*{re.escape(c)}" for c in query), re.I)


@dataclass
class _Names:
    """The reported migrations' names (``app.0003_name``), sorted, each after a newline in
    ``text`` (what the fuzzy pattern scans in one pass), and where those newlines are."""

    graph: MigrationGraph
    keys: list[MigrationKey]
    text: str
    starts: list[int]


_SYMBOL_NAMES: weakref.WeakKeyDictionary[Workspace, _Names] = weakref.WeakKeyDictionary()


def _migration_names(workspace: Workspace) -> _Names:
    """The names of the reported migrations, kept while the graph (hence the set of
    files) is the same."""
    graph = workspace.graph
    cached = _SYMBOL_NAMES.get(workspace)
    if cached is None or cached.graph is not graph:
        # Kept as long as the graph: no cyclic garbage collection while 10,000 strings are
        # made (measured: a full collection of the indexed workspace, ~0.3 s, else).
        collecting = gc.isenabled()
        gc.disable()
        try:
            found = (workspace.files.get(path) for path in workspace.reported_paths())
            keys = sorted((key for key in found if key is not None), key=str)
            names = [str(key) for key in keys]
            starts = list(itertools.accumulate((len(n) + 1 for n in names), initial=0))[:-1]
        finally:
            if collecting:
                gc.enable()
        text = "".join("\n" + name for name in names)
        cached = _SYMBOL_NAMES[workspace] = _Names(graph, keys, text, starts)
    return cached


def _matching_migrations(workspace: Workspace, query: str) -> Iterator[MigrationKey]:
    """Reported migrations whose name fuzzy-matches ``query``, in name order: one regular
    expression over all the names, lazily."""
    names = _migration_names(workspace)
    body = "".join(f"[^\n{re.escape(c)}]*{re.escape(c)}" for c in query)
    # A literal newline first: the engine skips from line to line instead of trying every
    # position (measured: 0.1 ms for the first 128 of 10,000 matches, 7 ms for 100 of them).
    for match in re.finditer(f"\n{body}", names.text, re.I):
        yield names.keys[bisect.bisect_right(names.starts, match.start()) - 1]


def workspace_symbols(workspace: Workspace, query: str, limit: int = 128) -> list[Symbol]:
    """Models (``app.Model``) then migrations (``app.0003_name``) of the workspace's apps
    that fuzzy-match ``query``, at most ``limit`` (like rust-analyzer's default of 128:
    editors ask again as the query grows, and converting thousands of symbols costs more
    than finding them)."""
    found: list[Symbol] = []
    match = _fuzzy(query.strip()).match
    for label, app in sorted(workspace.project.apps.items()):
        if app.origin != WORKSPACE:
            continue
        for model in sorted(latest_state(workspace, label).models.values(), key=lambda m: m.name):
            name = f"{label}.{model.name}"
            if not match(name):
                continue
            located = model_class(workspace, label, model.name) or create_model_location(
                workspace, model
            )
            if located is not None:
                found.append(Symbol(name, "model", located.span, located.span, label,
                                    located.path))  # fmt: skip
                if len(found) >= limit:
                    return found
    for key in _matching_migrations(workspace, query.strip()):
        migration = workspace.migrations.get(key)
        if migration is None:
            continue
        found.append(Symbol(str(key), "migration", migration.class_span, migration.class_span,
                            key.app_label, migration.path))  # fmt: skip
        if len(found) >= limit:
            break
    return found


# -- completion ----------------------------------------------------------------------------

_LIST_START = re.compile(r"\b(dependencies|run_before|replaces)\s*(?::[^=]*)?=\s*\[")
_STRING_PREFIX = re.compile(r"""(?P<quote>["'])(?P<typed>[\w.]*)$""")


def complete(workspace: Workspace, path: Path, text: str, line: int, col: int) -> list[Candidate]:
    """Candidates at the cursor of an edited migration (``text``: the buffer)."""
    key = workspace.key_for_path(path)
    if key is None:
        return []
    lines = text.split("\n")
    if line >= len(lines):
        return []
    before = "\n".join([*lines[:line], lines[line][:col]])
    string = _STRING_PREFIX.search(lines[line][:col])
    in_list = _open_dependency_list(before)
    if in_list is not None:
        return _complete_dependency(workspace, key, before, in_list, string, line, col)
    if string is None:
        return []
    typed = string.group("typed")
    replace = Span(line, col - len(typed), line, col)
    head = before[: len(before) - len(typed) - 1]
    call = re.search(r"\bget_model\(\s*(?:(?P<quote>[\"'])(?P<app>\w+)(?P=quote)\s*,\s*)?$", head)
    if call is not None:
        if call.group("app"):
            return _model_candidates(workspace, key, call.group("app"), replace)
        return _label_candidates(workspace, typed, replace, dotted=True, key=key)
    if re.search(r"\bto\s*=\s*$", head):
        return _label_candidates(workspace, typed, replace, dotted=True, key=key)
    return []


def _open_dependency_list(before: str) -> str | None:
    """The text typed since ``dependencies = [`` when the cursor is inside that list."""
    starts = list(_LIST_START.finditer(before))
    if not starts:
        return None
    inside = before[starts[-1].end() :]
    depth = 1
    quote: str | None = None
    for char in inside:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return None
    return inside


def _complete_dependency(
    workspace: Workspace,
    key: MigrationKey,
    before: str,
    inside: str,
    string: re.Match[str] | None,
    line: int,
    col: int,
) -> list[Candidate]:
    tuple_start = inside.rfind("(")
    if tuple_start < 0 or ")" in inside[tuple_start:]:
        # Not inside a tuple: whole entries, each app's leaf.
        if string is not None:
            return []
        return _entry_candidates(workspace, key, Span(line, col, line, col))
    entry = inside[tuple_start + 1 :]
    if string is None:
        return []
    typed = string.group("typed")
    replace = Span(line, col - len(typed), line, col)
    done = re.findall(r"""(["'])(\w*)\1\s*,""", entry)
    if not done:
        return _label_candidates(workspace, typed, replace, dotted=False, key=key)
    return _migration_candidates(workspace, key, done[0][1], replace)


def _labels(workspace: Workspace) -> list[str]:
    return sorted(label for label, app in workspace.project.apps.items() if app.migrated)


def _label_candidates(
    workspace: Workspace, typed: str, replace: Span, dotted: bool, key: MigrationKey
) -> list[Candidate]:
    if dotted and "." in typed:
        app = typed.split(".", 1)[0]
        shifted = Span(replace.start_line, replace.start_col + len(app) + 1, *replace[2:])
        return _model_candidates(workspace, key, app, shifted)
    found = []
    for label in _labels(workspace):
        own = label == key.app_label
        origin = workspace.project.apps[label].origin
        found.append(
            Candidate(label, "app", "this app" if own else f"app ({origin})",
                      f"{0 if own else 1}{label}", replace)
        )  # fmt: skip
    return found


def _descendants(workspace: Workspace, key: MigrationKey) -> set[MigrationKey]:
    children = workspace.graph.child_map
    seen = {key}
    stack = [key]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _app_order(workspace: Workspace, app_label: str) -> list[MigrationKey]:
    """The app's migrations, leaves first, then newest to oldest in plan order."""
    leaves = workspace.graph.leaf_nodes(app_label)
    plan = workspace.state.plan(app_label) if app_label in workspace.project.apps else []
    rest = [k for k in reversed(plan) if k not in leaves]
    known = set(leaves) | set(rest)
    rest += sorted((k for k in workspace.migrations if k.app_label == app_label and k not in
                    known), reverse=True)  # fmt: skip
    return leaves + rest


def _migration_candidates(
    workspace: Workspace, key: MigrationKey, app_label: str, replace: Span
) -> list[Candidate]:
    excluded = _descendants(workspace, key) if key in workspace.graph else {key}
    leaves = set(workspace.graph.leaf_nodes(app_label))
    found = []
    for rank, other in enumerate(_app_order(workspace, app_label)):
        if other in excluded:
            continue
        migration = workspace.migrations.get(other)
        summary = "; ".join(describe(op) for op in migration.operations[:3]) if migration else ""
        detail = ("leaf — " if other in leaves else "") + summary
        found.append(Candidate(other.name, "migration", detail, f"{rank:05d}", replace))
    return found


def _entry_candidates(workspace: Workspace, key: MigrationKey, replace: Span) -> list[Candidate]:
    excluded = _descendants(workspace, key) if key in workspace.graph else {key}
    found = []
    for label in _labels(workspace):
        for leaf in workspace.graph.leaf_nodes(label):
            if leaf in excluded:
                continue
            own = label == key.app_label
            found.append(
                Candidate(f'("{leaf.app_label}", "{leaf.name}")', "migration",
                          f"leaf of {label}", f"{0 if own else 1}{label}", replace,
                          insert=f'("{leaf.app_label}", "{leaf.name}"),')
            )  # fmt: skip
    return found


def _model_candidates(
    workspace: Workspace, key: MigrationKey, app_label: str, replace: Span
) -> list[Candidate]:
    if app_label not in workspace.project.apps:
        return []
    names: dict[str, ModelState] = {}
    if app_label == key.app_label and key in workspace.graph:
        for state in (workspace.state.before(key), workspace.state.after(key)):
            names.update(state.models if state else {})
    else:
        names.update(latest_state(workspace, app_label).models)
    return [
        Candidate(model.name, "model", f"model of {app_label}", model.name_lower, replace)
        for model in sorted(names.values(), key=lambda m: m.name_lower)
    ]
