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
from typing import Any

import networkx as nx

from djmig.index.discovery import Project
from djmig.index.migrations import Dependency, MigrationFile
from djmig.index.values import is_unknown
from djmig.keys import MigrationKey

FIRST, LATEST = "__first__", "__latest__"


@dataclass(frozen=True)
class EdgeOrigin:
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
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    problems: list[GraphProblem] = field(default_factory=list)
    uncertain_apps: set[str] = field(default_factory=set)
    replacements: dict[MigrationKey, list[MigrationKey]] = field(default_factory=dict)
    applied_replacements: set[MigrationKey] = field(default_factory=set)
    _leaves: dict[str, list[MigrationKey]] | None = None

    @property
    def nodes(self) -> set[MigrationKey]:
        return {n for n, dummy in self.graph.nodes(data="dummy") if not dummy}

    def __contains__(self, key: object) -> bool:
        return key in self.graph and not self.graph.nodes[key].get("dummy")

    def parents(self, key: MigrationKey) -> list[MigrationKey]:
        return sorted(self.graph.predecessors(key))

    def children(self, key: MigrationKey) -> list[MigrationKey]:
        return sorted(self.graph.successors(key))

    def edge_origins(self, parent: MigrationKey, child: MigrationKey) -> list[EdgeOrigin]:
        return list(self.graph.edges[parent, child].get("origins", ()))

    def _per_app(self) -> dict[str, list[MigrationKey]]:
        if self._leaves is None:
            leaves: dict[str, list[MigrationKey]] = {}
            for node in self.nodes:
                if all(child.app_label != node.app_label for child in self.graph.successors(node)):
                    leaves.setdefault(node.app_label, []).append(node)
            self._leaves = {app: sorted(keys) for app, keys in leaves.items()}
        return self._leaves

    def leaf_nodes(self, app: str | None = None) -> list[MigrationKey]:
        """``MigrationGraph.leaf_nodes``: nodes with no children in their own app."""
        per_app = self._per_app()
        if app is not None:
            return list(per_app.get(app, []))
        return sorted(k for keys in per_app.values() for k in keys)

    def root_nodes(self, app: str | None = None) -> list[MigrationKey]:
        """``MigrationGraph.root_nodes``: nodes with no parents in their own app."""
        return sorted(
            node
            for node in self.graph.nodes
            if (app is None or node.app_label == app)
            and all(p.app_label != node.app_label for p in self.graph.predecessors(node))
        )

    def conflicts(self) -> dict[str, list[str]]:
        """``MigrationLoader.detect_conflicts``: apps with more than one leaf."""
        return {
            app: [k.name for k in leaves]
            for app, leaves in sorted(self._per_app().items())
            if len(leaves) > 1
        }

    def forwards_plan(self, target: MigrationKey) -> list[MigrationKey]:
        """``MigrationGraph.forwards_plan``: Django's iterative DFS over parents."""
        visited: list[MigrationKey] = []
        visited_set: set[MigrationKey] = set()
        stack: list[tuple[MigrationKey, bool]] = [(target, False)]
        while stack:
            node, processed = stack.pop()
            if node in visited_set:
                continue
            if processed:
                visited_set.add(node)
                visited.append(node)
            else:
                stack.append((node, True))
                stack += [(n, False) for n in sorted(self.graph.predecessors(node))]
        return visited

    def edges(self) -> list[tuple[MigrationKey, MigrationKey]]:
        return sorted(
            (p, c)
            for p, c in self.graph.edges
            if not self.graph.nodes[p].get("dummy") and not self.graph.nodes[c].get("dummy")
        )


