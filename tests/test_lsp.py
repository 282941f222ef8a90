"""End-to-end tests of ``djmig serve`` through the protocol (pytest-lsp), parametrised over
recorded VS Code and Neovim client capabilities."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from django_oracle import django_migrate
from djmig.analysis import analyze_workspace
from djmig.config import Config
from djmig.lsp.server import WRITE_SIZE
from helpers import TRACKING, TRACKING_BASE, make_project, migration
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "djmig", "serve"]
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "server")}

FORWARDS = "def forwards(apps, schema_editor):\n    pass\n\n\n"
SHOP = {
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": migration(initial=True),
    "shop/migrations/0002_product.py": migration(deps=[("shop", "0001_initial")]),
    "shop/migrations/0003_sku.py": migration(
        deps=[("shop", "0002_product")], ops="migrations.RunPython(forwards)"
    ).replace("class Migration", FORWARDS + "class Migration"),
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


def read_code_actions_as_the_spec_does(client: LanguageClient) -> None:
    """lsprotocol reads any code action with a ``command`` as a ``Command``, but since LSP
    3.16 a ``CodeAction`` may carry one too (djmig's fixes that create files, for clients
    without file creation): a ``Command`` is the one whose ``command`` is a string."""
    converter = client.protocol._converter

    def structure(value: Any, _: type) -> types.Command | types.CodeAction:
        is_command = isinstance(value.get("command"), str)
        return converter.structure(value, types.Command if is_command else types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)  # noqa: UP007


async def start(
    client: LanguageClient,
    roots: Path | list[Path],
    capabilities: types.ClientCapabilities,
    options: dict | None = None,
) -> None:
    """Initialize like an editor, answering the server's capability registrations."""
    roots = roots if isinstance(roots, list) else [roots]
    client.registrations = []
    read_code_actions_as_the_spec_does(client)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=uri(roots[0]),
            workspace_folders=[types.WorkspaceFolder(uri=uri(r), name=r.name) for r in roots],
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


async def test_workspace_diagnostics_cover_files_never_opened(
    client: LanguageClient, project: Path
):
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


def open_document(client: LanguageClient, path: Path) -> str:
    text = path.read_text()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="python", version=1, text=text
            )
        )
    )
    return text


