"""The database in the editor, through the protocol (pytest-lsp), over recorded VS Code and
Neovim capabilities: code lenses of applied state, hover on a dependency,
``djmig.refreshDatabase``, re-reading on save, DM5xx diagnostics, the split fix explained
instead of offered on an applied migration, and one message for an unreadable database."""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
from pathlib import Path

import pytest
import pytest_lsp
from django_oracle import django_migrate
from helpers import make_project, migration
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from test_lsp import (
    CLIENTS,
    ENV,
    SERVER,
    actions_at,
    codes,
    open_document,
    position_of,
    start,
    uri,
    wait_until,
)

PRODUCT = 'migrations.CreateModel("Product", [("id", models.AutoField(primary_key=True))])'
SKU = 'migrations.AddField("product", "sku", models.CharField(max_length=8))'  # DM203
ORDER = 'migrations.CreateModel("Order", [("id", models.AutoField(primary_key=True))])'
FILES = {
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": migration(initial=True, ops=PRODUCT),
    "shop/migrations/0002_product_sku.py": migration(deps=[("shop", "0001_initial")], ops=SKU),
    "shop/migrations/0003_order.py": migration(deps=[("shop", "0002_product_sku")], ops=ORDER),
}
APPLIED = re.compile(r"^applied \d{4}-\d\d-\d\d \d\d:\d\d$")
REFRESH = "djmig.refreshDatabase"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """shop.0001 and 0002 applied, 0003 not; a record of a migration without a file."""
    root = make_project(tmp_path_factory.mktemp("lsp-db"), FILES)
    code, output = django_migrate(root, "shop", "0002_product_sku")
    assert code == 0, output
    with sqlite3.connect(root / "db.sqlite3") as connection:
        connection.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('shop', '0009_gone', '2026-11-30 14:02:00')"
        )
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(template, root)
    return root


def count_lens_refreshes(client: LanguageClient) -> None:
    """Answer ``workspace/codeLens/refresh`` as VS Code does, counting them."""
    client.lens_refreshes = 0

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        client.lens_refreshes += 1


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), params=CLIENTS
)
async def client(lsp_client: LanguageClient, request, project: Path):
    lsp_client.capabilities_name = request.param
    count_lens_refreshes(lsp_client)
    await start(lsp_client, project, client_capabilities(request.param))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def bare_client(lsp_client: LanguageClient):
    count_lens_refreshes(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def refresh(client: LanguageClient, root: Path) -> str:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=REFRESH, arguments=[uri(root)])
    )


async def lenses(client: LanguageClient, path: Path) -> list[str]:
    """The titles of the database's lenses (after the navigation's "N dependents")."""
    found = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
    )
    line = path.read_text().splitlines().index("class Migration(migrations.Migration):")
    assert all(lens.range.start.line == line for lens in found or [])
    dependents, *applied = found or []
    assert dependents.command.title.endswith(("dependent", "dependents"))
    assert all(lens.command.command == REFRESH for lens in applied)
    return [lens.command.title for lens in applied]


async def test_code_lenses_show_applied_state_and_the_app_summary(
    client: LanguageClient, project: Path
):
    migrations = project / "shop/migrations"
    assert await refresh(client, project) == "SQLite database db.sqlite3: 3 applied migrations"
    (initial,) = await lenses(client, migrations / "0001_initial.py")
    assert APPLIED.match(initial), initial
    assert await lenses(client, migrations / "0003_order.py") == [
        "not applied",
        "shop: 1 unapplied",
    ]


async def test_database_findings_are_published_and_follow_the_database_on_save(
    client: LanguageClient, project: Path
):
    latest = project / "shop/migrations/0003_order.py"
    await wait_until(client, lambda: codes(client, latest) == ["DM502"])
    (diagnostic,) = client.diagnostics[uri(latest)]
    assert "0009_gone" in diagnostic.message
    assert "python manage.py migrate --prune shop" in diagnostic.message
    with sqlite3.connect(project / "db.sqlite3") as connection:
        connection.execute("DELETE FROM django_migrations WHERE name = '0009_gone'")
    open_document(client, latest)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri(latest)))
    )
    await wait_until(client, lambda: codes(client, latest) == [])
    if client.capabilities_name == "visual-studio-code":  # it declares refreshSupport
        assert client.lens_refreshes == 2  # the first read, and this one


