"""DM303 and DM305 through the protocol: the settings file's diagnostics are published
without opening it and follow unsaved edits; the DM303 quick fix "Use
settings.AUTH_USER_MODEL" is offered on the literal and resolves to the edit."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from helpers import app_migrations, make_project, migration
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from test_lsp import (
    CLIENTS,
    ENV,
    SERVER,
    actions_at,
    apply_text_edits,
    codes,
    edits_for,
    open_document,
    resolved,
    start,
    uri,
    wait_until,
)

FK = '("owner", models.ForeignKey(on_delete=models.CASCADE, to="auth.user"))'
FILES = {
    **app_migrations(
        "shop",
        {
            "0001_initial": migration(
                deps=[("auth", "0012_alter_user_first_name_max_length")],
                ops=f'migrations.CreateModel("Cart", [("id", models.AutoField(primary_key=True)), {FK}])',  # noqa: E501
            )
        },
    ),
    "shop/models.py": "",
    "old/__init__.py": "",
    "old/models.py": "",
    **app_migrations("old", {"0001_initial": migration()}),
}


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), params=CLIENTS
)
async def client(lsp_client: LanguageClient, request, tmp_path: Path):
    root = make_project(
        tmp_path, FILES, ["django.contrib.auth", "django.contrib.contenttypes", "shop"]
    )
    lsp_client.root = root
    await start(lsp_client, root, client_capabilities(request.param))
    yield
    await lsp_client.shutdown_session()


async def test_settings_diagnostics_are_published_and_follow_edits(client: LanguageClient):
    root: Path = client.root  # type: ignore[attr-defined]
    settings = root / "proj/settings.py"
    cart = root / "shop/migrations/0001_initial.py"
    await wait_until(client, lambda: codes(client, settings) == ["DM305"])
    await wait_until(client, lambda: codes(client, cart) == ["DM303"])
    text = open_document(client, settings)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(settings), version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text=text.replace("    'shop',\n", "    'shop',\n    'old',\n")
                )
            ],
        )
    )
    await wait_until(client, lambda: codes(client, settings) == [])


async def test_use_settings_auth_user_model_quick_fix(client: LanguageClient):
    root: Path = client.root  # type: ignore[attr-defined]
    cart = root / "shop/migrations/0001_initial.py"
    await wait_until(client, lambda: codes(client, cart) == ["DM303"])
    text = cart.read_text()
    line = next(i for i, row in enumerate(text.splitlines()) if '"auth.user"' in row)
    actions = await actions_at(client, cart, line)
    fix = next(a for a in actions if a.title == "Use settings.AUTH_USER_MODEL")
    assert fix.is_preferred and fix.diagnostics and fix.diagnostics[0].code == "DM303"
    fixed = apply_text_edits(text, edits_for(await resolved(client, fix), uri(cart)))
    assert "to=settings.AUTH_USER_MODEL" in fixed
    assert "migrations.swappable_dependency(settings.AUTH_USER_MODEL)," in fixed
    assert "from django.conf import settings\n" in fixed