def edit(
    client: LanguageClient, path: Path, version: int, line: int, start: int, end: int, text: str
) -> None:
    """One incremental change, as an editor sends on a keystroke."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=line, character=start),
                        end=types.Position(line=line, character=end),
                    ),
                    text=text,
                )
            ],
        )
    )


def position_of(text: str, needle: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines()):
        if needle in line:
            return number, line.index(needle)
    raise AssertionError(needle)


async def test_keystroke_edit_updates_diagnostics(client: LanguageClient, project: Path):
    sku = project / "shop/migrations/0003_sku.py"
    await wait_until(client, lambda: "DM201" in codes(client, sku))
    text = open_document(client, sku)
    line, col = position_of(text, "RunPython(forwards")
    insert_at = col + len("RunPython(forwards")
    for version, char in enumerate(", migrations.RunPython.noop", start=2):
        edit(client, sku, version, line, insert_at, insert_at, char)
        insert_at += 1
    await wait_until(client, lambda: codes(client, sku) == ["DM101"])


async def test_graph_change_in_one_file_updates_another(client: LanguageClient, project: Path):
    sku = project / "shop/migrations/0003_sku.py"
    price = project / "shop/migrations/0003_price.py"
    await wait_until(client, lambda: codes(client, price) == ["DM101"])
    text = open_document(client, price)
    line, col = position_of(text, "'0002_product'")
    edit(client, price, 2, line, col, col + len("'0002_product'"), "'0003_sku'")
    await wait_until(client, lambda: codes(client, price) == [] and codes(client, sku) == ["DM201"])
    # Closing the document reverts to the disk version: the conflict is back.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(price)))
    )
    await wait_until(client, lambda: codes(client, price) == ["DM101"])


async def test_syntax_error_mid_typing_keeps_the_last_good_graph(
    client: LanguageClient, project: Path
):
    sku = project / "shop/migrations/0003_sku.py"
    price = project / "shop/migrations/0003_price.py"
    await wait_until(client, lambda: codes(client, price) == ["DM101"])
    text = open_document(client, price)
    line, col = position_of(text, "dependencies = [")
    edit(client, price, 2, line, col, col, "(((")
    edit(client, price, 3, line, col, col + 3, "")
    line, col = position_of(text, "'0002_product'")
    edit(client, price, 4, line, col, col + len("'0002_product'"), "'0003_sku'")
    await wait_until(client, lambda: codes(client, price) == [] and codes(client, sku) == ["DM201"])
    edit(client, price, 5, 0, 0, 0, "def broken(:\n")
    # No spurious graph errors while the file does not parse: dependents stay quiet.
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(price)),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not result
    assert codes(client, sku) == ["DM201"]
    assert codes(client, price) == []


async def test_watched_file_changes_update_the_graph(client: LanguageClient, project: Path):
    sku = project / "shop/migrations/0003_sku.py"
    price = project / "shop/migrations/0003_price.py"
    await wait_until(client, lambda: codes(client, price) == ["DM101"])
    merge = project / "shop/migrations/0004_merge.py"
    merge.write_text(migration(deps=[("shop", "0003_price"), ("shop", "0003_sku")]))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(merge), type=types.FileChangeType.Created)]
        )
    )
    await wait_until(client, lambda: codes(client, price) == [] and codes(client, sku) == ["DM201"])
    merge.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(merge), type=types.FileChangeType.Deleted)]
        )
    )
    await wait_until(client, lambda: codes(client, price) == ["DM101"])


@pytest.mark.parametrize("capabilities", CLIENTS)
async def test_a_module_read_for_a_base_class_is_watched(
    bare_client: LanguageClient, tmp_path: Path, capabilities: str
):
    """``tracking/models.py`` derives from ``base_models.Logged``: the server asks a client
    that registers watchers dynamically to watch that module too, and a change of it on
    disk (a ``git checkout``) brings DM401 to the model, as ``makemigrations`` would.
    (Neovim's capabilities here have no dynamic registration: the event is sent anyway,
    as a client watching by its own means would.)"""
    root = make_project(tmp_path, TRACKING, installed_apps=["tracking"])
    caps = client_capabilities(capabilities)
    await start(bare_client, root, caps)
    models = root / "tracking/models.py"
    base = root / "tracking/base_models.py"
    dynamic = caps.workspace.did_change_watched_files.dynamic_registration  # type: ignore[union-attr]
    async with asyncio.timeout(15):  # no diagnostics to wait for: the requests are polled
        while dynamic and not any(
            w["globPattern"] == "**/tracking/base_models.py"
            for r in bare_client.registrations
            for w in r.register_options["watchers"]  # type: ignore[index]
        ):
            await asyncio.sleep(0.05)
    if not dynamic:
        assert bare_client.registrations == []  # it is never asked to watch
    assert codes(bare_client, models) == []
    base.write_text(TRACKING_BASE.replace("DateTimeField()", "DateTimeField(null=True)"))
    bare_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(base), type=types.FileChangeType.Changed)]
        )
    )
    await wait_until(bare_client, lambda: codes(bare_client, models) == ["DM401"])


async def test_malformed_request_gets_an_error_and_the_server_keeps_serving(
    client: LanguageClient, project: Path
):
    price = project / "shop/migrations/0003_price.py"
    await wait_until(client, lambda: codes(client, price) == ["DM101"])
    # Sent raw, as a buggy client would: the range does not deserialize.
    future: concurrent.futures.Future = concurrent.futures.Future()
    client.protocol._request_futures["bad-1"] = future
    client.protocol._send_data(
        {
            "jsonrpc": "2.0",
            "id": "bad-1",
            "method": "textDocument/codeAction",
            "params": {"textDocument": {"uri": uri(price)}, "range": "nonsense", "context": {}},
        }
    )
    with pytest.raises(Exception, match="Invalid Params"):
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    unknown = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri="untitled:Untitled-1"),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not unknown


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def bare_client(lsp_client: LanguageClient):
    """A client each test initializes itself, with the capabilities it needs."""
    yield
    await lsp_client.shutdown_session()


def pull_capabilities() -> types.ClientCapabilities:
    capabilities = client_capabilities("visual-studio-code")
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
        related_document_support=True
    )
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
        refresh_support=True
    )
    capabilities.window.work_done_progress = True
    return capabilities


async def test_pull_client_gets_workspace_diagnostics_and_no_pushes(
    bare_client: LanguageClient, project: Path
):
    await start(bare_client, project, pull_capabilities())
    sku = project / "shop/migrations/0003_sku.py"
    async with asyncio.timeout(15):
        while True:
            report = await bare_client.workspace_diagnostic_async(
                types.WorkspaceDiagnosticParams(previous_result_ids=[])
            )
            by_uri = {item.uri: item for item in report.items}
            if uri(sku) in by_uri:
                break
    assert sorted(d.code for d in by_uri[uri(sku)].items) == ["DM101", "DM201"]
    document = await bare_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri(sku)))
    )
    assert sorted(d.code for d in document.items) == ["DM101", "DM201"]
    unchanged = await bare_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri(sku)),
            previous_result_id=document.result_id,
        )
    )
    assert unchanged.kind == "unchanged"
    assert bare_client.diagnostics == {}
    # Indexing reported work-done progress with percentages.
    (reports,) = bare_client.progress_reports.values()
    assert reports[0].kind == "begin" and reports[-1].kind == "end"
    assert any(getattr(r, "percentage", None) for r in reports[1:-1])


async def test_invalid_configuration_is_reported_once_and_defaults_used(
    bare_client: LanguageClient, project: Path
):
    await start(
        bare_client,
        project,
        client_capabilities("neovim"),
        options={"select": "DM201", "severity": {"DM201": "loud"}},
    )
    sku = project / "shop/migrations/0003_sku.py"
    await wait_until(bare_client, lambda: codes(bare_client, sku) == ["DM101", "DM201"])
    (message,) = bare_client.messages
    assert "invalid configuration" in message.message
    assert "'select'" in message.message and "DM201 = 'loud'" in message.message


async def test_options_select_and_severity_apply(bare_client: LanguageClient, project: Path):
    await start(
        bare_client,
        project,
        client_capabilities("neovim"),
        options={"select": ["DM201"], "severity": {"DM201": "error"}},
    )
    sku = project / "shop/migrations/0003_sku.py"
    await wait_until(bare_client, lambda: codes(bare_client, sku) == ["DM201"])
    (diagnostic,) = bare_client.diagnostics[uri(sku)]
    assert diagnostic.severity == types.DiagnosticSeverity.Error


async def test_several_workspace_folders(bare_client: LanguageClient, tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = make_project(tmp_path / "a", SHOP)
    second = make_project(tmp_path / "b", {
        "blog/migrations/__init__.py": "",
        "blog/migrations/0001_initial.py": migration(deps=[("blog", "0000_gone")]),
    })  # fmt: skip
    await start(bare_client, [first, second], client_capabilities("visual-studio-code"))
    blog = second / "blog/migrations/0001_initial.py"
    sku = first / "shop/migrations/0003_sku.py"
    await wait_until(bare_client, lambda: codes(bare_client, blog) and codes(bare_client, sku))
    assert codes(bare_client, blog) == ["DM102"]


# -- code actions ---------------------------------------------------------------------------


def apply_text_edits(text: str, edits) -> str:
    """Apply LSP ``TextEdit``s (ASCII text: UTF-16 columns are characters)."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        return offsets[position.line] + position.character

    for edit_ in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit_.range.start)] + edit_.new_text + text[offset(edit_.range.end) :]
    return text


