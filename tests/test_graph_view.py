"""``djmig graph --format svg|html``: the layered layout against Django's plan, the SVG's
structure, and the HTML page rendered by headless Chromium (Debian's ``chromium``, installed
by ``scripts/install-test-deps.sh``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django_oracle import django_env
from djmig import export
from djmig.analysis import analyze_workspace
from djmig.keys import MigrationKey
from helpers import app_migrations, make_project, migration
from test_cli import NOOP, djmig

SVG = "{http://www.w3.org/2000/svg}"
CHROMIUM = "/usr/bin/chromium"

PLAN_SCRIPT = r"""
import json, django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
executor = MigrationExecutor(connection)
targets = executor.loader.graph.leaf_nodes()
plan = executor.migration_plan(targets, clean_start=True)
print(json.dumps(["%s.%s" % (m.app_label, m.name) for m, backwards in plan]))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two apps with cross-app dependencies, a branch in ``shop`` (DM101) and a
    ``run_before``."""
    shop = {
        "0001_initial": migration(ops=NOOP, initial=True),
        "0002_a": migration([("shop", "0001_initial")], ops=NOOP),
        "0002_b": migration([("shop", "0001_initial")], ops=NOOP),
        "0003_after_orders": migration([("shop", "0002_b"), ("orders", "0002_second")], ops=NOOP),
    }
    orders = {
        "0001_initial": migration([("shop", "0002_a")], ops=NOOP, initial=True),
        "0002_second": migration([("orders", "0001_initial")], ops=NOOP),
    }
    notes = {
        "0001_initial": migration(ops=NOOP, initial=True, run_before=[("shop", "0001_initial")])
    }
    files = {
        **app_migrations("shop", shop),
        **app_migrations("orders", orders),
        **app_migrations("notes", notes),
    }
    return make_project(tmp_path_factory.mktemp("graph"), files)


def svg_nodes(root: ET.Element) -> dict[str, ET.Element]:
    return {
        g.get("id"): g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()
    }


def translate(node: ET.Element) -> tuple[float, float]:
    x, y = re.fullmatch(r"translate\(([\d.]+),([\d.]+)\)", node.get("transform")).groups()
    return float(x), float(y)


def test_plan_order_is_djangos_migrate_plan(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PLAN_SCRIPT],
        cwd=project, env=django_env(project), capture_output=True, text=True, check=True,
    )  # fmt: skip
    django_plan = json.loads(completed.stdout)
    document = export.document(analyze_workspace(project))
    assert document["plan"] == django_plan


def test_svg_has_one_box_per_migration_and_reads_top_down(project: Path) -> None:
    result = djmig("graph", "--format", "svg", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    root = ET.fromstring(result.stdout)
    assert root.tag == f"{SVG}svg"
    nodes = svg_nodes(root)
    analysis = analyze_workspace(project)
    assert set(nodes) == {str(k) for k in analysis.graph.nodes}
    edges = [
        (p.get("data-from"), p.get("data-to"))
        for p in root.iter(f"{SVG}path")
        if "edge" in (p.get("class") or "").split()
    ]
    assert sorted(edges) == sorted((str(p), str(c)) for p, c in analysis.graph.edges())
    for parent, child in edges:
        assert translate(nodes[parent])[1] < translate(nodes[child])[1], (parent, child)
    # Row by row, left to right, the boxes are an order in which migrate could apply them.
    reading = sorted(nodes, key=lambda n: (translate(nodes[n])[1], translate(nodes[n])[0]))
    position = {name: i for i, name in enumerate(reading)}
    assert all(position[p] < position[c] for p, c in edges)
    # Lanes: one per app, every migration of an app in its lane.
    assert {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "lane"} >= {
        "shop", "orders", "notes",
    }  # fmt: skip
    classes = {name: set(g.get("class").split()) for name, g in nodes.items()}
    assert "conflict" in classes["shop.0002_a"]
    assert "conflict" in classes["shop.0003_after_orders"]
    assert "conflict" not in classes["shop.0002_b"]
    assert (
        "leaf" in classes["orders.0002_second"] and "conflict" not in classes["orders.0002_second"]
    )
    branch = [translate(nodes["shop.0002_a"]), translate(nodes["shop.0002_b"])]
    assert branch[0][1] == branch[1][1] and branch[0][0] != branch[1][0]  # side by side


def test_svg_of_a_cycle_draws_the_closing_edge_upwards(tmp_path: Path) -> None:
    files = {
        **app_migrations("shop", {
            "0001_initial": migration(ops=NOOP, initial=True),
            "0002_b": migration([("shop", "0001_initial"), ("orders", "0001_initial")]),
        }),
        **app_migrations("orders", {
            "0001_initial": migration([("shop", "0002_b")], initial=True),
        }),
    }  # fmt: skip
    root = ET.fromstring(
        djmig("graph", "--format", "svg", ".", cwd=make_project(tmp_path, files)).stdout
    )
    nodes = svg_nodes(root)
    assert len(nodes) == 3
    back = [p for p in root.iter(f"{SVG}path") if "back" in (p.get("class") or "").split()]
    assert len(back) == 1
    assert "cyclic" in nodes["orders.0001_initial"].get("class").split()


def test_applied_state_colours_nodes_when_given(project: Path) -> None:
    analysis = analyze_workspace(project)
    applied = {MigrationKey("shop", "0001_initial"): True, MigrationKey("shop", "0002_a"): False}
    nodes = svg_nodes(ET.fromstring(export.to_svg(analysis, None, applied)))
    assert "applied" in nodes["shop.0001_initial"].get("class").split()
    assert "unapplied" in nodes["shop.0002_a"].get("class").split()
    assert not {"applied", "unapplied"} & set(nodes["notes.0001_initial"].get("class").split())
    document = json.loads(export.to_json(analysis, None, applied))
    assert document["applied"] == {"shop.0001_initial": True, "shop.0002_a": False}
    assert json.loads(export.to_json(analysis))["applied"] is None


def chromium(*args: str, tmp_path: Path) -> str:
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return completed.stdout


def test_html_page_in_headless_chromium(project: Path, tmp_path: Path) -> None:
    page = tmp_path / "graph.html"
    result = djmig("graph", "--format", "html", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    page.write_text(result.stdout)
    assert "http://" not in result.stdout.replace("http://www.w3.org/2000/svg", "")
    dom = chromium("--dump-dom", page.as_uri(), tmp_path=tmp_path)
    assert 'data-ready="true"' in dom  # the page's script ran
    nodes = re.findall(r'<g class="node([^"]*)" id="([^"]+)"', dom)
    analysis = analyze_workspace(project)
    assert {name for _, name in nodes} == {str(k) for k in analysis.graph.nodes}
    assert len(re.findall(r'<path class="edge', dom)) == len(analysis.graph.edges())
    classes = {name: set(c.split()) for c, name in nodes}
    assert {"leaf", "conflict"} <= classes["shop.0002_a"]
    assert "conflict" not in classes["orders.0002_second"]
    assert "conflicting leaves in shop" in dom
    assert re.search(r'id="status">\d+ migrations, \d+ dependencies shown<', dom)
    assert '<option value="orders">orders</option>' in dom  # filled in from the data
    assert 'id="applied-legend" hidden' in dom  # no applied state given
    # The app filter, chosen through the address: other apps' boxes not touching it hide.
    filtered = chromium("--dump-dom", page.as_uri() + "#app=orders", tmp_path=tmp_path)
    shown = {
        name: set(c.split())
        for c, name in re.findall(r'<g class="node([^"]*)" id="([^"]+)"', filtered)
    }
    assert not {"hidden", "dimmed"} & shown["orders.0001_initial"]
    assert "dimmed" in shown["shop.0002_a"]  # a neighbour in another app
    assert "hidden" in shown["notes.0001_initial"]
    assert re.search(r'id="status">2 migrations in orders, 3 dependencies shown<', filtered)
    # With an applied state in the data, the page shows its legend and colours the boxes.
    applied = {
        MigrationKey("shop", "0001_initial"): True,
        MigrationKey("orders", "0001_initial"): False,
    }
    coloured = tmp_path / "applied.html"
    coloured.write_text(export.to_html(analysis, None, applied))
    dom = chromium("--dump-dom", coloured.as_uri(), tmp_path=tmp_path)
    assert 'id="applied-legend" hidden' not in dom and 'id="applied-legend"' in dom
    assert re.search(r'<g class="node[^"]* applied" id="shop.0001_initial"', dom)
    assert re.search(r'<g class="node[^"]* unapplied" id="orders.0001_initial"', dom)
    shot = tmp_path / "graph.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,800", page.as_uri(), tmp_path=tmp_path)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
