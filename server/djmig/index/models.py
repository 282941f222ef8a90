"""``ast`` reading of an app's models modules into the state ``makemigrations`` compares.

Mirrors what ``ModelState.from_model`` (``django/db/migrations/state.py``) takes from a model
class once Django has built it (``ModelBase.__new__``, ``Options.contribute_to_class``): the
concrete fields, inherited ones from abstract models included, the implicit primary key
(``DEFAULT_AUTO_FIELD`` or the app config's ``default_auto_field``), the ``Meta`` options
as written (``Options.original_attrs``: inherited from an abstract parent's ``Meta`` when the
class has none), the bases and the managers ``use_in_migrations`` keeps.

The result is a ``ModelState`` per model, the type ``state.py`` replays migrations into,
with field values as written (``CallValue``) and the names they use resolved through the
module's imports and definitions (``FieldState.imports``). Nothing is imported or run.
Whatever Django would compute at import time and djmig cannot read statically — a custom
field class, a base class from outside the app, a computed argument, a class created
dynamically — makes the model ``uncertain`` (or the whole app, ``ModelsFacts.complete``):
the autodetector says nothing about it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from djmig.fields import field_class
from djmig.index.migrations import qualify
from djmig.index.source import absolute_module
from djmig.index.values import (
    UNKNOWN,
    CallValue,
    Ref,
    contains_unknown,
    dotted_name,
    evaluate,
)
from djmig.keys import SourceLines, Span
from djmig.state import FieldState, ModelState

DJANGO_MODEL = {"django.db.models.Model", "django.db.models.base.Model"}
MANAGER = {"django.db.models.Manager", "django.db.models.manager.Manager"}
#: Calls whose result is no field of the migration state (private fields).
PRIVATE_FIELDS = {
    "django.contrib.contenttypes.fields.GenericForeignKey",
    "django.contrib.contenttypes.fields.GenericRelation",
}
#: ``django.db.models.options.DEFAULT_NAMES``, in its order (``original_attrs`` follows it).
DEFAULT_NAMES = (
    "verbose_name",
    "verbose_name_plural",
    "db_table",
    "db_table_comment",
    "ordering",
    "unique_together",
    "permissions",
    "get_latest_by",
    "order_with_respect_to",
    "app_label",
    "db_tablespace",
    "abstract",
    "managed",
    "proxy",
    "swappable",
    "auto_created",
    "apps",
    "default_permissions",
    "select_on_save",
    "default_related_name",
    "required_db_features",
    "required_db_vendor",
    "base_manager_name",
    "default_manager_name",
    "indexes",
    "constraints",
)
META_OPTIONS = frozenset(DEFAULT_NAMES)
_LAZY_TEXT = {
    "django.utils.translation.gettext_lazy",
    "django.utils.translation.gettext",
    "django.utils.translation.ugettext_lazy",
}


@dataclass(frozen=True)
class KnownBase:
    """An abstract model of ``django.contrib.auth`` as Django defines it: the names of its
    fields (compared as Django writes them, never as djmig would), its ``Meta`` options and
    its managers (``UserManager.use_in_migrations``)."""

    fields: tuple[str, ...]
    options: Mapping[str, Any]
    managers: tuple[tuple[str, str], ...] = ()


#: The fields of the auth base classes as Django 5.2's ``makemigrations`` writes them: what
#: a new model inheriting them gets in its ``CreateModel`` (never compared: they are Django's).
_AUTH_FIELDS = {
    "password": "models.CharField(max_length=128, verbose_name='password')",
    "last_login": "models.DateTimeField(blank=True, null=True, verbose_name='last login')",
    "is_superuser": "models.BooleanField(default=False, help_text='Designates that this user "
    "has all permissions without explicitly assigning them.', verbose_name='superuser status')",
    "groups": "models.ManyToManyField(blank=True, help_text='The groups this user belongs to. "
    "A user will get all permissions granted to each of their groups.', "
    "related_name='user_set', related_query_name='user', to='auth.group', "
    "verbose_name='groups')",
    "user_permissions": "models.ManyToManyField(blank=True, help_text='Specific permissions "
    "for this user.', related_name='user_set', related_query_name='user', "
    "to='auth.permission', verbose_name='user permissions')",
    "username": "models.CharField(error_messages={'unique': 'A user with that username "
    "already exists.'}, help_text='Required. 150 characters or fewer. Letters, digits and "
    "@/./+/-/_ only.', max_length=150, unique=True, "
    "validators=[django.contrib.auth.validators.UnicodeUsernameValidator()], "
    "verbose_name='username')",
    "first_name": "models.CharField(blank=True, max_length=150, verbose_name='first name')",
    "last_name": "models.CharField(blank=True, max_length=150, verbose_name='last name')",
    "email": "models.EmailField(blank=True, max_length=254, verbose_name='email address')",
    "is_staff": "models.BooleanField(default=False, help_text='Designates whether the user "
    "can log into this admin site.', verbose_name='staff status')",
    "is_active": "models.BooleanField(default=True, help_text='Designates whether this user "
    "should be treated as active. Unselect this instead of deleting accounts.', "
    "verbose_name='active')",
    "date_joined": "models.DateTimeField(default=django.utils.timezone.now, "
    "verbose_name='date joined')",
}
_MIGRATION_IMPORTS = {"models": "django.db.models"}


def _auth_field(name: str) -> FieldState:
    value = evaluate(ast.parse(_AUTH_FIELDS[name], mode="eval").body)
    qualname = qualify(value.func, _MIGRATION_IMPORTS) if isinstance(value, CallValue) else None
    return FieldState(value, qualname, imports=_MIGRATION_IMPORTS)


_BASE_USER = ("password", "last_login")
_PERMISSIONS = ("is_superuser", "groups", "user_permissions")
_USER = ("username", "first_name", "last_name", "email", "is_staff", "is_active", "date_joined")
KNOWN_BASES = {
    "django.contrib.auth.base_user.AbstractBaseUser": KnownBase(_BASE_USER, {"abstract": False}),
    "django.contrib.auth.models.AbstractBaseUser": KnownBase(_BASE_USER, {"abstract": False}),
    "django.contrib.auth.models.PermissionsMixin": KnownBase(_PERMISSIONS, {"abstract": False}),
    "django.contrib.auth.models.AbstractUser": KnownBase(
        (*_BASE_USER, *_PERMISSIONS, *_USER),
        {"verbose_name": "user", "verbose_name_plural": "users", "abstract": False},
        (("objects", "django.contrib.auth.models.UserManager"),),
    ),
}


class ModelsSource(Protocol):
    """A models module: ``djmig.index.source.SourceFile`` has these."""

    path: Path
    tree: ast.Module | None
    lines: SourceLines


@dataclass
class ParsedModel:
    """One model class of the app. ``state`` is what ``ModelState.from_model`` would hold;
    ``inherited`` the fields of a ``KnownBase`` (not compared); ``managers_known`` False
    when a manager's ``use_in_migrations`` cannot be known."""

    state: ModelState
    path: Path
    span: Span
    field_spans: dict[str, Span] = field(default_factory=dict)
    inherited: frozenset[str] = frozenset()
    managers_known: bool = True
    uncertain: str | None = None