async def actions_at(client: LanguageClient, path: Path, line: int) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line, character=0),
            ),
            context=types.CodeActionContext(
                diagnostics=list(client.diagnostics.get(uri(path), []))
            ),
        )
    )
    return list(result or [])


async def resolved(client: LanguageClient, action: types.CodeAction) -> types.WorkspaceEdit:
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None
    return action.edit


def edits_for(edit: types.WorkspaceEdit, target: str) -> list[types.TextEdit]:
    if edit.changes:
        return list(edit.changes.get(target, []))
    return [
        e
        for change in edit.document_changes or []
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == target
        for e in change.edits
    ]


async def test_add_reverse_noop_quick_fix(client: LanguageClient, project: Path):
    sku = project / "shop/migrations/0003_sku.py"
    await wait_until(client, lambda: "DM201" in codes(client, sku))
    text = sku.read_text()
    line, _ = position_of(text, "RunPython(forwards)")
    actions = await actions_at(client, sku, line)
    titles = [a.title for a in actions]
    assert "Add reverse noop" in titles and "Ignore DM201 on this line" in titles
    noop = next(a for a in actions if a.title == "Add reverse noop")
    assert noop.is_preferred and noop.kind == types.CodeActionKind.QuickFix
    assert noop.diagnostics[0].code == "DM201"
    fixed = apply_text_edits(text, edits_for(await resolved(client, noop), uri(sku)))
    assert "migrations.RunPython(forwards, migrations.RunPython.noop)" in fixed
    sku.write_text(fixed)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(sku), type=types.FileChangeType.Changed)]
        )
    )
    await wait_until(client, lambda: codes(client, sku) == ["DM101"])


