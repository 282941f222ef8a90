"""The models differ from what the app's migrations create (`makemigrations --check`).

## What it does
Compares each app's models (`models.py` or the modules of a `models/` package, read
statically) with the state its migrations produce, the way `makemigrations --check` does
(`MigrationAutodetector`), and reports each operation it would generate on the model or
field line: "Add field sku to product", "Remove field weight from product", "Alter field
price on product", "Create model Tag", "Delete model Coupon", "Change Meta options on
product", "Rename table for product to catalog_item", "Alter unique_together for product
(1 constraint(s))", "Create index ... / Remove index ... / Rename index ...", "Create
constraint ... / Remove constraint ...", "Change managers on user".

Fields are compared by what `Field.deconstruct()` keeps (a keyword argument given at its
default, `max_length=50` on a `SlugField`, is no change), values as they are at run time
(`_("name")` is `"name"`, `models.CASCADE` is `django.db.models.deletion.CASCADE`). A
renamed field is a removal and an addition, as `makemigrations --noinput` reports it.
The message names the file `makemigrations` would write; when a model of the app cannot
be read, its changes would be in that migration and its name too, so the message says the
name may differ.
Base classes are read from the app's models modules and from any other module of the
workspace's apps (`from core.models import TimeStamped`, `from .base_models import Base`,
re-exports followed): an edit of such a base updates the findings of every app whose
models inherit from it.

Silent on what cannot be read statically: custom or third-party field classes, computed
arguments, base classes from outside the workspace's apps (site-packages; Django's
`AbstractUser`, `AbstractBaseUser` and `PermissionsMixin` are known), bases whose
metaclass adds fields (`MPTTModel`), multi-table inheritance, dynamically created or
decorated classes (six's `python_2_unicode_compatible` aside), custom managers (not
compared), models whose migrations djmig cannot replay, apps whose graph has a problem
(conflicting leaves, missing or circular dependencies), apps whose models relate to an app
that is not installed (`fields.E307` stops `makemigrations` at its checks), and apps whose
models modules cannot be parsed (deleted models are reported only when every models module
was read, and neither they nor the app's `apps.py`, `ready()` included, import another
module of the app that defines classes). Not reported at all when a workspace app defines
its own `makemigrations` command (`management/commands/makemigrations.py`): what that
writes is its own (a note says so); third-party ones, which extend Django's, are not
looked at.

## Why is this bad?
The database schema follows the migrations, not the models: until a migration is written,
`migrate` does not create the column, and the code that uses it fails with `no such
column` (or `column ... does not exist`) once deployed. `makemigrations --check` in CI
catches it late and slowly; this finds it while typing.

## Example
```python
class Product(models.Model):
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=32, blank=True)  # no migration adds it
```

## Use instead
Run `python manage.py makemigrations`, or apply the fix.

## Fix safety
"Create migration" is safe: it creates the migration `makemigrations` would write, named
as it names it (`0005_product_sku`, `0005_remove_product_weight`, `..._and_more`,
`auto_<timestamp>`), depending on the app's leaf and on the leaves of the apps new
relations point to (`swappable_dependency(settings.AUTH_USER_MODEL)` for the user model).
When the change adds a NOT NULL field without a default to an existing model (where
`makemigrations` asks for a one-off default), the fix is instead "Create migrations:
nullable + backfill + NOT NULL" (unsafe): the field added with `null=True`, a `RunPython`
filling the rows with a placeholder by type to review, and an `AlterField` to the field as
written. A new model on `AbstractUser` gets the fields Django 5.2 gives it. No fix when
djmig cannot write an operation, nor while a new relation points to another app's model
that has no migration yet.

## References
- `django/db/migrations/autodetector.py`: `MigrationAutodetector.changes`,
  `deep_deconstruct`, `arrange_for_graph`
- `django/db/migrations/migration.py`: `Migration.suggest_name`
- `django/db/models/fields/__init__.py`: `Field.deconstruct`
- Django documentation: "makemigrations --check"
"""

from __future__ import annotations

import ast
import datetime
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from djmig.autodetect import AppChanges, Change, Relations, detect_changes, migration_name
from djmig.index.models import ModelsFacts, ParsedModel, parse_models, read_default_auto_field
from djmig.index.source import SourceFile, absolute_module, parse_source_file
from djmig.index.values import UNKNOWN
from djmig.keys import MigrationKey, Span
from djmig.rules.base import Context, Finding, Rule, Severity
from djmig.state import AppState


def models_sources(context: Context, app_label: str) -> list[tuple[str, SourceFile]] | None:
    """``(module name, source)`` of the app's models modules; None when the app has none
    or one cannot be read."""
    app = context.project.apps.get(app_label)
    if app is None:
        return None
    found = []
    for path in app.models_files():
        source = context.source(path)
        if source is None:
            return None
        if path.name == "models.py" or path.name == "__init__.py":
            module = f"{app.name}.models"
        else:
            module = f"{app.name}.models.{path.stem}"
        found.append((module, source))
    return found or None