@dataclass
class ModelsFacts:
    """The models of one app. ``complete``: every model of the app is among ``models``
    (no unreadable module, no dynamic definitions), so a model of the migrations that is
    absent here was deleted."""

    app_label: str
    models: dict[str, ParsedModel] = field(default_factory=dict)
    complete: bool = True
    reason: str | None = None
    #: The other modules read for base classes (``_Classes.find``), by module name.
    foreign: tuple[tuple[str, ModelsSource], ...] = ()


@dataclass
class _Class:
    """A class statement of a models module, before it is resolved."""

    node: ast.ClassDef
    module: str
    imports: dict[str, str]
    names: dict[str, Any]
    source: ModelsSource
    qualname: str
    app_label: str
    resolved: _Resolved | None = None


#: ``(app label, source)`` of a module of a workspace app, by module name (None: not one).
ForeignModels = Callable[[str], "tuple[str, ModelsSource] | None"]


class _Classes(dict[str, _Class]):
    """The classes read, by qualified name. ``find`` also reads, through ``load``, the
    module that defines a base class (``from core.models import TimeStamped``, ``from
    .abstract import Base``), following re-exports (``from .base import TimeStamped``)."""

    def __init__(self, load: ForeignModels | None = None) -> None:
        super().__init__()
        self.load = load
        self._modules: dict[str, dict[str, str]] = {}  # module read -> the names it binds
        self.used: list[tuple[str, ModelsSource]] = []

    def find(self, qualname: str) -> _Class | None:
        seen: set[str] = set()
        while qualname not in self and self.load is not None and qualname not in seen:
            seen.add(qualname)
            module, _, name = qualname.rpartition(".")
            target = self._imports(module).get(name)
            if target is None:
                return None
            qualname = target
        return self.get(qualname)

    def _imports(self, module: str) -> dict[str, str]:
        """The names ``module`` binds; its classes are read as those of the app's own
        modules are (other module-level code leaves them as written)."""
        if module not in self._modules:
            loaded = self.load(module) if self.load is not None and module else None
            self._modules[module] = {}  # unknown, or a cycle of imports ends here
            if loaded is not None and loaded[1].tree is not None:
                label, source = loaded
                self.used.append((module, source))
                self._modules[module], _ = _read_module(module, label, source, self, [])
        return self._modules[module]


