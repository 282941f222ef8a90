"""An edit of one migration's dependencies updates the graph in place; the result must be
exactly what a full ``build_graph`` gives on the same files."""

from __future__ import annotations

import tempfile
from pathlib import Path

from djmig.analysis import Workspace
from djmig.config import Config
from djmig.graph import MigrationGraph, build_graph
from djmig.keys import MigrationKey
from djmig.state import StateEngine, _reachable
from helpers import app_migrations, make_project, migration
from hypothesis import given, settings
from hypothesis import strategies as st

APPS = ("shop", "blog")
NAMES = ("0001_initial", "0002_a", "0003_b", "0004_c")


def snapshot(graph: MigrationGraph) -> dict:
    return {
        "nodes": sorted(graph.nodes),
        "edges": graph.edges(),
        "leaves": graph.leaf_nodes(),
        "conflicts": graph.conflicts(),
        "uncertain": sorted(graph.uncertain_apps),
        "problems": sorted(
            (p.kind, p.origin.migration, p.origin.attribute, p.target, p.cycle)
            for p in graph.problems
        ),
    }


dependency = st.tuples(st.sampled_from((*APPS, "ghost")), st.sampled_from((*NAMES, "0009_gone")))
edit = st.tuples(st.sampled_from(APPS), st.sampled_from(NAMES), st.lists(dependency, max_size=3))


@settings(max_examples=40, deadline=None)
@given(edits=st.lists(edit, min_size=1, max_size=6))
def test_dependency_edits_match_a_full_rebuild(edits: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, str] = {}
        for app in APPS:
            chain = {
                name: migration(deps=[(app, NAMES[i - 1])] if i else [])
                for i, name in enumerate(NAMES)
            }
            files.update(app_migrations(app, chain))
        root = make_project(Path(tmp), files)
        workspace = Workspace(root)
        workspace.load()
        assert workspace.graph is not None
        workspace.state._app_closure()
        for app, name, deps in edits:
            path = root / app / "migrations" / f"{name}.py"
            workspace.update_file(path, migration(deps=deps))
            full = build_graph(workspace.project, workspace.migrations)
            assert snapshot(workspace.graph) == snapshot(full)
            # The state engine's app-level closure, patched, equals one built afresh.
            fresh = StateEngine(workspace.project, workspace.migrations, full)
            patched = workspace.state._app_closure()
            assert {a: s for a, s in patched.items() if s} == {
                a: s for a, s in fresh._app_closure().items() if s
            }


def test_dependency_edit_patches_the_graph_instead_of_rebuilding(tmp_path: Path) -> None:
    files = app_migrations(
        "shop",
        {
            "0001_initial": migration(),
            "0002_a": migration(deps=[("shop", "0001_initial")]),
            "0002_b": migration(deps=[("shop", "0001_initial")]),
        },
    )
    root = make_project(tmp_path, files)
    workspace = Workspace(root)
    workspace.load()
    graph = workspace.graph
    assert graph.conflicts() == {"shop": ["0002_a", "0002_b"]}
    workspace.update_file(root / "shop/migrations/0002_b.py", migration(deps=[("shop", "0002_a")]))
    assert workspace.graph is graph
    assert graph.conflicts() == {}
    assert snapshot(graph) == snapshot(build_graph(workspace.project, workspace.migrations))


def test_forwards_plan_ends_on_a_cycle_and_keeps_djangos_order_without_one() -> None:
    a, b, c = (MigrationKey("shop", n) for n in ("0001_a", "0002_b", "0003_c"))
    graph = MigrationGraph()
    for child, parent in ((b, a), (c, b), (c, a)):
        graph.parent_map.setdefault(child, set()).add(parent)
    assert graph.forwards_plan(c) == [a, b, c]  # Django's order on an acyclic graph
    graph.parent_map.setdefault(a, set()).add(c)  # a depends on c: a cycle
    assert sorted(graph.forwards_plan(c)) == [a, b, c]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefgh"), st.sets(st.sampled_from("abcdefghx"))))
def test_app_level_reach_is_the_transitive_closure(direct: dict[str, set[str]]) -> None:
    def walk(start: str) -> set[str]:
        reached: set[str] = set()
        stack = list(direct[start])
        while stack:
            node = stack.pop()
            if node not in reached:
                reached.add(node)
                stack.extend(direct.get(node, ()))
        return reached

    reach = _reachable(direct)
    assert {a: reach[a] for a in direct} == {a: walk(a) for a in direct}


# -- findings after edits -------------------------------------------------------------------

