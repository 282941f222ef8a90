"""Navigation through the protocol (pytest-lsp), on the example project and on a generated
workspace: definition, references, hover, completion, code lens, document and workspace
symbols. Parametrised over recorded VS Code and Neovim client capabilities."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from test_lsp import CLIENTS, ENV, SERVER, edit, open_document, start, uri

REPO = Path(__file__).resolve().parents[1]
SHOPSITE = REPO / "examples" / "shopsite"
sys.path.insert(0, str(REPO / "bench"))

from generate import generate  # noqa: E402


async def wait_indexed(client: LanguageClient, timeout: float = 30.0) -> None:
    """Until the server's work-done progress of indexing has ended."""

    def ended() -> bool:
        return any(
            isinstance(report, types.WorkDoneProgressEnd)
            for reports in client.progress_reports.values()
            for report in reports
        )

    async with asyncio.timeout(timeout):
        while not ended():
            await client.wait_for_notification(types.PROGRESS)


def at(path: Path, needle: str, offset: int = 1, occurrence: int = 0) -> types.Position:
    """The position ``offset`` characters into the ``occurrence``-th ``needle``."""
    seen = 0
    for number, line in enumerate(path.read_text().splitlines()):
        column = line.find(needle)
        while column >= 0:
            if seen == occurrence:
                return types.Position(line=number, character=column + offset)
            seen += 1
            column = line.find(needle, column + 1)
    raise AssertionError(needle)


def line_of(path: Path, needle: str) -> int:
    return at(path, needle).line


def doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri(path))


def spots(locations) -> list[tuple[str, int]]:
    return sorted((loc.uri, loc.range.start.line) for loc in locations or [])


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), params=CLIENTS
)
async def shop(lsp_client: LanguageClient, request):
    await start(lsp_client, SHOPSITE, client_capabilities(request.param))
    await wait_indexed(lsp_client)
    yield
    await lsp_client.shutdown_session()


CATALOG = SHOPSITE / "catalog/migrations"
ORDERS = SHOPSITE / "orders/migrations"
CLASS = "class Migration("


async def definition(client: LanguageClient, path: Path, position: types.Position):
    return await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(path), position=position)
    )


async def test_definition_from_dependency_tuple_goes_to_class_migration(shop: LanguageClient):
    sku = CATALOG / "0003_product_sku.py"
    slug = CATALOG / "0002_product_slug.py"
    found = await definition(shop, sku, at(sku, '"0002_product_slug"', 3))
    assert spots(found) == [(uri(slug), line_of(slug, CLASS))]
    # A dependency on a migration that does not exist (DM102) goes nowhere.
    missing = ORDERS / "0003_orderline_product_slug.py"
    assert await definition(shop, missing, at(missing, '"0002_product_slugs"', 3)) is None


async def test_definition_of_a_model_goes_to_the_class_and_its_create_model(
    shop: LanguageClient,
):
    slug = ORDERS / "0003_orderline_product_slug.py"
    models = SHOPSITE / "orders/models.py"
    initial = ORDERS / "0001_initial.py"
    expected = [
        (uri(models), line_of(models, "class OrderLine(")),
        (uri(initial), line_of(initial, 'name="OrderLine"') - 1),
    ]
    by_model_name = await definition(shop, slug, at(slug, 'model_name="orderline"', 13))
    assert spots(by_model_name) == sorted(expected)
    by_get_model = await definition(shop, slug, at(slug, '"OrderLine")', 2))
    assert spots(by_get_model) == sorted(expected)
    # to=settings.AUTH_USER_MODEL: the model the setting names ("accounts.User"), created
    # by the squashed migration that replaces 0001_initial (no database: the squash is used).
    address = SHOPSITE / "accounts/migrations/0002_address.py"
    squashed = SHOPSITE / "accounts/migrations/0001_squashed_0002_address.py"
    user_models = SHOPSITE / "accounts/models.py"
    found = await definition(shop, address, at(address, "to=settings.AUTH_USER_MODEL", 8))
    assert spots(found) == sorted(
        [
            (uri(user_models), line_of(user_models, "class User(")),
            (uri(squashed), line_of(squashed, 'name="User"') - 1),
        ]
    )
    # to="payments.payment" from a migration on a dependency cycle (DM103): the models
    # class (the cycle leaves the state uncertain), and the server keeps answering.
    cyclic = ORDERS / "0004_order_payment.py"
    payments = SHOPSITE / "payments/models.py"
    found = await definition(shop, cyclic, at(cyclic, 'to="payments.payment"', 6))
    assert spots(found)[0] == (uri(payments), line_of(payments, "class Payment("))
    # to="auth.group": Django's own app, no models file in the workspace, its CreateModel.
    accounts = SHOPSITE / "accounts/migrations/0001_initial.py"
    (location,) = await definition(shop, accounts, at(accounts, 'to="auth.group"', 5))
    assert location.uri.endswith("django/contrib/auth/migrations/0001_initial.py")


