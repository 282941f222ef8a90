"""Model state replayed from operations along the graph, like Django's ``ProjectState``.

Each operation's ``state_forwards`` (``django/db/migrations/operations/*.py``) is mirrored on
plain values: a model is a ``ModelState`` with its fields as written (``CallValue``s),
options, bases and managers, keyed by ``(app_label, model_name_lower)`` as in
``ProjectState.models``. Operations only ever change models of their own migration's app,
so the state is kept per app: the state of app A just before migration X replays A's
migrations that precede X in ``MigrationGraph.forwards_plan(X)``, in that order — which is
what ``MigrationLoader.project_state((A, X), at_end=False)`` holds for A's models.

What cannot be known is marked, never guessed: an unknown or custom operation makes the
model it names ``uncertain`` (the whole app when it names none), so do a file that does not
parse, an ``operations`` list that is computed, and an app whose graph is uncertain. Rules
stay silent on uncertain models.

``StateEngine`` caches, per app, the trace of every migration (the state before it and
what each of its operations saw). Editing one migration drops only its app's traces; the
next query replays that app alone.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from djmig.fields import RELATION_FIELDS, Field, field_class, noop
from djmig.graph import MigrationGraph
from djmig.index.discovery import Project
from djmig.index.migrations import DJANGO_MIGRATIONS, MigrationFile, Operation, qualify
from djmig.index.values import UNKNOWN, CallValue, Ref, is_unknown
from djmig.keys import MigrationKey

POSTGRES_OPERATIONS = "django.contrib.postgres.operations"

#: ``AlterModelOptions.ALTER_OPTION_KEYS``: options it removes when they are not given.
ALTER_OPTION_KEYS = (
    "base_manager_name", "default_manager_name", "default_related_name", "get_latest_by",
    "managed", "ordering", "permissions", "default_permissions", "select_on_save",
    "verbose_name", "verbose_name_plural",
)  # fmt: skip


class FieldState(NamedTuple):
    """A field as its last operation wrote it. ``qualname`` is its class, resolved with the
    imports of that migration; ``nullable_since`` counts the app's data operations
    (``AppState.data_operations``) when the field last became nullable, in migration
    ``nullable_in`` (both None: not nullable or unknown). ``imports`` are the names of the
    file that wrote it (what the names inside ``value`` stand for)."""

    value: Any
    qualname: str | None
    nullable_since: int | None = None
    nullable_in: MigrationKey | None = None
    imports: Mapping[str, str] | None = None

    @property
    def field(self) -> Field | None:
        """The field, when it is one of Django's classes with readable arguments."""
        return Field.of(self.value, self.qualname)


class ModelState(NamedTuple):
    """``django.db.migrations.state.ModelState`` on static values. Never mutated once in
    a state: operations replace it (``_replace``).

    ``created_in`` is the migration whose ``CreateModel`` made it (it keeps its table
    through ``RenameModel``); ``uncertain`` says an operation djmig cannot read touched it.
    """

    app_label: str
    name: str
    fields: Mapping[str, FieldState]
    options: Mapping[str, Any]
    bases: tuple[Any, ...] = ()
    managers: tuple[Any, ...] = ()
    created_in: MigrationKey | None = None
    uncertain: bool = False

    @property
    def name_lower(self) -> str:
        return self.name.lower()

    def _option(self, name: str, default: bool) -> bool | None:
        value = self.options.get(name, default)
        return value if isinstance(value, bool) else None

    @property
    def managed(self) -> bool | None:
        return self._option("managed", True)

    @property
    def proxy(self) -> bool | None:
        return self._option("proxy", False)

    @property
    def abstract(self) -> bool | None:
        return self._option("abstract", False)

    @property
    def db_table(self) -> str | None:
        """``Options.db_table``: the ``db_table`` option, else ``app_label_modelname``
        (None when computed)."""
        table = self.options.get("db_table")
        if table is None:
            return f"{self.app_label}_{self.name_lower}"
        return table if isinstance(table, str) else None


@dataclass
class AppState:
    """The models of one app at one point of the plan. ``data_operations`` counts the data
    operations (``RunPython``, ``RunSQL`` that do something) replayed so far."""

    app_label: str
    models: dict[str, ModelState] = field(default_factory=dict)
    uncertain: bool = False
    data_operations: int = 0

    def copy(self) -> AppState:
        return AppState(self.app_label, dict(self.models), self.uncertain, self.data_operations)

    def model(self, name: Any) -> ModelState | None:
        return self.models.get(name.lower()) if isinstance(name, str) else None


class OperationState(NamedTuple):
    """What one operation saw: the model it targets just before it (None when absent from
    the state or not named literally), whether the app was uncertain, and the app's data
    operation count."""

    model: ModelState | None
    app_uncertain: bool
    data_operations: int


class MigrationTrace(NamedTuple):
    """One migration's replay: the app's state before it, what each operation saw, and
    the state after it."""

    key: MigrationKey
    before: AppState
    operations: tuple[OperationState, ...]
    after: AppState


