"""The migration graph, built the way ``MigrationLoader.build_graph`` builds it.

Edges point from parent to child (a dependency to its dependent), stored in a networkx
``DiGraph``. Where Django raises at the first problem, the builder records every problem
as a ``GraphProblem`` (with the dependency that caused it) and carries on, so each can be
shown on its own line. ``uncertain_apps`` lists apps whose edges are not all known
(computed dependencies, unparseable files): rules keep quiet about them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from djmig.index.discovery import Project
from djmig.index.migrations import Dependency, MigrationFile
from djmig.index.values import is_unknown
from djmig.keys import MigrationKey

FIRST, LATEST = "__first__", "__latest__"


class EdgeOrigin(NamedTuple):
    """The declaration that created an edge: ``migration``'s dependency or run_before entry."""

    migration: MigrationKey
    dependency: Dependency
    attribute: str


@dataclass
class GraphProblem:
    """``kind``: missing (NodeNotFoundError), unknown-app / no-migrations (ValueError in
    ``check_key``, or a node Django would not find because its app has none), cycle."""

    kind: str
    origin: EdgeOrigin
    target: MigrationKey
    cycle: tuple[MigrationKey, ...] = ()


@dataclass
class MigrationGraph:
    """Nodes and edges as Django's ``MigrationGraph`` keeps them: parent and child sets per
    node. Dummy nodes (missing migrations) stay in ``dummies`` and out of ``nodes``.
    ``applied`` is ``MigrationLoader.applied_migrations`` when the graph was built with a
    database's records (None without): the records, with each squashed migration added
    when all the migrations it replaces are recorded and removed otherwise."""

    parent_map: dict[MigrationKey, set[MigrationKey]] = field(default_factory=dict)
    child_map: dict[MigrationKey, set[MigrationKey]] = field(default_factory=dict)
    origins: dict[tuple[MigrationKey, MigrationKey], list[EdgeOrigin]] = field(default_factory=dict)
    dummies: dict[MigrationKey, list[EdgeOrigin]] = field(default_factory=dict)
    problems: list[GraphProblem] = field(default_factory=list)
    uncertain: dict[str, set[MigrationKey]] = field(default_factory=dict)
    replacements: dict[MigrationKey, list[MigrationKey]] = field(default_factory=dict)
    applied_replacements: set[MigrationKey] = field(default_factory=set)
    applied: frozenset[MigrationKey] | None = None
    first_latest_apps: set[str] = field(default_factory=set)
    edges_by_migration: dict[MigrationKey, set[tuple[MigrationKey, MigrationKey]]] = field(
        default_factory=dict
    )
    _leaves: dict[str, list[MigrationKey]] | None = None
    _stale_leaves: set[str] = field(default_factory=set)
    updated_apps: set[str] = field(default_factory=set)
    """After ``update_graph``: the apps of both ends of every edge it added or removed."""

    @property
    def uncertain_apps(self) -> set[str]:
        """Apps whose edges are not all known: rules keep quiet about them."""
        return {app for app, reasons in self.uncertain.items() if reasons}

    def mark_uncertain(self, key: MigrationKey) -> None:
        """``key``'s declarations make its app's graph uncertain."""
        self.uncertain.setdefault(key.app_label, set()).add(key)

    @property
    def nodes(self) -> set[MigrationKey]:
        return {n for n in self.parent_map if n not in self.dummies}

    def __contains__(self, key: object) -> bool:
        return key in self.parent_map and key not in self.dummies

    def parents(self, key: MigrationKey) -> list[MigrationKey]:
        return sorted(self.parent_map.get(key, ()))

    def children(self, key: MigrationKey) -> list[MigrationKey]:
        return sorted(self.child_map.get(key, ()))

    def edge_origins(self, parent: MigrationKey, child: MigrationKey) -> list[EdgeOrigin]:
        return list(self.origins.get((parent, child), ()))

    def _per_app(self) -> dict[str, list[MigrationKey]]:
        if self._leaves is None or self._stale_leaves:
            apps = None if self._leaves is None else self._stale_leaves
            leaves: dict[str, list[MigrationKey]] = {}
            for node, children in self.child_map.items():
                app = node.app_label
                if node in self.dummies or (apps is not None and app not in apps):
                    continue
                if all(child.app_label != app for child in children):
                    leaves.setdefault(app, []).append(node)
            if self._leaves is None:
                self._leaves = {}
            for app in apps or ():
                self._leaves.pop(app, None)
            self._leaves.update({app: sorted(keys) for app, keys in leaves.items()})
            self._stale_leaves = set()
        return self._leaves

    def leaf_nodes(self, app: str | None = None) -> list[MigrationKey]:
        """``MigrationGraph.leaf_nodes``: nodes with no children in their own app."""
        per_app = self._per_app()
        if app is not None:
            return list(per_app.get(app, []))
        return sorted(k for keys in per_app.values() for k in keys)

    def root_nodes(
        self, app: str | None = None, include_dummies: bool = False
    ) -> list[MigrationKey]:
        """``MigrationGraph.root_nodes``: nodes with no parents in their own app."""
        return sorted(
            node
            for node, parents in self.parent_map.items()
            if (app is None or node.app_label == app)
            and (include_dummies or node not in self.dummies)
            and all(p.app_label != node.app_label for p in parents)
        )

    def conflicts(self) -> dict[str, list[str]]:
        """``MigrationLoader.detect_conflicts``: apps with more than one leaf."""
        return {
            app: [k.name for k in leaves]
            for app, leaves in sorted(self._per_app().items())
            if len(leaves) > 1
        }

    def forwards_plan(self, target: MigrationKey) -> list[MigrationKey]:
        """``MigrationGraph.forwards_plan``: Django's iterative DFS over parents. Django
        checks the graph is acyclic first; here a node is expanded once, so that a cycle
        ends the walk (on an acyclic graph no node is expanded twice anyway)."""
        visited: list[MigrationKey] = []
        visited_set: set[MigrationKey] = set()
        expanded: set[MigrationKey] = set()
        stack: list[tuple[MigrationKey, bool]] = [(target, False)]
        while stack:
            node, processed = stack.pop()
            if node in visited_set:
                continue
            if processed:
                visited_set.add(node)
                visited.append(node)
            elif node not in expanded:
                expanded.add(node)
                stack.append((node, True))
                stack += [(n, False) for n in sorted(self.parent_map.get(node, ()))]
        return visited

    def ancestors(self, target: MigrationKey) -> set[MigrationKey]:
        """The nodes ``forwards_plan(target)`` holds besides ``target``, as a set (with
        ``target`` itself when it is on a cycle, where ``forwards_plan`` would not end)."""
        found: set[MigrationKey] = set()
        stack = list(self.parent_map.get(target, ()))
        while stack:
            node = stack.pop()
            if node not in found:
                found.add(node)
                stack.extend(self.parent_map.get(node, ()))
        return found

    def edges(self) -> list[tuple[MigrationKey, MigrationKey]]:
        return sorted(
            (parent, child)
            for child, parents in self.parent_map.items()
            if child not in self.dummies
            for parent in parents
            if parent not in self.dummies
        )


