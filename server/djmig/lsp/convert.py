"""Conversions between djmig's values and LSP types (positions in the client's encoding)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from djmig.keys import SourceLines, Span
from djmig.rules import BY_CODE, Finding

SOURCE = "djmig"


@functools.lru_cache(maxsize=1 << 16)  # every file with findings, at every publish
def path_to_uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def uri_to_path(uri: str) -> Path | None:
    try:
        path = to_fs_path(uri)
    except Exception:  # malformed URIs come from clients
        return None
    return Path(path) if path and uri.startswith("file:") else None


def to_range(span: Span, lines: SourceLines, encoding: str) -> types.Range:
    return types.Range(
        start=types.Position(
            line=span.start_line,
            character=lines.col_to_encoding(span.start_line, span.start_col, encoding),
        ),
        end=types.Position(
            line=span.end_line,
            character=lines.col_to_encoding(span.end_line, span.end_col, encoding),
        ),
    )


def from_range(range_: types.Range, lines: SourceLines, encoding: str) -> Span:
    start, end = range_.start, range_.end
    return Span(
        start.line,
        lines.col_from_encoding(start.line, start.character, encoding),
        end.line,
        lines.col_from_encoding(end.line, end.character, encoding),
    )


def same_lines(a: Span, b: Span) -> bool:
    """Whether the spans share a line: a cursor anywhere on a finding's lines offers its
    fixes, as editors expect of a quick-fix menu."""
    return a.start_line <= b.end_line and b.start_line <= a.end_line


def to_diagnostic(
    finding: Finding, lines: SourceLines, encoding: str, lines_of: Any
) -> types.Diagnostic:
    """``lines_of(path)`` gives the ``SourceLines`` of related locations' files."""
    rule = BY_CODE[finding.code]
    return types.Diagnostic(
        range=to_range(finding.span, lines, encoding),
        message=finding.message,
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.code,
        code_description=types.CodeDescription(href=rule.url),
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=path_to_uri(r.path), range=to_range(r.span, lines_of(r.path), encoding)
                ),
                message=r.message,
            )
            for r in finding.related
        ]
        or None,
        data={"fixes": finding.fixes} if finding.fixes else None,
    )


def _json_range(span: Span, lines: SourceLines, encoding: str) -> dict[str, Any]:
    return {
        "start": {
            "line": span.start_line,
            "character": lines.col_to_encoding(span.start_line, span.start_col, encoding),
        },
        "end": {
            "line": span.end_line,
            "character": lines.col_to_encoding(span.end_line, span.end_col, encoding),
        },
    }


def to_diagnostic_json(
    finding: Finding, lines: SourceLines, encoding: str, lines_of: Any
) -> dict[str, Any]:
    """``to_diagnostic`` as the JSON the client receives, built directly: publishing the
    whole workspace's diagnostics through lsprotocol's objects and cattrs takes several
    times longer. A test checks both give the same JSON."""
    rule = BY_CODE[finding.code]
    diagnostic: dict[str, Any] = {
        "range": _json_range(finding.span, lines, encoding),
        "message": finding.message,
        "severity": int(finding.severity),
        "code": finding.code,
        "codeDescription": {"href": rule.url},
        "source": SOURCE,
    }
    if finding.related:
        diagnostic["relatedInformation"] = [
            {
                "location": {
                    "uri": path_to_uri(r.path),
                    "range": _json_range(r.span, lines_of(r.path), encoding),
                },
                "message": r.message,
            }
            for r in finding.related
        ]
    if finding.fixes:
        diagnostic["data"] = {"fixes": finding.fixes}
    return diagnostic
