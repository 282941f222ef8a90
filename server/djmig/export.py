"""Exports of the migration graph: JSON, Graphviz DOT, Mermaid, SVG and an HTML page.

Every export takes the analysis, an optional app (that app's migrations and the edges
touching it) and an optional applied state (migration key to True/False); the JSON, SVG
and HTML exports show the applied state when it is given.
"""

from __future__ import annotations

import json
from typing import Any

from djmig import graph_view
from djmig.analysis import Analysis
from djmig.keys import AppliedState, MigrationKey


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


def document(
    analysis: Analysis, app: str | None = None, applied: AppliedState | None = None
) -> dict[str, Any]:
    """The graph as data: ``nodes`` (in plan order, with their layer, leaf and conflict
    flags), ``edges``, ``leaf_nodes`` and ``conflicts`` per app, ``apps`` in lane order,
    ``plan`` (what ``migrate`` applies, in order) and ``applied`` (None: not known)."""
    nodes, edges = _select(analysis, app)
    view = graph_view.layout(analysis, nodes, edges, applied)
    return _document(analysis, app, view, applied)


def _document(
    analysis: Analysis, app: str | None, view: graph_view.Layout, applied: AppliedState | None
) -> dict[str, Any]:
    leaves: dict[str, list[str]] = {}
    for key in analysis.graph.leaf_nodes():
        if app is None or key.app_label == app:
            leaves.setdefault(key.app_label, []).append(key.name)
    return {
        "nodes": [
            {"app_label": n.key.app_label, "name": n.key.name, "path": n.path, "layer": n.layer,
             "leaf": n.leaf, "conflict": n.conflict, "cyclic": n.cyclic}
            for n in view.nodes
        ],
        "edges": [[str(e.parent.key), str(e.child.key)] for e in view.edges],
        "leaf_nodes": leaves,
        "conflicts": {a: names for a, names in leaves.items() if len(names) > 1},
        "apps": [lane.app for lane in view.lanes],
        "plan": [n.id for n in view.nodes],
        "applied": {str(k): v for k, v in applied.items()} if applied is not None else None,
    }  # fmt: skip


def to_json(analysis: Analysis, app: str | None = None, applied: AppliedState | None = None) -> str:
    return json.dumps(document(analysis, app, applied))


def to_svg(analysis: Analysis, app: str | None = None, applied: AppliedState | None = None) -> str:
    nodes, edges = _select(analysis, app)
    return graph_view.render_svg(graph_view.layout(analysis, nodes, edges, applied))


def to_html(analysis: Analysis, app: str | None = None, applied: AppliedState | None = None) -> str:
    nodes, edges = _select(analysis, app)
    view = graph_view.layout(analysis, nodes, edges, applied)
    title = f"Migrations of {analysis.project.root.name}" + (f" ({app})" if app else "")
    return graph_view.render_html(view, _document(analysis, app, view, applied), title)


def _conflicting(analysis: Analysis) -> set[MigrationKey]:
    return {
        MigrationKey(app, n) for app, names in analysis.graph.conflicts().items() for n in names
    }


def to_dot(analysis: Analysis, app: str | None = None, applied: AppliedState | None = None) -> str:
    nodes, edges = _select(analysis, app)
    conflicting = _conflicting(analysis)
    lines = ["digraph migrations {", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    for key in nodes:
        style = ", color=red, penwidth=2" if key in conflicting else ""
        lines.append(f'  "{key}" [label="{key.app_label}\\n{key.name}"{style}];')
    lines += [f'  "{p}" -> "{c}";' for p, c in edges]
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(
    analysis: Analysis, app: str | None = None, applied: AppliedState | None = None
) -> str:
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


FORMATS = {
    "json": to_json, "dot": to_dot, "mermaid": to_mermaid, "svg": to_svg, "html": to_html,
}  # fmt: skip