async def test_ignore_on_this_line_quick_fix(client: LanguageClient, project: Path):
    sku = project / "shop/migrations/0003_sku.py"
    await wait_until(client, lambda: "DM201" in codes(client, sku))
    text = open_document(client, sku)
    line, _ = position_of(text, "RunPython(forwards)")
    action = next(
        a for a in await actions_at(client, sku, line) if a.title == "Ignore DM201 on this line"
    )
    fixed = apply_text_edits(text, edits_for(await resolved(client, action), uri(sku)))
    assert "# noqa: DM201" in fixed.splitlines()[line]
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(sku), version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    await wait_until(client, lambda: codes(client, sku) == ["DM101"])


async def test_create_merge_migration_quick_fix(client: LanguageClient, project: Path):
    price = project / "shop/migrations/0003_price.py"
    await wait_until(client, lambda: codes(client, price) == ["DM101"])
    line, _ = position_of(price.read_text(), "class Migration")
    actions = await actions_at(client, price, line)
    merge = next(a for a in actions if a.title.startswith("Create merge migration"))
    assert merge.title == "Create merge migration 0004_merge_0003_price_0003_sku"
    edit = await resolved(client, merge)
    created = [c for c in edit.document_changes or [] if isinstance(c, types.CreateFile)]
    target = project / "shop/migrations/0004_merge_0003_price_0003_sku.py"
    assert [c.uri for c in created] == [uri(target)]
    target.write_text(apply_text_edits("", edits_for(edit, uri(target))))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(target), type=types.FileChangeType.Created)]
        )
    )
    await wait_until(client, lambda: codes(client, price) == [])
    assert "('shop', '0003_price')" in target.read_text()


def without_file_creation() -> types.ClientCapabilities:
    """Neovim's capabilities without the ``create`` resource operation (as Emacs' eglot)."""
    capabilities = client_capabilities("neovim")
    capabilities.workspace.workspace_edit.resource_operations = []
    return capabilities


async def run_command(client: LanguageClient, action: types.CodeAction) -> Any:
    """Execute the command of a code action, as the editor does once the user picked it."""
    assert action.kind == types.CodeActionKind.QuickFix and action.edit is None
    assert action.command is not None
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments
        )
    )


async def test_merge_without_file_creation_support_runs_a_command(
    bare_client: LanguageClient, project: Path
):
    await start(bare_client, project, without_file_creation())
    price = project / "shop/migrations/0003_price.py"
    await wait_until(bare_client, lambda: codes(bare_client, price) == ["DM101"])
    line, _ = position_of(price.read_text(), "class Migration")
    merge = next(
        a
        for a in await actions_at(bare_client, price, line)
        if a.title.startswith("Create merge migration")
    )
    assert merge.command is not None and merge.command.command == "djmig.createMergeMigration"
    written = await run_command(bare_client, merge)
    assert Path(written).name == "0004_merge_0003_price_0003_sku.py" and Path(written).is_file()
    await wait_until(bare_client, lambda: codes(bare_client, price) == [])


NOT_NULL = {
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": migration(
        initial=True,
        ops='migrations.CreateModel("Product", [("id", models.AutoField(primary_key=True))])',
    ),
    "shop/migrations/0002_product_sku.py": migration(
        deps=[("shop", "0001_initial")],
        ops='migrations.AddField("product", "sku", models.CharField(max_length=8))',
    ),
    "shop/migrations/0003_order.py": migration(deps=[("shop", "0002_product_sku")]),
}