class _Op(NamedTuple):
    """An operation as written, top-level (``Operation``) or nested (a ``CallValue`` in
    ``state_operations``): its kind (the Django operation it acts as on the state, None when
    unknown) and arguments."""

    kind: str | None
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    has_star: bool

    def argument(self, position: int, keyword: str, default: Any = UNKNOWN) -> Any:
        if keyword in self.kwargs:
            return self.kwargs[keyword]
        if len(self.args) > position:
            return self.args[position]
        return default

    @classmethod
    def of(
        cls,
        operation: Operation | Any,
        imports: dict[str, str],
        bases: Mapping[str, str] | None = None,
    ) -> _Op:
        """``bases``: the migration's ``operation_bases`` (subclasses acting as their base)."""
        if isinstance(operation, Operation):
            qualname = operation.qualname
            if bases and qualname is not None and qualname in bases:
                qualname = bases[qualname]
            kind = _kind(qualname)
            return cls(kind, operation.args, operation.kwargs, operation.has_star)
        if isinstance(operation, CallValue):
            kind = _kind(qualify(operation.func, imports))
            return cls(kind, operation.args, operation.kwargs, operation.has_star)
        return cls(None, (), {}, True)

    @property
    def target(self) -> Any:
        """The model name it targets (``name``, ``model_name`` or ``old_name``)."""
        kind = self.kind
        if kind in _MODEL_OPERATIONS:
            return self.argument(0, "old_name" if kind == "RenameModel" else "name")
        if kind is not None:
            return self.argument(0, "model_name")
        return self.kwargs.get("model_name", UNKNOWN)


_KINDS: dict[str | None, str | None] = {}


def _kind(qualname: str | None) -> str | None:
    """The Django operation ``qualname`` acts as on the state (cached per name)."""
    if qualname in _KINDS:
        return _KINDS[qualname]
    kind = None
    if qualname is not None:
        module, _, name = qualname.rpartition(".")
        if module == DJANGO_MIGRATIONS or module.startswith(DJANGO_MIGRATIONS + ".operations"):
            kind = name if name in _HANDLERS else None
        elif module.startswith(POSTGRES_OPERATIONS):
            kind = _POSTGRES.get(name)
    if len(_KINDS) < 10_000:
        _KINDS[qualname] = kind
    return kind