class _Builder:
    def __init__(
        self,
        project: Project,
        migrations: Mapping[MigrationKey, MigrationFile],
        applied: Iterable[MigrationKey] | None,
    ) -> None:
        self.project = project
        self.migrations = migrations
        self.applied = set(applied or ())
        self.result = MigrationGraph()
        self.g = self.result.graph
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

    def add_dependency(self, child: MigrationKey, parent: MigrationKey, origin: EdgeOrigin) -> None:
        for key in (child, parent):
            if key not in self.g:
                self.g.add_node(key, dummy=True, origins=[])
        for key in (child, parent):
            if self.g.nodes[key].get("dummy"):
                self.g.nodes[key]["origins"].append(origin)
        if self.g.has_edge(parent, child):
            self.g.edges[parent, child]["origins"].append(origin)
        else:
            self.g.add_edge(parent, child, origins=[origin])

    def check_key(
        self, key: MigrationKey, current_app: str, origin: EdgeOrigin
    ) -> MigrationKey | None:
        """``MigrationLoader.check_key``; problems are recorded instead of raised."""
        app = key.app_label
        if app not in self.known:
            if self.project.closed and app not in self.project.apps:
                self.result.problems.append(GraphProblem("unknown-app", origin, key))
            else:
                self.result.uncertain_apps.add(origin.migration.app_label)
            return None
        if key.name not in (FIRST, LATEST) or key in self.g:
            if app in self.unmigrated:
                self.result.problems.append(GraphProblem("no-migrations", origin, key))
                return None
            return key
        if app == current_app or app in self.unmigrated:
            return None
        if app in self.migrated:
            nodes = self.result.root_nodes(app) if key.name == FIRST else self._leaves_now(app)
            if nodes:
                return nodes[0]
            self.result.problems.append(GraphProblem("no-migrations", origin, key))
        return None

    def _leaves_now(self, app: str) -> list[MigrationKey]:
        return sorted(
            node
            for node in self.g.nodes
            if node.app_label == app and all(c.app_label != app for c in self.g.successors(node))
        )

    def build(self) -> MigrationGraph:
        result = self.result
        for key, migration in self.migrations.items():
            if migration.has_migration_class is False:
                continue  # BadMigrationError: not a migration (reported by DM106)
            self.g.add_node(key, dummy=False)
            if not migration.graph_complete:
                result.uncertain_apps.add(key.app_label)
            if migration.replaces and migration.replaces_complete:
                result.replacements[key] = [d.key for d in migration.replaces if d.key]
            elif not migration.replaces_complete:
                result.uncertain_apps.add(key.app_label)
        loaded = {k: m for k, m in self.migrations.items() if k in self.g}
        # Internal (same app) dependencies first, so __first__ finds the right root.
        for key, migration in loaded.items():
            for dependency in migration.dependencies:
                parent = self.resolve(dependency)
                if parent and parent.app_label == key.app_label and parent.name != FIRST:
                    self.add_dependency(key, parent, EdgeOrigin(key, dependency, "dependencies"))
        for key, migration in loaded.items():
            for dependency in migration.dependencies:
                parent = self.resolve(dependency)
                if parent is None:
                    result.uncertain_apps.add(key.app_label)
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
                origin = EdgeOrigin(key, dependency, "run_before")
                resolved = self.check_key(child, key.app_label, origin)
                if resolved is not None:
                    self.add_dependency(resolved, key, origin)
        self.replace()
        self.report_missing()
        self.report_cycles()
        return result

    def replace(self) -> None:
        """The squash step of ``build_graph`` (``remove_replaced_nodes`` /
        ``remove_replacement_node``), with the applied set when a database is known."""
        for key, replaced in self.result.replacements.items():
            statuses = [target in self.applied for target in replaced]
            if all(statuses):
                self.result.applied_replacements.add(key)
            if all(statuses) or not any(statuses):
                self._remove_replaced_nodes(key, replaced)
            else:
                self._remove_replacement_node(key, replaced)

    def _remove_replaced_nodes(
        self, replacement: MigrationKey, replaced: list[MigrationKey]
    ) -> None:
        if replacement not in self.g:
            return
        replaced_set = set(replaced)
        for old in replaced_set:
            if old not in self.g:
                continue
            for child in list(self.g.successors(old)):
                if child not in replaced_set:
                    self._repoint(replacement, child, self.g.edges[old, child]["origins"])
            for parent in list(self.g.predecessors(old)):
                if parent not in replaced_set:
                    self._repoint(parent, replacement, self.g.edges[parent, old]["origins"])
            self.g.remove_node(old)

    def _remove_replacement_node(
        self, replacement: MigrationKey, replaced: list[MigrationKey]
    ) -> None:
        if replacement not in self.g:
            return
        present = {k for k in replaced if k in self.g}
        parents_of_replaced = {p for k in present for p in self.g.predecessors(k)}
        latest = present - parents_of_replaced
        for child in list(self.g.successors(replacement)):
            for old in latest:
                self._repoint(old, child, self.g.edges[replacement, child]["origins"])
        self.g.remove_node(replacement)

    def _repoint(
        self, parent: MigrationKey, child: MigrationKey, origins: list[EdgeOrigin]
    ) -> None:
        if self.g.has_edge(parent, child):
            self.g.edges[parent, child]["origins"].extend(origins)
        else:
            self.g.add_edge(parent, child, origins=list(origins))

    def report_missing(self) -> None:
        """``validate_consistency``: dummy nodes left after replacement are missing."""
        for key, data in list(self.g.nodes(data=True)):
            if not data.get("dummy"):
                continue
            for origin in data["origins"]:
                self.result.problems.append(GraphProblem("missing", origin, key))
                if origin.migration.app_label == key.app_label:
                    # Which leaves the app has depends on what the dependency meant.
                    self.result.uncertain_apps.add(key.app_label)

    def report_cycles(self) -> None:
        """``ensure_not_cyclic``, but every cycle: one per strongly connected component."""
        real = self.g.subgraph(n for n, d in self.g.nodes(data="dummy") if not d)
        components = sorted(nx.strongly_connected_components(real), key=min)
        for component in components:
            if len(component) == 1:
                (node,) = component
                if not real.has_edge(node, node):
                    continue
            cycle_edges = nx.find_cycle(real.subgraph(component), source=min(component))
            nodes = [parent for parent, _ in cycle_edges]
            start = nodes.index(min(nodes))
            cycle = tuple(nodes[start:] + nodes[:start])
            for parent, child in cycle_edges:
                for origin in self.g.edges[parent, child]["origins"]:
                    target = parent if origin.attribute == "dependencies" else child
                    self.result.problems.append(GraphProblem("cycle", origin, target, cycle))


def build_graph(
    project: Project,
    migrations: Mapping[MigrationKey, MigrationFile],
    applied: Iterable[MigrationKey] | None = None,
) -> MigrationGraph:
    """Build the graph of ``migrations`` (every installed app's files, parsed)."""
    return _Builder(project, migrations, applied).build()


def describe(key: Any) -> str:
    return f"{key[0]}.{key[1]}"