async def split_action(
    client: LanguageClient, root: Path, capabilities: types.ClientCapabilities
) -> tuple[Path, types.CodeAction]:
    """Start on ``root`` (``NOT_NULL``): the DM203 migration and its split action."""
    await start(client, root, capabilities)
    sku = root / "shop/migrations/0002_product_sku.py"
    await wait_until(client, lambda: codes(client, sku) == ["DM203"])
    line, _ = position_of(sku.read_text(), "migrations.AddField")
    (split,) = [
        a
        for a in await actions_at(client, sku, line)
        if a.title == "Split into nullable + backfill + NOT NULL"
    ]
    return sku, split


async def shown_message(client: LanguageClient) -> None:
    async with asyncio.timeout(15):
        while not client.messages:
            await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)


async def test_split_without_file_creation_support_writes_files_and_applies_edits(
    bare_client: LanguageClient, tmp_path: Path
):
    """The split creates two migrations and edits two: the server writes the new files and
    has the client apply the edits (``workspace/applyEdit``), as Emacs' eglot needs."""
    root = make_project(tmp_path, NOT_NULL)
    applied: list[types.WorkspaceEdit] = []

    @bare_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        applied.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    sku, split = await split_action(bare_client, root, without_file_creation())
    assert split.command is not None and split.command.command == "djmig.applyFix"
    written = await run_command(bare_client, split)
    assert [Path(p).name for p in written] == [
        "0004_backfill_product_sku.py",
        "0005_alter_product_sku.py",
    ]
    assert "migrations.RunPython(" in Path(written[0]).read_text()
    assert "migrations.AlterField(" in Path(written[1]).read_text()
    (edit,) = applied
    edited = {
        change.text_document.uri: change.edits for change in edit.document_changes or []
    } or dict(edit.changes or {})
    order = root / "shop/migrations/0003_order.py"
    assert set(edited) == {uri(sku), uri(order)}
    for path in (sku, order):  # the editor applies the edits and saves
        path.write_text(apply_text_edits(path.read_text(), edited[uri(path)]))
    assert "('shop', '0005_alter_product_sku')" in order.read_text()
    code, output = django_migrate(root)
    assert code == 0, output
    bare_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=uri(path), type=types.FileChangeType.Changed)
                for path in (sku, order)
            ]
        )
    )
    await wait_until(bare_client, lambda: codes(bare_client, sku) == [])


async def test_split_edits_the_editor_refuses_are_reported(bare_client: LanguageClient, tmp_path):
    root = make_project(tmp_path, NOT_NULL)

    @bare_client.feature(types.WORKSPACE_APPLY_EDIT)
    def refuse(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return types.ApplyWorkspaceEditResult(applied=False, failure_reason="read-only")

    _, split = await split_action(bare_client, root, without_file_creation())
    assert len(await run_command(bare_client, split)) == 2
    await shown_message(bare_client)
    (message,) = bare_client.messages
    assert message.type == types.MessageType.Warning
    assert message.message == (
        "djmig: Split into nullable + backfill + NOT NULL: the editor did not apply the edits "
        "of 0002_product_sku.py, 0003_order.py: read-only"
    )


async def test_split_is_not_half_applied_by_a_client_without_workspace_edits(
    bare_client: LanguageClient, tmp_path
):
    root = make_project(tmp_path, NOT_NULL)
    capabilities = without_file_creation()
    capabilities.workspace.apply_edit = False
    sku, split = await split_action(bare_client, root, capabilities)
    assert await run_command(bare_client, split) == []
    assert sorted(p.name for p in sku.parent.glob("000*.py")) == [
        "0001_initial.py", "0002_product_sku.py", "0003_order.py"
    ]  # fmt: skip
    await shown_message(bare_client)
    assert [m.message for m in bare_client.messages] == [
        "djmig: Split into nullable + backfill + NOT NULL: the editor does not accept edits "
        "from the server"
    ]


async def test_show_graph_command(bare_client: LanguageClient, project: Path):
    await start(bare_client, project, client_capabilities("neovim"))
    price = project / "shop/migrations/0003_price.py"
    await wait_until(bare_client, lambda: codes(bare_client, price) == ["DM101"])
    graph = await bare_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="djmig.showGraph", arguments=[uri(project), "json"])
    )
    assert '"leaf_nodes"' in graph and "0003_price" in graph