def default_auto_field(context: Context, app_label: str) -> Any:
    """``AppConfig.default_auto_field``, else ``DEFAULT_AUTO_FIELD``."""
    app = context.project.apps.get(app_label)
    if app is None or app.package_dir is None:
        return UNKNOWN
    apps_py = app.package_dir / "apps.py"
    value = None
    if apps_py.is_file():
        value = read_default_auto_field(parse_source_file(apps_py).tree)
    if value is None:
        value = context.project.settings.get("DEFAULT_AUTO_FIELD")
    return value


def imported_submodules(init: Any, package: str, modules: list[str]) -> dict[str, bool]:
    """Which submodules of a ``models`` package its ``__init__`` imports."""
    tree = init.tree if init is not None else None
    found: dict[str, bool] = {m: False for m in modules if m != package}
    if tree is None:
        return found
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level == 1:
                if base:
                    found[f"{package}.{base}"] = True
                else:
                    for alias in stmt.names:
                        found[f"{package}.{alias.name}"] = True
            elif stmt.level == 0 and base.startswith(package + "."):
                found[base] = True
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name.startswith(package + "."):
                    found[alias.name] = True
    return found


#: The last models facts of each app label, with what they were read from: a migration
#: keystroke re-runs the app's rules, but its models are parsed again only when one of its
#: models files was edited (``Workspace.source`` then gives a new ``SourceFile``). The
#: entry holds the sources, so their ``id``s stay theirs.
_PARSED: dict[str, tuple[tuple[Any, ...], list[tuple[str, SourceFile]], ModelsFacts]] = {}


def read_app_models(context: Context, app_label: str) -> ModelsFacts | None:
    app = context.project.apps.get(app_label)
    sources = models_sources(context, app_label)
    if app is None or sources is None:
        return None
    package = f"{app.name}.models"
    imported = None
    if len(sources) > 1 or sources[0][1].path.name == "__init__.py":
        init = next((s for m, s in sources if m == package), None)
        imported = imported_submodules(init, package, [m for m, _ in sources])
    auto = default_auto_field(context, app_label)
    key = (app.name, tuple((m, id(s)) for m, s in sources), repr(auto), repr(imported))
    cached = _PARSED.get(app_label)
    foreign = functools.partial(_base_module, context, app_label)
    if (
        cached is not None
        and cached[0] == key
        and all((foreign(m) or (None, None))[1] is s for m, s in cached[2].foreign)
    ):
        return cached[2]
    facts = parse_models(app_label, app.name, sources, auto, imported, foreign)
    if facts.complete and app.package_dir is not None:
        elsewhere = _classes_imported_by_config(app.package_dir, app.name)
        if elsewhere is not None:
            facts.complete, facts.reason = False, f"apps.py imports {elsewhere}"
    _PARSED[app_label] = (key, sources, facts)
    return facts


def _classes_imported_by_config(package_dir: Path, app_module: str) -> str | None:
    """A module of the app, other than its models, that its ``apps.py`` imports (in
    ``ready()`` too) and that defines classes: models may live there (label-studio's
    ``fsm/state_models.py``, imported in ``FsmConfig.ready``), so djmig has not read them
    all. A ``signals`` module of functions does not count."""
    apps_py = package_dir / "apps.py"
    tree = parse_source_file(apps_py).tree if apps_py.is_file() else None
    for node in ast.walk(tree) if tree is not None else ():
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = absolute_module(node, app_module)
            if base is not None:
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            inside = target.startswith(app_module + ".")
            if not inside or target.split(".")[len(app_module.split("."))] in (
                "models",
                "migrations",
            ):
                continue
            path = package_dir.joinpath(*target[len(app_module) + 1 :].split("."))
            module = path.with_suffix(".py") if not path.is_dir() else path / "__init__.py"
            found = parse_source_file(module).tree if module.is_file() else None
            if found is not None and any(
                isinstance(n, ast.ClassDef) and n.bases for n in ast.walk(found)
            ):
                return target
    return None


def _migrations_directory(context: Context, app_label: str) -> str:
    """Where ``makemigrations`` writes the app's migrations, relative to the workspace
    root (``wiki/plugins/attachments/migrations`` for ``wiki_attachments``)."""
    app = context.project.apps[app_label]
    directory = app.migrations_dir
    if directory is None and app.package_dir is not None:
        directory = app.package_dir / "migrations"  # created by makemigrations
    if directory is None:
        return f"{app_label}/migrations"
    root = context.project.root
    return (
        directory.relative_to(root).as_posix() if directory.is_relative_to(root) else str(directory)
    )


def _base_module(context: Context, app_label: str, module: str) -> tuple[str, SourceFile] | None:
    """Module ``module``, where a base class of the app's models is defined: any module
    of a workspace app (``core.models``, ``core.abstract``, a ``base_models`` module of the
    app itself), with that app's label; not the app's own models modules (read already)."""
    found = context.module_source(module)
    if found is None:
        return None
    app = context.project.apps[app_label]
    own = found[0] == app_label and (module + ".").startswith(f"{app.name}.models.")
    return None if own else found


