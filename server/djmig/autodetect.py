"""The models of an app against the state its migrations produce: what ``makemigrations``
would write, for a subset of ``MigrationAutodetector`` (``django/db/migrations/autodetector.py``).

Both sides are ``ModelState``s of static values: the migrated state from ``state.py``, the
models from ``index/models.py``. Fields are compared the way ``MigrationAutodetector``
compares them, by their ``deep_deconstruct()``: ``deconstruct_field`` mirrors
``Field.deconstruct`` of Django's field classes (the keyword arguments each drops at its
default, what ``__init__`` sets), values are brought to what they are at run time (a lazy
translation is its text, ``models.CASCADE`` is ``django.db.models.deletion.CASCADE``,
``choices`` as ``normalize_choices`` makes them).

Comparisons are three-valued: equal, different, or cannot tell (a function imported under
another name, a computed value). Only a certain difference becomes an operation; a model
or field that cannot be told is left out, so every operation here is one
``makemigrations`` generates. Covered: ``CreateModel`` (proxy models too), ``DeleteModel``,
``AddField``, ``RemoveField``, ``AlterField``, ``AlterModelOptions``, ``AlterModelTable``,
``AlterModelTableComment``, ``AlterModelManagers``, ``AlterUniqueTogether``, ``AddIndex``,
``RemoveIndex``, ``RenameIndex``, ``AddConstraint``, ``RemoveConstraint``. Renames are never
asked for (``makemigrations --noinput``, ``--check``): a renamed field is a removal and an
addition, as ``NonInteractiveMigrationQuestioner`` answers.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import graphlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from djmig.fields import RELATION_FIELDS, field_class
from djmig.index.migrations import qualify
from djmig.index.values import UNKNOWN, CallValue, Ref, is_unknown
from djmig.state import ALTER_OPTION_KEYS, FieldState, ModelState

#: What migration files name without importing (``from django.db import migrations, models``).
DEFAULT_IMPORTS = {
    "models": "django.db.models",
    "migrations": "django.db.migrations",
    "settings": "django.conf.settings",
}
_DELETION = ("CASCADE", "PROTECT", "RESTRICT", "SET", "SET_NULL", "SET_DEFAULT", "DO_NOTHING")
#: Objects importable under several paths, by the path ``deconstruct`` gives them.
ALIASES = {
    **{f"django.db.models.{n}": f"django.db.models.deletion.{n}" for n in _DELETION},
    "django.db.models.Q": "django.db.models.query_utils.Q",
}
#: Functions a field's ``default``/``upload_to`` may name, known to be distinct objects.
KNOWN_FUNCTIONS = frozenset({
    *(f"django.db.models.deletion.{n}" for n in _DELETION),
    "django.utils.timezone.now", "uuid.uuid4", "uuid.uuid1", "datetime.date.today",
    "datetime.datetime.now", "datetime.datetime.today", "dict", "list", "set", "str", "int",
    "bool", "float", "tuple",
})  # fmt: skip
_LAZY_TEXT = frozenset({
    "django.utils.translation.gettext_lazy", "django.utils.translation.gettext",
    "django.utils.translation.ugettext_lazy", "django.utils.translation.ugettext",
})  # fmt: skip
_BUILTINS = frozenset({"dict", "list", "set", "str", "int", "bool", "float", "tuple", "bytes"})
#: Modules of Django's ``@deconstructible`` validators: compared by path and arguments.
_VALIDATORS = ("django.core.validators.", "django.contrib.auth.validators.")
_DATETIME = {"datetime.date", "datetime.datetime", "datetime.time", "datetime.timedelta"}


# -- values as they are at run time ---------------------------------------------------------


@dataclass(frozen=True)
class Symbol:
    """A function or class, by the import path a migration names it with."""

    qualname: str


@dataclass(frozen=True)
class Deconstructed:
    """``deep_deconstruct`` of a deconstructible object: ``(path, args, kwargs)``."""

    path: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]

    @property
    def kw(self) -> dict[str, Any]:
        return dict(self.kwargs)


class Scope:
    """How the names inside the values of one file are resolved: its imports (a models
    module's own definitions among them), and for a models module the qualnames of
    things that are not importable callables (classes, constants: never a ``Symbol``)."""

    def __init__(self, imports: Mapping[str, str] | None, local: str | None = None) -> None:
        self.imports = {**DEFAULT_IMPORTS, **(imports or {})}
        self.local = local  # the app's package: names under it only as functions

    def symbol(self, dotted: str) -> Any:
        qualname = qualify(dotted, self.imports) or dotted
        if "." not in qualname:
            return Symbol(qualname) if qualname in _BUILTINS else UNKNOWN
        return Symbol(ALIASES.get(qualname, qualname))


def canonical(value: Any, scope: Scope) -> Any:
    """``value`` as it compares at run time; UNKNOWN when that cannot be known."""
    if value is None or isinstance(value, (str, bytes, bool, int, float)):
        return value
    if isinstance(value, list):
        items = [canonical(v, scope) for v in value]
        return UNKNOWN if any(is_unknown(i) for i in items) else items
    if isinstance(value, tuple):
        items = [canonical(v, scope) for v in value]
        return UNKNOWN if any(is_unknown(i) for i in items) else tuple(items)
    if isinstance(value, set):
        return value  # literal members only (``evaluate``)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = canonical(item, scope)
            if is_unknown(item):
                return UNKNOWN
            out[key] = item
        return out
    if isinstance(value, Ref):
        return scope.symbol(value.dotted)
    if isinstance(value, CallValue):
        return _call(value, scope)
    return UNKNOWN


def _call(value: CallValue, scope: Scope) -> Any:
    if value.has_star:
        return UNKNOWN
    func = scope.symbol(value.func)
    if not isinstance(func, Symbol):
        return UNKNOWN
    path = func.qualname
    args = [canonical(a, scope) for a in value.args]
    kwargs = {k: canonical(v, scope) for k, v in value.kwargs.items()}
    if any(is_unknown(v) for v in (*args, *kwargs.values())):
        return UNKNOWN
    if path in _LAZY_TEXT:
        return args[0] if len(args) == 1 and not kwargs and isinstance(args[0], str) else UNKNOWN
    try:
        if path == "decimal.Decimal" and len(args) == 1 and not kwargs:
            return decimal.Decimal(args[0]) if isinstance(args[0], (str, int)) else UNKNOWN
        if path == "uuid.UUID" and len(args) == 1 and not kwargs:
            return uuid.UUID(args[0]) if isinstance(args[0], str) else UNKNOWN
        if path in _DATETIME and all(type(v) is int for v in (*args, *kwargs.values())):
            return getattr(datetime, path.rpartition(".")[2])(*args, **kwargs)
    except (ValueError, TypeError, ArithmeticError):
        return UNKNOWN
    if path == "django.db.models.query_utils.Q":
        connector = kwargs.pop("_connector", None)
        negated = kwargs.pop("_negated", False)
        children = (*args, *sorted(kwargs.items()))
        extra: list[tuple[str, Any]] = []
        if connector not in (None, "AND"):
            extra.append(("_connector", connector))
        if negated:
            extra.append(("_negated", True))
        return Deconstructed("django.db.models.Q", tuple(children), tuple(extra))
    if path.startswith(_VALIDATORS) or path in ("django.db.models.Index",):
        return Deconstructed(path, tuple(args), tuple(sorted(kwargs.items())))
    if path in _CONSTRAINTS:
        return _constraint(path, args, kwargs)
    return UNKNOWN


_CONSTRAINTS = {"django.db.models.UniqueConstraint", "django.db.models.CheckConstraint"}


def _constraint(path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """``UniqueConstraint``/``CheckConstraint.deconstruct`` for the plain forms."""
    if args:
        return UNKNOWN
    if path.endswith("CheckConstraint") and "check" in kwargs:
        kwargs["condition"] = kwargs.pop("check")
    for key in ("fields", "include", "opclasses"):
        if key in kwargs:
            if not isinstance(kwargs[key], (list, tuple)):
                return UNKNOWN
            kwargs[key] = tuple(kwargs[key])
            if not kwargs[key]:
                del kwargs[key]
    for key, default in (
        ("condition", None),
        ("deferrable", None),
        ("nulls_distinct", None),
        ("violation_error_code", None),
        ("violation_error_message", None),
    ):
        if key in kwargs and kwargs[key] is default:
            del kwargs[key]
    return Deconstructed(path, (), tuple(sorted(kwargs.items())))


def _index(value: Any) -> Any:
    """``Index.deconstruct``: ``fields`` a list, absent when empty."""
    if not isinstance(value, Deconstructed) or value.path != "django.db.models.Index":
        return value
    if value.args:
        return UNKNOWN
    kwargs = dict(value.kwargs)
    if "fields" in kwargs:
        if not isinstance(kwargs["fields"], (list, tuple)):
            return UNKNOWN
        kwargs["fields"] = list(kwargs["fields"])
        if not kwargs["fields"]:
            del kwargs["fields"]
    for key in ("opclasses", "include"):
        if key in kwargs:
            kwargs[key] = list(kwargs[key]) if isinstance(kwargs[key], (list, tuple)) else UNKNOWN
            if not kwargs[key]:
                del kwargs[key]
    for key in ("db_tablespace", "condition"):
        if key in kwargs and kwargs[key] is None:
            del kwargs[key]
    if not isinstance(kwargs.get("name"), str) or any(is_unknown(v) for v in kwargs.values()):
        return UNKNOWN
    return Deconstructed(value.path, (), tuple(sorted(kwargs.items())))


def same(a: Any, b: Any) -> bool | None:
    """``a == b`` at run time: True, False, or None when it cannot be told."""
    if is_unknown(a) or is_unknown(b):
        return None
    if a == b:  # canonical values compare as Django compares them: equal is certain
        return True
    if isinstance(a, Symbol) or isinstance(b, Symbol):
        if isinstance(a, Symbol) and isinstance(b, Symbol) and a.qualname == b.qualname:
            return True
        known = [x.qualname in KNOWN_FUNCTIONS for x in (a, b) if isinstance(x, Symbol)]
        if all(known) and (len(known) == 2 or not isinstance(a if known else b, Symbol)):
            return False
        return None
    if isinstance(a, Deconstructed) and isinstance(b, Deconstructed):
        if a.path != b.path:
            return False
        return _all(same(a.args, b.args), same(a.kw, b.kw))
    if isinstance(a, Deconstructed) or isinstance(b, Deconstructed):
        return False
    if type(a) in (list, tuple) and type(b) in (list, tuple):
        if type(a) is not type(b) or len(a) != len(b):
            return False
        return _all(*(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        return _all(*(same(a[k], b[k]) for k in a))
    try:
        return bool(a == b)
    except Exception:  # values of the user's types never get here; stay silent if they do
        return None


def _all(*results: bool | None) -> bool | None:
    if False in results:
        return False
    if None in results:
        return None
    return True


# -- fields ---------------------------------------------------------------------------------

_NOT_PROVIDED: Any = object()
#: ``Field.deconstruct``'s ``possibles``: keyword → default it drops.
FIELD_POSSIBLES: dict[str, Any] = {
    "verbose_name": None, "primary_key": False, "max_length": None, "unique": False,
    "blank": False, "null": False, "db_index": False, "default": _NOT_PROVIDED,
    "db_default": _NOT_PROVIDED, "editable": True, "serialize": True, "unique_for_date": None,
    "unique_for_month": None, "unique_for_year": None, "choices": None, "help_text": "",
    "db_column": None, "db_comment": None, "db_tablespace": None, "auto_created": False,
    "validators": [], "error_messages": None,
}  # fmt: skip
_RELATED = {"related_name": None, "related_query_name": None, "limit_choices_to": None}
#: Per class: extra keywords its ``__init__`` takes and the default its ``deconstruct``
#: drops, and ``max_length``'s default (dropped when equal, except ``EmailField``).
_CLASS_KEYWORDS: dict[str, dict[str, Any]] = {
    "CharField": {"db_collation": None},
    "TextField": {"db_collation": None},
    "SlugField": {"db_collation": None, "allow_unicode": False},
    "EmailField": {"db_collation": None},
    "URLField": {"db_collation": None},
    "DecimalField": {"max_digits": None, "decimal_places": None},
    "DateField": {"auto_now": False, "auto_now_add": False},
    "DateTimeField": {"auto_now": False, "auto_now_add": False},
    "TimeField": {"auto_now": False, "auto_now_add": False},
    "GenericIPAddressField": {"unpack_ipv4": False, "protocol": "both"},
    "FileField": {"upload_to": ""},
    "ImageField": {"upload_to": "", "width_field": None, "height_field": None},
    "FilePathField": {"path": "", "match": None, "recursive": False, "allow_files": True,
                      "allow_folders": False},
    "JSONField": {"encoder": None, "decoder": None},
    "ForeignKey": {"on_delete": _NOT_PROVIDED, "parent_link": False, "db_constraint": True,
                   **_RELATED},
    "OneToOneField": {"on_delete": _NOT_PROVIDED, "parent_link": False, "db_constraint": True,
                      **_RELATED},
    "ManyToManyField": {"db_table": None, "db_constraint": True, **_RELATED},
}  # fmt: skip
_PLAIN = (
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "BigIntegerField",
    "BooleanField",
    "DurationField",
    "FloatField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "UUIDField",
    "BinaryField",
)
for _name in _PLAIN:
    _CLASS_KEYWORDS[_name] = {}
_MAX_LENGTH = {
    "SlugField": 50,
    "URLField": 200,
    "FileField": 100,
    "ImageField": 100,
    "FilePathField": 100,
    "EmailField": 254,
}
_TIME = ("DateField", "DateTimeField", "TimeField")


@dataclass(frozen=True)
class FieldDecon:
    """A field's ``deconstruct()``: Django's class (``CharField``), its keyword arguments
    (canonical values), the model it relates to (``app_label.model_name`` lower case) and
    the setting it is swappable through."""

    cls: str
    kwargs: Mapping[str, Any]
    related: str | None = None
    setting: str | None = None

    @property
    def path(self) -> str:
        return f"django.db.models.{self.cls}"

    @property
    def many_to_many(self) -> bool:
        return self.cls == "ManyToManyField"

    def flag(self, name: str) -> bool:
        return self.kwargs.get(name) is True


@dataclass
class Relations:
    """How relation targets resolve: the app of a model class by import path, the
    swappable user model, and (for the models) the installed apps: a relation to an app
    that is not installed stops every management command at its system checks
    (``fields.E307``), so it is no change ``makemigrations`` would write."""

    app_label: str
    model_name: str
    resolve_class: Callable[[str], str | None]
    auth_user_model: Any
    installed: frozenset[str] | None = None
    not_installed: list[str] = field(default_factory=list)  # apps such relations named

    def target(self, value: Any, scope: Scope) -> tuple[str, str | None] | None:
        """``(label_lower, setting)`` of a relation's ``to``; None when unknown."""
        setting = None
        if isinstance(value, Ref):
            dotted = qualify(value.dotted, scope.imports) or value.dotted
            if dotted == "django.conf.settings.AUTH_USER_MODEL":
                value, setting = self.auth_user_model, "AUTH_USER_MODEL"
                if not isinstance(value, str):
                    return None
            else:
                label = self.resolve_class(dotted)
                if label is None:
                    return None
                value = label
        if not isinstance(value, str):
            return None
        if value == "self":
            value = f"{self.app_label}.{self.model_name}"
        if "." not in value:
            if self.resolve_class is _no_classes:
                return None  # a migration's dotless reference: not resolved here
            value = f"{self.app_label}.{value}"
        app, _, model = value.partition(".")
        if self.installed is not None and app not in self.installed:
            self.not_installed.append(app)
            return None
        label = f"{app}.{model.lower()}"
        user = self.auth_user_model
        if setting is None and isinstance(user, str) and label.lower() == user.lower():
            setting = "AUTH_USER_MODEL"  # ``ForeignObject.swappable_setting``
        return label, setting


def _no_classes(qualname: str) -> str | None:
    del qualname
    return None


def deconstruct_field(
    fstate: FieldState, relations: Relations, local: str | None = None
) -> FieldDecon | None:
    """``Field.deconstruct()`` of a field as written; None when it cannot be known."""
    value = fstate.value
    klass = field_class(fstate.qualname)
    if klass is None or not isinstance(value, CallValue) or value.has_star:
        return None
    if not (fstate.qualname or "").startswith("django.db.models."):
        return None
    name = klass.name
    if name not in _CLASS_KEYWORDS:
        return None
    scope = _scope(fstate.imports, local)
    kwargs = dict(value.kwargs)
    args = value.args
    if args:
        positional = _POSITIONAL.get(name, ("verbose_name",))
        if len(args) > len(positional):
            return None
        for keyword, arg in zip(positional, args):
            if keyword in kwargs:
                return None
            kwargs[keyword] = arg
    related = setting = None
    if name in RELATION_FIELDS:
        if "to" not in kwargs or any(
            k in kwargs
            for k in ("to_field", "through", "swappable", "symmetrical", "through_fields")
        ):
            return None
        target = relations.target(kwargs.pop("to"), scope)
        if target is None:
            return None
        related, setting = target
    allowed = _ALLOWED[name]
    out: dict[str, Any] = {}
    for key, raw in kwargs.items():
        if key not in allowed:
            return None
        item = canonical(raw, scope)
        if is_unknown(item):
            return None
        out[key] = item
    if "choices" in out:
        out["choices"] = _normalize_choices(out["choices"])
        if is_unknown(out["choices"]):
            return None
    if "validators" in out:
        if not isinstance(out["validators"], (list, tuple)):
            return None
        out["validators"] = list(out["validators"])
    result = _apply_init(name, out)
    if result is None:
        return None
    for key in [k for k in result if k in allowed]:
        if _is_default(result[key], allowed[key], key):
            del result[key]
    _apply_deconstruct(name, result)
    if related is not None:
        result["to"] = related
    return FieldDecon(name, result, related, setting)


_ALLOWED = {name: {**FIELD_POSSIBLES, **extra} for name, extra in _CLASS_KEYWORDS.items()}
#: The keywords a field class's positional arguments stand for (``verbose_name`` else).
_POSITIONAL = {"ForeignKey": ("to", "on_delete"), "OneToOneField": ("to", "on_delete"),
               "ManyToManyField": ("to",)}  # fmt: skip
_SCOPES: dict[tuple[int, str | None], tuple[Mapping[str, str] | None, Scope]] = {}


def _scope(imports: Mapping[str, str] | None, local: str | None) -> Scope:
    """The ``Scope`` of a file's imports, one per imports mapping (files share theirs)."""
    key = (id(imports), local)
    cached = _SCOPES.get(key)
    if cached is not None and cached[0] is imports:
        return cached[1]
    scope = Scope(imports, local)
    if len(_SCOPES) > 50_000:
        _SCOPES.clear()
    _SCOPES[key] = (imports, scope)
    return scope


def _is_default(value: Any, default: Any, key: str) -> bool:
    if key in ("choices", "validators"):
        return bool(value == default)  # ``equals_comparison``
    if default is None or isinstance(default, bool):
        return value is default
    if default is _NOT_PROVIDED:
        return False
    return type(value) is type(default) and value == default


def _apply_init(name: str, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """What the class's ``__init__`` sets before ``deconstruct`` reads the attributes."""
    out = dict(kwargs)
    if name in _MAX_LENGTH:
        out.setdefault("max_length", _MAX_LENGTH[name])
    if name == "SlugField":
        out.setdefault("db_index", True)
    if name in ("ForeignKey",):
        out.setdefault("db_index", True)
        if "on_delete" not in out:
            return None
    if name == "OneToOneField":
        if "on_delete" not in out:
            return None
        out["unique"] = True
    if name in _TIME and (out.get("auto_now") is True or out.get("auto_now_add") is True):
        out["editable"], out["blank"] = False, True
    if name == "BinaryField":
        out.setdefault("editable", False)
    if name in ("UUIDField", "GenericIPAddressField"):
        out["max_length"] = 32 if name == "UUIDField" else 39
    if name.endswith("AutoField"):
        out["blank"] = True
    if name in ("FileField", "ImageField") and "storage" in out:
        return None
    return out


def _apply_deconstruct(name: str, kwargs: dict[str, Any]) -> None:
    """The class's own ``deconstruct`` after ``Field.deconstruct``."""
    if name == "EmailField":
        kwargs.setdefault("max_length", 254)  # kept at its default, on purpose
    elif name in _MAX_LENGTH and kwargs.get("max_length") == _MAX_LENGTH[name]:
        del kwargs["max_length"]
    if name == "SlugField":
        if kwargs.get("db_index") is False:
            kwargs["db_index"] = False
        else:
            kwargs.pop("db_index", None)
    if name == "ForeignKey":
        if kwargs.get("db_index") is False:
            kwargs["db_index"] = False
        else:
            kwargs.pop("db_index", None)
    if name == "OneToOneField":
        kwargs.pop("unique", None)
        kwargs.pop("db_index", None) if kwargs.get("db_index") is not False else None
    if name in _TIME and (kwargs.get("auto_now") is True or kwargs.get("auto_now_add") is True):
        kwargs.pop("editable", None)
        kwargs.pop("blank", None)
    if name == "BinaryField":
        if kwargs.get("editable") is True:
            kwargs["editable"] = True
        else:
            kwargs.pop("editable", None)
    if name in ("UUIDField", "GenericIPAddressField"):
        kwargs.pop("max_length", None)
    if name.endswith("AutoField"):
        kwargs.pop("blank", None)
        kwargs["primary_key"] = True
    if name in ("FileField", "ImageField"):
        kwargs.setdefault("upload_to", "")
    if name in ("ForeignKey", "OneToOneField") and not kwargs.get("limit_choices_to"):
        kwargs.pop("limit_choices_to", None)
    if name == "ManyToManyField" and not kwargs.get("limit_choices_to"):
        kwargs.pop("limit_choices_to", None)


def _normalize_choices(value: Any, depth: int = 0) -> Any:
    """``django.utils.choices.normalize_choices`` on literal values."""
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict) and depth < 2:
        value = list(value.items())
    if isinstance(value, (list, tuple)) and depth < 2:
        if any(isinstance(x, (str, bytes)) for x in value):
            return value
        out = []
        for item in value:
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                return value
            out.append((item[0], _normalize_choices(item[1], depth + 1)))
        return out
    if isinstance(value, (Symbol, Deconstructed)):
        return UNKNOWN
    return value


# -- operations -----------------------------------------------------------------------------


@dataclass
class Change:
    """One operation ``makemigrations`` would write. ``anchor`` is where the change is in
    the models: ``(model_name, field_name)`` (field None: the class; model None: the
    module). ``source`` renders it for a migration file (None when djmig cannot)."""

    kind: str
    model: str
    description: str
    fragment: str
    anchor: tuple[str | None, str | None]
    source: str | None = None
    imports: frozenset[str] = frozenset()
    depends_on: frozenset[str] = frozenset()  # other apps' labels, "__setting__" for the user
    not_null: bool = False
    targets: frozenset[str] = frozenset()  # models of other apps relations point to


@dataclass
class AppChanges:
    """The operations for one app, in the order ``makemigrations`` writes them, and
    whether its new migration is the app's initial one (``Migration.initial``)."""

    app_label: str
    changes: list[Change] = field(default_factory=list)
    initial: bool = False


_OPTION_KEYS = frozenset(ALTER_OPTION_KEYS)
Dep = tuple[str, str, str | None]
"""An ``OperationDependency`` within the app: (operation kind, model, field)."""


class _Side:
    """One model on one side, with its scope and relations."""

    def __init__(self, state: ModelState, relations: Relations, local: str | None) -> None:
        self.state = state
        self.relations = relations
        self.local = local
        self._fields: dict[str, FieldDecon | None] = {}

    def field(self, name: str) -> FieldDecon | None:
        if name not in self._fields:
            fstate = self.state.fields[name]
            if self.local is None:  # a migrated field: its state is cached, so is this
                self._fields[name] = _migrated_field(fstate, self.relations)
            else:
                decon = deconstruct_field(fstate, self.relations, self.local)
                if decon is not None and decon.kwargs.get("primary_key") is True:
                    # ``Options.setup_pk`` marks the model's primary key unserialized.
                    decon = dataclasses.replace(decon, kwargs={**decon.kwargs, "serialize": False})
                self._fields[name] = decon
        return self._fields[name]

    def option(self, name: str, default: Any = None) -> Any:
        return canonical(self.state.options.get(name, default), Scope(None, self.local))


_MIGRATED: dict[tuple[int, str, str, Any], tuple[FieldState, FieldDecon | None]] = {}


def _migrated_field(fstate: FieldState, relations: Relations) -> FieldDecon | None:
    """``deconstruct_field`` of a field of the migrated state, cached: the state engine
    keeps the same ``FieldState`` until the app's migrations change."""
    user = relations.auth_user_model
    key = (
        id(fstate),
        relations.app_label,
        relations.model_name,
        user if isinstance(user, str) else None,
    )
    cached = _MIGRATED.get(key)
    if cached is not None and cached[0] is fstate:
        return cached[1]
    decon = deconstruct_field(fstate, relations)
    if len(_MIGRATED) > 200_000:
        _MIGRATED.clear()
    _MIGRATED[key] = (fstate, decon)
    return decon


def _written_alike(old: FieldState, new: FieldState) -> bool:
    """Whether the migration wrote the field exactly as the model declares it (keywords in
    any order, every name standing for the same object): then both deconstruct alike, and
    the most common field costs no ``deconstruct_field``. Not for relations (their target
    is resolved against each side's app) nor primary keys (``Options.setup_pk`` changes
    the model's, not the migration's)."""
    value = new.value
    if (
        type(value) is not CallValue
        or value != old.value
        or new.qualname != old.qualname
        or new.qualname is None
        or new.qualname.rpartition(".")[2] in RELATION_FIELDS
        or "primary_key" in value.kwargs
    ):
        return False
    mine, theirs = _scope(old.imports, None).imports, _scope(new.imports, None).imports
    return _resolves_alike(value, mine, theirs)


def _resolves_alike(value: Any, a: dict[str, str], b: dict[str, str]) -> bool:
    if isinstance(value, Ref):
        return qualify(value.dotted, a) == qualify(value.dotted, b)
    if isinstance(value, CallValue):
        return (
            qualify(value.func, a) == qualify(value.func, b)
            and all(_resolves_alike(v, a, b) for v in value.args)
            and all(_resolves_alike(v, a, b) for v in value.kwargs.values())
        )
    if isinstance(value, (list, tuple, set)):
        return all(_resolves_alike(v, a, b) for v in value)
    if isinstance(value, dict):
        return all(_resolves_alike(k, a, b) and _resolves_alike(v, a, b) for k, v in value.items())
    return True


def _kind_of(state: ModelState) -> str | None:
    """``"model"``, ``"proxy"``, ``"unmanaged"`` as ``_detect_changes`` files them."""
    managed, proxy = state.options.get("managed", True), state.options.get("proxy", False)
    if not isinstance(managed, bool) or not isinstance(proxy, bool):
        return None
    if not managed:
        return "unmanaged"
    return "proxy" if proxy else "model"


def detect_changes(
    app_label: str,
    old_models: Mapping[str, ModelState],
    new_models: Mapping[str, ModelState],
    new_complete: bool,
    old_relations: Callable[[str], Relations],
    new_relations: Callable[[str], Relations],
    local: str,
    skip: Iterable[str] = (),
    inherited: Mapping[str, frozenset[str]] | None = None,
    managers_known: Mapping[str, bool] | None = None,
) -> AppChanges:
    """``MigrationAutodetector._detect_changes`` for one app: the operations that turn the
    migrated ``old_models`` into ``new_models``. Uncertain models on either side, and
    ``skip`` (lower-case names), are left out."""
    inherited = inherited or {}
    managers_known = managers_known or {}
    skipped = set(skip) | {k for k, m in old_models.items() if m.uncertain}
    skipped |= {k for k, m in new_models.items() if m.uncertain}
    old = {k: m for k, m in old_models.items() if k not in skipped}
    new = {k: m for k, m in new_models.items() if k not in skipped}
    kinds_old = {k: _kind_of(m) for k, m in old.items()}
    kinds_new = {k: _kind_of(m) for k, m in new.items()}
    result = AppChanges(app_label, initial=not old_models)
    created = sorted(
        k for k in new if k not in old_models and kinds_new[k] in ("model", "unmanaged")
    )
    deleted = (
        sorted(k for k in old if k not in new_models and kinds_old[k] in ("model", "unmanaged"))
        if new_complete
        else []
    )
    created_proxies = sorted(k for k in new if k not in old_models and kinds_new[k] == "proxy")
    deleted_proxies = (
        sorted(k for k in old if k not in new_models and kinds_old[k] == "proxy")
        if new_complete
        else []
    )
    sides_new = {k: _Side(m, new_relations(m.name), local) for k, m in new.items()}
    sides_old = {k: _Side(m, old_relations(m.name), None) for k, m in old.items()}
    plan = _Plan(app_label)
    # generate_deleted_models
    for key in deleted:
        side = sides_old[key]
        if _normalize_together(side.option("unique_together")):
            plan.add(None, "AlterUniqueTogether", key, fold=("delete", key))
        related = sorted(n for n in side.state.fields if _relation(side, n))
        for name in related:
            target = _target(side, name, app_label)
            plan.add(
                _remove_field(side, name),
                "RemoveField",
                key,
                name,
                refs={t for t in [target] if t},
                fold=("delete", key),
            )
        deps: list[Dep] = [("RemoveField", key, n) for n in related]
        for other_key, other in sides_old.items():
            for fname in other.state.fields:
                if _target(other, fname, app_label) == key and other_key != key:
                    deps += [("RemoveField", other_key, fname), ("AlterField", other_key, fname)]
        change = Change(
            "DeleteModel",
            key,
            f"Delete model {old[key].name}",
            f"delete_{key}",
            (None, None),
            f"migrations.DeleteModel(\n    name={old[key].name!r},\n)",
        )
        plan.add(change, "DeleteModel", key, deps=deps)
    # generate_created_models: each inserted at the beginning, in reverse order (the user
    # model first, unmanaged models before managed ones); their relations added after.
    managed = [k for k in _user_first(created, sides_new) if kinds_new[k] == "model"]
    unmanaged = [k for k in created if kinds_new[k] == "unmanaged"]
    for key in list(reversed(managed)) + list(reversed(unmanaged)):
        side = sides_new[key]
        plan.add(_create_model(side), "CreateModel", key, beginning=True)
        if kinds_new[key] != "model":
            continue
        related = sorted(n for n in side.state.fields if _relation(side, n))
        for name in related:
            deps = [("CreateModel", key, None)]
            target = _target(side, name, app_label)
            if target:
                deps.append(("CreateModel", target, None))
            plan.add(
                _add_field(side, name, created=True),
                "AddField",
                key,
                name,
                fold=("create", key),
                deps=deps,
                refs={t for t in [target] if t},
            )
        after = [("CreateModel", key, None)] + [("AddField", key, n) for n in related]
        options = side.state.options
        for option in ("indexes", "constraints"):
            for _ in options.get(option) or []:
                plan.add(None, "AddIndex", key, fold=("create", key), deps=after)
        if options.get("unique_together"):
            plan.add(None, "AlterUniqueTogether", key, fold=("create", key), deps=after)
    # generate_deleted_proxies, generate_created_proxies
    for key in deleted_proxies:
        name = old[key].name
        plan.add(
            Change(
                "DeleteModel",
                key,
                f"Delete model {name}",
                f"delete_{key}",
                (None, None),
                f"migrations.DeleteModel(\n    name={name!r},\n)",
            ),
            "DeleteModel",
            key,
        )
    for key in created_proxies:
        base = next((b for b in new[key].bases if isinstance(b, str)), "")
        base_model = base.partition(".")[2] if base.partition(".")[0] == app_label else ""
        deps = [("CreateModel", base_model, None)] if base_model else []
        plan.add(
            _create_proxy(sides_new[key]),
            "CreateModel",
            key,
            deps=deps,
            refs={base_model} if base_model else set(),
        )
    kept = sorted(
        k
        for k in old
        if k in new
        and kinds_old[k]
        and kinds_new[k]
        and (kinds_old[k] == "proxy") == (kinds_new[k] == "proxy")
    )
    concrete = [k for k in kept if kinds_old[k] == "model" and kinds_new[k] == "model"]
    for key in kept:
        for change in _altered_options(sides_old[key], sides_new[key]):
            plan.add(change, change.kind, key)
        if managers_known.get(key, True):
            for change in _altered_managers(sides_old[key], sides_new[key]):
                plan.add(change, change.kind, key)
        for change in _altered_table_comment(sides_old[key], sides_new[key]):
            plan.add(change, change.kind, key)
    indexes = {k: _altered_collection(sides_old[k], sides_new[k], "indexes") for k in concrete}
    constraints = {
        k: _altered_collection(sides_old[k], sides_new[k], "constraints") for k in concrete
    }
    for key in concrete:
        for removed in constraints[key][1]:
            plan.add(_remove_object(sides_old[key], "constraint", removed), "RemoveIndex", key)
    for key in concrete:
        for removed in indexes[key][1]:
            plan.add(_remove_object(sides_old[key], "index", removed), "RemoveIndex", key)
    for key in concrete:
        for old_name, new_name in indexes[key][2]:
            change = Change(
                "RenameIndex",
                key,
                f"Rename index {old_name} on {key} to {new_name}",
                f"rename_{old_name.lower()}_{new_name.lower()}",
                (new[key].name, None),
                f"migrations.RenameIndex(\n    model_name={key!r},\n"
                f"    new_name={new_name!r},\n    old_name={old_name!r},\n)",
            )
            plan.add(change, "RenameIndex", key)
    together = {k: _altered_together(sides_old[k], sides_new[k]) for k in concrete}
    for key in concrete:
        entry = together[key]
        if entry is not None and (entry[0] & entry[1] or entry[0]):
            plan.add(
                _alter_together(sides_new[key], entry[0] & entry[1]), "AlterUniqueTogether", key
            )
    field_keys = []
    for key in concrete:
        skip_fields = inherited.get(key, frozenset())
        old_fields = set(old[key].fields) - skip_fields
        new_fields = set(new[key].fields) - skip_fields
        field_keys.append((key, old_fields, new_fields))
    for key, old_fields, new_fields in field_keys:
        for name in sorted(old_fields - new_fields):
            plan.add(
                _remove_field(sides_old[key], name),
                "RemoveField",
                key,
                name,
                deps=[("AlterUniqueTogether", key, None)],
            )
    for key, old_fields, new_fields in field_keys:
        for name in sorted(new_fields - old_fields):
            target = _target(sides_new[key], name, app_label)
            deps = [("RemoveField", key, name)]
            if target:
                deps.append(("CreateModel", target, None))
            plan.add(
                _add_field(sides_new[key], name),
                "AddField",
                key,
                name,
                deps=deps,
                refs={t for t in [target] if t},
            )
    for key, old_fields, new_fields in field_keys:
        for name in sorted(old_fields & new_fields):
            target = _target(sides_new[key], name, app_label)
            for change in _altered_field(sides_old[key], sides_new[key], name):
                alter_deps: list[Dep] = [("CreateModel", target, None)] if target else []
                plan.add(
                    change, change.kind, key, name, deps=alter_deps, refs={t for t in [target] if t}
                )
    for key in concrete:
        entry = together[key]
        if entry is not None and entry[1] != entry[0] & entry[1]:
            plan.add(_alter_together(sides_new[key], entry[1]), "AlterUniqueTogether", key)
    for key in concrete:
        model_deps = _model_dependencies(sides_new[key], app_label)
        for added in indexes[key][0]:
            plan.add(_add_object(sides_new[key], "index", added), "AddIndex", key, deps=model_deps)
    for key in concrete:
        model_deps = _model_dependencies(sides_new[key], app_label)
        for added in constraints[key][0]:
            plan.add(
                _add_object(sides_new[key], "constraint", added), "AddIndex", key, deps=model_deps
            )
    for key in kept:
        table = _altered_db_table(sides_old[key], sides_new[key])
        if table is not None:
            plan.add(table, table.kind, key)
    result.changes = plan.arrange()
    return result


def _relation(side: _Side, name: str) -> bool:
    decon = side.field(name) if _may_relate(side, name) else None
    return decon is not None and decon.related is not None


def _may_relate(side: _Side, name: str) -> bool:
    """Whether field ``name`` is one of the relation classes, the only ones
    ``deconstruct_field`` gives a target (answered without deconstructing it)."""
    fstate = side.state.fields.get(name)
    return fstate is not None and (fstate.qualname or "").rpartition(".")[2] in RELATION_FIELDS


def _target(side: _Side, name: str, app_label: str) -> str | None:
    """The model of the app field ``name`` relates to (lower case), if any."""
    decon = side.field(name) if _may_relate(side, name) else None
    if decon is None or decon.related is None:
        return None
    app, _, model = decon.related.partition(".")
    return model if app == app_label else None


def _model_dependencies(side: _Side, app_label: str) -> list[Dep]:
    """``_get_dependencies_for_model``: the creation of the models its relations point to."""
    targets = {_target(side, n, app_label) for n in side.state.fields}
    return [("CreateModel", t, None) for t in sorted(t for t in targets if t)]


@dataclass
class _Entry:
    """One operation of ``generated_operations`` before sorting and optimizing: ``change``
    is None for the relation fields, indexes and options of a created model (``fold``:
    merged into its ``CreateModel``) and for those removed with a deleted model."""

    change: Change | None
    kind: str
    model: str
    field: str | None
    deps: list[Dep]
    refs: set[str]
    fold: tuple[str, str] | None

    def matches(self, dep: Dep) -> bool:
        """``check_dependency`` for the dependency kinds used here."""
        kind, model, name = dep
        if kind == "CreateModel" and name is None:
            return self.kind == "CreateModel" and self.model == model
        if kind == "AlterUniqueTogether":
            return self.kind == kind and self.model == model
        return self.kind == kind and self.model == model and self.field == name

    def references(self, model: str) -> bool:
        """``Operation.references_model``: on ``model`` or relating to it. A deleted
        model may relate to any, and index and constraint operations keep
        ``Operation``'s "if in doubt, True": those reference every model."""
        return self.kind in _REFERENCE_ALL or self.model == model or model in self.refs

    def reduces_through(self, other: _Entry) -> bool:
        """``self.reduce(other) is True`` for a field operation ``other``: a model
        operation that ``other`` does not reference, a field operation on another field
        of a model ``other`` does not relate to; never an index or constraint operation
        (``Operation.reduce``)."""
        if self.kind in _INDEX_KINDS:
            return False
        if self.field is None:
            return not other.references(self.model)
        same_field = (self.model, self.field) == (other.model, other.field)
        return not same_field and self.model not in other.refs


#: ``IndexOperation``s (what ``_Plan`` files constraints under too).
_INDEX_KINDS = frozenset({"AddIndex", "RemoveIndex", "RenameIndex"})
_REFERENCE_ALL = _INDEX_KINDS | {"DeleteModel"}


class _Plan:
    """``_sort_migrations`` (a topological order on the app's own dependencies) and the
    part of ``MigrationOptimizer`` that applies here: a created model's relation
    fields, indexes, constraints and ``unique_together`` fold into its ``CreateModel``
    (which moves to the last of them when nothing in between references the model), a
    deleted model's relation fields into its ``DeleteModel``, and consecutive
    ``AlterUniqueTogether`` of one model into the last."""

    def __init__(self, app_label: str) -> None:
        self.app_label = app_label
        self.entries: list[_Entry] = []

    def add(
        self,
        change: Change | None,
        kind: str,
        model: str,
        field: str | None = None,
        deps: Iterable[Dep] = (),
        refs: Iterable[str] = (),
        fold: tuple[str, str] | None = None,
        beginning: bool = False,
    ) -> None:
        entry = _Entry(change, kind, model, field, list(deps), set(refs), fold)
        if change is None and fold is None:
            return
        if beginning:
            self.entries.insert(0, entry)
        else:
            self.entries.append(entry)

    def sorted(self) -> list[_Entry]:
        """``_sort_migrations``: ``graphlib.TopologicalSorter.static_order`` over the app's
        operations, added the way Django adds them (the order of equals depends on it)."""
        entries = self.entries
        sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
        for index, entry in enumerate(entries):
            sorter.add(index)
            for dep in entry.deps:
                sorter.add(index, *(i for i, o in enumerate(entries) if o.matches(dep)))
        try:
            return [entries[i] for i in sorter.static_order()]
        except graphlib.CycleError:  # Django raises; keep the order as generated
            return list(entries)

    def arrange(self) -> list[Change]:
        """``MigrationOptimizer`` on the folds: a created model's field into its
        ``CreateModel`` by a right reduction (the ``CreateModel`` moves past what is in
        between, none of which references the model) or else a left one (all in between
        reduce through the field); a deleted model's relation field into its
        ``DeleteModel`` by a right reduction only (a model operation never reduces through
        a ``DeleteModel``). A field that folds neither way stays an operation of its own."""
        entries = self.sorted()
        for index in range(len(entries)):
            entry = entries[index]
            if entry.fold is None or entry.fold[0] not in ("create", "delete"):
                continue
            kind, model = entry.fold
            target = "CreateModel" if kind == "create" else "DeleteModel"
            at = next(
                (i for i, e in enumerate(entries) if e.kind == target and e.model == model),
                None,
            )
            if at is None or (at > index if kind == "create" else at < index):
                continue
            if kind == "delete":
                between = [e for e in entries[index + 1 : at] if e.kind != "folded"]
                if entry.change is None or not any(e.references(model) for e in between):
                    entries[index] = _folded(entry)
                else:
                    entry.fold = None  # RemoveField, then DeleteModel
                continue
            create = entries[at]
            between = [e for e in entries[at + 1 : index] if e.kind != "folded"]
            if all(not e.references(model) for e in between):
                create.refs |= entry.refs
                entries[at : index + 1] = [*entries[at + 1 : index], create, _folded(entry)]
            elif entry.change is None or all(e.reduces_through(entry) for e in between):
                create.refs |= entry.refs
                entries[index] = _folded(entry)
            else:
                entry.fold = None  # CreateModel, ..., AddField
        return _merge_together([e.change for e in entries if e.change and e.fold is None])


def _folded(entry: _Entry) -> _Entry:
    """A placeholder for a folded entry: keeps positions stable during ``arrange``."""
    return _Entry(None, "folded", entry.model, None, [], set(), ("folded", entry.model))


def _merge_together(changes: list[Change]) -> list[Change]:
    """``AlterUniqueTogether`` followed by another on the same model with nothing in
    between that touches the model: the later one alone."""
    out: list[Change] = []
    for change in changes:
        if change.kind == "AlterUniqueTogether":
            for index in range(len(out) - 1, -1, -1):
                earlier = out[index]
                if earlier.model != change.model:
                    continue
                if earlier.kind == "AlterUniqueTogether":
                    del out[index]
                break
        out.append(change)
    return out


def _user_first(created: list[str], sides: Mapping[str, _Side]) -> list[str]:
    """``swappable_first_key``: the user model (``AUTH_USER_MODEL``) first."""
    first = [k for k in created if _is_user_model(sides[k])]
    return first + [k for k in created if k not in first]


def _is_user_model(side: _Side) -> bool:
    user = side.relations.auth_user_model
    state = side.state
    return isinstance(user, str) and user.lower() == f"{state.app_label}.{state.name}".lower()


# -- rendering (``MigrationWriter``, ``OperationWriter``) -------------------------------------


class Writer:
    """``serializer_factory`` for the canonical values: source text and its imports."""

    def __init__(self) -> None:
        self.imports: set[str] = set()

    def value(self, value: Any) -> str:
        if isinstance(value, Symbol):
            module, _, name = value.qualname.rpartition(".")
            if not module:
                return name
            if module == "django.db.models":
                self.imports.add("from django.db import models")
                return f"models.{name}"
            self.imports.add(f"import {module}")
            return value.qualname
        if isinstance(value, Deconstructed):
            return self.call(value.path, list(value.args), dict(value.kwargs))
        if isinstance(value, decimal.Decimal):
            self.imports.add("import decimal")
            return f"decimal.Decimal({str(value)!r})"
        if isinstance(value, uuid.UUID):
            self.imports.add("import uuid")
            return f"uuid.{value!r}"
        if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
            self.imports.add("import datetime")
            return repr(value)
        if isinstance(value, list):
            return "[" + ", ".join(self.value(v) for v in value) + "]"
        if isinstance(value, tuple):
            if len(value) == 1:
                return f"({self.value(value[0])},)"
            return "(" + ", ".join(self.value(v) for v in value) + ")"
        if isinstance(value, (set, frozenset)):
            if not value:
                return "set()"
            return "{" + ", ".join(sorted(self.value(v) for v in value)) + "}"
        if isinstance(value, dict):
            return (
                "{" + ", ".join(f"{self.value(k)}: {self.value(v)}" for k, v in value.items()) + "}"
            )
        return repr(value)

    def call(self, path: str, args: list[Any], kwargs: Mapping[str, Any]) -> str:
        """A deconstructible's ``path(*args, **kwargs)`` (``DeconstructableSerializer``)."""
        func = self.value(Symbol(path))
        parts = [self.value(a) for a in args]
        parts += [f"{k}={self.value(v)}" for k, v in sorted(kwargs.items())]
        return f"{func}({', '.join(parts)})"

    def field(self, decon: FieldDecon) -> str:
        self.imports.add("from django.db import models")
        parts = []
        for key, value in sorted(decon.kwargs.items()):
            if key == "to" and decon.setting:
                self.imports.add("from django.conf import settings")
                parts.append(f"to=settings.{decon.setting}")
            else:
                parts.append(f"{key}={self.value(value)}")
        return f"models.{decon.cls}({', '.join(parts)})"


def _field_source(side: _Side, name: str) -> tuple[str | None, frozenset[str]]:
    decon = side.field(name)
    if decon is None:
        return None, frozenset()
    writer = Writer()
    return writer.field(decon), frozenset(writer.imports)


def _dependencies(decon: FieldDecon | None, app_label: str) -> frozenset[str]:
    if decon is None or decon.related is None:
        return frozenset()
    if decon.setting:
        other = decon.related.partition(".")[0]
        return frozenset() if other == app_label else frozenset({"__setting__"})
    other = decon.related.partition(".")[0]
    return frozenset() if other == app_label else frozenset({other})


def _targets(decon: FieldDecon | None, app_label: str) -> frozenset[str]:
    """``app_label.model_name`` of a relation to another app's model."""
    if decon is None or decon.related is None:
        return frozenset()
    return (
        frozenset() if decon.related.partition(".")[0] == app_label else frozenset({decon.related})
    )


def _create_model(side: _Side) -> Change | None:
    """``generate_created_models`` after the optimizer: one ``CreateModel`` with the
    relation fields last (sorted), indexes, constraints and ``unique_together`` in its
    options, and the managers ``ModelState.from_model`` keeps."""
    state = side.state
    key = state.name_lower
    writer = Writer()
    depends: set[str] = set()
    targets: set[str] = set()
    fields: list[str] = []
    renderable = True
    plain, related = [], []
    for name in state.fields:
        decon = side.field(name)
        if decon is not None and decon.related is not None:
            related.append(name)
        else:
            plain.append(name)
    if state.options.get("managed", True) is False:
        related = []  # an unmanaged model's relations are not written (``generate_created_models``)
    for name in plain + sorted(related):
        decon = side.field(name)
        if decon is None:
            renderable = False
            continue
        depends |= _dependencies(decon, state.app_label)
        targets |= _targets(decon, state.app_label)
        fields.append(f"        ({name!r}, {writer.field(decon)}),")
    options = {k: v for k, v in state.options.items() if k not in ("indexes", "constraints")}
    together = options.pop("unique_together", None)
    rendered_options = []
    for option, value in options.items():
        canon = canonical(value, Scope(None, side.local))
        if is_unknown(canon):
            renderable = False
            continue
        rendered_options.append(f"        {option!r}: {writer.value(canon)},")
    for option in ("indexes", "constraints"):
        items = side.option(option, [])
        if not isinstance(items, list):
            renderable = False
            continue
        items = [_index(i) if option == "indexes" else i for i in items]
        if any(is_unknown(i) for i in items):
            renderable = False
        elif items:
            rendered_options.append(
                f"        {option!r}: [{', '.join(writer.value(i) for i in items)}],"
            )
    if together:
        normalized = _normalize_together(canonical(together, Scope(None, side.local)))
        if normalized is None:
            renderable = False
        elif normalized:
            rendered_options.append(f"        'unique_together': {writer.value(normalized)},")
    managers = _managers(side, True)
    if is_unknown(managers):
        renderable = False
    source = None
    if renderable:
        writer.imports.add("from django.db import models")
        lines = ["migrations.CreateModel(", f"    name={state.name!r},", "    fields=["]
        lines += fields
        lines.append("    ],")
        if rendered_options:
            lines.append("    options={")
            lines += rendered_options
            lines.append("    },")
        if managers:
            lines.append("    managers=[")
            lines += [f"        ({n!r}, {writer.call(p, a, k)})," for n, p, a, k in managers]
            lines.append("    ],")
        lines.append(")")
        source = "\n".join(lines)
    return Change(
        "CreateModel",
        key,
        f"Create model {state.name}",
        key,
        (state.name, None),
        source,
        frozenset(writer.imports),
        frozenset(depends),
        targets=frozenset(targets),
    )


def _create_proxy(side: _Side) -> Change | None:
    """``generate_created_proxies``: a ``CreateModel`` without fields, bases the parent."""
    state = side.state
    key = state.name_lower
    bases = [b for b in state.bases if isinstance(b, str)]
    writer = Writer()
    options = {k: canonical(v, Scope(None, side.local)) for k, v in state.options.items()}
    source = None
    if bases and len(bases) == len(state.bases) and not any(map(is_unknown, options.values())):
        rendered = "".join(f"        {k!r}: {writer.value(v)},\n" for k, v in options.items())
        source = (
            f"migrations.CreateModel(\n    name={state.name!r},\n    fields=[\n    ],\n"
            f"    options={{\n{rendered}    }},\n"
            f"    bases=({', '.join(repr(b) for b in bases)},),\n)"
        )
    return Change(
        "CreateModel", key, f"Create proxy model {state.name}", key, (state.name, None),
        source, frozenset(writer.imports),
    )  # fmt: skip


def _altered_options(old: _Side, new: _Side) -> list[Change]:
    """``generate_altered_options``."""
    old_options = {k: old.option(k) for k in old.state.options if k in _OPTION_KEYS}
    new_options = {k: new.option(k) for k in new.state.options if k in _OPTION_KEYS}
    if same(old_options, new_options) is not False:
        return []
    if any(is_unknown(v) for v in new_options.values()):
        return []
    writer = Writer()
    name = new.state.name
    rendered = "".join(
        f"        {k!r}: {writer.value(v)},\n" for k, v in sorted(new_options.items())
    )
    body = f"{{\n{rendered}    }}" if new_options else "{}"
    source = f"migrations.AlterModelOptions(\n    name={name.lower()!r},\n    options={body},\n)"
    return [
        Change(
            "AlterModelOptions",
            name.lower(),
            f"Change Meta options on {name.lower()}",
            f"alter_{name.lower()}_options",
            (name, None),
            source,
            frozenset(writer.imports),
        )
    ]


def _managers(side: _Side, models_side: bool) -> Any:
    """``ModelState.managers`` as ``(name, class path, args, kwargs)``; for the models, as
    ``ModelState.from_model`` keeps them (plain managers only as the default's shim)."""
    scope = Scope(None, side.local)
    out = []
    for entry in side.state.managers:
        if not isinstance(entry, tuple) or len(entry) != 2:
            return UNKNOWN
        name, manager = entry
        if manager is None:  # ``models.Manager()`` in models.py
            manager = CallValue("django.db.models.Manager")
        if not isinstance(manager, CallValue) or manager.has_star:
            return UNKNOWN
        path = qualify(manager.func, scope.imports) if not models_side else manager.func
        args = canonical(list(manager.args), scope)
        kwargs = canonical(dict(manager.kwargs), scope)
        if is_unknown(args) or is_unknown(kwargs) or path is None:
            return UNKNOWN
        out.append((name, path, args, kwargs))
    if models_side:
        seen: set[str] = set()
        kept = []
        for index, (name, path, args, kwargs) in enumerate(out):
            if name in seen:
                continue
            seen.add(name)
            plain = path in ("django.db.models.Manager", "django.db.models.manager.Manager")
            if plain and index != 0:
                continue
            kept.append((name, "django.db.models.Manager" if plain else path, args, kwargs))
        if len(kept) == 1 and kept[0][0] == "objects" and kept[0][1] == "django.db.models.Manager":
            kept = []
        return kept
    return [
        (n, "django.db.models.Manager" if p == "django.db.models.manager.Manager" else p, a, k)
        for n, p, a, k in out
    ]


def _altered_managers(old: _Side, new: _Side) -> list[Change]:
    """``generate_altered_managers``."""
    old_managers, new_managers = _managers(old, False), _managers(new, True)
    if is_unknown(old_managers) or is_unknown(new_managers) or old_managers == new_managers:
        return []
    name = new.state.name.lower()
    writer = Writer()
    rendered = "".join(f"        ({n!r}, {writer.call(p, a, k)}),\n" for n, p, a, k in new_managers)
    source = (
        f"migrations.AlterModelManagers(\n    name={name!r},\n    managers=[\n{rendered}    ],\n)"
    )
    return [
        Change(
            "AlterModelManagers",
            name,
            f"Change managers on {name}",
            f"alter_{name}_managers",
            (new.state.name, None),
            source,
            frozenset(writer.imports),
        )
    ]


def _altered_table_comment(old: _Side, new: _Side) -> list[Change]:
    before, after = old.option("db_table_comment"), new.option("db_table_comment")
    if same(before, after) is not False:
        return []
    name = new.state.name.lower()
    source = (
        f"migrations.AlterModelTableComment(\n    name={name!r},\n    table_comment={after!r},\n)"
    )
    return [
        Change(
            "AlterModelTableComment",
            name,
            f"Alter {name} table comment",
            f"alter_{name}_table_comment",
            (new.state.name, None),
            source,
        )
    ]


def _altered_db_table(old: _Side, new: _Side) -> Change | None:
    before, after = old.option("db_table"), new.option("db_table")
    if same(before, after) is not False:
        return None
    name = new.state.name.lower()
    table = after if after is not None else "(default)"
    source = f"migrations.AlterModelTable(\n    name={name!r},\n    table={after!r},\n)"
    return Change(
        "AlterModelTable",
        name,
        f"Rename table for {name} to {table}",
        f"alter_{name}_table",
        (new.state.name, None),
        source,
    )


def _altered_collection(
    old: _Side, new: _Side, option: str
) -> tuple[list[Any], list[Any], list[tuple[str, str]]]:
    """``create_altered_indexes`` / ``create_altered_constraints``: added, removed and
    (indexes) renamed ones; nothing when any cannot be read."""
    before, after = old.option(option, []), new.option(option, [])
    if not isinstance(before, list) or not isinstance(after, list):
        return [], [], []
    if option == "indexes":
        before, after = [_index(i) for i in before], [_index(i) for i in after]
    if any(not isinstance(i, Deconstructed) for i in (*before, *after)):
        return [], [], []
    names = [i.kw.get("name") for i in (*before, *after)]
    if any(not isinstance(n, str) for n in names):
        return [], [], []
    added = [i for i in after if not any(same(i, o) for o in before)]
    removed = [i for i in before if not any(same(i, n) for n in after)]
    if any(same(i, o) is None for i in after for o in before):
        return [], [], []
    renamed: list[tuple[str, str]] = []
    if option == "indexes":
        gone_added, gone_removed = [], []
        for new_index in added:
            new_kw = {k: v for k, v in new_index.kwargs if k != "name"}
            for old_index in removed:
                old_kw = {k: v for k, v in old_index.kwargs if k != "name"}
                if same(new_kw, old_kw) and new_index.kw["name"] != old_index.kw["name"]:
                    renamed.append((old_index.kw["name"], new_index.kw["name"]))
                    gone_added.append(new_index)
                    gone_removed.append(old_index)
        added = [i for i in added if i not in gone_added]
        removed = [i for i in removed if i not in gone_removed]
    if option == "constraints":
        for new_c in added:
            for old_c in removed:
                if new_c.kw["name"] == old_c.kw["name"]:
                    return [], [], []  # maybe ``AlterConstraint`` (Django 5.2): not modelled
    return added, removed, renamed


def _remove_object(side: _Side, what: str, item: Deconstructed) -> Change:
    model = side.state.name.lower()
    name = item.kw["name"]
    operation = "RemoveIndex" if what == "index" else "RemoveConstraint"
    description = (
        f"Remove index {name} from {model}"
        if what == "index"
        else f"Remove constraint {name} from model {model}"
    )
    source = f"migrations.{operation}(\n    model_name={model!r},\n    name={name!r},\n)"
    return Change(
        operation,
        model,
        description,
        f"remove_{model}_{name.lower()}",
        (side.state.name, None),
        source,
    )


def _add_object(side: _Side, what: str, item: Deconstructed) -> Change:
    model = side.state.name.lower()
    name = item.kw["name"]
    writer = Writer()
    operation = "AddIndex" if what == "index" else "AddConstraint"
    if what == "index":
        fields = item.kw.get("fields")
        description = (
            f"Create index {name} on field(s) {', '.join(fields)} of model {model}"
            if fields and not item.kw.get("condition")
            else f"Create index {name} on {model}"
        )
    else:
        description = f"Create constraint {name} on model {model}"
    source = (
        f"migrations.{operation}(\n    model_name={model!r},\n    {what}={writer.value(item)},\n)"
    )
    return Change(
        operation,
        model,
        description,
        f"{model}_{name.lower()}",
        (side.state.name, None),
        source,
        frozenset(writer.imports),
    )


def _normalize_together(value: Any) -> set[tuple[Any, ...]] | None:
    """``normalize_together`` as a set; None when it cannot be read."""
    if is_unknown(value):
        return None
    if not value:
        return set()
    if isinstance(value, (set, list, tuple)):
        items = list(value)
        if items and not isinstance(items[0], (tuple, list)):
            items = [tuple(items)]
        if all(isinstance(i, (tuple, list)) and all(isinstance(n, str) for n in i) for i in items):
            return {tuple(i) for i in items}
    return None


def _altered_together(old: _Side, new: _Side) -> tuple[set[Any], set[Any]] | None:
    """``_get_altered_foo_together_operations`` for ``unique_together``."""
    before = _normalize_together(old.option("unique_together"))
    after = _normalize_together(new.option("unique_together"))
    if before is None or after is None or before == after:
        return None
    return before, after


def _alter_together(side: _Side, value: set[tuple[Any, ...]]) -> Change:
    model = side.state.name.lower()
    writer = Writer()
    source = (
        f"migrations.AlterUniqueTogether(\n    name={model!r},\n"
        f"    unique_together={writer.value(value)},\n)"
    )
    return Change(
        "AlterUniqueTogether",
        model,
        f"Alter unique_together for {model} ({len(value)} constraint(s))",
        f"alter_{model}_unique_together",
        (side.state.name, None),
        source,
    )


def _remove_field(side: _Side, name: str) -> Change:
    model = side.state.name.lower()
    source = f"migrations.RemoveField(\n    model_name={model!r},\n    name={name!r},\n)"
    return Change(
        "RemoveField",
        model,
        f"Remove field {name} from {model}",
        f"remove_{model}_{name.lower()}",
        (side.state.name, None),
        source,
    )


def _add_field(side: _Side, name: str, created: bool = False) -> Change | None:
    """``AddField`` of ``name``; ``created``: a relation field of a model created in the
    same migration, for which ``makemigrations`` asks no default (the table is new)."""
    decon = side.field(name)
    model = side.state.name.lower()
    source, imports = _field_source(side, name)
    if source is not None:
        source = (
            f"migrations.AddField(\n    model_name={model!r},\n    name={name!r},\n"
            f"    field={source},\n)"
        )
    not_null = not created and decon is not None and _needs_default(decon)
    return Change("AddField", model, f"Add field {name} to {model}", f"{model}_{name.lower()}",
                  (side.state.name, name), source, imports,
                  _dependencies(decon, side.state.app_label), not_null,
                  _targets(decon, side.state.app_label))  # fmt: skip


def _needs_default(decon: FieldDecon) -> bool:
    """``_generate_added_field``: a NOT NULL field ``makemigrations`` asks a default for."""
    kwargs = decon.kwargs
    time_fields = decon.cls in _TIME and decon.flag("auto_now")
    preserve_default = (
        kwargs.get("null") is True
        or "default" in kwargs
        or "db_default" in kwargs
        or decon.many_to_many
        or (kwargs.get("blank") is True and decon.cls in _EMPTY_STRINGS)
        or time_fields
    )
    return not preserve_default


_EMPTY_STRINGS = {
    n
    for n in _CLASS_KEYWORDS
    if (c := field_class(f"django.db.models.{n}")) and c.empty_strings_allowed
}


def _altered_field(old: _Side, new: _Side, name: str) -> list[Change]:
    """``generate_altered_fields``: a field whose ``deep_deconstruct()`` differs."""
    if _written_alike(old.state.fields[name], new.state.fields[name]):
        return []
    before, after = old.field(name), new.field(name)
    if before is None or after is None:
        return []
    if before.cls == after.cls and same(dict(before.kwargs), dict(after.kwargs)) is not False:
        return []
    model = new.state.name.lower()
    if before.many_to_many != after.many_to_many:
        removal = _remove_field(old, name)
        addition = _add_field(new, name)
        return [removal] + ([addition] if addition else [])
    source, imports = _field_source(new, name)
    if source is not None:
        source = (
            f"migrations.AlterField(\n    model_name={model!r},\n    name={name!r},\n"
            f"    field={source},\n)"
        )
    return [
        Change(
            "AlterField",
            model,
            f"Alter field {name} on {model}",
            f"alter_{model}_{name.lower()}",
            (new.state.name, name),
            source,
            imports,
            _dependencies(after, new.state.app_label),
            targets=_targets(after, new.state.app_label),
        )
    ]


# -- naming ---------------------------------------------------------------------------------


def suggest_name(changes: AppChanges, timestamp: str) -> str:
    """``Migration.suggest_name``: ``initial``, the operations' name fragments joined
    while under 52 characters (then ``_and_more``), or ``auto_<timestamp>``."""
    if changes.initial:
        return "initial"
    fragments = [re.sub(r"\W+", "_", c.fragment) for c in changes.changes if c.fragment]
    if not fragments or len(fragments) != len(changes.changes):
        return f"auto_{timestamp}"
    name = fragments[0]
    for fragment in fragments[1:]:
        candidate = f"{name}_{fragment}"
        if len(candidate) > 52:
            name = f"{name}_and_more"
            break
        name = candidate
    return name


def parse_number(name: str) -> int | None:
    """``MigrationAutodetector.parse_number``: the number a migration name starts with, the
    last one for a squashed migration (``0001_squashed_0004_x`` → 4)."""
    if squashed := re.search(r".*_squashed_(\d+)", name):
        return int(squashed[1])
    if match := re.match(r"^\d+", name):
        return int(match[0])
    return None


def migration_name(changes: AppChanges, leaf: str | None, timestamp: str) -> str:
    """``MigrationAutodetector.arrange_for_graph``: the number after the app's leaf."""
    number = 1 if leaf is None else (parse_number(leaf) or 0) + 1
    suffix = "initial" if leaf is None else suggest_name(changes, timestamp)[:100]
    return f"{number:04d}_{suffix}"


__all__ = [
    "AppChanges",
    "Change",
    "Deconstructed",
    "FieldDecon",
    "Relations",
    "Scope",
    "Symbol",
    "canonical",
    "deconstruct_field",
    "detect_changes",
    "migration_name",
    "parse_number",
    "same",
    "suggest_name",
]
