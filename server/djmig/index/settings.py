"""Static reading of a Django settings module.

Top-level assignments are evaluated in order, following ``from .base import *`` into
sibling modules. Values that depend on conditions, loops, environment look-ups without a
default, or calls are ``UNKNOWN``. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import logging
import os.path
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from djmig.index.source import SourceError, read_source
from djmig.index.values import UNKNOWN, CallValue, Hook, Ref, dotted_name, evaluate, is_unknown
from djmig.keys import SourceLines, Span

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "AUTH_USER_MODEL": "auth.User",
    "MIGRATION_MODULES": {},
    "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
}
_MUTATORS = {"append", "extend", "insert", "remove", "update", "pop", "clear", "setdefault"}


@dataclass
class Settings:
    """What is known of the settings; ``path`` is None when no settings module was found.
    ``files`` are the modules read (``path`` and what it star-imports), in reading order."""

    path: Path | None = None
    module: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, tuple[Path, Span]] = field(default_factory=dict)
    complete: bool = False
    errors: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: Where absolute star imports are looked for after the settings' ancestors: the
    #: project's site-packages (``from oscar.defaults import *``).
    roots: list[Path] = field(default_factory=list)

    def get(self, name: str) -> Any:
        """The value of setting ``name``, Django's default when certainly unset, else UNKNOWN."""
        if name in self.values:
            return self.values[name]
        if self.complete and name in DEFAULTS:
            return DEFAULTS[name]
        return UNKNOWN

    @property
    def installed_apps(self) -> list[str] | Any:
        value = self.get("INSTALLED_APPS")
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
        return UNKNOWN


class _Reader:
    def __init__(self, settings: Settings, overlays: Mapping[Path, str]) -> None:
        self.settings = settings
        self.overlays = overlays
        self.visited: set[Path] = set()

    def read_module(self, path: Path, names: dict[str, Any]) -> bool:
        """Evaluate ``path`` into ``names``; False when part of it is unknowable."""
        real = path.resolve()
        if real in self.visited:
            return False
        self.visited.add(real)
        self.settings.files.append(path)
        try:
            text = self.overlays.get(path)
            if text is None:
                text = read_source(path)
            tree = ast.parse(text, filename=str(path))
        except (SourceError, SyntaxError, ValueError) as exc:
            self.settings.errors.append(f"{path}: cannot read settings: {exc}")
            return False
        lines = SourceLines(text)
        complete = True
        for stmt in tree.body:
            complete = self.statement(stmt, path, names, lines) and complete
        return complete

    def hook(self, path: Path) -> Hook:
        def _hook(node: ast.AST, names: dict[str, Any] | None) -> Any:
            return _eval_special(node, names or {}, path, self.hook(path))

        return _hook

    def statement(
        self, stmt: ast.stmt, path: Path, names: dict[str, Any], lines: SourceLines
    ) -> bool:
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            target = _resolve_import(path, stmt.module, stmt.level, self.settings.roots)
            if target is None:
                return False
            return self.read_module(target, names)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                local = alias.asname or alias.name.split(".")[0]
                names.pop(local, None)
            return True
        if isinstance(stmt, ast.Assign):
            value = evaluate(stmt.value, names, self.hook(path))
            for assigned in stmt.targets:
                self.assign(assigned, value, stmt, path, names, lines)
            return True
        if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            value = evaluate(stmt.value, names, self.hook(path))
            self.assign(stmt.target, value, stmt, path, names, lines)
            return True
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            current = names.get(stmt.target.id, UNKNOWN)
            extra = evaluate(stmt.value, names, self.hook(path))
            if (
                isinstance(stmt.op, ast.Add)
                and type(current) is type(extra)
                and (isinstance(current, (list, tuple, str)))
            ):
                names[stmt.target.id] = current + extra
            else:
                names[stmt.target.id] = UNKNOWN
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self.mutation(stmt.value, names, path)
            return True
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[stmt.name] = UNKNOWN
            return True
        if isinstance(stmt, ast.Try) and _is_optional_star_import(stmt):
            optional = stmt.body[0]
            assert isinstance(optional, ast.ImportFrom)
            target = _resolve_import(path, optional.module, optional.level, self.settings.roots)
            return True if target is None else self.read_module(target, names)
        if isinstance(stmt, (ast.Expr, ast.Pass)):
            return True
        # if/for/while/with/try/match: whatever they bind is unknown afterwards.
        complete = True
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names[node.id] = UNKNOWN
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and node.func.attr in _MUTATORS:
                    names[owner.id] = UNKNOWN
            elif isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                complete = False
        return complete

    def assign(
        self,
        target: ast.expr,
        value: Any,
        stmt: ast.stmt,
        path: Path,
        names: dict[str, Any],
        lines: SourceLines,
    ) -> None:
        if isinstance(target, ast.Name):
            names[target.id] = value
            line = stmt.lineno - 1
            end_line = (stmt.end_lineno or stmt.lineno) - 1
            self.settings.spans[target.id] = (
                path,
                Span(
                    line,
                    lines.col_from_utf8(line, stmt.col_offset),
                    end_line,
                    lines.col_from_utf8(end_line, stmt.end_col_offset or 0),
                ),
            )
        else:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    names[node.id] = UNKNOWN

    def mutation(self, call: ast.Call, names: dict[str, Any], path: Path) -> None:
        if not isinstance(call.func, ast.Attribute) or not isinstance(call.func.value, ast.Name):
            return
        owner, method = call.func.value.id, call.func.attr
        if method not in _MUTATORS:
            return
        current = names.get(owner, UNKNOWN)
        args = [evaluate(a, names, self.hook(path)) for a in call.args]
        if call.keywords or any(is_unknown(a) for a in args) or not isinstance(current, list):
            names[owner] = UNKNOWN
            return
        updated = list(current)
        try:
            if method == "append" and len(args) == 1:
                updated.append(args[0])
            elif method == "extend" and len(args) == 1 and isinstance(args[0], (list, tuple)):
                updated.extend(args[0])
            elif method == "insert" and len(args) == 2 and isinstance(args[0], int):
                updated.insert(args[0], args[1])
            elif method == "remove" and len(args) == 1:
                updated.remove(args[0])
            else:
                names[owner] = UNKNOWN
                return
        except ValueError:
            names[owner] = UNKNOWN
            return
        names[owner] = updated