async def test_references_of_class_migration_and_of_a_model_class(shop: LanguageClient):
    slug = CATALOG / "0002_product_slug.py"
    sku, weight = CATALOG / "0003_product_sku.py", CATALOG / "0003_product_weight_grams.py"
    found = await shop.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(slug),
            position=at(slug, CLASS, 2),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert spots(found) == sorted(
        [
            (uri(sku), line_of(sku, '("catalog", "0002_product_slug")')),
            (uri(weight), line_of(weight, '("catalog", "0002_product_slug")')),
        ]
    )
    models = SHOPSITE / "catalog/models.py"
    found = await shop.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(models),
            position=at(models, "class Product(", 7),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    touched = {loc.uri.rsplit("/", 1)[1] for loc in found}
    assert touched == {
        "models.py", "0001_initial.py", "0002_product_slug.py", "0003_product_sku.py",
        "0003_product_weight_grams.py", "0002_wishlistitem.py",
    }  # fmt: skip
    # The orders' and the wishlist's CreateModel with a ForeignKey to="catalog.product" refer
    # to it too.
    orders = ORDERS / "0001_initial.py"
    assert uri(orders) in {loc.uri for loc in found}


async def test_hover_on_dependency_tuple_describes_the_target(shop: LanguageClient):
    sku = CATALOG / "0003_product_sku.py"
    result = await shop.text_document_hover_async(
        types.HoverParams(text_document=doc(sku), position=at(sku, '("catalog"', 3))
    )
    text = result.contents.value
    assert "**catalog.0002_product_slug**" in text
    assert "`catalog/migrations/0002_product_slug.py`" in text
    assert "- Add field slug to product\n- Raw Python operation" in text
    assert "applied" not in text  # no database configured
    slug = ORDERS / "0003_orderline_product_slug.py"
    result = await shop.text_document_hover_async(
        types.HoverParams(text_document=doc(slug), position=at(slug, '"orderline"', 3))
    )
    assert "- Create model OrderLine — `orders.0001_initial`" in result.contents.value
    assert "- Add field product_slug to orderline" in result.contents.value


async def complete(client: LanguageClient, path: Path, line: int, character: int):
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=doc(path), position=types.Position(line=line, character=character)
        )
    )
    return sorted(result.items, key=lambda item: item.sort_text)


async def test_completion_in_dependencies_and_model_references(shop: LanguageClient):
    sku = CATALOG / "0003_product_sku.py"
    open_document(shop, sku)
    line = line_of(sku, '("catalog", "0002_product_slug")') + 1
    edit(shop, sku, 2, line, 0, 0, '        ("or\n')
    labels = [item.label for item in await complete(shop, sku, line, 12)]
    assert labels[0] == "catalog"  # this app first, then the others
    assert {"orders", "payments", "auth", "accounts"} <= set(labels)
    edit(shop, sku, 3, line, 12, 12, 'ders", "')
    items = await complete(shop, sku, line, 20)
    assert items[0].label == "0004_order_payment"  # the leaf first
    assert [i.label for i in items[1:]] == [
        "0003_orderline_product_slug", "0002_order_number", "0001_initial",
    ]  # fmt: skip
    assert items[0].text_edit.range.start.character == 20
    # Outside any tuple: whole entries naming each app's leaf; not the app's own
    # 0003_product_sku (this migration) and nothing depending on it.
    edit(shop, sku, 4, line, 0, 20, "        ")
    entries = [item.label for item in await complete(shop, sku, line, 8)]
    assert '("catalog", "0003_product_weight_grams")' in entries
    assert '("catalog", "0003_product_sku")' not in entries
    # to=" in a field: app labels, then that app's models.
    field = line_of(sku, "field=models.CharField(blank=True, max_length=32)") + 1
    text = 'field=models.ForeignKey(to="catalog.'
    edit(shop, sku, 5, field, 12, 61, text)
    models = [item.label for item in await complete(shop, sku, field, 12 + len(text))]
    assert models == ["Category", "Product"]


async def test_code_lens_counts_dependents_and_shows_them(shop: LanguageClient):
    slug = CATALOG / "0002_product_slug.py"
    (lens,) = await shop.text_document_code_lens_async(
        types.CodeLensParams(text_document=doc(slug))
    )
    assert lens.range.start.line == line_of(slug, CLASS)
    assert lens.command.title == "2 dependents"
    assert lens.command.command == "djmig.client.showReferences"
    target, position, locations = lens.command.arguments
    assert target == uri(slug) and position["line"] == lens.range.start.line
    assert sorted(loc["uri"].rsplit("/", 1)[1] for loc in locations) == [
        "0003_product_sku.py", "0003_product_weight_grams.py",
    ]  # fmt: skip
    leaf = CATALOG / "0003_product_sku.py"
    (lens,) = await shop.text_document_code_lens_async(
        types.CodeLensParams(text_document=doc(leaf))
    )
    assert lens.command.title == "0 dependents"


