"""DM401 through the protocol: typing a field in ``models.py`` publishes "no migration"
on its line, the "Create migration" action creates the file, and once it is on disk (a
watched-file event) the diagnostic goes away; a migration edit re-runs the comparison."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from django_oracle import manage
from helpers import make_project, migration
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from test_lsp import (
    CLIENTS,
    ENV,
    SERVER,
    edit,
    open_document,
    position_of,
    run_command,
    start,
    uri,
    wait_until,
    without_file_creation,
)

ID = 'models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")'
INITIAL = migration(
    initial=True,
    ops=f'migrations.CreateModel(name="Product", fields=[("id", {ID}), '
    '("name", models.CharField(max_length=50))])',
)
MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=50)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": INITIAL,
            "shop/models.py": MODELS,
        },
    )


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), params=CLIENTS
)
async def client(lsp_client: LanguageClient, request, project: Path):
    await start(lsp_client, project, client_capabilities(request.param))
    yield
    await lsp_client.shutdown_session()


def dm401(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri(path), []) if d.code == "DM401"]


SKU = "\n    sku = models.CharField(max_length=32, null=True)"


async def type_sku(
    client: LanguageClient, models: Path
) -> tuple[str, int, types.Diagnostic, types.CodeAction]:
    """Type a field without a migration in ``models``: the text before, the line typed
    after, its DM401 diagnostic and the "Create migration" action."""
    text = open_document(client, models)
    line, _ = position_of(text, "    name = ")
    end = len(text.splitlines()[line])
    edit(client, models, 2, line, end, end, SKU)
    await wait_until(client, lambda: bool(dm401(client, models)))
    [diagnostic] = dm401(client, models)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(models)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    [create] = [a for a in actions or [] if a.title == "Create migration 0002_product_sku"]
    assert isinstance(create, types.CodeAction)
    return text, line, diagnostic, create


async def test_typing_a_field_publishes_dm401_and_the_fix_creates_the_migration(
    client: LanguageClient, project: Path
):
    models = project / "shop/models.py"
    _, line, diagnostic, create = await type_sku(client, models)
    assert diagnostic.range.start.line == line + 1
    assert diagnostic.message.startswith("Add field sku to product: no migration")
    assert "0002_product_sku" in diagnostic.message
    if create.edit is None:
        create = await client.code_action_resolve_async(create)
    assert create.edit is not None and create.edit.document_changes
    created = project / "shop/migrations/0002_product_sku.py"
    kinds = [type(c).__name__ for c in create.edit.document_changes]
    assert kinds == ["CreateFile", "TextDocumentEdit"]
    content = create.edit.document_changes[1].edits[0].new_text
    assert "migrations.AddField(" in content and "('shop', '0001_initial')" in content
    # The editor applies the edit and saves: the new migration arrives as a watched file.
    created.write_text(content, encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(created), type=types.FileChangeType.Created)]
        )
    )
    await wait_until(client, lambda: not dm401(client, models))
    # Editing the new migration so it no longer adds the field brings DM401 back.
    migration_text = open_document(client, created)
    line, col = position_of(migration_text, "name='sku'")
    edit(client, created, 2, line, col, col + len("name='sku'"), "name='code'")
    await wait_until(client, lambda: len(dm401(client, models)) == 2)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def creating_nothing(lsp_client: LanguageClient, project: Path):
    """A client that cannot create files (no ``create`` resource operation)."""
    await start(lsp_client, project, without_file_creation())
    yield
    await lsp_client.shutdown_session()


async def test_create_migration_without_file_creation_support_runs_a_command(
    creating_nothing: LanguageClient, project: Path
):
    client = creating_nothing
    models = project / "shop/models.py"
    text, line, _, create = await type_sku(client, models)
    assert create.command is not None and create.command.command == "djmig.applyFix"
    written = await run_command(client, create)
    created = project / "shop/migrations/0002_product_sku.py"
    assert written == [str(created)]
    await wait_until(client, lambda: not dm401(client, models))  # no file event needed
    # Saved, the models module is what the new migration says: Django finds no change.
    lines = text.splitlines(keepends=True)
    lines[line] = lines[line].rstrip("\n") + SKU + "\n"
    models.write_text("".join(lines))
    completed = manage(project, "makemigrations", "--check", "--dry-run", timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