class _Builder:
    def __init__(
        self,
        project: Project,
        migrations: Mapping[MigrationKey, MigrationFile],
        applied: Iterable[MigrationKey] | None,
        graph: MigrationGraph | None = None,
    ) -> None:
        self.project = project
        self.migrations = migrations
        self.recorded = applied is not None
        self.applied = set(applied or ())
        self.result = graph if graph is not None else MigrationGraph()
        self.parents = self.result.parent_map
        self.children = self.result.child_map
        self.origins = self.result.origins
        self.dummies = self.result.dummies
        self.migrated = {label for label, app in project.apps.items() if app.migrated}
        self.unmigrated = {label for label, app in project.apps.items() if app.migrated is False}
        self.known = {label for label, app in project.apps.items() if app.migrated is not None}

    def resolve(self, dependency: Dependency) -> MigrationKey | None:
        if dependency.key is not None:
            return dependency.key
        if dependency.setting:
            value = self.project.settings.get(dependency.setting)
            if isinstance(value, str) and not is_unknown(value):
                return MigrationKey(value.split(".", 1)[0], FIRST)
        return None

    def add_node(self, key: MigrationKey) -> None:
        self.parents[key] = set()
        self.children[key] = set()

    def add_edge(
        self, parent: MigrationKey, child: MigrationKey, origins: list[EdgeOrigin]
    ) -> None:
        self.parents[child].add(parent)
        self.children[parent].add(child)
        self.origins.setdefault((parent, child), []).extend(origins)

    def remove_node(self, key: MigrationKey) -> None:
        for parent in self.parents.pop(key):
            self.children[parent].discard(key)
            self.origins.pop((parent, key), None)
        for child in self.children.pop(key):
            self.parents[child].discard(key)
            self.origins.pop((key, child), None)
        self.dummies.pop(key, None)

    def add_dependency(self, child: MigrationKey, parent: MigrationKey, origin: EdgeOrigin) -> None:
        """``MigrationGraph.add_dependency(skip_validation=True)``: dummies for unknown keys."""
        parents, children, dummies = self.parents, self.children, self.dummies
        for key in (child, parent):
            if key not in parents:
                parents[key], children[key] = set(), set()
                dummies[key] = [origin]
            elif dummies and key in dummies:
                dummies[key].append(origin)
        parents[child].add(parent)
        children[parent].add(child)
        edge = (parent, child)
        known = self.origins.get(edge)
        if known is None:
            self.origins[edge] = [origin]
        else:
            known.append(origin)
        by_migration = self.result.edges_by_migration
        edges = by_migration.get(origin.migration)
        if edges is None:
            by_migration[origin.migration] = {edge}
        else:
            edges.add(edge)

    def check_key(
        self, key: MigrationKey, current_app: str, origin: EdgeOrigin
    ) -> MigrationKey | None:
        """``MigrationLoader.check_key``; problems are recorded instead of raised."""
        app = key.app_label
        if app not in self.known:
            if self.project.closed and app not in self.project.apps:
                self.result.problems.append(GraphProblem("unknown-app", origin, key))
            else:
                self.result.mark_uncertain(origin.migration)
            return None
        if key.name not in (FIRST, LATEST) or key in self.parents:
            if app in self.unmigrated:
                self.result.problems.append(GraphProblem("no-migrations", origin, key))
                return None
            return key
        if app == current_app or app in self.unmigrated:
            return None
        if app in self.migrated:
            # Django's root_nodes/leaf_nodes at this point count dummy nodes too.
            if key.name == FIRST:
                nodes = self.result.root_nodes(app, include_dummies=True)
            else:
                nodes = self._leaves_now(app)
            if nodes:
                return nodes[0]
            self.result.problems.append(GraphProblem("no-migrations", origin, key))
        return None

    def _leaves_now(self, app: str) -> list[MigrationKey]:
        return sorted(
            node
            for node, children in self.children.items()
            if node.app_label == app and all(c.app_label != app for c in children)
        )

    def build(self) -> MigrationGraph:
        result = self.result
        parents, children = self.parents, self.children
        loaded: dict[MigrationKey, MigrationFile] = {}
        for key, migration in self.migrations.items():
            if migration.has_migration_class is False:
                continue  # BadMigrationError: not a migration (reported by DM106)
            loaded[key] = migration
            parents[key], children[key] = set(), set()
            if migration.replaces and migration.replaces_complete:
                result.replacements[key] = [d.key for d in migration.replaces if d.key]
        # Internal (same app) dependencies first, so __first__ finds the right root.
        for key, migration in loaded.items():
            self.add_internal(key, migration)
        for key, migration in loaded.items():
            self.add_external(key, migration)
        self.replace()
        self.report_missing()
        self.report_cycles()
        return result

    def add_internal(self, key: MigrationKey, migration: MigrationFile) -> None:
        """``MigrationLoader.add_internal_dependencies``; notes the apps named with
        ``__first__``/``__latest__`` (``update`` leaves them to a full build)."""
        if not migration.graph_complete or not migration.replaces_complete:
            self.result.mark_uncertain(key)
        app = key.app_label
        for dependency in migration.dependencies:
            parent = dependency.key or self.resolve(dependency)
            if parent is None:
                continue
            if parent.name in (FIRST, LATEST):
                self.result.first_latest_apps.add(parent.app_label)
                if parent.name == FIRST:
                    continue
            if parent.app_label == app:
                self.add_dependency(key, parent, EdgeOrigin(key, dependency, "dependencies"))

    def add_external(self, key: MigrationKey, migration: MigrationFile) -> None:
        """``MigrationLoader.add_external_dependencies``."""
        result = self.result
        for dependency in migration.dependencies:
            parent = self.resolve(dependency)
            if parent is None:
                result.mark_uncertain(key)
                continue
            if parent.app_label == key.app_label:
                continue
            origin = EdgeOrigin(key, dependency, "dependencies")
            resolved = self.check_key(parent, key.app_label, origin)
            if resolved is not None:
                self.add_dependency(key, resolved, origin)
        for dependency in migration.run_before:
            child = self.resolve(dependency)
            if child is None:
                continue
            if child.name in (FIRST, LATEST):
                result.first_latest_apps.add(child.app_label)
            origin = EdgeOrigin(key, dependency, "run_before")
            resolved = self.check_key(child, key.app_label, origin)
            if resolved is not None:
                self.add_dependency(resolved, key, origin)

    def replace(self) -> None:
        """The squash step of ``build_graph`` (``remove_replaced_nodes`` /
        ``remove_replacement_node``), with the applied set when a database is known."""
        effective = set(self.applied)
        for key, replaced in self.result.replacements.items():
            statuses = [target in self.applied for target in replaced]
            if all(statuses):
                self.result.applied_replacements.add(key)
                effective.add(key)
            else:
                effective.discard(key)
            if all(statuses) or not any(statuses):
                self._remove_replaced_nodes(key, replaced)
            else:
                self._remove_replacement_node(key, replaced)
        if self.recorded:
            self.result.applied = frozenset(effective)

    def _remove_replaced_nodes(
        self, replacement: MigrationKey, replaced: list[MigrationKey]
    ) -> None:
        if replacement not in self.parents:
            return
        replaced_set = set(replaced)
        for old in replaced_set:
            if old not in self.parents:
                continue
            for child in self.children[old] - replaced_set:
                self.add_edge(replacement, child, self.origins[old, child])
            for parent in self.parents[old] - replaced_set:
                self.add_edge(parent, replacement, self.origins[parent, old])
            self.remove_node(old)

    def _remove_replacement_node(
        self, replacement: MigrationKey, replaced: list[MigrationKey]
    ) -> None:
        if replacement not in self.parents:
            return
        present = {k for k in replaced if k in self.parents}
        parents_of_replaced = {p for k in present for p in self.parents[k]}
        for child in self.children[replacement]:
            for old in present - parents_of_replaced:
                self.add_edge(old, child, self.origins[replacement, child])
        self.remove_node(replacement)

    def update(self, key: MigrationKey, old: MigrationFile, new: MigrationFile) -> bool:
        """Replace ``old``'s edges by ``new``'s in place; False when only a full build can
        tell (squashes, ``__first__``/``__latest__`` involved, a file appearing or leaving)."""
        result = self.result
        if result.replacements or old.replaces or new.replaces:
            return False
        if key.app_label in result.first_latest_apps or key not in self.parents:
            return False
        if False in (old.has_migration_class, new.has_migration_class):
            return False
        for dependency in (*old.dependencies, *old.run_before, *new.dependencies, *new.run_before):
            target = self.resolve(dependency)
            if target is not None and target.name in (FIRST, LATEST):
                return False
        touched = {key.app_label}
        for edge in result.edges_by_migration.pop(key, ()):
            if edge not in self.origins:
                continue  # removed with a dummy node or a replaced node
            touched |= {edge[0].app_label, edge[1].app_label}
            remaining = [o for o in self.origins[edge] if o.migration != key]
            if remaining:
                self.origins[edge] = remaining
                continue
            del self.origins[edge]
            self.children[edge[0]].discard(edge[1])
            self.parents[edge[1]].discard(edge[0])
        for dummy, origins in list(self.dummies.items()):
            kept = [o for o in origins if o.migration != key]
            if kept:
                self.dummies[dummy] = kept
            else:
                self.remove_node(dummy)
        result.uncertain.get(key.app_label, set()).discard(key)
        had_cycles = any(p.kind == "cycle" for p in result.problems)
        result.problems = [p for p in result.problems if p.origin.migration != key]
        self.add_internal(key, new)
        self.add_external(key, new)
        for parent, child in result.edges_by_migration.get(key, ()):
            touched |= {parent.app_label, child.app_label}
        result.problems = [p for p in result.problems if p.kind != "missing"]
        self.report_missing()
        if had_cycles or self._closes_cycle(result.edges_by_migration.get(key, set())):
            result.problems = [p for p in result.problems if p.kind != "cycle"]
            self.report_cycles()
        result._stale_leaves |= touched
        result.updated_apps = touched
        return True

    def _closes_cycle(self, edges: set[tuple[MigrationKey, MigrationKey]]) -> bool:
        """Whether one of ``edges`` (the only ones added to an acyclic graph) closes a
        cycle: its child reaches its parent."""
        for parent, child in edges:
            seen = {child}
            stack = [child]
            while stack:
                node = stack.pop()
                if node == parent:
                    return True
                for nxt in self.children.get(node, ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
        return False

    def report_missing(self) -> None:
        """``validate_consistency``: dummy nodes left after replacement are missing."""
        for key, origins in self.dummies.items():
            for origin in origins:
                self.result.problems.append(GraphProblem("missing", origin, key))
                if origin.migration.app_label == key.app_label:
                    # Which leaves the app has depends on what the dependency meant.
                    self.result.mark_uncertain(origin.migration)

    def report_cycles(self) -> None:
        """``ensure_not_cyclic``, but every cycle: one per strongly connected component."""
        if not _has_cycle(self.parents, self.children, self.dummies):
            return
        import networkx as nx  # only when there is a cycle to describe (0.13 s to import)

        real = nx.DiGraph(self.result.edges())
        for component in sorted(nx.strongly_connected_components(real), key=min):
            if len(component) == 1:
                (node,) = component
                if not real.has_edge(node, node):
                    continue
            cycle_edges = nx.find_cycle(real.subgraph(component), source=min(component))
            nodes = [parent for parent, _ in cycle_edges]
            start = nodes.index(min(nodes))
            cycle = tuple(nodes[start:] + nodes[:start])
            for parent, child in cycle_edges:
                for origin in self.origins[parent, child]:
                    target = parent if origin.attribute == "dependencies" else child
                    self.result.problems.append(GraphProblem("cycle", origin, target, cycle))


def _has_cycle(
    parents: dict[MigrationKey, set[MigrationKey]],
    children: dict[MigrationKey, set[MigrationKey]],
    dummies: Mapping[MigrationKey, object],
) -> bool:
    """Kahn's algorithm: a cheap proof of acyclicity before the full cycle analysis."""
    indegree = {
        node: len(ps) - sum(p in dummies for p in ps) if dummies else len(ps)
        for node, ps in parents.items()
        if node not in dummies
    }
    ready = [node for node, degree in indegree.items() if degree == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for child in children[node]:
            if child in indegree:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
    return seen != len(indegree)


def update_graph(
    graph: MigrationGraph,
    project: Project,
    migrations: Mapping[MigrationKey, MigrationFile],
    old: MigrationFile,
    new: MigrationFile,
) -> bool:
    """Update ``graph`` in place for one file whose dependencies changed; False when it
    must be rebuilt instead. The result equals ``build_graph`` on the new files."""
    return _Builder(project, migrations, None, graph).update(new.key, old, new)


def build_graph(
    project: Project,
    migrations: Mapping[MigrationKey, MigrationFile],
    applied: Iterable[MigrationKey] | None = None,
) -> MigrationGraph:
    """Build the graph of ``migrations`` (every installed app's files, parsed)."""
    return _Builder(project, migrations, applied).build()


def describe(key: Any) -> str:
    return f"{key[0]}.{key[1]}"
