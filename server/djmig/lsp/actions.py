"""Code actions: djmig fixes as LSP ``CodeAction``s, resolved lazily when the client can.

A fix that creates files (a merge migration, a "Create migration" of DM401, the NOT NULL
split) needs the client's ``create`` resource operation; without it the action runs a
command once the user picked it: the server writes the new files itself and sends the
edits of existing files as ``workspace/applyEdit`` (``djmig.createMergeMigration`` for
the merge, ``djmig.applyFix`` for the others).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from djmig.analysis import Workspace
from djmig.index.source import SourceError, read_source
from djmig.keys import SourceLines
from djmig.lsp.convert import path_to_uri, to_range, uri_to_path
from djmig.rules import Finding

if TYPE_CHECKING:
    from djmig.fixes import Fix
    from djmig.lsp.server import DjmigServer

logger = logging.getLogger(__name__)

CREATE_MERGE = "djmig.createMergeMigration"
APPLY_FIX = "djmig.applyFix"


def _source(ls: DjmigServer, uri: str, path: Path) -> str | None:
    document = ls.workspace.text_documents.get(uri)
    if document is not None:
        return document.source
    try:
        return read_source(path)
    except SourceError:
        return None


def _fixes(
    ls: DjmigServer, workspace: Workspace, uri: str, path: Path, finding: Finding
) -> list[Fix]:
    source = _source(ls, uri, path)
    if source is None:
        return []
    from djmig.fixes import fixes_for  # libcst is imported on the first code action only

    try:
        return fixes_for(finding, source, workspace)
    except Exception:  # a fixer bug must not break the menu
        logger.exception("fixes for %s failed", finding.code)
        return []


def _creates_files(fix: Fix) -> bool:
    return any(edit.create for edit in fix.edits)


def _can_create(ls: DjmigServer) -> bool:
    """Resource operations only exist in ``documentChanges``: a client that lists ``create``
    applies them (Neovim does, without declaring ``documentChanges`` itself)."""
    operations = ls.client_supports("workspace.workspace_edit.resource_operations") or []
    return "create" in operations


def workspace_edit(ls: DjmigServer, fix: Fix) -> types.WorkspaceEdit:
    encoding = ls.encoding
    document_changes: list[Any] = []
    changes: dict[str, list[types.TextEdit]] = {}
    for file_edit in fix.edits:
        uri = path_to_uri(file_edit.path)
        document = ls.workspace.text_documents.get(uri)
        lines = SourceLines(document.source) if document else ls.lines_of(file_edit.path)
        edits = [
            types.TextEdit(range=to_range(e.span, lines, encoding), new_text=e.new_text)
            for e in file_edit.edits
        ]
        changes[uri] = edits
        if file_edit.create:
            document_changes.append(
                types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True))
            )
        document_changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=document.version if document else None
                ),
                edits=edits,
            )
        )
    if _creates_files(fix) or ls.client_supports("workspace.workspace_edit.document_changes"):
        return types.WorkspaceEdit(document_changes=document_changes)
    return types.WorkspaceEdit(changes=changes)


def _action(ls: DjmigServer, uri: str, finding: Finding, fix: Fix, lazy: bool) -> types.CodeAction:
    action = types.CodeAction(
        title=fix.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[ls.diagnostics(uri, [finding])[0]],
        is_preferred=fix.is_preferred or None,
    )
    if _creates_files(fix) and not _can_create(ls):
        # A quick fix that runs a command: clients that list only quick fixes (eglot)
        # show it with the others.
        if fix.title.startswith("Create merge migration"):
            app_label = next((d["app_label"] for d in finding.fixes if "app_label" in d), None)
            command, arguments = CREATE_MERGE, [uri, app_label]
        else:
            command, arguments = APPLY_FIX, [_fix_data(uri, finding, fix)]
        action.command = types.Command(title=fix.title, command=command, arguments=arguments)
    elif fix.disabled:
        action.disabled = types.CodeActionDisabled(reason=fix.disabled)
    elif lazy:
        action.data = _fix_data(uri, finding, fix)
    else:
        action.edit = workspace_edit(ls, fix)
    return action


def _fix_data(uri: str, finding: Finding, fix: Fix) -> dict[str, Any]:
    """What names a fix of a published finding, for ``resolve`` and ``djmig.applyFix``."""
    return {
        "uri": uri,
        "code": finding.code,
        "line": finding.span.start_line,
        "col": finding.span.start_col,
        "title": fix.title,
    }


def code_actions(
    ls: DjmigServer, workspace: Workspace, uri: str, path: Path, findings: list[Finding]
) -> list[types.CodeAction]:
    resolve = ls.client_supports("text_document.code_action.resolve_support.properties") or []
    lazy = "edit" in resolve
    result = []
    disabled = ls.client_supports("text_document.code_action.disabled_support")
    for finding in findings:
        for fix in _fixes(ls, workspace, uri, path, finding):
            if fix.disabled and not disabled:
                continue  # the client cannot show why: leave it out
            result.append(_action(ls, uri, finding, fix, lazy))
    return result


def _published_fix(ls: DjmigServer, data: Any) -> tuple[Workspace, Fix] | None:
    """The fix ``data`` (``_fix_data``) names, of a finding still published."""
    data = data if isinstance(data, dict) else {}
    uri = data.get("uri")
    path = uri_to_path(uri) if isinstance(uri, str) else None
    workspace = ls.workspace_for(path) if path else None
    if path is None or workspace is None or not isinstance(uri, str):
        return None
    for finding in ls.current.get(uri, []):
        if (finding.code, finding.span.start_line, finding.span.start_col) != (
            data.get("code"),
            data.get("line"),
            data.get("col"),
        ):
            continue
        for fix in _fixes(ls, workspace, uri, path, finding):
            if fix.title == data.get("title") and not fix.disabled:
                return workspace, fix
    return None


def resolve(ls: DjmigServer, action: types.CodeAction) -> types.CodeAction:
    found = _published_fix(ls, action.data)
    if found is not None:
        action.edit = workspace_edit(ls, found[1])
    return action


async def apply_fix(ls: DjmigServer, data: Any) -> list[str]:
    """``djmig.applyFix``: write the files the fix creates, then have the client apply
    its edits of existing files (``workspace/applyEdit``); the paths written."""
    found = _published_fix(ls, data)
    if found is None:
        return []
    workspace, fix = found
    others = [e for e in fix.edits if not e.create]
    if others and not ls.client_supports("workspace.apply_edit"):
        _warn(ls, f"djmig: {fix.title}: the editor does not accept edits from the server")
        return []  # half a fix (new files, no edits) would leave the graph broken
    written = _write_created(workspace, fix)
    if written is None:
        return []
    if others:
        edit = workspace_edit(ls, dataclasses.replace(fix, edits=others))
        result = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=fix.title)
        )
        if not result.applied:  # the new files are written: say what is missing
            names = ", ".join(e.path.name for e in others)
            reason = f": {result.failure_reason}" if result.failure_reason else ""
            _warn(ls, f"djmig: {fix.title}: the editor did not apply the edits of {names}{reason}")
    ls.refresh(workspace)
    return [str(p) for p in written]


def _warn(ls: DjmigServer, message: str) -> None:
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))


def _write_created(workspace: Workspace, fix: Fix) -> list[Path] | None:
    """Write the files ``fix`` creates (None, writing nothing, when one exists already)."""
    created = [e for e in fix.edits if e.create]
    if any(e.path.exists() for e in created):
        return None
    for file_edit in created:
        file_edit.path.write_text("".join(e.new_text for e in file_edit.edits), encoding="utf-8")
        workspace.update_file(file_edit.path, None)
    return [e.path for e in created]


def create_merge_on_disk(ls: DjmigServer, uri: str, app_label: str) -> str | None:
    """Write the merge migration for ``app_label`` (clients without file creation)."""
    path = uri_to_path(uri) if isinstance(uri, str) else None
    workspace = ls.workspace_for(path) if path else None
    if path is None or workspace is None:
        return None
    for finding in ls.current.get(uri, []):
        if not any(
            d.get("fix") == "merge-migration" and d.get("app_label") == app_label
            for d in finding.fixes
        ):
            continue
        for fix in _fixes(ls, workspace, uri, path, finding):
            if fix.title.startswith("Create merge migration"):
                written = _write_created(workspace, fix)
                if written:
                    ls.refresh(workspace)
                    return str(written[0])
    return None
