"""``ast`` parsing of one migration file into plain facts (``MigrationFile``).

Mirrors what Django reads from ``Migration`` classes (``django/db/migrations/migration.py``):
``dependencies``, ``run_before``, ``replaces``, ``initial``, ``atomic``, ``operations``.
Values that are computed at import time are recorded as unknown, so rules can stay silent.
"""

from __future__ import annotations

import ast
import collections
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from djmig.index.source import SourceError, parse_noqa, read_source, suppressed
from djmig.index.values import UNKNOWN, CallValue, Ref, dotted_name, evaluate
from djmig.keys import MigrationKey, SourceLines, Span

DJANGO_MIGRATIONS = "django.db.migrations"
_MIGRATION_BASES = {
    "django.db.migrations.Migration",
    "django.db.migrations.migration.Migration",
}
_SWAPPABLE = {
    "django.db.migrations.swappable_dependency",
    "django.db.migrations.migration.swappable_dependency",
}
#: What an operation's subclass may override and keep its base's state change.
_DATABASE_METHODS = frozenset({"database_forwards", "database_backwards", "describe"})
#: The ``Migration`` attributes djmig reads.
_ATTRIBUTES = ("dependencies", "run_before", "replaces", "operations", "initial", "atomic")
#: Class-body statements that change none of them behind djmig's back.
_PLAIN_CLASS_STATEMENTS = (
    ast.Assign, ast.AnnAssign, ast.AugAssign, ast.FunctionDef, ast.AsyncFunctionDef, ast.Pass,
)  # fmt: skip


@dataclass
class Dependency:
    """One entry of ``dependencies``, ``run_before`` or ``replaces``.

    ``key`` is None when the entry is computed; ``setting`` names the setting of a
    ``swappable_dependency(settings.X)`` whose key is resolved against the settings.
    """

    key: MigrationKey | None
    span: Span
    setting: str | None = None


class Relation(NamedTuple):
    """A field of an operation whose target is a literal string (``to="shop.product"``,
    or the first positional argument; ``through="shop.OrderTag"`` of a many-to-many
    field): the field's call (``func`` as written), the model it is on (as written, None
    when not a literal), the field's name, the target, the span of its string literal and
    the parameter that names it (``"to"`` or ``"through"``)."""

    func: str
    model_name: Any
    field_name: str
    target: str
    span: Span
    parameter: str = "to"


@dataclass
class Operation:
    kind: str | None
    qualname: str | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    span: Span
    func_span: Span
    has_star: bool = False
    relations: tuple[Relation, ...] = ()

    @property
    def is_django(self) -> bool:
        return bool(self.qualname and self.qualname.startswith(DJANGO_MIGRATIONS + "."))

    def argument(self, position: int, keyword: str) -> Any:
        """The argument given positionally or by keyword; ``UNKNOWN`` when absent."""
        if keyword in self.kwargs:
            return self.kwargs[keyword]
        if len(self.args) > position:
            return self.args[position]
        return UNKNOWN

    def has_argument(self, position: int, keyword: str) -> bool:
        return keyword in self.kwargs or len(self.args) > position


#: Manager attributes through which a function uses a model class (DM207).
MANAGER_ATTRIBUTES = frozenset({"objects", "_default_manager", "_base_manager"})


@dataclass
class FunctionFacts:
    """What a module-level function does with names: the imports in its body (bound name
    to dotted target; relative ones keep their leading dots), the names it binds itself
    (parameters, assignments), and the dotted names it uses with a model manager
    (``Product.objects``), each with the span of the use."""

    imports: dict[str, str] = field(default_factory=dict)
    bound: frozenset[str] = frozenset()
    manager_uses: list[tuple[str, Span]] = field(default_factory=list)