class _Replayer:
    """Applies operations to an ``AppState`` (``state_forwards``)."""

    def __init__(self, state: AppState, key: MigrationKey, imports: dict[str, str]) -> None:
        self.state = state
        self.key = key
        self.imports = imports

    # -- helpers ------------------------------------------------------------------------

    def uncertain(self, name: Any) -> None:
        """Mark model ``name`` uncertain (the app when the name is not a literal)."""
        if not isinstance(name, str):
            self.state.uncertain = True
            return
        models = self.state.models
        current = models.get(name.lower())
        if current is None:
            current = ModelState(self.state.app_label, name, {}, {})
        models[name.lower()] = current._replace(uncertain=True)

    def existing(self, name: Any) -> ModelState | None:
        """The model an operation alters; Django raises when it is missing (KeyError): the
        model is marked uncertain and None returned."""
        model = self.state.model(name)
        if model is None:
            self.uncertain(name)
        return model

    def put(self, model: ModelState, **changes: Any) -> None:
        self.state.models[model.name_lower] = model._replace(**changes)

    def put_fields(self, model: ModelState, fields: Mapping[str, FieldState]) -> None:
        """``put(model, fields=fields)``, the frequent case, without ``_replace``."""
        app_label, name, _, options, bases, managers, created_in, uncertain = model
        self.state.models[model.name_lower] = ModelState(
            app_label, name, fields, options, bases, managers, created_in, uncertain
        )

    def field_state(self, value: Any, previous: FieldState | None = None) -> FieldState:
        imports = self.imports
        if not isinstance(value, CallValue):
            return FieldState(value, None, imports=imports)
        qualname = qualify(value.func, imports)
        klass = field_class(qualname)
        if klass is None or value.has_star or not (klass.null or value.kwargs.get("null") is True):
            return FieldState(value, qualname, imports=imports)
        if previous is not None and previous.nullable_since is not None:
            return FieldState(
                value, qualname, previous.nullable_since, previous.nullable_in, imports
            )
        return FieldState(value, qualname, self.state.data_operations, self.key, imports)

    # -- operations ---------------------------------------------------------------------

    def apply(self, operation: _Op) -> None:
        kind = operation.kind
        if kind is None or operation.has_star:
            self.uncertain(operation.target)
            return
        _HANDLERS[kind](self, operation)

    def create_model(self, op: _Op) -> None:
        name, fields = op.argument(0, "name"), op.argument(1, "fields")
        options = op.argument(2, "options", None) or {}
        bases = op.argument(3, "bases", None) or (Ref("models.Model"),)
        managers = op.argument(4, "managers", None) or ()
        if not isinstance(name, str):
            self.state.uncertain = True
            return
        readable = (
            isinstance(fields, (list, tuple))
            and all(isinstance(f, tuple) and len(f) == 2 and isinstance(f[0], str) for f in fields)
            and isinstance(options, dict)
        )
        if not readable:
            self.uncertain(name)
            return
        options = {"indexes": [], "constraints": [], **options}  # ModelState.__init__
        self.state.models[name.lower()] = ModelState(
            self.state.app_label,
            name,
            {fname: self.field_state(value) for fname, value in fields},
            options,
            tuple(bases) if isinstance(bases, (list, tuple)) else (bases,),
            tuple(managers) if isinstance(managers, (list, tuple)) else (managers,),
            created_in=self.key,
        )

    def delete_model(self, op: _Op) -> None:
        name = op.argument(0, "name")
        if self.existing(name) is not None:
            del self.state.models[name.lower()]

    def rename_model(self, op: _Op) -> None:
        """``ProjectState.rename_model``; references are repointed within the app only."""
        old, new = op.argument(0, "old_name"), op.argument(1, "new_name")
        model = self.existing(old)
        if model is None or not isinstance(new, str):
            self.uncertain(new)
            return
        del self.state.models[old.lower()]
        self.put(model._replace(name=new))
        label = self.state.app_label
        targets = {old.lower(), f"{label}.{old}".lower()}
        for other in list(self.state.models.values()):
            changed = {}
            for fname, fstate in other.fields.items():
                value = fstate.value
                if not isinstance(value, CallValue):
                    continue
                kwargs = dict(value.kwargs)
                args = list(value.args)
                for keyword in ("to", "through"):
                    current = kwargs.get(keyword)
                    if isinstance(current, str) and current.lower() in targets:
                        kwargs[keyword] = f"{label}.{new}"
                if args and isinstance(args[0], str) and args[0].lower() in targets:
                    args[0] = f"{label}.{new}"
                if kwargs != value.kwargs or tuple(args) != value.args:
                    call = CallValue(value.func, tuple(args), kwargs, value.has_star)
                    changed[fname] = fstate._replace(value=call)
            if changed:
                self.put(other, fields={**other.fields, **changed})

    def alter_options(
        self, name: Any, options: Mapping[str, Any], keys: Iterable[str] = ()
    ) -> None:
        """``ProjectState.alter_model_options``."""
        model = self.existing(name)
        if model is None:
            return
        merged = {**model.options, **options}
        for key in keys:
            if key not in options:
                merged.pop(key, None)
        self.put(model, options=merged)

    def option_operation(self, option: str) -> Callable[[_Op], None]:
        """``AlterUniqueTogether`` and the like: ``(name, <option>)``."""

        def apply(op: _Op) -> None:
            self.alter_options(op.argument(0, "name"), {option: op.argument(1, option)})

        return apply

    def alter_model_options(self, op: _Op) -> None:
        options = op.argument(1, "options")
        if not isinstance(options, dict):
            self.uncertain(op.argument(0, "name"))
            return
        self.alter_options(op.argument(0, "name"), options, ALTER_OPTION_KEYS)

    def alter_model_managers(self, op: _Op) -> None:
        model = self.existing(op.argument(0, "name"))
        managers = op.argument(1, "managers")
        if model is not None:
            self.put(model, managers=tuple(managers) if isinstance(managers, list) else (managers,))

    def append_option(self, op: _Op, option: str, value: Any) -> None:
        model = self.existing(op.argument(0, "model_name"))
        if model is not None:
            current = model.options.get(option) or []
            self.put(model, options={**model.options, option: [*current, value]})

    def remove_option(self, op: _Op, option: str, name: Any) -> None:
        model = self.existing(op.argument(0, "model_name"))
        if model is not None:
            kept = [o for o in model.options.get(option) or [] if _object_name(o) != name]
            self.put(model, options={**model.options, option: kept})

    def add_index(self, op: _Op) -> None:
        self.append_option(op, "indexes", op.argument(1, "index"))

    def remove_index(self, op: _Op) -> None:
        self.remove_option(op, "indexes", op.argument(1, "name"))

    def rename_index(self, op: _Op) -> None:
        model = self.existing(op.argument(0, "model_name"))
        if model is None:
            return
        new_name, old_name = op.argument(1, "new_name"), op.argument(2, "old_name", None)
        old_fields = op.argument(3, "old_fields", None)
        indexes = list(model.options.get("indexes") or [])
        if old_fields:
            index = CallValue("models.Index", (), {"fields": old_fields, "name": new_name})
            together = [
                t
                for t in model.options.get("index_together") or []
                if not isinstance(t, (list, tuple)) or tuple(t) != tuple(old_fields)
            ]
            self.put(model, options={**model.options, "indexes": [*indexes, index],
                                     "index_together": together})  # fmt: skip
            return
        renamed = [
            _renamed(index, new_name) if _object_name(index) == old_name else index
            for index in indexes
        ]
        self.put(model, options={**model.options, "indexes": renamed})

    def add_constraint(self, op: _Op) -> None:
        self.append_option(op, "constraints", op.argument(1, "constraint"))

    def remove_constraint(self, op: _Op) -> None:
        self.remove_option(op, "constraints", op.argument(1, "name"))

    def alter_constraint(self, op: _Op) -> None:
        model = self.existing(op.argument(0, "model_name"))
        name, constraint = op.argument(1, "name"), op.argument(2, "constraint")
        if model is not None:
            constraints = [
                constraint if _object_name(c) == name else c
                for c in model.options.get("constraints") or []
            ]
            self.put(model, options={**model.options, "constraints": constraints})

    def add_field(self, op: _Op) -> None:
        """``ProjectState.add_field``: ``preserve_default=False`` drops the default."""
        self.set_field(op, adding=True)

    def alter_field(self, op: _Op) -> None:
        self.set_field(op, adding=False)

    def set_field(self, op: _Op, adding: bool) -> None:
        model = self.existing(op.argument(0, "model_name"))
        name, value = op.argument(1, "name"), op.argument(2, "field")
        preserve = op.argument(3, "preserve_default", True)
        if model is None:
            return
        if not isinstance(name, str):
            self.uncertain(model.name)
            return
        previous = model.fields.get(name)
        if not adding and previous is None:
            self.uncertain(model.name)  # FieldDoesNotExist / KeyError in Django
            return
        if preserve is False and isinstance(value, CallValue):
            kwargs = {k: v for k, v in value.kwargs.items() if k != "default"}
            value = CallValue(value.func, value.args, kwargs, value.has_star)
        elif preserve is not True:
            value = UNKNOWN if is_unknown(preserve) else value
        fstate = self.field_state(value, None if adding else previous)
        self.put_fields(model, {**model.fields, name: fstate})

    def remove_field(self, op: _Op) -> None:
        model = self.existing(op.argument(0, "model_name"))
        name = op.argument(1, "name")
        if model is None:
            return
        if name not in model.fields:
            self.uncertain(model.name)
            return
        self.put_fields(model, {k: v for k, v in model.fields.items() if k != name})

    def rename_field(self, op: _Op) -> None:
        """``ProjectState.rename_field``: the field moves to the end; ``*_together``
        follow the new name."""
        model = self.existing(op.argument(0, "model_name"))
        old, new = op.argument(1, "old_name"), op.argument(2, "new_name")
        if model is None:
            return
        if old not in model.fields or not isinstance(new, str):
            self.uncertain(model.name)
            return
        fields = {k: v for k, v in model.fields.items() if k != old}
        fields[new] = model.fields[old]
        options = dict(model.options)
        for option in ("index_together", "unique_together"):
            together = options.get(option)
            if isinstance(together, (list, tuple, set)):
                options[option] = [
                    [new if n == old else n for n in group]
                    if isinstance(group, (list, tuple))
                    else group
                    for group in together
                ]
        self.put(model, fields=fields, options=options)

    def run_sql(self, op: _Op) -> None:
        if _does_something("RunSQL", op):
            self.state.data_operations += 1
        self.nested(op.argument(2, "state_operations", None))

    def run_python(self, op: _Op) -> None:
        if _does_something("RunPython", op):
            self.state.data_operations += 1

    def separate(self, op: _Op) -> None:
        database = op.argument(0, "database_operations", None)
        for operation in database if isinstance(database, (list, tuple)) else ():
            nested = _Op.of(operation, self.imports)
            if nested.kind in ("RunPython", "RunSQL"):
                self.state.data_operations += 1
        self.nested(op.argument(1, "state_operations", None))

    def nested(self, operations: Any) -> None:
        if operations is None:
            return
        if not isinstance(operations, (list, tuple)):
            self.state.uncertain = True
            return
        for operation in operations:
            self.apply(_Op.of(operation, self.imports))

    def nothing(self, op: _Op) -> None:
        """Operations without a state effect (``CreateExtension``, ``ValidateConstraint``)."""