MODELS = ("Product", "Order")
CREATE = 'migrations.CreateModel("Product", [("id", models.AutoField(primary_key=True))])'
TARGETS = [f"{app}.{model.lower()}" for app in APPS for model in MODELS]
operation = st.one_of(
    st.sampled_from(MODELS).map(
        lambda m: f'migrations.CreateModel("{m}", [("id", models.AutoField(primary_key=True))])'
    ),
    st.tuples(st.sampled_from(MODELS), st.sampled_from(TARGETS)).map(
        lambda mt: (
            f'migrations.CreateModel("{mt[0]}", [("id", models.AutoField(primary_key='
            f'True)), ("ref", models.ForeignKey(on_delete=models.CASCADE, to="{mt[1]}"))])'
        )
    ),
    st.tuples(st.sampled_from(MODELS), st.sampled_from(TARGETS)).map(
        lambda mt: (
            f'migrations.AddField("{mt[0]}", "link", models.ForeignKey('
            f'on_delete=models.CASCADE, to="{mt[1]}"))'
        )
    ),
    st.sampled_from(MODELS).map(
        lambda m: f'migrations.AddField("{m}", "n", models.IntegerField())'
    ),
    st.sampled_from(MODELS).map(lambda m: f'migrations.DeleteModel("{m}")'),
    st.just('migrations.RenameModel("Product", "Item")'),
    st.just("migrations.RunPython(migrations.RunPython.noop)"),
    st.just("migrations.RunPython(print)"),
    st.just("migrations.RunPython(print, migrations.RunPython.noop)"),
)
#: Besides its parent in the app, an edited migration may depend on one of another app.
operation_edit = st.tuples(
    st.sampled_from(APPS),
    st.sampled_from(NAMES),
    st.one_of(st.none(), st.tuples(st.sampled_from(APPS), st.sampled_from(NAMES))),
    st.lists(operation, max_size=3),
)


def _findings(workspace: Workspace) -> list[tuple[str, str, tuple[int, ...], str]]:
    return sorted(
        (f.code, str(f.path), tuple(f.span), f.message) for f in workspace.analyze().findings
    )


@settings(max_examples=80, deadline=None)
@given(edits=st.lists(operation_edit, min_size=1, max_size=5))
def test_edits_report_what_a_fresh_analysis_reports(edits: list) -> None:
    """Rules read other apps' model states (a relation to ``"blog.product"``): an edit of
    one app's operations must refresh the findings of every app and project rule that read
    them, exactly as a fresh analysis of the same buffers reports."""
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, str] = {}
        for app in APPS:
            chain = {
                name: migration(
                    deps=[(app, NAMES[i - 1])] if i else [], ops=CREATE if not i else ""
                )
                for i, name in enumerate(NAMES)
            }
            files.update(app_migrations(app, chain))
        root = make_project(Path(tmp), files)
        workspace = Workspace(root, Config(cache=False))
        workspace.load()
        _findings(workspace)
        buffers: dict[Path, str] = {}
        for app, name, extra, ops in edits:
            path = root / app / "migrations" / f"{name}.py"
            index = NAMES.index(name)
            deps = [(app, NAMES[index - 1])] if index else []
            deps += [extra] if extra and extra[0] != app else []
            buffers[path] = migration(deps=deps, ops="\n".join(ops))
            workspace.update_file(path, buffers[path])
            fresh = Workspace(root, Config(cache=False), overlays=dict(buffers))
            fresh.load()
            assert _findings(workspace) == _findings(fresh)


def test_a_new_leaf_refreshes_the_apps_that_read_its_models(tmp_path: Path) -> None:
    """No migration depends on a new file, so the graph is rebuilt but only its app's
    states change; another app's relation to a model it creates must see it."""
    order = (
        'migrations.CreateModel("Order", [("id", models.AutoField(primary_key=True)), '
        '("item", models.ForeignKey(on_delete=models.CASCADE, to="shop.item"))])'
    )
    files = {
        **app_migrations("shop", {"0001_initial": migration(ops=CREATE)}),
        **app_migrations("blog", {"0001_initial": migration(deps=[("shop", "0001_initial")],
                                                            ops=order)}),
    }  # fmt: skip
    root = make_project(tmp_path, files)
    workspace = Workspace(root, Config(cache=False))
    workspace.load()
    (before,) = [f.message for f in workspace.analyze().findings if f.code == "DM304"]
    assert "doesn't provide model 'item'" in before
    new = root / "shop/migrations/0002_item.py"
    new.write_text(
        migration(deps=[("shop", "0001_initial")], ops=CREATE.replace("Product", "Item"))
    )
    workspace.update_file(new)
    (after,) = [f.message for f in workspace.analyze().findings if f.code == "DM304"]
    assert "does not depend on shop.0002_item" in after
    new.unlink()
    workspace.update_file(new)
    assert [f.message for f in workspace.analyze().findings if f.code == "DM304"] == [before]