async def test_bad_files_and_documents_outside_the_workspace(
    client: LanguageClient, project: Path, tmp_path: Path
):
    sku = project / "shop/migrations/0003_sku.py"
    (project / "shop/migrations/0005_latin.py").write_bytes(b"x = '\xe9t\xe9'\n")
    await wait_until(client, lambda: "DM201" in codes(client, sku))
    outside = tmp_path / "elsewhere" / "0001_initial.py"
    outside.parent.mkdir()
    outside.write_text("class Migration(:\n")
    open_document(client, outside)
    edit(client, outside, 2, 0, 0, 0, "# still broken\n")
    # The server keeps serving: a request after all that is answered.
    line, _ = position_of(sku.read_text(), "RunPython(forwards)")
    assert any(a.title == "Add reverse noop" for a in await actions_at(client, sku, line))
    assert uri(outside) not in client.diagnostics


async def test_deleting_an_open_file(client: LanguageClient, project: Path):
    sku = project / "shop/migrations/0003_sku.py"
    price = project / "shop/migrations/0003_price.py"
    await wait_until(client, lambda: codes(client, price) == ["DM101"])
    open_document(client, sku)
    sku.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(sku), type=types.FileChangeType.Deleted)]
        )
    )
    # The editor still holds the buffer: it stays in the graph until closed.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(sku)))
    )
    await wait_until(client, lambda: codes(client, price) == [] and codes(client, sku) == [])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
def test_published_diagnostics_json_is_what_lsprotocol_serialises(tmp_path: Path, encoding):
    """The server builds ``publishDiagnostics`` params as JSON directly (fast path); they
    must be exactly what lsprotocol and cattrs produce from the ``Diagnostic`` objects."""
    from djmig.analysis import Workspace
    from djmig.lsp.convert import to_diagnostic, to_diagnostic_json
    from pygls.protocol import default_converter

    emoji = "migrations.RunSQL(\"SELECT '\U0001f600'\", migrations.RunSQL.noop), "
    files = {**SHOP}
    files["shop/migrations/0003_sku.py"] = files["shop/migrations/0003_sku.py"].replace(
        "        migrations.RunPython(forwards)",
        "        " + emoji + "migrations.RunPython(forwards)",
    )
    files["depot/migrations/__init__.py"] = ""
    files["depot/migrations/0001_initial.py"] = migration(
        deps=[("shop", "0002_prodcut"), ("x", "1")]
    )
    root = make_project(tmp_path, files)
    workspace = Workspace(root)
    workspace.load()
    analysis = workspace.analyze()
    findings = [f for found in analysis.by_path.values() for f in found]
    assert {"DM101", "DM102", "DM104", "DM201"} <= {f.code for f in findings}
    assert any(f.related for f in findings) and any(f.fixes for f in findings)

    def lines_of(path: Path):
        return workspace.lines_of(path)

    converter = default_converter()
    for finding in findings:
        lines = lines_of(finding.path)
        expected = converter.unstructure(to_diagnostic(finding, lines, encoding, lines_of))
        assert to_diagnostic_json(finding, lines, encoding, lines_of) == expected
    params = types.PublishDiagnosticsParams(uri="file:///x.py", version=None, diagnostics=[])
    assert converter.unstructure(params) == {"uri": "file:///x.py", "diagnostics": []}