def _does_something(kind: str, op: _Op | Operation) -> bool:
    """Whether a ``RunPython``/``RunSQL`` counts as a data operation (it is not a noop)."""
    if kind == "RunPython":
        return not noop(op.argument(0, "code"), "RunPython.noop")
    sql = op.argument(0, "sql")
    return not (sql == "" or sql == [] or noop(sql, "RunSQL.noop"))


def _object_name(value: Any) -> Any:
    """The ``name`` of an index or constraint as written (``models.Index(name=...)``)."""
    return value.kwargs.get("name", UNKNOWN) if isinstance(value, CallValue) else UNKNOWN


def _renamed(index: Any, name: Any) -> Any:
    if not isinstance(index, CallValue):
        return index
    return CallValue(index.func, index.args, {**index.kwargs, "name": name}, index.has_star)


_HANDLERS: dict[str, Callable[[_Replayer, _Op], None]] = {
    "CreateModel": _Replayer.create_model,
    "DeleteModel": _Replayer.delete_model,
    "RenameModel": _Replayer.rename_model,
    "AlterModelTable": lambda r, op: r.alter_options(
        op.argument(0, "name"), {"db_table": op.argument(1, "table")}
    ),
    "AlterModelTableComment": lambda r, op: r.alter_options(
        op.argument(0, "name"), {"db_table_comment": op.argument(1, "table_comment")}
    ),
    "AlterUniqueTogether": lambda r, op: r.option_operation("unique_together")(op),
    "AlterIndexTogether": lambda r, op: r.option_operation("index_together")(op),
    "AlterOrderWithRespectTo": lambda r, op: r.option_operation("order_with_respect_to")(op),
    "AlterModelOptions": _Replayer.alter_model_options,
    "AlterModelManagers": _Replayer.alter_model_managers,
    "AddIndex": _Replayer.add_index,
    "RemoveIndex": _Replayer.remove_index,
    "RenameIndex": _Replayer.rename_index,
    "AddConstraint": _Replayer.add_constraint,
    "RemoveConstraint": _Replayer.remove_constraint,
    "AlterConstraint": _Replayer.alter_constraint,
    "AddField": _Replayer.add_field,
    "RemoveField": _Replayer.remove_field,
    "AlterField": _Replayer.alter_field,
    "RenameField": _Replayer.rename_field,
    "RunSQL": _Replayer.run_sql,
    "RunPython": _Replayer.run_python,
    "SeparateDatabaseAndState": _Replayer.separate,
    "Nothing": _Replayer.nothing,
}
_MODEL_OPERATIONS = {
    "CreateModel", "DeleteModel", "RenameModel", "AlterModelTable", "AlterModelTableComment",
    "AlterUniqueTogether", "AlterIndexTogether", "AlterOrderWithRespectTo",
    "AlterModelOptions", "AlterModelManagers",
}  # fmt: skip
#: ``django.contrib.postgres.operations`` by the Django operation they act as on the state.
_POSTGRES = {
    "AddIndexConcurrently": "AddIndex",
    "RemoveIndexConcurrently": "RemoveIndex",
    "AddConstraintNotValid": "AddConstraint",
    **dict.fromkeys(
        ("CreateExtension", "BloomExtension", "BtreeGinExtension", "BtreeGistExtension",
         "CITextExtension", "CryptoExtension", "HStoreExtension", "TrigramExtension",
         "UnaccentExtension", "CreateCollation", "RemoveCollation", "ValidateConstraint"),
        "Nothing",
    ),
}  # fmt: skip


