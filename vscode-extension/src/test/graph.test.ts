import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { conflictingApps, escapeXml, layout, parseGraph, renderHtml, renderSvg, type MigrationGraph } from '../graph';

// Shaped like `djmig graph --format json` on examples/shopsite (a subset).
const GRAPH: MigrationGraph = {
  nodes: [
    { app_label: 'catalog', name: '0001_initial', path: '/p/catalog/migrations/0001_initial.py' },
    { app_label: 'catalog', name: '0002_product_slug', path: '/p/catalog/migrations/0002_product_slug.py' },
    { app_label: 'catalog', name: '0003_product_sku', path: '/p/catalog/migrations/0003_product_sku.py' },
    { app_label: 'catalog', name: '0003_product_weight_grams', path: '/p/catalog/migrations/0003_product_weight_grams.py' },
    { app_label: 'orders', name: '0001_initial', path: '/p/orders/migrations/0001_initial.py' },
    { app_label: 'orders', name: '0002_order_number', path: '/p/orders/migrations/0002_order_number.py' },
    { app_label: 'payments', name: '0001_initial', path: null },
    { app_label: 'payments', name: '0002_refund', path: '/p/payments/migrations/0002_refund.py' },
  ],
  edges: [
    ['catalog.0001_initial', 'catalog.0002_product_slug'],
    ['catalog.0002_product_slug', 'catalog.0003_product_sku'],
    ['catalog.0002_product_slug', 'catalog.0003_product_weight_grams'],
    ['catalog.0001_initial', 'orders.0001_initial'],
    ['orders.0001_initial', 'orders.0002_order_number'],
    ['payments.0001_initial', 'payments.0002_refund'],
    // a cycle between two apps (DM103)
    ['orders.0002_order_number', 'payments.0002_refund'],
    ['payments.0002_refund', 'orders.0002_order_number'],
  ],
  leaf_nodes: {
    catalog: ['0003_product_sku', '0003_product_weight_grams'],
    orders: ['0002_order_number'],
    payments: ['0002_refund'],
  },
};

describe('graph', () => {
  it('parses the JSON of djmig.showGraph and rejects anything else', () => {
    assert.equal(parseGraph(JSON.stringify(GRAPH)).nodes.length, 8);
    assert.throws(() => parseGraph('null'));
    assert.throws(() => parseGraph('{"nodes": 1}'));
  });

  it('finds the apps with several leaves', () => {
    assert.deepEqual(conflictingApps(GRAPH), ['catalog']);
  });

  it('puts each node below its dependencies, one lane per app', () => {
    const g = layout(GRAPH);
    const at = Object.fromEntries(g.nodes.map((n) => [n.id, n]));
    assert.deepEqual(g.lanes.map((l) => l.app), ['catalog', 'orders', 'payments']);
    for (const { from, to } of g.edges) {
      if (!(from.cyclic && to.cyclic)) {
        assert.ok(from.row < to.row, `${from.id} above ${to.id}`);
      }
    }
    assert.equal(at['orders.0001_initial']!.row, 1);
    // the two conflicting leaves sit side by side on the same row, in red
    const sku = at['catalog.0003_product_sku']!;
    const weight = at['catalog.0003_product_weight_grams']!;
    assert.equal(sku.row, weight.row);
    assert.notEqual(sku.x, weight.x);
    assert.ok(sku.conflict && weight.conflict && !at['catalog.0001_initial']!.conflict);
    // the cycle is placed, and marked
    assert.ok(at['orders.0002_order_number']!.cyclic && at['payments.0002_refund']!.cyclic);
    assert.ok(!at['orders.0001_initial']!.cyclic);
    // every node inside the picture
    for (const n of g.nodes) {
      assert.ok(n.x >= 0 && n.x < g.width && n.y >= 0 && n.y < g.height);
    }
  });

  it('renders an SVG with every node and edge, escaped', () => {
    const svg = renderSvg({
      nodes: [...GRAPH.nodes, { app_label: 'x<y', name: 'a&b', path: '/p/"q".py' }],
      edges: GRAPH.edges,
      leaf_nodes: GRAPH.leaf_nodes,
    });
    assert.equal((svg.match(/<g class="node/g) ?? []).length, 9);
    assert.equal((svg.match(/<path class="edge/g) ?? []).length, 8);
    assert.ok(svg.includes('x&#60;y') && svg.includes('a&#38;b') && svg.includes('&#34;q&#34;'));
    assert.ok(!svg.includes('a&b'));
    assert.equal(escapeXml(`<&>"'`), '&#60;&#38;&#62;&#34;&#39;');
  });

  it('renders a page with a strict CSP and the nonce on its only script', () => {
    const html = renderHtml(GRAPH, { nonce: 'n0nce', cspSource: 'vscode-resource:', title: 'graph' });
    assert.ok(html.includes("script-src 'nonce-n0nce'"));
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(html.includes('<script nonce="n0nce">'));
    assert.ok(html.includes('conflicting leaves in catalog'));
  });

  it('copes with an empty graph', () => {
    const g = layout({ nodes: [], edges: [], leaf_nodes: {} });
    assert.equal(g.nodes.length, 0);
    assert.ok(renderSvg({ nodes: [], edges: [], leaf_nodes: {} }).startsWith('<svg'));
  });
});
