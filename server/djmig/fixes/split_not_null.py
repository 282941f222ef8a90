"""DM203/DM204 "Split into nullable + backfill + NOT NULL".

The ``AddField`` becomes ``null=True`` without a default; a new migration fills the NULL
rows with one ``update()`` (the field's literal default, else a placeholder to review); a
second new migration makes the column NOT NULL with ``AlterField`` to the field as written.
Migrations that depended on the edited one are re-pointed to the ``AlterField`` one.
"""

from __future__ import annotations

import ast
import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from djmig.fixes.edits import FileEdit, Fix, TextEdit, parses, text_edits
from djmig.fixes.merge_migration import (
    DEFAULT_DJANGO_VERSION,
    installed_django_version,
    parse_number,
)
from djmig.fixes.operations import (
    argument_index,
    dotted_name,
    find_operation,
    insert_argument,
    keyword_arg,
    parse,
)
from djmig.index.source import SourceError, read_source
from djmig.keys import Span

if TYPE_CHECKING:
    from djmig.index.discovery import Project
    from djmig.rules import Finding

_NUMBERS = ("Integer", "Float", "Decimal", "Duration")
_DATES = ("DateField", "DateTimeField", "TimeField")


@dataclass
class Split:
    edited: str
    alter: str
    value: str
    needs_timezone: bool
    placeholder: bool


def _literal(node: cst.BaseExpression, module: cst.Module) -> str | None:
    code = module.code_for_node(node)
    try:
        ast.literal_eval(code)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return code


def _placeholder(cls: str) -> tuple[str, bool] | None:
    """A value for existing rows by field class, and whether it needs ``timezone``."""
    short = cls.rsplit(".", 1)[-1]
    if short in _DATES:
        return ("timezone.now().date()" if short == "DateField" else "timezone.now()"), True
    if short == "TimeField":
        return "timezone.now().time()", True
    if "Boolean" in short:
        return "False", False
    if any(n in short for n in _NUMBERS) or short.endswith("AutoField"):
        return "0", False
    if short in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return '""', False
    return None


def _without(call: cst.Call, *keywords: str) -> cst.Call:
    args = [a for a in call.args if not (a.keyword and a.keyword.value in keywords)]
    if args and call.args and args[-1] is not call.args[-1]:
        last = call.args[-1]
        args[-1] = args[-1].with_changes(comma=last.comma)
    return call.with_changes(args=args)


def split(source: str, index: int) -> Split | None:
    """The edited migration and the field data of the split, or None."""
    module = parse(source)
    if module is None:
        return None
    call = find_operation(module, index)
    if call is None or any(a.star for a in call.args):
        return None
    field_at = argument_index(call.args, 2, "field")
    if field_at is None or not isinstance(call.args[field_at].value, cst.Call):
        return None
    field = call.args[field_at].value
    assert isinstance(field, cst.Call)
    if any(a.star for a in field.args):
        return None
    cls = dotted_name(field.func)
    if cls is None:
        return None
    keep_at = argument_index(call.args, 3, "preserve_default")
    one_off = keep_at is not None and module.code_for_node(call.args[keep_at].value) == "False"
    default = next(
        (a.value for a in field.args if a.keyword and a.keyword.value == "default"), None
    )
    value = _literal(default, module) if default is not None else None
    needs_timezone = placeholder = False
    if value is None or value == "None":
        guess = _placeholder(cls)
        if guess is None:
            return None
        value, needs_timezone = guess
        placeholder = True
    final = _without(field, "default") if one_off else field
    nullable = _without(field, "default", "null", "db_default")
    if nullable.args:
        nullable = insert_argument(
            nullable, len(nullable.args) - 1, keyword_arg("null", cst.Name("True"))
        )
    else:
        nullable = nullable.with_changes(args=[keyword_arg("null", cst.Name("True"))])
    args = list(call.args)
    args[field_at] = args[field_at].with_changes(value=nullable)
    new_call = call.with_changes(args=args)
    if keep_at is not None:
        new_call = _without(new_call, "preserve_default")
    edited = module.deep_replace(call, new_call)
    assert isinstance(edited, cst.Module)
    return Split(
        edited.code,
        module.code_for_node(final),
        value,
        needs_timezone,
        placeholder,
    )