def replay(
    state: AppState, migration: MigrationFile | None, key: MigrationKey
) -> tuple[AppState, tuple[OperationState, ...]]:
    """Apply ``migration``'s operations to a copy of ``state``: the state after it and what
    each operation saw."""
    after = state.copy()
    if migration is None or migration.error or migration.has_migration_class is not True:
        after.uncertain = True
        return after, ()
    replayer = _Replayer(after, key, migration.imports)
    seen = []
    for operation in migration.operations:
        op = _Op.of(operation, migration.imports, migration.operation_bases)
        seen.append(OperationState(after.model(op.target), after.uncertain,
                                   after.data_operations))  # fmt: skip
        replayer.apply(op)
    if not migration.operations_complete:
        after.uncertain = True
    return after, tuple(seen)


def replay_facts(migration: MigrationFile) -> tuple[Any, ...]:
    """What ``replay`` reads of ``migration``: an edit that keeps these (and the graph facts)
    leaves every model state unchanged. A ``RunPython`` counts only as a data operation or
    a noop, so giving it a reverse function changes nothing here."""
    return (
        migration.error is None,
        migration.has_migration_class,
        migration.operations_complete,
        migration.imports,
        tuple(_replay_input(operation) for operation in migration.operations),
    )


def _replay_input(operation: Operation) -> tuple[Any, ...]:
    kind = _kind(operation.qualname)
    if kind in ("RunPython", "RunSQL") and not operation.has_star:
        data = _does_something(kind, operation)
        nested = operation.argument(2, "state_operations") if kind == "RunSQL" else None
        target = operation.argument(0, "model_name")  # what ``_Op.target`` looks up
        return kind, operation.qualname, data, nested, target if isinstance(target, str) else None
    return kind, operation.qualname, operation.args, operation.kwargs, operation.has_star


class _AppHistory(NamedTuple):
    """One app's migrations in plan order, each one's nearest ancestors in the app, their
    traces, and their top-level Django operations by kind (``(key, index)``, plan order)."""

    order: list[MigrationKey]
    parents: dict[MigrationKey, set[MigrationKey]]
    traces: dict[MigrationKey, MigrationTrace]
    by_kind: dict[str, list[tuple[MigrationKey, int]]]


