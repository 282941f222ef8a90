"""Navigation handlers: convert positions, call ``djmig.navigation``, convert results.

The "N dependents" code lens runs the client-side command ``djmig.client.showReferences``
with ``[uri, position, locations]`` (the arguments of VS Code's
``editor.action.showReferences``, as JSON): the VS Code extension turns them into VS Code
types; other editors map the command to their references list.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from djmig import navigation
from djmig.analysis import Workspace
from djmig.keys import Span
from djmig.lsp.convert import path_to_uri, to_range, uri_to_path

if TYPE_CHECKING:
    from djmig.lsp.server import DjmigServer

SHOW_REFERENCES = "djmig.client.showReferences"
TRIGGER_CHARACTERS = ['"', "'", "."]

_SYMBOL_KINDS = {
    "migration": types.SymbolKind.Class,
    "operation": types.SymbolKind.Method,
    "function": types.SymbolKind.Function,
    "model": types.SymbolKind.Struct,
}
_COMPLETION_KINDS = {
    "app": types.CompletionItemKind.Module,
    "migration": types.CompletionItemKind.File,
    "model": types.CompletionItemKind.Class,
}


def _locate(
    ls: DjmigServer, uri: str, position: types.Position
) -> tuple[Workspace, Path, int, int] | None:
    path = uri_to_path(uri)
    workspace = ls.workspace_for(path) if path else None
    if path is None or workspace is None:
        return None
    lines = ls.lines_of(path)
    col = lines.col_from_encoding(position.line, position.character, ls.encoding)
    return workspace, path, position.line, col


def _target(
    ls: DjmigServer, uri: str, position: types.Position
) -> tuple[Workspace, Path, navigation.Target] | None:
    found = _locate(ls, uri, position)
    if found is None:
        return None
    workspace, path, line, col = found
    target = navigation.target_at(workspace, path, line, col)
    return (workspace, path, target) if target is not None else None


def _range(ls: DjmigServer, path: Path, span: Span) -> types.Range:
    return to_range(span, ls.lines_of(path), ls.encoding)


def _location(ls: DjmigServer, location: navigation.Location) -> types.Location:
    return types.Location(
        uri=path_to_uri(location.path), range=_range(ls, location.path, location.span)
    )


def definition(ls: DjmigServer, params: types.DefinitionParams) -> list[types.Location] | None:
    found = _target(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    workspace, _, target = found
    return [_location(ls, loc) for loc in navigation.definition(workspace, target)] or None


def references(ls: DjmigServer, params: types.ReferenceParams) -> list[types.Location] | None:
    found = _target(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    workspace, _, target = found
    declaration = params.context.include_declaration
    return [_location(ls, loc) for loc in navigation.references(workspace, target, declaration)]


def hover(ls: DjmigServer, params: types.HoverParams) -> types.Hover | None:
    found = _target(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    workspace, path, target = found
    text = navigation.hover(workspace, target, ls.applied_for(workspace))
    if text is None:
        return None
    formats = ls.client_supports("text_document.hover.content_format") or []
    kind = (
        types.MarkupKind.Markdown
        if not formats or types.MarkupKind.Markdown in formats
        else types.MarkupKind.PlainText
    )
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=text), range=_range(ls, path, target.span)
    )


def code_lens(ls: DjmigServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    uri = params.text_document.uri
    path = uri_to_path(uri)
    workspace = ls.workspace_for(path) if path else None
    key = workspace.files.get(path) if workspace is not None and path is not None else None
    if workspace is None or path is None or key is None:
        return []
    lenses = []
    for lens in navigation.code_lenses(workspace, key):
        where = _range(ls, path, lens.span)
        arguments: list[Any] | None = None
        command = ""
        if lens.locations is not None:
            command = SHOW_REFERENCES
            locations = [_location(ls, loc) for loc in lens.locations]
            arguments = [uri, _json(where.start), [_json(loc) for loc in locations]]
        lenses.append(
            types.CodeLens(
                range=where,
                command=types.Command(title=lens.title, command=command, arguments=arguments),
            )
        )
    return lenses


def _json(value: types.Position | types.Range | types.Location) -> dict[str, Any]:
    if isinstance(value, types.Position):
        return {"line": value.line, "character": value.character}
    if isinstance(value, types.Range):
        return {"start": _json(value.start), "end": _json(value.end)}
    return {"uri": value.uri, "range": _json(value.range)}


def document_symbols(
    ls: DjmigServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol] | list[types.SymbolInformation]:
    path = uri_to_path(params.text_document.uri)
    workspace = ls.workspace_for(path) if path else None
    if path is None or workspace is None:
        return []
    symbols = navigation.document_symbols(workspace, path)
    if ls.client_supports("text_document.document_symbol.hierarchical_document_symbol_support"):
        return [_document_symbol(ls, path, s) for s in symbols]
    flat: list[types.SymbolInformation] = []
    for symbol in symbols:
        for item, container in [(symbol, None)] + [(c, symbol.name) for c in symbol.children]:
            flat.append(
                types.SymbolInformation(
                    name=item.name,
                    kind=_SYMBOL_KINDS[item.kind],
                    location=types.Location(
                        uri=params.text_document.uri, range=_range(ls, path, item.span)
                    ),
                    container_name=container,
                )
            )
    return flat


def _document_symbol(
    ls: DjmigServer, path: Path, symbol: navigation.Symbol
) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name,
        kind=_SYMBOL_KINDS[symbol.kind],
        range=_range(ls, path, symbol.span),
        selection_range=_range(ls, path, symbol.selection),
        detail=symbol.detail or None,
        children=[_document_symbol(ls, path, c) for c in symbol.children] or None,
    )


def workspace_symbols(
    ls: DjmigServer, params: types.WorkspaceSymbolParams
) -> list[types.WorkspaceSymbol]:
    found = []
    for workspace in ls.workspaces.values():
        for symbol in navigation.workspace_symbols(workspace, params.query):
            assert symbol.path is not None
            found.append(
                types.WorkspaceSymbol(
                    name=symbol.name,
                    kind=_SYMBOL_KINDS[symbol.kind],
                    location=types.Location(
                        uri=path_to_uri(symbol.path), range=_range(ls, symbol.path, symbol.span)
                    ),
                    container_name=symbol.detail or None,
                )
            )
    return found


def completion(ls: DjmigServer, params: types.CompletionParams) -> types.CompletionList | None:
    uri = params.text_document.uri
    found = _locate(ls, uri, params.position)
    if found is None:
        return None
    workspace, path, line, col = found
    document = ls.workspace.text_documents.get(uri)
    text = document.source if document is not None else navigation.read_text(workspace, path)
    if text is None:
        return None
    items = []
    for candidate in navigation.complete(workspace, path, text, line, col):
        items.append(
            types.CompletionItem(
                label=candidate.label,
                kind=_COMPLETION_KINDS[candidate.kind],
                detail=candidate.detail or None,
                sort_text=candidate.sort,
                filter_text=candidate.label,
                text_edit=types.TextEdit(
                    range=_range(ls, path, candidate.replace),
                    new_text=candidate.insert or candidate.label,
                ),
            )
        )
    return types.CompletionList(is_incomplete=False, items=items)