@dataclass
class MigrationFile:
    key: MigrationKey
    path: Path
    error: str | None = None
    has_migration_class: bool | None = None
    class_span: Span = field(default_factory=Span.point)
    dependencies: list[Dependency] = field(default_factory=list)
    dependencies_complete: bool = True
    run_before: list[Dependency] = field(default_factory=list)
    run_before_complete: bool = True
    replaces: list[Dependency] = field(default_factory=list)
    replaces_complete: bool = True
    initial: Any = None
    atomic: Any = True
    operations: list[Operation] = field(default_factory=list)
    operations_complete: bool = True
    functions: dict[str, Span] = field(default_factory=dict)
    function_facts: dict[str, FunctionFacts] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    relative_imports: dict[str, str] = field(default_factory=dict)
    #: Module-level subclasses of Django operations that change the state as their base
    #: does (they override only what runs on the database): name -> base's qualified name.
    operation_bases: dict[str, str] = field(default_factory=dict)
    noqa: dict[int, frozenset[str] | None] = field(default_factory=dict)
    lines: SourceLines = field(default_factory=lambda: SourceLines(""))

    @property
    def graph_complete(self) -> bool:
        return self.error is None and self.dependencies_complete and self.run_before_complete

    def graph_facts(self) -> tuple[Any, ...]:
        """What the graph depends on; an edit that keeps this leaves the graph unchanged."""
        return (
            self.key,
            self.error is None,
            self.has_migration_class,
            tuple((d.key, d.setting) for d in self.dependencies),
            self.dependencies_complete,
            tuple(d.key for d in self.run_before),
            self.run_before_complete,
            tuple(d.key for d in self.replaces),
            self.replaces_complete,
        )

    def suppressed(self, line: int, code: str) -> bool:
        return suppressed(self.noqa, line, code)


# An import line naming ``models`` other than ``from django.db import migrations, models``:
# without one, no function of the module can use a model class imported from an app.
_MODEL_IMPORT = re.compile(
    r"^[ \t]*(?!from[ \t]+django\.db[ \t])(?:from|import)[ \t][^\n]*\bmodels\b", re.M
)


