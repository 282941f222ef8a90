"""DM303 "Use settings.AUTH_USER_MODEL": the relation's literal target becomes
``settings.AUTH_USER_MODEL``, the migration gets
``migrations.swappable_dependency(settings.AUTH_USER_MODEL)`` (in place of a literal
dependency the finding names, or appended) and ``from django.conf import settings`` when
nothing binds ``settings`` yet.

What ``makemigrations`` writes for a relation to the swappable model
(``RelatedField.deconstruct`` gives a ``SettingsReference``, the autodetector a
``__setting__`` dependency that ``MigrationWriter`` renders as ``swappable_dependency``).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from djmig.fixes.operations import (
    _elements,
    _is_name,
    _small_statements,
    argument_index,
    dotted_name,
    find_operation,
    parse,
)

SETTING = "AUTH_USER_MODEL"


def use_swappable_user_model(source: str, data: dict[str, Any]) -> str | None:
    """``source`` rewritten as the fix data of a DM303 finding says (``field`` None: the
    dependencies only); None when the file is not laid out as the finding was made on."""
    module = parse(source)
    if module is None:
        return None
    settings = _settings_name(module)
    if settings is False:
        return None
    name = settings or "settings"
    reference = cst.parse_expression(f"{name}.{SETTING}")
    changes: dict[cst.CSTNode, cst.CSTNode] = {}
    if data["field"] is not None:
        call = find_operation(module, data["operation"])
        field = _field_call(call, data["field"]) if call is not None else None
        if field is None:
            return None
        to = argument_index(field.args, 0, "to")
        if to is None or not isinstance(field.args[to].value, cst.SimpleString):
            return None
        args = list(field.args)
        args[to] = args[to].with_changes(value=reference)
        changes[field] = field.with_changes(args=args)
    if data["add_dependency"]:
        dependencies = _dependencies(module)
        prefix = _migrations_prefix(module)
        if dependencies is None or prefix is None:
            return None
        swappable = cst.parse_expression(f"{prefix}swappable_dependency({name}.{SETTING})")
        changes[dependencies] = _with_dependency(
            dependencies, swappable, data["replace_dependency"]
        )
    fixed = module.visit(_Replace(changes))
    if settings is None:
        fixed = _add_settings_import(fixed)
    return fixed.code


class _Replace(cst.CSTTransformer):
    def __init__(self, changes: dict[cst.CSTNode, cst.CSTNode]) -> None:
        self.changes = changes

    def on_leave(self, original: Any, updated: Any) -> Any:
        return self.changes.get(original, updated)


def _field_call(call: cst.Call, field_name: str) -> cst.Call | None:
    """The field call named ``field_name`` in a ``CreateModel``'s ``fields`` or an
    ``AddField``/``AlterField``'s ``field``."""
    fields = argument_index(call.args, 1, "fields")
    callee = dotted_name(call.func) or ""
    if callee.endswith("CreateModel"):
        if fields is None:
            return None
        for entry in _elements(call.args[fields].value):
            if not isinstance(entry, cst.Tuple) or len(entry.elements) != 2:
                continue
            name, value = (e.value for e in entry.elements)
            if (
                isinstance(name, cst.SimpleString)
                and name.evaluated_value == field_name
                and isinstance(value, cst.Call)
            ):
                return value
        return None
    index = argument_index(call.args, 2, "field")
    written = call.args[index].value if index is not None else None
    return written if isinstance(written, cst.Call) else None


def _migration_class(module: cst.Module) -> cst.ClassDef | None:
    classes = [
        s for s in module.body if isinstance(s, cst.ClassDef) and s.name.value == "Migration"
    ]
    return classes[-1] if classes else None


def _dependencies(module: cst.Module) -> cst.List | cst.Tuple | None:
    """The ``dependencies`` list of the ``Migration`` class, when it is one literal list."""
    cls = _migration_class(module)
    if cls is None:
        return None
    found: cst.BaseExpression | None = None
    for statement in _small_statements(cls.body):
        if isinstance(statement, cst.Assign) and any(
            _is_name(t.target, "dependencies") for t in statement.targets
        ):
            found = statement.value
        elif isinstance(statement, cst.AugAssign) and _is_name(statement.target, "dependencies"):
            found = None
    return found if isinstance(found, (cst.List, cst.Tuple)) else None


def _migrations_prefix(module: cst.Module) -> str | None:
    """How the module spells ``django.db.migrations``: ``migrations.`` for
    ``class Migration(migrations.Migration)``."""
    cls = _migration_class(module)
    if cls is None or len(cls.bases) != 1:
        return None
    base = dotted_name(cls.bases[0].value)
    if base is None or not base.endswith(".Migration"):
        return None
    return base[: -len("Migration")]


def _with_dependency(
    node: cst.List | cst.Tuple, new: cst.BaseExpression, replace: int | None
) -> cst.List | cst.Tuple:
    elements = list(node.elements)
    if replace is not None and replace < len(elements):
        elements[replace] = elements[replace].with_changes(value=new)
        return node.with_changes(elements=elements)
    if not elements:
        return node.with_changes(elements=[cst.Element(new)])
    last = elements[-1]
    opening = node.lbracket.whitespace_after if isinstance(node, cst.List) else None
    if isinstance(node, cst.Tuple) and node.lpar:
        opening = node.lpar[0].whitespace_after
    separator: cst.BaseParenthesizableWhitespace = (
        opening if isinstance(opening, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")
    )
    elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
    elements.append(cst.Element(new, comma=last.comma))
    return node.with_changes(elements=elements)


def _settings_name(module: cst.Module) -> str | bool | None:
    """The name ``django.conf.settings`` is bound to at the top of the module; None when
    it is not imported, False when the name ``settings`` is bound to something else."""
    bound_elsewhere = False
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                source = dotted_name(small.module) if small.module else None
                for alias in small.names:
                    imported = dotted_name(alias.name)
                    local = alias.asname.name if alias.asname else alias.name
                    local_name = local.value if isinstance(local, cst.Name) else None
                    if source == "django.conf" and imported == "settings" and not small.relative:
                        return local_name
                    if local_name == "settings":
                        bound_elsewhere = True
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    local = alias.asname.name if alias.asname else alias.name
                    if isinstance(local, cst.Name) and local.value == "settings":
                        bound_elsewhere = True
            elif isinstance(small, cst.Assign) and any(
                _is_name(t.target, "settings") for t in small.targets
            ):
                bound_elsewhere = True
    return False if bound_elsewhere else None


def _add_settings_import(module: cst.Module) -> cst.Module:
    """``from django.conf import settings`` where ``makemigrations`` puts it: before
    ``from django.db import ...``, else after the last top-level import."""
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        imports = [s for s in statement.body if isinstance(s, (cst.Import, cst.ImportFrom))]
        if any(
            isinstance(s, cst.ImportFrom) and s.module and dotted_name(s.module) == "django.db"
            for s in imports
        ):
            position = index
            break
        if imports:
            position = index + 1
    line = cst.parse_statement("from django.conf import settings\n")
    body.insert(position, line)
    return module.with_changes(body=body)
