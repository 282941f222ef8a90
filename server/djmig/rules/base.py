"""What a rule is and what it produces."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from djmig.keys import Span
from djmig.state import StateEngine

if TYPE_CHECKING:
    from djmig.db import DatabaseState
    from djmig.graph import MigrationGraph
    from djmig.index.discovery import Project
    from djmig.index.migrations import MigrationFile
    from djmig.index.source import SourceFile
    from djmig.keys import MigrationKey

DOCS_URL = "https://github.com/djmig/djmig/blob/main/docs/rules.md#{code}-{name}"


class Severity(enum.IntEnum):
    """Values as LSP's ``DiagnosticSeverity``."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    HINT = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True)
class Related:
    path: Path
    span: Span
    message: str


@dataclass
class Finding:
    code: str
    message: str
    path: Path
    span: Span
    severity: Severity
    related: list[Related] = field(default_factory=list)
    fixes: list[dict[str, Any]] = field(default_factory=list)

    def sort_key(self) -> tuple[Any, ...]:
        return (str(self.path), self.span.start_line, self.span.start_col, self.code)


@dataclass
class Context:
    """What project-wide and per-app rules see. ``state`` (the model states along the
    graph) is built on first use unless a cached engine is given; ``sources`` parses the
    workspace's models and settings files (``Workspace.source``). ``database``: what was
    read from the project's database, None when it was not or could not be read (the
    database rules stay silent)."""

    project: Project
    migrations: Mapping[MigrationKey, MigrationFile]
    graph: MigrationGraph
    state_engine: StateEngine | None = field(default=None, repr=False)
    sources: Callable[[Path], SourceFile | None] = field(default=lambda path: None, repr=False)
    database: DatabaseState | None = None
    #: A module of a workspace app by dotted name, parsed, with the app's label
    #: (``Workspace.module_source``): where base classes are read.
    modules: Callable[[str], tuple[str, SourceFile] | None] = field(
        default=lambda module: None, repr=False
    )

    @property
    def state(self) -> StateEngine:
        if self.state_engine is None:
            self.state_engine = StateEngine(self.project, self.migrations, self.graph)
        return self.state_engine

    def source(self, path: Path) -> SourceFile | None:
        """A models or settings file of the workspace, parsed; None for any other file."""
        return self.sources(path)

    def module_source(self, module: str) -> tuple[str, SourceFile] | None:
        return self.modules(module)


FileCheck = Callable[["MigrationFile"], Iterator[Finding]]
ProjectCheck = Callable[[Context], Iterator[Finding]]
AppCheck = Callable[[Context, str], Iterator[Finding]]
"""Findings in the migrations of one app (the label); run again only when that app's
migrations or the graph around them change."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    doc: str
    check_file: FileCheck | None = None
    check_project: ProjectCheck | None = None
    check_app: AppCheck | None = None
    #: ``check_app`` reads the models modules of other apps that the app's models import
    #: from (base classes): it runs again when they change.
    reads_imported_models: bool = False

    @property
    def summary(self) -> str:
        for line in self.doc.splitlines():
            if line.strip() and not line.startswith("#"):
                return line.strip()
        return ""

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code.lower(), name=self.name)

    def finding(self, message: str, migration: MigrationFile, span: Span, **extra: Any) -> Finding:
        return Finding(self.code, message, migration.path, span, self.severity, **extra)