def _is_optional_star_import(stmt: ast.Try) -> bool:
    """``try: from .local import * except ImportError: pass``."""
    return (
        len(stmt.body) == 1
        and isinstance(stmt.body[0], ast.ImportFrom)
        and any(a.name == "*" for a in stmt.body[0].names)
        and all(
            dotted_name(h.type) in ("ImportError", "ModuleNotFoundError") if h.type else True
            for h in stmt.handlers
        )
        and all(isinstance(s, ast.Pass) for h in stmt.handlers for s in h.body)
        and not stmt.orelse
        and not stmt.finalbody
    )


def _resolve_import(
    path: Path, module: str | None, level: int, roots: Iterable[Path] = ()
) -> Path | None:
    """The file of ``from <level dots><module> import *`` seen from ``path``."""
    if level == 0:
        return None if module is None else _find_absolute(path, module, roots)
    base = path.parent
    for _ in range(level - 1):
        base = base.parent
    parts = module.split(".") if module else []
    candidate = base.joinpath(*parts)
    for option in (candidate.with_suffix(".py"), candidate / "__init__.py"):
        if parts and option.is_file():
            return option
    return None


def _find_absolute(path: Path, module: str, roots: Iterable[Path] = ()) -> Path | None:
    """An absolute import resolved against the ancestors of the settings file, then
    ``roots``."""
    parts = module.split(".")
    for base in (*path.parents, *roots):
        candidate = base.joinpath(*parts)
        for option in (candidate.with_suffix(".py"), candidate / "__init__.py"):
            if option.is_file():
                return option
    return None


