"""A picture of the migration graph: a layered layout that reads top-down in plan order,
rendered as SVG and as a self-contained interactive HTML page. Pure Python, no Graphviz.

The plan is what ``migrate`` runs with no arguments: ``MigrationExecutor.migration_plan``
over every leaf node in order, each leaf's ``MigrationGraph.forwards_plan`` (parents first,
depth first, in sorted order), migrations already planned skipped. A migration's layer is
one below the lowest of its parents, so every dependency points down and reading the
boxes row by row is a valid order to apply them in. An edge to a parent planned later
closes a cycle (DM103): it is drawn upwards and its nodes are marked. Each app has a lane;
two migrations of an app on one layer (a branch, DM101) sit side by side.

``applied`` (migration key to True/False) colours migrations by their database state;
without it nothing is said about it.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from html import escape
from typing import Any

from djmig.analysis import Analysis
from djmig.graph import MigrationGraph
from djmig.keys import AppliedState, MigrationKey

BOX_WIDTH, BOX_HEIGHT = 230, 34
GAP_X, GAP_Y, LANE_GAP, MARGIN, HEADER = 14, 30, 30, 20, 28


@dataclass
class Node:
    key: MigrationKey
    path: str | None
    order: int
    layer: int
    column: int = 0
    x: int = 0
    y: int = 0
    leaf: bool = False
    conflict: bool = False
    cyclic: bool = False
    applied: bool | None = None

    @property
    def id(self) -> str:
        return str(self.key)


@dataclass
class Edge:
    parent: Node
    child: Node

    @property
    def cross(self) -> bool:
        return self.parent.key.app_label != self.child.key.app_label

    @property
    def back(self) -> bool:
        """Against the plan: an edge of a dependency cycle."""
        return self.parent.order > self.child.order


@dataclass
class Lane:
    app: str
    x: int
    width: int


@dataclass
class Layout:
    nodes: list[Node]
    edges: list[Edge]
    lanes: list[Lane]
    width: int
    height: int


def full_plan(graph: MigrationGraph, nodes: set[MigrationKey]) -> list[MigrationKey]:
    """``migrate``'s plan of every leaf among ``nodes``, then any node left (on a cycle);
    a node met again while its parents are being expanded closes a cycle and is skipped."""
    parents = graph.parent_map
    visited: dict[MigrationKey, None] = {}
    expanded: set[MigrationKey] = set()
    leaves = [k for k in graph.leaf_nodes() if k in nodes]
    for start in [*leaves, *sorted(nodes)]:
        stack: list[tuple[MigrationKey, bool]] = [(start, False)]
        while stack:
            node, processed = stack.pop()
            if node in visited:
                continue
            if processed:
                visited[node] = None
            elif node not in expanded:
                expanded.add(node)
                stack.append((node, True))
                stack += [(p, False) for p in sorted(parents.get(node, ()))
                          if p in nodes]  # fmt: skip
    return list(visited)


def layout(
    analysis: Analysis,
    keys: list[MigrationKey],
    edges: list[tuple[MigrationKey, MigrationKey]],
    applied: AppliedState | None = None,
) -> Layout:
    # Tens of thousands of small objects, freed by reference counting: no cyclic garbage
    # collection meanwhile (measured: a full collection of an indexed 10,000-migration
    # workspace, ~0.3 s to the 0.5 s of the layout).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _layout(analysis, keys, edges, applied)
    finally:
        if collecting:
            gc.enable()


def _layout(
    analysis: Analysis,
    keys: list[MigrationKey],
    edges: list[tuple[MigrationKey, MigrationKey]],
    applied: AppliedState | None,
) -> Layout:
    graph = analysis.graph
    wanted = set(keys)
    plan = full_plan(graph, wanted)
    order = {key: i for i, key in enumerate(plan)}
    leaves = set(graph.leaf_nodes())
    conflicting = {MigrationKey(a, n) for a, names in graph.conflicts().items() for n in names}
    parents: dict[MigrationKey, list[MigrationKey]] = {key: [] for key in plan}
    for parent, child in edges:
        if parent in order and child in order:
            parents[child].append(parent)
    nodes: dict[MigrationKey, Node] = {}
    for key in plan:
        migration = analysis.migrations.get(key)
        above = [nodes[p].layer for p in parents[key] if order[p] < order[key]]
        nodes[key] = Node(
            key,
            str(migration.path) if migration else None,
            order[key],
            max(above, default=-1) + 1,
            leaf=key in leaves,
            conflict=key in conflicting,
            applied=applied.get(key) if applied is not None else None,
        )
    placed_edges = [Edge(nodes[p], nodes[c]) for p, c in edges if p in nodes and c in nodes]
    for edge in placed_edges:
        if edge.back:
            edge.parent.cyclic = edge.child.cyclic = True
    # Lanes in the order the plan first reaches each app; columns per (app, layer) cell.
    apps = list(dict.fromkeys(key.app_label for key in plan))
    columns: dict[tuple[str, int], int] = {}
    for node in nodes.values():
        cell = (node.key.app_label, node.layer)
        node.column = columns.get(cell, 0)
        columns[cell] = node.column + 1
    lanes: list[Lane] = []
    x = MARGIN
    widest: dict[str, int] = {}
    for (app, _), count in columns.items():
        widest[app] = max(widest.get(app, 0), count)
    for app in apps:
        count = widest[app]
        width = count * BOX_WIDTH + (count - 1) * GAP_X
        lanes.append(Lane(app, x, width))
        x += width + LANE_GAP
    lane_x = {lane.app: lane.x for lane in lanes}
    for node in nodes.values():
        node.x = lane_x[node.key.app_label] + node.column * (BOX_WIDTH + GAP_X)
        node.y = MARGIN + HEADER + node.layer * (BOX_HEIGHT + GAP_Y)
    layers = max((n.layer for n in nodes.values()), default=0) + 1
    return Layout(
        list(nodes.values()),
        placed_edges,
        lanes,
        max(x - LANE_GAP + MARGIN, 240),
        MARGIN + HEADER + layers * (BOX_HEIGHT + GAP_Y) + MARGIN,
    )


def _shorten(text: str, limit: int = 31) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _classes(node: Node) -> str:
    names = ["node"]
    names += [name for name, on in (("leaf", node.leaf), ("conflict", node.conflict),
                                    ("cyclic", node.cyclic)) if on]  # fmt: skip
    if node.applied is not None:
        names.append("applied" if node.applied else "unapplied")
    return " ".join(names)


def _title(node: Node) -> str:
    notes = [
        note
        for note, on in (
            ("leaf", node.leaf and not node.conflict),
            ("conflicting leaf: DM101", node.conflict),
            ("in a dependency cycle: DM103", node.cyclic),
            ("applied", node.applied is True),
            ("not applied", node.applied is False),
        )
        if on
    ]
    return f"{node.id} ({', '.join(notes)})" if notes else node.id


def render_svg(view: Layout, standalone: bool = True) -> str:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="migration-graph" width="{view.width}" '
        f'height="{view.height}" viewBox="0 0 {view.width} {view.height}">'
    ]
    if standalone:
        out.append(f"<style>{SVG_STYLE}</style>")
    out.append(
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/>'
        "</marker></defs>"
    )
    out.append('<g id="viewport">')
    for lane in view.lanes:
        out.append(
            f'<text class="lane" data-app="{escape(lane.app)}" x="{lane.x + lane.width // 2}" '
            f'y="{MARGIN + 12}" text-anchor="middle">{escape(lane.app)}</text>'
        )
    for edge in view.edges:
        parent, child = edge.parent, edge.child
        x1, y1 = parent.x + BOX_WIDTH // 2, parent.y + BOX_HEIGHT
        x2, y2 = child.x + BOX_WIDTH // 2, child.y
        bend = max(20, abs(y2 - y1) // 2)
        classes = "edge" + (" cross" if edge.cross else "") + (" back" if edge.back else "")
        out.append(
            f'<path class="{classes}" data-from="{escape(parent.id)}" data-to="{escape(child.id)}"'
            f' d="M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 - bend} {x2},{y2}" '
            'marker-end="url(#arrow)"/>'
        )
    for node in view.nodes:
        out.append(
            f'<g class="{_classes(node)}" id="{escape(node.id)}" data-app="'
            f'{escape(node.key.app_label)}" data-order="{node.order}" data-layer="{node.layer}" '
            f'data-path="{escape(node.path or "")}" transform="translate({node.x},{node.y})">'
            f"<title>{escape(_title(node))}</title>"
            f'<rect width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="5"/>'
            f'<text x="8" y="{BOX_HEIGHT // 2 + 4}">{escape(_shorten(node.key.name))}</text></g>'
        )
    out.append("</g></svg>")
    return "\n".join(out)


SVG_STYLE = """
.migration-graph { font-family: system-ui, sans-serif; background: #fff; }
.migration-graph .lane { font-weight: bold; font-size: 13px; fill: #222; }
.migration-graph .node rect { fill: #f6f8fa; stroke: #57606a; stroke-width: 1.2; }
.migration-graph .node text { font-family: ui-monospace, monospace; font-size: 12px; fill: #111; }
.migration-graph .node.leaf rect { stroke: #0969da; stroke-width: 2.2; }
.migration-graph .node.conflict rect { stroke: #cf222e; stroke-width: 3; fill: #ffebe9; }
.migration-graph .node.cyclic rect { stroke: #bf8700; stroke-dasharray: 4 2; stroke-width: 2.5; }
.migration-graph .node.applied rect { fill: #dafbe1; }
.migration-graph .node.unapplied rect { fill: #fff8c5; }
.migration-graph .edge { fill: none; stroke: #8c959f; stroke-width: 1.1; }
.migration-graph .edge.cross { stroke-dasharray: 5 3; }
.migration-graph .edge.back { stroke: #bf8700; stroke-width: 1.8; }
.migration-graph .arrowhead { fill: #8c959f; }
"""

PAGE_STYLE = """
html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; }
header { padding: 8px 12px; border-bottom: 1px solid #d0d7de; display: flex; gap: 16px;
  align-items: center; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; }
#canvas { position: absolute; top: 86px; bottom: 0; left: 0; right: 0; overflow: hidden;
  cursor: grab; }
#canvas.dragging { cursor: grabbing; }
.legend span { margin-right: 12px; font-size: 13px; }
.swatch { display: inline-block; width: 12px; height: 12px; border: 2px solid; margin-right: 4px;
  vertical-align: middle; }
.migration-graph .hidden { display: none; }
.migration-graph .dimmed { opacity: .35; }
"""

PAGE_SCRIPT = """
(function () {
  const data = JSON.parse(document.getElementById('graph-data').textContent);
  const svg = document.querySelector('svg.migration-graph');
  const viewport = document.getElementById('viewport');
  const canvas = document.getElementById('canvas');
  const select = document.getElementById('app-filter');
  const status = document.getElementById('status');
  let scale = 1, dx = 0, dy = 0;
  svg.setAttribute('width', '100%');
  svg.setAttribute('height', '100%');
  svg.removeAttribute('viewBox');
  const apply = () => viewport.setAttribute('transform',
    'translate(' + dx + ',' + dy + ') scale(' + scale + ')');
  canvas.addEventListener('wheel', (event) => {
    event.preventDefault();
    const factor = event.deltaY < 0 ? 1.15 : 1 / 1.15;
    const box = canvas.getBoundingClientRect();
    const x = event.clientX - box.left, y = event.clientY - box.top;
    dx = x - (x - dx) * factor; dy = y - (y - dy) * factor; scale *= factor; apply();
  }, { passive: false });
  let drag = null;
  canvas.addEventListener('mousedown', (event) => {
    drag = { x: event.clientX - dx, y: event.clientY - dy }; canvas.classList.add('dragging');
  });
  window.addEventListener('mousemove', (event) => {
    if (drag) { dx = event.clientX - drag.x; dy = event.clientY - drag.y; apply(); }
  });
  window.addEventListener('mouseup', () => { drag = null; canvas.classList.remove('dragging'); });
  document.getElementById('zoom-in').onclick = () => { scale *= 1.25; apply(); };
  document.getElementById('zoom-out').onclick = () => { scale /= 1.25; apply(); };
  document.getElementById('zoom-reset').onclick = () => { scale = 1; dx = 0; dy = 0; apply(); };
  for (const app of data.apps) {
    const option = document.createElement('option');
    option.value = app; option.textContent = app; select.appendChild(option);
  }
  const nodes = Array.from(svg.querySelectorAll('g.node'));
  const edges = Array.from(svg.querySelectorAll('path.edge'));
  const lanes = Array.from(svg.querySelectorAll('text.lane'));
  function filter(app) {
    const shown = new Set();
    for (const edge of edges) {
      const from = edge.dataset.from, to = edge.dataset.to;
      const on = !app || from.split('.')[0] === app || to.split('.')[0] === app;
      edge.classList.toggle('hidden', !on);
      if (on) { shown.add(from); shown.add(to); }
    }
    let count = 0;
    for (const node of nodes) {
      const own = !app || node.dataset.app === app;
      const visible = own || shown.has(node.id);
      node.classList.toggle('hidden', !visible);
      node.classList.toggle('dimmed', visible && !own);
      if (own) { count += 1; }
    }
    for (const lane of lanes) {
      lane.classList.toggle('hidden', !!app && !nodes.some(
        (n) => n.dataset.app === lane.dataset.app && !n.classList.contains('hidden')));
    }
    status.textContent = count + ' migrations' + (app ? ' in ' + app : '') + ', ' +
      edges.filter((e) => !e.classList.contains('hidden')).length + ' dependencies shown';
  }
  function fit(app) {
    // The whole graph at full size from its top left; one app's part fitted in the window.
    scale = 1; dx = 0; dy = 0;
    if (app) {
      const box = viewport.getBBox();
      scale = Math.min(1, (canvas.clientWidth - 40) / Math.max(box.width, 1),
        (canvas.clientHeight - 40) / Math.max(box.height, 1));
      dx = 20 - box.x * scale; dy = 20 - box.y * scale;
    }
    apply();
  }
  select.addEventListener('change', () => {
    filter(select.value);
    fit(select.value);
    history.replaceState(null, '', select.value ? '#app=' + select.value : '#');
  });
  const wanted = new URLSearchParams(location.hash.slice(1)).get('app');
  if (wanted && data.apps.includes(wanted)) { select.value = wanted; }
  filter(select.value);
  fit(select.value);
  if (data.applied) { document.getElementById('applied-legend').hidden = false; }
  document.body.dataset.ready = 'true';
})();
"""


def render_html(view: Layout, document: dict[str, Any], title: str) -> str:
    """A page with no external resource: the SVG, the graph's data and a small script."""
    conflicts: dict[str, list[str]] = document.get("conflicts") or {}
    summary = (
        f"{len(view.nodes)} migrations in {len(view.lanes)} apps, {len(view.edges)} dependencies"
    )
    if conflicts:
        summary += " — conflicting leaves in " + ", ".join(sorted(conflicts))
    payload = json.dumps(document).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(title)}</title>
<style>{PAGE_STYLE}{SVG_STYLE}</style>
</head><body>
<header>
<h1>{escape(title)}</h1>
<span id="summary">{escape(summary)}</span>
<label>App <select id="app-filter"><option value="">all apps</option></select></label>
<span><button id="zoom-in" type="button">+</button>
<button id="zoom-out" type="button">&minus;</button>
<button id="zoom-reset" type="button">reset</button></span>
<span id="status"></span>
<div class="legend"><span><i class="swatch" style="border-color:#0969da"></i>leaf</span>
<span><i class="swatch" style="border-color:#cf222e;background:#ffebe9"></i>conflicting leaf
(DM101)</span><span><i class="swatch" style="border-color:#bf8700"></i>dependency cycle
(DM103)</span><span>- - dependency on another app</span>
<span id="applied-legend" hidden><i class="swatch" style="background:#dafbe1"></i>applied
<i class="swatch" style="background:#fff8c5"></i>not applied</span></div>
</header>
<div id="canvas">
{render_svg(view, standalone=False)}
</div>
<script type="application/json" id="graph-data">{payload}</script>
<script>{PAGE_SCRIPT}</script>
</body></html>
"""
