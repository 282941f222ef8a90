"""End-to-end tests of ``djmig serve`` through the protocol (pytest-lsp), parametrised over
recorded VS Code and Neovim client capabilities."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
import pytest_lsp
from helpers import make_project, migration
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "djmig", "serve"]
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "server")}

SHOP = {
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": migration(initial=True),
    "shop/migrations/0002_product.py": migration(deps=[("shop", "0001_initial")]),
    "shop/migrations/0003_sku.py": migration(
        deps=[("shop", "0002_product")],
        extra="",
        ops="migrations.RunPython(forwards)",
    ).replace("class Migration", "def forwards(apps, schema_editor):\n    pass\n\n\nclass Migration"),
    "shop/migrations/0003_price.py": migration(deps=[("shop", "0002_product")]),
}


def uri(path: Path) -> str:
    return path.as_uri()


async def wait_until(client: LanguageClient, predicate, timeout: float = 15.0) -> None:
    """Wait for diagnostics notifications until ``predicate()`` holds (no sleeping)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


def codes(client: LanguageClient, path: Path) -> list[str]:
    return sorted(str(d.code) for d in client.diagnostics.get(uri(path), []))


async def start(client: LanguageClient, root: Path, capabilities: types.ClientCapabilities,
                options: dict | None = None) -> None:
    """Initialize like an editor: answer registrations and configuration requests."""
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=uri(root),
            workspace_folders=[types.WorkspaceFolder(uri=uri(root), name=root.name)],
            initialization_options=options,
        )
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, SHOP)


CLIENTS = ["visual-studio-code", "neovim"]


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), params=CLIENTS
)
async def client(lsp_client: LanguageClient, request, project: Path):
    lsp_client.capabilities_name = request.param
    await start(lsp_client, project, client_capabilities(request.param))
    yield
    await lsp_client.shutdown_session()


async def test_workspace_diagnostics_cover_files_never_opened(client: LanguageClient, project: Path):
    sku = project / "shop/migrations/0003_sku.py"
    price = project / "shop/migrations/0003_price.py"
    await wait_until(client, lambda: codes(client, sku) and codes(client, price))
    assert codes(client, sku) == ["DM101", "DM201"]
    assert codes(client, price) == ["DM101"]
    diagnostic = next(d for d in client.diagnostics[uri(sku)] if d.code == "DM101")
    assert diagnostic.source == "djmig"
    assert diagnostic.range.start.line == sku.read_text().splitlines().index(
        "class Migration(migrations.Migration):"
    )
    assert diagnostic.code_description.href.endswith("#dm101-multiple-leaf-nodes")
    assert [r.location.uri for r in diagnostic.related_information] == [uri(price)]
    assert codes(client, project / "shop/migrations/0001_initial.py") == []