def _eval_special(node: ast.AST, names: dict[str, Any], path: Path, hook: Any) -> Any:
    """Paths (``BASE_DIR / "db"``, ``os.path.join``), ``os.environ.get(k, default)``."""
    if isinstance(node, ast.Name) and node.id == "__file__":
        return PurePath(path)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left = evaluate(node.left, names, hook)
        right = evaluate(node.right, names, hook)
        if isinstance(left, PurePath) and isinstance(right, (str, PurePath)):
            return left / right
        return UNKNOWN
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        base = evaluate(node.value, names, hook)
        return base.parent if isinstance(base, PurePath) else NotImplemented
    if not isinstance(node, ast.Call):
        return NotImplemented
    func = dotted_name(node.func)
    if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute"):
        base = evaluate(node.func.value, names, hook)
        if isinstance(base, PurePath):
            return PurePath(os.path.abspath(base))
    args = [evaluate(a, names, hook) for a in node.args]
    if func in ("Path", "pathlib.Path") and len(args) == 1 and isinstance(args[0], (str, PurePath)):
        return PurePath(args[0])
    if func in ("os.path.dirname", "os.path.abspath", "os.path.realpath") and len(args) == 1:
        arg = args[0]
        if isinstance(arg, (str, PurePath)):
            if func == "os.path.dirname":
                return os.path.dirname(arg)
            return os.path.abspath(arg)
        return UNKNOWN
    if func == "os.path.join" and args and all(isinstance(a, (str, PurePath)) for a in args):
        return os.path.join(*args)
    if func in ("os.environ.get", "os.getenv") and len(args) == 2 and not node.keywords:
        return args[1]
    if func is not None and _is_environ_env(func.partition(".")[0], names):
        return _environ_default(node, func, names, hook)
    if func in ("str",) and len(args) == 1 and isinstance(args[0], PurePath):
        return str(args[0])
    return NotImplemented


#: ``environ.Env`` methods that return their ``default`` when the variable is not set.
_ENV_METHODS = {
    "str", "bool", "int", "float", "json", "list", "tuple", "dict", "url", "path",
    "db", "db_url", "cache", "cache_url", "email", "email_url", "search_url",
}  # fmt: skip


def _is_environ_env(name: str, names: dict[str, Any]) -> bool:
    """``name`` is bound to a django-environ ``Env`` (``env = environ.Env(...)``)."""
    value = names.get(name)
    return isinstance(value, CallValue) and value.func in ("environ.Env", "Env")


def _environ_default(node: ast.Call, func: str, names: dict[str, Any], hook: Any) -> Any:
    """``env("X", default=...)`` / ``env.list("X", default=[...])``: the default, as when
    the variable is unset (django-environ); a scheme default of ``Env(X=(type, default))``
    when no default is given; else unknown. ``env.db()`` and other parsers of URLs give
    a structure djmig does not build: unknown."""
    _, _, method = func.partition(".")
    if method and method not in _ENV_METHODS:
        return NotImplemented
    if method and method not in ("str", "bool", "int", "float", "list", "tuple", "dict", "path"):
        return UNKNOWN
    for keyword in node.keywords:
        if keyword.arg == "default":
            return evaluate(keyword.value, names, hook)
    if len(node.args) >= 3 and method == "":
        return evaluate(node.args[2], names, hook)  # env(var, cast, default)
    variable = evaluate(node.args[0], names, hook) if node.args else UNKNOWN
    env = names[func.partition(".")[0]]
    scheme = env.kwargs.get(variable) if isinstance(variable, str) else None
    if isinstance(scheme, tuple) and len(scheme) == 2:
        return scheme[1]
    return UNKNOWN


def read_settings(
    path: Path | None,
    module: str | None = None,
    overlays: Mapping[Path, str] | None = None,
    roots: Iterable[Path] = (),
) -> Settings:
    """Read the settings module at ``path``; ``overlays``: unsaved editor buffers by path;
    ``roots``: where absolute star imports are found too (``Settings.roots``)."""
    settings = Settings(path=path, module=module, roots=list(roots))
    if path is None:
        return settings
    names: dict[str, Any] = {}
    settings.complete = _Reader(settings, overlays or {}).read_module(path, names)
    settings.values = {
        k: _plain(v) for k, v in names.items() if k.isupper() and not isinstance(v, Ref)
    }
    return settings


def _plain(value: Any) -> Any:
    """Paths become strings, like ``str(BASE_DIR / "db.sqlite3")`` in Django's use."""
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