@dataclass
class _Resolved:
    is_model: bool
    abstract: bool = False
    fields: dict[str, tuple[FieldState, Span]] = field(default_factory=dict)
    meta: dict[str, Any] | None = None
    managers: list[tuple[str, Any]] = field(default_factory=list)
    managers_known: bool = True
    inherited: frozenset[str] = frozenset()
    app_label: str = ""
    bases: tuple[Any, ...] = ()
    uncertain: str | None = None
    has_pk: bool | None = False


def parse_models(
    app_label: str,
    app_module: str,
    sources: Iterable[tuple[str, ModelsSource]],
    default_auto_field: Any,
    imported: Mapping[str, bool] | None = None,
    foreign: ForeignModels | None = None,
) -> ModelsFacts:
    """The models of app ``app_label`` (package ``app_module``) from its models modules
    (``(module name, source)``). ``default_auto_field`` is the implicit primary key's class
    (UNKNOWN when it cannot be read); ``imported`` says, for the submodules of a ``models``
    package, whether ``models/__init__.py`` imports them (a module Django never imports
    defines no model); ``foreign`` gives the other modules of the workspace's apps, where
    base classes imported from them are read."""
    facts = ModelsFacts(app_label)
    classes = _Classes(foreign)
    order: list[_Class] = []
    sources = list(sources)
    parsed = {module for module, _ in sources}
    for module, source in sources:
        if source.tree is None:
            facts.complete, facts.reason = False, f"{source.path} cannot be parsed"
            return facts
        _, dynamic = _read_module(module, app_label, source, classes, order)
        dynamic = dynamic or _imports_app_module(source, module, app_module, parsed)
        if dynamic:
            facts.complete, facts.reason = False, f"{source.path}: {dynamic}"
        if imported is not None and imported.get(module) is False:
            # ``models/__init__`` does not import it: Django sees its models only if
            # something else does.
            facts.complete, facts.reason = False, f"{source.path} is not imported"
            for cls in order:
                if cls.module == module:
                    cls.resolved = _Resolved(True, uncertain="module not imported")
    for cls in order:
        resolved = _resolve(cls, classes, default_auto_field, set())
        if not resolved.is_model or resolved.abstract:
            continue
        meta = resolved.meta or {}
        name = cls.node.name
        span = _header_span(cls)
        uncertain = resolved.uncertain
        label = meta.get("app_label", app_label)
        if label != app_label:
            if isinstance(label, str):
                continue  # a model of another app
            uncertain = uncertain or "Meta.app_label cannot be read"
        options = {key: meta[key] for key in sorted(meta, key=DEFAULT_NAMES.index)}
        options.setdefault("indexes", [])
        options.setdefault("constraints", [])
        fields = {fname: fstate for fname, (fstate, _) in resolved.fields.items()}
        state = ModelState(
            app_label,
            name,
            fields,
            options,
            resolved.bases,
            tuple(resolved.managers),
            uncertain=uncertain is not None,
        )
        facts.models[name.lower()] = ParsedModel(
            state,
            cls.source.path,
            span,
            {fname: s for fname, (_, s) in resolved.fields.items()},
            resolved.inherited,
            resolved.managers_known,
            uncertain,
        )
    facts.foreign = tuple(classes.used)
    return facts


