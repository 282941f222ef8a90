"""Findings in models and settings files: reported, suppressed with ``# noqa``, updated
when the file is edited, and settings edits that change the installed apps re-discover
the project (in the engine, the CLI and through the protocol)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_lsp
from djmig import analysis as analysis_module
from djmig.analysis import Workspace
from djmig.keys import Span
from djmig.rules import RULES, Context, Finding, Rule, Severity
from helpers import make_project, migration
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from test_lsp import (
    CLIENTS,
    ENV,
    SERVER,
    codes,
    open_document,
    start,
    uri,
    wait_until,
)

MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=10)


class Legacy(models.Model):  # noqa: DM999
    pass
"""

FILES = {
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": migration(initial=True),
    "shop/migrations/0002_data.py": migration(
        deps=[("shop", "0001_initial")], ops="migrations.RunSQL('SELECT 1')"
    ),
    "shop/models.py": MODELS,
    "blog/migrations/__init__.py": "",
    "blog/migrations/0001_initial.py": migration(deps=[("shop", "0001_initial")]),
    "blog/models/__init__.py": "from .post import Post\n",
    "blog/models/post.py": (
        "from django.db import models\n\n\nclass Post(models.Model):\n    pass\n"
    ),
}


def _model_classes(context: Context, label: str) -> Iterator[Finding]:
    """A per-app rule placing a finding on every model class of the app's models files."""
    for path in context.project.apps[label].models_files():
        source = context.source(path)
        if source is None or source.tree is None:
            continue
        for node in source.tree.body:
            if isinstance(node, ast.ClassDef):
                span = Span(node.lineno - 1, node.col_offset, node.lineno - 1, node.col_offset)
                yield Finding("DM999", f"model {node.name}", path, span, Severity.WARNING)


def _auth_user_model(context: Context) -> Iterator[Finding]:
    """A project-wide rule placing a finding on the ``AUTH_USER_MODEL`` assignment."""
    if "AUTH_USER_MODEL" in context.project.settings.spans:
        path, span = context.project.settings.spans["AUTH_USER_MODEL"]
        value = context.project.settings.get("AUTH_USER_MODEL")
        yield Finding("DM998", f"user model {value}", path, span, Severity.WARNING)


@pytest.fixture
def test_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = (
        Rule("DM998", "user-model", Severity.WARNING, "doc", check_project=_auth_user_model),
        Rule("DM999", "model-class", Severity.WARNING, "doc", check_app=_model_classes),
    )
    # The models here have no migrations that create them: DM401 is left out, so the
    # findings are the test rules' alone.
    kept = tuple(rule for rule in RULES if rule.code != "DM401")
    monkeypatch.setattr(analysis_module, "RULES", kept + extra)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path, FILES, extra_settings='AUTH_USER_MODEL = "shop.Product"\n')


def messages(workspace: Workspace, path: Path, code: str | None = None) -> list[str]:
    found = workspace.analyze().by_path.get(path, [])
    return [f.message for f in found if code is None or f.code == code]


def test_findings_in_models_files_and_models_packages_honour_noqa(test_rules, root: Path):
    workspace = Workspace(root)
    workspace.load()
    analysis = workspace.analyze()
    shop_models = root / "shop/models.py"
    assert [(f.message, f.span.start_line) for f in analysis.by_path[shop_models]] == [
        ("model Product", 3)
    ]  # not Legacy: its line says noqa
    assert [f.message for f in analysis.by_path[root / "blog/models/post.py"]] == ["model Post"]
    settings = root / "proj/settings.py"
    assert [f.message for f in analysis.by_path[settings]] == ["user model shop.Product"]


def test_editing_a_models_file_reruns_its_apps_rules_only(test_rules, root: Path):
    workspace = Workspace(root)
    workspace.load()
    workspace.analyze()
    models = root / "shop/models.py"
    assert workspace.update_file(models, MODELS + "\n\nclass Order(models.Model):\n    pass\n")
    analysis = workspace.analyze()
    assert analysis.changed == {models}
    assert [f.message for f in analysis.by_path[models]] == ["model Product", "model Order"]
    # Mid-typing syntax error: the file's findings go, nothing crashes.
    workspace.update_file(models, MODELS + "\nclass Broken(models.Model\n")
    assert messages(workspace, models) == []
    # Closing the buffer reverts to the disk.
    workspace.update_file(models, None)
    assert messages(workspace, models) == ["model Product"]


def test_editing_settings_updates_project_findings_without_rediscovery(test_rules, root: Path):
    workspace = Workspace(root)
    workspace.load()
    workspace.analyze()
    project = workspace.project
    settings = root / "proj/settings.py"
    text = settings.read_text().replace('"shop.Product"', '"blog.Post"')
    assert workspace.update_file(settings, text)
    analysis = workspace.analyze()
    assert [f.message for f in analysis.by_path[settings]] == ["user model blog.Post"]
    assert workspace.project is project  # INSTALLED_APPS unchanged: not re-discovered


def test_settings_edit_removing_an_app_rediscovers_the_project(root: Path):
    workspace = Workspace(root)
    workspace.load()
    blog = root / "blog/migrations/0001_initial.py"
    assert workspace.analyze().by_path.get(blog) is None
    settings = root / "proj/settings.py"
    text = settings.read_text().replace("    'shop',\n", "")
    assert workspace.update_file(settings, text)
    analysis = workspace.analyze()
    assert "shop" not in workspace.project.apps
    assert [f.code for f in analysis.by_path[blog]] == ["DM104"]
    assert root / "shop/migrations/0002_data.py" in analysis.changed  # no longer analysed
    assert blog in analysis.changed
    workspace.update_file(settings, None)  # the buffer is closed unsaved
    analysis = workspace.analyze()
    assert blog not in analysis.by_path and blog in analysis.changed


def test_site_packages_and_unknown_files_are_not_sources(root: Path):
    workspace = Workspace(root)
    workspace.load()
    assert not workspace.update_file(root / "shop/views.py", "x = 1\n")
    assert workspace.source(root / "shop/views.py") is None
    assert workspace.tracks(root / "shop/models.py")
    assert workspace.tracks(root / "proj/settings.py")
    assert workspace.models_files("auth") == []


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), params=CLIENTS
)
async def client(lsp_client: LanguageClient, request, root: Path):
    await start(lsp_client, root, client_capabilities(request.param))
    yield
    await lsp_client.shutdown_session()


async def test_unsaved_settings_edit_republishes_the_migrations_it_affects(
    client: LanguageClient, root: Path
):
    blog = root / "blog/migrations/0001_initial.py"
    settings = root / "proj/settings.py"
    data = root / "shop/migrations/0002_data.py"
    await wait_until(client, lambda: codes(client, data) == ["DM202"])  # indexed
    text = open_document(client, settings)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(settings), version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(text=text.replace("    'shop',\n", ""))
            ],
        )
    )
    await wait_until(client, lambda: codes(client, blog) == ["DM104"])
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri(settings)))
    )
    await wait_until(client, lambda: codes(client, blog) == [])
