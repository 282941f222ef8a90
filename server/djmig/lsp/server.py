"""pygls wiring: every handler converts positions, calls the engine, converts results.

Diagnostics are pushed (``publishDiagnostics``) for every migration, models and settings
file of every workspace folder, unless the client pulls both document and workspace
diagnostics, in which case they are served by pull only (VS Code shows both collections
otherwise).
Only files whose findings changed are republished.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification

from djmig import __version__, export
from djmig.analysis import Workspace
from djmig.config import Config, load_pyproject, merge
from djmig.index import worker
from djmig.keys import AppliedState, SourceLines
from djmig.lsp import actions, database, early, navigation
from djmig.lsp.convert import (
    from_range,
    path_to_uri,
    same_lines,
    to_diagnostic,
    to_diagnostic_json,
    uri_to_path,
)
from djmig.rules import Finding

logger = logging.getLogger(__name__)

WATCHED = (
    "**/migrations/*.py", "**/models.py", "**/models/*.py", "**/settings.py",
    "**/settings/*.py", "**/pyproject.toml", "**/apps.py", "**/manage.py",
)  # fmt: skip
#: Seconds ``shutdown`` waits for a cache still being written.
WRITER_TIMEOUT = 10.0
#: Bytes of diagnostics ``publish`` writes at a time (a pipe holds 64 KiB).
WRITE_SIZE = 64 * 1024
_RELOAD_NAMES = {"pyproject.toml", "apps.py", "manage.py", "settings.py", "__init__.py"}
_IGNORED = JsonRPCNotification(method="$/djmig/ignored", jsonrpc="2.0", params=None)


class DjmigProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        """Answer a request whose params do not deserialize (pygls 2.1 drops it silently)."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], None, error.to_response_error())
                return _IGNORED
            raise


class DjmigServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "djmig",
            __version__,
            protocol_cls=DjmigProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.folders: list[Path] = []
        self.options: dict[str, Any] = {}
        self.settings_by_root: dict[Path, dict[str, Any]] = {}
        self.workspaces: dict[Path, Workspace] = {}
        self.current: dict[str, list[Finding]] = {}  # published findings, non-empty only
        self.uris_of_root: dict[Path, set[str]] = {}
        self.pull = False
        self.ready = asyncio.Event()
        self.db_reads = database.DatabaseReads(self)
        self.writers: list[threading.Thread] = []  # forked children writing caches
        #: Modules read for base classes that the client watches for us (``watch_more``).
        self.watched: set[Path] = set()
        self.registering: set[asyncio.Task[None]] = set()

    # -- capabilities ------------------------------------------------------------------------

    def client_supports(self, dotted: str) -> Any:
        value: Any = self.protocol.client_capabilities
        for part in dotted.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    # -- workspaces ----------------------------------------------------------------------------

    def workspace_for(self, path: Path) -> Workspace | None:
        best = None
        parts = path.parts
        for root, workspace in self.workspaces.items():
            inside = parts[: len(root.parts)] == root.parts  # root == path or an ancestor
            if inside and (best is None or len(root.parts) > len(best.root.parts)):
                best = workspace
        return best

    def config_for(self, root: Path) -> tuple[Config, list[str]]:
        config, errors = load_pyproject(root)
        for options in (self.options, self.settings_by_root.get(root, {})):
            config, more = merge(config, options)
            errors += more
        return config, errors

    async def index(self, root: Path) -> None:
        """(Re)build ``root``'s workspace off the event loop, with work-done progress."""
        config, errors = self.config_for(root)
        if errors:
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message="djmig: invalid configuration, defaults used: " + "; ".join(errors),
                )
            )
        token: str | None = None
        if self.client_supports("window.work_done_progress"):
            token = str(uuid.uuid4())
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(
                    token,
                    types.WorkDoneProgressBegin(
                        title="djmig", message=f"indexing {root.name}", percentage=0
                    ),
                )
            except Exception:
                logger.debug("client refused work-done progress", exc_info=True)
                token = None
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int) -> None:
            if token is not None:
                report = types.WorkDoneProgressReport(
                    message=f"{done}/{total} migrations", percentage=done * 100 // max(total, 1)
                )
                loop.call_soon_threadsafe(self.work_done_progress.report, token, report)

        overlays = self.open_documents(root)

        def build() -> Workspace:
            ahead = None if overlays else early.discovered(root, config)
            workspace = Workspace(root, config, dict(overlays), ahead)
            workspace.load(progress)
            worker.drop_prefetched()  # started ahead for another folder: not needed
            workspace.analyze()  # the rules too, off the event loop: requests are answered
            logger.info(
                "indexed %s: %s",
                root,
                ", ".join(f"{k} {v:.3f}s" for k, v in workspace.timings.items()),
            )
            return workspace

        workspace = await loop.run_in_executor(None, build)
        for path, text in self.open_documents(root).items():
            if overlays.get(path) != text:  # typed while the index was being built
                workspace.update_file(path, text)
        previous = self.workspaces.get(root)
        if previous is not None and previous.database is not None:
            workspace.set_database(previous.database, previous.database_notice)
        self.workspaces[root] = workspace
        self.refresh(workspace, full=True)
        # After the migration diagnostics are out: reading the database never delays them.
        self.db_reads.schedule(root)
        self.db_reads.start_timer(workspace)
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
        # Findings answered from the on-disk snapshot: parse the files now, off the event
        # loop, so the first edit does not wait for it (and republish what differs).
        if workspace.deferred:
            await loop.run_in_executor(None, workspace.ensure_loaded)
            if self.workspaces.get(root) is workspace:
                self.refresh(workspace)
        # Encoded and written by a forked child: the first keystrokes do not wait for it.
        save = functools.partial(workspace.save_cache, background=True)
        writer = await loop.run_in_executor(None, save)
        self.writers = [w for w in self.writers if w.is_alive()]
        if writer is not None:
            self.writers.append(writer)

    def open_documents(self, root: Path) -> dict[Path, str]:
        """The editor buffers of files under ``root``."""
        found = {}
        for document in list(self.workspace.text_documents.values()):
            path = uri_to_path(document.uri)
            if path and root in path.parents:
                found[path] = document.source
        return found

    # -- diagnostics ------------------------------------------------------------------------

    def watch_more(self, workspace: Workspace) -> None:
        """Have the client watch the modules the rules read base classes from (``core/
        abstract.py``), which ``WATCHED`` does not cover: a ``git checkout`` of one is then
        seen like one of a models module."""
        new = sorted(set(workspace.support_paths()) - self.watched)
        if not new or not self.client_supports(
            "workspace.did_change_watched_files.dynamic_registration"
        ):
            return
        self.watched.update(new)
        watchers = [
            types.FileSystemWatcher(glob_pattern=f"**/{p.relative_to(workspace.root).as_posix()}")
            for p in new
            if p.is_relative_to(workspace.root)
        ]
        if not watchers:
            return
        registration = types.Registration(
            id=f"djmig-watch-{len(self.watched)}",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )

        async def register() -> None:
            try:
                await self.client_register_capability_async(
                    types.RegistrationParams(registrations=[registration])
                )
            except Exception:
                logger.warning("could not register file watchers", exc_info=True)

        try:
            task = asyncio.get_running_loop().create_task(register())
        except RuntimeError:  # not on the event loop: the next refresh there registers them
            self.watched.difference_update(new)
            return
        self.registering.add(task)
        task.add_done_callback(self.registering.discard)

    def refresh(self, workspace: Workspace, full: bool = False) -> None:
        """Publish what changed. ``full``: ``workspace`` replaces an earlier one of the same
        root (a re-index), so every file is compared with what was published."""
        analysis = workspace.analyze()
        self.watch_more(workspace)
        for message in workspace.rule_errors:
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=message)
            )
        workspace.rule_errors.clear()
        paths = analysis.by_path.keys() if full else analysis.changed
        new = {path_to_uri(path): analysis.by_path.get(path, []) for path in paths}
        uris = self.uris_of_root.setdefault(workspace.root, set())
        if full:
            new.update({uri: [] for uri in uris - new.keys()})
        changed = [uri for uri, found in new.items() if self.current.get(uri, []) != found]
        for uri, found in new.items():
            if found:
                self.current[uri] = found
                uris.add(uri)
            else:
                self.current.pop(uri, None)
                uris.discard(uri)
        if not changed:
            return
        if self.pull:
            if self.client_supports("workspace.diagnostics.refresh_support"):
                self.workspace_diagnostic_refresh(None)
            return
        self.publish(*changed)

    def publish(self, *uris: str) -> None:
        """``textDocument/publishDiagnostics`` of each of ``uris``, the messages built as
        JSON (``convert.to_diagnostic_json``: for a whole workspace, lsprotocol's objects
        and cattrs took several times longer) and written to the client in writes of
        ``WRITE_SIZE`` bytes: the client reads one while the next is built (one write of
        the benchmark's 2.8 MB made it wait for all of them, ~0.05 s; a write per file
        costs a flush each)."""
        writer = self.protocol.writer
        if len(uris) == 1 or writer is None:
            for uri in uris:
                self.protocol._send_data(self._publication(uri))
            return
        chunks: list[bytes] = []
        size = 0
        try:  # stdio's and TCP's writers write at once (pygls' WebSocket one is not used)
            for uri in uris:
                body = json.dumps(self._publication(uri)).encode()
                chunks += [b"Content-Length: %d\r\n\r\n" % len(body), body]
                size += len(body)
                if size >= WRITE_SIZE:
                    writer.write(b"".join(chunks))
                    chunks, size = [], 0
            if chunks:
                writer.write(b"".join(chunks))
        except BrokenPipeError:
            logger.warning("the client closed the connection: diagnostics not sent")

    def _publication(self, uri: str) -> dict[str, Any]:
        findings = self.current.get(uri, [])
        document = self.workspace.text_documents.get(uri)
        params: dict[str, Any] = {"uri": uri, "diagnostics": []}
        if findings:
            lines = self.lines_of(findings[0].path)
            params["diagnostics"] = [
                to_diagnostic_json(f, lines, self.encoding, self.lines_of) for f in findings
            ]
        if document is not None and document.version is not None:
            params["version"] = document.version
        # A plain dict, not pygls' message object: cattrs would walk the whole payload again.
        method = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
        return {"jsonrpc": "2.0", "method": method, "params": params}

    def lines_of(self, path: Path) -> SourceLines:
        workspace = self.workspace_for(path)
        lines = workspace.lines_of(path) if workspace is not None else None
        return lines if lines is not None else SourceLines("")

    def applied_for(self, workspace: Workspace) -> AppliedState | None:
        """The applied state of migrations, for hovers and graphs: None when the database
        was not read."""
        return database.AppliedMigrations(workspace) if workspace.database is not None else None

    def diagnostics(self, uri: str, findings: list[Finding]) -> list[types.Diagnostic]:
        if not findings:
            return []
        lines = self.lines_of(findings[0].path)
        return [to_diagnostic(f, lines, self.encoding, self.lines_of) for f in findings]


