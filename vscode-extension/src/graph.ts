// The migration graph (JSON of `djmig.showGraph`) as an SVG: one lane per app, one row per
// depth from the roots; conflicting leaves (DM101) in red. Pure logic, unit-tested.

export interface GraphNode {
  app_label: string;
  name: string;
  path: string | null;
}

export interface MigrationGraph {
  nodes: GraphNode[];
  edges: Array<[string, string]>;
  leaf_nodes: Record<string, string[]>;
}

export interface PlacedNode extends GraphNode {
  id: string;
  row: number;
  x: number;
  y: number;
  conflict: boolean;
  /** Part of a dependency cycle (placed after the rest). */
  cyclic: boolean;
}

export interface Layout {
  nodes: PlacedNode[];
  edges: Array<{ from: PlacedNode; to: PlacedNode }>;
  lanes: Array<{ app: string; x: number; width: number }>;
  width: number;
  height: number;
}

export const BOX = { width: 190, height: 34, gapX: 16, gapY: 30, laneGap: 28, margin: 20 };

export function parseGraph(text: unknown): MigrationGraph {
  const data = typeof text === 'string' ? (JSON.parse(text) as unknown) : text;
  if (!data || typeof data !== 'object') {
    throw new Error('djmig.showGraph returned no graph');
  }
  const raw = data as Partial<MigrationGraph>;
  if (!Array.isArray(raw.nodes) || !Array.isArray(raw.edges)) {
    throw new Error('djmig.showGraph returned an unexpected document');
  }
  return { nodes: raw.nodes, edges: raw.edges, leaf_nodes: raw.leaf_nodes ?? {} };
}

/** Apps with more than one leaf node, i.e. what DM101 reports. */
export function conflictingApps(graph: MigrationGraph): string[] {
  return Object.entries(graph.leaf_nodes)
    .filter(([, leaves]) => leaves.length > 1)
    .map(([app]) => app)
    .sort();
}

/** Depth of every node: longest path from a root; nodes on a cycle go below their
 * placed parents. */
function rows(ids: string[], edges: Array<[string, string]>): { row: Map<string, number>; cyclic: Set<string> } {
  const parents = new Map<string, string[]>(ids.map((id) => [id, []]));
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, to] of edges) {
    if (parents.has(to) && children.has(from)) {
      parents.get(to)!.push(from);
      children.get(from)!.push(to);
    }
  }
  const missing = new Map(ids.map((id) => [id, parents.get(id)!.length]));
  const row = new Map<string, number>();
  const cyclic = new Set<string>();
  const ready = ids.filter((id) => missing.get(id) === 0);
  const place = (id: string): void => {
    const depth = Math.max(-1, ...parents.get(id)!.filter((p) => row.has(p)).map((p) => row.get(p)!));
    row.set(id, depth + 1);
    for (const child of children.get(id)!) {
      const left = missing.get(child)! - 1;
      missing.set(child, left);
      if (left === 0 && !row.has(child)) {
        ready.push(child);
      }
    }
  };
  for (;;) {
    while (ready.length > 0) {
      place(ready.shift()!);
    }
    // A cycle: place the unplaced node with the fewest unplaced parents, then go on.
    const rest = ids.filter((id) => !row.has(id));
    if (rest.length === 0) {
      break;
    }
    rest.sort((a, b) => missing.get(a)! - missing.get(b)! || a.localeCompare(b));
    for (const id of rest) {
      if (!cyclic.has(id) && inCycle(id, children)) {
        cyclic.add(id);
      }
    }
    place(rest[0]!);
  }
  return { row, cyclic };
}

function inCycle(start: string, children: Map<string, string[]>): boolean {
  const stack = [...(children.get(start) ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === start) {
      return true;
    }
    if (!seen.has(id)) {
      seen.add(id);
      stack.push(...(children.get(id) ?? []));
    }
  }
  return false;
}