class _Parser:
    def __init__(self, migration: MigrationFile, text: str) -> None:
        self.m = migration
        self.lines = migration.lines
        self.ascii = not migration.lines.non_ascii()  # byte columns are code points
        self.text = text
        self._model_imports: bool | None = None
        #: Module-level constants (``APP = "shop"``, ``DEPENDENCIES = [(APP, "0001_x")]``):
        #: their values, and the nodes they were read from.
        self.names: dict[str, Any] = {}
        self.bound: dict[str, ast.expr] = {}

    @property
    def model_imports(self) -> bool:
        """Whether a model class may be imported (walking function bodies is the costliest
        part of the parse: only when it can matter; most files define no function)."""
        if self._model_imports is None:
            self._model_imports = _MODEL_IMPORT.search(self.text) is not None
        return self._model_imports

    def span(self, node: ast.AST) -> Span:
        line = node.lineno - 1  # type: ignore[attr-defined]
        end_line = (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
        if self.ascii:
            end_col = node.end_col_offset or 0  # type: ignore[attr-defined]
            return _new_span(Span, (line, node.col_offset, end_line, end_col))  # type: ignore[attr-defined]
        return Span(
            line,
            self.lines.col_from_utf8(line, node.col_offset),  # type: ignore[attr-defined]
            end_line,
            self.lines.col_from_utf8(end_line, node.end_col_offset or 0),  # type: ignore[attr-defined]
        )

    def qualify(self, dotted: str | None) -> str | None:
        return qualify(dotted, self.m.imports)

    def run(self, tree: ast.Module) -> None:
        migration_class: ast.ClassDef | None = None
        has_binding: bool | None = False
        assigned: list[tuple[str, ast.expr | None]] = []  # module-level (name, value)
        plain = True  # no module-level code that could change what the names hold
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        self.m.imports[alias.asname] = alias.name
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for alias in stmt.names:
                    if alias.name == "*":
                        has_binding = None if has_binding is False else has_binding
                        continue
                    self.m.imports[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
                    if (alias.asname or alias.name) == "Migration":
                        has_binding = True
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name == "*" and has_binding is False:
                        has_binding = None
                    elif (alias.asname or alias.name) == "Migration":
                        has_binding = True
                    elif alias.name != "*":
                        self.m.relative_imports[alias.asname or alias.name] = _from_target(
                            stmt, alias.name
                        )
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.m.functions[stmt.name] = self.span(stmt)
                if self.model_imports:
                    self.m.function_facts[stmt.name] = self.function_facts(stmt)
            elif isinstance(stmt, ast.ClassDef) and stmt.name == "Migration":
                migration_class = stmt
                has_binding = True
            elif isinstance(stmt, ast.ClassDef):
                base = self.operation_base(stmt)
                if base is not None:
                    self.m.operation_bases[stmt.name] = base
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if any(isinstance(t, ast.Name) and t.id == "Migration" for t in targets):
                    has_binding = True
                value = None if isinstance(stmt, ast.AugAssign) else stmt.value
                for target in targets:
                    if isinstance(target, ast.Name):
                        assigned.append((target.id, value))
                    else:
                        plain = False
            else:
                plain = plain and (_is_docstring(stmt) or isinstance(stmt, ast.Pass))
                if not isinstance(stmt, (ast.Expr, ast.Pass)) and has_binding is False:
                    # Conditional or dynamic module code could define ``Migration``.
                    has_binding = None
        if plain and assigned:
            self.read_constants(assigned)
        self.m.has_migration_class = has_binding
        if migration_class is None:
            if has_binding:
                self.m.dependencies_complete = False
                self.m.run_before_complete = False
                self.m.replaces_complete = False
                self.m.operations_complete = False
            return
        self.read_class(migration_class)

    def read_constants(self, assigned: list[tuple[str, ast.expr | None]]) -> None:
        """The names assigned once, at module level, a value made of literals only; none
        when a value calls anything (a call could change another's value)."""
        counts = collections.Counter(name for name, _ in assigned)
        values = [value for _, value in assigned]
        if any(isinstance(n, ast.Call) for v in values if v is not None for n in ast.walk(v)):
            return
        for name, value in assigned:
            if counts[name] == 1 and value is not None:
                evaluated = evaluate(value, self.names)
                if _literal(evaluated):
                    self.names[name] = evaluated
                    self.bound[name] = value

    def operation_base(self, cls: ast.ClassDef) -> str | None:
        """The Django operation ``cls`` subclasses when it overrides only what runs on the
        database (django-celery-results' ``FakeAddIndex``): its state change is the base's."""
        if len(cls.bases) != 1 or cls.keywords:
            return None
        base = self.qualify(dotted_name(cls.bases[0]))
        if not base or not base.startswith(DJANGO_MIGRATIONS + ".") or base in _MIGRATION_BASES:
            return None
        for item in cls.body:
            method = isinstance(item, ast.FunctionDef) and item.name in _DATABASE_METHODS
            if not (method or _is_docstring(item) or isinstance(item, ast.Pass)):
                return None
        return base

    def function_facts(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionFacts:
        facts = FunctionFacts()
        arguments = function.args
        bound = {
            a.arg
            for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                      arguments.vararg, arguments.kwarg)
            if a is not None
        }  # fmt: skip
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.Attribute) and node.attr in MANAGER_ATTRIBUTES:
                dotted = dotted_name(node.value)
                if dotted is not None:
                    facts.manager_uses.append((dotted, self.span(node)))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        facts.imports[alias.asname] = alias.name
                    else:
                        head = alias.name.partition(".")[0]
                        facts.imports[head] = head
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name != "*":
                        facts.imports[alias.asname or alias.name] = _from_target(node, alias.name)
        facts.bound = frozenset(bound)
        return facts

    def read_class(self, cls: ast.ClassDef) -> None:
        header_end = cls.col_offset + len("class Migration")
        self.m.class_span = Span(
            cls.lineno - 1,
            self.lines.col_from_utf8(cls.lineno - 1, cls.col_offset),
            cls.lineno - 1,
            self.lines.col_from_utf8(cls.lineno - 1, header_end),
        )
        plain_base = all(self.qualify(dotted_name(b)) in _MIGRATION_BASES for b in cls.bases)
        seen: set[str] = set()
        dynamic: set[str] = set()  # attributes a statement other than an assignment touches
        for stmt in cls.body:
            if not _is_docstring(stmt) and not isinstance(stmt, _PLAIN_CLASS_STATEMENTS):
                # ``if connection.vendor == "postgresql": operations = [...]`` (wagtail),
                # ``operations.append(...)``: what Django gets is decided at import.
                dynamic.update(
                    n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id in _ATTRIBUTES
                )
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in (
                "__init__",
                "__new__",
            ):
                plain_base = False
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            elif isinstance(stmt, ast.AugAssign):
                targets, value = [stmt.target], None
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                seen.add(target.id)
                self.read_attribute(target.id, value)
        for name in _ATTRIBUTES:
            if name in dynamic or (not plain_base and name not in seen):
                if name in ("initial", "atomic"):
                    setattr(self.m, name, UNKNOWN)
                else:
                    setattr(self.m, f"{name}_complete", False)

    def read_attribute(self, name: str, value: ast.expr | None) -> None:
        if name in ("dependencies", "run_before", "replaces"):
            entries: list[Dependency] = []
            complete = value is not None and self.read_dependencies(value, entries)
            setattr(self.m, name, entries)
            setattr(self.m, f"{name}_complete", complete)
        elif name == "operations":
            operations: list[Operation] = []
            complete = value is not None and self.read_operations(value, operations)
            self.m.operations = operations
            self.m.operations_complete = complete
        elif name in ("initial", "atomic"):
            evaluated = evaluate(value, self.names) if value is not None else UNKNOWN
            setattr(self.m, name, evaluated if isinstance(evaluated, bool | None) else UNKNOWN)

    def read_dependencies(self, node: ast.expr, out: list[Dependency]) -> bool:
        if isinstance(node, ast.Name) and node.id in self.bound:
            node = self.bound[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.read_dependencies(node.left, out)
            return self.read_dependencies(node.right, out) and left
        if not isinstance(node, (ast.List, ast.Tuple)):
            return False
        complete = True
        for element in node.elts:
            dependency = self.read_dependency(element)
            if dependency is None:
                complete = False
            else:
                out.append(dependency)
        return complete

    def read_dependency(self, node: ast.expr) -> Dependency | None:
        span = self.span(node)
        if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) == 2:
            app, name = (evaluate(e, self.names) for e in node.elts)
            if isinstance(app, str) and isinstance(name, str):
                return Dependency(MigrationKey(app, name), span)
            return None
        if (
            isinstance(node, ast.Call)
            and self.qualify(dotted_name(node.func)) in _SWAPPABLE
            and len(node.args) == 1
            and not node.keywords
        ):
            arg = evaluate(node.args[0], self.names)
            if isinstance(arg, str):
                return Dependency(MigrationKey(arg.split(".", 1)[0], "__first__"), span)
            if isinstance(arg, Ref) and (self.qualify(arg.dotted) or "").startswith(
                "django.conf.settings."
            ):
                return Dependency(None, span, setting=arg.dotted.rsplit(".", 1)[1])
        return None

    def read_operations(self, node: ast.expr, out: list[Operation]) -> bool:
        if isinstance(node, ast.Name) and node.id in self.bound:
            node = self.bound[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.read_operations(node.left, out)
            return self.read_operations(node.right, out) and left
        if not isinstance(node, (ast.List, ast.Tuple)):
            return False
        complete = True
        for element in node.elts:
            if isinstance(element, ast.Starred):
                complete = False
                continue
            out.append(self.read_operation(element))
        return complete

    def read_operation(self, node: ast.expr) -> Operation:
        span = self.span(node)
        if not isinstance(node, ast.Call):
            return Operation(None, None, (), {}, span, span, has_star=True)
        value = evaluate(node, self.names)
        if not isinstance(value, CallValue):  # a call of a computed callable
            return Operation(None, None, (), {}, span, self.span(node.func), has_star=True)
        qualname = self.qualify(value.func)
        kind = qualname.rsplit(".", 1)[-1] if qualname else None
        relations = self.relations(node, kind, value) if kind in _FIELD_OPERATIONS else ()
        return Operation(
            kind, qualname, value.args, value.kwargs, span, self.span(node.func), value.has_star,
            relations,
        )  # fmt: skip

    def relations(self, node: ast.Call, kind: str | None, value: CallValue) -> tuple[Relation, ...]:
        """String targets of the fields ``CreateModel`` (``fields``), ``AddField`` and
        ``AlterField`` (``field``) write."""
        fields: list[tuple[Any, ast.expr]] = []
        if kind == "CreateModel":
            model_name = value.args[0] if value.args else value.kwargs.get("name")
            written = _argument_node(node, 1, "fields")
            if isinstance(written, (ast.List, ast.Tuple)):
                for element in written.elts:
                    if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                        fields.append((evaluate(element.elts[0], self.names), element.elts[1]))
        else:
            model_name = value.args[0] if value.args else value.kwargs.get("model_name")
            name = _argument_node(node, 1, "name")
            written = _argument_node(node, 2, "field")
            if name is not None and written is not None:
                fields.append((evaluate(name, self.names), written))
        found = []
        for field_name, call in fields:
            if not isinstance(field_name, str) or not isinstance(call, ast.Call):
                continue
            func = dotted_name(call.func)
            if func is None or (
                func.rpartition(".")[2] not in RELATED_FIELDS
                and not any(k.arg == "to" for k in call.keywords)
            ):
                continue
            through = next((k.value for k in call.keywords if k.arg == "through"), None)
            for parameter, given in (("to", _argument_node(call, 0, "to")), ("through", through)):
                if isinstance(given, ast.Constant) and isinstance(given.value, str):
                    span = self.span(given)
                    found.append(
                        Relation(func, model_name, field_name, given.value, span, parameter)
                    )
        return tuple(found)


_FIELD_OPERATIONS = frozenset({"CreateModel", "AddField", "AlterField"})
#: Django's relation fields whose first parameter is ``to``.
RELATED_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


def _argument_node(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    """The argument node of ``call`` bound to parameter ``keyword`` (at ``position``)."""
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    positional = call.args[position] if len(call.args) > position else None
    if positional is None or any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return None
    return positional


_new_span = tuple.__new__


def _literal(value: Any) -> bool:
    """Plain data: what a constant of a migration module may hold to be read as a value."""
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return True
    if isinstance(value, (list, tuple, set)):
        return all(_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_literal(k) and _literal(v) for k, v in value.items())
    return False


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def qualify(dotted: str | None, imports: dict[str, str]) -> str | None:
    """``dotted`` with its first name replaced by what ``imports`` bound it to."""
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    target = imports.get(head)
    if target is None:
        return dotted
    return f"{target}.{rest}" if rest else target


def _from_target(node: ast.ImportFrom, name: str) -> str:
    """``from MODULE import name``'s target; relative modules keep their leading dots."""
    module = "." * node.level + (node.module or "")
    if not module:
        return name
    return f"{module}{name}" if module.endswith(".") else f"{module}.{name}"


def parse_migration_source(key: MigrationKey, path: Path, text: str) -> MigrationFile:
    migration = MigrationFile(key=key, path=path, lines=SourceLines(text))
    migration.noqa = parse_noqa(text)
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        migration.error = f"SyntaxError: {exc.msg} (line {exc.lineno})"
        migration.class_span = Span.point(max((exc.lineno or 1) - 1, 0))
    except (ValueError, RecursionError, MemoryError) as exc:
        migration.error = f"cannot parse: {type(exc).__name__}"
    else:
        _Parser(migration, text).run(tree)
    if migration.error:
        _mark_unreadable(migration)
    return migration


def _mark_unreadable(migration: MigrationFile) -> None:
    """A file Django would fail to import: keep its key, know nothing else."""
    migration.has_migration_class = None
    migration.dependencies_complete = False
    migration.run_before_complete = False
    migration.replaces_complete = False
    migration.operations_complete = False


def parse_migration_file(key: MigrationKey, path: Path, text: str | None = None) -> MigrationFile:
    """Parse the file at ``path`` (or ``text``, an editor's unsaved buffer)."""
    if text is None:
        try:
            text = read_source(path)
        except SourceError as exc:
            migration = MigrationFile(key=key, path=path, error=str(exc))
            _mark_unreadable(migration)
            return migration
    return parse_migration_source(key, path, text)
