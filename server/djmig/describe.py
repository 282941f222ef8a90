"""One line per operation, the way ``makemigrations`` lists them: ``Operation.describe()``.

Each branch mirrors the ``describe`` of its class in ``django/db/migrations/operations/``
(``fields.py``, ``models.py``, ``special.py``) on the arguments as written. A value that is
computed where Django would print it shows as ``?``; an operation that is not one of
Django's shows its constructor arguments like ``Operation.describe`` (``base.py``).
"""

from __future__ import annotations

from typing import Any

from djmig.index.migrations import Operation
from djmig.index.values import CallValue, Ref, is_unknown

#: Operation classes whose first argument (``name``) is the model they act on.
_MODEL_NAMED = {
    "CreateModel": "name", "DeleteModel": "name", "AlterModelTable": "name",
    "AlterModelTableComment": "name", "AlterUniqueTogether": "name",
    "AlterIndexTogether": "name", "AlterOrderWithRespectTo": "name",
    "AlterModelOptions": "name", "AlterModelManagers": "name", "RenameModel": "old_name",
}  # fmt: skip


_EMPTY = {"set", "frozenset", "tuple", "list", "dict"}


def _text(value: Any) -> str:
    if isinstance(value, str) and not is_unknown(value):
        return value
    if value is None:
        return "None"
    if isinstance(value, Ref):
        return value.dotted
    return "?"


def _length(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return str(len(value))
    if isinstance(value, CallValue) and value.func in _EMPTY and not value.args:
        return "0"  # set(), tuple(), ...
    if value is None or value == "":
        return "0"
    return "?"


def _repr(value: Any) -> str:
    if isinstance(value, CallValue):
        return f"{value.func}(…)"
    if isinstance(value, Ref):
        return value.dotted
    return "?" if is_unknown(value) else repr(value)


def describe(operation: Operation) -> str:
    """``operation.describe()`` as Django would print it for the arguments as written."""
    kind = operation.kind if operation.is_django else None
    arg = operation.argument
    if kind == "CreateModel":
        options = arg(2, "options")
        proxy = isinstance(options, dict) and options.get("proxy") is True
        return f"Create {'proxy ' if proxy else ''}model {_text(arg(0, 'name'))}"
    if kind == "DeleteModel":
        return f"Delete model {_text(arg(0, 'name'))}"
    if kind == "RenameModel":
        return f"Rename model {_text(arg(0, 'old_name'))} to {_text(arg(1, 'new_name'))}"
    if kind == "AlterModelTable":
        table = arg(1, "table")
        shown = "(default)" if table is None else _text(table)
        return f"Rename table for {_text(arg(0, 'name'))} to {shown}"
    if kind == "AlterModelTableComment":
        return f"Alter {_text(arg(0, 'name'))} table comment"
    if kind in ("AlterUniqueTogether", "AlterIndexTogether"):
        option = "unique_together" if kind == "AlterUniqueTogether" else "index_together"
        value = arg(1, option)
        return f"Alter {option} for {_text(arg(0, 'name'))} ({_length(value)} constraint(s))"
    if kind == "AlterOrderWithRespectTo":
        order = _text(arg(1, "order_with_respect_to"))
        return f"Set order_with_respect_to on {_text(arg(0, 'name'))} to {order}"
    if kind == "AlterModelOptions":
        return f"Change Meta options on {_text(arg(0, 'name'))}"
    if kind == "AlterModelManagers":
        return f"Change managers on {_text(arg(0, 'name'))}"
    model = _text(arg(0, "model_name"))
    if kind == "AddField":
        return f"Add field {_text(arg(1, 'name'))} to {model}"
    if kind == "RemoveField":
        return f"Remove field {_text(arg(1, 'name'))} from {model}"
    if kind == "AlterField":
        return f"Alter field {_text(arg(1, 'name'))} on {model}"
    if kind == "RenameField":
        old, new = _text(arg(1, "old_name")), _text(arg(2, "new_name"))
        return f"Rename field {old} on {model} to {new}"
    if kind == "AddIndex":
        return _describe_add_index(arg(1, "index"), model)
    if kind == "RemoveIndex":
        return f"Remove index {_text(arg(1, 'name'))} from {model}"
    if kind == "RenameIndex":
        new = _text(arg(1, "new_name"))
        old_name = operation.kwargs.get("old_name")
        if old_name is not None:
            return f"Rename index {_text(old_name)} on {model} to {new}"
        old_fields = operation.kwargs.get("old_fields")
        return f"Rename unnamed index for {_repr(old_fields)} on {model} to {new}"
    if kind == "AddConstraint":
        constraint = arg(1, "constraint")
        name = constraint.kwargs.get("name") if isinstance(constraint, CallValue) else None
        return f"Create constraint {_text(name)} on model {model}"
    if kind == "RemoveConstraint":
        return f"Remove constraint {_text(arg(1, 'name'))} from model {model}"
    if kind == "AlterConstraint":
        return f"Alter constraint {_text(arg(1, 'name'))} on {model}"
    if kind == "SeparateDatabaseAndState":
        return "Custom state/database change combination"
    if kind == "RunSQL":
        return "Raw SQL operation"
    if kind == "RunPython":
        return "Raw Python operation"
    return _describe_other(operation)


def _describe_add_index(index: Any, model: str) -> str:
    """``AddIndex.describe``: expressions when the index has some, else its fields."""
    if not isinstance(index, CallValue):
        return f"Create index ? on field(s) ? of model {model}"
    name = _text(index.kwargs.get("name"))
    if index.args:
        expressions = ", ".join(_repr(e) for e in index.args)
        return f"Create index {name} on {expressions} on model {model}"
    fields = index.kwargs.get("fields")
    shown = ", ".join(_text(f) for f in fields) if isinstance(fields, (list, tuple)) else "?"
    return f"Create index {name} on field(s) {shown} of model {model}"


def _describe_other(operation: Operation) -> str:
    """``Operation.describe``: ``"Name: (args, kwargs)"``, the constructor arguments."""
    name = operation.kind or "Operation"
    args = [_repr(a) for a in operation.args]
    shown = "(" + ", ".join(args) + ("," if len(args) == 1 else "") + ")"
    kwargs = "{" + ", ".join(f"{k!r}: {_repr(v)}" for k, v in operation.kwargs.items()) + "}"
    return f"{name}: ({shown}, {kwargs})"


def target_model(operation: Operation) -> Any:
    """The model name a Django operation acts on (``name``/``old_name``/``model_name``)."""
    if not operation.is_django or operation.kind is None:
        return None
    keyword = _MODEL_NAMED.get(operation.kind)
    if keyword is not None:
        return operation.argument(0, keyword)
    if operation.kind in ("SeparateDatabaseAndState", "RunSQL", "RunPython"):
        return None
    return operation.argument(0, "model_name")