class StateEngine:
    """States along the graph, computed per app on demand and cached.

    ``invalidate(apps)`` drops the cached apps (an edited migration: its app); a changed
    graph needs a new engine, or ``graph_changed``.
    """

    def __init__(
        self,
        project: Project,
        migrations: Mapping[MigrationKey, MigrationFile],
        graph: MigrationGraph,
    ) -> None:
        self.project = project
        self.migrations = migrations
        self.graph = graph
        self._apps: dict[str, _AppHistory] = {}
        self._nodes: dict[str, list[MigrationKey]] | None = None
        self._closure: dict[str, set[str]] | None = None
        self._direct: dict[str, set[str]] | None = None
        self._foreign: dict[str, set[MigrationKey]] = {}
        self.replayed = 0  # migrations replayed, for measurements and tests
        #: Whose findings the queries are answered for (``reading_for``), and for each app
        #: the findings of others that read its states: when its states change, those are
        #: stale too.
        self.reader: tuple[str, str] | None = None
        self.readers: dict[str, set[tuple[str, str]]] = {}

    # -- queries ------------------------------------------------------------------------

    def trace(self, key: MigrationKey) -> MigrationTrace | None:
        """The trace of migration ``key``; None when it is not a node of the graph."""
        return self._history(key.app_label).traces.get(key)

    def before(self, key: MigrationKey) -> AppState | None:
        """The state of ``key``'s app just before migration ``key``."""
        trace = self.trace(key)
        return trace.before if trace else None

    def after(self, key: MigrationKey) -> AppState | None:
        trace = self.trace(key)
        return trace.after if trace else None

    def plan(self, app_label: str) -> list[MigrationKey]:
        """The app's migrations in the order they are replayed."""
        return list(self._history(app_label).order)

    def operations(self, app_label: str, kind: str) -> list[tuple[MigrationKey, int]]:
        """``(migration, index)`` of the app's top-level Django operations of ``kind``
        (``AddField``), in plan order; operations with ``*args`` are left out."""
        return self._history(app_label).by_kind.get(kind, [])

    def model_before(self, key: MigrationKey, app_label: str, model_name: str) -> ModelState | None:
        """Model ``app_label.model_name`` just before migration ``key``: for another app,
        as left by that app's migrations in ``forwards_plan(key)``."""
        state = self.app_state_before(key, app_label)
        return state.model(model_name) if state else None

    def app_state_before(self, key: MigrationKey, app_label: str) -> AppState | None:
        """The models of ``app_label`` just before migration ``key``: for another app, as
        left by that app's migrations in ``forwards_plan(key)`` (an empty state when there
        are none); None when ``key`` is not a node of the graph."""
        if app_label == key.app_label:
            return self.before(key)
        if key not in self.graph:
            return None
        heads = self._app_parents(app_label, key, set())
        if not heads:
            return AppState(app_label, uncertain=app_label in self.graph.uncertain_apps)
        history = self._history(app_label)
        if len(heads) == 1:
            trace = history.traces.get(next(iter(heads)))
            return trace.after if trace else AppState(app_label, uncertain=True)
        closed: set[MigrationKey] = set()
        stack = list(heads)
        while stack:
            node = stack.pop()
            if node not in closed:
                closed.add(node)
                stack.extend(history.parents.get(node, ()))
        return self._state_after_set(app_label, closed)

    def swapped(self, model: ModelState) -> bool | None:
        """``Options.swapped``: the model's ``swappable`` setting names another model."""
        setting = model.options.get("swappable")
        if setting is None:
            return False
        value = self.project.settings.get(setting) if isinstance(setting, str) else UNKNOWN
        if not isinstance(value, str):
            return None
        return value.lower() != f"{model.app_label}.{model.name_lower}"

    def existing_table(self, key: MigrationKey, index: int) -> ModelState | None:
        """The model operation ``index`` of ``key`` targets, when it certainly has a table
        with rows from before this migration: created by an earlier migration, managed,
        concrete, not swapped, and nothing about it uncertain."""
        trace = self.trace(key)
        if trace is None or index >= len(trace.operations):
            return None
        seen = trace.operations[index]
        model = seen.model
        if seen.app_uncertain or model is None or model.uncertain:
            return None
        if model.created_in is None or model.created_in == key:
            return None
        if self._split_initial(key, model.created_in):
            return None
        if model.managed is not True or model.proxy is not False or model.abstract is not False:
            return None
        if self.swapped(model) is not False:
            return None
        return model

    def _split_initial(self, key: MigrationKey, created_in: MigrationKey) -> bool:
        """Whether ``key`` is the second half of the initial migration that created the
        table (``created_in``), as ``makemigrations`` splits one whose foreign keys wait for
        another app's models: no database has the table without it, so the table has no
        rows of before. Marked ``initial = True`` (Django 1.9 and later), or, as Django 1.7
        and 1.8 wrote them, ``00NN_auto_<timestamp>`` right after an initial migration,
        only adding relation fields (and ``*_together``) to that migration's models. (A
        foreign key added later, ``makemigrations`` asks a default for: one without is
        written by hand, and reported.)"""
        migration, first = self.migrations.get(key), self.migrations.get(created_in)
        if migration is None or first is None or key.app_label != created_in.app_label:
            return False
        if migration.initial is True:
            return True
        if migration.initial is False:
            return False
        own = [d.key for d in migration.dependencies if d.key and d.key.app_label == key.app_label]
        if own != [created_in] or not _is_initial(first) or not _AUTO_NAME.fullmatch(key.name):
            return False
        created = {
            name.lower()
            for op in first.operations
            if op.kind == "CreateModel" and isinstance(name := op.argument(0, "name"), str)
        }
        for op in migration.operations:
            if op.kind in ("AlterUniqueTogether", "AlterIndexTogether"):
                model = op.argument(0, "name")
            elif op.kind == "AddField" and _is_relation(op.argument(2, "field"), migration.imports):
                model = op.argument(0, "model_name")
            else:
                return False
            if not isinstance(model, str) or model.lower() not in created:
                return False
        return True

    # -- cache --------------------------------------------------------------------------

    @property
    def foreign(self) -> dict[str, set[MigrationKey]]:
        """For each app replayed, the migrations of other apps its order goes through
        (``graph_changed`` looks there for the apps an edit affects)."""
        return self._foreign

    def merge_foreign(self, foreign: Mapping[str, set[MigrationKey]]) -> None:
        """Take up the ``foreign`` of an engine that replayed other apps (a forked child):
        the findings computed from those replays are affected by the same edits."""
        for app, nodes in foreign.items():
            self._foreign.setdefault(app, set()).update(nodes)

    def invalidate(self, apps: Iterable[str] | None = None) -> None:
        """Forget the states of ``apps`` (all when None)."""
        if apps is None:
            self._apps.clear()
            return
        for app in apps:
            self._apps.pop(app, None)

    def graph_changed(self, graph: MigrationGraph, edited: MigrationKey) -> set[str]:
        """The graph was patched for ``edited``'s dependencies: drop the apps whose order
        may have changed and return them. A path through ``edited`` joins two migrations
        of app B only when B and ``edited``'s app depend on each other (at app level);
        the paths already used go through the apps' ``foreign`` nodes."""
        if graph is self.graph and self._direct is not None:
            # Patched in place: the same nodes, new edges only from or to the updated apps.
            for label in graph.updated_apps:
                self._direct[label] = self._direct_of(label)
        else:
            self._nodes = self._direct = None
        self.graph = graph
        self._closure = None
        closure = self._app_closure()
        app = edited.app_label
        affected = {app, *(n.app_label for n in graph.parent_map.get(edited, ()))}
        affected |= {n.app_label for n in graph.child_map.get(edited, ())}
        affected |= {other for other, nodes in self._foreign.items() if edited in nodes}
        affected |= {other for other in closure.get(app, ()) if app in closure.get(other, ())}
        self.invalidate(affected)
        return affected

    # -- replay -------------------------------------------------------------------------

    def _app_nodes(self) -> dict[str, list[MigrationKey]]:
        if self._nodes is None:
            nodes: dict[str, list[MigrationKey]] = {}
            dummies = self.graph.dummies
            for node in self.graph.parent_map:
                if node not in dummies:
                    nodes.setdefault(node.app_label, []).append(node)
            self._nodes = nodes
        return self._nodes

    def _app_closure(self) -> dict[str, set[str]]:
        """For each app, the apps its migrations depend on, directly or not (at app level:
        a superset of the apps any one migration's ancestors belong to)."""
        if self._closure is None:
            if self._direct is None:
                self._direct = {label: self._direct_of(label) for label in self._app_nodes()}
            self._closure = _reachable(self._direct)
        return self._closure

    def _direct_of(self, app: str) -> set[str]:
        """The apps of the parents of ``app``'s migrations."""
        parents = self.graph.parent_map
        return {p.app_label for node in self._app_nodes().get(app, ()) for p in parents[node]}

    def _app_parents(
        self, app: str, node: MigrationKey, foreign: set[MigrationKey]
    ) -> set[MigrationKey]:
        """The migrations of ``app`` that are nearest ancestors of ``node``: its parents in
        the app, and the app's migrations reached through other apps' migrations (only
        searched in apps that depend on ``app``)."""
        parents, dummies = self.graph.parent_map, self.graph.dummies
        found: set[MigrationKey] = set()
        stack = list(parents.get(node, ()))
        seen: set[MigrationKey] = set()
        while stack:
            parent = stack.pop()
            if parent in seen:
                continue
            seen.add(parent)
            if parent.app_label == app:
                if parent not in dummies:
                    found.add(parent)
            elif app in self._app_closure().get(parent.app_label, ()):
                foreign.add(parent)
                stack.extend(parents.get(parent, ()))
        return found

    @contextlib.contextmanager
    def reading_for(self, label: str, code: str) -> Iterator[None]:
        """Record in ``readers`` the other apps whose states rule ``code`` reads for app
        ``label`` (``""``: the project-wide rules)."""
        self.reader = label, code
        try:
            yield
        finally:
            self.reader = None

    def _history(self, app: str) -> _AppHistory:
        if self.reader is not None and self.reader[0] != app:
            self.readers.setdefault(app, set()).add(self.reader)
        history = self._apps.get(app)
        if history is None:
            history = self._build(app)
            self._apps[app] = history
        return history

    def _build(self, app: str) -> _AppHistory:
        # Like parsing, replaying allocates many objects that live as long as the cache:
        # the cyclic collector would scan them again and again (measured: ~20% of a build).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._replay_app(app)
        finally:
            if collecting:
                gc.enable()

    def _replay_app(self, app: str) -> _AppHistory:
        nodes = sorted(self._app_nodes().get(app, ()))
        foreign: set[MigrationKey] = set()
        app_parents = {node: self._app_parents(app, node, foreign) for node in nodes}
        self._foreign[app] = foreign
        order = _plan(nodes, app_parents)
        position = {node: 1 << i for i, node in enumerate(order)}
        ancestors: dict[MigrationKey, int] = {}
        for node in order:
            mask = 0
            for parent in app_parents[node]:
                mask |= ancestors.get(parent, 0) | position[parent]
            ancestors[node] = mask
        uncertain = app in self.graph.uncertain_apps
        traces: dict[MigrationKey, MigrationTrace] = {}
        by_kind: dict[str, list[tuple[MigrationKey, int]]] = {}
        for node in order:
            migration = self.migrations.get(node)
            for index, operation in enumerate(migration.operations if migration else ()):
                if operation.kind and operation.is_django and not operation.has_star:
                    by_kind.setdefault(operation.kind, []).append((node, index))
            parents = app_parents[node]
            nearest = (
                list(parents)
                if len(parents) < 2
                else [p for p in parents if not any(position[p] & ancestors[q] for q in parents)]
            )
            if not nearest:
                before = AppState(app, uncertain=uncertain)
            elif len(nearest) == 1 and nearest[0] in traces:
                before = traces[nearest[0]].after
            elif any(p not in traces for p in nearest):  # on a cycle
                before = AppState(app, uncertain=True)
            else:  # a merge: replay its ancestors in plan order
                before = AppState(app, uncertain=uncertain)
                for earlier in order:
                    if ancestors[node] & position[earlier]:
                        before, _ = replay(before, self.migrations.get(earlier), earlier)
                        self.replayed += 1
            after, seen = replay(before, migration, node)
            self.replayed += 1
            traces[node] = MigrationTrace(node, before, seen, after)
        return _AppHistory(order, app_parents, traces, by_kind)

    def _state_after_set(self, app: str, nodes: set[MigrationKey]) -> AppState:
        """The state of ``app`` after the migrations ``nodes`` (closed under ancestors)."""
        history = self._history(app)
        parents = history.parents
        has_child = {p for node in nodes for p in parents.get(node, ())}
        heads = [node for node in nodes if node not in has_child]
        if len(heads) == 1 and heads[0] in history.traces:
            return history.traces[heads[0]].after
        state = AppState(app, uncertain=app in self.graph.uncertain_apps)
        for node in history.order:
            if node in nodes:
                state, _ = replay(state, self.migrations.get(node), node)
        return state