def _logged(handler: Callable[[DjmigServer, Any], Awaitable[None]]) -> Any:
    """An async notification handler whose exception is logged with its traceback (pygls
    only shows the client its message, and logs nothing)."""

    @functools.wraps(handler)
    async def run(ls: DjmigServer, params: Any) -> None:
        try:
            await handler(ls, params)
        except Exception:
            logger.exception("handling %s failed", handler.__name__)

    return run


server = DjmigServer()


def _result_id(findings: list[Finding]) -> str:
    return hashlib.sha1(repr(findings).encode()).hexdigest()[:16]


@server.feature(types.INITIALIZE)
def initialize(ls: DjmigServer, params: types.InitializeParams) -> None:
    folders = [uri_to_path(f.uri) for f in params.workspace_folders or []]
    if not folders and params.root_uri:
        folders = [uri_to_path(params.root_uri)]
    if not folders and params.root_path:
        folders = [Path(params.root_path)]
    ls.folders = [f.resolve() for f in folders if f is not None]
    options = params.initialization_options
    ls.options = options if isinstance(options, dict) else {}
    mode = ls.options.pop("diagnosticMode", "auto")
    supports_pull = bool(
        ls.client_supports("text_document.diagnostic")
        and ls.client_supports("workspace.diagnostics")
    )
    ls.pull = mode == "pull" or (mode == "auto" and supports_pull)
    if not ls.pull:
        # Pushing: do not offer pull diagnostics either (pygls computes the capabilities
        # after this handler), or a client that pulls documents only (Neovim 0.10+) shows
        # every diagnostic twice, once per collection.
        for method in (types.TEXT_DOCUMENT_DIAGNOSTIC, types.WORKSPACE_DIAGNOSTIC):
            ls.protocol.fm.features.pop(method, None)
            ls.protocol.fm.feature_options.pop(method, None)
    logger.info(
        "djmig %s: folders %s, %s diagnostics",
        __version__,
        ls.folders,
        "pull" if ls.pull else "push",
    )