export function layout(graph: MigrationGraph): Layout {
  const byId = new Map<string, GraphNode>();
  for (const node of graph.nodes) {
    byId.set(`${node.app_label}.${node.name}`, node);
  }
  const ids = [...byId.keys()].sort();
  const { row, cyclic } = rows(ids, graph.edges);
  const conflicts = new Set(conflictingApps(graph));
  const apps = [...new Set(graph.nodes.map((n) => n.app_label))].sort();
  // Lane width: the most nodes an app has on one row (two leaves side by side).
  const cells = new Map<string, string[]>();
  for (const id of ids) {
    const key = `${byId.get(id)!.app_label}\u0000${row.get(id)}`;
    cells.set(key, [...(cells.get(key) ?? []), id]);
  }
  const lanes: Layout['lanes'] = [];
  let x = BOX.margin;
  for (const app of apps) {
    const columns = Math.max(
      1,
      ...[...cells.entries()].filter(([k]) => k.startsWith(`${app}\u0000`)).map(([, v]) => v.length),
    );
    const width = columns * BOX.width + (columns - 1) * BOX.gapX;
    lanes.push({ app, x, width });
    x += width + BOX.laneGap;
  }
  const laneX = new Map(lanes.map((l) => [l.app, l.x]));
  const header = BOX.margin + 24;
  const placed = new Map<string, PlacedNode>();
  for (const [key, members] of cells) {
    const app = key.split('\u0000')[0]!;
    members.forEach((id, column) => {
      const node = byId.get(id)!;
      const r = row.get(id)!;
      placed.set(id, {
        ...node,
        id,
        row: r,
        x: laneX.get(app)! + column * (BOX.width + BOX.gapX),
        y: header + r * (BOX.height + BOX.gapY),
        conflict: conflicts.has(node.app_label) && (graph.leaf_nodes[node.app_label] ?? []).includes(node.name),
        cyclic: cyclic.has(id),
      });
    });
  }
  const edges = graph.edges
    .filter(([from, to]) => placed.has(from) && placed.has(to))
    .map(([from, to]) => ({ from: placed.get(from)!, to: placed.get(to)! }));
  const maxRow = Math.max(0, ...[...placed.values()].map((n) => n.row));
  return {
    nodes: [...placed.values()].sort((a, b) => a.row - b.row || a.x - b.x),
    edges,
    lanes,
    width: Math.max(x - BOX.laneGap + BOX.margin, 200),
    height: header + (maxRow + 1) * (BOX.height + BOX.gapY) + BOX.margin,
  };
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function renderSvg(graph: MigrationGraph): string {
  const g = layout(graph);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" class="graph">`,
    '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker></defs>',
  ];
  for (const lane of g.lanes) {
    out.push(
      `<text class="lane" x="${lane.x + lane.width / 2}" y="${BOX.margin + 8}" text-anchor="middle">${escapeXml(lane.app)}</text>`,
    );
  }
  for (const { from, to } of g.edges) {
    const x1 = from.x + BOX.width / 2;
    const y1 = from.y + BOX.height;
    const x2 = to.x + BOX.width / 2;
    const y2 = to.y;
    const bend = Math.max(20, Math.abs(y2 - y1) / 2);
    const back = y2 <= y1; // an edge of a cycle, drawn upwards
    const cls = from.app_label === to.app_label ? 'edge' : 'edge cross';
    out.push(
      `<path class="${back ? `${cls} back` : cls}" d="M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}" marker-end="url(#arrow)"/>`,
    );
  }
  for (const node of g.nodes) {
    const cls = ['node', node.conflict ? 'conflict' : '', node.cyclic ? 'cyclic' : '', node.path ? 'link' : '']
      .filter(Boolean)
      .join(' ');
    const title = `${node.id}${node.conflict ? ' (conflicting leaf: DM101)' : ''}${node.cyclic ? ' (in a dependency cycle: DM103)' : ''}`;
    out.push(
      `<g class="${cls}" data-path="${escapeXml(node.path ?? '')}" transform="translate(${node.x},${node.y})">` +
        `<title>${escapeXml(title)}</title>` +
        `<rect width="${BOX.width}" height="${BOX.height}" rx="5"/>` +
        `<text x="8" y="${BOX.height / 2 + 4}">${escapeXml(shorten(node.name, 26))}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

export interface HtmlOptions {
  nonce: string;
  cspSource: string;
  title: string;
}

export function renderHtml(graph: MigrationGraph, options: HtmlOptions): string {
  const conflicts = conflictingApps(graph);
  const summary =
    `${graph.nodes.length} migrations in ${new Set(graph.nodes.map((n) => n.app_label)).size} apps, ` +
    `${graph.edges.length} dependencies` +
    (conflicts.length ? ` — conflicting leaves in ${conflicts.map(escapeXml).join(', ')}` : '');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${options.cspSource} 'unsafe-inline'; script-src 'nonce-${options.nonce}';">
<title>${escapeXml(options.title)}</title>
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 12px; }
h1 { font-size: 1.2em; } .summary { opacity: .8; margin-bottom: 8px; }
.graph .lane { font-weight: bold; fill: var(--vscode-foreground); font-size: 13px; }
.graph .node rect { fill: var(--vscode-editor-background); stroke: var(--vscode-focusBorder, #3794ff); stroke-width: 1.2; }
.graph .node text { fill: var(--vscode-foreground); font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; }
.graph .node.link { cursor: pointer; } .graph .node.link:hover rect { stroke-width: 2.5; }
.graph .node.conflict rect { stroke: var(--vscode-errorForeground, #f14c4c); stroke-width: 2.5; }
.graph .node.cyclic rect { stroke: var(--vscode-editorWarning-foreground, #cca700); stroke-dasharray: 4 2; stroke-width: 2; }
.graph .edge { fill: none; stroke: var(--vscode-descriptionForeground, #888); stroke-width: 1.1; }
.graph .edge.cross { stroke-dasharray: 5 3; } .graph .edge.back { stroke: var(--vscode-editorWarning-foreground, #cca700); }
.graph .arrowhead { fill: var(--vscode-descriptionForeground, #888); }
.legend span { margin-right: 16px; }
</style></head>
<body>
<h1>${escapeXml(options.title)}</h1>
<div class="summary">${summary}</div>
<div class="legend"><span>▭ migration (click to open)</span><span>- - dependency on another app</span><span style="color: var(--vscode-errorForeground)">▭ conflicting leaf</span><span style="color: var(--vscode-editorWarning-foreground)">▭ dependency cycle</span></div>
${renderSvg(graph)}
<script nonce="${options.nonce}">
const vscode = acquireVsCodeApi();
document.querySelectorAll('.node.link').forEach((el) => el.addEventListener('click', () => {
  vscode.postMessage({ open: el.getAttribute('data-path') });
}));
</script>
</body></html>`;
}