async def test_hover_on_a_dependency_shows_its_file_and_applied_state(
    client: LanguageClient, project: Path
):
    await refresh(client, project)
    path = project / "shop/migrations/0003_order.py"
    text = open_document(client, path)
    line, col = position_of(text, "'0002_product_sku'")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            position=types.Position(line=line, character=col + 3),
        )
    )
    assert hover is not None
    assert hover.contents.kind == types.MarkupKind.Markdown
    title, state, *_ = hover.contents.value.split("\n\n")
    assert title == "**shop.0002_product_sku** — `shop/migrations/0002_product_sku.py`"
    assert state == "Applied."
    assert hover.range.start.line == line
    outside = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            position=types.Position(line=0, character=0),
        )
    )
    assert outside is None


async def test_split_fix_is_explained_not_offered_on_an_applied_migration(
    client: LanguageClient, project: Path
):
    path = project / "shop/migrations/0002_product_sku.py"
    await wait_until(client, lambda: "DM203" in codes(client, path))
    await refresh(client, project)
    line = next(d.range.start.line for d in client.diagnostics[uri(path)] if d.code == "DM203")
    actions = {a.title: a for a in await actions_at(client, path, line)}
    rewrites = ["Split into nullable + backfill + NOT NULL", "Use db_default"]
    if client.capabilities_name == "visual-studio-code":  # disabledSupport
        for title in rewrites:
            assert actions[title].edit is None and actions[title].data is None
            reason = actions[title].disabled.reason
            assert reason.startswith("shop.0002_product_sku is already applied in SQLite")
    else:
        assert not set(rewrites) & set(actions)
    assert "Ignore DM203 on this line" in actions


async def test_split_fix_is_offered_when_the_migration_is_not_applied(
    bare_client: LanguageClient, project: Path
):
    with sqlite3.connect(project / "db.sqlite3") as connection:
        connection.execute("DELETE FROM django_migrations WHERE name = '0002_product_sku'")
    await start(bare_client, project, client_capabilities("visual-studio-code"))
    path = project / "shop/migrations/0002_product_sku.py"
    await wait_until(bare_client, lambda: "DM203" in codes(bare_client, path))
    assert await refresh(bare_client, project) == "SQLite database db.sqlite3: 2 applied migrations"
    line = next(d.range.start.line for d in bare_client.diagnostics[uri(path)] if d.code == "DM203")
    actions = {a.title: a for a in await actions_at(bare_client, path, line)}
    assert actions["Split into nullable + backfill + NOT NULL"].disabled is None


async def test_unreadable_database_is_one_message_and_diagnostics_still_come(
    bare_client: LanguageClient, project: Path
):
    await start(
        bare_client,
        project,
        client_capabilities("neovim"),
        options={"databaseUrl": "sqlite:///nowhere.sqlite3"},
    )
    path = project / "shop/migrations/0002_product_sku.py"
    await wait_until(bare_client, lambda: codes(bare_client, path) == ["DM203"])
    outcome = await refresh(bare_client, project)
    assert outcome == "cannot read SQLite database nowhere.sqlite3: no such file"
    await refresh(bare_client, project)
    (message,) = bare_client.messages
    assert message.type == types.MessageType.Info
    assert message.message == f"djmig: {outcome}"
    assert await lenses(bare_client, path) == []
    assert codes(bare_client, project / "shop/migrations/0003_order.py") == []


async def test_refresh_interval_rereads_the_database(bare_client: LanguageClient, project: Path):
    await start(
        bare_client,
        project,
        client_capabilities("neovim"),
        options={"databaseRefreshInterval": 0.2},
    )
    latest = project / "shop/migrations/0003_order.py"
    await wait_until(bare_client, lambda: codes(bare_client, latest) == ["DM502"])
    with sqlite3.connect(project / "db.sqlite3") as connection:
        connection.execute("DELETE FROM django_migrations WHERE name = '0009_gone'")
    await wait_until(bare_client, lambda: codes(bare_client, latest) == [])
    assert bare_client.messages == []


async def test_a_server_that_never_answers_is_one_message_after_the_diagnostics(
    bare_client: LanguageClient, project: Path
):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections are queued, never accepted: libpq waits for an answer
    try:
        port = listener.getsockname()[1]
        await start(
            bare_client,
            project,
            client_capabilities("neovim"),
            options={"databaseUrl": f"postgresql://app@127.0.0.1:{port}/shop"},
        )
        path = project / "shop/migrations/0002_product_sku.py"
        await wait_until(bare_client, lambda: codes(bare_client, path) == ["DM203"])
        message = await bare_client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
        assert message.message.startswith(
            f"djmig: cannot connect to PostgreSQL database 'shop' on 127.0.0.1:{port} as app"
        )
        assert "timeout" in message.message
        assert codes(bare_client, path) == ["DM203"]
        assert len(bare_client.messages) == 1
    finally:
        listener.close()