@server.feature(types.INITIALIZED)
@_logged
async def initialized(ls: DjmigServer, params: types.InitializedParams) -> None:
    if ls.client_supports("workspace.did_change_watched_files.dynamic_registration"):
        watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="djmig-watch",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=watchers
                            ),
                        )
                    ]
                )
            )
        except Exception:
            logger.warning("could not register file watchers", exc_info=True)
    await fetch_configuration(ls)
    await asyncio.gather(*(ls.index(root) for root in ls.folders))
    ls.ready.set()


async def fetch_configuration(ls: DjmigServer) -> None:
    if not ls.client_supports("workspace.configuration"):
        return
    try:
        results = await ls.workspace_configuration_async(
            types.ConfigurationParams(
                items=[
                    types.ConfigurationItem(scope_uri=path_to_uri(root), section="djmig")
                    for root in ls.folders
                ]
            )
        )
    except Exception:
        logger.warning("workspace/configuration failed", exc_info=True)
        return
    for root, value in zip(ls.folders, results or []):
        ls.settings_by_root[root] = value if isinstance(value, dict) else {}


@server.feature(types.SHUTDOWN)
async def shutdown(ls: DjmigServer, params: None) -> None:
    """The caches being written when the client asks the server to stop are written."""
    loop = asyncio.get_running_loop()
    for writer in ls.writers:
        await loop.run_in_executor(None, writer.join, WRITER_TIMEOUT)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@_logged
async def did_change_configuration(
    ls: DjmigServer, params: types.DidChangeConfigurationParams
) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("djmig"), dict):
        ls.settings_by_root = {root: settings["djmig"] for root in ls.folders}
    else:
        await fetch_configuration(ls)
    await asyncio.gather(*(ls.index(root) for root in ls.folders))


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
@_logged
async def did_change_folders(
    ls: DjmigServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    for folder in params.event.removed:
        path = uri_to_path(folder.uri)
        if path is not None:
            ls.workspaces.pop(path.resolve(), None)
            ls.db_reads.stop(path.resolve())
            ls.folders = [f for f in ls.folders if f != path.resolve()]
    added = [p.resolve() for p in (uri_to_path(f.uri) for f in params.event.added) if p]
    ls.folders += added
    await asyncio.gather(*(ls.index(root) for root in added))


def _document_changed(ls: DjmigServer, uri: str, text: str | None) -> None:
    path = uri_to_path(uri)
    workspace = ls.workspace_for(path) if path else None
    if path is None or workspace is None:
        return
    if workspace.update_file(path, text):
        ls.refresh(workspace)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: DjmigServer, params: types.DidOpenTextDocumentParams) -> None:
    _document_changed(ls, params.text_document.uri, params.text_document.text)
    uri = params.text_document.uri
    if not ls.pull and uri in ls.current:
        ls.publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: DjmigServer, params: types.DidChangeTextDocumentParams) -> None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    _document_changed(ls, document.uri, document.source)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: DjmigServer, params: types.DidCloseTextDocumentParams) -> None:
    _document_changed(ls, params.text_document.uri, None)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@_logged