#: ``djmig serve`` with a failure injected where ``didSave`` asks whether a file is analysed.
FAILING_SAVE = [
    sys.executable,
    "-c",
    "import sys\n"
    "from djmig.analysis import Workspace\n"
    "tracks = Workspace.tracks\n"
    "def failing(self, path):\n"
    "    if path.name == 'boom.py':\n"
    "        raise RuntimeError('injected failure')\n"
    "    return tracks(self, path)\n"
    "Workspace.tracks = failing\n"
    "from djmig.cli import main\n"
    "sys.exit(main(['serve']))\n",
]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=FAILING_SAVE, server_env=ENV))
async def failing_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_a_failing_notification_handler_is_logged_with_its_traceback(
    failing_client: LanguageClient, project: Path
):
    """pygls shows only the message of an async notification handler's exception and logs
    nothing: the server logs the traceback (``window/logMessage``) and keeps serving."""
    await start(failing_client, project, client_capabilities("visual-studio-code"))
    sku = project / "shop/migrations/0003_sku.py"
    await wait_until(failing_client, lambda: codes(failing_client, sku))
    failing_client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(project / "shop/boom.py"))
        )
    )
    async with asyncio.timeout(15):
        while not any("did_save" in m.message for m in failing_client.log_messages):
            await failing_client.wait_for_notification(types.WINDOW_LOG_MESSAGE)
    (logged,) = [m for m in failing_client.log_messages if "did_save" in m.message]
    assert logged.type == types.MessageType.Error
    assert "Traceback" in logged.message and "RuntimeError: injected failure" in logged.message
    assert not [m for m in failing_client.messages if "Error in server" in m.message]
    actions = await failing_client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(sku)),
            range=failing_client.diagnostics[uri(sku)][0].range,
            context=types.CodeActionContext(diagnostics=failing_client.diagnostics[uri(sku)]),
        )
    )
    assert actions  # still serving


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    """A synthetic project (``bench/generate.py``) with findings in some 300 files."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate

    root = tmp_path / "generated"
    generate(root, 12, 80, seed=1)
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def generated_client(lsp_client: LanguageClient, generated: Path):
    await start(lsp_client, generated, client_capabilities("neovim"))
    yield
    await lsp_client.shutdown_session()


async def test_diagnostics_taking_several_writes_arrive_whole(
    generated_client: LanguageClient, generated: Path
):
    """The first diagnostics of a workspace are written ``WRITE_SIZE`` bytes at a time:
    every file's arrive, as the engine finds them."""
    analysis = analyze_workspace(generated, Config(cache=False))
    expected = {
        uri(path): sorted((f.code, f.span.start_line, f.message) for f in found)
        for path, found in analysis.by_path.items()
    }
    assert len(json.dumps(expected)) > WRITE_SIZE  # less than what is published

    def received() -> dict[str, list[tuple[str, int, str]]]:
        return {
            document: sorted((str(d.code), d.range.start.line, d.message) for d in found)
            for document, found in generated_client.diagnostics.items()
            if found
        }

    await wait_until(generated_client, lambda: received() == expected)


def test_serve_over_tcp_publishes_the_workspace_and_exits(tmp_path: Path) -> None:
    """``djmig serve --tcp``: an editor connects to the port, initializes, and receives the
    diagnostics of every file with findings (written to the socket at once); ``exit``
    ends the server."""
    root = make_project(tmp_path, SHOP)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*SERVER, "--tcp", f"127.0.0.1:{port}"], env=ENV, stderr=subprocess.PIPE
    )
    try:
        for _ in range(300):  # the server imports pygls before it listens
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=15)
                break
            except ConnectionRefusedError:
                assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
                time.sleep(0.05)
        else:
            raise AssertionError("the server never listened")
        stream = connection.makefile("rwb")

        def send(message: dict[str, Any]) -> None:
            body = json.dumps({"jsonrpc": "2.0", **message}).encode()
            stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stream.flush()

        def receive() -> dict[str, Any]:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None, "the connection closed"
            message: dict[str, Any] = json.loads(stream.read(length))
            return message

        send({"id": 1, "method": "initialize",
              "params": {"processId": None, "rootUri": uri(root), "capabilities": {}}})  # fmt: skip
        while "id" not in (reply := receive()):
            pass
        assert reply["result"]["capabilities"]["codeActionProvider"]
        send({"method": "initialized", "params": {}})
        published: dict[str, list[str]] = {}
        migrations = root / "shop" / "migrations"
        expected = {
            uri(migrations / "0003_sku.py"): ["DM101", "DM201"],
            uri(migrations / "0003_price.py"): ["DM101"],
        }
        while published != expected:
            message = receive()
            if message.get("method") == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                params = message["params"]
                published[params["uri"]] = sorted(d["code"] for d in params["diagnostics"])
        send({"id": 2, "method": "shutdown"})
        while receive().get("id") != 2:
            pass
        send({"method": "exit"})
        assert server.wait(timeout=15) == 0
        connection.close()
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