async def test_document_and_workspace_symbols(shop: LanguageClient):
    slug = ORDERS / "0003_orderline_product_slug.py"
    symbols = await shop.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(slug))
    )
    assert [s.name for s in symbols] == ["copy_product_slugs", "Migration"]
    migration = symbols[1]
    assert migration.detail == "orders.0003_orderline_product_slug"
    assert [c.name for c in migration.children] == [
        "Add field product_slug to orderline", "Raw Python operation",
    ]  # fmt: skip
    assert migration.children[0].range.start.line == line_of(slug, "migrations.AddField(")
    found = await shop.workspace_symbol_async(types.WorkspaceSymbolParams(query="catalog.0003"))
    assert sorted(s.name for s in found) == [
        "catalog.0003_product_sku", "catalog.0003_product_weight_grams",
    ]  # fmt: skip
    found = await shop.workspace_symbol_async(types.WorkspaceSymbolParams(query="catalog.Product"))
    (product,) = [s for s in found if s.name == "catalog.Product"]
    assert product.kind == types.SymbolKind.Struct
    models = SHOPSITE / "catalog/models.py"
    assert product.location.uri == uri(models)
    assert product.location.range.start.line == line_of(models, "class Product(")


async def test_show_graph_command_returns_every_format(shop: LanguageClient):
    async def graph(fmt: str) -> str:
        return await shop.workspace_execute_command_async(
            types.ExecuteCommandParams(command="djmig.showGraph", arguments=[uri(SHOPSITE), fmt])
        )

    document = json.loads(await graph("json"))
    assert document["conflicts"] == {"catalog": ["0003_product_sku", "0003_product_weight_grams"]}
    assert document["applied"] is None
    assert len(document["plan"]) == len(document["nodes"])
    svg = await graph("svg")
    assert svg.startswith("<svg") and svg.count('class="node') == len(document["nodes"])
    assert (await graph("html")).startswith("<!DOCTYPE html>")


# -- the generated benchmark workspace -------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated") / "workspace"
    generate(root, 4, 12, seed=3)
    (root / "pyproject.toml").write_text(f'[tool.djmig]\npython = "{sys.executable}"\n')
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), params=CLIENTS
)
async def bench(lsp_client: LanguageClient, request, generated: Path):
    await start(lsp_client, generated, client_capabilities(request.param))
    await wait_indexed(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_generated_workspace_navigation(bench: LanguageClient, generated: Path):
    app = generated / "app001/migrations"
    files = sorted(app.glob("0*.py"))
    last, parent = files[-1], files[-2]
    found = await definition(bench, last, at(last, f'"{parent.stem}"', 2))
    assert spots(found) == [(uri(parent), line_of(parent, CLASS))]
    (lens,) = await bench.text_document_code_lens_async(
        types.CodeLensParams(text_document=doc(parent))
    )
    assert lens.command.title == "1 dependent"
    refs = await bench.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(parent),
            position=at(parent, CLASS, 2),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert spots(refs) == sorted(
        [(uri(parent), line_of(parent, CLASS)), (uri(last), line_of(last, f'"{parent.stem}"'))]
    )
    hover = await bench.text_document_hover_async(
        types.HoverParams(text_document=doc(last), position=at(last, f'"{parent.stem}"', 2))
    )
    assert f"**app001.{parent.stem}**" in hover.contents.value
    symbols = await bench.workspace_symbol_async(types.WorkspaceSymbolParams(query="app001."))
    names = {s.name for s in symbols}
    assert {f"app001.{f.stem}" for f in files} <= names
    outline = await bench.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(last))
    )
    assert outline[-1].name == "Migration" and outline[-1].children
    # A model: definition (models class + CreateModel), references from its class, to=".
    models = generated / "app001/models.py"
    alive = re.findall(r"^class (\w+)\(", models.read_text(), re.MULTILINE)
    needle = next(
        f'model_name="{name.lower()}"'
        for name in alive
        if any(f'model_name="{name.lower()}"' in f.read_text() for f in files)
    )
    with_model = next(f for f in files if needle in f.read_text())
    found = await definition(bench, with_model, at(with_model, needle, 13))
    assert len(found) == 2 and found[0].uri == uri(models)
    refs = await bench.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(models),
            position=at(models, "class ", 7),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert any("/app001/migrations/" in loc.uri for loc in refs)
    # Other apps' operations are there for their relation fields pointing at the model.
    name = re.search(r"^class (\w+)\(", models.read_text(), re.MULTILINE).group(1).lower()
    for loc in refs:
        if "/app001/migrations/" not in loc.uri:
            lines = Path(loc.uri.removeprefix("file://")).read_text().splitlines()
            call = "\n".join(lines[loc.range.start.line : loc.range.end.line + 1])
            assert f'to="app001.{name}"' in call
    every = sorted(generated.glob("*/migrations/0*.py"))
    with_to = next(p for p in every if 'to="' in p.read_text())
    position = at(with_to, 'to="', 4)
    labels = await complete(bench, with_to, position.line, position.character)
    assert {"app000", "app001", "app002", "app003"} <= {item.label for item in labels}
    open_document(bench, last)
    line = line_of(last, f'"{parent.stem}"')
    edit(bench, last, 2, line, 0, 0, '        ("app001", "\n')
    items = await complete(bench, last, line, len('        ("app001", "'))
    assert items[0].label == parent.stem  # the leaf, once this file no longer counts
    assert last.stem not in [i.label for i in items]