def _plan(
    nodes: list[MigrationKey], parents: Mapping[MigrationKey, set[MigrationKey]]
) -> list[MigrationKey]:
    """``MigrationGraph.forwards_plan`` over the app's own ancestry, from each of its
    leaves in order: the order ``migrate`` applies the app's migrations in."""
    has_child = {p for node in nodes for p in parents[node]}
    visited: list[MigrationKey] = []
    visited_set: set[MigrationKey] = set()
    expanded: set[MigrationKey] = set()  # a node met again while expanded is on a cycle
    for leaf in [n for n in nodes if n not in has_child] + nodes:
        stack: list[tuple[MigrationKey, bool]] = [(leaf, False)]
        while stack:
            node, processed = stack.pop()
            if node in visited_set:
                continue
            if processed:
                visited_set.add(node)
                visited.append(node)
            elif node not in expanded:
                expanded.add(node)
                stack.append((node, True))
                stack += [(n, False) for n in sorted(parents[node])]
    return visited


def _reachable(direct: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """What each node reaches through one edge or more of ``direct``: the strongly
    connected components (Kosaraju), whose reach is built dependencies first."""
    order: list[str] = []
    done: set[str] = set()
    for start in direct:
        if start in done:
            continue
        done.add(start)
        stack = [(start, iter(direct[start]))]
        while stack:
            node, targets = stack[-1]
            for target in targets:
                if target not in done:
                    done.add(target)
                    stack.append((target, iter(direct.get(target, ()))))
                    break
            else:
                stack.pop()
                order.append(node)
    reverse: dict[str, list[str]] = {}
    for node, dependencies in direct.items():
        for target in dependencies:
            reverse.setdefault(target, []).append(node)
    component: dict[str, int] = {}
    members: list[list[str]] = []
    for start in reversed(order):
        if start in component:
            continue
        number = len(members)
        component[start] = number
        found, pending = [start], [start]
        while pending:
            for source in reverse.get(pending.pop(), ()):
                if source not in component:
                    component[source] = number
                    found.append(source)
                    pending.append(source)
        members.append(found)
    # Components come sources first: a component's dependencies come after it.
    reach: list[set[str]] = [set() for _ in members]
    for number in range(len(members) - 1, -1, -1):
        mine = reach[number]
        for node in members[number]:
            for target in direct.get(node, ()):
                other = component[target]
                if other == number:
                    mine.update(members[number])  # a cycle, or an edge to itself
                else:
                    mine.update(members[other])
                    mine.update(reach[other])
    return {node: reach[component[node]] for node in component}


#: ``makemigrations``' name for a migration it cannot name after its operations.
_AUTO_NAME = re.compile(r"\d{4}_auto_\d{8}_\d{4}")


def _is_initial(migration: MigrationFile) -> bool:
    """``Migration.initial``, else Django's reading of it (``detect_soft_applied``): no
    dependency on a migration of its own app."""
    if migration.initial is not None:
        return migration.initial is True
    app = migration.key.app_label
    return not any(d.key and d.key.app_label == app for d in migration.dependencies)


def _is_relation(value: Any, imports: dict[str, str]) -> bool:
    """A call of one of Django's relation field classes."""
    if not isinstance(value, CallValue):
        return False
    cls = field_class(qualify(value.func, imports))
    return cls is not None and cls.name in RELATION_FIELDS
