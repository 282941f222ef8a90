"""``djmig check --fix``: the safe fixes of an analysis, written to disk in one pass.

The fixes of one file are computed one after the other, each on the text the previous ones
left (operations keep their indexes), so every finding of a file gets fixed. A file is
written in its own encoding, and only when its new text parses.
"""

from __future__ import annotations

import io
import logging
import tokenize
from dataclasses import dataclass
from pathlib import Path

from djmig.analysis import Analysis
from djmig.fixes import fixes_for
from djmig.fixes.edits import apply_text_edits, parses
from djmig.index.source import SourceError, decode_source

logger = logging.getLogger(__name__)


@dataclass
class _Source:
    text: str
    encoding: str = "utf-8"
    original: str | None = None  # None: a file to create


def _read(path: Path) -> _Source | None:
    try:
        data = path.read_bytes()
        text = decode_source(data)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (OSError, SourceError, SyntaxError):
        return None
    return _Source(text, encoding, text)


def apply_safe_fixes(analysis: Analysis) -> int:
    """Apply the safe fixes (never ``# noqa``); return how many were applied."""
    sources: dict[Path, _Source | None] = {}

    def source(path: Path) -> _Source | None:
        if path not in sources:
            sources[path] = _read(path)
        return sources[path]

    applied: list[set[Path]] = []
    for finding in analysis.findings:
        current = source(finding.path)
        if current is None:
            continue
        safe = [f for f in fixes_for(finding, current.text, analysis) if f.applicability == "safe"]
        # Every leaf of a conflict offers the same merge migration: create it once.
        if not safe or any(e.create and e.path in sources for e in safe[0].edits):
            continue
        for file_edit in safe[0].edits:
            if file_edit.create:
                sources[file_edit.path] = _Source(apply_text_edits("", file_edit.edits))
            elif (target := source(file_edit.path)) is not None:
                target.text = apply_text_edits(target.text, file_edit.edits)
        applied.append({e.path for e in safe[0].edits})
    written = {path for path, s in sources.items() if s is not None and _write(path, s)}
    return sum(1 for paths in applied if paths <= written)


def _write(path: Path, source: _Source) -> bool:
    if source.text == source.original:
        return False
    if not parses(source.text):
        logger.warning("%s: the fixes leave code that does not parse; not written", path)
        return False
    path.write_bytes(source.text.encode(source.encoding))
    return True