def read_default_auto_field(tree: ast.Module | None) -> Any:
    """``default_auto_field`` of the ``AppConfig`` subclasses of an ``apps.py``: the one
    value they all set (None when none sets it: the setting applies), UNKNOWN when they
    differ or a config derives from another class than ``AppConfig``."""
    if tree is None:
        return UNKNOWN
    found: set[Any] = set()
    for stmt in tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        if [dotted_name(b) for b in stmt.bases] not in (["AppConfig"], ["apps.AppConfig"]):
            return UNKNOWN
        found.add(None)
        for item in stmt.body:
            if isinstance(item, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "default_auto_field" for t in item.targets
            ):
                value = evaluate(item.value)
                found.discard(None)
                found.add(value if isinstance(value, str) else UNKNOWN)
    if len(found) > 1:
        return UNKNOWN
    return found.pop() if found else None


# -- modules ------------------------------------------------------------------------------


def _read_module(
    module: str,
    app_label: str,
    source: ModelsSource,
    classes: dict[str, _Class],
    order: list[_Class],
) -> tuple[dict[str, str], str | None]:
    """Record the module's classes; the names it binds (to qualified names) and the reason
    its models cannot all be known, if any."""
    assert source.tree is not None
    imports: dict[str, str] = {}
    names: dict[str, Any] = {}
    dynamic: str | None = None
    package = module if source.path.name == "__init__.py" else module.rpartition(".")[0]
    for stmt in source.tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    head = alias.name.partition(".")[0]
                    imports[head] = head
        elif isinstance(stmt, ast.ImportFrom):
            base = absolute_module(stmt, package)
            for alias in stmt.names:
                if alias.name == "*":
                    if base is None or not base.startswith("django."):
                        dynamic = dynamic or "a star import"
                    continue
                if base is not None:
                    imports[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(stmt, ast.ClassDef):
            qualname = f"{module}.{stmt.name}"
            cls = _Class(stmt, module, imports, names, source, qualname, app_label)
            classes[qualname] = cls
            imports[stmt.name] = qualname
            order.append(cls)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            imports[stmt.name] = f"{module}.{stmt.name}"
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = evaluate(stmt.value, names) if stmt.value is not None else UNKNOWN
            for target in targets:
                if isinstance(target, ast.Name):
                    names[target.id] = value
                    imports.pop(target.id, None)
                    if _creates_class(stmt.value):
                        dynamic = dynamic or f"{target.id} is created dynamically"
                else:
                    dynamic = dynamic or "an assignment that is not to a name"
        elif isinstance(stmt, ast.Expr):
            if not isinstance(stmt.value, ast.Constant):
                dynamic = dynamic or "module-level code"
        elif isinstance(stmt, (ast.If, ast.Try)) and _only_imports(stmt):
            _conditional_imports(stmt, imports, package)
        elif not isinstance(stmt, ast.Pass):
            dynamic = dynamic or f"a {type(stmt).__name__.lower()} statement at module level"
    return imports, dynamic


def _imports_app_module(
    source: ModelsSource, module: str, app_module: str, parsed: set[str]
) -> str | None:
    """A module of the app's package that is not a models module, imported here: the
    models it defines belong to the app too, and djmig has not read them."""
    assert source.tree is not None
    package = module if source.path.name == "__init__.py" else module.rpartition(".")[0]
    for stmt in _module_level(source.tree.body):
        targets: list[str] = []
        if isinstance(stmt, ast.ImportFrom):
            base = absolute_module(stmt, package)
            if base is None:
                return "an import that cannot be resolved"
            targets = [base] + [f"{base}.{alias.name}" for alias in stmt.names]
        elif isinstance(stmt, ast.Import):
            targets = [alias.name for alias in stmt.names]
        for target in targets:
            inside = target.startswith(app_module + ".")
            if inside and target not in parsed and not _is_parsed_member(target, parsed):
                return f"it imports {target}, which djmig does not read"
    return None


def imports_from(tree: ast.Module | None, module: str, package: str) -> bool:
    """Whether a module of ``package`` imports, on import, from ``module`` or one of its
    submodules."""
    for stmt in _module_level(tree.body if tree is not None else []):
        if isinstance(stmt, ast.ImportFrom):
            base = absolute_module(stmt, package)
            if base is None:
                continue
            names = [base, *(f"{base}.{alias.name}" for alias in stmt.names)]
        elif isinstance(stmt, ast.Import):
            names = [alias.name for alias in stmt.names]
        else:
            continue
        if any(name == module or name.startswith(module + ".") for name in names):
            return True
    return False


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run on import: the module's, and those of its ``if``/``try`` blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _module_level(stmt.body + stmt.orelse)
        elif isinstance(stmt, ast.Try):
            handlers = [s for h in stmt.handlers for s in h.body]
            yield from _module_level(stmt.body + handlers + stmt.orelse + stmt.finalbody)


def _is_parsed_member(target: str, parsed: set[str]) -> bool:
    """``from .models import Product``: a name of a parsed module."""
    return target.rpartition(".")[0] in parsed


def _only_imports(stmt: ast.If | ast.Try) -> bool:
    """``if TYPE_CHECKING:`` / ``try: import x except ImportError:`` blocks."""
    return all(
        isinstance(
            node,
            (
                ast.Import,
                ast.ImportFrom,
                ast.Pass,
                ast.If,
                ast.Try,
                ast.Name,
                ast.Attribute,
                ast.Load,
                ast.ExceptHandler,
                ast.alias,
                ast.Compare,
                ast.Constant,
                ast.expr_context,
                ast.cmpop,
                ast.Tuple,
            ),
        )
        for node in ast.walk(stmt)
    )


def _conditional_imports(stmt: ast.AST, imports: dict[str, str], package: str) -> None:
    for node in ast.walk(stmt):
        if isinstance(node, ast.ImportFrom):
            base = absolute_module(node, package)
            for alias in node.names:
                if alias.name != "*" and base is not None:
                    imports.setdefault(alias.asname or alias.name, f"{base}.{alias.name}")


def _creates_class(node: ast.expr | None) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "type"
        for n in ast.walk(node or ast.Constant(None))
    )


