"""Exports of the migration graph: JSON, Graphviz DOT and Mermaid."""

from __future__ import annotations

import json

from djmig.analysis import Analysis
from djmig.keys import MigrationKey


def _select(
    analysis: Analysis, app: str | None
) -> tuple[list[MigrationKey], list[tuple[MigrationKey, MigrationKey]]]:
    graph = analysis.graph
    edges = graph.edges()
    if app is None:
        return sorted(graph.nodes), edges
    edges = [(p, c) for p, c in edges if app in (p.app_label, c.app_label)]
    nodes = {k for k in graph.nodes if k.app_label == app}
    nodes |= {k for edge in edges for k in edge}
    return sorted(nodes), edges


def to_json(analysis: Analysis, app: str | None = None) -> str:
    nodes, edges = _select(analysis, app)
    leaves: dict[str, list[str]] = {}
    for key in analysis.graph.leaf_nodes():
        if app is None or key.app_label == app:
            leaves.setdefault(key.app_label, []).append(key.name)
    document = {
        "nodes": [
            {"app_label": k.app_label, "name": k.name, "path": _path(analysis, k)} for k in nodes
        ],
        "edges": [[str(p), str(c)] for p, c in edges],
        "leaf_nodes": leaves,
    }
    return json.dumps(document, indent=2)


def _path(analysis: Analysis, key: MigrationKey) -> str | None:
    migration = analysis.migrations.get(key)
    return str(migration.path) if migration else None


def _conflicting(analysis: Analysis) -> set[MigrationKey]:
    return {
        MigrationKey(app, n) for app, names in analysis.graph.conflicts().items() for n in names
    }


def to_dot(analysis: Analysis, app: str | None = None) -> str:
    nodes, edges = _select(analysis, app)
    conflicting = _conflicting(analysis)
    lines = ["digraph migrations {", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    for key in nodes:
        style = ", color=red, penwidth=2" if key in conflicting else ""
        lines.append(f'  "{key}" [label="{key.app_label}\\n{key.name}"{style}];')
    lines += [f'  "{p}" -> "{c}";' for p, c in edges]
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(analysis: Analysis, app: str | None = None) -> str:
    nodes, edges = _select(analysis, app)
    ids = {key: f"n{i}" for i, key in enumerate(nodes)}
    lines = ["flowchart TB"]
    lines += [f'  {ids[k]}["{k.app_label}.{k.name}"]' for k in nodes]
    lines += [f"  {ids[p]} --> {ids[c]}" for p, c in edges if p in ids and c in ids]
    conflicting = [ids[k] for k in _conflicting(analysis) if k in ids]
    if conflicting:
        lines.append("  classDef conflict stroke:#d00,stroke-width:3px")
        lines.append(f"  class {','.join(sorted(conflicting))} conflict")
    return "\n".join(lines)


FORMATS = {"json": to_json, "dot": to_dot, "mermaid": to_mermaid}
