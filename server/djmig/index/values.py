"""Static evaluation of Python expressions into plain values.

Only what is certain is evaluated: literals, containers of literals, ``+`` of lists and
tuples, dotted names and calls kept as structures. Anything else is ``UNKNOWN``; callers
treat it as "cannot determine", never as a guess.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


class Ref:
    """A dotted name such as ``settings.AUTH_USER_MODEL`` or ``models.CASCADE``."""

    __slots__ = ("dotted",)

    def __init__(self, dotted: str) -> None:
        self.dotted = dotted

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.dotted == self.dotted

    def __hash__(self) -> int:
        return hash(("Ref", self.dotted))

    def __repr__(self) -> str:
        return f"Ref({self.dotted!r})"


@dataclass(eq=True)
class CallValue:
    """A call kept as structure: ``models.CharField(max_length=10)``."""

    func: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    has_star: bool = False

    def __hash__(self) -> int:
        return hash((self.func, self.args, tuple(sorted(self.kwargs))))


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined]
    if kind is ast.Attribute and type(node.value) is ast.Name:  # type: ignore[attr-defined]
        return f"{node.value.id}.{node.attr}"  # type: ignore[attr-defined]
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


Hook = Callable[[ast.AST, "dict[str, Any] | None"], Any]


def evaluate(
    node: ast.AST | None, names: dict[str, Any] | None = None, hook: Hook | None = None
) -> Any:
    """Evaluate ``node`` statically; ``names`` gives values for module-level names.

    ``hook`` is tried first on every node; it returns ``NotImplemented`` to decline.
    """
    if node is None:
        return None
    if hook is not None:
        hooked = hook(node, names)
        if hooked is not NotImplemented:
            return hooked
    kind = type(node)
    if kind is ast.Constant:  # the common case, first
        return node.value  # type: ignore[attr-defined]
    evaluator = _EVALUATORS.get(kind)
    return evaluator(node, names, hook) if evaluator is not None else UNKNOWN


# One evaluator per node type (``ast`` classes are never subclassed), dispatched on the
# exact type: the indexer evaluates every operation of every migration.


def _sequence(node: Any, names: dict[str, Any] | None, hook: Hook | None) -> Any:
    items: list[Any] = []
    for element in node.elts:
        if type(element) is ast.Starred:
            inner = evaluate(element.value, names, hook)
            if not isinstance(inner, (list, tuple)):
                return UNKNOWN
            items.extend(inner)
        else:
            items.append(evaluate(element, names, hook))
    kind = type(node)
    if kind is ast.List:
        return items
    if kind is ast.Tuple:
        return tuple(items)
    return UNKNOWN if any(is_unknown(i) for i in items) else set(items)


def _dict(node: Any, names: dict[str, Any] | None, hook: Hook | None) -> Any:
    result: dict[Any, Any] = {}
    for key_node, value_node in zip(node.keys, node.values):
        if key_node is None:
            inner = evaluate(value_node, names, hook)
            if not isinstance(inner, dict):
                return UNKNOWN
            result.update(inner)
            continue
        key = evaluate(key_node, names, hook)
        if is_unknown(key) or isinstance(key, (list, dict)):
            return UNKNOWN
        result[key] = evaluate(value_node, names, hook)
    return result


def _bin_op(node: Any, names: dict[str, Any] | None, hook: Hook | None) -> Any:
    if not isinstance(node.op, ast.Add):
        return UNKNOWN
    left, right = evaluate(node.left, names, hook), evaluate(node.right, names, hook)
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    if isinstance(left, tuple) and isinstance(right, tuple):
        return left + right
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    return UNKNOWN


def _unary_op(node: Any, names: dict[str, Any] | None, hook: Hook | None) -> Any:
    if not isinstance(node.op, ast.USub):
        return UNKNOWN
    operand = evaluate(node.operand, names, hook)
    if isinstance(operand, (int, float)) and not isinstance(operand, bool):
        return -operand
    return UNKNOWN


def _name(node: Any, names: dict[str, Any] | None, hook: Hook | None) -> Any:
    if names is not None and node.id in names:
        return names[node.id]
    return Ref(node.id)


def _attribute(node: Any, names: dict[str, Any] | None, hook: Hook | None) -> Any:
    dotted = dotted_name(node)
    return Ref(dotted) if dotted else UNKNOWN


def _call(node: Any, names: dict[str, Any] | None, hook: Hook | None) -> Any:
    func = dotted_name(node.func)
    if func is None:
        return UNKNOWN
    has_star = False
    args = []
    for arg in node.args:
        if type(arg) is ast.Starred:
            has_star = True
        else:
            args.append(evaluate(arg, names, hook))
    kwargs = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            has_star = True
        else:
            kwargs[keyword.arg] = evaluate(keyword.value, names, hook)
    if func in _CONSTRUCTORS and not has_star and not kwargs and len(args) <= 1:
        built = _construct(func, args)
        if built is not UNKNOWN:
            return built
    return CallValue(func, tuple(args), kwargs, has_star)


#: Builtin constructors applied to literals, as older migrations write options
#: (``unique_together=set([("a", "b")])``): the value they build. A frozenset is a set
#: here (they compare equal).
_CONSTRUCTORS = {"set": set, "frozenset": set, "tuple": tuple, "list": list}


def _construct(func: str, args: list[Any]) -> Any:
    if not args:
        return _CONSTRUCTORS[func]()
    (items,) = args
    if not isinstance(items, (list, tuple, set)) or contains_unknown(items):
        return UNKNOWN
    if isinstance(items, set) and func in ("tuple", "list"):
        return UNKNOWN  # the order is the set's iteration order
    try:
        return _CONSTRUCTORS[func](items)
    except TypeError:  # unhashable members of a set
        return UNKNOWN


_EVALUATORS: dict[type, Callable[[Any, dict[str, Any] | None, Hook | None], Any]] = {
    ast.List: _sequence,
    ast.Tuple: _sequence,
    ast.Set: _sequence,
    ast.Dict: _dict,
    ast.BinOp: _bin_op,
    ast.UnaryOp: _unary_op,
    ast.Name: _name,
    ast.Attribute: _attribute,
    ast.Call: _call,
}


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, (list, tuple, set)):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    return False