def _header_span(cls: _Class) -> Span:
    node = cls.node
    line = node.lineno - 1
    lines = cls.source.lines
    start = lines.col_from_utf8(line, node.col_offset)
    return Span(line, start, line, start + len("class ") + len(node.name))


def _span(cls: _Class, node: ast.stmt) -> Span:
    lines = cls.source.lines
    line, end_line = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    return Span(
        line,
        lines.col_from_utf8(line, node.col_offset),
        end_line,
        lines.col_from_utf8(end_line, node.end_col_offset or 0),
    )


# -- classes ------------------------------------------------------------------------------


def _resolve(cls: _Class, classes: _Classes, auto_field: Any, visiting: set[str]) -> _Resolved:
    """What Django makes of the class: a model or not, its fields, Meta and managers."""
    if cls.resolved is not None:
        return cls.resolved
    if cls.qualname in visiting:
        return _Resolved(False, uncertain="circular bases")
    visiting.add(cls.qualname)
    result = _build(cls, classes, auto_field, visiting)
    cls.resolved = result
    return result


#: Class decorators that return the class as it is on Python 3 (they only mattered for
#: ``__str__`` on Python 2; django-background-tasks still uses six's).
IDENTITY_DECORATORS = frozenset(
    f"{module}.python_2_unicode_compatible"
    for module in ("six", "django.utils.six", "django.utils.encoding")
)