async def did_save(ls: DjmigServer, params: types.DidSaveTextDocumentParams) -> None:
    path = uri_to_path(params.text_document.uri)
    workspace = ls.workspace_for(path) if path else None
    if path is None or workspace is None:
        return
    if _needs_reload(workspace, path):
        await ls.index(workspace.root)
    elif workspace.key_for_path(path) is not None or path in workspace.project.settings.files:
        ls.db_reads.schedule(workspace.root)  # before a migrate, perhaps; or DATABASES


def _needs_reload(workspace: Workspace, path: Path) -> bool:
    """Files the project is discovered from; migrations, models and settings modules are
    updated in place instead (``Workspace.update_file``)."""
    if workspace.tracks(path):
        return False
    if path.name in _RELOAD_NAMES:
        return True
    settings = workspace.project.settings.path
    return settings is not None and path.parent == settings.parent


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@_logged
async def did_change_watched_files(
    ls: DjmigServer, params: types.DidChangeWatchedFilesParams
) -> None:
    reload: set[Path] = set()
    touched: set[Path] = set()
    for change in params.changes:
        path = uri_to_path(change.uri)
        workspace = ls.workspace_for(path) if path else None
        if path is None or workspace is None:
            continue
        if _needs_reload(workspace, path):
            reload.add(workspace.root)
        elif change.uri not in ls.workspace.text_documents and workspace.update_file(path, None):
            touched.add(workspace.root)
    for root in touched - reload:
        ls.refresh(ls.workspaces[root])
    await asyncio.gather(*(ls.index(root) for root in reload))


# -- pull diagnostics -----------------------------------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(
        identifier="djmig", inter_file_dependencies=True, workspace_diagnostics=True
    ),
)
def document_diagnostic(
    ls: DjmigServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    uri = params.text_document.uri
    findings = ls.current.get(uri, [])
    result_id = _result_id(findings)
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(
        items=ls.diagnostics(uri, findings), result_id=result_id
    )


@server.feature(types.WORKSPACE_DIAGNOSTIC)
def workspace_diagnostic(
    ls: DjmigServer, params: types.WorkspaceDiagnosticParams
) -> types.WorkspaceDiagnosticReport:
    previous = {p.uri: p.value for p in params.previous_result_ids or []}
    items: list[types.WorkspaceDocumentDiagnosticReport] = []
    cleared: dict[str, list[Finding]] = {uri: [] for uri in previous if uri not in ls.current}
    for uri, findings in {**ls.current, **cleared}.items():
        document = ls.workspace.text_documents.get(uri)
        version = document.version if document else None
        result_id = _result_id(findings)
        if previous.get(uri) == result_id:
            items.append(
                types.WorkspaceUnchangedDocumentDiagnosticReport(
                    uri=uri, version=version, result_id=result_id
                )
            )
        else:
            items.append(
                types.WorkspaceFullDocumentDiagnosticReport(
                    uri=uri,
                    version=version,
                    items=ls.diagnostics(uri, findings),
                    result_id=result_id,
                )
            )
    return types.WorkspaceDiagnosticReport(items=items)


# -- code actions and commands --------------------------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=True
    ),
)
def code_action(ls: DjmigServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    path = uri_to_path(uri)
    workspace = ls.workspace_for(path) if path else None
    if path is None or workspace is None:
        return []
    lines = ls.lines_of(path)
    wanted = from_range(params.range, lines, ls.encoding)
    findings = [f for f in ls.current.get(uri, []) if same_lines(f.span, wanted)]
    return actions.code_actions(ls, workspace, uri, path, findings)


@server.feature(types.CODE_ACTION_RESOLVE)
def resolve_code_action(ls: DjmigServer, action: types.CodeAction) -> types.CodeAction:
    return actions.resolve(ls, action)


@server.command(actions.CREATE_MERGE)
def create_merge_migration(ls: DjmigServer, uri: str, app_label: str) -> str | None:
    return actions.create_merge_on_disk(ls, uri, app_label)


@server.command(actions.APPLY_FIX)
async def apply_fix(ls: DjmigServer, *args: Any) -> list[str]:
    """A fix that creates files, for clients without file creation. Argument: the fix's
    data (``actions._fix_data``); returns the paths written."""
    return await actions.apply_fix(ls, args[0] if args else None)


# -- navigation -----------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: DjmigServer, params: types.DefinitionParams) -> list[types.Location] | None:
    return navigation.definition(ls, params)


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def references(ls: DjmigServer, params: types.ReferenceParams) -> list[types.Location] | None:
    return navigation.references(ls, params)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: DjmigServer, params: types.HoverParams) -> types.Hover | None:
    return navigation.hover(ls, params)


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=navigation.TRIGGER_CHARACTERS),
)
def completion(ls: DjmigServer, params: types.CompletionParams) -> types.CompletionList | None:
    return navigation.completion(ls, params)


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: DjmigServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    """Dependents, then the applied state when the database was read."""
    lenses = navigation.code_lens(ls, params)
    path = uri_to_path(params.text_document.uri)
    workspace = ls.workspace_for(path) if path else None
    if path is not None and workspace is not None:
        lenses += database.code_lenses(ls, workspace, path)
    return lenses


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(
    ls: DjmigServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol] | list[types.SymbolInformation]:
    return navigation.document_symbols(ls, params)