def app_changes(
    context: Context, app_label: str, facts: ModelsFacts
) -> tuple[AppChanges, MigrationKey | None] | None:
    """What ``makemigrations`` would generate for the app, and its leaf; None when djmig
    cannot tell (conflicting leaves, an uncertain graph or state)."""
    graph = context.graph
    if app_label in graph.uncertain_apps or _graph_trouble(context, app_label):
        return None
    leaves = graph.leaf_nodes(app_label)
    if len(leaves) > 1:
        return None
    leaf = leaves[0] if leaves else None
    state = context.state.after(leaf) if leaf else AppState(app_label)
    if state is None or state.uncertain:
        return None
    project = context.project
    user = project.settings.get("AUTH_USER_MODEL")
    modules = {app.name: label for label, app in project.apps.items()}

    def resolve_class(qualname: str) -> str | None:
        module, _, name = qualname.rpartition(".")
        while module:
            package, _, last = module.rpartition(".")
            if last == "models" and package in modules:
                return f"{modules[package]}.{name}"
            if (
                package
                and package.rpartition(".")[2] == "models"
                and package.rpartition(".")[0] in modules
            ):
                return f"{modules[package.rpartition('.')[0]]}.{name}"
            return None
        return None

    installed = frozenset(project.apps) if project.closed else None
    not_installed: list[str] = []

    def new_relations(model_name: str) -> Relations:
        return Relations(app_label, model_name, resolve_class, user, installed, not_installed)

    def old_relations(model_name: str) -> Relations:
        from djmig.autodetect import _no_classes

        return Relations(app_label, model_name, _no_classes, user)

    app = project.apps[app_label]
    changes = detect_changes(
        app_label,
        state.models,
        {k: m.state for k, m in facts.models.items()},
        facts.complete,
        old_relations,
        new_relations,
        app.name,
        inherited={k: m.inherited for k, m in facts.models.items()},
        managers_known={k: m.managers_known for k, m in facts.models.items()},
    )
    if not_installed:
        return None  # fields.E307: makemigrations stops at its system checks
    return changes, leaf


def _graph_trouble(context: Context, app_label: str) -> bool:
    """A cycle through the app or a dependency of its migrations that cannot be resolved:
    Django cannot build the state (``makemigrations`` fails before comparing). Another
    app's dependency on this app while it has no migrations is no trouble: its loader
    ignores that (``ignore_no_migrations``), and the initial migration resolves it."""
    for problem in context.graph.problems:
        if problem.kind == "no-migrations" and problem.target.app_label == app_label:
            continue
        keys = (problem.origin.migration, problem.target, *problem.cycle)
        if any(key.app_label == app_label for key in keys):
            return True
    return False


def _location(facts: ModelsFacts, change: Change, fallback: Path) -> tuple[Path, Span]:
    model_name, field_name = change.anchor
    parsed: ParsedModel | None = facts.models.get(model_name.lower()) if model_name else None
    if parsed is None:
        return fallback, Span.point()
    if field_name and field_name in parsed.field_spans:
        span = parsed.field_spans[field_name]
        return parsed.path, Span(
            span.start_line, span.start_col, span.start_line, span.start_col + len(field_name)
        )
    return parsed.path, parsed.span


def check(context: Context, app_label: str) -> Iterator[Finding]:
    app = context.project.apps.get(app_label)
    if app is None or not app.migrated or context.project.makemigrations_command is not None:
        return
    facts = read_app_models(context, app_label)
    if facts is None:
        return
    result = app_changes(context, app_label, facts)
    if result is None:
        return
    changes, leaf = result
    if not changes.changes:
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    from djmig.writer import fix_data

    name = migration_name(changes, leaf.name if leaf else None, f"{now:%Y%m%d_%H%M}")

    fixes = fix_data(context, app_label, changes, leaf, name)
    fallback = sources_first(context, app_label)
    written = f"{_migrations_directory(context, app_label)}/{name}.py"
    if any(model.uncertain for model in facts.models.values()):
        # django-categories' MPTT ``Category`` changed too: Django's name covers it.
        written += ", or another name if models djmig cannot read changed too"
    for change in changes.changes:
        path, span = _location(facts, change, fallback)
        yield Finding(
            RULE.code,
            f"{change.description}: no migration for this change (makemigrations would "
            f"write {written})",
            path,
            span,
            RULE.severity,
            fixes=fixes,
        )


def sources_first(context: Context, app_label: str) -> Path:
    sources = models_sources(context, app_label) or []
    return sources[0][1].path if sources else Path()


RULE = Rule(
    "DM401",
    "model-changes-without-migration",
    Severity.WARNING,
    __doc__ or "",
    check_app=check,
    reads_imported_models=True,
)