def _build(cls: _Class, classes: _Classes, auto_field: Any, visiting: set[str]) -> _Resolved:
    node = cls.node
    decorators = [qualify(dotted_name(d), cls.imports) for d in node.decorator_list]
    if node.keywords or any(d not in IDENTITY_DECORATORS for d in decorators):
        return _Resolved(True, uncertain="class keywords or decorators")
    result = _Resolved(False)
    parents: list[_Resolved] = []
    concrete_parent: str | None = None
    for base_node in node.bases:
        base = qualify(dotted_name(base_node), cls.imports)
        if base is None:
            return _Resolved(True, uncertain="a computed base class")
        if base in DJANGO_MODEL:
            result.is_model = True
        elif base in KNOWN_BASES:
            parents.append(_known_parent(cls, KNOWN_BASES[base]))
            result.is_model = True
        elif (parent_class := classes.find(base)) is not None:
            parent = _resolve(parent_class, classes, auto_field, visiting)
            if parent.uncertain:
                return _Resolved(parent.is_model, uncertain=parent.uncertain)
            if parent.is_model and not parent.abstract:
                if concrete_parent is not None:
                    return _Resolved(True, uncertain="several concrete parents")
                concrete_parent = f"{parent.app_label}.{parent_class.node.name}".lower()
                result.is_model = True
                continue
            parents.append(parent)
            result.is_model = result.is_model or parent.is_model
        elif base in ("object", "builtins.object") or _not_a_model(base):
            continue
        else:
            return _Resolved(True, uncertain=f"base class {base} is not known")
    if not result.is_model:
        return _plain_class(cls, parents)
    result.app_label = cls.app_label
    for parent in parents:
        if not parent.is_model:
            continue
        for fname, (fstate, _) in parent.fields.items():
            result.fields.setdefault(fname, (fstate, _header_span(cls)))
        result.inherited |= parent.inherited
        result.managers.extend(m for m in parent.managers if m[0] not in dict(result.managers))
        result.managers_known = result.managers_known and parent.managers_known
        if parent.has_pk is not False:
            result.has_pk = parent.has_pk
    result.bases = (concrete_parent,) if concrete_parent else ()
    meta_node: ast.ClassDef | None = None
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            meta_node = stmt
            continue
        problem = _class_statement(cls, stmt, result)
        if problem:
            result.uncertain = result.uncertain or problem
    own_meta = _read_meta(cls, meta_node, classes) if meta_node is not None else None
    if own_meta is None and meta_node is not None:
        result.uncertain = result.uncertain or "Meta cannot be read"
        own_meta = {}
    if own_meta is None:
        # No Meta: the first parent's that has one (``ModelBase.__new__`` reads the
        # ``Meta`` attribute through the bases), ``abstract`` reset by that parent.
        inherited = next((p.meta for p in parents if p.is_model and p.meta is not None), None)
        own_meta = dict(inherited) if inherited is not None else {}
    abstract = own_meta.get("abstract", False)
    if not isinstance(abstract, bool):
        result.uncertain = result.uncertain or "Meta.abstract cannot be read"
        abstract = False
    result.abstract = abstract
    if abstract:
        own_meta = {**own_meta, "abstract": False}
    result.meta = own_meta
    if concrete_parent is not None:
        if own_meta.get("proxy") is not True or abstract:
            result.uncertain = result.uncertain or "multi-table inheritance"
        elif result.fields or parents:
            result.uncertain = result.uncertain or "a proxy model with fields or mixins"
        return result
    if not abstract:
        _finish_concrete(cls, result, auto_field)
    return result


def _not_a_model(base: str) -> bool:
    """A class of ``django.db.models`` other than ``Model``: ``Manager``, ``QuerySet``,
    ``TextChoices``, a field… none is a model, so neither is a class deriving from it (a
    custom manager is a plain class, not a model djmig cannot read)."""
    return base.startswith("django.db.models.") and base not in DJANGO_MODEL


def _known_parent(cls: _Class, known: KnownBase) -> _Resolved:
    """A ``KnownBase`` as an abstract parent: its fields (not compared), ``Meta`` options
    and managers."""
    span = _header_span(cls)
    parent = _Resolved(True, abstract=True, meta=dict(known.options))
    parent.fields = {name: (_auth_field(name), span) for name in known.fields}
    parent.inherited = frozenset(known.fields)
    parent.managers = [(name, CallValue(manager)) for name, manager in known.managers]
    return parent


def _plain_class(cls: _Class, parents: list[_Resolved]) -> _Resolved:
    """A mixin or helper class: certain when it cannot contribute fields or managers."""
    for parent in parents:
        if parent.uncertain:
            return _Resolved(False, uncertain=parent.uncertain)
    for stmt in cls.node.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
            func = qualify(dotted_name(stmt.value.func), cls.imports)
            if func is None or field_class(func) is not None or not func.startswith("django."):
                return _Resolved(False, uncertain="a mixin with class attributes")
    return _Resolved(False)


