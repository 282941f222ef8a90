"""Formatting of findings for the command line: text, JSON, SARIF, GitHub annotations."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from djmig import __version__
from djmig.rules import BY_CODE, RULES, Finding, Severity

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def display_path(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _location(finding: Finding) -> dict[str, int]:
    span = finding.span
    return {
        "line": span.start_line + 1,
        "column": span.start_col + 1,
        "end_line": span.end_line + 1,
        "end_column": span.end_col + 1,
    }


def format_text(findings: Sequence[Finding]) -> str:
    lines = [
        f"{display_path(f.path)}:{f.span.start_line + 1}:{f.span.start_col + 1}: "
        f"{f.code} {f.message}"
        for f in findings
    ]
    lines.append(summary(findings))
    return "\n".join(lines)


def summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "All checks passed!"
    counts = {level: 0 for level in Severity}
    for finding in findings:
        counts[finding.severity] += 1
    parts = [f"{n} {level.name.lower()}{'s' if n != 1 else ''}" for level, n in counts.items() if n]
    total = len(findings)
    return f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)})."


def format_json(findings: Sequence[Finding]) -> str:
    items: list[dict[str, Any]] = []
    for f in findings:
        items.append(
            {
                "code": f.code,
                "name": BY_CODE[f.code].name,
                "severity": f.severity.name.lower(),
                "message": f.message,
                "path": display_path(f.path),
                **_location(f),
                "related": [
                    {
                        "path": display_path(r.path),
                        "line": r.span.start_line + 1,
                        "column": r.span.start_col + 1,
                        "message": r.message,
                    }
                    for r in f.related
                ],
                "fixes": f.fixes,
            }
        )
    return json.dumps(items, indent=2)


def format_sarif(findings: Sequence[Finding]) -> str:
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.doc},
            "helpUri": rule.url,
            "defaultConfiguration": {"level": _SARIF_LEVEL.get(rule.severity, "note")},
        }
        for rule in RULES
    ]
    results = []
    for f in findings:
        loc = _location(f)
        results.append(
            {
                "ruleId": f.code,
                "level": _SARIF_LEVEL.get(f.severity, "note"),
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": Path(display_path(f.path)).as_posix()},
                            "region": {
                                "startLine": loc["line"],
                                "startColumn": loc["column"],
                                "endLine": loc["end_line"],
                                "endColumn": loc["end_column"],
                            },
                        }
                    }
                ],
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "djmig",
                        "version": __version__,
                        "informationUri": "https://github.com/djmig/djmig",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)


def format_github(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        loc = _location(f)
        message = f.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        lines.append(
            f"::{_GITHUB_LEVEL.get(f.severity, 'notice')} file={display_path(f.path)},"
            f"line={loc['line']},col={loc['column']},endLine={loc['end_line']},"
            f"endColumn={loc['end_column']},title={f.code}::{f.code} {message}"
        )
    return "\n".join(lines)


FORMATS = {
    "text": format_text,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
}
