"""An edit of one migration's dependencies updates the graph in place; the result must be
exactly what a full ``build_graph`` gives on the same files."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from djmig import analysis as analysis_module
from djmig import forked
from djmig.analysis import Workspace
from djmig.config import Config
from djmig.graph import MigrationGraph, build_graph
from djmig.keys import MigrationKey
from djmig.state import StateEngine, _reachable
from helpers import app_migrations, make_project, migration
from hypothesis import example, given, settings
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


#: As ``operation_edit``, and whether the migration keeps its parent in the app (without
#: it, the app's order may go through the other app's migrations).
detached_edit = st.tuples(
    st.sampled_from(APPS),
    st.sampled_from(NAMES),
    st.one_of(st.none(), st.tuples(st.sampled_from(APPS), st.sampled_from(NAMES))),
    st.lists(operation, max_size=3),
    st.booleans(),
)


def _edited(
    app: str, name: str, extra: tuple[str, str] | None, ops: list[str], parent: bool = True
) -> str:
    """The migration ``app.name`` with ``ops``, after ``extra`` and (``parent``) the
    migration before it in the app."""
    index = NAMES.index(name)
    deps = [(app, NAMES[index - 1])] if index and parent else []
    deps += [extra] if extra and extra[0] != app else []
    return migration(deps=deps, ops="\n".join(ops))


_share = forked.share


def _share_slowly(count: int, run: Any) -> Any:
    """``forked.share``, each side pausing after taking an app, so that each takes one
    (on their own, either could be done with both before the other starts)."""

    def paused(taken: Iterator[int]) -> Any:
        def items() -> Iterator[int]:
            for item in taken:
                time.sleep(0.05)
                yield item

        return run(items())

    return _share(count, paused)


def _check_edits(start: list, edits: list, forked_start: bool = False) -> None:
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
        for app, name, *rest in start:
            files[f"{app}/migrations/{name}.py"] = _edited(app, name, *rest)
        root = make_project(Path(tmp), files)
        with (
            mock.patch.object(analysis_module, "FORK_MIN_FILES", 1 if forked_start else 1500),
            mock.patch.object(forked, "available", lambda: forked_start),
            mock.patch.object(forked, "share", wraps=_share_slowly) as share,
        ):
            workspace = Workspace(root, Config(cache=False))
            workspace.load()
            _findings(workspace)
        assert share.call_count == forked_start
        buffers: dict[Path, str] = {}
        for app, name, *rest in edits:
            path = root / app / "migrations" / f"{name}.py"
            buffers[path] = _edited(app, name, *rest)
            workspace.update_file(path, buffers[path])
            fresh = Workspace(root, Config(cache=False), overlays=dict(buffers))
            fresh.load()
            assert _findings(workspace) == _findings(fresh)


@settings(max_examples=80, deadline=None)
@given(edits=st.lists(operation_edit, min_size=1, max_size=5))
def test_edits_report_what_a_fresh_analysis_reports(edits: list) -> None:
    """Rules read other apps' model states (a relation to ``"blog.product"``): an edit of
    one app's operations must refresh the findings of every app and project rule that read
    them, exactly as a fresh analysis of the same buffers reports."""
    _check_edits([], edits)


ADD_N = 'migrations.AddField("Product", "n", models.IntegerField())'
ORDER = 'migrations.CreateModel("Order", [("id", models.AutoField(primary_key=True))])'
LINK = (
    'migrations.AddField("Order", "link", models.ForeignKey('
    'on_delete=models.CASCADE, to="blog.product"))'
)


@settings(max_examples=40, deadline=None)
@given(
    start=st.lists(detached_edit, max_size=4),
    edits=st.lists(detached_edit, min_size=1, max_size=4),
)
# shop's DM304 (in the child) reads blog's states; an edit of blog changes them.
@example(
    start=[("shop", "0002_a", ("blog", "0001_initial"), [ORDER, LINK], True)],
    edits=[("blog", "0001_initial", None, [], True)],
)
# shop.0003 follows shop.0002 only through blog's migrations (DM203 on its NOT NULL
# column); the edit of blog takes that path away.
@example(
    start=[
        ("shop", "0003_b", ("blog", "0002_a"), [ADD_N], False),
        ("blog", "0001_initial", ("shop", "0002_a"), [CREATE], True),
    ],
    edits=[("blog", "0001_initial", None, [CREATE], True)],
)
def test_edits_after_a_forked_start_report_what_a_fresh_analysis_reports(
    start: list, edits: list
) -> None:
    """The same, from a start whose rules ran on both cores (``forked.share``), on apps
    that may depend on each other: what the child computed and recorded is kept up to date
    by the edits that follow, here."""
    _check_edits(start, edits, forked_start=True)


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