def _class_statement(cls: _Class, stmt: ast.stmt, result: _Resolved) -> str | None:
    """Record a field or manager; the reason the model is uncertain, if any."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Pass)):
        return None
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return None
    if isinstance(stmt, ast.ClassDef):
        return None  # a nested class (choices); no field
    if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
        return None
    if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return f"a {type(stmt).__name__.lower()} statement in the class body"
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if len(names) != len(targets):
        return "an assignment that is not to a name"
    assert stmt.value is not None
    if not isinstance(stmt.value, ast.Call):
        value = evaluate(stmt.value, cls.names)
        if (isinstance(value, (Ref, CallValue)) or contains_unknown(value)) and not _computed(
            stmt.value
        ):
            return f"{names[0]} cannot be read"
        for name in names:
            result.fields.pop(name, None)  # a plain attribute hides an inherited field
        return None
    func = qualify(dotted_name(stmt.value.func), cls.imports)
    if func is None:
        return f"{names[0]} is a call of a computed callable"
    if func in PRIVATE_FIELDS:
        return None
    klass = field_class(func)
    if klass is not None:
        value = evaluate(stmt.value, cls.names)
        for name in names:
            if name == "pk":
                return "a field named pk"
            fstate = FieldState(value, func, imports=cls.imports)
            result.fields.pop(name, None)
            result.fields[name] = (fstate, _span(cls, stmt))
            if _is_primary_key(stmt.value):
                result.has_pk = True
            elif _is_primary_key(stmt.value) is None:
                result.has_pk = None
        return None
    if func in MANAGER and not stmt.value.args and not stmt.value.keywords:
        for name in names:
            result.managers.append((name, None))
        return None
    if func.rpartition(".")[2].endswith("Manager") or func.endswith(".as_manager"):
        result.managers_known = False
        for name in names:
            result.managers.append((name, UNKNOWN))
        return None
    return f"{names[0]} = {func}(...) is not a field djmig knows"


def _computed(value: ast.expr) -> bool:
    """An operation without a call (``DAILY = 24 * HOURLY``, ``x > 0``): its result is no
    field nor manager (Django's define no such operators), so the attribute is a plain one
    whatever it holds. Not ``a or b``, which gives one of its operands."""
    return isinstance(value, (ast.BinOp, ast.Compare, ast.UnaryOp)) and not any(
        isinstance(node, ast.Call) for node in ast.walk(value)
    )


def _is_primary_key(call: ast.Call) -> bool | None:
    for keyword in call.keywords:
        if keyword.arg == "primary_key":
            value = evaluate(keyword.value)
            return value if isinstance(value, bool) else None
        if keyword.arg is None:
            return None
    return False


def _read_meta(cls: _Class, meta: ast.ClassDef, classes: _Classes) -> dict[str, Any] | None:
    """``Options.original_attrs`` of a ``class Meta`` (None when it cannot be read);
    ``class Meta(Parent.Meta)`` starts from the parent's options."""
    options: dict[str, Any] = {}
    for base_node in meta.bases:
        dotted = dotted_name(base_node)
        if dotted is None or not dotted.endswith(".Meta"):
            return None
        parent = qualify(dotted.rpartition(".")[0], cls.imports) or ""
        if parent in KNOWN_BASES:
            inherited: dict[str, Any] | None = dict(KNOWN_BASES[parent].options)
        else:
            found = classes.find(parent)
            resolved = found.resolved if found is not None else None
            inherited = resolved.meta if resolved is not None else None
        if inherited is None:
            return None
        options.update(inherited)
    for stmt in meta.body:
        if isinstance(stmt, ast.Pass) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        ):
            continue
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            return None
        target = stmt.targets[0]
        if not isinstance(target, ast.Name) or target.id not in META_OPTIONS:
            return None
        value = evaluate(stmt.value, cls.names)
        value = _lazy_text(value, cls.imports)
        if contains_unknown(value):
            return None
        options[target.id] = value
    return options


def _lazy_text(value: Any, imports: Mapping[str, str]) -> Any:
    """``_("user")`` as ``"user"``: a lazy string compares equal to its text."""
    if isinstance(value, CallValue):
        func = qualify(value.func, dict(imports))
        if func in _LAZY_TEXT and len(value.args) == 1 and not value.kwargs:
            text = value.args[0]
            return text if isinstance(text, str) else UNKNOWN
    return value


def _finish_concrete(cls: _Class, result: _Resolved, auto_field: Any) -> None:
    """The implicit ``id`` (``Options._prepare``) when no field is the primary key."""
    if result.has_pk is True or result.uncertain:
        return
    if result.has_pk is None:
        result.uncertain = "whether a field is the primary key cannot be read"
        return
    if not isinstance(auto_field, str):
        result.uncertain = "DEFAULT_AUTO_FIELD cannot be read"
        return
    if "id" in result.fields:
        return  # Django raises (models.E004): not ours to report
    value = CallValue(
        auto_field,
        (),
        {"auto_created": True, "primary_key": True, "serialize": False, "verbose_name": "ID"},
    )
    fstate = FieldState(value, auto_field, imports={})
    result.fields = {"id": (fstate, _header_span(cls)), **result.fields}


__all__ = [
    "KNOWN_BASES",
    "KnownBase",
    "ModelsFacts",
    "ModelsSource",
    "ParsedModel",
    "imports_from",
    "parse_models",
    "read_default_auto_field",
]