@server.feature(types.WORKSPACE_SYMBOL)
def workspace_symbols(
    ls: DjmigServer, params: types.WorkspaceSymbolParams
) -> list[types.WorkspaceSymbol]:
    return navigation.workspace_symbols(ls, params)


@server.command("djmig.showGraph")
def show_graph(ls: DjmigServer, *args: Any) -> Any:
    """Arguments: optional folder URI, optional format (json|dot|mermaid|svg|html)."""
    uri = args[0] if args and isinstance(args[0], str) else None
    fmt = args[1] if len(args) > 1 and args[1] in export.FORMATS else "json"
    path = uri_to_path(uri) if uri else (ls.folders[0] if ls.folders else None)
    workspace = ls.workspace_for(path) if path else None
    if workspace is None:
        return None
    return export.FORMATS[fmt](workspace.analyze(), None, ls.applied_for(workspace))


@server.command(database.REFRESH)
async def refresh_database(ls: DjmigServer, *args: Any) -> str:
    """Read the database again. Argument: optional folder URI (default: every folder)."""
    await ls.ready.wait()
    path = uri_to_path(args[0]) if args and isinstance(args[0], str) else None
    workspace = ls.workspace_for(path) if path else None
    roots = [workspace.root] if workspace is not None else list(ls.workspaces)
    outcomes = await asyncio.gather(*(ls.db_reads.read(root) for root in roots))
    return "; ".join(outcomes)


@server.command("djmig.reload")
async def reload_all(ls: DjmigServer, *args: Any) -> None:
    await asyncio.gather(*(ls.index(root) for root in ls.folders))


class _ClientLogHandler(logging.Handler):
    """Warnings and errors also go to the client's log (``window/logMessage``)."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # no transport yet, or shutting down
            server.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Error
                    if record.levelno >= logging.ERROR
                    else types.MessageType.Warning,
                    message=self.format(record),
                )
            )


def serve(tcp: str | None = None, verbose: bool = False, stdin: Any = None) -> int:
    logging.getLogger().setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("pygls").setLevel(logging.DEBUG if verbose else logging.WARNING)
    client_log = _ClientLogHandler(level=logging.WARNING)
    logging.getLogger("djmig").addHandler(client_log)
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not port.isdigit():
            print(f"djmig: error: --tcp expects HOST:PORT, got {tcp!r}", file=sys.stderr)
            return 2
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io(stdin)
    return 0