def _imports(source: str) -> list[str]:
    """The module's top-level import lines (the final field may use any of them)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            end = statement.end_lineno or statement.lineno
            found.append("\n".join(lines[statement.lineno - 1 : end]))
    return found


def backfill_migration(
    header: str, app_label: str, model: str, name: str, previous: str, data: Split
) -> str:
    variable = model[:1].upper() + model[1:]
    imports = ["from django.db import migrations"]
    if data.needs_timezone:
        imports.append("from django.utils import timezone")
    todo = "  # TODO: review the value for existing rows" if data.placeholder else ""
    return (
        f"{header}{chr(10).join(imports)}\n\n\n"
        f"def backfill(apps, schema_editor):\n"
        f"    {variable} = apps.get_model({app_label!r}, {model!r})\n"
        f"    {variable}.objects.filter({name}__isnull=True).update(\n"
        f"        {name}={data.value}{todo}\n"
        f"    )\n\n\n"
        f"class Migration(migrations.Migration):\n\n"
        f"    dependencies = [\n"
        f"        {(app_label, previous)!r},\n"
        f"    ]\n\n"
        f"    operations = [\n"
        f"        migrations.RunPython(backfill, migrations.RunPython.noop),\n"
        f"    ]\n"
    )


def alter_migration(
    header: str, source: str, app_label: str, model: str, name: str, previous: str, field: str
) -> str:
    imports = _imports(source) or ["from django.db import migrations, models"]
    field = field.replace("\n", "\n    ")
    return (
        f"{header}{chr(10).join(imports)}\n\n\n"
        f"class Migration(migrations.Migration):\n\n"
        f"    dependencies = [\n"
        f"        {(app_label, previous)!r},\n"
        f"    ]\n\n"
        f"    operations = [\n"
        f"        migrations.AlterField(\n"
        f"            model_name={model!r},\n"
        f"            name={name!r},\n"
        f"            field={field},\n"
        f"        ),\n"
        f"    ]\n"
    )


def next_number(names: list[str]) -> int:
    return max((n for n in map(parse_number, names) if n is not None), default=0) + 1


def repoint(source: str, app_label: str, old: str, new: str) -> str:
    """``source`` with its ``(app_label, old)`` dependency tuples naming ``new``."""
    quote = r"""(['"])"""
    app, name = re.escape(app_label), re.escape(old)
    pattern = re.compile(rf"(\(\s*{quote}{app}\2\s*,\s*){quote}{name}\3")
    return pattern.sub(lambda m: f"{m[1]}{m[3]}{new}{m[3]}", source)


def split_not_null_fix(
    finding: Finding, source: str, data: dict[str, Any], project: Project
) -> Fix | None:
    app_label, previous = data["app_label"], data["migration"]
    model, name = data["model_name"], data["field_name"]
    app = project.apps.get(app_label)
    if app is None or app.migrations_dir is None:
        return None
    result = split(source, data["operation"])
    if result is None or not parses(result.edited):
        return None
    directory = app.migrations_dir
    existing = sorted(p.stem for p in directory.glob("*.py") if p.stem != "__init__")
    number = next_number(existing)
    backfill_name = f"{number:04d}_backfill_{model.lower()}_{name}"
    alter_name = f"{number + 1:04d}_alter_{model.lower()}_{name}"
    version = installed_django_version(project.site_packages) or DEFAULT_DJANGO_VERSION
    now = datetime.datetime.now(datetime.timezone.utc)
    header = f"# Generated by Django {version} on {now:%Y-%m-%d %H:%M}\n\n"
    backfill = backfill_migration(header, app_label, model, name, previous, result)
    alter = alter_migration(
        header, source, app_label, model.lower(), name, backfill_name, result.alter
    )
    edits = [FileEdit(finding.path, text_edits(source, result.edited))]
    for filename, content in ((backfill_name, backfill), (alter_name, alter)):
        path = directory / f"{filename}.py"
        if path.exists() or not parses(content):
            return None
        edits.append(FileEdit(path, [TextEdit(Span.point(), content)], create=True))
    for other in project.apps.values():
        if other.migrations_dir is None:
            continue
        for path in sorted(other.migrations_dir.glob("*.py")):
            if path == finding.path or path.stem == "__init__":
                continue
            try:
                text = read_source(path)
            except SourceError:
                continue
            new = repoint(text, app_label, previous, alter_name)
            if new != text and parses(new):
                edits.append(FileEdit(path, text_edits(text, new)))
    title = "Split into nullable + backfill + NOT NULL"
    return Fix(title, finding.code, "unsafe", edits)


def use_db_default(source: str, index: int) -> str | None:
    """The migration with the ``AddField``'s field given ``db_default=<value>`` instead of a
    default (Django 5.0): the literal default, else a placeholder without an import."""
    module = parse(source)
    if module is None:
        return None
    call = find_operation(module, index)
    if call is None or any(a.star for a in call.args):
        return None
    field_at = argument_index(call.args, 2, "field")
    field = call.args[field_at].value if field_at is not None else None
    if field_at is None or not isinstance(field, cst.Call) or any(a.star for a in field.args):
        return None
    cls = dotted_name(field.func)
    default = next(
        (a.value for a in field.args if a.keyword and a.keyword.value == "default"), None
    )
    value = _literal(default, module) if default is not None else None
    if value is None or value == "None":
        guess = _placeholder(cls) if cls else None
        if guess is None or guess[1]:
            return None
        value = guess[0]
    new_field = _without(field, "default", "db_default")
    arg = keyword_arg("db_default", cst.parse_expression(value))
    if new_field.args:
        new_field = insert_argument(new_field, len(new_field.args) - 1, arg)
    else:
        new_field = new_field.with_changes(args=[arg])
    args = list(call.args)
    args[field_at] = args[field_at].with_changes(value=new_field)
    new_call = _without(call.with_changes(args=args), "preserve_default")
    edited = module.deep_replace(call, new_call)
    assert isinstance(edited, cst.Module)
    return edited.code
